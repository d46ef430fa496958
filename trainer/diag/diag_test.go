package diag

import (
	"context"
	"errors"
	"image"
	"image/color"
	"math"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/tbgo/tbgo/history"
	"github.com/tbgo/tbgo/summary"
	"github.com/tbgo/tbgo/trainer"
)

func TestRulesTable(t *testing.T) {
	t.Parallel()
	rs := Rules()
	if len(rs) != 22 {
		t.Fatalf("%d rules, want the 20 of docs/DIAGNOSTICS.md and rules 21 and 22", len(rs))
	}
	names := map[string]bool{}
	for i, r := range rs {
		if r.ID != i+1 {
			t.Errorf("rule %d at position %d", r.ID, i)
		}
		if names[r.Name] || r.Name == "" || strings.ContainsAny(r.Name, " /") {
			t.Errorf("rule %d: bad or repeated name %q", r.ID, r.Name)
		}
		names[r.Name] = true
		if r.Symptom == "" || r.Measurement == "" || r.Condition == "" || r.Source == "" || r.Fix == "" || r.Limits == "" {
			t.Errorf("rule %d: a column is empty: %+v", r.ID, r)
		}
		want := ByMonitor
		switch r.ID {
		case 2, 3, 4:
			want = ByDoctor
		case 20:
			want = BySweep
		}
		if r.By != want {
			t.Errorf("rule %d is checked by %s, want %s", r.ID, r.By, want)
		}
		if (r.By == ByMonitor) == (r.Cadence == Elsewhere) {
			t.Errorf("rule %d: checker %s, cadence %q", r.ID, r.By, r.Cadence)
		}
		for _, th := range r.Thresholds {
			if !strings.Contains(r.Condition+r.Measurement, th.Name) {
				t.Errorf("rule %d: neither the condition nor the measurement names the threshold %s", r.ID, th.Name)
			}
		}
	}
	// Rules returns a copy: changing it changes no Monitor's defaults.
	rs[5].Thresholds[0].Value = 99
	if r, _ := RuleByID(6); r.T("high") != -2 {
		t.Error("Rules shares its thresholds with the table")
	}
	if _, ok := RuleByID(23); ok {
		t.Error("RuleByID(23) found a rule")
	}
}

// A rule fires once it has held for its hold in a row, alerts once per
// key, and its flag follows the condition.
func TestObserveHold(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		desc   string
		bad    string // one check per character: x holds, . does not
		hold   int
		alerts []int // the checks that alert
		firing bool  // after the last check
	}{
		{"never", "....", 3, nil, false},
		{"once is noise", "x.x.x.", 3, nil, false},
		{"three in a row", "..xxx", 3, []int{4}, true},
		{"alerts once", "xxxxxx", 3, []int{2}, true},
		{"flag clears, no second alert", "xxx..xxx", 3, []int{2}, true},
		{"flag clears", "xxxx.", 3, []int{2}, false},
		{"immediate", ".x", 1, []int{1}, true},
	} {
		t.Run(tt.desc, func(t *testing.T) {
			m := NewMonitor(nil, nil)
			var got []int
			for i, c := range tt.bad {
				n := len(m.alerts)
				m.observe(i, 9, "relu1", c == 'x', tt.hold, 0.5, func() string { return "cond" })
				if len(m.alerts) > n {
					got = append(got, i)
				}
			}
			if !equalInts(got, tt.alerts) {
				t.Errorf("alerts at checks %v, want %v", got, tt.alerts)
			}
			if f := len(m.rules[9].firing) > 0; f != tt.firing {
				t.Errorf("firing %v, want %v", f, tt.firing)
			}
			for _, a := range m.alerts {
				if a.Rule != 9 || a.Name != "dead_relus" || a.Layer != "relu1" || a.Threshold != "cond" || a.Fix == "" {
					t.Errorf("alert %+v", a)
				}
			}
		})
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestSwings(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		desc string
		w    []float64
		want int
	}{
		{"rising", []float64{0.5, 0.6, 0.7, 0.8}, 0},
		{"small wiggles", []float64{0.90, 0.91, 0.90, 0.91, 0.90}, 0},
		{"one swing", []float64{0.5, 0.8, 0.6, 0.7}, 1},
		{"jumping: three peaks, two troughs", []float64{0.5, 0.6, 0.5, 0.6, 0.5, 0.6, 0.5}, 2},
	} {
		if got := swings(tt.w, 0.03); got != tt.want {
			t.Errorf("%s: swings(%v) = %d, want %d", tt.desc, tt.w, got, tt.want)
		}
	}
}

// The filters' noisiness is about 1 for white noise and small for smooth
// filters.
func TestFilterNoise(t *testing.T) {
	t.Parallel()
	spec := trainer.Spec{Layers: []trainer.LayerSpec{{Type: trainer.TypeDense, Units: 64}}}
	model, err := trainer.NewModel(trainer.Shape{C: 1, H: 8, W: 8}, spec, 1)
	if err != nil {
		t.Fatal(err)
	}
	m := NewMonitor(nil, nil)
	m.filters = model.Layers()[0]
	m.filterPix = make([]bool, 64)
	for i := range m.filterPix {
		m.filterPix[i] = true
	}
	w := model.Param("dense1/weights").Value
	rng := rand.New(rand.NewPCG(1, 2))
	for _, tt := range []struct {
		desc   string
		fill   func(u, i, j int) float64
		lo, hi float64
	}{
		{"white noise", func(int, int, int) float64 { return rng.NormFloat64() }, 0.95, 1.05},
		{"ramps", func(u, i, j int) float64 { return float64(i+j+u) / 10 }, 0, 0.2},
		{"a blob", func(u, i, j int) float64 { return math.Exp(-float64((i-3)*(i-3)+(j-4)*(j-4)) / 8) }, 0, 0.5},
	} {
		for u := range 64 {
			for i := range 8 {
				for j := range 8 {
					w.Set(u, i*8+j, tt.fill(u, i, j))
				}
			}
		}
		rho, ok := m.filterNoise()
		if !ok || rho < tt.lo || rho > tt.hi {
			t.Errorf("%s: noisiness %v, %v; want in [%v, %v]", tt.desc, rho, ok, tt.lo, tt.hi)
		}
	}
}

func TestConfusion(t *testing.T) {
	t.Parallel()
	img := Confusion([][]int{{50, 0, 2}, {3, 40, 7}, {0, 0, 100}}, []string{"0", "1", "2"})
	b := img.Bounds()
	// A label column and row, then 3×3 cells of "100" wide.
	cw, ch := 3*digitW-fontScale+2*cellPad, digitH+2*cellPad
	if b.Dx() != 4*cw+1 || b.Dy() != 4*ch+1 {
		t.Fatalf("size %v, want %dx%d", b.Size(), 4*cw+1, 4*ch+1)
	}
	// The diagonal cells are darker than the off-diagonal ones in their
	// row; an empty cell is white.
	at := func(i, j int) color.RGBA {
		// a pixel of the cell's background: its top-left corner, inside
		// the grid line
		c := img.At((j+1)*cw+2, (i+1)*ch+2)
		r, g, bl, _ := c.RGBA()
		return color.RGBA{uint8(r >> 8), uint8(g >> 8), uint8(bl >> 8), 255}
	}
	if d, o := at(1, 1), at(1, 2); !(d.R < o.R) {
		t.Errorf("diagonal %v is not darker than %v", d, o)
	}
	if e := at(0, 1); e != (color.RGBA{255, 255, 255, 255}) {
		t.Errorf("empty cell %v, want white", e)
	}
	// The counts are written: the cell of 100 has white text on dark blue.
	white := 0
	for y := 3*ch + 1; y < 4*ch; y++ {
		for x := 3*cw + 1; x < 4*cw; x++ {
			if img.ColorIndexAt(x, y) == palWhite {
				white++
			}
		}
	}
	if want := 3 * 5 * fontScale * fontScale; white < want {
		t.Errorf("%d white pixels in the cell of 100, want at least %d", white, want)
	}
}

func TestTileGrid(t *testing.T) {
	t.Parallel()
	x := mat.NewDense(5, 2*4*4, nil)
	for i := range 5 {
		for j := range 32 {
			x.Set(i, j, float64(j))
		}
	}
	g := tileGrid(x, 5, trainer.Shape{C: 2, H: 4, W: 4}, nil)
	f := scaleFor(4)
	// 3 columns, 2 rows of tiles 2·4·f wide, 4·f high, with 2-pixel borders.
	if want := image.Rect(0, 0, 3*(8*f+2)+2, 2*(4*f+2)+2); g.Rect != want {
		t.Fatalf("grid %v, want %v", g.Rect, want)
	}
	// Tile 0 starts black (value 0) and ends white (value 31).
	if g.GrayAt(2, 2).Y != 0 || g.GrayAt(2+8*f-1, 2+4*f-1).Y != 255 || g.GrayAt(0, 0).Y != 96 {
		t.Errorf("tile corners %v %v, border %v", g.GrayAt(2, 2), g.GrayAt(2+8*f-1, 2+4*f-1), g.GrayAt(0, 0))
	}
	x.Set(3, 7, math.NaN())
	if tileGrid(x, 5, trainer.Shape{C: 2, H: 4, W: 4}, nil) != nil {
		t.Error("a NaN gave an image")
	}
	if tileGrid(x, 5, trainer.Vector(32), nil) != nil {
		t.Error("vectors gave tiles")
	}
}

// xorData returns n noisy XOR points, scaled by scale.
func xorData(n int, scale float64) trainer.Data {
	rng := rand.New(rand.NewPCG(3, 4))
	x := mat.NewDense(n, 2, nil)
	y := make([]int, n)
	for i := range n {
		a, b := rng.Float64()*2-1, rng.Float64()*2-1
		x.Set(i, 0, scale*a)
		x.Set(i, 1, scale*b)
		if a*b < 0 {
			y[i] = 1
		}
	}
	return trainer.Data{X: x, Y: y}
}

// A NaN stops training before the optimiser spreads it, and the alert
// names the first tensor that holds one.
func TestNonFiniteStops(t *testing.T) {
	t.Parallel()
	spec := trainer.MLP("net", []int{8, 8}, trainer.TypeTanh, trainer.Init{}, 2)
	model, err := trainer.NewModel(trainer.Vector(2), spec, 1)
	if err != nil {
		t.Fatal(err)
	}
	poison := trainer.HookFuncs{OnStep: func(s *trainer.State) error {
		if s.Step == 4 {
			s.Model.Param("dense2/weights").Value.Set(0, 0, math.NaN())
		}
		return nil
	}}
	mon := NewMonitor(nil, nil)
	d := xorData(64, 1)
	res, err := trainer.Train(context.Background(), model, d, d, trainer.Config{Steps: 50, Hooks: []trainer.Hook{poison, mon}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Stop != trainer.StopHook || res.Steps != 5 || res.NonFiniteStep != 5 {
		t.Errorf("stopped %s after %d steps, NaN at %d; want a hook stop after 5 steps, NaN at 5", res.Stop, res.Steps, res.NonFiniteStep)
	}
	var a Alert
	for _, x := range mon.Alerts() {
		if x.Rule == 5 {
			a = x
		}
	}
	if a.Step != 5 || a.Layer != "dense2/weights" || !strings.Contains(a.Threshold, "weights") || a.Severity != Critical {
		t.Errorf("alert %+v, want step 5 at dense2/weights", a)
	}
	if !mon.Fired(7) {
		t.Error("non-finite gradients did not fire rule 7")
	}
	if mon.Status() != summary.StatusFailure {
		t.Errorf("status %v, want failure", mon.Status())
	}
}

// The logging options turn parts off; with NoChecks the Monitor logs the
// curves only.
func TestMonitorOptions(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		desc  string
		opts  Options
		has   []string
		lacks []string
	}{
		{"everything", Options{DiagEvery: 5}, []string{"loss/train", "grad_norm/total", "diag/flag/05_nan_inf", "weights/dense1/weights", "filters/dense1", "confusion/val", "inputs/batch", "diag/checklist"}, nil},
		{"no checks", Options{NoChecks: true}, []string{"loss/train", "loss/val", "weights/dense1/weights"}, []string{"grad_norm/total", "diag/flag/05_nan_inf", "diag/checklist"}},
		{"no histograms or images", Options{NoHistograms: true, NoImages: true}, []string{"grad_norm/total"}, []string{"weights/dense1/weights", "filters/dense1", "inputs/batch"}},
	} {
		t.Run(tt.desc, func(t *testing.T) {
			dir := t.TempDir()
			w, err := summary.NewWriter(dir, nil)
			if err != nil {
				t.Fatal(err)
			}
			spec := trainer.MLP("net", []int{8}, trainer.TypeReLU, trainer.Init{Kind: trainer.InitHeNormal}, 2)
			model, err := trainer.NewModel(trainer.Vector(2), spec, 1)
			if err != nil {
				t.Fatal(err)
			}
			d := xorData(64, 1)
			mon := NewMonitor(w, &tt.opts)
			if _, err := trainer.Train(context.Background(), model, d, d, trainer.Config{Steps: 20, EvalEvery: 10, Hooks: []trainer.Hook{mon}}); err != nil {
				t.Fatal(err)
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			tags := map[string]bool{}
			src, err := history.Open(dir)
			if err != nil {
				t.Fatal(err)
			}
			defer src.Close()
			if err := src.Values(context.Background(), nil, func(v *history.Value) error { tags[v.Tag] = true; return nil }); err != nil {
				t.Fatal(err)
			}
			for _, tag := range tt.has {
				if !tags[tag] {
					t.Errorf("no %s", tag)
				}
			}
			for _, tag := range tt.lacks {
				if tags[tag] {
					t.Errorf("%s was logged", tag)
				}
			}
		})
	}
}

// A write error surfaces from the hooks and ends training with it.
func TestWriteErrorStopsTraining(t *testing.T) {
	t.Parallel()
	w, err := summary.NewWriter(t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	spec := trainer.MLP("net", []int{4}, trainer.TypeReLU, trainer.Init{}, 2)
	model, err := trainer.NewModel(trainer.Vector(2), spec, 1)
	if err != nil {
		t.Fatal(err)
	}
	d := xorData(16, 1)
	_, err = trainer.Train(context.Background(), model, d, d, trainer.Config{Steps: 5, Hooks: []trainer.Hook{NewMonitor(w, nil)}})
	if err == nil || errors.Is(err, trainer.ErrStop) {
		t.Errorf("Train = %v, want the writer's error", err)
	}
}

// digitsLike returns n samples of 64 standard normal features in 10
// classes.
func digitsLike(n int) trainer.Data {
	rng := rand.New(rand.NewPCG(5, 6))
	x := mat.NewDense(n, 64, nil)
	y := make([]int, n)
	for i := range n {
		for j := range 64 {
			x.Set(i, j, rng.NormFloat64())
		}
		y[i] = i % 10
	}
	return trainer.Data{X: x, Y: y}
}

// Watching does not change what is watched: the same seeds give the same
// losses, bit for bit, with and without a Monitor.
func TestMonitorDoesNotPerturb(t *testing.T) {
	t.Parallel()
	train := func(hooks ...trainer.Hook) []float64 {
		spec := trainer.MLP("net", []int{32}, trainer.TypeReLU, trainer.Init{Kind: trainer.InitHeNormal}, 10)
		spec.Layers = append(spec.Layers[:2], append([]trainer.LayerSpec{{Type: trainer.TypeDropout, Rate: 0.2}}, spec.Layers[2:]...)...)
		model, err := trainer.NewModel(trainer.Vector(64), spec, 1)
		if err != nil {
			t.Fatal(err)
		}
		d := digitsLike(128)
		res, err := trainer.Train(context.Background(), model, d, d, trainer.Config{Steps: 60, EvalEvery: 20, Seed: 2, Hooks: hooks})
		if err != nil {
			t.Fatal(err)
		}
		return res.Losses
	}
	plain := train()
	w, err := summary.NewWriter(t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	watched := train(NewMonitor(w, &Options{DiagEvery: 1, HistogramEvery: 1}))
	for i := range plain {
		if math.Float64bits(plain[i]) != math.Float64bits(watched[i]) {
			t.Fatalf("step %d: loss %v watched, %v not", i, watched[i], plain[i])
		}
	}
}

// A tuned table changes the thresholds; an incomplete one is refused at
// once.
func TestOptionsRules(t *testing.T) {
	t.Parallel()
	table := Rules()
	table[16].Thresholds[0].Value = 10 // rule 17: allow 10:1
	m := NewMonitor(nil, &Options{Rules: table})
	if got := m.rule(17).rule.T("ratio"); got != 10 {
		t.Errorf("ratio %v, want the tuned 10", got)
	}
	for _, tt := range []struct {
		desc  string
		table []Rule
	}{
		{"a rule missing", Rules()[:10]},
		{"a threshold missing", func() []Rule { r := Rules(); r[5].Thresholds = r[5].Thresholds[:1]; return r }()},
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: NewMonitor did not panic", tt.desc)
				}
			}()
			NewMonitor(nil, &Options{Rules: tt.table})
		}()
	}
}

// docs/DIAGNOSTICS.md holds the reference generated from the rule table:
// go generate ./trainer/diag refreshes it.
func TestReferenceIsFresh(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile("../../docs/DIAGNOSTICS.md")
	if err != nil {
		t.Fatal(err)
	}
	want, err := Regenerate(string(b))
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != want {
		t.Error("docs/DIAGNOSTICS.md is stale: run go generate ./trainer/diag")
	}
	for _, r := range Rules() {
		if !strings.Contains(want, "| "+strconv.Itoa(r.ID)+" | `"+r.Name+"` |") || !strings.Contains(want, mdCell(r.Limits)) {
			t.Errorf("rule %d's row or known limits missing from the reference", r.ID)
		}
	}
}

// Rule 21 supersedes the rules whose fix it contradicts: an earlier
// alert of rule 16 is marked and ranked after it, and rule 16 does not
// alert again.
func TestSupersede(t *testing.T) {
	t.Parallel()
	var out strings.Builder
	m := NewMonitor(nil, &Options{Alerts: &out})
	m.observe(10, 16, "", true, 1, 2, func() string { return "val loss up" })
	m.observe(20, 21, "", true, 1, 0.1, func() string { return "val at chance" })
	m.observe(30, 15, "", true, 1, 0.3, func() string { return "swings" })
	got := m.Alerts()
	if len(got) != 2 || got[0].Rule != 16 || got[0].SupersededBy != 21 || got[1].SupersededBy != 0 {
		t.Fatalf("alerts %+v", got)
	}
	if r := Ranked(got); r[0].Rule != 21 || r[1].Rule != 16 {
		t.Errorf("ranked %d, %d; want 21 first", r[0].Rule, r[1].Rule)
	}
	if !strings.Contains(out.String(), "rule 21 val_at_chance supersedes the alert of rule 16 overfitting at step 10") {
		t.Errorf("terminal:\n%s", out.String())
	}
	if m.Fired(15) || !strings.Contains(m.Checklist(), "suppressed: rule 21") || !strings.Contains(m.Checklist(), "superseded by rule 21") {
		t.Errorf("rule 15 after rule 21: fired %v; checklist:\n%s", m.Fired(15), m.Checklist())
	}
}
