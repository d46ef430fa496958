package summary

import (
	"bytes"
	"errors"
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"gonum.org/v1/gonum/mat"

	"github.com/tbgo/tbgo/proto/tbpb"
	"github.com/tbgo/tbgo/tfevents"
)

var fixedTime = time.Unix(1700000000, 250_000_000)

func fixedClock() time.Time { return fixedTime }

// readEvents returns every event of the single event file in dir.
func readEvents(t *testing.T, dir string) []*tbpb.Event {
	t.Helper()
	runs, err := tfevents.DiscoverRuns(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != 1 || runs[0].Name != "." || len(runs[0].Files) != 1 {
		t.Fatalf("runs = %+v, want one run \".\" with one file", runs)
	}
	evs, err := tfevents.ReadEventFile(runs[0].Files[0])
	if err != nil {
		t.Fatal(err)
	}
	return evs
}

// fileValues returns the values of the event file name, which must be
// whole, decoded by one Decoder.
func fileValues(t *testing.T, name string) []Value {
	t.Helper()
	evs, err := tfevents.ReadEventFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return eventValues(t, evs)
}

// eventValues decodes evs, in order, with one Decoder.
func eventValues(t *testing.T, evs []*tbpb.Event) []Value {
	t.Helper()
	var d Decoder
	var vals []Value
	for _, ev := range evs {
		var err error
		if vals, err = d.Event(vals, ev); err != nil {
			t.Fatal(err)
		}
	}
	return vals
}

func newTestWriter(t *testing.T) (*Writer, string) {
	t.Helper()
	dir := t.TempDir()
	w, err := NewWriter(dir, &Options{Now: fixedClock})
	if err != nil {
		t.Fatal(err)
	}
	return w, dir
}

func TestWriterRoundTrip(t *testing.T) {
	w, dir := newTestWriter(t)
	if err := w.Describe("acc", Meta{DisplayName: "Accuracy", Description: "*validation*"}); err != nil {
		t.Fatal(err)
	}
	gray := image.NewGray(image.Rect(0, 0, 3, 2))
	gray.Pix[4] = 200
	steps := []func() error{
		func() error { return w.Scalar("loss", 1, 0.25) },
		func() error { return w.Scalar("acc", 1, 0.5) },
		func() error { return w.Histogram("h", 2, []float64{0, 1, 2, 3}) },
		func() error { return w.Histogram32("h32", 2, []float32{1, 1}) },
		func() error { return w.HistogramMatrix("hm", 2, mat.NewDense(1, 2, []float64{-1, 1})) },
		func() error { return w.HistogramBuckets("hb", 2, []Bucket{{0, 1, 5}}) },
		func() error { return w.Image("img", 3, gray) },
		func() error { return w.Images("imgs", 3, []image.Image{gray, gray}) },
		func() error { return w.Text("md", 4, "# Hello *world*") },
		func() error { return w.Table("table", 4, [][]string{{"a", "b"}, {"1", "2"}}) },
	}
	for i, f := range steps {
		if err := f(); err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	events := readEvents(t, dir)
	if len(events) != 1+len(steps) {
		t.Fatalf("read %d events, want %d", len(events), 1+len(steps))
	}
	if events[0].GetFileVersion() != tfevents.FileVersion {
		t.Errorf("first event %v", events[0])
	}
	want := []struct {
		tag, plugin string
		class       tbpb.DataClass
		step        int64
	}{
		{"loss", PluginScalars, 1, 1},
		{"acc", PluginScalars, 1, 1},
		{"h", PluginHistograms, 2, 2},
		{"h32", PluginHistograms, 2, 2},
		{"hm", PluginHistograms, 2, 2},
		{"hb", PluginHistograms, 2, 2},
		{"img", PluginImages, 3, 3},
		{"imgs", PluginImages, 3, 3},
		{"md", PluginText, 2, 4},
		{"table", PluginText, 2, 4},
	}
	for i, ev := range events[1:] {
		vals := ev.GetSummary().GetValue()
		if len(vals) != 1 {
			t.Fatalf("event %d has %d values", i, len(vals))
		}
		v := vals[0]
		md := v.GetMetadata()
		if v.Tag != want[i].tag || md.GetPluginData().GetPluginName() != want[i].plugin || md.GetDataClass() != want[i].class || ev.Step != want[i].step {
			t.Errorf("event %d: tag %q plugin %q class %v step %d, want %+v", i, v.Tag, md.GetPluginData().GetPluginName(), md.GetDataClass(), ev.Step, want[i])
		}
		if ev.WallTime != 1700000000.25 {
			t.Errorf("event %d: wall time %v", i, ev.WallTime)
		}
	}
	acc := events[2].GetSummary().GetValue()[0]
	if acc.Metadata.DisplayName != "Accuracy" || acc.Metadata.SummaryDescription != "*validation*" {
		t.Errorf("described metadata %v", acc.Metadata)
	}
	if got := acc.GetTensor().GetFloatVal(); len(got) != 1 || got[0] != 0.5 {
		t.Errorf("acc value %v", got)
	}
	imgs := events[8].GetSummary().GetValue()[0].GetTensor()
	if len(imgs.StringVal) != 4 || string(imgs.StringVal[0]) != "3" || string(imgs.StringVal[1]) != "2" {
		t.Fatalf("image tensor strings %q...", imgs.StringVal[:2])
	}
	decoded, err := png.Decode(bytes.NewReader(imgs.StringVal[3]))
	if err != nil {
		t.Fatal(err)
	}
	if g := color.GrayModel.Convert(decoded.At(1, 1)).(color.Gray).Y; g != 200 {
		t.Errorf("pixel (1,1) = %d, want 200", g)
	}
	table := events[10].GetSummary().GetValue()[0].GetTensor()
	if dims := table.TensorShape.Dim; len(dims) != 2 || dims[0].Size != 2 || dims[1].Size != 2 || string(table.StringVal[3]) != "2" {
		t.Errorf("table tensor %v", table)
	}
}

func TestWriterBadInput(t *testing.T) {
	w, dir := newTestWriter(t)
	if err := w.Scalar("s", 1, 1); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		desc string
		call func() error
		is   error
	}{
		{"empty tag", func() error { return w.Scalar("", 1, 1) }, ErrEmptyTag},
		{"invalid UTF-8 tag", func() error { return w.Scalar("\xff", 1, 1) }, nil},
		{"float32 overflow", func() error { return w.Scalar("big", 1, 1e300) }, nil},
		{"scalar tag reused for a histogram", func() error { return w.Histogram("s", 1, []float64{1}) }, ErrTagKind},
		{"NaN in histogram", func() error { return w.Histogram("h", 1, []float64{math.NaN()}) }, ErrNonFinite},
		{"negative bucket count", func() error { return w.HistogramBuckets("hb", 1, []Bucket{{0, 1, -1}}) }, nil},
		{"zero-size image", func() error { return w.Image("i", 1, image.NewGray(image.Rect(0, 0, 0, 5))) }, ErrImageSize},
		{"no images", func() error { return w.Images("i", 1, nil) }, nil},
		{"mixed image sizes", func() error {
			return w.Images("i", 1, []image.Image{image.NewGray(image.Rect(0, 0, 1, 1)), image.NewGray(image.Rect(0, 0, 2, 1))})
		}, ErrImageSize},
		{"ragged table", func() error { return w.Table("t", 1, [][]string{{"a", "b"}, {"c"}}) }, nil},
		{"empty table", func() error { return w.Table("t", 1, nil) }, nil},
		{"invalid UTF-8 text", func() error { return w.Text("t", 1, "\xff\xfe") }, nil},
		{"describe after first value", func() error { return w.Describe("s", Meta{DisplayName: "S"}) }, nil},
		{"value without plugin", func() error { return w.WriteValue(1, &tbpb.Summary_Value{Tag: "x"}) }, nil},
		{"nil value", func() error { return w.WriteValue(1, nil) }, nil},
		{"NaN wall time event", func() error { return w.WriteEvent(&tbpb.Event{WallTime: math.NaN()}) }, nil},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			err := tt.call()
			if err == nil {
				t.Fatal("no error")
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("error %q is not %q", err, tt.is)
			}
		})
	}
	// The refused histogram left tag "h" free for another kind.
	if err := w.Scalar("h", 2, 1); err != nil {
		t.Errorf("tag of a refused histogram cannot take a scalar: %v", err)
	}
	closeChecked(t, w)
	first := w.Close()
	if err := w.Scalar("s", 2, 1); !errors.Is(err, tfevents.ErrClosed) {
		t.Errorf("write after Close: %v, want ErrClosed", err)
	}
	if err := w.Close(); err != first {
		t.Errorf("second Close: %v, want what the first returned, %v", err, first)
	}
	// Only the good values were written: file version, s and h.
	if n := len(readEvents(t, dir)); n != 3 {
		t.Errorf("file holds %d events, want 3", n)
	}
}

func TestNewWriterUnwritable(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := NewWriter(filepath.Join(file, "run"), nil); err == nil {
		t.Error("NewWriter under a regular file gave no error")
	}
	if _, err := NewWriter(t.TempDir(), &Options{Buckets: -1}); err == nil {
		t.Error("negative bucket count gave no error")
	}
}

// TestWriterFlushInterval proves values reach the file without Flush when
// the program goes quiet. It polls with a generous deadline; it does not
// time anything.
func TestWriterFlushInterval(t *testing.T) {
	dir := t.TempDir()
	w, err := NewWriter(dir, &Options{FlushInterval: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if err := w.Scalar("loss", 1, 1); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		// The timer's flush may be under way: a torn tail is no error yet.
		evs, err := tfevents.ReadEventFile(w.FileName())
		if err == nil && len(evs) == 2 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("scalar not in the file after 10s without Flush (%d events, %v)", len(evs), err)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestWriterConcurrent(t *testing.T) {
	w, dir := newTestWriter(t)
	const goroutines, per = 8, 500
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tag := string(rune('a' + g))
			for i := range per {
				if err := w.Scalar(tag, int64(i), float64(i)); err != nil {
					t.Error(err)
					return
				}
				if i%100 == 0 {
					if err := w.Histogram(tag+"/h", int64(i), []float64{float64(i)}); err != nil {
						t.Error(err)
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	next := map[string]int64{}
	for _, ev := range readEvents(t, dir)[1:] {
		v := ev.GetSummary().GetValue()[0]
		if v.GetTensor().GetDtype() != tbpb.DataType_DT_FLOAT {
			continue
		}
		if ev.Step != next[v.Tag] || v.GetTensor().FloatVal[0] != float32(ev.Step) {
			t.Fatalf("tag %s: step %d value %v, want step %d", v.Tag, ev.Step, v.GetTensor().FloatVal, next[v.Tag])
		}
		next[v.Tag]++
	}
	for g := range goroutines {
		if n := next[string(rune('a'+g))]; n != per {
			t.Errorf("goroutine %d: %d scalars read back, want %d", g, n, per)
		}
	}
}

func TestScalarAllocs(t *testing.T) {
	w, _ := newTestWriter(t)
	defer w.Close()
	if err := w.Scalar("loss", 0, 1); err != nil {
		t.Fatal(err)
	}
	step := int64(1)
	allocs := testing.AllocsPerRun(1000, func() {
		if err := w.Scalar("loss", step, 0.5); err != nil {
			t.Fatal(err)
		}
		step++
	})
	if allocs != 0 {
		t.Errorf("Scalar allocated %v times per call once warm", allocs)
	}
}

func TestWriterPurgeStep(t *testing.T) {
	dir := t.TempDir()
	w, err := NewWriter(dir, &Options{Now: fixedClock, PurgeStep: 42})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Scalar("loss", 42, 1); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	events := readEvents(t, dir)
	if len(events) != 4 {
		t.Fatalf("%d events, want file version, two STARTs and a scalar", len(events))
	}
	for _, ev := range events[1:3] {
		if ev.GetSessionLog().GetStatus() != tbpb.SessionLog_START || ev.Step != 42 {
			t.Errorf("event %v, want SessionLog START at step 42", ev)
		}
	}
}

// closeChecked closes w and fails t unless Close reports what w refused:
// nil if no call failed, or else a *RefusedError whose first error is the
// first error of any call (the file itself never failed in these tests).
func closeChecked(t testing.TB, w *Writer) {
	t.Helper()
	err := w.Close()
	first := w.Err()
	if first == nil {
		if err != nil {
			t.Fatal(err)
		}
		return
	}
	if re, ok := err.(*RefusedError); !ok || re.First != first {
		t.Fatalf("Close = %v, want a *RefusedError of the first refusal, %v", err, first)
	}
}
