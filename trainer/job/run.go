package job

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/tbgo/tbgo/storage"
	"github.com/tbgo/tbgo/summary"
	"github.com/tbgo/tbgo/summary/runinfo"
	"github.com/tbgo/tbgo/trainer"
	"github.com/tbgo/tbgo/trainer/data"
	"github.com/tbgo/tbgo/trainer/diag"
)

// A Result is what a run did.
type Result struct {
	// Dir is the run directory.
	Dir string
	// Name is the run's name; Params the model's number of trainable
	// values.
	Name   string
	Params int
	// Steps and Epochs count the optimiser steps taken and the epochs
	// started; Stop says why training ended.
	Steps, Epochs int
	Stop          trainer.StopReason
	// Train holds the training loss and accuracy since the last
	// evaluation, Val the last evaluation of the validation set, Best the
	// evaluation with the lowest validation loss.
	Train, Val, Best trainer.Metrics
	// NonFiniteStep is the first step with a NaN or infinite loss, −1 if
	// none.
	NonFiniteStep int
	// Alerts are the diagnostics' alerts, in the order they fired.
	Alerts []diag.Alert
	// Status is the HParams session's status.
	Status summary.Status
	// Duration is the wall time of training, from the first step to the
	// last evaluation.
	Duration time.Duration
	// StoppedBy is the alert that stopped training, a NaN or infinite
	// value (rule 5), or nil.
	StoppedBy *diag.Alert

	valSamples int
}

// A StopError is the error of a run the diagnostics stopped: a NaN or
// infinite loss or gradient (rule 5) would have spread into the weights.
// The run is saved, its session ended as failed.
type StopError struct {
	// Alert is the alert that stopped training: its step, rule, the
	// tensor at fault and the value.
	Alert diag.Alert
}

// Error names the step, the rule, the tensor and the value.
func (e *StopError) Error() string {
	a := e.Alert
	return fmt.Sprintf("job: training stopped at step %d by %s: %s (%s)", a.Step, a.Cause(), a.Measured(), a.Threshold)
}

// fmtFloat formats a measurement, NaN and infinities included.
func fmtFloat(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return fmt.Sprint(v)
	}
	return fmt.Sprintf("%.4g", v)
}

// Fired reports whether rule id raised an alert.
func (r *Result) Fired(id int) bool {
	for _, a := range r.Alerts {
		if a.Rule == id {
			return true
		}
	}
	return false
}

// Progress says how a Runner shows training progress.
type Progress int

const (
	// Lines prints about ten plain lines per run, at evaluations: for
	// logs and pipes.
	Lines Progress = iota
	// Bar redraws one line with a bar, the loss and the accuracy, at most
	// ten times a second: for terminals.
	Bar
	// Quiet shows no progress; the model, the alerts and the final
	// summary are still printed.
	Quiet
)

// A Runner runs training jobs. The zero Runner prints plain progress lines
// to nowhere; set Out.
type Runner struct {
	// Out receives the model summary, the progress, the alerts with their
	// fixes and the final metrics; nil discards them.
	Out io.Writer
	// Progress says how progress is shown.
	Progress Progress
	// Now gives the time that names run directories; nil means time.Now.
	Now func() time.Time
	// Experiment, when set, checks the session's hyper-parameters against
	// an experiment declared at the logdir's root (tbgo sweep), and Group
	// groups sessions (seeds of one trial).
	Experiment *summary.Experiment
	Group      string
	// Hooks run after the Monitor at each stage of training.
	Hooks []trainer.Hook
}

// Run trains the job cfg describes with the default Runner printing to
// out (plain progress lines): see Runner.Run.
func Run(ctx context.Context, cfg Config, out io.Writer) (*Result, error) {
	return (&Runner{Out: out}).Run(ctx, cfg)
}

// Run builds the job cfg describes (see Build: every configuration and
// data error comes before training, and no directory is made), creates
// its run directory, <logdir>/<timestamp>-<name>/ or cfg.Dir, and trains
// with a diag.Monitor logging every tag of docs/DIAGNOSTICS.md there, the
// hyper-parameters (every knob, see Config.Values) and the run
// information (with the dataset's attribution) as the run's HParams
// session.
//
// Cancelling ctx stops training after the current step: the run is
// evaluated, the session ended with STATUS_FAILURE, the event file
// flushed and closed, and the Result returned with ctx.Err().
func (r *Runner) Run(ctx context.Context, cfg Config) (*Result, error) {
	job, err := Build(cfg)
	if err != nil {
		return nil, err
	}
	return r.RunJob(ctx, job)
}

// RunJob trains a job made by Build; see Run.
func (r *Runner) RunJob(ctx context.Context, job *Job) (res *Result, err error) {
	cfg := job.Config
	out := r.Out
	if out == nil {
		out = io.Discard
	}
	dir, err := r.makeDir(&cfg)
	if err != nil {
		return nil, err
	}
	w, err := summary.NewWriter(dir, &summary.Options{Sink: cfg.Upload.SinkOptions()})
	if err != nil {
		return nil, fmt.Errorf("job: %w", err)
	}
	if cfg.Diagnostics.SystemMetrics {
		runinfo.StartSampler(w, 5*time.Second) // stopped by w.Close
	}
	defer func() {
		if cerr := w.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("job: %w", cerr)
		}
	}()

	p := &printer{w: out, mode: r.Progress}
	fmt.Fprintf(p, "%s\n", strings.TrimRight(job.Model.String(), "\n"))
	fmt.Fprintf(p, "data: %s\nlogging to %s\n", job.DataText(), dir)

	hp := cfg.Values()
	info := cfg.Values()
	info["data.source"] = job.Train.Source
	mo := job.monitorOptions()
	mo.Alerts = p
	mo.Session = &diag.Session{HParams: hp, RunInfo: info, Experiment: r.Experiment, Group: r.Group}
	mon := diag.NewMonitor(w, mo)
	tc := job.Trainer
	tc.Hooks = append([]trainer.Hook{mon, p.hook(job)}, r.Hooks...)
	train, val := job.Data()
	start := time.Now()
	tr, terr := trainer.Train(ctx, job.Model, train, val, tc)
	res = &Result{Dir: dir, Name: cfg.Name, Params: job.Model.NumParams(), Alerts: mon.Alerts(),
		Status: mon.Status(), Duration: time.Since(start), NonFiniteStep: -1, valSamples: lenOf(job.Val)}
	if a, ok := mon.StoppedBy(); ok {
		res.StoppedBy = &a
	}
	if tr != nil {
		res.Steps, res.Epochs, res.Stop = tr.Steps, tr.Epochs, tr.Stop
		res.Train, res.Val, res.Best, res.NonFiniteStep = tr.Train, tr.Val, tr.Best, tr.NonFiniteStep
	}
	p.done()
	fmt.Fprintf(p, "%s\n", res.summaryLine())
	if terr != nil {
		return res, terr
	}
	if res.StoppedBy != nil {
		return res, &StopError{Alert: *res.StoppedBy}
	}
	return res, nil
}

func lenOf(d *data.Dataset) int {
	if d == nil {
		return 0
	}
	return d.Len()
}

// monitorOptions returns the Monitor's options the diagnostics knobs
// describe.
func (j *Job) monitorOptions() *diag.Options {
	d := j.Config.Diagnostics
	return &diag.Options{
		DiagEvery: d.DiagEvery, K: d.K, HistogramEvery: d.HistogramEvery, ImageEvery: d.ImageEvery, MaxFilters: d.MaxFilters,
		NoChecks: !d.Enabled, NoHistograms: !d.Histograms, NoImages: !d.Images, NoGraph: !d.Graph, KeepGoing: !d.StopOnNaN,
		ClassNames: j.Train.ClassNames,
	}
}

// summaryLine describes the outcome in one line: why training ended,
// after how long, the last validation and training metrics (NaN shown as
// such) and the number of alerts.
func (r *Result) summaryLine() string {
	var b strings.Builder
	switch {
	case r.StoppedBy != nil:
		fmt.Fprintf(&b, "stopped by rule %d %s at step %d", r.StoppedBy.Rule, r.StoppedBy.Name, r.StoppedBy.Step)
	case r.Stop == trainer.StopHook:
		b.WriteString("stopped by a hook")
	default:
		b.WriteString(string(r.Stop))
	}
	fmt.Fprintf(&b, " after %d steps (%d epochs) in %.1fs:", r.Steps, r.Epochs, r.Duration.Seconds())
	var parts []string
	if r.valSamples > 0 {
		parts = append(parts, "val loss "+fmtFloat(r.Val.Loss))
		if !math.IsNaN(r.Val.Accuracy) {
			parts = append(parts, fmt.Sprintf("val accuracy %.2f%%", 100*r.Val.Accuracy))
		}
	}
	parts = append(parts, "train loss "+fmtFloat(r.Train.Loss))
	b.WriteString(" " + strings.Join(parts, ", "))
	switch n := len(r.Alerts); n {
	case 0:
		b.WriteString("; no alerts")
	case 1:
		b.WriteString("; 1 alert")
	default:
		fmt.Fprintf(&b, "; %d alerts", n)
	}
	return b.String()
}

// makeDir creates the run directory, a new one: cfg.Dir, or
// <logdir>/<timestamp>-<name>, with a numeric suffix if that exists.
// In an object store (a URL, see summary.NewWriter) nothing is made: the
// run is its objects, and the Writer refuses a run that another process
// is writing.
func (r *Runner) makeDir(cfg *Config) (string, error) {
	if cfg.Dir != "" {
		if dir, local := storage.Local(cfg.Dir); local {
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return "", fmt.Errorf("job: %w", err)
			}
		}
		return cfg.Dir, nil
	}
	now := time.Now
	if r.Now != nil {
		now = r.Now
	}
	name := now().Format("20060102-150405") + "-" + cfg.Name
	logdir, local := storage.Local(cfg.Logdir)
	if !local {
		return storage.Join(cfg.Logdir, name), nil
	}
	if err := os.MkdirAll(logdir, 0o755); err != nil {
		return "", fmt.Errorf("job: %w", err)
	}
	base := filepath.Join(logdir, name)
	dir := base
	for i := 2; ; i++ {
		err := os.Mkdir(dir, 0o755)
		if err == nil {
			return dir, nil
		}
		if !errors.Is(err, os.ErrExist) || i > 1000 {
			return "", fmt.Errorf("job: %w", err)
		}
		dir = fmt.Sprintf("%s-%d", base, i)
	}
}

// printer writes the progress and the alerts to one writer, clearing the
// progress bar before any other line.
type printer struct {
	mu   sync.Mutex
	w    io.Writer
	mode Progress
	bar  bool // a bar is drawn on the current line
	// progress state
	total, evals, every int
	last                time.Time
	loss, acc           float64
	start               time.Time
}

// Write writes whole lines, after clearing the bar.
func (p *printer) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.clearBar()
	return p.w.Write(b)
}

func (p *printer) clearBar() {
	if p.bar {
		fmt.Fprint(p.w, "\r\033[K")
		p.bar = false
	}
}

// done ends the bar line.
func (p *printer) done() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.clearBar()
}

// hook returns the progress hook.
func (p *printer) hook(job *Job) trainer.Hook {
	p.total = job.TotalSteps()
	evals := job.Config.Epochs
	if job.Config.EvalEvery > 0 {
		evals = p.total / job.Config.EvalEvery
	} else if job.Config.Steps > 0 {
		evals = max(1, job.Config.Steps*job.Config.BatchSize/max(1, job.Train.Len()))
	}
	p.every = max(1, evals/10)
	p.start = time.Now()
	p.loss, p.acc = math.NaN(), math.NaN()
	return trainer.HookFuncs{
		OnStep: func(s *trainer.State) error {
			if p.mode != Bar {
				return nil
			}
			if math.IsNaN(p.loss) {
				p.loss = s.Loss
			} else {
				p.loss = 0.95*p.loss + 0.05*s.Loss
			}
			if now := time.Now(); now.Sub(p.last) >= 100*time.Millisecond || s.Step+1 == p.total {
				p.last = now
				p.drawBar(s)
			}
			return nil
		},
		OnEval: func(s *trainer.State) error {
			p.evals++
			if p.mode == Lines && ((p.evals-1)%p.every == 0 || s.Step >= p.total) {
				fmt.Fprintf(p, "%s\n", p.line(s))
			}
			if p.mode == Bar {
				p.acc = s.Val.Accuracy
				p.drawBar(s)
			}
			return nil
		},
	}
}

// line describes the state after an evaluation.
func (p *printer) line(s *trainer.State) string {
	var b strings.Builder
	fmt.Fprintf(&b, "step %*d/%d  epoch %d", len(fmt.Sprint(p.total)), s.Step, p.total, s.Epoch+1)
	fmt.Fprintf(&b, "  train loss %.4g", s.Train.Loss)
	if !math.IsNaN(s.Train.Accuracy) {
		fmt.Fprintf(&b, " acc %.3f", s.Train.Accuracy)
	}
	if s.ValData.Len() > 0 {
		fmt.Fprintf(&b, "  val loss %.4g", s.Val.Loss)
		if !math.IsNaN(s.Val.Accuracy) {
			fmt.Fprintf(&b, " acc %.3f", s.Val.Accuracy)
		}
	}
	return b.String()
}

// drawBar redraws the progress bar.
func (p *printer) drawBar(s *trainer.State) {
	p.mu.Lock()
	defer p.mu.Unlock()
	done := s.Step + 1
	if p.total > 0 {
		done = min(done, p.total)
	}
	frac := float64(done) / float64(max(p.total, 1))
	const width = 30
	n := int(frac * width)
	bar := strings.Repeat("=", n) + strings.Repeat(" ", width-n)
	if n < width && n > 0 {
		bar = strings.Repeat("=", n-1) + ">" + strings.Repeat(" ", width-n)
	}
	line := fmt.Sprintf("\r\033[K[%s] %3.0f%% step %d/%d  loss %.4g", bar, 100*frac, done, p.total, p.loss)
	if !math.IsNaN(p.acc) {
		line += fmt.Sprintf("  val acc %.3f", p.acc)
	}
	line += fmt.Sprintf("  %.1fs", time.Since(p.start).Seconds())
	fmt.Fprint(p.w, line)
	p.bar = true
}
