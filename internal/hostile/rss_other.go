//go:build !linux

package hostile

import "os"

// residentMemory is not measured outside Linux.
func residentMemory(pid int) (int64, bool) { return 0, false }

// peakMemory is not measured outside Linux.
func peakMemory(*os.ProcessState) int64 { return 0 }
