package dataserver

import (
	"encoding/binary"
	"math"
	"strconv"
	"strings"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	"github.com/tbgo/tbgo/proto/tbpb"
)

// Field numbers of tensorboard.Event that decide how a record is loaded.
const (
	fieldWallTime          = 1
	fieldStep              = 2
	fieldFileVersion       = 3
	fieldGraphDef          = 4
	fieldSummary           = 5
	fieldSessionLog        = 7
	fieldTaggedRunMetadata = 8
	fieldSummaryValue      = 1 // Summary.value
)

// envelope is what the loader needs to know of an event before handing it
// to summary.Decoder: its time and step, which member of the event's oneof
// it holds, and that member's bytes. It reads the top level of the
// protobuf wire format only; values are the Decoder's to decode.
type envelope struct {
	wall    float64
	step    int64
	what    protowire.Number // 0 for an event that holds none of the members
	payload []byte           // the member's bytes, for a message or string member
	values  int              // for a summary, how many values it holds
}

// peek reads the envelope of a serialized Event; ok is false when the
// bytes are not valid wire format.
func peek(b []byte) (e envelope, ok bool) {
	if e, ok := peekSummary(b); ok {
		return e, true
	}
	return peekFields(b)
}

// peekFields is peek reading field by field.
func peekFields(b []byte) (e envelope, ok bool) {
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return e, false
		}
		b = b[n:]
		switch {
		case num == fieldWallTime && typ == protowire.Fixed64Type:
			v, n := protowire.ConsumeFixed64(b)
			if n < 0 {
				return e, false
			}
			e.wall, b = math.Float64frombits(v), b[n:]
			continue
		case num == fieldStep && typ == protowire.VarintType:
			v, n := protowire.ConsumeVarint(b)
			if n < 0 {
				return e, false
			}
			e.step, b = int64(v), b[n:]
			continue
		case num >= fieldFileVersion && num <= 9 && typ == protowire.BytesType:
			v, n := protowire.ConsumeBytes(b)
			if n < 0 {
				return e, false
			}
			if num == fieldSummary && e.what == fieldSummary {
				// A repeated message field merges: count both.
				e.payload = nil
			} else {
				e.payload, e.values = v, 0
			}
			e.what, b = num, b[n:]
			if num == fieldSummary {
				c, ok := countValues(v)
				if !ok {
					return e, false
				}
				e.values += c
			}
			continue
		}
		n = protowire.ConsumeFieldValue(num, typ, b)
		if n < 0 {
			return e, false
		}
		b = b[n:]
	}
	return e, true
}

// countValues returns how many values a serialized Summary holds.
func countValues(b []byte) (int, bool) {
	count := 0
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return 0, false
		}
		b = b[n:]
		n = protowire.ConsumeFieldValue(num, typ, b)
		if n < 0 {
			return 0, false
		}
		b = b[n:]
		if num == fieldSummaryValue && typ == protowire.BytesType {
			count++
		}
	}
	return count, true
}

// fileVersion parses an Event's file_version ("brain.Event:2") as
// TensorBoard's Python loader does: the number after the last
// "brain.Event:", or -1 when there is none.
func fileVersion(s string) float64 {
	i := strings.LastIndex(s, "brain.Event:")
	if i >= 0 {
		s = s[i+len("brain.Event:"):]
	}
	v, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil {
		return -1
	}
	return v
}

// isStart reports whether a serialized SessionLog says a session started.
func isStart(b []byte) bool {
	var l tbpb.SessionLog
	return proto.Unmarshal(b, &l) == nil && l.GetStatus() == tbpb.SessionLog_START
}

// peekSummary is peek for the event nearly every record holds, in the
// order every writer writes it: wall_time, step, then a summary of values
// with one-byte lengths. ok is false for anything else, which peek then
// reads field by field.
func peekSummary(b []byte) (e envelope, ok bool) {
	if len(b) < 13 || b[0] != fieldWallTime<<3|byte(protowire.Fixed64Type) || b[9] != fieldStep<<3|byte(protowire.VarintType) {
		return e, false
	}
	e.wall = math.Float64frombits(binary.LittleEndian.Uint64(b[1:]))
	step, n := protowire.ConsumeVarint(b[10:])
	if n < 0 {
		return e, false
	}
	e.step = int64(step)
	b = b[10+n:]
	if len(b) < 2 || b[0] != fieldSummary<<3|byte(protowire.BytesType) || b[1] >= 0x80 || int(b[1]) != len(b)-2 {
		return e, false
	}
	e.what, e.payload = fieldSummary, b[2:]
	for v := e.payload; len(v) > 0; e.values++ {
		if len(v) < 2 || v[0] != fieldSummaryValue<<3|byte(protowire.BytesType) || v[1] >= 0x80 || int(v[1]) > len(v)-2 {
			return envelope{}, false
		}
		v = v[2+int(v[1]):]
	}
	return e, true
}
