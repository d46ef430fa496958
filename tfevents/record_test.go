package tfevents_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"math/bits"
	"strings"
	"testing"

	"github.com/tbgo/tbgo/proto/tbpb"
	"github.com/tbgo/tbgo/tfevents"
)

func TestMaskedCRC(t *testing.T) {
	t.Parallel()
	castagnoli := crc32.MakeTable(crc32.Castagnoli)

	// RFC 3720 B.4: the unmasked CRC-32C of 32 zero bytes. This pins the
	// polynomial; the masked vectors below pin the mask.
	if got, want := crc32.Checksum(make([]byte, 32), castagnoli), uint32(0x8a9136aa); got != want {
		t.Fatalf("crc32c(32 zero bytes) = %#08x, want %#08x", got, want)
	}

	tests := []struct {
		desc string
		in   string
		want uint32
	}{
		{
			desc: "TensorBoard's vector",
			in:   "\x1a\x11CRC test, one two",
			want: 0x5794d08a,
		},
		{
			desc: "empty input: crc 0, so only the mask delta remains",
			in:   "",
			want: 0xa282ead8,
		},
		{
			desc: "32 zero bytes: 0x8a9136aa rotated right by 15, plus the delta",
			in:   string(make([]byte, 32)),
			want: bits.RotateLeft32(0x8a9136aa, -15) + 0xa282ead8,
		},
		{
			desc: "length field of the golden first record (24)",
			in:   "\x18\x00\x00\x00\x00\x00\x00\x00",
			want: 0x224b7fa3,
		},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			t.Parallel()
			if got := tfevents.MaskedCRC([]byte(tc.in)); got != tc.want {
				t.Errorf("MaskedCRC(%q) = %#08x, want %#08x", tc.in, got, tc.want)
			}
		})
	}
}

// goldenFirstRecord is the first record of an event file written at
// 2020-09-10T17:39:46Z, byte for byte as TensorBoard's own tests have it.
var goldenFirstRecord = strings.Join([]string{
	"\x18\x00\x00\x00\x00\x00\x00\x00", // Length: 24, uint64 little-endian.
	"\xa3\x7f\x4b\x22",                 // Masked CRC-32C of the length: 0x224b7fa3.
	"\x09",                             // Event.wall_time: field 1, wire type 1 (fixed64).
	"\x00\x00\x80\x38\x99\xd6\xd7\x41", // 1599759586.0 as a little-endian float64.
	"\x1a\x0d",                         // Event.file_version: field 3, wire type 2, 13 bytes.
	"brain.Event:2",                    // The file version string.
	"\x12\x4b\x36\xab",                 // Masked CRC-32C of the 24 data bytes: 0xab364b12.
}, "")

// goldenLegacyScalar is a whole record holding one legacy scalar event,
// Event{wall_time: 1.6e9, step: 1, summary{value{tag: "loss", simple_value: 0.5}}}.
var goldenLegacyScalar = strings.Join([]string{
	"\x1a\x00\x00\x00\x00\x00\x00\x00", // Length: 26, uint64 little-endian.
	"\x12\x9b\xd8\x2d",                 // Masked CRC-32C of the length: 0x2dd89b12.
	"\x09",                             // Event.wall_time: field 1, fixed64.
	"\x00\x00\x00\x00\x84\xd7\xd7\x41", // 1.6e9 as a little-endian float64.
	"\x10\x01",                         // Event.step: field 2, varint, 1.
	"\x2a\x0d",                         // Event.summary: field 5, 13 bytes.
	"\x0a\x0b",                         // Summary.value: field 1, 11 bytes.
	"\x0a\x04loss",                     // Summary.Value.tag: field 1, 4 bytes, "loss".
	"\x15\x00\x00\x00\x3f",             // Summary.Value.simple_value: field 2, fixed32, 0.5.
	"\x08\x54\xd3\xfd",                 // Masked CRC-32C of the 26 data bytes: 0xfdd35408.
}, "")

func TestGoldenRecords(t *testing.T) {
	t.Parallel()
	tests := []struct {
		desc string
		ev   *tbpb.Event
		want string
	}{
		{
			desc: "first record",
			ev: &tbpb.Event{
				WallTime: 1599759586.0,
				What:     &tbpb.Event_FileVersion{FileVersion: "brain.Event:2"},
			},
			want: goldenFirstRecord,
		},
		{
			desc: "legacy scalar",
			ev: &tbpb.Event{
				WallTime: 1.6e9,
				Step:     1,
				What: &tbpb.Event_Summary{Summary: &tbpb.Summary{Value: []*tbpb.Summary_Value{{
					Tag:   "loss",
					Value: &tbpb.Summary_Value_SimpleValue{SimpleValue: 0.5},
				}}}},
			},
			want: goldenLegacyScalar,
		},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			t.Parallel()
			data := []byte(tc.want[12 : len(tc.want)-4])

			if got := tfevents.AppendRecord(nil, data); string(got) != tc.want {
				t.Errorf("AppendRecord:\ngot:  % x\nwant: % x", got, tc.want)
			}

			var buf bytes.Buffer
			w := tfevents.NewWriter(&buf)
			if err := w.WriteEvent(tc.ev); err != nil {
				t.Fatalf("WriteEvent: %v", err)
			}
			if err := w.Close(); err != nil {
				t.Fatalf("Close: %v", err)
			}
			if got := buf.String(); got != tc.want {
				t.Errorf("Writer.WriteEvent:\ngot:  % x\nwant: % x", got, tc.want)
			}
		})
	}
}

func TestAppendRecord(t *testing.T) {
	t.Parallel()
	tests := []struct {
		desc string
		size int
	}{
		{desc: "empty", size: 0},
		{desc: "one byte", size: 1},
		{desc: "64 KiB", size: 64 << 10},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			t.Parallel()
			data := bytes.Repeat([]byte{0xa5}, tc.size)
			prefix := []byte("keep")
			rec := tfevents.AppendRecord(prefix, data)
			if got, want := len(rec), len(prefix)+tfevents.RecordLen(tc.size); got != want {
				t.Fatalf("len(AppendRecord) = %d, want %d (prefix + RecordLen)", got, want)
			}
			if !bytes.Equal(rec[:4], []byte("keep")) {
				t.Errorf("AppendRecord changed dst's bytes: % x", rec[:4])
			}
			rec = rec[4:]
			if got := binary.LittleEndian.Uint64(rec); got != uint64(tc.size) {
				t.Errorf("length field = %d, want %d", got, tc.size)
			}
			if got, want := binary.LittleEndian.Uint32(rec[8:]), tfevents.MaskedCRC(rec[:8]); got != want {
				t.Errorf("length crc = %#08x, want %#08x", got, want)
			}
			if !bytes.Equal(rec[12:12+tc.size], data) {
				t.Errorf("data not copied verbatim")
			}
			if got, want := binary.LittleEndian.Uint32(rec[12+tc.size:]), tfevents.MaskedCRC(data); got != want {
				t.Errorf("data crc = %#08x, want %#08x", got, want)
			}
		})
	}
}

func TestAppendRecordAllocs(t *testing.T) {
	data := make([]byte, 1000)
	dst := make([]byte, 0, tfevents.RecordLen(len(data)))
	allocs := testing.AllocsPerRun(100, func() {
		dst = tfevents.AppendRecord(dst[:0], data)
	})
	if allocs != 0 {
		t.Errorf("AppendRecord into a dst with room: %v allocs per call, want 0", allocs)
	}
}

func TestCorruptError(t *testing.T) {
	t.Parallel()
	tests := []struct {
		desc string
		err  *tfevents.CorruptError
		want string
	}{
		{
			desc: "data crc with a file name",
			err:  &tfevents.CorruptError{Name: "events.out.tfevents.1", Offset: 4096, Checksum: tfevents.DataChecksum},
			want: "tfevents: events.out.tfevents.1: data crc mismatch at offset 4096",
		},
		{
			desc: "length crc without a name",
			err:  &tfevents.CorruptError{Offset: 0, Checksum: tfevents.LengthChecksum},
			want: "tfevents: length crc mismatch at offset 0",
		},
		{
			desc: "unknown checksum kind",
			err:  &tfevents.CorruptError{Offset: 7, Checksum: 9},
			want: "tfevents: Checksum(9) mismatch at offset 7",
		},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			t.Parallel()
			if got := tc.err.Error(); got != tc.want {
				t.Errorf("Error() = %q, want %q", got, tc.want)
			}
			if !errors.Is(tc.err, tfevents.ErrCorrupt) {
				t.Errorf("errors.Is(%v, ErrCorrupt) = false, want true", tc.err)
			}
			if errors.Is(tc.err, tfevents.ErrRecordTooLarge) {
				t.Errorf("errors.Is(%v, ErrRecordTooLarge) = true, want false", tc.err)
			}
		})
	}
}

// frame writes payloads with a Writer and returns the stream and the offset
// just past each record.
func frame(t testing.TB, payloads ...[]byte) (stream []byte, ends []int) {
	t.Helper()
	var buf bytes.Buffer
	w := tfevents.NewWriter(&buf)
	end := 0
	for _, p := range payloads {
		if err := w.WriteRecord(p); err != nil {
			t.Fatalf("WriteRecord: %v", err)
		}
		end += tfevents.RecordLen(len(p))
		ends = append(ends, end)
	}
	if err := w.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if buf.Len() != end {
		t.Fatalf("Writer wrote %d bytes for %d records, want %d", buf.Len(), len(payloads), end)
	}
	return buf.Bytes(), ends
}

// payload returns n deterministic bytes that differ with seed.
func payload(seed, n int) []byte {
	p := make([]byte, n)
	for i := range p {
		p[i] = byte(seed*31 + i*7)
	}
	return p
}
