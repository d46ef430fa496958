package summary

import (
	"errors"
	"fmt"
	"strconv"
	"time"
	"unicode/utf8"

	"google.golang.org/protobuf/proto"

	"github.com/tbgo/tbgo/proto/hparamspb"
	"github.com/tbgo/tbgo/proto/tbpb"
	"github.com/tbgo/tbgo/tfevents"
)

// Status is how a session ended.
type Status int

// Session statuses, numbered as TensorBoard's Status.
const (
	StatusUnknown Status = iota
	StatusSuccess
	StatusFailure
	StatusRunning
)

var statusNames = [...]string{"STATUS_UNKNOWN", "STATUS_SUCCESS", "STATUS_FAILURE", "STATUS_RUNNING"}

// String returns the status as TensorBoard's API names it, such as
// "STATUS_SUCCESS".
func (s Status) String() string {
	if s >= 0 && int(s) < len(statusNames) {
		return statusNames[s]
	}
	return "Status(" + strconv.Itoa(int(s)) + ")"
}

// SessionOptions says what a session start records besides the
// hyper-parameter values. The zero value records nothing more and checks
// the values against no experiment.
type SessionOptions struct {
	// Experiment, when set, is the declaration the values are checked
	// against: each must be declared, of its declared type and in its
	// domain. (The experiment is not written; see WriteExperiment.)
	Experiment *Experiment

	// Group names the session group: the dashboard shows the sessions of
	// one group, say several seeds of the same hyper-parameters, as one
	// row with their metrics averaged. Empty makes the session a group of
	// its own, named after its run.
	Group string

	// ModelURI and MonitorURL are shown with the session.
	ModelURI   string
	MonitorURL string

	// Start is when the session started; the zero time means now.
	Start time.Time

	// RunInfo, when set, is written with the session start: its Markdown
	// table as text under RunInfoTag, and its HParams merged into the
	// session's hyper-parameters (a key in both must have the same value
	// in both). These extra keys are not checked against Experiment; the
	// dashboard shows them when the experiment declares them or when there
	// is no experiment. Package summary/runinfo collects one
	// (runinfo.Collect) and declares its keys (runinfo.ExperimentHParams).
	RunInfo RunDescription
}

// RunInfoTag is the text tag under which StartSession writes the Markdown
// of SessionOptions.RunInfo.
const RunInfoTag = "run/info"

// A RunDescription says how a run was made, for SessionOptions.RunInfo to
// record with a session start; *runinfo.RunInfo, of package
// summary/runinfo, is one.
type RunDescription interface {
	// Markdown returns the description as a Markdown document.
	Markdown() string
	// HParams returns the description as hyper-parameter values.
	HParams() (map[string]any, error)
}

// StartSession makes the Writer's run a session of the HParams dashboard,
// with the given hyper-parameter values: strings, booleans and numbers (any
// Go integer or float kind, named types included), keyed by name. Numbers
// are stored as float64, so an integer must be exactly representable as
// one; NaN and ±Inf are refused, because TensorBoard drops them. The
// session start goes into the Writer's own run directory at step 0; the
// metrics are ordinary scalars written with Scalar, in this run or in runs
// below it (see Metric.Group).
//
// TensorBoard reads a run's first session start and ignores any other, so
// a second StartSession is an error; so is anything that fails a check,
// in which case nothing is written. A nil opts means the zero
// SessionOptions.
func (w *Writer) StartSession(hparams map[string]any, opts *SessionOptions) (err error) {
	defer w.note(&err)
	var o SessionOptions
	if opts != nil {
		o = *opts
	}
	wall := w.wall()
	start := wall
	if !o.Start.IsZero() {
		start = tfevents.WallTime(o.Start)
	}
	info, err := sessionStart(hparams, &o, start)
	if err != nil {
		return err
	}
	v := hparamsSummaryValue(SessionStartTag, &hparamspb.HParamsPluginData{
		Data: &hparamspb.HParamsPluginData_SessionStartInfo{SessionStartInfo: info},
	})

	w.mu.Lock()
	defer w.mu.Unlock()
	s, err := w.lookup(SessionStartTag, PluginHParams)
	if err != nil {
		return err
	}
	if s.plugin != "" {
		return errors.New("summary: StartSession: the run's session has already started; TensorBoard reads only the first session start")
	}
	var text *tbpb.Summary_Value
	var ts *series
	if o.RunInfo != nil {
		if ts, err = w.lookup(RunInfoTag, PluginText); err != nil {
			return err
		}
		if text, err = TextValue(RunInfoTag, o.RunInfo.Markdown(), ts.meta); err != nil {
			return err
		}
	}
	if err := w.writeValue(s, wall, 0, v); err != nil {
		return err
	}
	if text != nil {
		return w.writeValue(ts, wall, 0, text)
	}
	return nil
}

// EndSession records how the Writer's session ended, at step 0. It must
// follow StartSession, and only the first end counts for TensorBoard, so a
// second EndSession is an error. A session that never ends shows as
// STATUS_UNKNOWN; StatusRunning marks it running for good, since no later
// end can replace it.
func (w *Writer) EndSession(status Status) (err error) {
	defer w.note(&err)
	return w.endSession(status, false)
}

// endSession is EndSession; once is true for the end Close writes for a
// Sweep's trial, which leaves a session that has ended already alone.
func (w *Writer) endSession(status Status, once bool) error {
	wall := w.wall()
	v, err := sessionEndValue(status, wall)
	if err != nil {
		return err
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if s := w.series[SessionStartTag]; s == nil || s.plugin != PluginHParams {
		return errors.New("summary: EndSession before StartSession: TensorBoard ignores the end of a session that has not started")
	}
	s, err := w.lookup(SessionEndTag, PluginHParams)
	if err != nil {
		return err
	}
	if s.plugin != "" {
		if once {
			return nil
		}
		return errors.New("summary: EndSession: the run's session has already ended; TensorBoard reads only the first session end")
	}
	return w.writeValue(s, wall, 0, v)
}

// endTrial ends the session of a Sweep's trial with StatusSuccess, unless
// it has ended already; Close calls it.
func (w *Writer) endTrial() error {
	if !w.trial {
		return nil
	}
	if err := w.endSession(StatusSuccess, true); err != nil {
		return fmt.Errorf("summary: ending the trial's session: %w", err)
	}
	return nil
}

// SessionStartValue returns the summary value that StartSession writes (the
// session start alone, without RunInfo's text). A nil opts means the zero
// SessionOptions.
func SessionStartValue(hparams map[string]any, opts *SessionOptions) (*tbpb.Summary_Value, error) {
	var o SessionOptions
	if opts != nil {
		o = *opts
	}
	if o.Start.IsZero() {
		o.Start = time.Now()
	}
	info, err := sessionStart(hparams, &o, tfevents.WallTime(o.Start))
	if err != nil {
		return nil, err
	}
	return hparamsSummaryValue(SessionStartTag, &hparamspb.HParamsPluginData{
		Data: &hparamspb.HParamsPluginData_SessionStartInfo{SessionStartInfo: info},
	}), nil
}

// SessionEndValue returns the summary value that EndSession writes for a
// session that ended at end with status.
func SessionEndValue(status Status, end time.Time) (*tbpb.Summary_Value, error) {
	return sessionEndValue(status, tfevents.WallTime(end))
}

func sessionEndValue(status Status, end float64) (*tbpb.Summary_Value, error) {
	if status < StatusUnknown || status > StatusRunning {
		return nil, fmt.Errorf("summary: session status %v is not one of TensorBoard's", status)
	}
	return hparamsSummaryValue(SessionEndTag, &hparamspb.HParamsPluginData{
		Data: &hparamspb.HParamsPluginData_SessionEndInfo{SessionEndInfo: &hparamspb.SessionEndInfo{
			Status:      hparamspb.Status(status),
			EndTimeSecs: end,
		}},
	}), nil
}

// sessionStart validates a session start and builds it.
func sessionStart(hparams map[string]any, o *SessionOptions, start float64) (*hparamspb.SessionStartInfo, error) {
	if o.Experiment != nil {
		if err := o.Experiment.Check(hparams); err != nil {
			return nil, err
		}
	}
	values, err := hparamValues(hparams)
	if err != nil {
		return nil, err
	}
	if o.RunInfo != nil {
		extra, err := o.RunInfo.HParams()
		if err != nil {
			return nil, fmt.Errorf("summary: run info: %w", err)
		}
		for _, k := range hparamKeys(extra) {
			v, _, err := hparamValue(extra[k])
			if err != nil {
				return nil, fmt.Errorf("summary: run info %q: %w", k, err)
			}
			if old, ok := values[k]; ok && !proto.Equal(old, v) {
				return nil, fmt.Errorf("summary: hparam %q is %v, and %v in the run info", k, fmtValue(old), fmtValue(v))
			}
			values[k] = v
		}
	}
	for what, s := range map[string]string{"group": o.Group, "model URI": o.ModelURI, "monitor URL": o.MonitorURL} {
		if !utf8.ValidString(s) {
			return nil, fmt.Errorf("summary: session %s %q is not valid UTF-8", what, s)
		}
	}
	return &hparamspb.SessionStartInfo{
		Hparams:       values,
		GroupName:     o.Group,
		ModelUri:      o.ModelURI,
		MonitorUrl:    o.MonitorURL,
		StartTimeSecs: start,
	}, nil
}
