package sweep

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/tbgo/tbgo/history"
	"github.com/tbgo/tbgo/storage"
	"github.com/tbgo/tbgo/summary"
	"github.com/tbgo/tbgo/tfevents"
	"github.com/tbgo/tbgo/trainer"
	"github.com/tbgo/tbgo/trainer/job"
)

// BorderFraction is rule 20's border: a best value within this fraction
// of its range's span from either end (in log space for a log-uniform
// parameter) sits on the border, and the range may be too narrow.
const BorderFraction = 0.1

// Options tunes Run. The zero value (or a nil *Options) runs the
// configuration's number of trials at once and prints nothing.
type Options struct {
	// Parallel, if positive, overrides Config.Parallel.
	Parallel int
	// Out receives a line per finished trial; nil discards them.
	Out io.Writer
	// Hooks are added to every trial's training by RunJobs
	// (job.Runner.Hooks). Trials run concurrently, so they must be safe
	// for concurrent use.
	Hooks []trainer.Hook
	// Only, when not nil, runs only these trials of the deterministic
	// expansion (Config.Plan), by their 0-based index: one process per
	// index of a Slurm job array or a Kubernetes Indexed Job, all
	// writing to one logdir. It needs a single stage: a later stage
	// depends on the results of the earlier ones.
	Only []int
}

// Metrics are what a trial measured, by name: the sweep ranks trials by
// Config.Metric among them, as a scalar tag such as "accuracy/val".
type Metrics map[string]float64

// A TrainFunc trains one trial: it reads the trial's parameter values
// (Trial.Float, Trial.Int, Trial.String), trains, and returns the
// metrics, one of which is Config.Metric. It may log to TensorBoard in
// Trial.Dir, the trial's run, where the sweep records the HParams session
// and the returned metrics (at step 0) beside what it writes. Trials run
// concurrently, at most Options.Parallel at once: a TrainFunc must be
// safe for concurrent use. It should return soon after ctx is done.
type TrainFunc func(ctx context.Context, t *Trial) (Metrics, error)

// A Trial is one run of a sweep.
type Trial struct {
	// ID identifies the trial: the first 12 hex digits of the SHA-256 of
	// its parameter values and its run seed (see TrialID). Its run is
	// Dir, <sweep>/trial-<ID>.
	ID  string
	Dir string
	// Stage is the stage that proposed the trial, from 1.
	Stage int
	// Texts are the parameter values as set (aligned with
	// Config.Params); Values the same as the run records them in its
	// HParams session (job.Config.Values), by key.
	Texts  []string
	Values map[string]any
	keys   []string
	// Resumed reports that the trial had finished in an earlier run of
	// the sweep and was not trained again.
	Resumed bool
	// Status is the trial's HParams session status; Metric the last
	// value of Config.Metric in its run, NaN if none; Duration the time
	// from the session's start to its end; Alerts the number of
	// diagnostics alerts (0 for resumed trials).
	Status   summary.Status
	Metric   float64
	Duration time.Duration
	Alerts   int
	// Index is the trial's position in the expansion of its stage, from
	// 0: Options.Only and tbgo sweep -trial select trials by it.
	Index int
	// Seed is the sweep's seed (a job's is its run configuration's):
	// for a TrainFunc that wants one.
	Seed uint64
	// Err is the error that ended the trial, if any.
	Err error

	cfg job.Config
}

// String returns the text of parameter key's value as the trial set it,
// such as "adam", "[64, 64]" or "0.003162"; "" if the sweep has no such
// parameter.
func (t *Trial) String(key string) string {
	if i := slices.Index(t.keys, key); i >= 0 {
		return t.Texts[i]
	}
	return ""
}

// Float returns parameter key's value as a number, NaN if it is not one
// (or there is no such parameter).
func (t *Trial) Float(key string) float64 {
	v, err := strconv.ParseFloat(t.String(key), 64)
	if err != nil {
		return math.NaN()
	}
	return v
}

// Int returns parameter key's value as an integer (an int_uniform
// parameter's, or a numeric choice's), 0 if it is not one.
func (t *Trial) Int(key string) int {
	v := t.Float(key)
	if v != math.Trunc(v) || math.Abs(v) > 1<<53 {
		return 0
	}
	return int(v)
}

// A Result is what a sweep did.
type Result struct {
	// Dir is the sweep's directory, <logdir>/<name>, the logdir to open
	// in TensorBoard.
	Dir string
	// Trials are every trial of the sweep, stage by stage, in the order
	// they were proposed.
	Trials []*Trial
	// Best is the trial with the best metric, nil if none has one.
	Best *Trial
	// Trained counts the trials trained by this call (the others were
	// resumed).
	Trained int
	// Warnings are rule 20's border warnings for Best, one per numeric
	// parameter whose best value sits on the border of its range.
	Warnings []string

	goal string
}

// TrialID returns the identity of a trial: the first 12 hex digits of the
// SHA-256 of "key=value" lines of its parameter values, sorted by key, and
// "seed=<seed>", its run configuration's seed. The same sweep run again
// gives its trials the same IDs, which is how Run recognises the trials
// it finished before. The base run configuration and the knobs set by
// set are not part of the identity: a sweep with another base wants
// another name.
func TrialID(values map[string]string, seed uint64) string {
	keys := make([]string, 0, len(values))
	for k := range values {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	h := sha256.New()
	for _, k := range keys {
		fmt.Fprintf(h, "%s=%s\n", k, values[k])
	}
	fmt.Fprintf(h, "seed=%d\n", seed)
	return hex.EncodeToString(h.Sum(nil))[:12]
}

// canon returns the text of a run configuration value, for identities.
func canon(v any) string {
	switch x := v.(type) {
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64)
	case string:
		return x
	}
	return fmt.Sprint(v)
}

// Experiment returns the declaration of the sweep's hyper-parameters and
// metrics for TensorBoard's HParams dashboard: each parameter under its
// knob's key, a choice as a discrete domain of its values (as the runs
// record them), a range as the interval from low to high; the metrics
// loss/train, accuracy/train, loss/val, accuracy/val and Config.Metric.
// c must be resolved (Load, or Resolve).
func (c *Config) Experiment() (*summary.Experiment, error) {
	if !c.resolved && !c.free {
		return nil, errors.New("sweep: Experiment of an unresolved configuration (call Resolve)")
	}
	exp := &summary.Experiment{
		Name:        c.Name,
		Description: fmt.Sprintf("tbgo sweep %s: %s search of %d parameters, ranked by %s (%s).", c.Name, c.Method, len(c.Params), c.Metric, c.Goal),
	}
	for _, p := range c.Params {
		hp := summary.HParam{Name: p.Key}
		if p.numeric() {
			hp.Domain = summary.Interval(p.Low, p.High)
			hp.Description = fmt.Sprintf("%s in [%g, %g]", strings.ReplaceAll(p.Type, "_", "-"), p.Low, p.High)
		} else if c.free {
			var vals []any
			for _, t := range p.Values {
				vals = append(vals, freeValue(t))
			}
			hp.Domain = summary.Discrete(vals...)
			hp.Description = fmt.Sprintf("one of %s", strings.Join(p.Values, ", "))
		} else {
			var vals []any
			for _, t := range p.Values {
				cfg, err := c.runConfig()
				if err != nil {
					return nil, err
				}
				if err := cfg.Set(p.Key, t); err != nil {
					return nil, c.errorf(p.line, "params."+p.Key, "%v", err)
				}
				v := cfg.Values()[p.Key]
				if slices.Contains(vals, v) {
					return nil, c.errorf(p.line, "params."+p.Key, "values %v: two choices give the same value %v", p.Values, v)
				}
				vals = append(vals, v)
			}
			hp.Domain = summary.Discrete(vals...)
			hp.Description = fmt.Sprintf("one of %s", strings.Join(p.Values, ", "))
		}
		exp.HParams = append(exp.HParams, hp)
	}
	tags := []string{"loss/train", "accuracy/train", "loss/val", "accuracy/val"}
	if c.free {
		tags = nil
	}
	if !slices.Contains(tags, c.Metric) {
		tags = append(tags, c.Metric)
	}
	for _, t := range tags {
		m := summary.Metric{Tag: t}
		if t == c.Metric {
			m.Description = fmt.Sprintf("the sweep's metric (%s)", c.Goal)
		}
		exp.Metrics = append(exp.Metrics, m)
	}
	return exp, nil
}

// Dir returns the sweep's directory, <logdir>/<name>: a path, or a URL if
// the logdir is an object store's (see summary.NewWriter).
func (c *Config) Dir() string { return storage.Join(c.Logdir, c.Name) }

// freeValue returns a choice's text as a TrainFunc's trial records it
// in its session: a number or a boolean if the text is one, else the
// text.
func freeValue(s string) any {
	if v, err := strconv.ParseFloat(s, 64); err == nil {
		return v
	}
	if b, err := strconv.ParseBool(s); err == nil {
		return b
	}
	return s
}

// trial makes the trial of pt.
func (c *Config) trial(pt point, stage int, exp *summary.Experiment) (*Trial, error) {
	if c.free {
		t := &Trial{Stage: stage, Texts: pt, Values: map[string]any{}, Metric: math.NaN(), Seed: c.Seed}
		texts := map[string]string{}
		for i, p := range c.Params {
			t.keys = append(t.keys, p.Key)
			texts[p.Key] = pt[i]
			t.Values[p.Key] = freeValue(pt[i])
		}
		t.ID = TrialID(texts, c.Seed)
		t.Dir = storage.Join(c.Dir(), "trial-"+t.ID)
		return t, nil
	}
	cfg, err := c.runConfig()
	if err != nil {
		return nil, err
	}
	texts := map[string]string{}
	for i, p := range c.Params {
		if err := cfg.Set(p.Key, pt[i]); err != nil {
			return nil, c.errorf(p.line, "params."+p.Key, "%v", err)
		}
	}
	all := cfg.Values()
	t := &Trial{Stage: stage, Texts: pt, Values: map[string]any{}, Metric: math.NaN(), Seed: cfg.Seed}
	for _, p := range c.Params {
		t.keys = append(t.keys, p.Key)
		t.Values[p.Key] = all[p.Key]
		texts[p.Key] = canon(all[p.Key])
	}
	if err := exp.Check(t.Values); err != nil {
		return nil, fmt.Errorf("sweep: trial %v outside the declared experiment: %w", pt, err)
	}
	t.ID = TrialID(texts, cfg.Seed)
	t.Dir = storage.Join(c.Dir(), "trial-"+t.ID)
	cfg.Name, cfg.Dir = "trial-"+t.ID, t.Dir
	t.cfg = cfg
	return t, nil
}

// Plan returns the trials of the first stage without running them, for a
// dry run. c must be resolved.
func (c *Config) Plan() ([]*Trial, error) {
	exp, err := c.Experiment()
	if err != nil {
		return nil, err
	}
	var out []*Trial
	seen := map[string]bool{}
	for _, pt := range c.points(1, c.space()) {
		t, err := c.trial(pt, 1, exp)
		if err != nil {
			return nil, err
		}
		if !seen[t.ID] {
			seen[t.ID] = true
			t.Index = len(out)
			out = append(out, t)
		}
	}
	return out, nil
}

// Trial returns trial i (from 0) of the deterministic expansion of a
// single-stage sweep (Plan), as tbgo sweep -trial runs it.
func (c *Config) Trial(i int) (*Trial, error) {
	if c.Stages > 1 {
		return nil, fmt.Errorf("sweep: a single trial of a %d-stage sweep: the later stages depend on the earlier results (%w)", c.Stages, ErrConfig)
	}
	trials, err := c.Plan()
	if err != nil {
		return nil, err
	}
	if i < 0 || i >= len(trials) {
		return nil, fmt.Errorf("sweep: trial %d: the sweep has trials 0 to %d (%w)", i, len(trials)-1, ErrConfig)
	}
	return trials[i], nil
}

// Run runs the sweep c describes with the user's training function:
// the same search (grid or random, coarse to fine), parallelism and
// resuming as tbgo sweep, for a model of one's own. The parameters are
// free: their keys are the names train reads (Trial.Float("lr")), not
// knobs of tbgo train, so c must have no base or set (those configure
// tbgo train's trainer; see RunJobs).
//
// Each trial is a run in <dir>/trial-<id> holding an HParams session
// with the trial's values under the experiment declared at the sweep's
// root, and the metrics train returned, as scalars at step 0; the
// session ends with STATUS_SUCCESS, or STATUS_FAILURE when train returned
// an error. A trial whose session ended successfully in an earlier run of
// the sweep is read back, not trained again.
func Run(ctx context.Context, c *Config, train TrainFunc, o *Options) (*Result, error) {
	if c.Base != "" || len(c.Set) > 0 {
		return nil, fmt.Errorf("sweep: base and set configure tbgo train's trainer (RunJobs); a TrainFunc takes its fixed settings itself (%w)", ErrConfig)
	}
	if err := c.fill(map[string]int{}); err != nil {
		return nil, err
	}
	c.free = true
	if c.Logdir == "" {
		c.Logdir = job.Default().Logdir
	}
	return c.run(ctx, o, func(ctx context.Context, t *Trial, o *Options) error {
		return c.trainFunc(ctx, t, train)
	})
}

// RunJobs runs the sweep c describes with tbgo train's trainer
// (package job), resolving c first if needed: it declares the experiment
// at c.Dir() (summary.WriteExperiment, merged with an earlier
// declaration), then, stage by stage, proposes the trials (a grid's
// product or Config.Trials random draws; a trial already proposed is not
// proposed again) and trains them, at most Parallel at once, each as its
// own run of package job in <dir>/trial-<id> with an HParams session
// recording every knob. A trial whose run holds a session that ended
// successfully is not trained again but read back: the same sweep run
// twice trains nothing the second time. A trial that failed or was
// interrupted is trained again from scratch (its directory removed
// first).
//
// After each stage but the last, the ranges narrow around the best Top
// trials so far (see narrow). A trial that fails does not stop the sweep;
// its error is in Trial.Err. Cancelling ctx stops the trials under way
// (their sessions end in failure) and returns what was done with
// ctx.Err().
func RunJobs(ctx context.Context, c *Config, o *Options) (*Result, error) {
	if !c.resolved {
		if err := c.Resolve(); err != nil {
			return nil, err
		}
	}
	return c.run(ctx, o, func(ctx context.Context, t *Trial, o *Options) error {
		r := &job.Runner{Progress: job.Quiet, Hooks: o.Hooks}
		res, err := r.Run(ctx, t.cfg)
		if res != nil {
			t.Status, t.Alerts = res.Status, len(res.Alerts)
		}
		return err
	})
}

// run is Run and RunJobs, training each trial with train.
func (c *Config) run(ctx context.Context, o *Options, train func(context.Context, *Trial, *Options) error) (*Result, error) {
	if o == nil {
		o = &Options{}
	}
	if o.Only != nil && c.Stages > 1 {
		return nil, fmt.Errorf("sweep: single trials of a %d-stage sweep: the later stages depend on the earlier results (%w)", c.Stages, ErrConfig)
	}
	exp, err := c.Experiment()
	if err != nil {
		return nil, err
	}
	dir := c.Dir()
	if local, ok := storage.Local(dir); ok {
		if err := os.MkdirAll(local, 0o755); err != nil {
			return nil, fmt.Errorf("sweep: %w", err)
		}
	}
	if err := summary.WriteExperiment(dir, *exp); err != nil {
		return nil, fmt.Errorf("sweep: %w", err)
	}
	res := &Result{Dir: dir, goal: c.Goal}
	spans := c.space()
	seen := map[string]bool{}
	out := &lockedWriter{w: o.Out}
	for stage := 1; stage <= c.Stages; stage++ {
		var batch []*Trial
		for _, pt := range c.points(stage, spans) {
			t, err := c.trial(pt, stage, exp)
			if err != nil {
				return res, err
			}
			if !seen[t.ID] {
				seen[t.ID] = true
				t.Index = len(batch)
				batch = append(batch, t)
			}
		}
		if o.Only != nil {
			var only []*Trial
			for _, i := range o.Only {
				if i < 0 || i >= len(batch) {
					return res, fmt.Errorf("sweep: trial %d: the sweep has trials 0 to %d (%w)", i, len(batch)-1, ErrConfig)
				}
				only = append(only, batch[i])
			}
			batch = only
		}
		if c.Stages > 1 {
			fmt.Fprintf(out, "stage %d of %d: %d trials\n", stage, c.Stages, len(batch))
		}
		c.runTrials(ctx, batch, len(res.Trials), o, out, train)
		res.Trials = append(res.Trials, batch...)
		for _, t := range batch {
			if !t.Resumed && !errors.Is(t.Err, errSkipped) {
				res.Trained++
			}
		}
		if err := ctx.Err(); err != nil {
			res.finish(c, o.Only == nil)
			return res, err
		}
		if stage < c.Stages {
			spans = c.narrowAll(spans, res.ranked(), len(batch))
		}
	}
	res.finish(c, o.Only == nil)
	return res, nil
}

// trainFunc trains t with a TrainFunc, recording its session and metrics
// in its run.
func (c *Config) trainFunc(ctx context.Context, t *Trial, train TrainFunc) (err error) {
	exp, err := c.Experiment()
	if err != nil {
		return err
	}
	w, err := summary.NewWriter(t.Dir, nil)
	if err != nil {
		return fmt.Errorf("sweep: %w", err)
	}
	defer func() {
		if cerr := w.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("sweep: %w", cerr)
		}
	}()
	if err := w.StartSession(t.Values, &summary.SessionOptions{Experiment: exp}); err != nil {
		return fmt.Errorf("sweep: %w", err)
	}
	metrics, terr := train(ctx, t)
	status := summary.StatusSuccess
	if terr != nil {
		status = summary.StatusFailure
	}
	if terr == nil {
		if _, ok := metrics[c.Metric]; !ok {
			terr = fmt.Errorf("sweep: the trial returned no %s (metrics %v)", c.Metric, slices.Sorted(maps.Keys(metrics)))
			status = summary.StatusFailure
		}
	}
	for _, k := range slices.Sorted(maps.Keys(metrics)) {
		if werr := w.Scalar(k, 0, metrics[k]); werr != nil && terr == nil {
			terr = fmt.Errorf("sweep: metric %s: %w", k, werr)
			status = summary.StatusFailure
		}
	}
	if err := w.EndSession(status); err != nil && terr == nil {
		terr = fmt.Errorf("sweep: %w", err)
	}
	t.Status = status
	return terr
}

// errSkipped marks a trial not run because the sweep was cancelled.
var errSkipped = errors.New("not run: the sweep was cancelled")

// lockedWriter serialises the lines of concurrent trials.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(b []byte) (int, error) {
	if l.w == nil {
		return len(b), nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(b)
}

// runTrials runs trials with train, at most the configured number at
// once.
func (c *Config) runTrials(ctx context.Context, trials []*Trial, done int, o *Options, out io.Writer, train func(context.Context, *Trial, *Options) error) {
	sem := make(chan struct{}, c.parallelism(o.Parallel))
	var wg sync.WaitGroup
	var mu sync.Mutex
	total := done + len(trials)
	for _, t := range trials {
		acquired := false
		select {
		case sem <- struct{}{}:
			acquired = true
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			if acquired {
				<-sem
			}
			t.Err, t.Status = errSkipped, summary.StatusUnknown
			continue
		}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			c.runTrial(ctx, t, o, train)
			mu.Lock()
			done++
			n := done
			mu.Unlock()
			fmt.Fprintf(out, "[%*d/%d] %s\n", len(fmt.Sprint(total)), n, total, c.trialLine(t))
		}()
	}
	wg.Wait()
}

// trialLine describes a finished trial in one line.
func (c *Config) trialLine(t *Trial) string {
	var b strings.Builder
	fmt.Fprintf(&b, "trial-%s ", t.ID)
	for i, p := range c.Params {
		fmt.Fprintf(&b, " %s=%s", p.Key, t.Texts[i])
	}
	fmt.Fprintf(&b, "  %s %.4g", c.Metric, t.Metric)
	switch {
	case t.Resumed:
		b.WriteString("  (finished earlier)")
	case t.Err != nil:
		fmt.Fprintf(&b, "  failed: %v", t.Err)
	default:
		fmt.Fprintf(&b, "  %.1fs", t.Duration.Seconds())
		if t.Alerts > 0 {
			fmt.Fprintf(&b, ", %d alerts", t.Alerts)
		}
	}
	return b.String()
}

// runTrial trains t with train, or reads it back if it finished before.
func (c *Config) runTrial(ctx context.Context, t *Trial, o *Options, train func(context.Context, *Trial, *Options) error) {
	exists := c.readBack(t) == nil
	if exists && t.Status == summary.StatusSuccess {
		t.Resumed = true
		return
	}
	status := t.Status
	t.Status, t.Metric, t.Duration = summary.StatusFailure, math.NaN(), 0
	if local, ok := storage.Local(t.Dir); ok {
		if err := os.RemoveAll(local); err != nil {
			t.Err = fmt.Errorf("sweep: removing the unfinished trial: %w", err)
			return
		}
	} else if exists {
		// Nothing in an object store is deleted or replaced: a second
		// session in the run would hide behind the first in TensorBoard.
		t.Err = fmt.Errorf("sweep: trial-%s's run %s holds a session that did not succeed (%v); "+
			"an object store keeps it: delete the run's objects to train the trial again", t.ID, storage.Display(t.Dir), status)
		t.Status = status
		return
	}
	t.Err = train(ctx, t, o)
	if rerr := c.readBack(t); rerr != nil && t.Err == nil {
		t.Err = rerr
	}
	if t.Err != nil && t.Status == summary.StatusSuccess {
		t.Status = summary.StatusFailure
	}
}

// readBack reads t's run: its session's status and duration and the last
// value of the metric. A missing run is an error wrapping
// os.ErrNotExist.
func (c *Config) readBack(t *Trial) error {
	if local, ok := storage.Local(t.Dir); ok {
		if _, err := os.Stat(local); err != nil {
			return err
		}
	}
	src, err := history.Open(t.Dir)
	if errors.Is(err, tfevents.ErrNoEventFiles) {
		return fmt.Errorf("%w: %w", os.ErrNotExist, err) // a run in a bucket is its objects
	}
	if err != nil {
		return err
	}
	defer src.Close()
	runs, err := history.Compile(".")
	if err != nil {
		return err
	}
	tags, err := history.Compile("re:^" + regexp.QuoteMeta(c.Metric) + "$")
	if err != nil {
		return err
	}
	sums, err := history.Summarize(context.Background(), src, &history.Options{Runs: runs, Tags: tags, View: history.TensorBoard})
	if err != nil {
		return err
	}
	t.Metric, t.Status = math.NaN(), summary.StatusUnknown
	if len(sums) != 1 {
		return nil
	}
	sum := &sums[0]
	if m := sum.Scalar(c.Metric); m != nil {
		t.Metric = m.Last.Value
	}
	if s := sum.Session; s.Ended {
		t.Status = s.Status
		if s.Started {
			t.Duration = time.Duration((s.EndTime - s.StartTime) * float64(time.Second))
		}
	}
	return nil
}

// better reports whether metric a beats b for goal; NaN never wins.
func better(goal string, a, b float64) bool {
	switch {
	case math.IsNaN(a):
		return false
	case math.IsNaN(b):
		return true
	case goal == "max":
		return a > b
	}
	return a < b
}

// ranked returns the successful trials with a metric, best first (ties
// in proposal order).
func (r *Result) ranked() []*Trial {
	var out []*Trial
	for _, t := range r.Trials {
		if t.Status == summary.StatusSuccess && !math.IsNaN(t.Metric) {
			out = append(out, t)
		}
	}
	slices.SortStableFunc(out, func(a, b *Trial) int {
		switch {
		case better(r.goal, a.Metric, b.Metric):
			return -1
		case better(r.goal, b.Metric, a.Metric):
			return 1
		}
		return 0
	})
	return out
}

// narrowAll returns the spans of the next stage from the best trials so
// far: the Top best (default a quarter of the last stage's trials, at
// least 1). With no successful trial the spans stay.
func (c *Config) narrowAll(spans []span, ranked []*Trial, stageTrials int) []span {
	top := c.Top
	if top == 0 {
		top = max(1, (stageTrials+3)/4)
	}
	if len(ranked) == 0 {
		return spans
	}
	ranked = ranked[:min(top, len(ranked))]
	next := make([]span, len(spans))
	for i := range c.Params {
		var vals []string
		for _, t := range ranked {
			vals = append(vals, t.Texts[i])
		}
		next[i] = c.Params[i].narrow(spans[i], vals)
	}
	return next
}

// finish picks the best trial and, when border, checks rule 20's
// border (a few selected trials say nothing of it).
func (r *Result) finish(c *Config, border bool) {
	ranked := r.ranked()
	if len(ranked) == 0 {
		return
	}
	r.Best = ranked[0]
	if !border {
		return
	}
	for i, p := range c.Params {
		if !p.numeric() {
			continue
		}
		v, err := strconv.ParseFloat(r.Best.Texts[i], 64)
		if err != nil {
			continue
		}
		lo, hi := p.warp(p.Low), p.warp(p.High)
		pos := (p.warp(v) - lo) / (hi - lo)
		space := "linear"
		if p.Type == LogUniform {
			space = "log"
		}
		switch {
		case pos <= BorderFraction:
			r.Warnings = append(r.Warnings, fmt.Sprintf("%s: the best value %s sits on the low border of [%g, %g] (within %g%% of the %s span): extend the range below %g", p.Key, r.Best.Texts[i], p.Low, p.High, 100*BorderFraction, space, p.Low))
		case pos >= 1-BorderFraction:
			r.Warnings = append(r.Warnings, fmt.Sprintf("%s: the best value %s sits on the high border of [%g, %g] (within %g%% of the %s span): extend the range above %g", p.Key, r.Best.Texts[i], p.Low, p.High, 100*BorderFraction, space, p.High))
		}
	}
}

// WriteTable writes a Markdown table of the trials, best first (trials
// without a metric last), then the best trial and the warnings.
func (r *Result) WriteTable(w io.Writer, c *Config) error {
	var b strings.Builder
	b.WriteString("| rank | trial | stage |")
	for _, p := range c.Params {
		fmt.Fprintf(&b, " %s |", p.Key)
	}
	fmt.Fprintf(&b, " %s | status | time |\n|---|---|---|", c.Metric)
	for range c.Params {
		b.WriteString("---|")
	}
	b.WriteString("---|---|---|\n")
	ranked := r.ranked()
	rest := slices.DeleteFunc(slices.Clone(r.Trials), func(t *Trial) bool { return slices.Contains(ranked, t) })
	for i, t := range append(ranked, rest...) {
		rank := "—"
		if i < len(ranked) {
			rank = strconv.Itoa(i + 1)
		}
		fmt.Fprintf(&b, "| %s | trial-%s | %d |", rank, t.ID, t.Stage)
		for _, v := range t.Texts {
			fmt.Fprintf(&b, " %s |", strings.ReplaceAll(v, "|", `\|`))
		}
		status := strings.TrimPrefix(t.Status.String(), "STATUS_")
		status = strings.ToLower(status)
		if t.Resumed {
			status += " (earlier)"
		}
		fmt.Fprintf(&b, " %.4g | %s | %.1fs |\n", t.Metric, status, t.Duration.Seconds())
	}
	if r.Best != nil {
		fmt.Fprintf(&b, "\nbest: trial-%s, %s %.4g (%s):", r.Best.ID, c.Metric, r.Best.Metric, c.Goal)
		for i, p := range c.Params {
			fmt.Fprintf(&b, " %s=%s", p.Key, r.Best.Texts[i])
		}
		fmt.Fprintf(&b, "\n  %s\n", storage.Display(r.Best.Dir))
	} else {
		b.WriteString("\nno trial finished with a metric\n")
	}
	for _, warn := range r.Warnings {
		fmt.Fprintf(&b, "warning (rule 20): %s\n", warn)
	}
	_, err := io.WriteString(w, b.String())
	return err
}
