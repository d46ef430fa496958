package summary

import (
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/tbgo/tbgo/proto/hparamspb"
	"github.com/tbgo/tbgo/proto/tbpb"
	"github.com/tbgo/tbgo/tfevents"
)

// PluginHParams is the plugin name of TensorBoard's HParams dashboard.
const PluginHParams = "hparams"

// The HParams plugin's tags. TensorBoard finds an experiment and a
// session's start and end by these tags alone.
const (
	ExperimentTag   = "_hparams_/experiment"
	SessionStartTag = "_hparams_/session_start_info"
	SessionEndTag   = "_hparams_/session_end_info"
)

// HParamType is the type of a hyper-parameter's values as TensorBoard knows
// them: strings, booleans or numbers, every number a float64.
type HParamType int

// The types of hyper-parameter values, numbered as TensorBoard's DataType.
const (
	// HParamUnset is the type of no value: the zero Domain's.
	HParamUnset HParamType = iota
	HParamString
	HParamBool
	HParamFloat64
)

var hparamTypeNames = [...]string{"unset", "string", "bool", "float64"}

// String returns "string", "bool", "float64" or "unset".
func (t HParamType) String() string {
	if t >= 0 && int(t) < len(hparamTypeNames) {
		return hparamTypeNames[t]
	}
	return "HParamType(" + strconv.Itoa(int(t)) + ")"
}

// domainKind says which form a Domain takes.
type domainKind uint8

const (
	noDomain domainKind = iota
	discreteDomain
	intervalDomain
	anyDomain
)

// A Domain is the set of values a hyper-parameter may take: a list of
// values (Discrete), a closed interval of numbers (Interval) or every value
// of one type (AnyOf). The zero Domain is no domain at all, which an
// Experiment refuses.
//
// The domain decides how TensorBoard's HParams dashboard filters sessions:
// it offers a checkbox per discrete value and hides the sessions whose
// value is unchecked, so a session whose value is not in the list never
// shows; an interval or AnyOf(HParamFloat64) gets a min/max filter, and
// AnyOf(HParamString) a regular expression filter.
type Domain struct {
	kind     domainKind
	typ      HParamType // of an AnyOf domain
	values   []any
	min, max float64
}

// Discrete returns the domain of the listed values: strings, booleans or
// numbers (any Go integer or float kind, named types included), all of one
// of those three types and none twice. Every number is stored as a
// float64, as TensorBoard stores it.
func Discrete(values ...any) Domain {
	return Domain{kind: discreteDomain, values: slices.Clone(values)}
}

// Interval returns the domain of the numbers from min to max, both
// included. TensorBoard declares integer intervals this way too.
func Interval(min, max float64) Domain {
	return Domain{kind: intervalDomain, min: min, max: max}
}

// AnyOf returns the domain of every value of type t: for hyper-parameters
// whose values cannot be listed in advance, such as a VCS revision.
func AnyOf(t HParamType) Domain {
	return Domain{kind: anyDomain, typ: t}
}

// Type returns the type of the domain's values: HParamFloat64 for an
// interval, the type of the first value of a discrete domain, HParamUnset
// for the zero Domain or a first value of no supported type.
func (d Domain) Type() HParamType {
	switch d.kind {
	case intervalDomain:
		return HParamFloat64
	case anyDomain:
		return d.typ
	case discreteDomain:
		if len(d.values) > 0 {
			if _, t, err := hparamValue(d.values[0]); err == nil {
				return t
			}
		}
	}
	return HParamUnset
}

// Values returns the values of a discrete domain as they were given, nil
// for other domains.
func (d Domain) Values() []any {
	if d.kind != discreteDomain {
		return nil
	}
	return slices.Clone(d.values)
}

// Bounds returns the bounds of an interval domain; ok is false for other
// domains.
func (d Domain) Bounds() (min, max float64, ok bool) {
	return d.min, d.max, d.kind == intervalDomain
}

// String describes the domain: {adam, sgd}, [0.001, 0.1], any string or
// no domain.
func (d Domain) String() string {
	switch d.kind {
	case discreteDomain:
		parts := make([]string, len(d.values))
		for i, v := range d.values {
			parts[i] = fmt.Sprint(v)
		}
		return "{" + strings.Join(parts, ", ") + "}"
	case intervalDomain:
		return fmt.Sprintf("[%v, %v]", d.min, d.max)
	case anyDomain:
		return "any " + d.typ.String()
	}
	return "no domain"
}

// HParam declares a hyper-parameter of an Experiment.
//
// The dashboard shows five hyper-parameters when it opens: first those
// TensorBoard marks as differing between sessions, then by name. For a
// declared experiment that mark is set on the hyper-parameters whose domain
// has more than one value (not on AnyOf domains, typically run
// information), so these come first.
type HParam struct {
	// Name is the key of the hyper-parameter's value in each session; it
	// must not be empty.
	Name string
	// DisplayName replaces Name in the dashboard; empty shows Name.
	DisplayName string
	// Description is Markdown shown with the hyper-parameter.
	Description string
	// Domain is the set of values the hyper-parameter takes.
	Domain Domain
}

// Dataset says which data a metric is computed on.
type Dataset int

// Datasets, numbered as TensorBoard's DatasetType.
const (
	DatasetUnknown Dataset = iota
	DatasetTraining
	DatasetValidation
)

// Metric declares a metric of an Experiment: a scalar tag that each
// session writes with Writer.Scalar. The dashboard shows its last value.
type Metric struct {
	// Tag is the scalar's tag; it must not be empty.
	Tag string
	// Group is the subdirectory of a session's run directory whose run
	// holds the scalar, such as "validation" for a session that writes
	// its validation metrics with a second Writer in
	// <session>/validation; empty means the session's own run.
	Group string
	// DisplayName replaces the tag in the dashboard; empty shows the tag.
	DisplayName string
	// Description is Markdown shown with the metric.
	Description string
	// Dataset says which data the metric is computed on.
	Dataset Dataset
}

// An Experiment declares the hyper-parameters and metrics that the
// sessions of a logdir share; TensorBoard's HParams dashboard shows exactly
// these, as columns of its table. Declare it with WriteExperiment, once
// for the logdir.
//
// Without any experiment TensorBoard infers one from the sessions: every
// hyper-parameter any session has (numbers as an interval from the least
// to the greatest value, strings and booleans as the values seen) and every
// scalar tag of the sessions' runs and their subdirectories as metrics. A
// declared experiment adds display names, descriptions and domains, and
// hides whatever it does not declare.
type Experiment struct {
	// Name, Description (Markdown) and User describe the experiment.
	Name        string
	Description string
	User        string
	// Created is when the experiment was created; the zero time means
	// when it is first written.
	Created time.Time
	// HParams declares the hyper-parameters, each name once; there must
	// be at least one.
	HParams []HParam
	// Metrics declares the metrics, each group and tag once.
	Metrics []Metric
}

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
func (w *Writer) StartSession(hparams map[string]any, opts *SessionOptions) error {
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
func (w *Writer) EndSession(status Status) error {
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
		return errors.New("summary: EndSession: the run's session has already ended; TensorBoard reads only the first session end")
	}
	return w.writeValue(s, wall, 0, v)
}

// ExperimentValue returns the summary value that declares exp, as
// WriteExperiment writes it: tag ExperimentTag, plugin content an
// HParamsPluginData holding the experiment, data class TENSOR and
// TensorBoard's null tensor (a DT_FLOAT tensor of shape [0]).
func ExperimentValue(exp Experiment) (*tbpb.Summary_Value, error) {
	pb, err := exp.proto()
	if err != nil {
		return nil, err
	}
	if pb.TimeCreatedSecs == 0 {
		pb.TimeCreatedSecs = tfevents.WallTime(time.Now())
	}
	return experimentValue(pb), nil
}

func experimentValue(pb *hparamspb.Experiment) *tbpb.Summary_Value {
	return hparamsSummaryValue(ExperimentTag, &hparamspb.HParamsPluginData{
		Data: &hparamspb.HParamsPluginData_Experiment{Experiment: pb},
	})
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

// hparamsSummaryValue wraps plugin data in a summary value as TensorBoard's
// hparams summaries are: the data in the metadata, data class TENSOR and
// the null tensor, which both loaders need to list the series.
func hparamsSummaryValue(tag string, pd *hparamspb.HParamsPluginData) *tbpb.Summary_Value {
	return &tbpb.Summary_Value{
		Tag:      tag,
		Metadata: metadata(PluginHParams, marshalContent(pd), tbpb.DataClass_DATA_CLASS_TENSOR, Meta{}),
		Value: &tbpb.Summary_Value_Tensor{Tensor: &tbpb.TensorProto{
			Dtype:       tbpb.DataType_DT_FLOAT,
			TensorShape: shape(0),
		}},
	}
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

// hparamValues converts hyper-parameter values, checking every key.
func hparamValues(hparams map[string]any) (map[string]*structpb.Value, error) {
	values := make(map[string]*structpb.Value, len(hparams))
	for _, k := range hparamKeys(hparams) {
		if err := checkHParamName(k); err != nil {
			return nil, err
		}
		v, _, err := hparamValue(hparams[k])
		if err != nil {
			return nil, fmt.Errorf("summary: hparam %q: %w", k, err)
		}
		values[k] = v
	}
	return values, nil
}

func checkHParamName(name string) error {
	if name == "" {
		return errors.New("summary: empty hparam name")
	}
	if !utf8.ValidString(name) {
		return fmt.Errorf("summary: hparam name %q is not valid UTF-8", name)
	}
	return nil
}

// HParamTypeOf returns the type TensorBoard stores x as, or an error naming
// why x cannot be a hyper-parameter value: x must be a string (valid
// UTF-8), a bool or a number of any Go integer or float kind, named types
// included, finite and exactly representable as a float64.
func HParamTypeOf(x any) (HParamType, error) {
	_, t, err := hparamValue(x)
	return t, err
}

// hparamValue converts a Go value to the protobuf Value TensorBoard stores
// for it.
func hparamValue(x any) (*structpb.Value, HParamType, error) {
	rv := reflect.ValueOf(x)
	switch rv.Kind() {
	case reflect.String:
		s := rv.String()
		if !utf8.ValidString(s) {
			return nil, 0, fmt.Errorf("value %q is not valid UTF-8", s)
		}
		return structpb.NewStringValue(s), HParamString, nil
	case reflect.Bool:
		return structpb.NewBoolValue(rv.Bool()), HParamBool, nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		i := rv.Int()
		f := float64(i)
		// 2^63 itself does not fit an int64 either.
		if f >= math.MaxInt64 || int64(f) != i {
			return nil, 0, fmt.Errorf("value %d is not exactly a float64, as TensorBoard stores numbers", i)
		}
		return structpb.NewNumberValue(f), HParamFloat64, nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		u := rv.Uint()
		f := float64(u)
		if f >= math.MaxUint64 || uint64(f) != u {
			return nil, 0, fmt.Errorf("value %d is not exactly a float64, as TensorBoard stores numbers", u)
		}
		return structpb.NewNumberValue(f), HParamFloat64, nil
	case reflect.Float32, reflect.Float64:
		f := rv.Float()
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return nil, 0, fmt.Errorf("value %v is not finite; TensorBoard drops such values", f)
		}
		return structpb.NewNumberValue(f), HParamFloat64, nil
	case reflect.Invalid:
		return nil, 0, errors.New("value is nil; want a string, bool or number")
	}
	return nil, 0, fmt.Errorf("value %v has type %T; want a string, bool or number", x, x)
}

// goValue returns a converted value as a Go string, bool or float64.
func goValue(v *structpb.Value) any {
	switch k := v.GetKind().(type) {
	case *structpb.Value_StringValue:
		return k.StringValue
	case *structpb.Value_BoolValue:
		return k.BoolValue
	case *structpb.Value_NumberValue:
		return k.NumberValue
	}
	return nil
}

func fmtValue(v *structpb.Value) string {
	if s, ok := v.GetKind().(*structpb.Value_StringValue); ok {
		return strconv.Quote(s.StringValue)
	}
	return fmt.Sprint(goValue(v))
}

// Check reports whether hparams are values TensorBoard shows for exp: it
// returns an error naming the first key (in sorted order) that exp does
// not declare, or whose value is not of the declared type or not in the
// declared domain, and an error if exp itself is not valid. A declared
// hyper-parameter may be left out.
func (e *Experiment) Check(hparams map[string]any) error {
	pb, err := e.proto()
	if err != nil {
		return err
	}
	infos := make(map[string]*hparamspb.HParamInfo, len(pb.HparamInfos))
	for _, h := range pb.HparamInfos {
		infos[h.Name] = h
	}
	for _, k := range hparamKeys(hparams) {
		if err := checkHParamName(k); err != nil {
			return err
		}
		v, t, err := hparamValue(hparams[k])
		if err != nil {
			return fmt.Errorf("summary: hparam %q: %w", k, err)
		}
		info, ok := infos[k]
		if !ok {
			return fmt.Errorf("summary: hparam %q is not declared in the experiment, and TensorBoard shows only declared hparams", k)
		}
		if want := HParamType(info.Type); t != want {
			return fmt.Errorf("summary: hparam %q: value %s is a %v, the experiment declares %v values", k, fmtValue(v), t, want)
		}
		switch d := info.Domain.(type) {
		case *hparamspb.HParamInfo_DomainDiscrete:
			if !slices.ContainsFunc(d.DomainDiscrete.Values, func(x *structpb.Value) bool { return proto.Equal(x, v) }) {
				return fmt.Errorf("summary: hparam %q: value %s is outside its domain %v", k, fmtValue(v), domainOf(info))
			}
		case *hparamspb.HParamInfo_DomainInterval:
			if f := v.GetNumberValue(); f < d.DomainInterval.MinValue || f > d.DomainInterval.MaxValue {
				return fmt.Errorf("summary: hparam %q: value %v is outside its domain %v", k, f, domainOf(info))
			}
		}
	}
	return nil
}

// proto validates e and converts it to TensorBoard's Experiment.
func (e *Experiment) proto() (*hparamspb.Experiment, error) {
	for what, s := range map[string]string{"name": e.Name, "description": e.Description, "user": e.User} {
		if !utf8.ValidString(s) {
			return nil, fmt.Errorf("summary: experiment %s %q is not valid UTF-8", what, s)
		}
	}
	if len(e.HParams) == 0 {
		return nil, errors.New("summary: the experiment declares no hparams; TensorBoard shows no HParams dashboard without them")
	}
	pb := &hparamspb.Experiment{Name: e.Name, Description: e.Description, User: e.User}
	if !e.Created.IsZero() {
		pb.TimeCreatedSecs = tfevents.WallTime(e.Created)
	}
	seen := map[string]bool{}
	for _, h := range e.HParams {
		if err := checkHParamName(h.Name); err != nil {
			return nil, err
		}
		if seen[h.Name] {
			return nil, fmt.Errorf("summary: hparam %q is declared twice", h.Name)
		}
		seen[h.Name] = true
		for what, s := range map[string]string{"display name": h.DisplayName, "description": h.Description} {
			if !utf8.ValidString(s) {
				return nil, fmt.Errorf("summary: hparam %q: %s %q is not valid UTF-8", h.Name, what, s)
			}
		}
		info := &hparamspb.HParamInfo{Name: h.Name, DisplayName: h.DisplayName, Description: h.Description}
		if err := h.Domain.fill(info); err != nil {
			return nil, fmt.Errorf("summary: hparam %q: %w", h.Name, err)
		}
		pb.HparamInfos = append(pb.HparamInfos, info)
	}
	type key struct{ group, tag string }
	metrics := map[key]bool{}
	for _, m := range e.Metrics {
		if m.Tag == "" {
			return nil, errors.New("summary: metric with an empty tag")
		}
		for what, s := range map[string]string{"tag": m.Tag, "group": m.Group, "display name": m.DisplayName, "description": m.Description} {
			if !utf8.ValidString(s) {
				return nil, fmt.Errorf("summary: metric %q: %s %q is not valid UTF-8", m.Tag, what, s)
			}
		}
		if g := m.Group; strings.HasPrefix(g, "/") || strings.HasSuffix(g, "/") || slices.Contains(strings.Split(g, "/"), "..") || g == "." {
			return nil, fmt.Errorf("summary: metric %q: group %q must be a relative path below the session's run, without a trailing slash", m.Tag, g)
		}
		k := key{m.Group, m.Tag}
		if metrics[k] {
			return nil, fmt.Errorf("summary: metric %q of group %q is declared twice", m.Tag, m.Group)
		}
		metrics[k] = true
		if m.Dataset < DatasetUnknown || m.Dataset > DatasetValidation {
			return nil, fmt.Errorf("summary: metric %q: dataset %d is not one of TensorBoard's", m.Tag, m.Dataset)
		}
		pb.MetricInfos = append(pb.MetricInfos, &hparamspb.MetricInfo{
			Name:        &hparamspb.MetricName{Group: m.Group, Tag: m.Tag},
			DisplayName: m.DisplayName,
			Description: m.Description,
			DatasetType: hparamspb.DatasetType(m.Dataset),
		})
	}
	return pb, nil
}

// fill validates d and sets the type and domain of info.
func (d Domain) fill(info *hparamspb.HParamInfo) error {
	switch d.kind {
	case discreteDomain:
		if len(d.values) == 0 {
			return errors.New("empty discrete domain")
		}
		list := &structpb.ListValue{}
		var typ HParamType
		for i, x := range d.values {
			v, t, err := hparamValue(x)
			if err != nil {
				return fmt.Errorf("domain value %d: %w", i, err)
			}
			if i == 0 {
				typ = t
			} else if t != typ {
				return fmt.Errorf("domain value %d, %s, is a %v, value 0 a %v", i, fmtValue(v), t, typ)
			}
			if slices.ContainsFunc(list.Values, func(x *structpb.Value) bool { return proto.Equal(x, v) }) {
				return fmt.Errorf("domain value %s is listed twice", fmtValue(v))
			}
			list.Values = append(list.Values, v)
		}
		info.Type = hparamspb.DataType(typ)
		info.Domain = &hparamspb.HParamInfo_DomainDiscrete{DomainDiscrete: list}
	case intervalDomain:
		if math.IsNaN(d.min) || math.IsNaN(d.max) || math.IsInf(d.min, 0) || math.IsInf(d.max, 0) {
			return fmt.Errorf("interval %v has a bound that is not finite", d)
		}
		if d.min > d.max {
			return fmt.Errorf("interval %v has its minimum above its maximum", d)
		}
		info.Type = hparamspb.DataType_DATA_TYPE_FLOAT64
		info.Domain = &hparamspb.HParamInfo_DomainInterval{DomainInterval: &hparamspb.Interval{MinValue: d.min, MaxValue: d.max}}
	case anyDomain:
		if d.typ < HParamString || d.typ > HParamFloat64 {
			return fmt.Errorf("AnyOf(%v): not a type of hparam values", d.typ)
		}
		info.Type = hparamspb.DataType(d.typ)
	default:
		return errors.New("no domain; use Discrete, Interval or AnyOf")
	}
	info.Differs = differs(info)
	return nil
}

// differs is TensorBoard's HParamInfo.differs for a declared domain: true
// when it allows different values. The dashboard shows the first five
// hparams with differs set when it opens, so an AnyOf domain, typically
// run information that rarely changes, does not set it.
func differs(info *hparamspb.HParamInfo) bool {
	switch d := info.Domain.(type) {
	case *hparamspb.HParamInfo_DomainDiscrete:
		return len(d.DomainDiscrete.Values) > 1
	case *hparamspb.HParamInfo_DomainInterval:
		return d.DomainInterval.MinValue < d.DomainInterval.MaxValue
	}
	return false
}

// domainOf converts a declared domain back.
func domainOf(info *hparamspb.HParamInfo) Domain {
	switch d := info.Domain.(type) {
	case *hparamspb.HParamInfo_DomainDiscrete:
		values := make([]any, len(d.DomainDiscrete.Values))
		for i, v := range d.DomainDiscrete.Values {
			values[i] = goValue(v)
		}
		return Domain{kind: discreteDomain, values: values}
	case *hparamspb.HParamInfo_DomainInterval:
		return Interval(d.DomainInterval.MinValue, d.DomainInterval.MaxValue)
	}
	if info.Type != hparamspb.DataType_DATA_TYPE_UNSET {
		return AnyOf(HParamType(info.Type))
	}
	return Domain{}
}

// experimentOf converts TensorBoard's Experiment back.
func experimentOf(pb *hparamspb.Experiment) *Experiment {
	e := &Experiment{Name: pb.Name, Description: pb.Description, User: pb.User}
	if pb.TimeCreatedSecs != 0 {
		sec, frac := math.Modf(pb.TimeCreatedSecs)
		e.Created = time.Unix(int64(sec), int64(frac*1e9))
	}
	for _, h := range pb.HparamInfos {
		e.HParams = append(e.HParams, HParam{Name: h.Name, DisplayName: h.DisplayName, Description: h.Description, Domain: domainOf(h)})
	}
	for _, m := range pb.MetricInfos {
		e.Metrics = append(e.Metrics, Metric{
			Tag: m.GetName().GetTag(), Group: m.GetName().GetGroup(),
			DisplayName: m.DisplayName, Description: m.Description, Dataset: Dataset(m.DatasetType),
		})
	}
	return e
}

// ErrNoExperiment is returned by ReadExperiment for a logdir whose root run
// declares no experiment.
var ErrNoExperiment = errors.New("summary: no experiment at the logdir root")

// WriteExperiment declares exp for the sessions of logdir: it writes one
// experiment summary into the logdir's root run (".") and nowhere else,
// where TensorBoard looks for it (the sessions go in runs below, one per
// Writer, with StartSession). Write it once from the program that runs the
// sweep; the trials need not write it.
//
// TensorBoard takes the experiment from the first run it finds one in, so
// writing one in every trial's run, as tensorboardX and PyTorch's
// add_hparams do, shows an arbitrary trial's declaration and hides the
// hyper-parameters of the others. Hence one experiment, at the root.
//
// A sweep that grows may declare again: WriteExperiment merges exp into
// the experiment already at the root, so the root holds the union of every
// declaration. Hyper-parameters and metrics are matched by name (by group
// and tag); discrete domains are joined, intervals widened to cover both,
// a discrete set of numbers and an interval give the interval covering
// both, and AnyOf absorbs a domain of its type; a type that changes is an
// error. Non-empty names, display names and descriptions replace the old
// ones. Declarations only grow: to remove one, delete the root's event
// files. If the union is the experiment already there, nothing is written.
//
// Writing the union again at a later step, or in another event file of
// the root, would not change what TensorBoard shows: both of its loaders
// keep the metadata of a tag's first value, and an experiment lives in its
// metadata. So WriteExperiment writes the union into a new event file and
// then removes the root's older event files that hold only experiments
// (files it wrote). A TensorBoard started afterwards shows the union; one
// already running keeps what it first read until it is restarted. An
// experiment the root holds in a file with other data cannot be replaced
// and is an error, before anything is written.
//
// Keep the root run for the experiment: a Writer writing other data into
// the logdir itself competes with these files (TensorBoard's Python loader
// reads only the newest event file of a run once it has moved on to it).
// WriteExperiment is not safe for concurrent use on one logdir, by
// goroutines or processes.
func WriteExperiment(logdir string, exp Experiment) error {
	pb, err := exp.proto()
	if err != nil {
		return err
	}
	root, err := readRootExperiments(logdir)
	if err != nil {
		return err
	}
	merged := pb
	var old *hparamspb.Experiment
	for _, e := range root.experiments {
		if old == nil {
			old = e
		} else if old, err = mergeExperiments(old, e); err != nil {
			return fmt.Errorf("%w (merging the experiments already at the root)", err)
		}
	}
	if old != nil {
		if merged, err = mergeExperiments(old, pb); err != nil {
			return err
		}
		if proto.Equal(merged, old) && len(root.experiments) == 1 {
			return nil
		}
	}
	if merged.TimeCreatedSecs == 0 {
		merged.TimeCreatedSecs = tfevents.WallTime(time.Now())
	}

	w, err := NewWriter(logdir, &Options{FlushInterval: -1, Fsync: true})
	if err != nil {
		return err
	}
	err = w.WriteValue(0, experimentValue(merged))
	if cerr := w.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(w.FileName())
		return err
	}
	for _, f := range root.ours {
		if err := os.Remove(f); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("summary: the experiment is written, but the old one in %s stays and shadows it: %w", f, err)
		}
	}
	return nil
}

// ReadExperiment returns the experiment declared at the root of logdir, the
// one TensorBoard shows: the first in the root's event files in name
// order. It returns an error wrapping ErrNoExperiment if there is none.
func ReadExperiment(logdir string) (*Experiment, error) {
	root, err := readRootExperiments(logdir)
	if err != nil {
		return nil, err
	}
	if len(root.experiments) == 0 {
		return nil, fmt.Errorf("%w %s", ErrNoExperiment, logdir)
	}
	return experimentOf(root.experiments[0]), nil
}

// rootExperiments is what the root run of a logdir holds of experiments.
type rootExperiments struct {
	experiments []*hparamspb.Experiment // in file and record order
	ours        []string                // files holding nothing but experiments
}

// readRootExperiments reads every event file directly in logdir. A file
// with other data that declares an experiment is an error, since
// WriteExperiment could not replace that declaration.
func readRootExperiments(logdir string) (*rootExperiments, error) {
	entries, err := os.ReadDir(logdir)
	if errors.Is(err, os.ErrNotExist) {
		return &rootExperiments{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("summary: %w", err)
	}
	root := &rootExperiments{}
	for _, e := range entries { // ReadDir sorts by name, as TensorBoard reads
		if e.IsDir() || !tfevents.IsEventFile(e.Name()) {
			continue
		}
		name := filepath.Join(logdir, e.Name())
		exps, only, err := readExperimentFile(name)
		if err != nil {
			return nil, err
		}
		if len(exps) > 0 && !only {
			return nil, fmt.Errorf("summary: %s declares an experiment among other data; "+
				"TensorBoard would keep showing it, so it cannot be replaced (move the other data to a run below the root)", name)
		}
		root.experiments = append(root.experiments, exps...)
		if only {
			root.ours = append(root.ours, name)
		}
	}
	return root, nil
}

// readExperimentFile returns the experiments an event file declares and
// whether it holds nothing else. A file that ends inside a record is being
// written, so it is not only experiments.
func readExperimentFile(name string) (exps []*hparamspb.Experiment, only bool, err error) {
	r, err := tfevents.Open(name, 0)
	if err != nil {
		return nil, false, fmt.Errorf("summary: %w", err)
	}
	defer r.Close()
	only = true
	var ev tbpb.Event
	for {
		err := r.ReadEvent(&ev)
		if err == io.EOF {
			return exps, only, nil
		}
		if err == io.ErrUnexpectedEOF {
			return exps, false, nil
		}
		if err != nil {
			return nil, false, fmt.Errorf("summary: reading the logdir root: %w", err)
		}
		switch what := ev.What.(type) {
		case *tbpb.Event_FileVersion:
		case *tbpb.Event_Summary:
			for _, v := range what.Summary.Value {
				if v.Tag != ExperimentTag || v.GetMetadata().GetPluginData().GetPluginName() != PluginHParams {
					only = false
					continue
				}
				var pd hparamspb.HParamsPluginData
				if err := proto.Unmarshal(v.Metadata.PluginData.Content, &pd); err != nil || pd.GetExperiment() == nil {
					return nil, false, fmt.Errorf("summary: %s: %s at step %d is not an experiment", name, ExperimentTag, ev.Step)
				}
				exps = append(exps, pd.GetExperiment())
			}
		default:
			only = false
		}
	}
}

// mergeExperiments returns the union of two declarations, b's names and
// descriptions taking precedence; see WriteExperiment.
func mergeExperiments(a, b *hparamspb.Experiment) (*hparamspb.Experiment, error) {
	m := &hparamspb.Experiment{
		Name:            firstNonEmpty(b.Name, a.Name),
		Description:     firstNonEmpty(b.Description, a.Description),
		User:            firstNonEmpty(b.User, a.User),
		TimeCreatedSecs: a.TimeCreatedSecs,
	}
	if m.TimeCreatedSecs == 0 {
		m.TimeCreatedSecs = b.TimeCreatedSecs
	}
	infos := map[string]*hparamspb.HParamInfo{}
	for _, h := range b.HparamInfos {
		infos[h.Name] = h
	}
	for _, h := range a.HparamInfos {
		h = proto.Clone(h).(*hparamspb.HParamInfo)
		if n, ok := infos[h.Name]; ok {
			if err := mergeHParam(h, n); err != nil {
				return nil, err
			}
			delete(infos, h.Name)
		}
		m.HparamInfos = append(m.HparamInfos, h)
	}
	for _, h := range b.HparamInfos {
		if _, ok := infos[h.Name]; ok {
			m.HparamInfos = append(m.HparamInfos, proto.Clone(h).(*hparamspb.HParamInfo))
		}
	}
	type key struct{ group, tag string }
	metrics := map[key]*hparamspb.MetricInfo{}
	for _, x := range b.MetricInfos {
		metrics[key{x.GetName().GetGroup(), x.GetName().GetTag()}] = x
	}
	for _, x := range a.MetricInfos {
		x = proto.Clone(x).(*hparamspb.MetricInfo)
		k := key{x.GetName().GetGroup(), x.GetName().GetTag()}
		if n, ok := metrics[k]; ok {
			x.DisplayName = firstNonEmpty(n.DisplayName, x.DisplayName)
			x.Description = firstNonEmpty(n.Description, x.Description)
			if n.DatasetType != hparamspb.DatasetType_DATASET_UNKNOWN {
				x.DatasetType = n.DatasetType
			}
			delete(metrics, k)
		}
		m.MetricInfos = append(m.MetricInfos, x)
	}
	for _, x := range b.MetricInfos {
		if _, ok := metrics[key{x.GetName().GetGroup(), x.GetName().GetTag()}]; ok {
			m.MetricInfos = append(m.MetricInfos, proto.Clone(x).(*hparamspb.MetricInfo))
		}
	}
	return m, nil
}

// firstNonEmpty returns the first non-empty string.
func firstNonEmpty(s ...string) string {
	for _, x := range s {
		if x != "" {
			return x
		}
	}
	return ""
}

// mergeHParam widens a's declaration to cover b's.
func mergeHParam(a, b *hparamspb.HParamInfo) error {
	a.DisplayName = firstNonEmpty(b.DisplayName, a.DisplayName)
	a.Description = firstNonEmpty(b.Description, a.Description)
	switch {
	case b.Type == hparamspb.DataType_DATA_TYPE_UNSET:
		return nil
	case a.Type == hparamspb.DataType_DATA_TYPE_UNSET:
		a.Type, a.Domain = b.Type, b.Domain
	case a.Type != b.Type:
		return fmt.Errorf("summary: hparam %q was declared with %v values, now with %v values",
			a.Name, HParamType(a.Type), HParamType(b.Type))
	case a.Domain == nil || b.Domain == nil:
		a.Domain = nil // AnyOf absorbs the other
	default:
		ad, adOK := a.Domain.(*hparamspb.HParamInfo_DomainDiscrete)
		bd, bdOK := b.Domain.(*hparamspb.HParamInfo_DomainDiscrete)
		if adOK && bdOK {
			list := proto.Clone(ad.DomainDiscrete).(*structpb.ListValue)
			for _, v := range bd.DomainDiscrete.Values {
				if !slices.ContainsFunc(list.Values, func(x *structpb.Value) bool { return proto.Equal(x, v) }) {
					list.Values = append(list.Values, v)
				}
			}
			a.Domain = &hparamspb.HParamInfo_DomainDiscrete{DomainDiscrete: list}
			break
		}
		// Numbers: an interval covering both.
		lo, hi := math.Inf(1), math.Inf(-1)
		for _, info := range []*hparamspb.HParamInfo{a, b} {
			switch d := info.Domain.(type) {
			case *hparamspb.HParamInfo_DomainDiscrete:
				for _, v := range d.DomainDiscrete.Values {
					lo, hi = min(lo, v.GetNumberValue()), max(hi, v.GetNumberValue())
				}
			case *hparamspb.HParamInfo_DomainInterval:
				lo, hi = min(lo, d.DomainInterval.MinValue), max(hi, d.DomainInterval.MaxValue)
			}
		}
		a.Domain = &hparamspb.HParamInfo_DomainInterval{DomainInterval: &hparamspb.Interval{MinValue: lo, MaxValue: hi}}
	}
	a.Differs = differs(a)
	return nil
}

// hparamKeys returns the keys of m in order.
func hparamKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
