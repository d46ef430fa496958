package trainer

import (
	"errors"
	"fmt"
	"strconv"

	"github.com/tbgo/tbgo/trainer/data"
)

// A Shape is the shape of one sample: C channels of H×W values, stored
// channel-major (CHW) in one row of a batch matrix, so that the value of
// channel c at row i, column j of sample n is x.At(n, c*H*W + i*W + j).
//
// A vector of n features is the Shape {n, 1, 1}: every feature is a
// channel of one pixel, so the per-channel layers (batch normalisation,
// PReLU, maxout) work per feature on vectors and per channel on images.
// It is the Shape of package trainer/data, so a dataset's shape is a
// model's input shape.
type Shape = data.Shape

// Vector returns the Shape of a vector of n features, {n, 1, 1}.
func Vector(n int) Shape { return data.Vector(n) }

// dims returns the TensorFlow-style output shape of a batch of s, with -1
// for the batch.
func dims(s Shape) []int64 {
	if s.IsVector() {
		return []int64{-1, int64(s.C)}
	}
	return []int64{-1, int64(s.C), int64(s.H), int64(s.W)}
}

// A SpecError is a model description that cannot be built: an unknown
// layer type, a field that does not apply to a layer, a bad value, or an
// impossible shape.
type SpecError struct {
	// Path locates the layer in the description, such as "layers[3]" or
	// "layers[2].layers[0]".
	Path string
	// Layer is the layer's name, such as "conv2"; empty when the problem
	// is found before the layer is named.
	Layer string
	// Line is the line of the layer in a YAML description, 0 if unknown.
	Line int
	// Err describes the problem.
	Err error
}

// Error returns "trainer: line L: path (layer): problem", omitting what
// is unknown.
func (e *SpecError) Error() string {
	where := e.Path
	if e.Layer != "" {
		where += " (" + e.Layer + ")"
	}
	if e.Line > 0 {
		where = "line " + strconv.Itoa(e.Line) + ": " + where
	}
	if where == "" {
		return "trainer: " + e.Err.Error()
	}
	return "trainer: " + where + ": " + e.Err.Error()
}

// Unwrap returns Err.
func (e *SpecError) Unwrap() error { return e.Err }

// ErrShape is wrapped by the errors that report an impossible shape: a
// kernel larger than its padded input, a maxout whose units do not divide
// into its pieces, a residual block whose branch cannot be projected onto
// its input. Test for it with errors.Is.
var ErrShape = errors.New("impossible shape")

// A ShapeError is the panic value of a Model method given a matrix of the
// wrong size, which is a programmer error, as in gonum's mat package.
type ShapeError struct {
	// Op is the method, such as "Forward".
	Op string
	// Want and Got are the expected and actual sizes, rows×columns; a
	// zero Want dimension means any.
	WantRows, WantCols, GotRows, GotCols int
}

// Error describes the mismatch.
func (e *ShapeError) Error() string {
	want := strconv.Itoa(e.WantCols) + " columns"
	if e.WantRows > 0 {
		want = fmt.Sprintf("%d×%d", e.WantRows, e.WantCols)
	}
	return fmt.Sprintf("trainer: %s: matrix is %d×%d, want %s", e.Op, e.GotRows, e.GotCols, want)
}

// A ValueError reports a value this package refuses: an unknown
// optimiser, schedule or preset name, a hyper-parameter outside its
// range, labels or targets that do not fit a loss. Reason says what is
// wrong without the package name, so that a caller that places the error
// itself (a configuration key, a flag) can show it under its own.
type ValueError struct{ Reason string }

// Error returns "trainer: " + Reason.
func (e *ValueError) Error() string { return "trainer: " + e.Reason }

// valueErrorf returns a *ValueError.
func valueErrorf(format string, args ...any) error {
	return &ValueError{Reason: fmt.Sprintf(format, args...)}
}
