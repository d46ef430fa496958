package main

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/tbgo/tbgo/archive"
	"github.com/tbgo/tbgo/proto/tbpb"
	"github.com/tbgo/tbgo/summary"
	"github.com/tbgo/tbgo/tfevents"
)

// recordOffsets returns the offset of every record of an event file and
// the file's bytes.
func recordOffsets(t *testing.T, file string) ([]int64, []byte) {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var offs []int64
	r := tfevents.NewReader(bytes.NewReader(data))
	for {
		off := r.Offset()
		if _, err := r.Next(); err == io.EOF {
			return offs, data
		} else if err != nil {
			t.Fatal(err)
		}
		offs = append(offs, off)
	}
}

// framed frames data as one record.
func framed(data []byte) []byte { return tfevents.AppendRecord(nil, data) }

func marshalEvent(t *testing.T, ev *tbpb.Event) []byte {
	t.Helper()
	b, err := proto.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// A damageCase is an event file of scalars "x" at steps 0..9 (records 1
// to 10 after the file_version record 0), damaged by edit.
type damageCase struct {
	desc string
	// edit damages the file, given its bytes and record offsets.
	edit func(t *testing.T, b []byte, offs []int64) []byte
	// kinds are the damage kinds verify reports, in order.
	kinds []string
	// steps are the steps a repaired file holds.
	steps []int64
	// addsVersion says repair must write a new file_version event.
	addsVersion bool
}

func stepRange(from, to int64, except ...int64) []int64 {
	var s []int64
	for i := from; i < to; i++ {
		if !slices.Contains(except, i) {
			s = append(s, i)
		}
	}
	return s
}

var damageCases = []damageCase{
	{"intact", func(t *testing.T, b []byte, offs []int64) []byte { return b }, nil, stepRange(0, 10), false},
	{"torn tail", func(t *testing.T, b []byte, offs []int64) []byte { return b[:len(b)-3] }, []string{damageTorn}, stepRange(0, 9), false},
	{"torn header", func(t *testing.T, b []byte, offs []int64) []byte { return append(b, 7, 0, 0, 0) }, []string{damageTorn}, stepRange(0, 10), false},
	{"data crc", func(t *testing.T, b []byte, offs []int64) []byte {
		b[offs[4]+14] ^= 0x55 // inside step 3's data
		return b
	}, []string{damageDataCRC}, stepRange(0, 10, 3), false},
	{"length crc", func(t *testing.T, b []byte, offs []int64) []byte {
		b[offs[6]+1] ^= 0x01 // step 5's length
		return b
	}, []string{damageLengthCRC}, stepRange(0, 10, 5), false},
	{"garbage inserted", func(t *testing.T, b []byte, offs []int64) []byte {
		return slices.Concat(b[:offs[2]], bytes.Repeat([]byte{0xde, 0xad}, 1000), b[offs[2]:])
	}, []string{damageLengthCRC}, stepRange(0, 10), false},
	{"length near 2^64", func(t *testing.T, b []byte, offs []int64) []byte {
		h := binary.LittleEndian.AppendUint64(nil, math.MaxUint64-3)
		h = binary.LittleEndian.AppendUint32(h, tfevents.MaskedCRC(h))
		return slices.Concat(b[:offs[8]], h, b[offs[8]:])
	}, []string{damageTooLarge}, stepRange(0, 10), false},
	{"first record lost", func(t *testing.T, b []byte, offs []int64) []byte {
		b[3] ^= 0x10
		return b
	}, []string{damageLengthCRC}, stepRange(0, 10), true},
	{"two damages", func(t *testing.T, b []byte, offs []int64) []byte {
		b[offs[2]+2] ^= 0x01
		b[offs[9]+20] ^= 0x01
		return b[:len(b)-1]
	}, []string{damageLengthCRC, damageDataCRC, damageTorn}, stepRange(0, 10, 1, 8, 9), false},
	{"not an event", func(t *testing.T, b []byte, offs []int64) []byte {
		return slices.Concat(b[:offs[3]], framed([]byte{0xff, 0xff, 0xff}), b[offs[3]:])
	}, []string{damageEvent}, stepRange(0, 10), false},
	{"nan wall time", func(t *testing.T, b []byte, offs []int64) []byte {
		nan := marshalEvent(t, &tbpb.Event{WallTime: math.NaN(), Step: 100, What: &tbpb.Event_Summary{Summary: &tbpb.Summary{
			Value: []*tbpb.Summary_Value{{Tag: "x", Value: &tbpb.Summary_Value_SimpleValue{SimpleValue: 1}}}}}})
		return append(b, framed(nan)...)
	}, []string{damageNaNWall}, stepRange(0, 10), false},
}

// damagedFile writes the damage case's event file into a new run
// directory and returns its path.
func (dc damageCase) write(t *testing.T) string {
	t.Helper()
	file := writeRun(t, filepath.Join(t.TempDir(), "run"), stepRange(0, 10)...)
	offs, data := recordOffsets(t, file)
	if len(offs) != 11 {
		t.Fatalf("%d records, want 11", len(offs))
	}
	if err := os.WriteFile(file, dc.edit(t, data, offs), 0o644); err != nil {
		t.Fatal(err)
	}
	return file
}

func verifyJSON(t *testing.T, args ...string) ([]verifyReport, error) {
	t.Helper()
	out, _, err := runTool(t, append([]string{"verify", "-json"}, args...)...)
	var reps []verifyReport
	if jerr := json.Unmarshal([]byte(out), &reps); jerr != nil {
		t.Fatalf("verify -json printed %q: %v (run error %v)", out, jerr, err)
	}
	return reps, err
}

func TestVerifyDamage(t *testing.T) {
	t.Parallel()
	for _, dc := range damageCases {
		t.Run(dc.desc, func(t *testing.T) {
			t.Parallel()
			file := dc.write(t)
			reps, err := verifyJSON(t, file)
			var kinds []string
			for _, f := range reps[0].Files {
				for _, d := range f.Problems {
					kinds = append(kinds, d.Kind)
				}
			}
			if !slices.Equal(kinds, dc.kinds) {
				t.Errorf("problems %v, want %v", kinds, dc.kinds)
			}
			onlyTorn := !slices.ContainsFunc(dc.kinds, func(k string) bool { return k != damageTorn })
			if (err == nil) != onlyTorn || reps[0].OK != onlyTorn {
				t.Errorf("verify: error %v, ok %v; want success only when nothing but a torn tail is found", err, reps[0].OK)
			}
			_, strictErr := verifyJSON(t, "-strict", file)
			if (strictErr == nil) != (len(dc.kinds) == 0) {
				t.Errorf("verify -strict: %v; want success only for an intact file", strictErr)
			}
		})
	}
}

// TestVerifyOffsets checks the offsets verify reports against the damage.
func TestVerifyOffsets(t *testing.T) {
	t.Parallel()
	file := writeRun(t, filepath.Join(t.TempDir(), "run"), stepRange(0, 10)...)
	offs, data := recordOffsets(t, file)
	data[offs[6]+1] ^= 0x01 // length crc of step 5
	data[offs[8]+20] ^= 0x01
	mustNil(t, os.WriteFile(file, data[:len(data)-2], 0o644))
	reps, _ := verifyJSON(t, file)
	got := reps[0].Files[0].Problems
	want := []damage{
		{Offset: offs[6], Kind: damageLengthCRC, Bytes: offs[7] - offs[6]},
		{Offset: offs[8], Kind: damageDataCRC, Bytes: offs[9] - offs[8]},
		{Offset: offs[10], Kind: damageTorn, Bytes: int64(len(data)) - 2 - offs[10]},
	}
	if len(got) != len(want) {
		t.Fatalf("problems %+v, want %+v", got, want)
	}
	for i, w := range want {
		if g := got[i]; g.Offset != w.Offset || g.Kind != w.Kind || g.Bytes != w.Bytes {
			t.Errorf("problem %d: %+v, want offset %d, kind %s, %d bytes", i, g, w.Offset, w.Kind, w.Bytes)
		}
	}
	if r := reps[0].Files[0].Records; r != 8 {
		t.Errorf("%d valid records counted, want 8 (11 less 2 damaged and a torn one)", r)
	}
	text, _, _ := runTool(t, "verify", file)
	for _, s := range []string{"DAMAGED", "TORN", "length crc", "NOT INTACT: 2 corrupt, 1 torn tail(s)"} {
		if !strings.Contains(text, s) {
			t.Errorf("text report lacks %q:\n%s", s, text)
		}
	}
}

// TestVerifyInvalidValue verifies a record whose event decodes but whose
// image value has no data.
func TestVerifyInvalidValue(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "run")
	w, err := tfevents.CreateFile(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	v := &tbpb.Summary_Value{Tag: "img", Metadata: &tbpb.SummaryMetadata{PluginData: &tbpb.SummaryMetadata_PluginData{PluginName: summary.PluginImages}}}
	mustNil(t, w.WriteEvent(&tbpb.Event{WallTime: 1, What: &tbpb.Event_Summary{Summary: &tbpb.Summary{Value: []*tbpb.Summary_Value{v}}}}))
	mustNil(t, w.Close())
	reps, err := verifyJSON(t, dir)
	if err == nil || reps[0].Corrupt != 1 || reps[0].Files[0].Problems[0].Kind != damageValue {
		t.Errorf("verify = %+v, %v; want one invalid value", reps[0], err)
	}
}

func TestVerifyArchive(t *testing.T) {
	t.Parallel()
	tmp := t.TempDir()
	logdir := filepath.Join(tmp, "logdir")
	writeRun(t, filepath.Join(logdir, "a"), stepRange(0, 100)...)
	writeRun(t, filepath.Join(logdir, "b"), stepRange(0, 100)...)
	mustNil(t, os.WriteFile(filepath.Join(logdir, "projector_config.pbtxt"), bytes.Repeat([]byte("embeddings {}\n"), 50), 0o644))
	arc := filepath.Join(tmp, "a.tbar")
	if _, err := archive.CreateFile(arc, logdir, archive.Options{}); err != nil {
		t.Fatal(err)
	}
	reps, err := verifyJSON(t, arc)
	if err != nil || !reps[0].Archive || reps[0].Records != 2*101 || len(reps[0].Files) != 3 {
		t.Fatalf("verify of an intact archive: %+v, %v", reps[0], err)
	}

	// Damage the stored bytes of each file in turn: verify names the file
	// and fails.
	r, err := archive.Open(arc)
	if err != nil {
		t.Fatal(err)
	}
	entries := slices.Collect(r.Entries())
	r.Close()
	data, err := os.ReadFile(arc)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		bad := bytes.Clone(data)
		bad[e.Offset+e.Stored-1] ^= 0x01 // inside the file's last chunk
		damaged := filepath.Join(t.TempDir(), "damaged.tbar")
		mustNil(t, os.WriteFile(damaged, bad, 0o644))
		reps, err := verifyJSON(t, damaged)
		if err == nil {
			t.Errorf("%s: verify passed a damaged archive", e.Path)
			continue
		}
		found := false
		for _, f := range reps[0].Files {
			found = found || f.Path == e.Path && len(f.Problems) > 0 && strings.Contains(f.Problems[len(f.Problems)-1].Detail, "corrupt archive")
		}
		if !found {
			t.Errorf("%s: no problem reported for the damaged file: %+v", e.Path, reps[0].Files)
		}
	}
}

func TestVerifyErrors(t *testing.T) {
	t.Parallel()
	tmp := t.TempDir()
	text := filepath.Join(tmp, "notes.txt")
	mustNil(t, os.WriteFile(text, []byte("hello"), 0o644))
	empty := filepath.Join(tmp, "empty")
	mustNil(t, os.Mkdir(empty, 0o755))
	tests := []struct {
		desc string
		args []string
		want error  // nil: any error
		msg  string // part of the message
	}{
		{"no path", nil, errUsage, "at least one"},
		{"missing", []string{filepath.Join(tmp, "missing")}, os.ErrNotExist, "no such file"},
		{"unknown format", []string{text}, nil, "not a logdir, an event file"},
		{"no event files", []string{empty}, tfevents.ErrNoEventFiles, "no event files"},
	}
	for _, tt := range tests {
		_, _, err := runTool(t, append([]string{"verify"}, tt.args...)...)
		if err == nil || (tt.want != nil && !errors.Is(err, tt.want)) || !strings.Contains(err.Error(), tt.msg) {
			t.Errorf("%s: verify = %v, want an error saying %q", tt.desc, err, tt.msg)
		}
	}
}

func mustNil(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
