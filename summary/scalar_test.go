package summary

import (
	"bytes"
	"math"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/tbgo/tbgo/proto/tbpb"
)

// TestScalarEncoderMatchesMarshal proves the hand-written scalar encoder
// produces exactly proto.Marshal's bytes for the same Event.
func TestScalarEncoderMatchesMarshal(t *testing.T) {
	long := string(bytes.Repeat([]byte("t"), 300)) // multi-byte length varints
	tests := []struct {
		desc  string
		tag   string
		meta  Meta
		wall  float64
		step  int64
		value float32
	}{
		{"plain", "loss", Meta{}, 1.6e9, 1, 0.5},
		{"step zero", "loss", Meta{}, 1.6e9, 0, 0.5},
		{"wall zero", "loss", Meta{}, 0, 3, 0.5},
		{"negative zero wall", "loss", Meta{}, math.Copysign(0, -1), 3, 0.5},
		{"negative step", "loss", Meta{}, 1.7e9, -5, 2},
		{"huge step", "loss", Meta{}, 1.7e9, math.MaxInt64, 2},
		{"min step", "loss", Meta{}, 1.7e9, math.MinInt64, 2},
		{"zero value", "loss", Meta{}, 1.7e9, 7, 0},
		{"NaN", "x", Meta{}, 1.7e9, 7, float32(math.NaN())},
		{"+Inf", "x", Meta{}, 1.7e9, 7, float32(math.Inf(1))},
		{"-Inf", "x", Meta{}, 1.7e9, 7, float32(math.Inf(-1))},
		{"non-ASCII tag", "損失/η", Meta{}, 1.7e9, 7, 1},
		{"long tag", long, Meta{}, 1.7e9, 7, 1},
		{"display name", "acc", Meta{DisplayName: "Accuracy"}, 1.7e9, 7, 1},
		{"description", "acc", Meta{DisplayName: "Accuracy", Description: long}, 1.7e9, 7, 1},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			v, err := ScalarValue(tt.tag, float64(tt.value), tt.meta)
			if err != nil {
				t.Fatal(err)
			}
			ev := &tbpb.Event{WallTime: tt.wall, Step: tt.step, What: &tbpb.Event_Summary{Summary: &tbpb.Summary{Value: []*tbpb.Summary_Value{v}}}}
			want, err := proto.MarshalOptions{Deterministic: true}.Marshal(ev)
			if err != nil {
				t.Fatal(err)
			}
			got := newScalarEncoder(tt.tag, tt.meta).appendEvent(nil, tt.wall, tt.step, tt.value)
			if !bytes.Equal(got, want) {
				t.Errorf("hand encoding differs from proto.Marshal\n got % x\nwant % x", got, want)
			}
		})
	}
}

// TestScalarGolden pins the bytes of the smallest modern scalar event: the
// value of reference §1.2.
func TestScalarGolden(t *testing.T) {
	got := newScalarEncoder("loss", Meta{}).appendEvent(nil, 1.6e9, 1, 0.5)
	want := []byte{
		0x09, 0x00, 0x00, 0x00, 0x00, 0x84, 0xd7, 0xd7, 0x41, // wall_time 1.6e9
		0x10, 0x01, // step 1
		0x2a, 0x23, // summary, 35 bytes
		0x0a, 0x21, // value, 33 bytes
		0x0a, 0x04, 'l', 'o', 's', 's', // tag
		0x4a, 0x0d, // metadata, 13 bytes
		0x0a, 0x09, 0x0a, 0x07, 's', 'c', 'a', 'l', 'a', 'r', 's', // plugin_data{plugin_name}
		0x20, 0x01, // data_class SCALAR
		0x42, 0x0a, // tensor, 10 bytes
		0x08, 0x01, // dtype DT_FLOAT
		0x12, 0x00, // empty shape: rank 0
		0x2a, 0x04, 0x00, 0x00, 0x00, 0x3f, // float_val [0.5]
	}
	if !bytes.Equal(got, want) {
		t.Errorf("got  % x\nwant % x", got, want)
	}
}
