package archive_test

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"io"
	"io/fs"
	"math"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/tbgo/tbgo/archive"
	"github.com/tbgo/tbgo/internal/hostile"
	"github.com/tbgo/tbgo/proto/tbpb"
	"github.com/tbgo/tbgo/summary"
	"github.com/tbgo/tbgo/tfevents"
)

// records returns the records of an event file in fsys, read with a
// tfevents.Scanner, and its torn tail; any other damage fails the test.
func records(t testing.TB, fsys fs.FS, name string) (recs [][]byte, tail []byte) {
	t.Helper()
	recs, damage, data := scanFile(t, fsys, name)
	for _, d := range damage {
		if !d.Torn() {
			t.Fatalf("%s: %v", name, &d)
		}
		tail = data[d.Offset:]
	}
	return recs, tail
}

// scanFile returns the records of an event file in fsys, the damage a
// tfevents.Scanner reads past, and the file's bytes.
func scanFile(t testing.TB, fsys fs.FS, name string) (recs [][]byte, damage []tfevents.Damage, data []byte) {
	t.Helper()
	data, err := fs.ReadFile(fsys, name)
	if err != nil {
		t.Fatal(err)
	}
	sc := tfevents.NewScanner(bytes.NewReader(data))
	sc.Name = name
	sc.Damaged = func(d *tfevents.Damage) error {
		damage = append(damage, *d)
		return nil
	}
	for sc.Scan() {
		recs = append(recs, bytes.Clone(sc.Record()))
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return recs, damage, data
}

// series decodes every value of the event files of run in fsys and
// returns the steps of each tag and the kind of its values.
func series(t testing.TB, fsys fs.FS, run string) (steps map[string][]int64, kinds map[string]summary.Kind) {
	t.Helper()
	steps, kinds = map[string][]int64{}, map[string]summary.Kind{}
	entries, err := fs.ReadDir(fsys, run)
	if err != nil {
		t.Fatal(err)
	}
	dec := summary.NewDecoder()
	for _, e := range entries {
		if !tfevents.IsEventFile(e.Name()) {
			continue
		}
		recs, _ := records(t, fsys, path.Join(run, e.Name()))
		for _, rec := range recs {
			vals, err := dec.Record(nil, rec)
			if err != nil {
				t.Fatal(err)
			}
			for _, v := range vals {
				steps[v.Tag] = append(steps[v.Tag], v.Step)
				if k, ok := kinds[v.Tag]; ok && k != v.Kind {
					t.Errorf("%s/%s: kind %v after %v", run, v.Tag, v.Kind, k)
				}
				kinds[v.Tag] = v.Kind
			}
		}
	}
	return steps, kinds
}

func stepRange(from, to, by int64, extra ...int64) []int64 {
	var s []int64
	for i := from; i < to; i += by {
		s = append(s, i)
	}
	return append(s, extra...)
}

func TestCompaction(t *testing.T) {
	t.Parallel()
	tmp := t.TempDir()
	logdir := filepath.Join(tmp, "logdir")
	writeLogdir(t, logdir, smallLogdir)
	arc := filepath.Join(tmp, "out.tbar")
	c := archive.Compaction{KeepImages: 3, KeepAudio: 2, ScalarFactor: 10}
	rep, err := archive.CreateFile(arc, logdir, archive.Options{Compaction: c})
	if err != nil {
		t.Fatal(err)
	}
	r, err := archive.Open(arc)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if got := r.Compaction(); got == nil || *got != c {
		t.Errorf("archive records compaction %+v, want %+v", got, c)
	}

	steps, kinds := series(t, r, "train")
	want := map[string][]int64{
		"loss":  stepRange(0, 100, 10, 99),
		"lr":    stepRange(0, 100, 10, 99),
		"img":   {7, 8, 9},
		"clip":  {3, 4},
		"notes": {0},
	}
	for tag, w := range want {
		if !slices.Equal(steps[tag], w) {
			t.Errorf("train/%s: steps %v, want %v", tag, steps[tag], w)
		}
	}
	wantKinds := map[string]summary.Kind{"loss": summary.KindScalar, "img": summary.KindImage, "clip": summary.KindAudio, "notes": summary.KindText}
	for tag, k := range wantKinds {
		if kinds[tag] != k {
			t.Errorf("train/%s decodes as %v, want %v", tag, kinds[tag], k)
		}
	}
	evalSteps, _ := series(t, r, "eval")
	if w := []int64{0, 90}; !slices.Equal(evalSteps["acc"], w) {
		t.Errorf("eval/acc: steps %v, want %v", evalSteps["acc"], w)
	}

	cr := rep.Compaction
	if cr == nil {
		t.Fatal("no compaction report")
	}
	if cr.ScalarsDropped != 2*89+8 || cr.ImagesDropped != 7 || cr.AudioDropped != 3 {
		t.Errorf("dropped %d scalars, %d images, %d audio; want 186, 7, 3", cr.ScalarsDropped, cr.ImagesDropped, cr.AudioDropped)
	}
	wantTags := []archive.TagDrop{
		{Run: "eval", Tag: "acc", Kind: summary.KindScalar, Kept: 2, Dropped: 8},
		{Run: "train", Tag: "clip", Kind: summary.KindAudio, Kept: 2, Dropped: 3},
		{Run: "train", Tag: "img", Kind: summary.KindImage, Kept: 3, Dropped: 7},
		{Run: "train", Tag: "loss", Kind: summary.KindScalar, Kept: 11, Dropped: 89},
		{Run: "train", Tag: "lr", Kind: summary.KindScalar, Kept: 11, Dropped: 89},
	}
	if !slices.Equal(cr.Tags, wantTags) {
		t.Errorf("report tags\n%+v\nwant\n%+v", cr.Tags, wantTags)
	}
	if len(cr.Files) != 2 || len(cr.Damage) != 0 {
		t.Errorf("report files %+v, damage %+v; want 2 files, no damage", cr.Files, cr.Damage)
	}

	// Kept records are the original bytes, in order: tbgo's writer puts
	// metadata on every value, so no kept value needs any added.
	for e := range r.Entries() {
		if !strings.Contains(e.Path, "tfevents") {
			continue
		}
		orig, _ := records(t, os.DirFS(logdir), e.Path)
		got, _ := records(t, r, e.Path)
		rewritten := 0
		i := 0
		for _, rec := range got {
			for i < len(orig) && !bytes.Equal(orig[i], rec) {
				i++
			}
			if i == len(orig) {
				rewritten++
				i = 0
			}
		}
		if rewritten != 0 {
			t.Errorf("%s: %d records are not original bytes", e.Path, rewritten)
		}
		if !bytes.Equal(got[0], orig[0]) {
			t.Errorf("%s: the file_version record changed", e.Path)
		}
		data, _ := os.ReadFile(filepath.Join(logdir, e.Path))
		if !e.Compacted || e.OriginalSize != int64(len(data)) || e.OriginalSHA256 != sha256.Sum256(data) {
			t.Errorf("%s: entry %+v does not describe the original (%d bytes)", e.Path, e, len(data))
		}
	}
	// Files that are not event files are kept byte for byte.
	for _, name := range []string{"projector_config.pbtxt", "train/assets/metadata.tsv"} {
		want, _ := os.ReadFile(filepath.Join(logdir, name))
		got, err := fs.ReadFile(r, name)
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s: %q, %v; want %q", name, got, err, want)
		}
	}
}

// TestCompactionMetadata compacts a file written as TensorFlow and
// tensorboardX write, with metadata on the first value of each series
// only: when compaction drops that value, the first value it keeps gains
// the metadata, without which it would not decode as an image.
func TestCompactionMetadata(t *testing.T) {
	t.Parallel()
	tmp := t.TempDir()
	logdir := filepath.Join(tmp, "logdir")
	w, err := tfevents.CreateFile(logdir, &tfevents.FileOptions{Hostname: "h"})
	if err != nil {
		t.Fatal(err)
	}
	png := []byte("\x89PNG not really")
	for step := range int64(10) {
		img, err := summary.ImageValue("img", 1, 1, [][]byte{png}, summary.Meta{DisplayName: "picture"})
		must(t, err)
		sc, err := summary.ScalarValue("s", float64(step), summary.Meta{})
		must(t, err)
		if step > 0 {
			img.Metadata, sc.Metadata = nil, nil
		}
		ev := &tbpb.Event{WallTime: 1e9, Step: step, What: &tbpb.Event_Summary{Summary: &tbpb.Summary{Value: []*tbpb.Summary_Value{img, sc}}}}
		must(t, w.WriteEvent(ev))
	}
	must(t, w.Close())
	var out bytes.Buffer
	rep, err := archive.Create(&out, logdir, archive.Options{Compaction: archive.Compaction{KeepImages: 3, ScalarFactor: 3}})
	if err != nil {
		t.Fatal(err)
	}
	r, err := archive.NewReader(bytes.NewReader(out.Bytes()), int64(out.Len()))
	if err != nil {
		t.Fatal(err)
	}
	steps, kinds := series(t, r, ".")
	if w := []int64{7, 8, 9}; !slices.Equal(steps["img"], w) || kinds["img"] != summary.KindImage {
		t.Errorf("img: steps %v of kind %v, want %v of images", steps["img"], kinds["img"], w)
	}
	if w := []int64{0, 3, 6, 9}; !slices.Equal(steps["s"], w) || kinds["s"] != summary.KindScalar {
		t.Errorf("s: steps %v of kind %v, want %v of scalars", steps["s"], kinds["s"], w)
	}
	dec := summary.NewDecoder()
	recs, _ := records(t, r, path.Base(w.FileName()))
	for _, rec := range recs {
		vals, _ := dec.Record(nil, rec)
		for _, v := range vals {
			if v.Tag == "img" && v.Step == 7 && v.Meta.DisplayName != "picture" {
				t.Errorf("the first kept image has display name %q, want the series' %q", v.Meta.DisplayName, "picture")
			}
		}
	}
	// Steps 1, 2, 4 and 5 lose both values; 0, 3 and 6 their image; 7
	// and 8 their scalar (and 7's image gains metadata); 9 keeps both.
	f := rep.Compaction.Files
	if len(f) != 1 || f[0].EventsDropped != 4 || f[0].EventsRewritten != 5 {
		t.Errorf("compacted files %+v, want 4 events dropped and 5 rewritten", f)
	}
}

// legacyEvent is a tensorboardX-style event with two values: a legacy
// simple_value scalar and a legacy histogram.
func legacyEvent(step int64) *tbpb.Event {
	return &tbpb.Event{WallTime: 1e9 + float64(step), Step: step, What: &tbpb.Event_Summary{Summary: &tbpb.Summary{Value: []*tbpb.Summary_Value{
		{Tag: "a", Value: &tbpb.Summary_Value_SimpleValue{SimpleValue: float32(step)}},
		{Tag: "h", Value: &tbpb.Summary_Value_Histo{Histo: &tbpb.HistogramProto{Min: 0, Max: 1, Num: 1, BucketLimit: []float64{1}, Bucket: []float64{1}}}},
	}}}}
}

// TestCompactionLegacyMultiValue thins a scalar that shares its events
// with a histogram: the events at dropped steps are rewritten with the
// histogram alone, every other field as it was.
func TestCompactionLegacyMultiValue(t *testing.T) {
	t.Parallel()
	tmp := t.TempDir()
	logdir := filepath.Join(tmp, "logdir")
	w, err := tfevents.CreateFile(logdir, &tfevents.FileOptions{Hostname: "h"})
	if err != nil {
		t.Fatal(err)
	}
	for step := range int64(10) {
		must(t, w.WriteEvent(legacyEvent(step)))
	}
	must(t, w.Close())
	var out bytes.Buffer
	rep, err := archive.Create(&out, logdir, archive.Options{Compaction: archive.Compaction{ScalarFactor: 4}})
	if err != nil {
		t.Fatal(err)
	}
	r, err := archive.NewReader(bytes.NewReader(out.Bytes()), int64(out.Len()))
	if err != nil {
		t.Fatal(err)
	}
	name := path.Base(w.FileName())
	recs, _ := records(t, r, name)
	if len(recs) != 11 {
		t.Fatalf("%d records, want the file_version and 10 events", len(recs))
	}
	for i, rec := range recs[1:] {
		step := int64(i)
		want := legacyEvent(step)
		if step%4 != 0 && step != 9 {
			want.GetSummary().Value = want.GetSummary().Value[1:]
		}
		var got tbpb.Event
		if err := proto.Unmarshal(rec, &got); err != nil || !proto.Equal(&got, want) {
			t.Errorf("step %d: event %v (%v), want %v", step, &got, err, want)
		}
	}
	f := rep.Compaction.Files
	if len(f) != 1 || f[0].EventsRewritten != 6 || f[0].EventsDropped != 0 {
		t.Errorf("compacted files %+v, want one with 6 events rewritten", f)
	}
}

// TestCompactionDamagedFiles shows that compaction reads past damage as
// every tbgo reader does: the records around it are compacted, the damaged
// bytes are kept as they were, where they were, and reported; a torn tail
// survives as it was. With Strict, damage fails Create instead.
func TestCompactionDamagedFiles(t *testing.T) {
	t.Parallel()
	tmp := t.TempDir()
	logdir := filepath.Join(tmp, "logdir")
	write := func(run string) string {
		w, err := summary.NewWriter(filepath.Join(logdir, run), &summary.Options{Now: fixedClock()})
		if err != nil {
			t.Fatal(err)
		}
		for step := range int64(20) {
			must(t, w.Scalar("x", step, float64(step)))
		}
		must(t, w.Close())
		return w.FileName()
	}
	dataCRC, lengthCRC, torn := write("data-crc"), write("length-crc"), write("torn")
	// Flip a byte of step 9's record (the 11th: file_version and steps
	// 0 to 8 come before it), at offset at within the record.
	damage := func(name string, at int) {
		recs, _, data := scanFile(t, os.DirFS(filepath.Dir(name)), filepath.Base(name))
		for _, r := range recs[:10] {
			at += tfevents.RecordLen(len(r))
		}
		data[at] ^= 0xff
		must(t, os.WriteFile(name, data, 0o644))
	}
	damage(dataCRC, 14)  // in the data
	damage(lengthCRC, 2) // in the length field
	tornData, err := os.ReadFile(torn)
	if err != nil {
		t.Fatal(err)
	}
	tornData = append(tornData, 1, 0, 0) // the start of a header
	must(t, os.WriteFile(torn, tornData, 0o644))

	var out bytes.Buffer
	rep, err := archive.Create(&out, logdir, archive.Options{Compaction: archive.Compaction{ScalarFactor: 2}})
	if err != nil {
		t.Fatal(err)
	}
	r, err := archive.NewReader(bytes.NewReader(out.Bytes()), int64(out.Len()))
	if err != nil {
		t.Fatal(err)
	}
	cr := rep.Compaction
	for i, tc := range []struct {
		name string
		kind tfevents.DamageKind
	}{
		{"data-crc/" + filepath.Base(dataCRC), tfevents.BadDataChecksum},
		{"length-crc/" + filepath.Base(lengthCRC), tfevents.BadLengthChecksum},
	} {
		if len(cr.Damage) != 2 || cr.Damage[i].File != tc.name || cr.Damage[i].Kind != tc.kind {
			t.Fatalf("damage reported %v, want %s in %s", cr.Damage, tc.kind, tc.name)
		}
		orig, err := os.ReadFile(filepath.Join(logdir, tc.name))
		if err != nil {
			t.Fatal(err)
		}
		want := cr.Damage[i]
		wantBytes := orig[want.Offset : want.Offset+want.Bytes]
		// In the archive: the damage kept whole, read past as in the
		// original, and every other one of the 19 readable scalars.
		recs, got, data := scanFile(t, r, tc.name)
		if len(got) != 1 || got[0].Kind != tc.kind || got[0].Bytes != want.Bytes {
			t.Errorf("%s: damage in the archive %v, want %v", tc.name, got, &want)
			continue
		}
		if !bytes.Equal(data[got[0].Offset:got[0].Offset+got[0].Bytes], wantBytes) {
			t.Errorf("%s: the damaged bytes were not kept as they were", tc.name)
		}
		if len(recs) != 1+10 { // file_version, steps 0, 2, 4, 6, 8, 11, 13, ..., 19
			t.Errorf("%s: %d records in the compacted file, want 11", tc.name, len(recs))
		}
	}
	recs, tail := records(t, r, "torn/"+filepath.Base(torn))
	if !bytes.Equal(tail, []byte{1, 0, 0}) {
		t.Errorf("torn tail %v, want [1 0 0]", tail)
	}
	if len(recs) != 1+11 { // file_version, steps 0, 2, ..., 18 and 19
		t.Errorf("%d records in the compacted torn file, want 12", len(recs))
	}

	_, err = archive.Create(io.Discard, logdir, archive.Options{Compaction: archive.Compaction{ScalarFactor: 2}, Strict: true})
	var d *tfevents.Damage
	if !errors.As(err, &d) || d.Kind != tfevents.BadDataChecksum || !errors.Is(err, tfevents.ErrCorrupt) {
		t.Errorf("strict Create = %v, want the data crc damage", err)
	}
}

// TestCompactionSettings checks which settings turn compaction on.
func TestCompactionSettings(t *testing.T) {
	t.Parallel()
	tests := []struct {
		desc string
		c    archive.Compaction
		zero bool
	}{
		{"zero", archive.Compaction{}, true},
		{"factor 1 keeps everything", archive.Compaction{ScalarFactor: 1}, true},
		{"negative counts keep everything", archive.Compaction{KeepImages: -1, KeepAudio: -3}, true},
		{"factor 2", archive.Compaction{ScalarFactor: 2}, false},
		{"keep one image", archive.Compaction{KeepImages: 1}, false},
		{"keep one clip", archive.Compaction{KeepAudio: 1}, false},
	}
	for _, tt := range tests {
		if got := tt.c.IsZero(); got != tt.zero {
			t.Errorf("%s: IsZero = %v, want %v", tt.desc, got, tt.zero)
		}
	}
}

// TestCreateErrors covers logdirs Create refuses, and shows CreateFile
// leaves nothing behind.
func TestCreateErrors(t *testing.T) {
	t.Parallel()
	tmp := t.TempDir()
	file := filepath.Join(tmp, "file")
	must(t, os.WriteFile(file, []byte("x"), 0o644))
	tests := []struct {
		desc   string
		logdir string
		want   error
	}{
		{"missing", filepath.Join(tmp, "missing"), fs.ErrNotExist},
		{"a file", file, nil},
		{"empty", t.TempDir(), tfevents.ErrNoEventFiles},
	}
	for _, tt := range tests {
		out := filepath.Join(t.TempDir(), "out.tbar")
		_, err := archive.CreateFile(out, tt.logdir, archive.Options{})
		if err == nil || (tt.want != nil && !errors.Is(err, tt.want)) {
			t.Errorf("%s: CreateFile = %v, want an error wrapping %v", tt.desc, err, tt.want)
		}
		if entries, _ := os.ReadDir(filepath.Dir(out)); len(entries) != 0 {
			t.Errorf("%s: CreateFile left %v behind", tt.desc, entries)
		}
	}
	if _, err := archive.CreateFile(filepath.Join(tmp, "no", "such", "dir.tbar"), tmp, archive.Options{}); err == nil {
		t.Error("CreateFile into a missing directory succeeded")
	}
}

// TestCompactionSkipsWhatReadersSkip shows that compaction counts the
// values readers read: an event whose wall time is not finite and a
// record that is not an Event are read past (kept as they were, reported
// as damage, not counted), so that "every second scalar" means what a
// reader sees.
func TestCompactionSkipsWhatReadersSkip(t *testing.T) {
	t.Parallel()
	logdir := t.TempDir()
	nan := hostile.Event(&tbpb.Event{WallTime: math.NaN(), Step: 2, What: &tbpb.Event_Summary{Summary: &tbpb.Summary{
		Value: []*tbpb.Summary_Value{{Tag: "x", Value: &tbpb.Summary_Value_SimpleValue{SimpleValue: 2}}},
	}}})
	notEvent := []byte{0xff, 0xff} // a tag whose varint never ends
	name := hostile.EventFile(t, filepath.Join(logdir, "run"),
		hostile.Scalar("x", 0, 0), hostile.Scalar("x", 1, 1), nan, hostile.Scalar("x", 3, 3),
		notEvent, hostile.Scalar("x", 4, 4), hostile.Scalar("x", 5, 5))

	var out bytes.Buffer
	rep, err := archive.Create(&out, logdir, archive.Options{Compaction: archive.Compaction{ScalarFactor: 2}})
	if err != nil {
		t.Fatal(err)
	}
	cr := rep.Compaction
	if len(cr.Damage) != 2 || cr.Damage[0].Kind != tfevents.NonFiniteWallTime || cr.Damage[1].Kind != tfevents.InvalidEvent {
		t.Fatalf("damage %v, want a non-finite wall time and an invalid event", cr.Damage)
	}
	// Five scalars read: steps 0, 1, 3, 4, 5; every second and the last
	// kept.
	if cr.ScalarsDropped != 2 {
		t.Errorf("%d scalars dropped, want 2 (steps 1 and 4)", cr.ScalarsDropped)
	}
	r, err := archive.NewReader(bytes.NewReader(out.Bytes()), int64(out.Len()))
	if err != nil {
		t.Fatal(err)
	}
	recs, _ := records(t, r, "run/"+filepath.Base(name))
	want := [][]byte{hostile.Scalar("x", 0, 0), nan, hostile.Scalar("x", 3, 3), notEvent, hostile.Scalar("x", 5, 5)}
	if len(recs) != 1+len(want) {
		t.Fatalf("%d records, want %d", len(recs), 1+len(want))
	}
	for i, w := range want {
		if !bytes.Equal(recs[1+i], w) {
			t.Errorf("record %d differs from the original", 1+i)
		}
	}
	_, err = archive.Create(io.Discard, logdir, archive.Options{Compaction: archive.Compaction{ScalarFactor: 2}, Strict: true})
	if !errors.Is(err, tfevents.ErrNonFiniteWallTime) {
		t.Errorf("strict Create = %v, want the non-finite wall time", err)
	}
}
