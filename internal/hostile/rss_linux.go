package hostile

import (
	"bytes"
	"os"
	"strconv"
)

// residentMemory returns the resident memory of process pid, in bytes.
func residentMemory(pid int) (int64, bool) {
	return procStatus(pid, "VmRSS:")
}

// procStatus returns a memory field of /proc/PID/status in bytes.
func procStatus(pid int, field string) (int64, bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0, false
	}
	i := bytes.Index(b, []byte(field))
	if i < 0 {
		return 0, false
	}
	f := bytes.Fields(b[i+len(field):])
	if len(f) < 2 || string(f[1]) != "kB" {
		return 0, false
	}
	kb, err := strconv.ParseInt(string(f[0]), 10, 64)
	return kb << 10, err == nil
}
