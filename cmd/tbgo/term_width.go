//go:build linux || darwin

package main

import (
	"os"
	"syscall"
	"unsafe"
)

// ttyWidth returns the number of columns of the terminal f, or 0 if it
// cannot tell.
func ttyWidth(f *os.File) int {
	var ws struct{ row, col, xpixel, ypixel uint16 }
	conn, err := f.SyscallConn()
	if err != nil {
		return 0
	}
	var errno syscall.Errno
	conn.Control(func(fd uintptr) {
		_, _, errno = syscall.Syscall(syscall.SYS_IOCTL, fd, uintptr(syscall.TIOCGWINSZ), uintptr(unsafe.Pointer(&ws)))
	})
	if errno != 0 {
		return 0
	}
	return int(ws.col)
}
