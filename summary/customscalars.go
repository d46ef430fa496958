package summary

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"regexp"
	"slices"
	"unicode/utf8"

	"google.golang.org/protobuf/proto"

	"github.com/tbgo/tbgo/proto/tbpb"
)

// PluginCustomScalars is the plugin name of the custom scalars dashboard.
const PluginCustomScalars = "custom_scalars"

// CustomScalarsTag is the tag TensorBoard reads a run's custom scalars
// layout from; it reads the value written last.
const CustomScalarsTag = "custom_scalars__config__"

// ScalarsCategory is the title of the layout category that holds the
// charts of Writer.Scalars.
const ScalarsCategory = "Scalars"

// A CustomLayout arranges charts of scalars on TensorBoard's Custom
// Scalars dashboard, in categories shown top to bottom. TensorBoard merges
// the layouts of all runs: categories of the same title become one, with
// the charts of both (each distinct chart once).
type CustomLayout struct {
	Categories []CustomCategory
}

// A CustomCategory is a titled, collapsible group of charts. The title
// must not be empty, nor repeated within a layout.
type CustomCategory struct {
	Title string
	// Closed shows the category collapsed at first.
	Closed bool
	// Charts are the category's charts; at least one.
	Charts []CustomChart
}

// A CustomChart is one chart: either several lines (Multiline) or lines
// with a shaded margin (Margin), exactly one of the two. Every run's
// matching series are drawn in it.
type CustomChart struct {
	// Title is shown atop the chart; empty means the tag patterns.
	Title string
	// Multiline holds regular expressions; each scalar tag that one of
	// them matches from its start (as Python's re.match does) is a line.
	// They must compile with Go's regexp package; TensorBoard compiles
	// them with Python's re, which reads the common syntax the same way
	// but lacks some of Go's (such as \pL and \z), in which case the
	// chart shows an error.
	Multiline []string
	// Margin holds lines each drawn between a lower and an upper bound.
	Margin []MarginSeries
}

// A MarginSeries names the three scalar tags of a line with a margin, such
// as a mean and its confidence interval. Their steps must match.
type MarginSeries struct {
	Value, Lower, Upper string
}

// CustomScalarsValue returns the summary value holding layout l: tag
// CustomScalarsTag, a rank-0 DT_STRING tensor holding the serialized
// Layout proto, plugin custom_scalars with no content and data class
// TENSOR. A Writer that also calls Scalars must be given its layout with
// Writer.CustomScalarsLayout instead, which merges the two.
func CustomScalarsValue(l CustomLayout) (*tbpb.Summary_Value, error) {
	cats, err := layoutCategories(l)
	if err != nil {
		return nil, err
	}
	return customScalarsValue(marshalLayout(cats), Meta{}), nil
}

// CustomScalarsLayout sets the run's custom scalars layout to l merged with
// the charts of Scalars, and writes it if that changes what was last
// written. A later call replaces l. Nothing is written when l is refused:
// for a layout without categories, a category without a title or charts
// or with the title of an earlier one, a chart that is neither or both of
// multiline and margin, a regular expression that does not compile, or a
// margin series with an empty tag.
func (w *Writer) CustomScalarsLayout(l CustomLayout) (err error) {
	defer w.note(&err)
	cats, err := layoutCategories(l)
	if err != nil {
		return err
	}
	wall := w.wall()
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.custom.update(w, wall, cats, w.custom.mains)
}

// Scalars writes several scalars that TensorBoard draws as lines of one
// chart: each value as the scalar "mainTag/key" of the Writer's own run,
// in order of key, and a chart for mainTag in the run's custom scalars
// layout, in category ScalarsCategory, drawing the tags that match
// "^" + regexp.QuoteMeta(mainTag) + "/". The layout is written again only
// when a new mainTag adds a chart. The Scalars dashboard also shows each
// line on its own, grouped under mainTag.
//
// Unlike tensorboardX's add_scalars, this creates no run per key and keeps
// nothing per step: memory grows with the number of distinct tags only.
// Values are stored as float32, as Scalar stores them. Nothing is written
// when a key is empty, a value overflows float32, or a tag holds another
// kind of data.
func (w *Writer) Scalars(mainTag string, step int64, values map[string]float64) (err error) {
	defer w.note(&err)
	if err := checkTag(mainTag); err != nil {
		return err
	}
	if len(values) == 0 {
		return fmt.Errorf("summary: Scalars(%q): no values", mainTag)
	}
	wall := w.wall()
	w.mu.Lock()
	defer w.mu.Unlock()
	c := &w.custom
	keys := c.keys[:0]
	for k, v := range values {
		if k == "" || !utf8.ValidString(k) {
			return fmt.Errorf("summary: Scalars(%q): key %q is empty or not valid UTF-8", mainTag, k)
		}
		if f := float32(v); math.IsInf(float64(f), 0) && !math.IsInf(v, 0) {
			return fmt.Errorf("summary: Scalars(%q): value %v of %q overflows float32", mainTag, v, k)
		}
		keys = append(keys, k)
	}
	slices.Sort(keys)
	c.keys = keys

	tags := c.groups[mainTag]
	if tags == nil {
		if c.groups == nil {
			c.groups = map[string]map[string]string{}
		}
		tags = map[string]string{}
		c.groups[mainTag] = tags
	}
	ss := c.series[:0]
	for _, k := range keys {
		tag, ok := tags[k]
		if !ok {
			tag = mainTag + "/" + k
			tags[k] = tag
		}
		s, err := w.lookup(tag, PluginScalars)
		if err != nil {
			return err
		}
		ss = append(ss, s)
	}
	c.series = ss

	if i, found := slices.BinarySearch(c.mains, mainTag); !found {
		if err := c.update(w, wall, c.user, slices.Insert(slices.Clip(c.mains), i, mainTag)); err != nil {
			return err
		}
	}
	for i, s := range ss {
		if s.scalar == nil {
			s.scalar = newScalarEncoder(tags[keys[i]], s.meta)
		}
		w.buf = s.scalar.appendEvent(w.buf[:0], wall, step, float32(values[keys[i]]))
		if err := w.writeRecord(tags[keys[i]], step); err != nil {
			return err
		}
		s.plugin = PluginScalars
	}
	return nil
}

// customScalarsState is the Writer's custom scalars layout: the user's
// part and the charts of Scalars. It grows with the number of distinct
// tags, never with steps.
type customScalarsState struct {
	user    []*tbpb.Category             // from CustomScalarsLayout
	mains   []string                     // main tags of Scalars, sorted
	groups  map[string]map[string]string // main tag → key → tag
	written []byte                       // the layout last written
	keys    []string                     // scratch: the keys of a Scalars call
	series  []*series                    // scratch: their series
}

// update writes the layout of user and mains if it differs from the one
// last written, and keeps both. The layout goes at step 0 every time: the
// loaders keep the value written last at a step (and the Rust one drops
// values at later steps when a step repeats), so the newest layout wins,
// and a resumed run that purges later steps keeps it. The caller holds
// w.mu.
func (c *customScalarsState) update(w *Writer, wall float64, user []*tbpb.Category, mains []string) error {
	b := marshalLayout(mergeLayout(user, mains))
	if !bytes.Equal(b, c.written) {
		s, err := w.lookup(CustomScalarsTag, PluginCustomScalars)
		if err != nil {
			return err
		}
		if err := w.writeValue(s, wall, 0, customScalarsValue(b, s.meta)); err != nil {
			return err
		}
		c.written = b
	}
	c.user, c.mains = user, mains
	return nil
}

// mergeLayout returns the categories of user followed by a chart for each
// main tag that no multiline chart of user draws already, in category
// ScalarsCategory (the user's, if it has one).
func mergeLayout(user []*tbpb.Category, mains []string) []*tbpb.Category {
	drawn := map[string]bool{}
	for _, cat := range user {
		for _, ch := range cat.Chart {
			if tags := ch.GetMultiline().GetTag(); len(tags) == 1 {
				drawn[tags[0]] = true
			}
		}
	}
	var charts []*tbpb.Chart
	for _, m := range mains {
		re := scalarsRegex(m)
		if drawn[re] {
			continue
		}
		charts = append(charts, &tbpb.Chart{
			Title:   m,
			Content: &tbpb.Chart_Multiline{Multiline: &tbpb.MultilineChartContent{Tag: []string{re}}},
		})
	}
	cats := slices.Clone(user)
	if len(charts) == 0 {
		return cats
	}
	i := slices.IndexFunc(cats, func(c *tbpb.Category) bool { return c.Title == ScalarsCategory })
	if i < 0 {
		return append(cats, &tbpb.Category{Title: ScalarsCategory, Chart: charts})
	}
	cat := proto.CloneOf(cats[i])
	cat.Chart = append(cat.Chart, charts...)
	cats[i] = cat
	return cats
}

// scalarsRegex matches the tags Scalars writes for mainTag.
func scalarsRegex(mainTag string) string {
	return "^" + regexp.QuoteMeta(mainTag) + "/"
}

func marshalLayout(cats []*tbpb.Category) []byte {
	return marshalContent(&tbpb.Layout{Category: cats})
}

func customScalarsValue(layout []byte, m Meta) *tbpb.Summary_Value {
	return &tbpb.Summary_Value{
		Tag:      CustomScalarsTag,
		Metadata: metadata(PluginCustomScalars, nil, tbpb.DataClass_DATA_CLASS_TENSOR, m),
		Value: &tbpb.Summary_Value_Tensor{Tensor: &tbpb.TensorProto{
			Dtype:       tbpb.DataType_DT_STRING,
			TensorShape: shape(),
			StringVal:   [][]byte{layout},
		}},
	}
}

// layoutCategories checks l and converts it to Layout categories.
func layoutCategories(l CustomLayout) ([]*tbpb.Category, error) {
	if len(l.Categories) == 0 {
		return nil, errors.New("summary: custom scalars layout has no categories")
	}
	titles := map[string]bool{}
	cats := make([]*tbpb.Category, len(l.Categories))
	for i, cat := range l.Categories {
		fail := func(format string, args ...any) error {
			return fmt.Errorf("summary: custom scalars category %q: "+format, append([]any{cat.Title}, args...)...)
		}
		if cat.Title == "" || !utf8.ValidString(cat.Title) {
			return nil, fail("title is empty or not valid UTF-8")
		}
		if titles[cat.Title] {
			return nil, fail("title used by an earlier category")
		}
		titles[cat.Title] = true
		if len(cat.Charts) == 0 {
			return nil, fail("no charts")
		}
		pc := &tbpb.Category{Title: cat.Title, Closed: cat.Closed, Chart: make([]*tbpb.Chart, len(cat.Charts))}
		for j, ch := range cat.Charts {
			c, err := chartProto(ch)
			if err != nil {
				return nil, fail("chart %d %q: %w", j, ch.Title, err)
			}
			pc.Chart[j] = c
		}
		cats[i] = pc
	}
	return cats, nil
}

func chartProto(ch CustomChart) (*tbpb.Chart, error) {
	if !utf8.ValidString(ch.Title) {
		return nil, errors.New("title is not valid UTF-8")
	}
	switch {
	case len(ch.Multiline) > 0 && len(ch.Margin) > 0:
		return nil, errors.New("both multiline and margin: a chart is one or the other")
	case len(ch.Multiline) > 0:
		for _, re := range ch.Multiline {
			if re == "" {
				return nil, errors.New("empty tag regular expression")
			}
			if _, err := regexp.Compile(re); err != nil {
				return nil, fmt.Errorf("tag regular expression %q: %w", re, err)
			}
		}
		return &tbpb.Chart{Title: ch.Title, Content: &tbpb.Chart_Multiline{
			Multiline: &tbpb.MultilineChartContent{Tag: slices.Clone(ch.Multiline)},
		}}, nil
	case len(ch.Margin) > 0:
		m := &tbpb.MarginChartContent{Series: make([]*tbpb.MarginChartContent_Series, len(ch.Margin))}
		for i, s := range ch.Margin {
			for _, tag := range []string{s.Value, s.Lower, s.Upper} {
				if err := checkTag(tag); err != nil {
					return nil, fmt.Errorf("margin series %d %+v: %w", i, s, err)
				}
			}
			m.Series[i] = &tbpb.MarginChartContent_Series{Value: s.Value, Lower: s.Lower, Upper: s.Upper}
		}
		return &tbpb.Chart{Title: ch.Title, Content: &tbpb.Chart_Margin{Margin: m}}, nil
	}
	return nil, errors.New("neither multiline nor margin")
}
