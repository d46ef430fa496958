package data

import (
	"errors"
	"fmt"
	"math"
	"strconv"

	"gonum.org/v1/gonum/mat"
)

// Errors that bad data wraps; branch on them with errors.Is.
var (
	// ErrEmpty reports a file or dataset with no samples.
	ErrEmpty = errors.New("no data rows")
	// ErrRagged reports a CSV row with a different number of fields from
	// the first row.
	ErrRagged = errors.New("ragged row")
	// ErrNotNumber reports a feature or target cell that is not a number.
	ErrNotNumber = errors.New("not a number")
	// ErrNonFinite reports a NaN or ±Inf value.
	ErrNonFinite = errors.New("not finite")
	// ErrLabel reports a class label that is not an integer, lies outside
	// [0, Classes), or is not one of the known class names.
	ErrLabel = errors.New("bad label")
	// ErrInvalid reports a dataset whose fields disagree (sizes, shape,
	// names) or options that cannot be met.
	ErrInvalid = errors.New("invalid dataset")
)

// ShapeError is the panic value of functions given matrices or slices of
// sizes that do not fit together: a programmer error, like gonum's
// mat.ErrShape, not bad data.
type ShapeError struct {
	Op     string // the function, e.g. "Scaler.Transform"
	Detail string // what did not fit
}

// Error implements error.
func (e ShapeError) Error() string { return "data: " + e.Op + ": " + e.Detail }

func shapePanic(op, format string, args ...any) {
	panic(ShapeError{Op: op, Detail: fmt.Sprintf(format, args...)})
}

// Shape is the shape of one sample: C channels of H×W values, stored in
// a Dataset row in CHW order, so the value of channel c at row i, column j
// is at index (c*H+i)*W+j. A vector of D features is the Shape {D, 1, 1}
// (Vector): every feature is a channel of one pixel. Package trainer's
// Shape is this type.
type Shape struct{ C, H, W int }

// Vector returns the Shape of a vector of d features, {d, 1, 1}.
func Vector(d int) Shape { return Shape{C: d, H: 1, W: 1} }

// Size returns the number of values in one sample, C*H*W.
func (s Shape) Size() int { return s.C * s.H * s.W }

// IsVector reports whether s is a vector, H = W = 1.
func (s Shape) IsVector() bool { return s.H == 1 && s.W == 1 }

// Valid reports whether every dimension is at least 1.
func (s Shape) Valid() bool { return s.C >= 1 && s.H >= 1 && s.W >= 1 }

// String returns "C×H×W", such as "1×8×8", or "D" for a vector, as
// package trainer writes shapes.
func (s Shape) String() string {
	if s.IsVector() {
		return strconv.Itoa(s.C)
	}
	return strconv.Itoa(s.C) + "×" + strconv.Itoa(s.H) + "×" + strconv.Itoa(s.W)
}

// Dataset is a set of samples held in memory: a matrix of inputs with one
// row per sample and either class labels (classification) or a matrix of
// targets (regression).
//
// A Dataset is plain data: its fields may be set directly, and Validate
// checks that they agree. The functions of this package never modify a
// Dataset they are given unless they say so (Scaler.TransformDataset does).
type Dataset struct {
	Name         string
	X            *mat.Dense // N×D, one row per sample; image rows in CHW order
	Y            []int      // class labels in [0, Classes), nil for regression
	Targets      *mat.Dense // N×T regression targets, nil for classification
	Classes      int        // number of classes; 0 for regression
	Shape        Shape      // one sample's shape; Shape.Size() == D
	ClassNames   []string   // optional; len Classes when set
	FeatureNames []string   // optional; len D when set
	Source       string     // attribution and provenance
}

// Len returns the number of samples, N.
func (d *Dataset) Len() int {
	if d.X == nil {
		return 0
	}
	r, _ := d.X.Dims()
	return r
}

// Dim returns the number of input values per sample, D.
func (d *Dataset) Dim() int {
	if d.X == nil {
		return 0
	}
	_, c := d.X.Dims()
	return c
}

// IsClassification reports whether d has class labels.
func (d *Dataset) IsClassification() bool { return d.Y != nil }

// Validate checks that the fields of d agree and that every value is
// usable, so bad data is refused before training starts. It checks, in
// order: X is present with at least one row; Shape.Size() equals D;
// exactly one of Y and Targets is set, with N entries; Classes >= 2 and
// every label in [0, Classes) for classification; ClassNames and
// FeatureNames, when set, have Classes and D entries; every value of X and
// Targets is finite. The error names the first offending row and column
// (0-based, with the feature's name when known) and wraps ErrInvalid,
// ErrLabel or ErrNonFinite.
func (d *Dataset) Validate() error {
	bad := func(sentinel error, format string, args ...any) error {
		return fmt.Errorf("data: dataset %q: %s: %w", d.Name, fmt.Sprintf(format, args...), sentinel)
	}
	if d.X == nil {
		return bad(ErrInvalid, "X is nil")
	}
	n, dim := d.X.Dims()
	if n == 0 || dim == 0 {
		return bad(ErrEmpty, "X is %d×%d", n, dim)
	}
	if !d.Shape.Valid() || d.Shape.Size() != dim {
		return bad(ErrInvalid, "shape %v does not hold the %d values of a row of X", d.Shape, dim)
	}
	switch {
	case d.Y != nil && d.Targets != nil:
		return bad(ErrInvalid, "both Y (classification) and Targets (regression) are set")
	case d.Y == nil && d.Targets == nil:
		return bad(ErrInvalid, "neither Y (classification) nor Targets (regression) is set")
	case d.Y != nil:
		if len(d.Y) != n {
			return bad(ErrInvalid, "%d labels for %d rows", len(d.Y), n)
		}
		if d.Classes < 2 {
			return bad(ErrInvalid, "Classes is %d, need at least 2", d.Classes)
		}
		for i, y := range d.Y {
			if y < 0 || y >= d.Classes {
				return bad(ErrLabel, "row %d: label %d outside [0, %d)", i, y, d.Classes)
			}
		}
		if d.ClassNames != nil && len(d.ClassNames) != d.Classes {
			return bad(ErrInvalid, "%d class names for %d classes", len(d.ClassNames), d.Classes)
		}
	default:
		if r, c := d.Targets.Dims(); r != n || c == 0 {
			return bad(ErrInvalid, "Targets is %d×%d for %d rows", r, c, n)
		}
		if d.Classes != 0 {
			return bad(ErrInvalid, "Classes is %d for a regression set, want 0", d.Classes)
		}
	}
	if d.FeatureNames != nil && len(d.FeatureNames) != dim {
		return bad(ErrInvalid, "%d feature names for %d features", len(d.FeatureNames), dim)
	}
	if i, j, ok := firstNonFinite(d.X); !ok {
		name := ""
		if d.FeatureNames != nil {
			name = fmt.Sprintf(" (%q)", d.FeatureNames[j])
		}
		return bad(ErrNonFinite, "X[%d, %d]%s is %v", i, j, name, d.X.At(i, j))
	}
	if d.Targets != nil {
		if i, j, ok := firstNonFinite(d.Targets); !ok {
			return bad(ErrNonFinite, "Targets[%d, %d] is %v", i, j, d.Targets.At(i, j))
		}
	}
	return nil
}

// firstNonFinite returns the first NaN or ±Inf of m in row-major order, or
// ok == true when there is none.
func firstNonFinite(m *mat.Dense) (i, j int, ok bool) {
	r, _ := m.Dims()
	for i := 0; i < r; i++ {
		for j, v := range m.RawRowView(i) {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return i, j, false
			}
		}
	}
	return 0, 0, true
}

// Subset returns a new Dataset holding copies of the rows idx of d, in
// that order, with the same names, shape and source. An index may repeat;
// an empty idx gives a Dataset with nil X (gonum has no 0×D matrix). It
// panics with a ShapeError if an index is out of range.
func (d *Dataset) Subset(idx []int) *Dataset {
	n, dim := d.Len(), d.Dim()
	for _, i := range idx {
		if i < 0 || i >= n {
			shapePanic("Dataset.Subset", "index %d out of range [0, %d)", i, n)
		}
	}
	s := *d
	s.X = gatherRows(d.X, idx, dim)
	if d.Y != nil {
		s.Y = make([]int, len(idx))
		for k, i := range idx {
			s.Y[k] = d.Y[i]
		}
	}
	if d.Targets != nil {
		_, t := d.Targets.Dims()
		s.Targets = gatherRows(d.Targets, idx, t)
	}
	return &s
}

func gatherRows(m *mat.Dense, idx []int, cols int) *mat.Dense {
	if len(idx) == 0 {
		// gonum has no 0×c matrix; an empty subset has no X either.
		return nil
	}
	out := mat.NewDense(len(idx), cols, nil)
	for k, i := range idx {
		copy(out.RawRowView(k), m.RawRowView(i))
	}
	return out
}

// ClassCounts returns the number of samples of each class of d, Classes
// entries. It returns nil for a regression set.
func (d *Dataset) ClassCounts() []int {
	if d.Y == nil {
		return nil
	}
	return ClassCounts(d.Y, d.Classes)
}

// ClassCounts returns how many of the labels y fall in each class
// 0..classes-1. Labels outside that range are not counted.
func ClassCounts(y []int, classes int) []int {
	counts := make([]int, classes)
	for _, c := range y {
		if c >= 0 && c < classes {
			counts[c]++
		}
	}
	return counts
}

// ImbalanceRatio returns the largest class count divided by the smallest,
// 1 for perfectly balanced classes. A class with no samples makes the
// ratio +Inf; no classes at all give NaN. docs/DIAGNOSTICS.md rule 17 calls a
// ratio above 3 imbalanced.
func ImbalanceRatio(counts []int) float64 {
	if len(counts) == 0 {
		return math.NaN()
	}
	lo, hi := counts[0], counts[0]
	for _, c := range counts[1:] {
		lo, hi = min(lo, c), max(hi, c)
	}
	if lo == 0 {
		if hi == 0 {
			return math.NaN()
		}
		return math.Inf(1)
	}
	return float64(hi) / float64(lo)
}
