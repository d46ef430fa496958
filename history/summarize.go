package history

import (
	"context"
	"fmt"
	"math"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/tbgo/tbgo/summary"
)

// A RunSummary is what Summarize gathers of one run: its HParams session,
// the time it spans and a summary of each of its scalar series.
type RunSummary struct {
	// Run is the run's name.
	Run string
	// Session is the run's HParams session, or, for a run without one of
	// its own, its nearest ancestor run's, as TensorBoard's HParams
	// dashboard joins a session with the runs below it (an "eval"
	// sub-run of a trial shows the trial's hyper-parameters).
	// SessionRun names the run it comes from; it is empty, and
	// Session.Started false, when neither the run nor an ancestor has
	// one. The hyper-parameters include the run information tbgo's
	// writers record (run/version, run/host, ...).
	Session    Session
	SessionRun string
	// Values counts the run's values of every kind and tag. Start and
	// End are the earliest and the latest of their wall times, in
	// seconds since the Unix epoch; both are 0 when Values is 0.
	Values     int
	Start, End float64
	// Scalars summarises each selected scalar series of the run, in tag
	// order.
	Scalars []ScalarSummary
}

// Duration returns the time from the run's first value to its last.
func (r *RunSummary) Duration() time.Duration {
	return time.Duration((r.End - r.Start) * float64(time.Second))
}

// Scalar returns the summary of the run's scalar series tag, or nil if
// the run has none.
func (r *RunSummary) Scalar(tag string) *ScalarSummary {
	i, ok := slices.BinarySearchFunc(r.Scalars, tag, func(s ScalarSummary, tag string) int {
		return strings.Compare(s.Tag, tag)
	})
	if !ok {
		return nil
	}
	return &r.Scalars[i]
}

// A Point is a scalar value with its step and wall time.
type Point struct {
	Step     int64
	WallTime float64
	Value    float64
}

// A ScalarSummary summarises a scalar series (a run and tag).
//
// Last is the value at the series' greatest step, and of several values
// at that step the one read last: the rightmost point of the series'
// chart. In the TensorBoard view, where a series' steps strictly
// increase, it is the series' last value, the one TensorBoard's scalar
// dashboard ends its line with and its HParams dashboard reports as the
// session's metric. It is the one definition of a run's "last" value in
// tbgo: compare prints it and a sweep ranks its trials by it.
type ScalarSummary struct {
	Tag string
	// Count is the number of values; NaNs counts those that are NaN.
	Count, NaNs int
	Last        Point
	// Min and Max are the smallest and the largest value that is not
	// NaN, each at the first step (in read order) it was reached. When
	// every value is NaN (NaNs == Count) both hold NaN at step 0.
	Min, Max Point
}

// add takes in the series' next value.
func (s *ScalarSummary) add(p Point) {
	if s.Count == 0 || p.Step >= s.Last.Step {
		s.Last = p
	}
	s.Count++
	if math.IsNaN(p.Value) {
		if s.NaNs++; s.NaNs == s.Count {
			s.Min, s.Max = Point{Value: math.NaN()}, Point{Value: math.NaN()}
		}
		return
	}
	if s.NaNs == s.Count-1 { // the first value that is not NaN
		s.Min, s.Max = p, p
		return
	}
	if p.Value < s.Min.Value {
		s.Min = p
	}
	if p.Value > s.Max.Value {
		s.Max = p
	}
}

// Summarize reads the runs o selects and summarises each (RunSummary), in
// run name order: its session, the span of its wall times and, for each
// scalar tag o selects, the series' count, last, minimum and maximum
// values (ScalarSummary). o.View says which values count: the commands
// read the TensorBoard view, which Summarize's caller must ask for (the
// zero Options read Raw). Sessions are read whatever tags o selects, and
// so are the ancestors of the selected runs, for the sessions they pass
// on. Damage is handled as Values handles it.
func Summarize(ctx context.Context, src *Source, o *Options) ([]RunSummary, error) {
	r := newRead(o)
	var selected []string
	read := map[string]bool{}
	for _, run := range src.runs {
		if r.Runs.Match(run.Name) {
			selected = append(selected, run.Name)
			for a := run.Name; ; a = path.Dir(a) {
				read[a] = true
				if a == "." {
					break
				}
			}
		}
	}
	if len(selected) == 0 {
		return nil, nil
	}
	type state struct {
		sum     RunSummary
		own     bool // the run has a session of its own
		scalars map[string]*ScalarSummary
	}
	states := map[string]*state{}
	all := r.Options
	all.Tags = nil // sessions and wall times come from every tag
	var err error
	for _, run := range src.runs {
		if !read[run.Name] {
			continue
		}
		st := &state{sum: RunSummary{Run: run.Name}, scalars: map[string]*ScalarSummary{}}
		states[run.Name] = st
		tags := tagFilter{m: r.Tags}
		err = src.runValues(ctx, &all, r.report, run, func(v *Value) error {
			if st.sum.Values == 0 || v.WallTime < st.sum.Start {
				st.sum.Start = v.WallTime
			}
			if st.sum.Values == 0 || v.WallTime > st.sum.End {
				st.sum.End = v.WallTime
			}
			st.sum.Values++
			if ok, err := st.sum.Session.Add(&v.Value); ok || err != nil {
				if err != nil {
					return fmt.Errorf("history: %s offset %d: %w", v.File, v.Offset, err)
				}
				return nil
			}
			if v.Kind != summary.KindScalar || !tags.match(v.Tag) {
				return nil
			}
			s := st.scalars[v.Tag]
			if s == nil {
				s = &ScalarSummary{Tag: v.Tag}
				st.scalars[v.Tag] = s
			}
			s.add(Point{Step: v.Step, WallTime: v.WallTime, Value: v.Scalar})
			return nil
		})
		if err != nil {
			return nil, err
		}
		st.own = st.sum.Session.Started
	}
	if err := r.end(); err != nil {
		return nil, err
	}
	out := make([]RunSummary, 0, len(selected))
	for _, name := range selected {
		st := states[name]
		sum := st.sum
		sum.Session = Session{}
		for a := name; ; a = path.Dir(a) {
			if anc := states[a]; anc != nil && anc.own {
				sum.Session, sum.SessionRun = anc.sum.Session, a
				break
			}
			if a == "." {
				break
			}
		}
		sum.Scalars = make([]ScalarSummary, 0, len(st.scalars))
		for _, s := range st.scalars {
			sum.Scalars = append(sum.Scalars, *s)
		}
		slices.SortFunc(sum.Scalars, func(a, b ScalarSummary) int { return strings.Compare(a.Tag, b.Tag) })
		out = append(out, sum)
	}
	return out, nil
}
