//go:build compat

package compat

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"image/color"
	"image/png"
	"math"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/tbgo/tbgo/summary"
	"github.com/tbgo/tbgo/tfevents"
)

// tbxInput is what write_tensorboardx.py gave tensorboardX, or
// write_pytorch.py PyTorch's writer (which has no described scalar).
type tbxInput struct {
	Scalars []struct {
		Tag      string  `json:"tag"`
		Step     int64   `json:"step"`
		WallTime float64 `json:"wall_time"`
		Value    float64 `json:"value"`
		Double   bool    `json:"double"` // stored as float64, not float32
	} `json:"scalars"`
	Described struct {
		Tag         string  `json:"tag"`
		Step        int64   `json:"step"`
		WallTime    float64 `json:"wall_time"`
		Value       float64 `json:"value"`
		DisplayName string  `json:"display_name"`
		Description string  `json:"description"`
	} `json:"described"`
	Histograms []struct {
		Tag      string    `json:"tag"`
		Step     int64     `json:"step"`
		WallTime float64   `json:"wall_time"`
		Values   []float64 `json:"values"`
	} `json:"histograms"`
	Images []struct {
		Tag      string    `json:"tag"`
		Step     int64     `json:"step"`
		WallTime float64   `json:"wall_time"`
		CHW      [][][]int `json:"chw"`
	} `json:"images"`
	Texts []struct {
		Tag      string  `json:"tag"`
		Step     int64   `json:"step"`
		WallTime float64 `json:"wall_time"`
		Text     string  `json:"text"`
	} `json:"texts"`
	Audio []struct {
		Tag        string  `json:"tag"`
		Step       int64   `json:"step"`
		WallTime   float64 `json:"wall_time"`
		SampleRate float64 `json:"sample_rate"`
		Samples    []int16 `json:"samples"`
	} `json:"audio"`
}

// TestTensorboardX has tensorboardX, a second writer, write a logdir of
// known values in TensorBoard's legacy forms, reads it with tfevents and
// summary.Decoder and asserts the values tensorboardX was given; then it
// asserts that tbgo reads every value as TensorBoard's Python loader does.
func TestTensorboardX(t *testing.T) {
	setup(t)
	logdir := filepath.Join(t.TempDir(), "tbx")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	out, err := Python(ctx, fx.venv, "write_tensorboardx.py", nil, logdir)
	if err != nil {
		t.Fatal(err)
	}
	var in tbxInput
	if err := json.Unmarshal(out, &in); err != nil {
		t.Fatalf("bad JSON from write_tensorboardx.py: %v\n%s", err, out)
	}
	vals := readAll(t, logdir)

	t.Run("scalars", func(t *testing.T) {
		counts := map[string]int{}
		for _, s := range in.Scalars {
			counts[s.Tag]++
			v := find(t, vals, s.Tag, s.Step, summary.KindScalar)
			checkWall(t, v, s.WallTime)
			if want := float32(s.Value); float32(v.Scalar) != want || float64(want) != v.Scalar {
				t.Errorf("%q step %d: %v, want float32(%v) = %v", s.Tag, s.Step, v.Scalar, s.Value, want)
			}
			if v.Plugin != summary.PluginScalars || v.Meta != (summary.Meta{}) {
				t.Errorf("%q step %d: plugin %q meta %+v, want scalars and no meta", s.Tag, s.Step, v.Plugin, v.Meta)
			}
		}
		for tag, n := range counts {
			if got := count(vals, tag); got != n {
				t.Errorf("%q: %d values, want %d", tag, got, n)
			}
		}
		d := in.Described
		v := find(t, vals, d.Tag, d.Step, summary.KindScalar)
		if v.Scalar != d.Value || v.Meta != (summary.Meta{DisplayName: d.DisplayName, Description: d.Description}) {
			t.Errorf("%q: %v %+v, want %v with display name %q and description %q", d.Tag, v.Scalar, v.Meta, d.Value, d.DisplayName, d.Description)
		}
	})

	t.Run("histograms", func(t *testing.T) {
		for _, h := range in.Histograms {
			v := find(t, vals, h.Tag, h.Step, summary.KindHistogram)
			checkWall(t, v, h.WallTime)
			if err := consistentBuckets(v.Buckets, h.Values); err != nil {
				t.Errorf("%q step %d: %v", h.Tag, h.Step, err)
			}
		}
	})

	t.Run("images", func(t *testing.T) {
		for _, im := range in.Images {
			v := find(t, vals, im.Tag, im.Step, summary.KindImage)
			checkWall(t, v, im.WallTime)
			h, w := len(im.CHW[0]), len(im.CHW[0][0])
			if v.Width != w || v.Height != h || len(v.Blobs) != 1 {
				t.Fatalf("%q: %dx%d with %d images, want %dx%d with 1", im.Tag, v.Width, v.Height, len(v.Blobs), w, h)
			}
			img, err := png.Decode(bytes.NewReader(v.Blobs[0]))
			if err != nil {
				t.Fatalf("%q: %v", im.Tag, err)
			}
			if sz := img.Bounds().Size(); sz.X != w || sz.Y != h {
				t.Fatalf("%q: PNG is %v, want %dx%d", im.Tag, sz, w, h)
			}
			for y := range h {
				for x := range w {
					want := color.NRGBA{uint8(im.CHW[0][y][x]), uint8(im.CHW[1][y][x]), uint8(im.CHW[2][y][x]), 255}
					if got := color.NRGBAModel.Convert(img.At(x, y)); got != want {
						t.Errorf("%q pixel (%d, %d) = %v, want %v", im.Tag, x, y, got, want)
					}
				}
			}
		}
	})

	t.Run("text", func(t *testing.T) {
		for _, tx := range in.Texts {
			v := find(t, vals, tx.Tag, tx.Step, summary.KindText)
			checkWall(t, v, tx.WallTime)
			if !slices.Equal(v.Text, []string{tx.Text}) || !slices.Equal(v.Shape, []int64{1}) {
				t.Errorf("%q: text %q shape %v, want [%q] shape [1]", tx.Tag, v.Text, v.Shape, tx.Text)
			}
		}
	})

	t.Run("audio", func(t *testing.T) {
		for _, a := range in.Audio {
			v := find(t, vals, a.Tag, a.Step, summary.KindAudio)
			checkWall(t, v, a.WallTime)
			if v.SampleRate != a.SampleRate || v.Channels != 1 || v.Frames != int64(len(a.Samples)) ||
				v.ContentType != "audio/wav" || len(v.Blobs) != 1 {
				t.Fatalf("%q: rate %v channels %d frames %d type %q with %d clips, want rate %v, 1 channel, %d frames, audio/wav, 1 clip",
					a.Tag, v.SampleRate, v.Channels, v.Frames, v.ContentType, len(v.Blobs), a.SampleRate, len(a.Samples))
			}
			got, err := wavSamples(v.Blobs[0])
			if err != nil {
				t.Fatalf("%q: %v", a.Tag, err)
			}
			if !slices.Equal(got, a.Samples) {
				t.Errorf("%q: samples %v, want %v", a.Tag, got, a.Samples)
			}
		}
	})

	// The same files through TensorBoard's Python loader must give the
	// same series, steps, wall times and values as through tbgo.
	t.Run("agrees with the python loader", func(t *testing.T) {
		dump, err := Python(ctx, fx.venv, "dump_multiplexer.py", nil, logdir)
		if err != nil {
			t.Fatal(err)
		}
		theirs := parseDump(t, "python loader", dump, []string{"audio", "histograms", "images", "scalars", "text"})
		compareViews(t, decoderView(t, "tbgo decoder", logdir), theirs)
	})
}

// readAll decodes every value of the only run of logdir.
func readAll(t *testing.T, logdir string) []summary.Value {
	t.Helper()
	runs, err := tfevents.DiscoverRuns(logdir)
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != 1 || runs[0].Name != "." {
		t.Fatalf("runs %+v, want the one run \".\"", runs)
	}
	v := decodeRun(t, runs[0].Files, false)
	if len(v) == 0 {
		t.Fatal("no values")
	}
	return v
}

// find returns the one value of tag at step, which must be of kind k.
func find(t *testing.T, vals []summary.Value, tag string, step int64, k summary.Kind) summary.Value {
	t.Helper()
	var found []summary.Value
	for _, v := range vals {
		if v.Tag == tag && v.Step == step {
			found = append(found, v)
		}
	}
	if len(found) != 1 {
		t.Fatalf("%d values of %q at step %d, want 1", len(found), tag, step)
	}
	if found[0].Kind != k {
		t.Fatalf("%q step %d is a %v (plugin %q), want a %v", tag, step, found[0].Kind, found[0].Plugin, k)
	}
	return found[0]
}

func count(vals []summary.Value, tag string) int {
	n := 0
	for _, v := range vals {
		if v.Tag == tag {
			n++
		}
	}
	return n
}

func checkWall(t *testing.T, v summary.Value, want float64) {
	t.Helper()
	if v.WallTime != want {
		t.Errorf("%q step %d: wall time %v, want %v", v.Tag, v.Step, v.WallTime, want)
	}
}

// consistentBuckets checks that buckets describe values: contiguous edges
// from the smallest value to the largest, and one count per value.
func consistentBuckets(buckets []summary.Bucket, values []float64) error {
	if len(buckets) == 0 {
		return fmt.Errorf("no buckets for %d values", len(values))
	}
	lo, hi := slices.Min(values), slices.Max(values)
	if buckets[0].Left != lo || buckets[len(buckets)-1].Right != hi {
		return fmt.Errorf("buckets span [%v, %v], values [%v, %v]", buckets[0].Left, buckets[len(buckets)-1].Right, lo, hi)
	}
	total := 0.0
	for i, b := range buckets {
		if b.Left > b.Right || (i > 0 && b.Left != buckets[i-1].Right) {
			return fmt.Errorf("bucket %d %+v does not follow bucket %d", i, b, i-1)
		}
		total += b.Count
	}
	if total != float64(len(values)) {
		return fmt.Errorf("buckets count %v values, want %d", total, len(values))
	}
	return nil
}

// wavSamples returns the 16-bit mono PCM samples of a WAV file.
func wavSamples(b []byte) ([]int16, error) {
	if len(b) < 12 || string(b[:4]) != "RIFF" || string(b[8:12]) != "WAVE" {
		return nil, fmt.Errorf("not a WAV file")
	}
	for p := 12; p+8 <= len(b); {
		id, n := string(b[p:p+4]), int(binary.LittleEndian.Uint32(b[p+4:]))
		p += 8
		if p+n > len(b) {
			return nil, fmt.Errorf("chunk %q overruns the file", id)
		}
		switch id {
		case "fmt ":
			if n < 16 || binary.LittleEndian.Uint16(b[p:]) != 1 || binary.LittleEndian.Uint16(b[p+2:]) != 1 ||
				binary.LittleEndian.Uint16(b[p+14:]) != 16 {
				return nil, fmt.Errorf("not 16-bit mono PCM")
			}
		case "data":
			s := make([]int16, n/2)
			for i := range s {
				s[i] = int16(binary.LittleEndian.Uint16(b[p+2*i:]))
			}
			return s, nil
		}
		p += n + n%2
	}
	return nil, fmt.Errorf("no data chunk")
}

// compareViews asserts that ours serves what theirs (TensorBoard's Python
// loader) serves: the same runs, series, metadata, steps, wall times and
// values. Two differences are TensorBoard's own: its Python loader names a
// legacy value's series by its tag when it has no display name, and it
// rounds legacy histogram edges to float32.
func compareViews(t *testing.T, ours, theirs *view) {
	t.Helper()
	or, tr := slices.Sorted(slices.Values(ours.runs)), slices.Sorted(slices.Values(theirs.runs))
	if !slices.Equal(or, tr) {
		t.Errorf("runs %q, %s has %q", or, theirs.name, tr)
	}
	for k, ts := range theirs.series {
		os := ours.series[k]
		if os == nil {
			t.Errorf("%s serves %v, %s does not", theirs.name, k, ours.name)
			continue
		}
		if os.plugin != ts.plugin || os.dataClass != ts.dataClass || os.description != ts.description ||
			(os.displayName != ts.displayName && !(os.displayName == "" && ts.displayName == k.tag)) {
			t.Errorf("%v: %s has plugin %q class %s display name %q description %q; %s has %q %s %q %q", k,
				ours.name, os.plugin, os.dataClass, os.displayName, os.description,
				theirs.name, ts.plugin, ts.dataClass, ts.displayName, ts.description)
		}
		if len(os.points) != len(ts.points) {
			t.Errorf("%v: %s has steps %v, %s %v", k, ours.name, steps(os.points), theirs.name, steps(ts.points))
			continue
		}
		for i, tp := range ts.points {
			if err := samePoint(os.points[i], tp); err != nil {
				t.Errorf("%v point %d: %v", k, i, err)
			}
		}
	}
	for k := range ours.series {
		if theirs.series[k] == nil {
			t.Errorf("%s serves %v, %s does not", ours.name, k, theirs.name)
		}
	}
}

// samePoint compares a point of ours with one of TensorBoard's dump.
func samePoint(o, t viewPoint) error {
	if o.step != t.step || o.wall != t.wall {
		return fmt.Errorf("step %d wall %v, TensorBoard step %d wall %v", o.step, o.wall, t.step, t.wall)
	}
	if t.bits != "" {
		if want := fmt.Sprintf("%08x", math.Float32bits(float32(o.value))); want != t.bits {
			return fmt.Errorf("scalar %v (bits %s), TensorBoard bits %s", o.value, want, t.bits)
		}
	}
	if len(o.buckets) != len(t.buckets) {
		return fmt.Errorf("%d buckets, TensorBoard %d", len(o.buckets), len(t.buckets))
	}
	for i, ob := range o.buckets {
		for j := range 3 {
			if f := ob[j]; f != t.buckets[i][j] && float64(float32(f)) != t.buckets[i][j] {
				return fmt.Errorf("bucket %d = %v, TensorBoard %v", i, ob, t.buckets[i])
			}
		}
	}
	if o.width != t.width || o.height != t.height {
		return fmt.Errorf("size %dx%d, TensorBoard %dx%d", o.width, o.height, t.width, t.height)
	}
	if t.digests != nil {
		if len(o.images) != len(t.digests) {
			return fmt.Errorf("%d blobs, TensorBoard %d", len(o.images), len(t.digests))
		}
		for i, b := range o.images {
			if d := (blobSum{len(b), digest(b)}); d != t.digests[i] {
				return fmt.Errorf("blob %d %+v, TensorBoard %+v", i, d, t.digests[i])
			}
		}
	}
	if !slices.Equal(o.text, t.text) || !slices.Equal(o.shape, t.shape) {
		return fmt.Errorf("text %q shape %v, TensorBoard %q shape %v", o.text, o.shape, t.text, t.shape)
	}
	return nil
}
