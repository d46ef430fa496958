package hostile

import (
	"bytes"
	"os"
	"strconv"
)

// residentMemory returns the resident memory of process pid and its peak
// so far (VmRSS and VmHWM of /proc/PID/status), in bytes.
func residentMemory(pid int) (rss, hwm int64, ok bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0, 0, false
	}
	rss, ok1 := statusField(b, "VmRSS:")
	hwm, ok2 := statusField(b, "VmHWM:")
	return rss, hwm, ok1 && ok2
}

// statusField returns a memory field of a /proc status file in bytes.
func statusField(b []byte, field string) (int64, bool) {
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
