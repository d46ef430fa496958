//go:build !linux

package hostile

// residentMemory is not measured outside Linux.
func residentMemory(pid int) (rss, hwm int64, ok bool) { return 0, 0, false }
