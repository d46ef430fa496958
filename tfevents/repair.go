package tfevents

import (
	"encoding/binary"
	"errors"
	"io"
	"math"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	"github.com/tbgo/tbgo/proto/tbpb"
)

// RepairOptions configure Repair. The zero RepairOptions mends the
// framing only: every record whose checksums hold is kept.
type RepairOptions struct {
	// Name labels damage, usually the file's path.
	Name string

	// MaxRecordLen is the Scanner's: a longer record is dropped as
	// OversizedRecord damage. Zero means DefaultMaxRecordLen.
	MaxRecordLen int64

	// Check, if not nil, vets each record whose checksums hold. It returns
	// what to write in the record's place, with the damage it found, nil
	// if none: the record itself to keep it byte for byte, a rewritten
	// record to keep what is sound of it, or nil to drop it. Repair sets
	// the damage's File and Offset. A record Check drops without damage is
	// reported as InvalidEvent. The record is valid only during the call;
	// a rewritten record must not share its memory.
	Check func(record []byte) ([]byte, *Damage)
}

// RepairReport is what Repair did.
type RepairReport struct {
	// Records counts the records written, rewritten ones included; a
	// file_version event Repair adds is not counted.
	Records int
	// Rewritten counts the records Check rewrote without their damaged
	// parts.
	Rewritten int
	// Dropped counts what was left out whole: damaged stretches the
	// Scanner skipped (torn tails included) and records Check dropped.
	Dropped int
	// Damage lists everything found, dropped or rewritten, in order.
	Damage DamageLog
	// BytesIn and BytesOut are the sizes of what was read and written.
	BytesIn, BytesOut int64
	// AddedFileVersion reports that the stream's first record was lost
	// and Repair wrote a file_version event first: TensorBoard's Python
	// loader applies older rules to a file without one.
	AddedFileVersion bool
}

// Repair writes to dst the records of the event-file stream src that a
// Scanner reads, byte for byte: what a Scanner skips (torn tails, records
// whose checksums fail, stretches up to the next valid record after a bad
// length, oversized records) is left out, and so is whatever Check finds
// damaged. If the first record is lost, a file_version event is written
// before the first record kept, unless that is one. The result reads
// without damage, by tbgo and by TensorBoard's loaders alike.
//
// Memory is bounded as a Scanner's is, plus what Check holds. The error is
// a read error of src or a write error of dst; damage is not an error,
// and is in the report.
func Repair(dst io.Writer, src io.Reader, o *RepairOptions) (*RepairReport, error) {
	var opts RepairOptions
	if o != nil {
		opts = *o
	}
	rep := &RepairReport{}
	lostFirst := false
	sc := NewScanner(src)
	sc.Name, sc.MaxRecordLen = opts.Name, opts.MaxRecordLen
	sc.Damaged = func(d *Damage) error {
		rep.Damage.Add(d)
		if d.Bytes > 0 { // a stretch or a record left out whole
			rep.Dropped++
			lostFirst = lostFirst || d.Offset == 0
		}
		return nil
	}
	var frame []byte
	write := func(data []byte) error {
		frame = AppendRecord(frame[:0], data)
		n, err := dst.Write(frame)
		rep.BytesOut += int64(n)
		return err
	}
	for sc.Scan() {
		rec := sc.Record()
		out := rec
		if opts.Check != nil {
			var d *Damage
			out, d = opts.Check(rec)
			if out == nil && d == nil {
				d = &Damage{Kind: InvalidEvent, Err: errors.New("dropped by the repair's check")}
			}
			if d != nil {
				if out == nil {
					d.Bytes = sc.RecordLen()
				}
				sc.Report(*d)
			}
			if out == nil {
				continue
			}
			// An empty record (an empty Event is a valid one) has no
			// first byte to compare: kept as it is, it is not rewritten.
			if len(out) != len(rec) || len(out) > 0 && &out[0] != &rec[0] {
				rep.Rewritten++
			}
		}
		if lostFirst && rep.Records == 0 {
			wall, isVersion := peekEvent(out)
			if !isVersion {
				version, err := proto.Marshal(&tbpb.Event{WallTime: wall, What: &tbpb.Event_FileVersion{FileVersion: FileVersion}})
				if err != nil {
					return rep, err
				}
				if err := write(version); err != nil {
					return rep, err
				}
				rep.AddedFileVersion = true
			}
		}
		if err := write(out); err != nil {
			return rep, err
		}
		rep.Records++
	}
	rep.BytesIn = sc.End()
	if err := sc.Err(); err != nil {
		return rep, err
	}
	return rep, nil
}

// peekEvent reads a serialized Event's wall time, and whether it is a
// file_version event, from the wire without decoding the rest.
func peekEvent(b []byte) (wall float64, isVersion bool) {
	const wallTimeField, fileVersionField, firstWhat, lastWhat = 1, 3, 3, 9
	var what protowire.Number
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			break
		}
		m := protowire.ConsumeFieldValue(num, typ, b[n:])
		if m < 0 {
			break
		}
		switch {
		case num == wallTimeField && typ == protowire.Fixed64Type:
			wall = math.Float64frombits(binary.LittleEndian.Uint64(b[n:]))
		case num >= firstWhat && num <= lastWhat && typ == protowire.BytesType:
			what = num
		}
		b = b[n+m:]
	}
	if math.IsNaN(wall) || math.IsInf(wall, 0) {
		wall = 0
	}
	return wall, what == fileVersionField
}
