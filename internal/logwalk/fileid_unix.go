//go:build unix

package logwalk

import (
	"io/fs"
	"syscall"
)

// dirSet remembers the directories a walk has read, by device and inode,
// so that a second path to one (a symbolic link, a bind mount) is known.
type dirSet struct {
	seen map[fileID]string // the path relative to the root it was read at
}

type fileID struct{ dev, ino uint64 }

// add records the directory info describes, read at rel. If it was read
// before, add returns the path it was read at and true. A FileInfo that
// tells no identity (one from a file system other than the operating
// system's) is never a repeat.
func (s *dirSet) add(info fs.FileInfo, rel string) (string, bool) {
	st, ok := info.Sys().(*syscall.Stat_t)
	if !ok {
		return "", false
	}
	id := fileID{uint64(st.Dev), uint64(st.Ino)}
	if prev, ok := s.seen[id]; ok {
		return prev, true
	}
	if s.seen == nil {
		s.seen = map[fileID]string{}
	}
	s.seen[id] = rel
	return "", false
}
