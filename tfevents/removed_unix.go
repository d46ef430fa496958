//go:build unix

package tfevents

import (
	"os"
	"syscall"
)

// removed reports whether f has no name left in the file system.
func removed(f *os.File) bool {
	info, err := f.Stat()
	if err != nil {
		return false
	}
	st, ok := info.Sys().(*syscall.Stat_t)
	return ok && st.Nlink == 0
}
