package doctor

import (
	"fmt"
	"image/color"
	"io"
	"math"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

	"github.com/tbgo/tbgo/summary"
	"github.com/tbgo/tbgo/summary/figure"
)

// The tags Log writes.
const (
	// ChecklistTag is the text summary holding Markdown.
	ChecklistTag = "diag/checklist"
	// RangeFigureTag is the figure of the learning-rate range test.
	RangeFigureTag = "doctor/lr_range"
	// The range test's scalars, one per step of the test.
	RangeLRTag       = "doctor/lr_range/learning_rate"
	RangeLossTag     = "doctor/lr_range/loss"
	RangeSmoothedTag = "doctor/lr_range/loss_smoothed"
	// FailedTagPrefix prefixes one scalar per check, 1 if it failed, 0
	// otherwise: "doctor/failed/overfit".
	FailedTagPrefix = "doctor/failed/"
)

// WriteText writes the report for a terminal: one line per check with its
// verdict and measurement, the threshold and the suggested fix under each
// check that did not pass, the learning-rate suggestion and a count of the
// verdicts.
func (r *Report) WriteText(w io.Writer) error {
	var b strings.Builder
	width := 0
	for _, c := range r.Checks {
		width = max(width, len(c.Title))
	}
	for _, c := range r.Checks {
		fmt.Fprintf(&b, "  %-4s  %-*s  %s\n", c.Verdict, width, c.Title, c.Measured)
		if c.Verdict == Warn || c.Verdict == Fail {
			fmt.Fprintf(&b, "        %-*s  want: %s\n", width, "", c.Expected)
			fmt.Fprintf(&b, "        %-*s  fix: %s\n", width, "", c.Fix)
		}
	}
	if g := r.Grad; g != nil {
		for _, t := range g.Tensors {
			if v := gradVerdict(t.MaxRelErr); v != Pass {
				fmt.Fprintf(&b, "        gradient of %s[%d]: analytic %.6g, numeric %.6g (%s)\n", t.Name, t.Worst, t.Analytic, t.Numeric, GradRating(t.MaxRelErr))
			}
		}
	}
	if rg := r.Range; rg != nil && rg.Falls {
		fmt.Fprintf(&b, "\nlearning rate: %g; the range test suggests %.2g\n", r.LR, rg.Suggested)
	}
	fmt.Fprintf(&b, "\n%d passed, %d warnings, %d failed", r.Count(Pass), r.Count(Warn), r.Count(Fail))
	if n := r.Count(Skip); n > 0 {
		fmt.Fprintf(&b, ", %d skipped", n)
	}
	b.WriteString("\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// cell escapes s for a cell of a Markdown table.
func cell(s string) string {
	return strings.NewReplacer("|", `\|`, "\n", " ").Replace(s)
}

// Markdown returns the report as Markdown: a table of the checks (check,
// rule, verdict, measured, expected, fix), then the gradient check per
// tensor, the initialisation per weight tensor and the learning-rate range
// test's findings, as far as those checks ran. It is deterministic: the
// same report gives the same text.
func (r *Report) Markdown() string {
	var b strings.Builder
	if r.Name != "" {
		fmt.Fprintf(&b, "**tbgo doctor: %s**\n\n", cell(r.Name))
	}
	b.WriteString("| check | rule | verdict | measured | expected | fix |\n|---|---|---|---|---|---|\n")
	for _, c := range r.Checks {
		rule := "—"
		if c.Rule > 0 {
			rule = fmt.Sprint(c.Rule)
		}
		fmt.Fprintf(&b, "| %s | %s | **%s** | %s | %s | %s |\n", cell(c.Title), rule, c.Verdict, cell(c.Measured), cell(c.Expected), cell(c.Fix))
	}
	fmt.Fprintf(&b, "\n%d passed, %d warnings, %d failed, %d skipped.\n", r.Count(Pass), r.Count(Warn), r.Count(Fail), r.Count(Skip))
	if g := r.Grad; g != nil {
		b.WriteString("\n**Gradient check** (centred differences in float64, worst relative error per tensor):\n\n")
		b.WriteString("| tensor | values | worst relative error | at | analytic | numeric | rating |\n|---|---|---|---|---|---|---|\n")
		for _, t := range g.Tensors {
			fmt.Fprintf(&b, "| %s | %d | %.2g | %d | %.6g | %.6g | %s |\n", cell(t.Name), t.Checked, t.MaxRelErr, t.Worst, t.Analytic, t.Numeric, GradRating(t.MaxRelErr))
		}
	}
	if len(r.Weights) > 0 {
		b.WriteString("\n**Initialisation** (standard deviation of each weight tensor):\n\n")
		b.WriteString("| tensor | std | expected | rule | verdict |\n|---|---|---|---|---|\n")
		for _, w := range r.Weights {
			fmt.Fprintf(&b, "| %s | %.3g | %.3g | %s | %s |\n", cell(w.Param), w.Std, w.Expected, w.Rule, w.Verdict)
		}
	}
	if rg := r.Range; rg != nil {
		fmt.Fprintf(&b, "\n**Learning-rate range test** (%d steps from %g to %g): ", len(rg.Points), rg.Min, rg.Max)
		if rg.Falls {
			fmt.Fprintf(&b, "steepest fall at %.2g, lowest loss at %.2g", rg.Steepest, rg.Lowest)
			if !math.IsNaN(rg.Diverged) {
				fmt.Fprintf(&b, ", diverged at %.2g", rg.Diverged)
			}
			fmt.Fprintf(&b, "; suggested min(steepest, lowest/10) = %.2g, configured %g.\n", rg.Suggested, r.LR)
		} else {
			b.WriteString("the loss does not fall.\n")
		}
	}
	return b.String()
}

// Log writes the report to w at step 0: the Markdown under ChecklistTag,
// a 0/1 scalar per check under FailedTagPrefix, and, if the range test ran,
// its learning rate, loss and smoothed loss per step (non-finite losses
// are left out) and its figure under RangeFigureTag.
func (r *Report) Log(w *summary.Writer) error {
	if err := w.Text(ChecklistTag, 0, r.Markdown()); err != nil {
		return err
	}
	for _, c := range r.Checks {
		failed := 0.0
		if c.Verdict == Fail {
			failed = 1
		}
		if err := w.Scalar(FailedTagPrefix+c.ID, 0, failed); err != nil {
			return err
		}
	}
	rg := r.Range
	if rg == nil {
		return nil
	}
	for _, p := range rg.Points {
		step := int64(p.Step)
		if err := w.Scalar(RangeLRTag, step, p.LR); err != nil {
			return err
		}
		if finite(p.Loss) {
			if err := w.Scalar(RangeLossTag, step, p.Loss); err != nil {
				return err
			}
		}
		if finite(p.Smoothed) {
			if err := w.Scalar(RangeSmoothedTag, step, p.Smoothed); err != nil {
				return err
			}
		}
	}
	p, err := r.RangePlot()
	if err != nil {
		return err
	}
	return figure.Write(w, RangeFigureTag, 0, p, 6*vg.Inch, 4*vg.Inch)
}

// decades marks the powers of ten of a logarithmic axis, labelled in the
// shortest form ("1e-06", "0.001", "10"), with unlabelled minor ticks at 2
// to 9 times each.
type decades struct{}

// Ticks implements plot.Ticker.
func (decades) Ticks(lo, hi float64) []plot.Tick {
	var ticks []plot.Tick
	for e := int(math.Floor(math.Log10(lo))); e <= int(math.Ceil(math.Log10(hi))); e++ {
		for k := 1; k <= 9; k++ {
			v := float64(k) * math.Pow10(e)
			if v < lo || v > hi {
				continue
			}
			t := plot.Tick{Value: v}
			if k == 1 {
				t.Label = strconv.FormatFloat(v, 'g', -1, 64)
			}
			ticks = append(ticks, t)
		}
	}
	return ticks
}

func finite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }

// RangePlot draws the learning-rate range test: the loss of each step
// (grey) and its moving average (blue) against the learning rate on a
// logarithmic axis, with the suggested (green) and configured (red)
// learning rates as vertical lines. The loss axis stops at twice the
// initial loss, so that the divergence does not flatten the curve.
func (r *Report) RangePlot() (*plot.Plot, error) {
	rg := r.Range
	if rg == nil || len(rg.Points) == 0 {
		return nil, fmt.Errorf("doctor: no learning-rate range test to plot")
	}
	p := plot.New()
	p.Title.Text = "learning-rate range test"
	p.X.Label.Text = "learning rate"
	p.Y.Label.Text = "training loss"
	p.X.Scale = plot.LogScale{}
	p.X.Tick.Marker = decades{}
	var raw, smooth plotter.XYs
	for _, q := range rg.Points {
		if finite(q.Loss) {
			raw = append(raw, plotter.XY{X: q.LR, Y: q.Loss})
		}
		if finite(q.Smoothed) {
			smooth = append(smooth, plotter.XY{X: q.LR, Y: q.Smoothed})
		}
	}
	top := 2 * rg.Points[0].Loss
	if !finite(top) || top <= 0 {
		top = 10
	}
	lo := math.Inf(1)
	for _, q := range raw {
		lo = math.Min(lo, q.Y)
	}
	p.Y.Min, p.Y.Max = math.Max(0, math.Min(lo, top/2)), top
	p.X.Min, p.X.Max = rg.Min, rg.Max
	add := func(pts plotter.XYs, c color.Color, width vg.Length, dashed bool, name string) error {
		if len(pts) == 0 {
			return nil
		}
		l, err := plotter.NewLine(pts)
		if err != nil {
			return fmt.Errorf("doctor: range plot: %w", err)
		}
		l.Color, l.Width = c, width
		if dashed {
			l.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
		}
		p.Add(l)
		p.Legend.Add(name, l)
		return nil
	}
	clip := func(pts plotter.XYs) plotter.XYs { // keep the lines inside the axes
		for i := range pts {
			pts[i].Y = math.Min(pts[i].Y, top)
		}
		return pts
	}
	if err := add(clip(raw), color.Gray{Y: 180}, vg.Points(1), false, "loss"); err != nil {
		return nil, err
	}
	if err := add(clip(smooth), color.RGBA{B: 200, A: 255}, vg.Points(2), false, "smoothed"); err != nil {
		return nil, err
	}
	vline := func(x float64) plotter.XYs { return plotter.XYs{{X: x, Y: p.Y.Min}, {X: x, Y: top}} }
	if rg.Falls {
		if err := add(vline(rg.Suggested), color.RGBA{G: 150, A: 255}, vg.Points(1.5), true, fmt.Sprintf("suggested %.2g", rg.Suggested)); err != nil {
			return nil, err
		}
	}
	if r.LR >= rg.Min && r.LR <= rg.Max {
		if err := add(vline(r.LR), color.RGBA{R: 200, A: 255}, vg.Points(1.5), true, fmt.Sprintf("configured %g", r.LR)); err != nil {
			return nil, err
		}
	}
	p.Legend.Top = true
	return p, nil
}
