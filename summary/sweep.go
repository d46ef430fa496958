package summary

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/tbgo/tbgo/storage"
)

// A Sweep logs a hyper-parameter search of one's own model for
// TensorBoard's HParams dashboard, on top of WriteExperiment, StartSession
// and EndSession: NewSweep declares the search space once, inferring each
// hyper-parameter's domain from its values, and Trial gives each trial a
// Writer in a run of its own with the session started, which the Writer's
// Close ends.
//
//	lrs := []float64{0.1, 0.01, 0.001}
//	sweep, err := summary.NewSweep("runs/lr", map[string]any{"lr": lrs}, summary.Metric{Tag: "loss"})
//	for _, lr := range lrs {
//		w, err := sweep.Trial(map[string]any{"lr": lr}, nil)
//		... w.Scalar("loss", step, loss) ...
//		w.Close() // the session ends with StatusSuccess
//	}
type Sweep struct {
	logdir string
	exp    Experiment
}

// NewSweep declares a search over the hyper-parameters of space with the
// metrics of metrics for the sessions of logdir, writing (or widening) the
// experiment at its root with WriteExperiment. Each key of space names a
// hyper-parameter and its value gives the domain:
//
//   - a slice or array of strings, booleans or numbers: the values tried,
//     a Discrete domain (the dashboard offers a checkbox for each);
//   - a single string, boolean or number: a Discrete domain of one value;
//   - a Domain, such as Interval(1e-4, 1e-1) for a rate drawn at random.
//
// The metrics are scalar tags the trials write; at least one is needed,
// since the dashboard shows only the metrics an experiment declares.
//
// logdir may be a URL of an object store, as NewWriter takes them; the
// processes of a sweep spread over machines may then each call NewSweep
// and run their own trials (see WriteExperiment).
func NewSweep(logdir string, space map[string]any, metrics ...Metric) (*Sweep, error) {
	if len(metrics) == 0 {
		return nil, errors.New("summary: a sweep needs at least one metric; the HParams dashboard shows only those it declares")
	}
	exp := Experiment{Metrics: slices.Clone(metrics)}
	for _, name := range hparamKeys(space) {
		d, err := domainOfValues(space[name])
		if err != nil {
			return nil, fmt.Errorf("summary: sweep hparam %q: %w", name, err)
		}
		exp.HParams = append(exp.HParams, HParam{Name: name, Domain: d})
	}
	if err := WriteExperiment(logdir, exp); err != nil {
		return nil, err
	}
	return &Sweep{logdir: logdir, exp: exp}, nil
}

// domainOfValues infers a domain from the values of a search space (see
// NewSweep).
func domainOfValues(v any) (Domain, error) {
	if d, ok := v.(Domain); ok {
		return d, nil
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Slice, reflect.Array:
		if rv.Len() == 0 {
			return Domain{}, errors.New("no values")
		}
		values := make([]any, rv.Len())
		for i := range values {
			values[i] = rv.Index(i).Interface()
			if _, err := HParamTypeOf(values[i]); err != nil {
				return Domain{}, fmt.Errorf("value %d: %w", i, err)
			}
		}
		return Discrete(values...), nil
	}
	if _, err := HParamTypeOf(v); err != nil {
		return Domain{}, err
	}
	return Discrete(v), nil
}

// Logdir returns the logdir of the sweep.
func (s *Sweep) Logdir() string { return s.logdir }

// Experiment returns the declaration NewSweep wrote: the hyper-parameters
// in name order, with their inferred domains, and the metrics.
func (s *Sweep) Experiment() Experiment {
	e := s.exp
	e.HParams = slices.Clone(e.HParams)
	e.Metrics = slices.Clone(e.Metrics)
	return e
}

// TrialOptions configures Sweep.Trial. The zero value names the run after
// the hyper-parameters and writes with the zero Options.
type TrialOptions struct {
	// Name is the trial's run, a path below the sweep's logdir. Empty
	// means one made of the hyper-parameters in name order, such as
	// "lr=0.01,optimizer=adam" (path separators in values become "_").
	Name string

	// Session is passed to StartSession (Group, RunInfo, ...); its
	// Experiment is the sweep's.
	Session SessionOptions

	// Writer configures the trial's Writer. Comment does not apply.
	Writer Options
}

// Trial starts a trial of the sweep with hparams, which must lie in the
// search space (see Experiment.Check): it makes a new run below the
// logdir, named TrialOptions.Name or after the values, with a numeric
// suffix should that run exist (so that a trial run again, say to try
// another seed, is a session of its own rather than a second file in the
// first one's run, which TensorBoard would not show), and returns a Writer
// there whose session has started. Write the metrics with it.
//
// The Writer's Close ends the session with StatusSuccess, unless
// EndSession ended it before: a trial that fails calls
// w.EndSession(summary.StatusFailure), then Close. A nil opts means the
// zero TrialOptions.
func (s *Sweep) Trial(hparams map[string]any, opts *TrialOptions) (*Writer, error) {
	var o TrialOptions
	if opts != nil {
		o = *opts
	}
	if err := s.exp.Check(hparams); err != nil {
		return nil, err
	}
	name := o.Name
	if name == "" {
		name = trialName(hparams)
	}
	if !filepath.IsLocal(name) || name == "." {
		return nil, fmt.Errorf("summary: trial run %q is not a path below the logdir", name)
	}
	dir, err := makeRunDir(storage.Join(s.logdir, filepath.ToSlash(name)))
	if err != nil {
		return nil, err
	}
	local, isLocal := storage.Local(dir)
	wo := o.Writer
	wo.Comment = ""
	w, err := NewWriter(dir, &wo)
	if err != nil {
		if isLocal {
			os.Remove(local)
		}
		return nil, err
	}
	so := o.Session
	so.Experiment = &s.exp
	if err := w.StartSession(hparams, &so); err != nil {
		w.Close()
		if isLocal {
			os.RemoveAll(local)
		}
		return nil, err
	}
	w.trial = true
	return w, nil
}

// trialName returns the run name Trial gives hparams.
func trialName(hparams map[string]any) string {
	if len(hparams) == 0 {
		return "trial"
	}
	clean := strings.NewReplacer("/", "_", `\`, "_")
	var b strings.Builder
	for i, k := range hparamKeys(hparams) {
		if i > 0 {
			b.WriteByte(',')
		}
		v := hparams[k]
		var s string
		switch x := reflect.ValueOf(v); x.Kind() {
		case reflect.Float32, reflect.Float64:
			s = strconv.FormatFloat(x.Float(), 'g', -1, x.Type().Bits())
		default:
			s = fmt.Sprint(v)
		}
		b.WriteString(clean.Replace(k) + "=" + clean.Replace(s))
	}
	return b.String()
}
