package summary

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"strconv"
	"unicode/utf8"

	"gonum.org/v1/gonum/mat"

	"github.com/tbgo/tbgo/proto/tbpb"
)

// PluginPRCurves is the plugin name of precision-recall curves.
const PluginPRCurves = "pr_curves"

// DefaultPRThresholds is the number of thresholds of a PR curve when
// PROptions.Thresholds is zero, TensorBoard's default.
const DefaultPRThresholds = 201

// prMinCount keeps precision and recall finite where there are no
// positives, as TensorBoard's _MINIMUM_COUNT does.
const prMinCount = 1e-7

// PROptions configures a PR curve made from labels and predictions. The
// zero value (or a nil *PROptions) gives TensorBoard's defaults.
type PROptions struct {
	// Thresholds is the number of thresholds, evenly spaced from 0 to 1
	// inclusive; zero means DefaultPRThresholds. It must be at least 2,
	// and may not change from one step of a tag to the next.
	Thresholds int

	// Weights, if not nil, weighs each example: its counts are multiplied
	// by its weight (zero masks it out). It needs one finite, non-negative
	// weight per example.
	Weights []float64

	// ClassNames names the classes of a one-vs-rest curve: the curve of
	// class k is tag "<tag>/<ClassNames[k]>" instead of "<tag>/class_<k>".
	// It needs one distinct, non-empty name per class, and is refused
	// for binary curves.
	ClassNames []string
}

// PRCurveData is a precision-recall curve: six values per threshold, the
// thresholds being i/(T-1) for i = 0..T-1. At threshold t an example
// counts as predicted positive when its bucket floor(p*(T-1)) is at least
// the threshold's index, so index 0 predicts every example positive.
// TensorBoard stores every value as a float32.
type PRCurveData struct {
	TruePositives  []float64
	FalsePositives []float64
	TrueNegatives  []float64
	FalseNegatives []float64
	// Precision is TP / max(1e-7, TP+FP).
	Precision []float64
	// Recall is TP / max(1e-7, TP+FN).
	Recall []float64
}

// Thresholds returns the number of thresholds of d.
func (d *PRCurveData) Thresholds() int { return len(d.TruePositives) }

// ComputePRCurve computes the PR curve of a binary classifier as
// TensorBoard's pr_curve summary does: each example falls in bucket
// floor(prediction*(T-1)) with its weight (1 without weights), true
// positives and false positives at threshold i are the weights of the
// positive and negative examples in buckets i and above, true negatives
// and false negatives are what remains (FP[0]-FP and TP[0]-TP), and
// precision and recall divide by at least 1e-7. Predictions must lie in
// [0, 1]; labels, predictions and weights must have the same length, at
// least one.
func ComputePRCurve(labels []bool, predictions []float64, opts *PROptions) (*PRCurveData, error) {
	o, err := prOptions(opts, len(labels))
	if err != nil {
		return nil, err
	}
	if len(o.ClassNames) > 0 {
		return nil, errors.New("summary: PR curve: ClassNames is for one-vs-rest curves")
	}
	if len(predictions) != len(labels) {
		return nil, fmt.Errorf("summary: PR curve: %d labels but %d predictions", len(labels), len(predictions))
	}
	for i, p := range predictions {
		if err := checkProbability(p); err != nil {
			return nil, fmt.Errorf("summary: PR curve: prediction %d %w", i, err)
		}
	}
	return prCompute(o.Thresholds, o.Weights, len(labels),
		func(i int) bool { return labels[i] },
		func(i int) float64 { return predictions[i] }), nil
}

// PRCurveFromCounts returns the PR curve of precomputed counts, one per
// threshold, computing precision and recall as ComputePRCurve does. The
// four slices must have the same length, at least 2, and hold finite,
// non-negative counts; they are copied.
func PRCurveFromCounts(tp, fp, tn, fn []float64) (*PRCurveData, error) {
	t := len(tp)
	if len(fp) != t || len(tn) != t || len(fn) != t {
		return nil, fmt.Errorf("summary: PR curve counts have lengths %d, %d, %d and %d (TP, FP, TN, FN): they must be equal",
			len(tp), len(fp), len(tn), len(fn))
	}
	if t < 2 {
		return nil, fmt.Errorf("summary: PR curve: %d thresholds, need at least 2", t)
	}
	for r, row := range [][]float64{tp, fp, tn, fn} {
		for i, c := range row {
			if math.IsNaN(c) || math.IsInf(c, 0) || c < 0 {
				return nil, fmt.Errorf("summary: PR curve: %s[%d] = %v is not a finite count of at least 0", prRowNames[r], i, c)
			}
		}
	}
	d := &PRCurveData{
		TruePositives:  append([]float64(nil), tp...),
		FalsePositives: append([]float64(nil), fp...),
		TrueNegatives:  append([]float64(nil), tn...),
		FalseNegatives: append([]float64(nil), fn...),
	}
	d.ratios()
	return d, nil
}

var prRowNames = [...]string{"TP", "FP", "TN", "FN", "precision", "recall"}

// PRCurveValue returns a PR curve summary value: a DT_FLOAT [6, T] tensor
// whose rows are TP, FP, TN, FN, precision and recall, with pr_curves
// metadata (PrCurvePluginData holding T) and data class TENSOR.
func PRCurveValue(tag string, d *PRCurveData, m Meta) (*tbpb.Summary_Value, error) {
	if err := checkTag(tag); err != nil {
		return nil, err
	}
	if d == nil {
		return nil, fmt.Errorf("summary: PR curve %q: nil data", tag)
	}
	rows := d.rows()
	t := len(rows[0])
	if t < 2 {
		return nil, fmt.Errorf("summary: PR curve %q: %d thresholds, need at least 2", tag, t)
	}
	content := make([]byte, 0, 6*t*4)
	for r, row := range rows {
		if len(row) != t {
			return nil, fmt.Errorf("summary: PR curve %q: %s has %d values, TP has %d", tag, prRowNames[r], len(row), t)
		}
		for i, x := range row {
			f := float32(x)
			if math.IsNaN(x) || math.IsInf(float64(f), 0) {
				return nil, fmt.Errorf("summary: PR curve %q: %s[%d] = %v is not a finite float32", tag, prRowNames[r], i, x)
			}
			content = binary.LittleEndian.AppendUint32(content, math.Float32bits(f))
		}
	}
	plugin := marshalContent(&tbpb.PrCurvePluginData{Version: 0, NumThresholds: uint32(t)})
	return &tbpb.Summary_Value{
		Tag:      tag,
		Metadata: metadata(PluginPRCurves, plugin, tbpb.DataClass_DATA_CLASS_TENSOR, m),
		Value: &tbpb.Summary_Value_Tensor{Tensor: &tbpb.TensorProto{
			Dtype:         tbpb.DataType_DT_FLOAT,
			TensorShape:   shape(6, int64(t)),
			TensorContent: content,
		}},
	}, nil
}

// PRCurve writes the PR curve of a binary classifier (see ComputePRCurve)
// as tag. Nothing is written when the input is refused.
func (w *Writer) PRCurve(tag string, step int64, labels []bool, predictions []float64, opts *PROptions) (err error) {
	defer w.note(&err)
	d, err := ComputePRCurve(labels, predictions, opts)
	if err != nil {
		return fmt.Errorf("%w (tag %q)", err, tag)
	}
	return w.writePRCurves([]string{tag}, step, []*PRCurveData{d})
}

// PRCurveCounts writes a PR curve from precomputed counts (see
// PRCurveFromCounts) as tag.
func (w *Writer) PRCurveCounts(tag string, step int64, tp, fp, tn, fn []float64) (err error) {
	defer w.note(&err)
	d, err := PRCurveFromCounts(tp, fp, tn, fn)
	if err != nil {
		return fmt.Errorf("%w (tag %q)", err, tag)
	}
	return w.writePRCurves([]string{tag}, step, []*PRCurveData{d})
}

// PRCurveClasses writes one-vs-rest PR curves of a classifier of K
// classes: for each class k, the binary curve of "is class k" against
// probabilities[i][k], as tag "<tag>/class_<k>" or "<tag>/<name>" (see
// PROptions.ClassNames). labels[i] is the class of example i, in [0, K);
// each row of probabilities has K values in [0, 1]. Either every curve is
// written or, when the input is refused, none.
func (w *Writer) PRCurveClasses(tag string, step int64, labels []int, probabilities [][]float64, opts *PROptions) (err error) {
	defer w.note(&err)
	k := 0
	if len(probabilities) > 0 {
		k = len(probabilities[0])
	}
	for i, row := range probabilities {
		if len(row) != k {
			return fmt.Errorf("summary: PR curve %q: probability row %d has %d classes, row 0 has %d", tag, i, len(row), k)
		}
	}
	return w.writeClassCurves(tag, step, labels, len(probabilities), k,
		func(i, c int) float64 { return probabilities[i][c] }, opts)
}

// PRCurveMatrix is PRCurveClasses with the probabilities in an N×K
// matrix, one row per example.
func (w *Writer) PRCurveMatrix(tag string, step int64, labels []int, probabilities mat.Matrix, opts *PROptions) (err error) {
	defer w.note(&err)
	if probabilities == nil {
		return fmt.Errorf("summary: PR curve %q: nil matrix of probabilities", tag)
	}
	n, k := probabilities.Dims()
	return w.writeClassCurves(tag, step, labels, n, k, probabilities.At, opts)
}

func (w *Writer) writeClassCurves(tag string, step int64, labels []int, n, k int, prob func(i, c int) float64, opts *PROptions) error {
	fail := func(format string, args ...any) error {
		return fmt.Errorf("summary: PR curve %q: "+format, append([]any{tag}, args...)...)
	}
	o, err := prOptions(opts, len(labels))
	if err != nil {
		return fmt.Errorf("%w (tag %q)", err, tag)
	}
	if n != len(labels) {
		return fail("%d labels but %d rows of probabilities", len(labels), n)
	}
	if k < 2 {
		return fail("%d classes, need at least 2 for one-vs-rest curves", k)
	}
	if len(o.ClassNames) > 0 && len(o.ClassNames) != k {
		return fail("%d class names for %d classes", len(o.ClassNames), k)
	}
	for i, l := range labels {
		if l < 0 || l >= k {
			return fail("label %d is %d, outside [0, %d)", i, l, k)
		}
		for c := range k {
			if err := checkProbability(prob(i, c)); err != nil {
				return fail("probability (%d, %d) %w", i, c, err)
			}
		}
	}
	tags := make([]string, k)
	seen := make(map[string]bool, k)
	for c := range tags {
		name := "class_" + strconv.Itoa(c)
		if len(o.ClassNames) > 0 {
			name = o.ClassNames[c]
			if name == "" || !utf8.ValidString(name) || seen[name] {
				return fail("class name %d %q is empty, repeated or not valid UTF-8", c, name)
			}
			seen[name] = true
		}
		tags[c] = tag + "/" + name
	}
	curves := make([]*PRCurveData, k)
	for c := range curves {
		curves[c] = prCompute(o.Thresholds, o.Weights, n,
			func(i int) bool { return labels[i] == c },
			func(i int) float64 { return prob(i, c) })
	}
	return w.writePRCurves(tags, step, curves)
}

// writePRCurves writes one curve per tag, each as its own event, after
// checking that every tag may hold a PR curve.
func (w *Writer) writePRCurves(tags []string, step int64, curves []*PRCurveData) error {
	wall := w.wall()
	w.mu.Lock()
	defer w.mu.Unlock()
	ss := make([]*series, len(tags))
	vs := make([]*tbpb.Summary_Value, len(tags))
	for i, tag := range tags {
		s, err := w.lookup(tag, PluginPRCurves)
		if err != nil {
			return err
		}
		if vs[i], err = PRCurveValue(tag, curves[i], s.meta); err != nil {
			return err
		}
		ss[i] = s
	}
	for i, v := range vs {
		if err := w.writeValue(ss[i], wall, step, v); err != nil {
			return err
		}
	}
	return nil
}

// prOptions returns opts with defaults filled in, checked for n examples.
func prOptions(opts *PROptions, n int) (PROptions, error) {
	var o PROptions
	if opts != nil {
		o = *opts
	}
	if o.Thresholds == 0 {
		o.Thresholds = DefaultPRThresholds
	}
	if o.Thresholds < 2 {
		return o, fmt.Errorf("summary: PR curve: %d thresholds, need at least 2", o.Thresholds)
	}
	if n == 0 {
		return o, errors.New("summary: PR curve: no examples")
	}
	if o.Weights != nil {
		if len(o.Weights) != n {
			return o, fmt.Errorf("summary: PR curve: %d weights for %d examples", len(o.Weights), n)
		}
		for i, x := range o.Weights {
			if math.IsNaN(x) || math.IsInf(x, 0) || x < 0 {
				return o, fmt.Errorf("summary: PR curve: weight %d = %v is not finite and at least 0", i, x)
			}
		}
	}
	return o, nil
}

// checkProbability returns an error, to follow a name, unless p is in
// [0, 1].
func checkProbability(p float64) error {
	if math.IsNaN(p) {
		return errors.New("is NaN")
	}
	if p < 0 || p > 1 {
		return fmt.Errorf("= %v is outside [0, 1]", p)
	}
	return nil
}

// prCompute computes the curve of n checked examples with t thresholds.
func prCompute(t int, weights []float64, n int, label func(int) bool, pred func(int) float64) *PRCurveData {
	d := &PRCurveData{
		TruePositives:  make([]float64, t),
		FalsePositives: make([]float64, t),
		TrueNegatives:  make([]float64, t),
		FalseNegatives: make([]float64, t),
	}
	for i := range n {
		wt := 1.0
		if weights != nil {
			wt = weights[i]
		}
		b := int(math.Floor(pred(i) * float64(t-1)))
		if label(i) {
			d.TruePositives[b] += wt
		} else {
			d.FalsePositives[b] += wt
		}
	}
	// Reverse cumulative sums: the examples at or above each threshold.
	for i := t - 2; i >= 0; i-- {
		d.TruePositives[i] += d.TruePositives[i+1]
		d.FalsePositives[i] += d.FalsePositives[i+1]
	}
	for i := range t {
		d.TrueNegatives[i] = d.FalsePositives[0] - d.FalsePositives[i]
		d.FalseNegatives[i] = d.TruePositives[0] - d.TruePositives[i]
	}
	d.ratios()
	return d
}

// ratios sets Precision and Recall from the counts.
func (d *PRCurveData) ratios() {
	t := len(d.TruePositives)
	d.Precision = make([]float64, t)
	d.Recall = make([]float64, t)
	for i, tp := range d.TruePositives {
		d.Precision[i] = tp / math.Max(prMinCount, tp+d.FalsePositives[i])
		d.Recall[i] = tp / math.Max(prMinCount, tp+d.FalseNegatives[i])
	}
}

func (d *PRCurveData) rows() [6][]float64 {
	return [6][]float64{d.TruePositives, d.FalsePositives, d.TrueNegatives, d.FalseNegatives, d.Precision, d.Recall}
}
