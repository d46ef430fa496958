package summary_test

import (
	"errors"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	"github.com/tbgo/tbgo/proto/tbpb"
	"github.com/tbgo/tbgo/summary"
)

// nestedGroups is an Event whose unknown field 15 holds groups nested depth
// deep: the only way an Event's wire form can nest without limit.
func nestedGroups(depth int) []byte {
	b := protowire.AppendTag(nil, 1, protowire.Fixed64Type)
	b = protowire.AppendFixed64(b, 0)
	for range depth {
		b = protowire.AppendTag(b, 15, protowire.StartGroupType)
	}
	for range depth {
		b = protowire.AppendTag(b, 15, protowire.EndGroupType)
	}
	return b
}

// TestDecodeHostile feeds the decoder events built to hurt it: unknown
// groups nested to protobuf's depth limit and far beyond, and tags that are
// not UTF-8. Both decoding paths must agree, return errors wrapping
// ErrMalformed where the input is invalid, and never crash.
func TestDecodeHostile(t *testing.T) {
	badTag := func() []byte {
		v := protowire.AppendTag(nil, 1, protowire.BytesType)
		v = protowire.AppendBytes(v, []byte("loss\xff"))
		v = protowire.AppendTag(v, 2, protowire.Fixed32Type)
		v = protowire.AppendFixed32(v, 0)
		s := protowire.AppendTag(nil, 1, protowire.BytesType)
		s = protowire.AppendBytes(s, v)
		e := protowire.AppendTag(nil, 5, protowire.BytesType)
		return protowire.AppendBytes(e, s)
	}()
	tests := []struct {
		desc    string
		record  []byte
		invalid bool
	}{
		{"groups nested 100 deep", nestedGroups(100), false},
		{"groups nested to the limit (10000)", nestedGroups(10_000), false},
		{"groups nested one past the limit", nestedGroups(10_001), false},
		{"groups nested a million deep", nestedGroups(1_000_000), true},
		{"tag that is not UTF-8", badTag, true},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			var d1, d2 summary.Decoder
			vals, err1 := d1.Record(nil, tt.record)
			points, err2 := d2.AppendScalars(nil, tt.record)
			perr := proto.Unmarshal(tt.record, &tbpb.Event{})
			if (err1 != nil) != tt.invalid || (err2 != nil) != tt.invalid {
				t.Fatalf("Record: %v, AppendScalars: %v; want errors %v (proto.Unmarshal: %v)", err1, err2, tt.invalid, perr)
			}
			for _, err := range []error{err1, err2} {
				if err != nil && !errors.Is(err, summary.ErrMalformed) {
					t.Errorf("error %v does not wrap ErrMalformed", err)
				}
			}
			if len(vals) != 0 || len(points) != 0 {
				t.Errorf("decoded %v and %v from an event with no summary", vals, points)
			}
		})
	}
}
