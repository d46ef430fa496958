package summary

import (
	"errors"
	"fmt"
	"math"
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
//
// Discrete takes a slice of any element type, so a search space declares
// itself from the values it tries: Discrete(lrs...) for lrs a []float64,
// Discrete("adam", "sgd"), or Discrete[any](1, int64(2), 0.5) to mix
// number types. The values are checked when the domain is used (by an
// Experiment), with an error naming the one that cannot be a
// hyper-parameter value.
func Discrete[T any](values ...T) Domain {
	vs := make([]any, len(values))
	for i, v := range values {
		vs[i] = v
	}
	return Domain{kind: discreteDomain, values: vs}
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

// hparamKeys returns the keys of m in order.
func hparamKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
