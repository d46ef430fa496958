package hostile

import (
	"os"
	"syscall"
)

// peakMemory returns the peak resident memory of an exited process, in
// bytes: getrusage's ru_maxrss, which Linux gives in kilobytes.
func peakMemory(ps *os.ProcessState) int64 {
	if ps == nil {
		return 0
	}
	ru, ok := ps.SysUsage().(*syscall.Rusage)
	if !ok {
		return 0
	}
	return ru.Maxrss << 10
}
