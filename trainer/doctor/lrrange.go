package doctor

import (
	"context"
	"fmt"
	"math"

	"github.com/tbgo/tbgo/trainer"
)

// Parameters of the learning-rate range test.
const (
	// RangeSmoothing is β of the debiased exponential moving average of
	// the loss, avg ← β·avg + (1−β)·loss, smoothed = avg/(1−β^(t+1)):
	// about ten steps, a third of a decade of the default sweep, so that
	// the smoothing does not drag the curve to the right.
	RangeSmoothing = 0.9
	// RangeDivergence ends the test when the smoothed loss exceeds this
	// many times its lowest value (or the loss is not finite).
	RangeDivergence = 4
	// RangeMinDrop is how much of the initial loss the lowest smoothed
	// loss must lose for the test to count the loss as falling at all.
	RangeMinDrop = 0.1
)

// An LRPoint is one step of a learning-rate range test.
type LRPoint struct {
	Step           int
	LR             float64 // the step's learning rate
	Loss, Smoothed float64 // the batch's loss before the step, and its moving average
}

// An LRRange is a learning-rate range test (L. N. Smith, "Cyclical
// Learning Rates for Training Neural Networks", WACV 2017, section 3.3;
// popularised as fast.ai's lr_find): one short run from a fresh model
// whose learning rate grows exponentially from Min to Max, recording the
// loss of each batch against its rate, until the loss diverges.
//
// The suggestion follows two heuristics and keeps the more cautious:
// Steepest, the rate at which the smoothed loss falls fastest per decade
// (Smith: where learning is fastest), and Lowest/10, an order of magnitude
// below the rate of the lowest smoothed loss, beyond which the loss soon
// climbs and diverges (fast.ai's "minimum / 10"):
//
//	Suggested = min(Steepest, Lowest/10)
//
// The slope is the centred difference of the smoothed loss over a quarter
// of a decade on each side, searched from the end of the moving average's
// warm-up to the lowest point.
type LRRange struct {
	// Min and Max are the rates of the first and (had it not diverged)
	// last step.
	Min, Max float64
	// Points are the steps run, in order.
	Points []LRPoint
	// Falls reports whether the lowest smoothed loss is at least
	// RangeMinDrop below the initial loss (the smoothed loss once the
	// moving average has warmed up, after 1/(1−β) steps); when it is false
	// the other fields are NaN.
	Falls bool
	// Steepest is the rate of the steepest fall, Lowest the rate of the
	// lowest smoothed loss, Suggested the suggestion.
	Steepest, Lowest, Suggested float64
	// Diverged is the rate at which the loss diverged, NaN if it did not
	// up to Max.
	Diverged float64
}

// analyse fills in the fields of r from its Points.
func (r *LRRange) analyse() {
	r.Steepest, r.Lowest, r.Suggested = math.NaN(), math.NaN(), math.NaN()
	p := r.Points
	if len(p) < 3 {
		return
	}
	// The moving average needs about 1/(1−β) steps to forget its start:
	// before that, its slope is noise.
	warm := min(int(math.Round(1/(1-RangeSmoothing))), len(p)-1)
	initial := p[warm].Smoothed
	low := warm
	for i := warm; i < len(p); i++ {
		if p[i].Smoothed < p[low].Smoothed {
			low = i
		}
	}
	if !(p[low].Smoothed <= (1-RangeMinDrop)*initial) {
		return
	}
	r.Falls = true
	r.Lowest = p[low].LR
	// k steps make a quarter of a decade.
	perDecade := float64(len(p)-1) / math.Log10(p[len(p)-1].LR/p[0].LR)
	if !(perDecade > 0) || math.IsInf(perDecade, 0) {
		perDecade = 4
	}
	k := max(1, int(math.Round(perDecade/4)))
	steep, best := -1, 0.0
	for i := max(k, warm); i <= low && i+k < len(p); i++ {
		slope := (p[i+k].Smoothed - p[i-k].Smoothed) / math.Log10(p[i+k].LR/p[i-k].LR)
		if steep < 0 || slope < best {
			steep, best = i, slope
		}
	}
	if steep < 0 {
		// The lowest point comes within k steps of either end.
		r.Steepest = r.Lowest / 10
	} else {
		r.Steepest = p[steep].LR
	}
	r.Suggested = math.Min(r.Steepest, r.Lowest/10)
}

// rangeTest runs the learning-rate range test on the setup.
func (d *doctor) rangeTest(ctx context.Context) (*LRRange, error) {
	r := &LRRange{Min: d.o.RangeMin, Max: d.o.RangeMax, Diverged: math.NaN()}
	m, err := d.model(d.s.Spec)
	if err != nil {
		return nil, err
	}
	n := d.o.RangeSteps
	var avg, lowest float64
	lowest = math.Inf(1)
	record := trainer.HookFuncs{OnBackward: func(s *trainer.State) error {
		avg = RangeSmoothing*avg + (1-RangeSmoothing)*s.Loss
		sm := avg / (1 - math.Pow(RangeSmoothing, float64(s.Step+1)))
		r.Points = append(r.Points, LRPoint{Step: s.Step, LR: s.LR, Loss: s.Loss, Smoothed: sm})
		lowest = math.Min(lowest, sm)
		if math.IsNaN(sm) || math.IsInf(sm, 0) || sm > RangeDivergence*lowest {
			r.Diverged = s.LR
			return trainer.ErrStop
		}
		return nil
	}}
	_, err = trainer.Train(ctx, m, d.all, trainer.Data{}, trainer.Config{
		Steps: n, BatchSize: d.s.BatchSize, Loss: d.loss, Optimizer: d.optimizer(false),
		Schedule: trainer.Exponential{LR: r.Min, Rate: r.Max / r.Min, Steps: n - 1},
		Seed:     d.s.Seed, EvalEvery: n, Hooks: []trainer.Hook{record},
	})
	if err != nil {
		return nil, err
	}
	r.analyse()
	return r, nil
}

func (d *doctor) checkLRRange(ctx context.Context) (Check, error) {
	c := Check{ID: CheckLRRange, Title: "learning-rate range", Value: math.NaN()}
	r, err := d.rangeTest(ctx)
	if err != nil {
		return c, err
	}
	d.rep.Range = r
	lr := d.s.LR
	if !r.Falls {
		c.Verdict = Fail
		c.Measured = fmt.Sprintf("the loss does not fall by %g%% at any rate from %g to %g", 100*RangeMinDrop, r.Min, r.Max)
		c.Expected = "a falling loss"
		c.Fix = "the model does not learn: see the overfit and gradient checks; check data and labels"
		return c, nil
	}
	c.Value = r.Suggested
	c.Expected = fmt.Sprintf("learning rate %g within [suggested/10, lowest] = [%.2g, %.2g]", lr, r.Suggested/10, r.Lowest)
	c.Measured = fmt.Sprintf("suggested %.2g: steepest fall at %.2g, lowest loss at %.2g", r.Suggested, r.Steepest, r.Lowest)
	if !math.IsNaN(r.Diverged) {
		c.Measured += fmt.Sprintf(", diverged at %.2g", r.Diverged)
	}
	switch {
	case lr >= r.Diverged:
		c.Verdict = Fail
		c.Fix = fmt.Sprintf("the loss diverged at %.2g, below the learning rate %g: lower it to about %.2g", r.Diverged, lr, r.Suggested)
	case lr > r.Lowest:
		c.Verdict = Warn
		c.Fix = fmt.Sprintf("the learning rate %g is past the lowest point of the curve, where the loss starts to climb: try about %.2g", lr, r.Suggested)
	case lr < r.Suggested/10:
		c.Verdict = Warn
		c.Fix = fmt.Sprintf("the learning rate %g is over ten times below where the loss falls fastest: training will be slow; try about %.2g", lr, r.Suggested)
	}
	return c, nil
}
