//go:build compat

package compat

import (
	"errors"
	"os"
	"testing"

	"github.com/tbgo/tbgo/summary"
	"github.com/tbgo/tbgo/tfevents"
)

// TestDecoder reads the logdir back with tbgo's own reader and decoder and
// asserts the same things as the loaders' tests, so tbgo reads what
// TensorBoard reads.
func TestDecoder(t *testing.T) {
	setup(t)
	checkView(t, fx.logdir, decoderView(t, "tbgo decoder", fx.logdir.Dir))
}

// decoderView reads every run of logdir with tfevents and summary.Decoder.
// A damaged record is skipped, as tfevents.Reader allows; every other
// error fails t.
func decoderView(t *testing.T, name, logdir string) *view {
	t.Helper()
	runs, err := tfevents.DiscoverRuns(logdir)
	if err != nil {
		t.Fatal(err)
	}
	v := &view{name: name, series: map[key]*viewSeries{}}
	for _, run := range runs {
		v.runs = append(v.runs, run.Name)
		for _, val := range decodeRun(t, run.Files, true) {
			addValue(v, run.Name, val)
		}
	}
	return v
}

// decodeRun decodes every value of a run's files, in order, with one
// Decoder. With skipCorrupt, records with a bad checksum are left out;
// otherwise, like any other damage or error, they fail t.
func decodeRun(t *testing.T, files []string, skipCorrupt bool) []summary.Value {
	t.Helper()
	dec := summary.NewDecoder()
	var vals []summary.Value
	for _, name := range files {
		f, err := os.Open(name)
		if err != nil {
			t.Fatal(err)
		}
		s := tfevents.NewScanner(f)
		s.Name = name
		s.Damaged = func(d *tfevents.Damage) error {
			if skipCorrupt && errors.Is(d, tfevents.ErrCorrupt) {
				return nil
			}
			return d
		}
		for s.Scan() {
			if vals, err = dec.Record(vals, s.Record()); err != nil {
				t.Fatalf("%s: offset %d: %v", name, s.Offset(), err)
			}
		}
		f.Close()
		if err := s.Err(); err != nil {
			t.Fatal(err)
		}
	}
	return vals
}

// addValue appends a decoded value to its series in v.
func addValue(v *view, run string, val summary.Value) {
	k := key{run, val.Tag}
	vs := v.series[k]
	if vs == nil {
		vs = &viewSeries{
			plugin:      val.Plugin,
			dataClass:   val.DataClass.String(),
			displayName: val.Meta.DisplayName,
			description: val.Meta.Description,
		}
		v.series[k] = vs
	}
	p := viewPoint{step: val.Step, wall: val.WallTime}
	switch val.Kind {
	case summary.KindScalar:
		p.value = val.Scalar
	case summary.KindHistogram:
		for _, b := range val.Buckets {
			p.buckets = append(p.buckets, [3]float64{b.Left, b.Right, b.Count})
		}
	case summary.KindImage:
		p.width, p.height = val.Width, val.Height
		p.images = val.Blobs
	case summary.KindAudio:
		p.images = val.Blobs
	case summary.KindText:
		p.text, p.shape = val.Text, val.Shape
		if p.shape == nil {
			p.shape = []int64{}
		}
	}
	vs.points = append(vs.points, p)
}
