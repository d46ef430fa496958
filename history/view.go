package history

import (
	"fmt"
	"math"
)

// A View says which of the values written to a series a read returns.
type View int

const (
	// Raw returns every value as written, in file order: a restarted
	// run's re-logged steps appear twice, steps may go backwards, and
	// several values at one step are all kept.
	Raw View = iota
	// TensorBoard returns what TensorBoard's data server (its default
	// loader, "load_fast") keeps of each series (run, tag): a value
	// preempts every earlier value of its series whose step is not smaller
	// than its own. A restart that rewinds the steps hides the orphaned
	// values it re-logs, steps within a series strictly increase, and of
	// several values at one step only the last is kept. The HParams
	// plugin's experiment, session start and session end are the
	// exception: TensorBoard reads them from the metadata of the first
	// value of each, so only that first value is returned. Nothing is
	// downsampled: TensorBoard's sampling (1000 scalars per series by
	// default) is left out.
	TensorBoard
)

// String returns "raw" or "tensorboard".
func (v View) String() string {
	switch v {
	case Raw:
		return "raw"
	case TensorBoard:
		return "tensorboard"
	}
	return fmt.Sprintf("View(%d)", int(v))
}

// ParseView returns the View named "raw" or "tensorboard".
func ParseView(s string) (View, error) {
	switch s {
	case "raw":
		return Raw, nil
	case "tensorboard":
		return TensorBoard, nil
	}
	return 0, fmt.Errorf("history: unknown view %q (want raw or tensorboard)", s)
}

// preemption is what the first pass of a TensorBoard view learns about one
// series: enough to tell, as the second pass meets each value again,
// whether a later value preempts it.
//
// Value i (counting from 0 within the series) with step s is preempted
// when some later value j > i has step <= s. Only values whose step is not
// above the series' running maximum can preempt anything; of those the
// first pass keeps a stack of "killers" with increasing ordinals and
// strictly increasing steps. A new killer pops every killer with a step
// not smaller than its own: whatever those would preempt, it preempts too.
// It is pushed only if some value since the killer below it has a step not
// smaller than its own; otherwise it preempts nothing new. With increasing
// steps, the smallest step of all killers after value i is the step of the
// first killer after i, so the second pass walks the stack with one index.
//
// The stack holds about one entry per restart of the series, not one per
// value: a series logged at step 0 over and over keeps one.
type preemption struct {
	n       int64 // values seen
	max     int64 // largest step seen, if n > 0
	gap     int64 // largest step since the top killer, if gapSeen
	gapSeen bool
	killers []killer

	// Second pass.
	at   int64 // values met again
	next int   // first killer whose ordinal is above at
}

type killer struct {
	ord, step int64
	gap       int64 // largest step between the killer below and this one
}

// add records the next value of the series in the first pass.
func (p *preemption) add(step int64) {
	ord := p.n
	p.n++
	if ord == 0 || step > p.max {
		p.max = step
		p.note(step)
		return
	}
	gap, seen := p.gap, p.gapSeen
	for len(p.killers) > 0 {
		top := p.killers[len(p.killers)-1]
		if top.step < step {
			break
		}
		gap = maxStep(gap, seen, max(top.gap, top.step))
		seen = true
		p.killers = p.killers[:len(p.killers)-1]
	}
	if seen && gap >= step {
		p.killers = append(p.killers, killer{ord: ord, step: step, gap: gap})
		p.gap, p.gapSeen = math.MinInt64, false
		return
	}
	// It preempts nothing: an ordinary value between killers.
	p.gap, p.gapSeen = gap, seen
	p.note(step)
}

// note counts step among the values since the top killer.
func (p *preemption) note(step int64) {
	p.gap = maxStep(p.gap, p.gapSeen, step)
	p.gapSeen = true
}

func maxStep(a int64, seen bool, b int64) int64 {
	if !seen {
		return b
	}
	return max(a, b)
}

// keep reports, in the second pass, whether the series' next value, with
// the given step, survives. A nil preemption is a series the first pass
// did not meet, as when a file is rewritten between the passes: nothing
// it learned preempts the series' values, so each is kept.
func (p *preemption) keep(step int64) bool {
	if p == nil {
		return true
	}
	ord := p.at
	p.at++
	for p.next < len(p.killers) && p.killers[p.next].ord <= ord {
		p.next++
	}
	return p.next == len(p.killers) || p.killers[p.next].step > step
}
