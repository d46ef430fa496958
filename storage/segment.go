package storage

import (
	"regexp"
	"strconv"
)

// segmentName matches the names NewSink gives segments (see Sink):
// events.out.tfevents.<start %010d>.<host>.<pid>.<seq %08d><suffix>. The
// host may hold dots; the longest host that leaves a pid and an 8-digit
// sequence number after it wins.
var segmentName = regexp.MustCompile(`^(events\.out\.tfevents\.[0-9]{10}\..+\.[0-9]+\.)([0-9]{8})(.*)$`)

// SplitSegment splits the base name of a segment a Sink uploaded into its
// writer's part (the name up to the sequence number), the sequence number
// and the suffix; ok is false for a name that is not a segment's. The
// segments of one Sink are the names with the same base and suffix, and
// they sort by seq. tfevents.CreateFile's local files, numbered with
// three digits, are not segments.
func SplitSegment(name string) (base string, seq int, suffix string, ok bool) {
	m := segmentName.FindStringSubmatch(name)
	if m == nil {
		return "", 0, "", false
	}
	seq, err := strconv.Atoi(m[2])
	if err != nil {
		return "", 0, "", false
	}
	return m[1], seq, m[3], true
}
