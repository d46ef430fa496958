package tfevents_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"slices"
	"testing"
	"testing/iotest"

	"google.golang.org/protobuf/proto"

	"github.com/tbgo/tbgo/proto/tbpb"
	"github.com/tbgo/tbgo/tfevents"
)

// scalarStream returns an event file's bytes, a file_version event then
// scalar "x" at steps 0..n-1, and each record's offset.
func scalarStream(t testing.TB, n int) ([]byte, []int64) {
	t.Helper()
	evs := []*tbpb.Event{{WallTime: 1700000000, What: &tbpb.Event_FileVersion{FileVersion: tfevents.FileVersion}}}
	for step := range int64(n) {
		evs = append(evs, scalarEvent(step, "x", float32(step)))
	}
	stream := eventStream(t, evs...)
	var offs []int64
	s := tfevents.NewScanner(bytes.NewReader(stream))
	for s.Scan() {
		offs = append(offs, s.Offset())
	}
	return stream, offs
}

// steps scans an event stream that must be intact and returns the steps
// of its events, -1 for a file_version event.
func steps(t *testing.T, stream []byte) []int64 {
	t.Helper()
	recs, _, dmg, err := scanAll(tfevents.NewScanner(bytes.NewReader(stream)))
	if err != nil || len(dmg) > 0 {
		t.Fatalf("the repaired stream has damage %v, error %v", dmg, err)
	}
	var out []int64
	for _, r := range recs {
		var ev tbpb.Event
		if err := proto.Unmarshal(r, &ev); err != nil {
			t.Fatal(err)
		}
		if ev.GetFileVersion() != "" {
			out = append(out, -1)
		} else {
			out = append(out, ev.GetStep())
		}
	}
	return out
}

func TestRepair(t *testing.T) {
	t.Parallel()
	all := []int64{-1, 0, 1, 2, 3, 4, 5}
	for _, tc := range []struct {
		desc    string
		edit    func(b []byte, offs []int64) []byte
		steps   []int64
		kinds   []tfevents.DamageKind
		dropped int
		added   bool
	}{
		{"intact", func(b []byte, offs []int64) []byte { return b }, all, nil, 0, false},
		{"torn tail", func(b []byte, offs []int64) []byte { return b[:len(b)-2] }, all[:6], []tfevents.DamageKind{tfevents.TornTail}, 1, false},
		{"data crc", func(b []byte, offs []int64) []byte { b[offs[3]+14] ^= 1; return b },
			[]int64{-1, 0, 1, 3, 4, 5}, []tfevents.DamageKind{tfevents.BadDataChecksum}, 1, false},
		{"length crc", func(b []byte, offs []int64) []byte { b[offs[4]+1] ^= 1; return b },
			[]int64{-1, 0, 1, 2, 4, 5}, []tfevents.DamageKind{tfevents.BadLengthChecksum}, 1, false},
		{"first record lost", func(b []byte, offs []int64) []byte { b[2] ^= 1; return b },
			all, []tfevents.DamageKind{tfevents.BadLengthChecksum}, 1, true},
		{"garbage and a torn tail", func(b []byte, offs []int64) []byte {
			return append(slices.Concat(b[:offs[2]], []byte("garbage"), b[offs[2]:]), 1, 2, 3)
		}, all, []tfevents.DamageKind{tfevents.BadLengthChecksum, tfevents.TornTail}, 2, false},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			t.Parallel()
			stream, offs := scalarStream(t, 6)
			in := tc.edit(stream, offs)
			var out bytes.Buffer
			rep, err := tfevents.Repair(&out, iotest.HalfReader(bytes.NewReader(in)), &tfevents.RepairOptions{Name: "f"})
			if err != nil {
				t.Fatal(err)
			}
			want := tc.steps
			if tc.added {
				want = slices.Concat([]int64{-1}, want[1:])
			}
			if got := steps(t, out.Bytes()); !slices.Equal(got, want) {
				t.Errorf("repaired steps %v, want %v", got, want)
			}
			var kinds []tfevents.DamageKind
			for _, d := range rep.Damage.Listed {
				kinds = append(kinds, d.Kind)
				if d.File != "f" {
					t.Errorf("damage %v does not name the file", d)
				}
			}
			if !slices.Equal(kinds, tc.kinds) || rep.Dropped != tc.dropped || rep.AddedFileVersion != tc.added {
				t.Errorf("report %+v, want damage %v, %d dropped, file_version added %v", rep, tc.kinds, tc.dropped, tc.added)
			}
			if rep.BytesIn != int64(len(in)) || rep.BytesOut != int64(out.Len()) {
				t.Errorf("%d bytes in, %d out; want %d, %d", rep.BytesIn, rep.BytesOut, len(in), out.Len())
			}
			if len(tc.kinds) == 0 && !bytes.Equal(out.Bytes(), in) {
				t.Error("repairing an intact stream changed its bytes")
			}
		})
	}
}

// TestRepairCheck drops and rewrites records through Check.
func TestRepairCheck(t *testing.T) {
	t.Parallel()
	stream, _ := scalarStream(t, 4)
	rewritten := scalarEvent(100, "y", 1)
	check := func(rec []byte) ([]byte, *tfevents.Damage) {
		var ev tbpb.Event
		if err := proto.Unmarshal(rec, &ev); err != nil {
			t.Fatal(err)
		}
		switch ev.GetStep() {
		case 1:
			return nil, &tfevents.Damage{Kind: tfevents.NonFiniteWallTime, Err: errors.New("pretend")}
		case 2:
			b, _ := proto.Marshal(rewritten)
			return b, &tfevents.Damage{Kind: tfevents.InvalidValue, Count: 3, Err: errors.New("pretend")}
		case 3:
			return nil, nil
		}
		return rec, nil
	}
	var out bytes.Buffer
	rep, err := tfevents.Repair(&out, bytes.NewReader(stream), &tfevents.RepairOptions{Check: check})
	if err != nil {
		t.Fatal(err)
	}
	if got := steps(t, out.Bytes()); !slices.Equal(got, []int64{-1, 0, 100}) {
		t.Errorf("steps %v, want -1 0 100", got)
	}
	if rep.Records != 3 || rep.Rewritten != 1 || rep.Dropped != 2 || rep.Damage.Len() != 3 || rep.Damage.Corrupt() != 3 {
		t.Errorf("report %+v", rep)
	}
	if d := rep.Damage.Listed[1]; d.Kind != tfevents.InvalidValue || d.Bytes != 0 || d.Count != 3 {
		t.Errorf("a rewritten record's damage %+v, want no bytes dropped", d)
	}
	if d := rep.Damage.Listed[2]; d.Kind != tfevents.InvalidEvent || d.Bytes == 0 {
		t.Errorf("a record dropped without damage gives %+v, want an invalid event", d)
	}
}

// TestRepairEmptyRecord: an empty record is a valid (empty) Event; a
// Check that keeps it as it is, or rewrites a record to nothing, must not
// make Repair fail, and the empty record is kept, not counted rewritten.
func TestRepairEmptyRecord(t *testing.T) {
	t.Parallel()
	stream, _ := scalarStream(t, 2)
	stream = tfevents.AppendRecord(stream, nil)
	tests := []struct {
		desc      string
		check     func([]byte) ([]byte, *tfevents.Damage)
		rewritten int
	}{
		{desc: "kept as it is", check: func(rec []byte) ([]byte, *tfevents.Damage) { return rec, nil }},
		{desc: "rewritten empty", check: func(rec []byte) ([]byte, *tfevents.Damage) {
			if len(rec) == 0 {
				return rec, nil
			}
			return []byte{}, &tfevents.Damage{Kind: tfevents.InvalidValue, Err: errors.New("pretend")}
		}, rewritten: 3},
	}
	for _, tt := range tests {
		var out bytes.Buffer
		rep, err := tfevents.Repair(&out, bytes.NewReader(stream), &tfevents.RepairOptions{Check: tt.check})
		if err != nil {
			t.Fatalf("%s: %v", tt.desc, err)
		}
		if rep.Records != 4 || rep.Rewritten != tt.rewritten || rep.Dropped != 0 {
			t.Errorf("%s: report %+v, want 4 records, %d rewritten", tt.desc, rep, tt.rewritten)
		}
		recs, _, dmg, err := scanAll(tfevents.NewScanner(bytes.NewReader(out.Bytes())))
		if err != nil || len(dmg) > 0 || len(recs) != 4 || len(recs[3]) != 0 {
			t.Errorf("%s: %d records out, damage %v, error %v; want 4 ending with the empty one", tt.desc, len(recs), dmg, err)
		}
	}
}

func TestRepairErrors(t *testing.T) {
	t.Parallel()
	stream, _ := scalarStream(t, 4)
	boom := errors.New("boom")
	if _, err := tfevents.Repair(io.Discard, iotest.ErrReader(boom), nil); !errors.Is(err, boom) {
		t.Errorf("read error: %v", err)
	}
	if _, err := tfevents.Repair(failWriter{boom}, bytes.NewReader(stream), nil); !errors.Is(err, boom) {
		t.Errorf("write error: %v", err)
	}
}

type failWriter struct{ err error }

func (w failWriter) Write(p []byte) (int, error) { return 0, w.err }

func TestDamageLog(t *testing.T) {
	t.Parallel()
	var l tfevents.DamageLog
	for i := range tfevents.MaxLoggedDamage + 10 {
		l.Add(&tfevents.Damage{Offset: int64(i), Kind: tfevents.BadDataChecksum})
	}
	l.Add(&tfevents.Damage{Kind: tfevents.TornTail})
	if len(l.Listed) != tfevents.MaxLoggedDamage || l.Omitted != 11 || l.Len() != tfevents.MaxLoggedDamage+11 || l.Torn() != 1 || l.Corrupt() != tfevents.MaxLoggedDamage+10 {
		t.Errorf("log: %d listed, %d omitted, %d torn, %d corrupt", len(l.Listed), l.Omitted, l.Torn(), l.Corrupt())
	}
}

func TestDamageJSON(t *testing.T) {
	t.Parallel()
	d := &tfevents.Damage{File: "f", Offset: 12, Kind: tfevents.NonFiniteWallTime, Bytes: 30, Count: 2, Err: errors.New("wall time +Inf")}
	b, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	const want = `{"file":"f","offset":12,"kind":"non-finite wall time","bytes":30,"count":2,"detail":"wall time +Inf"}`
	if string(b) != want {
		t.Errorf("JSON %s, want %s", b, want)
	}
	var back tfevents.Damage
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if back.Error() != d.Error() {
		t.Errorf("round trip: %v, want %v", &back, d)
	}
	if err := json.Unmarshal([]byte(`{"kind":"bogus"}`), &back); err == nil {
		t.Error("an unknown kind decoded")
	}
}

// FuzzRepair repairs any input: the result scans without damage, and
// repairing it again changes nothing.
func FuzzRepair(f *testing.F) {
	stream, offs := scalarStream(f, 5)
	f.Add(stream)
	f.Add(stream[:len(stream)-3])
	bad := bytes.Clone(stream)
	bad[offs[2]+1] ^= 0x40
	f.Add(bad)
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, in []byte) {
		var out bytes.Buffer
		rep, err := tfevents.Repair(&out, bytes.NewReader(in), &tfevents.RepairOptions{MaxRecordLen: 1 << 16})
		if err != nil {
			t.Fatal(err)
		}
		if rep.BytesIn != int64(len(in)) {
			t.Fatalf("read %d bytes of %d", rep.BytesIn, len(in))
		}
		var again bytes.Buffer
		rep2, err := tfevents.Repair(&again, bytes.NewReader(out.Bytes()), nil)
		if err != nil || rep2.Damage.Len() != 0 || !bytes.Equal(again.Bytes(), out.Bytes()) {
			t.Fatalf("repairing the repaired stream: %v, damage %v, changed %v", err, rep2.Damage.Listed, !bytes.Equal(again.Bytes(), out.Bytes()))
		}
	})
}

// Repair an event file whose second record's data was damaged: the
// records around it are kept byte for byte.
func ExampleRepair() {
	var file bytes.Buffer
	w := tfevents.NewWriter(&file)
	for step := range int64(3) {
		if err := w.WriteEvent(scalarEvent(step, "loss", 0.5)); err != nil {
			log.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		log.Fatal(err)
	}
	damaged := file.Bytes()
	damaged[len(damaged)/2] ^= 0xff

	var repaired bytes.Buffer
	rep, err := tfevents.Repair(&repaired, bytes.NewReader(damaged), &tfevents.RepairOptions{Name: "events.out.tfevents.1"})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(rep.Records, "records kept,", rep.Dropped, "dropped")
	for _, d := range rep.Damage.Listed {
		fmt.Println(d)
	}
	fmt.Println(rep.BytesIn, "bytes in,", rep.BytesOut, "out")
	// Output:
	// 2 records kept, 1 dropped
	// tfevents: events.out.tfevents.1: offset 40: data crc: record data does not match its checksum (42 bytes skipped)
	// 124 bytes in, 82 out
}
