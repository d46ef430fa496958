package diag

import (
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"

	"gonum.org/v1/gonum/mat"

	"github.com/tbgo/tbgo/summary"
	"github.com/tbgo/tbgo/summary/runinfo"
	"github.com/tbgo/tbgo/trainer"
)

// Options configures a Monitor. The zero value (or nil) measures and logs
// everything with the defaults of docs/DIAGNOSTICS.md; the No... fields turn
// parts off.
type Options struct {
	// DiagEvery is the interval, in steps, of the per-layer measurements
	// (gradient norms, update ratios, dead and saturated units, distance
	// from initialisation) on the current batch; 0 means 10.
	DiagEvery int
	// K is the number of consecutive checks a rule must hold before it
	// fires, so that one noisy batch does not alarm; 0 means 3.
	K int
	// HistogramEvery is the interval, in steps, of the histograms of
	// weights, gradients, activations and pre-activations; 0 means after
	// evaluations, about twenty per run (on the last evaluation batch's
	// activations).
	HistogramEvery int
	// ImageEvery is the interval, in evaluations, of the filters and
	// confusion matrix images; 0 means about ten per run (TensorBoard
	// keeps ten images per tag by default).
	ImageEvery int
	// MaxFilters is the number of first-layer units shown in the
	// filters image; 0 means 64.
	MaxFilters int

	// NoChecks turns the rules off: the Monitor then logs the losses,
	// accuracies and learning rate only (and the session, graph,
	// histograms and images unless turned off too).
	NoChecks bool
	// NoHistograms, NoImages and NoGraph turn those summaries off.
	NoHistograms, NoImages, NoGraph bool
	// KeepGoing keeps training after a NaN or infinite loss or gradient
	// (rule 5); by default the Monitor stops training there with
	// trainer.ErrStop, before the optimiser step spreads the NaN into the
	// weights.
	KeepGoing bool

	// Alerts receives one line per alert, with the suggested fix: the
	// terminal. Nil prints nothing.
	Alerts io.Writer
	// Rules is the rule table the detectors read their thresholds from;
	// nil means Rules(). Pass a modified copy of Rules() to tune the
	// thresholds: NewMonitor panics if a rule or threshold the Monitor
	// reads is missing.
	Rules []Rule
	// Session, when not nil, starts the run's HParams session in Start
	// and ends it in End with the run's outcome.
	Session *Session
	// ClassNames label the confusion matrix; nil means the class
	// numbers.
	ClassNames []string
}

// Session describes the HParams session a Monitor records.
type Session struct {
	// HParams are the run's hyper-parameters.
	HParams map[string]any
	// RunInfo, when not nil, is the configuration recorded with the run
	// information (runinfo.Collect): command line, versions, host,
	// and whatever it holds, such as the dataset's attribution.
	RunInfo map[string]any
	// Experiment and Group are passed to summary.SessionOptions.
	Experiment *summary.Experiment
	Group      string
}

// An Alert is a rule that fired.
type Alert struct {
	// Step is the training step at which the rule fired.
	Step int
	// Rule is the rule's number, Name its name.
	Rule int
	Name string
	// Severity grades the alert.
	Severity Severity
	// Layer is the layer or parameter tensor at fault, "" for the whole
	// model or the data.
	Layer string
	// Value is the measurement that crossed the threshold, and Threshold
	// the condition it met, in words.
	Value     float64
	Threshold string
	// Fix is the suggested fix, the rule's without the parts that do
	// not fit the model.
	Fix string
	// SupersededBy is the rule of a more specific finding whose cause
	// makes this alert's fix point the wrong way (rule 21 for an
	// overfitting alert when validation never left chance), 0 if none.
	SupersededBy int
}

// supersedes lists, for a rule, the rules whose alerts it supersedes: a
// more specific finding whose fix contradicts theirs. Once it has
// fired, their alerts are not raised any more, and the ones raised
// before are marked (Alert.SupersededBy) and ranked after it (Ranked).
var supersedes = map[int][]int{21: {14, 15, 16, 19}}

// Ranked returns the alerts with the superseded ones after the others,
// each group in the order the alerts fired: the most specific causes
// first.
func Ranked(alerts []Alert) []Alert {
	out := make([]Alert, 0, len(alerts))
	for _, a := range alerts {
		if a.SupersededBy == 0 {
			out = append(out, a)
		}
	}
	for _, a := range alerts {
		if a.SupersededBy != 0 {
			out = append(out, a)
		}
	}
	return out
}

// String returns the alert as one line, as printed on the terminal.
func (a Alert) String() string {
	return fmt.Sprintf("%s: step %d: %s: %s (%s) — fix: %s",
		a.Severity, a.Step, a.Cause(), a.Measured(), a.Threshold, a.Fix)
}

// Cause names what fired, as every message about the alert names it:
// "rule 7 exploding_gradients", with " at LAYER" if the alert is about
// one layer.
func (a Alert) Cause() string {
	s := fmt.Sprintf("rule %d %s", a.Rule, a.Name)
	if a.Layer != "" {
		s += " at " + a.Layer
	}
	return s
}

// Measured returns the alert's Value formatted compactly (NaN and
// infinities as such).
func (a Alert) Measured() string { return fmtValue(a.Value) }

// fmtValue formats a measurement compactly.
func fmtValue(v float64) string {
	switch {
	case math.IsNaN(v) || math.IsInf(v, 0):
		return fmt.Sprint(v)
	case v == math.Trunc(v) && math.Abs(v) < 1e6:
		return fmt.Sprintf("%.0f", v)
	case math.Abs(v) >= 1e-2 && math.Abs(v) < 1e4:
		return fmt.Sprintf("%.4g", v)
	}
	return fmt.Sprintf("%.3g", v)
}

// ruleState is what the Monitor knows of one rule during a run.
type ruleState struct {
	rule    Rule
	flagTag string
	streak  map[string]int
	firing  map[string]bool
	alerted map[string]bool
	checked bool
	flag    int    // the flag last written, −1 before the first
	note    string // why the rule does not apply, if it does not
}

// actLayer is an activation layer the Monitor measures.
type actLayer struct {
	l                   *trainer.Layer
	actTag, preTag      string
	deadTag, satTag     string
	units, per          int       // units (channels) and values per unit
	dead                []int     // per unit, consecutive checks without activity
	sum                 []float64 // per unit, the batch's outputs summed
	satLo, satHi, bound float64
}

// paramTags are the tags of one parameter tensor.
type paramTags struct {
	grad, update, weights, grads string
}

// A Monitor is a trainer.Hook that measures what docs/DIAGNOSTICS.md lists,
// logs it to a summary.Writer under the tags of docs/DIAGNOSTICS.md, checks
// every rule the Monitor is responsible for, and reports each rule that
// fires as an Alert: a row of the "diag/alerts" text, the scalar
// "diag/flag/<NN_name>" at 1, and a line on Options.Alerts.
//
// A Monitor watches one run: build a new one for each.
type Monitor struct {
	w     *summary.Writer
	o     Options
	rules map[int]*ruleState
	order []*ruleState // the Monitor's rules, in order of ID

	alerts, pending []Alert
	err             error

	m          *trainer.Model
	params     []*trainer.Param
	tags       []paramTags
	first      *trainer.Param // weights of the first and last weighted layers
	last       *trainer.Param
	filters    *trainer.Layer // the first dense or conv layer
	filterPix  []bool         // per input value, whether it ever varies
	pix        []int32        // the filter values rule 19 reads
	pairs      [][2]int32     // and their neighbouring pairs
	acts       []*actLayer
	init       [][]float64
	classes    int
	totalSteps int

	gradNorms []float64 // ring of the last total gradient norms
	gradN     int
	scratch   []float64

	rho0         float64 // the filters' noisiness at initialisation
	lossEMA      float64
	firstLoss    float64 // the first finite training loss
	emaN         int
	bestEMA      float64
	bestVal      float64
	trainAtBest  float64
	staleEvals   int
	peakLR       float64
	lr           float64
	vals         []float64 // validation accuracies (losses for a regression), in order
	evals        int
	evalsPlanned int
	flagStep     int // the step of the last flags written, −1 before
	finalStatus  summary.Status
	chance       float64 // the validation set's largest class share, 0 without classes
	nonFinite    *Alert  // the first NaN or infinity (rule 5), nil if none
	stopped      bool    // the Monitor stopped training at nonFinite
}

// NewMonitor returns a Monitor that logs to w and checks the rules of
// opts (nil means the defaults). A nil w logs nothing: the Monitor then
// only checks, reports and returns alerts.
func NewMonitor(w *summary.Writer, opts *Options) *Monitor {
	m := &Monitor{w: w, rules: map[int]*ruleState{}, flagStep: -1}
	if opts != nil {
		m.o = *opts
	}
	o := &m.o
	if o.DiagEvery <= 0 {
		o.DiagEvery = 10
	}
	if o.K <= 0 {
		o.K = 3
	}
	if o.MaxFilters <= 0 {
		o.MaxFilters = 64
	}
	if o.Rules == nil {
		o.Rules = Rules()
	}
	checkTable(o.Rules)
	for _, r := range o.Rules {
		rs := &ruleState{rule: r, flagTag: "diag/flag/" + r.Tag(), flag: -1,
			streak: map[string]int{}, firing: map[string]bool{}, alerted: map[string]bool{}}
		m.rules[r.ID] = rs
		if r.By == ByMonitor && !o.NoChecks {
			m.order = append(m.order, rs)
		}
	}
	slices.SortFunc(m.order, func(a, b *ruleState) int { return a.rule.ID - b.rule.ID })
	return m
}

// checkTable panics unless table holds every rule the Monitor checks with
// every threshold it reads: a table that lacks one is a programmer error,
// better found at once than in the middle of training.
func checkTable(table []Rule) {
	for _, want := range rules {
		if want.By != ByMonitor {
			continue
		}
		i := slices.IndexFunc(table, func(r Rule) bool { return r.ID == want.ID })
		if i < 0 {
			panic(fmt.Sprintf("diag: Options.Rules lacks rule %d (%s)", want.ID, want.Name))
		}
		for _, th := range want.Thresholds {
			if !slices.ContainsFunc(table[i].Thresholds, func(t Threshold) bool { return t.Name == th.Name }) {
				panic(fmt.Sprintf("diag: Options.Rules: rule %d lacks the threshold %q", want.ID, th.Name))
			}
		}
	}
}

// Alerts returns the alerts so far, in the order they fired.
func (m *Monitor) Alerts() []Alert { return slices.Clone(m.alerts) }

// Fired reports whether rule id has fired.
func (m *Monitor) Fired(id int) bool {
	rs := m.rules[id]
	return rs != nil && len(rs.alerted) > 0
}

// rule returns the state of rule id; it panics if the table lacks it.
func (m *Monitor) rule(id int) *ruleState {
	rs := m.rules[id]
	if rs == nil {
		panic(fmt.Sprintf("diag: Options.Rules has no rule %d", id))
	}
	return rs
}

// checks reports whether the Monitor checks rules.
func (m *Monitor) checks() bool { return !m.o.NoChecks }

// observe records one check of rule id for key (a layer, a parameter or
// "" for the model): bad says whether the condition held. The rule fires
// for key once it has held hold checks in a row, and alerts once per key
// per run.
//
// threshold describes the condition; it is called only when the rule
// alerts, so that checks that pass format nothing.
func (m *Monitor) observe(step, id int, key string, bad bool, hold int, value float64, threshold func() string) {
	rs := m.rule(id)
	rs.checked = true
	if !bad {
		if rs.streak[key] != 0 {
			rs.streak[key] = 0
		}
		delete(rs.firing, key)
		return
	}
	rs.streak[key]++
	if rs.streak[key] < hold {
		return
	}
	rs.firing[key] = true
	if rs.alerted[key] {
		return
	}
	for by, ids := range supersedes {
		if slices.Contains(ids, id) && m.Fired(by) {
			if rs.note == "" {
				rs.note = fmt.Sprintf("suppressed: rule %d names the likelier cause", by)
			}
			return
		}
	}
	rs.alerted[key] = true
	a := Alert{Step: step, Rule: id, Name: rs.rule.Name, Severity: rs.rule.Severity, Layer: key,
		Value: value, Threshold: threshold(), Fix: m.fix(rs.rule)}
	m.alerts = append(m.alerts, a)
	m.pending = append(m.pending, a)
	if m.o.Alerts != nil {
		fmt.Fprintln(m.o.Alerts, a)
	}
	for i := range m.alerts {
		b := &m.alerts[i]
		if b.SupersededBy == 0 && slices.Contains(supersedes[id], b.Rule) {
			b.SupersededBy = id
			if m.o.Alerts != nil {
				fmt.Fprintf(m.o.Alerts, "note: rule %d %s supersedes the alert of rule %d %s at step %d: its fix does not apply\n",
					id, rs.rule.Name, b.Rule, b.Name, b.Step)
			}
		}
	}
}

// fix returns the fix of rule r without the parts that do not fit the
// model: no "ReLU instead of sigmoid/tanh" to a network without either,
// no "batch-norm" or "residual connections" to one that has them.
func (m *Monitor) fix(r Rule) string {
	if m.m == nil {
		return r.Fix
	}
	has := map[trainer.LayerType]bool{}
	var walk func([]trainer.LayerSpec)
	walk = func(ls []trainer.LayerSpec) {
		for _, l := range ls {
			has[l.Type] = true
			walk(l.Layers)
		}
	}
	walk(m.m.Spec().Layers)
	drop := func(part string) bool {
		switch {
		case strings.Contains(part, "instead of sigmoid/tanh"):
			return !has[trainer.TypeSigmoid] && !has[trainer.TypeTanh]
		case part == "batch-norm":
			return has[trainer.TypeBatchNorm]
		case part == "residual connections":
			return has[trainer.TypeResidual]
		}
		return false
	}
	parts := strings.Split(r.Fix, ", ")
	kept := slices.DeleteFunc(slices.Clone(parts), drop)
	if len(kept) == 0 || len(kept) == len(parts) {
		return r.Fix
	}
	return strings.Join(kept, ", ")
}

// observeSeverity is observe for a rule whose alerts may be graded
// above the rule's own severity.
func (m *Monitor) observeSeverity(step, id int, key string, bad bool, hold int, value float64, threshold func() string, sev Severity) {
	n := len(m.alerts)
	m.observe(step, id, key, bad, hold, value, threshold)
	if len(m.alerts) > n {
		m.alerts[n].Severity = sev
		m.pending[len(m.pending)-1].Severity = sev
	}
}

// fail records the first write error; the hooks return it.
func (m *Monitor) fail(err error) {
	if err != nil && m.err == nil {
		m.err = err
	}
}

// scalar writes a scalar, as ±Inf when beyond float32.
func (m *Monitor) scalar(tag string, step int, v float64) {
	if m.w == nil {
		return
	}
	if v > math.MaxFloat32 {
		v = math.Inf(1)
	} else if v < -math.MaxFloat32 {
		v = math.Inf(-1)
	}
	m.fail(m.w.Scalar(tag, int64(step), v))
}

// histogram writes a histogram of x unless it holds non-finite values
// (rule 5 reports those).
func (m *Monitor) histogram(tag string, step int, x *mat.Dense) {
	if m.w == nil || x == nil {
		return
	}
	if err := m.w.HistogramMatrix(tag, int64(step), x); err != nil && !errors.Is(err, summary.ErrNonFinite) {
		m.fail(err)
	}
}

// flush writes the alerts of the current hook call as one Markdown table
// at step, and returns the sticky error.
func (m *Monitor) flush(step int) error {
	if len(m.pending) > 0 && m.w != nil {
		var b strings.Builder
		b.WriteString("| step | rule | layer | value | threshold | suggested fix |\n|---|---|---|---|---|---|\n")
		for _, a := range m.pending {
			fmt.Fprintf(&b, "| %d | %d %s (%s) | %s | %s | %s | %s |\n", a.Step, a.Rule, a.Name, a.Severity,
				mdCell(a.Layer), fmtValue(a.Value), mdCell(a.Threshold), mdCell(a.Fix))
		}
		m.fail(m.w.Text("diag/alerts", int64(step), b.String()))
	}
	m.pending = m.pending[:0]
	return m.err
}

func mdCell(s string) string {
	if s == "" {
		return "–"
	}
	return strings.ReplaceAll(s, "|", `\|`)
}

// writeFlags writes the flag of every checked rule: all of them when all
// is set (after evaluations and at the end), otherwise those that changed
// since they were last written. The flags' steps increase: a write at or
// before the last one's step (the per-step checks count steps from 0,
// evaluations after the steps taken) goes one step after it.
func (m *Monitor) writeFlags(step int, all bool) {
	if step <= m.flagStep {
		step = m.flagStep + 1
	}
	wrote := false
	for _, rs := range m.order {
		if !rs.checked {
			continue
		}
		f := 0
		if len(rs.firing) > 0 {
			f = 1
		}
		if all || f != rs.flag {
			m.scalar(rs.flagTag, step, float64(f))
			rs.flag = f
			wrote = true
		}
	}
	if wrote {
		m.flagStep = step
	}
}

// Start implements trainer.Hook: it records the model's structure and
// initial parameters, starts the session, logs the graph and a batch of
// inputs, and checks the rules that need no training (1, 11, 12, 17).
func (m *Monitor) Start(s *trainer.State) error {
	m.m = s.Model
	m.params = s.Model.Params()
	m.tags = make([]paramTags, len(m.params))
	m.init = make([][]float64, len(m.params))
	for i, p := range m.params {
		m.tags[i] = paramTags{grad: "grad_norm/" + p.Name, update: "update_ratio_log10/" + p.Name,
			weights: "weights/" + p.Name, grads: "grads/" + p.Name}
		m.init[i] = slices.Clone(p.Value.RawMatrix().Data)
		if p.Kind == trainer.Weight {
			if m.first == nil {
				m.first = p
			}
			m.last = p
		}
	}
	for _, l := range s.Model.Layers() {
		if m.filters == nil && (l.Type == trainer.TypeDense || l.Type == trainer.TypeConv) {
			m.filters = l
		}
		if a := m.newActLayer(l); a != nil {
			m.acts = append(m.acts, a)
		}
	}
	m.classes = classesOf(s)
	if m.classes > 0 && s.ValData.Y != nil {
		m.chance = majorityShare(s.ValData.Y, m.classes)
	}
	m.totalSteps = plannedSteps(s)
	m.evalsPlanned = s.Config.Epochs
	if s.Config.EvalEvery > 0 {
		m.evalsPlanned = m.totalSteps / s.Config.EvalEvery
	} else if s.Config.Steps > 0 {
		m.evalsPlanned = s.Config.Steps * s.Config.BatchSize / max(1, s.TrainData.Len())
	}
	m.gradNorms = make([]float64, 64)
	m.bestEMA, m.bestVal, m.trainAtBest = math.Inf(1), math.Inf(1), math.NaN()
	m.peakLR = 0

	if m.w != nil && m.o.Session != nil {
		so := &summary.SessionOptions{Experiment: m.o.Session.Experiment, Group: m.o.Session.Group}
		if m.o.Session.RunInfo != nil {
			ri, err := runinfo.Collect(m.o.Session.RunInfo)
			if err != nil {
				return fmt.Errorf("diag: %w", err)
			}
			so.RunInfo = ri
		}
		if err := m.w.StartSession(m.o.Session.HParams, so); err != nil {
			return fmt.Errorf("diag: %w", err)
		}
	}
	if m.w != nil && !m.o.NoGraph {
		g, err := s.Model.Graph()
		if err == nil {
			err = m.w.Graph(g)
		}
		m.fail(err)
	}
	if m.w != nil && !m.o.NoImages {
		m.inputsImage(s)
	}
	if m.checks() {
		m.checkInputs(s)
		m.rho0, _ = m.filterNoise()
		m.checkInit()
		m.checkBalance(s)
		m.checkOverlap(s)
		m.checkInitLoss(s)
		m.notes()
		m.startNotes(s)
		if m.w != nil {
			m.fail(m.w.Text("diag/checklist", 0, m.Checklist()))
		}
	}
	return m.flush(0)
}

// classesOf returns the number of classes of a classification run, 0
// for a regression.
func classesOf(s *trainer.State) int {
	if s.TrainData.Y == nil {
		return 0
	}
	k := s.Model.OutShape().Size()
	if _, ok := s.Config.Loss.(trainer.BinaryCrossEntropy); ok && k == 1 {
		return 2
	}
	for _, y := range s.TrainData.Y {
		k = max(k, y+1)
	}
	return k
}

// plannedSteps estimates the steps the run will take.
func plannedSteps(s *trainer.State) int {
	c := s.Config
	if c.Steps > 0 {
		return c.Steps
	}
	return c.Epochs * ((s.TrainData.Len() + c.BatchSize - 1) / c.BatchSize)
}

// newActLayer returns the measurements of an activation layer, or nil
// for a layer that is not one the rules read.
func (m *Monitor) newActLayer(l *trainer.Layer) *actLayer {
	if !l.Type.IsActivation() {
		return nil
	}
	a := &actLayer{l: l, actTag: "act/" + l.Name, preTag: "preact/" + l.Name}
	a.units, a.per = l.Out.C, l.Out.H*l.Out.W
	switch l.Type {
	case trainer.TypeReLU:
		a.deadTag = "act/dead_fraction/" + l.Name
		a.dead = make([]int, a.units)
		a.sum = make([]float64, a.units)
	case trainer.TypeSigmoid:
		r := m.rule(10).rule
		a.satTag = "act/saturated_fraction/" + l.Name
		a.satLo, a.satHi = r.T("sigmoid_low"), r.T("sigmoid_high")
	case trainer.TypeTanh:
		r := m.rule(10).rule
		a.satTag = "act/saturated_fraction/" + l.Name
		a.bound = r.T("tanh_bound")
		a.satLo, a.satHi = -a.bound, a.bound
	}
	return a
}

// AfterBackward implements trainer.Hook: every step it logs the training
// loss, accuracy and learning rate and checks for NaN, infinities and
// divergence (rule 5); at step 0 it checks the output layer against the
// loss and the targets (rule 18); every DiagEvery
// steps it measures the gradients and activations (rules 7 to 10).
func (m *Monitor) AfterBackward(s *trainer.State) error {
	step := s.Step
	m.scalar("loss/train", step, s.Loss)
	if s.Correct >= 0 && s.Batch.Len() > 0 {
		m.scalar("accuracy/train", step, float64(s.Correct)/float64(s.Batch.Len()))
	}
	if step%m.o.DiagEvery == 0 {
		m.scalar("train/learning_rate", step, s.LR)
	}
	m.lr = s.LR
	m.peakLR = max(m.peakLR, s.LR)
	if finite(s.Loss) {
		if m.emaN == 0 {
			m.lossEMA, m.firstLoss = s.Loss, s.Loss
		} else {
			m.lossEMA = 0.9*m.lossEMA + 0.1*s.Loss
		}
		m.emaN++
	}
	m.gradNorms[m.gradN%len(m.gradNorms)] = s.GradNorm
	m.gradN++
	if !m.checks() {
		return m.flush(step)
	}
	stop := m.checkNonFinite(s)
	if step == 0 {
		m.checkOutput(s)
	}
	if step%m.o.DiagEvery == 0 {
		m.checkGradients(s)
		m.checkActivations(s)
	}
	if m.o.HistogramEvery > 0 && step%m.o.HistogramEvery == 0 && !m.o.NoHistograms {
		m.histograms(step)
	}
	if err := m.flush(step); err != nil {
		return err
	}
	if stop && !m.o.KeepGoing {
		m.stopped = true
		return trainer.ErrStop
	}
	return nil
}

// AfterStep implements trainer.Hook: every DiagEvery steps it measures
// the update/weight ratios and the distance from initialisation (rules
// 6, 13) and writes the flags.
func (m *Monitor) AfterStep(s *trainer.State) error {
	step := s.Step
	if m.checks() && step%m.o.DiagEvery == 0 {
		m.checkUpdates(s)
		m.checkDistance(s)
		m.writeFlags(step, false)
	}
	return m.flush(step)
}

// AfterEval implements trainer.Hook: it logs the validation loss and
// accuracy, checks the rules read from the learning curves (14, 15, 16)
// and the filters (19), and logs the histograms and images when due.
func (m *Monitor) AfterEval(s *trainer.State) error {
	step := s.Step
	m.evals++
	if s.ValData.Len() > 0 {
		m.scalar("loss/val", step, s.Val.Loss)
		if !math.IsNaN(s.Val.Accuracy) {
			m.scalar("accuracy/val", step, s.Val.Accuracy)
		}
	}
	if m.checks() {
		m.checkCurves(s)
		m.checkFilters(s)
		m.writeFlags(step, true)
	}
	// The last evaluation always gets its histograms and images.
	last := step >= m.totalSteps
	if m.o.HistogramEvery == 0 && !m.o.NoHistograms && ((m.evals-1)%max(1, m.evalsPlanned/20) == 0 || last) {
		m.histograms(step)
	}
	if !m.o.NoImages && m.w != nil && (m.imageDue() || last) {
		m.filterImage(step)
		m.confusionImage(s)
	}
	return m.flush(step)
}

// imageDue reports whether the images are due at this evaluation.
func (m *Monitor) imageDue() bool {
	every := m.o.ImageEvery
	if every == 0 {
		every = max(1, m.evalsPlanned/10)
	}
	return (m.evals-1)%every == 0
}

// End implements trainer.Hook: it writes the final flags, the checklist
// and the session's end: STATUS_SUCCESS when training ran to its end
// (or stopped early, or by a hook other than for NaN), STATUS_FAILURE
// when it was cancelled, failed, its loss ended non-finite, or the
// Monitor stopped it at a non-finite value.
func (m *Monitor) End(s *trainer.State) error {
	step := s.Step
	if m.checks() {
		m.writeFlags(step, false) // the last evaluation wrote them all
		if m.w != nil {
			m.fail(m.w.Text("diag/checklist", int64(step), m.Checklist()))
		}
	}
	status := summary.StatusSuccess
	switch {
	case s.Result.Stop == trainer.StopCancelled || s.Result.Stop == trainer.StopError:
		status = summary.StatusFailure
	case s.Result.NonFiniteStep >= 0, m.stopped:
		status = summary.StatusFailure
	}
	m.finalStatus = status
	if m.w != nil && m.o.Session != nil {
		m.fail(m.w.EndSession(status))
	}
	return m.flush(step)
}

// StoppedBy returns the alert of rule 5 (a NaN or infinite value) that
// stopped training, and false if the Monitor did not stop it.
func (m *Monitor) StoppedBy() (Alert, bool) {
	if !m.stopped || m.nonFinite == nil {
		return Alert{}, false
	}
	return *m.nonFinite, true
}

// Status returns the session status End recorded.
func (m *Monitor) Status() summary.Status { return m.finalStatus }

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
