//go:build unix

package storage

import (
	"fmt"
	"io/fs"
	"os"
	"syscall"
)

// lockDir takes an exclusive advisory lock on dir, shared by every
// process on the machine, and returns its release.
func lockDir(dir string) (unlock func(), err error) {
	f, err := os.Open(dir)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		return nil, fmt.Errorf("lock %s: %w", dir, err)
	}
	return func() { f.Close() }, nil // closing releases the lock
}

// fileVersion identifies one state of a file: a replace gives it a new
// inode, a write in place a new modification time or size.
func fileVersion(info fs.FileInfo) Version {
	var ino uint64
	if st, ok := info.Sys().(*syscall.Stat_t); ok {
		ino = uint64(st.Ino)
	}
	return Version(fmt.Sprintf("%x-%x-%x", ino, info.ModTime().UnixNano(), info.Size()))
}
