package trainer

import (
	"strconv"

	"gonum.org/v1/gonum/mat"
)

// A ParamKind says what a parameter tensor is, which decides whether
// weight decay applies to it by default and how diagnostics read it.
type ParamKind int

const (
	// Weight is a dense layer's or convolution's weight matrix: decayed
	// by default.
	Weight ParamKind = iota
	// Bias is an additive bias vector.
	Bias
	// Scale is batch normalisation's γ.
	Scale
	// Shift is batch normalisation's β.
	Shift
	// Slope is PReLU's learned negative slope.
	Slope
	// RunningMean is batch normalisation's running mean, a buffer the
	// optimiser does not train (see Model.Buffers).
	RunningMean
	// RunningVar is batch normalisation's running variance, a buffer.
	RunningVar
)

var paramKindNames = [...]string{"weight", "bias", "scale", "shift", "slope", "running_mean", "running_var"}

// String returns the kind's name: "weight", "bias", "scale", "shift",
// "slope", "running_mean" or "running_var".
func (k ParamKind) String() string {
	if k < 0 || int(k) >= len(paramKindNames) {
		return "ParamKind(" + strconv.Itoa(int(k)) + ")"
	}
	return paramKindNames[k]
}

// A Param is one parameter tensor of a Model, with its gradient and the
// change the last optimiser step made to it.
//
// Value, Grad and Update are matrices of the same size, Rows×Cols of
// Shape flattened: a dense layer's weights are out×in (row j holds the
// weights into unit j, its "filter" over the input); a convolution's are
// filters×(C·kh·kw), row f holding filter f in CHW order; vectors (bias,
// scale, shift, slope, running statistics) are 1×n. The matrices are
// owned by the Model: read them, copy them, but keep no reference across
// steps if you need the values to stay put.
type Param struct {
	// Name is unique in the model and stable across runs of the same
	// description: "<layer>/<tensor>", such as "dense1/weights",
	// "conv1/bias", "bn1/scale", "res1/dense2/weights". It is meant as a
	// TensorBoard tag suffix.
	Name string
	// Layer is the name of the layer that owns the parameter.
	Layer string
	// Kind says what the tensor is.
	Kind ParamKind
	// Shape is the tensor's logical shape: [out, in] for dense weights,
	// [filters, C, kh, kw] for convolution weights, [n] for vectors.
	Shape []int
	// FanIn and FanOut are the numbers of inputs feeding one output unit
	// and of outputs fed by one input unit, as initialisers use them:
	// in and out for dense weights; C·kh·kw and filters·kh·kw for
	// convolution weights. They are 0 for vectors.
	FanIn, FanOut int
	// Value holds the parameter.
	Value *mat.Dense
	// Grad holds dLoss/dValue. Backward adds to it; ZeroGrad clears it.
	// Nil for buffers.
	Grad *mat.Dense
	// Update holds the change the last optimiser step applied,
	// Value_after − Value_before, so that the update/weight ratio
	// ‖Update‖/‖Value − Update‖ costs no copy. Zero before the first
	// step; nil for buffers.
	Update *mat.Dense
	// Decay says whether weight decay applies. It is true for weights
	// and false for every other kind, and may be changed before training.
	Decay bool
	// Init is how Value was initialised.
	Init Init
}

// Size returns the number of values in the tensor.
func (p *Param) Size() int {
	r, c := p.Value.Dims()
	return r * c
}

// Trainable reports whether the optimiser trains p: false for the
// running statistics of batch normalisation.
func (p *Param) Trainable() bool { return p.Grad != nil }

// newParam allocates a parameter of rows×cols values. Buffers (running
// statistics) have no Grad and no Update.
func newParam(layer, tensor string, kind ParamKind, rows, cols int, shape []int) *Param {
	p := &Param{
		Name:  layer + "/" + tensor,
		Layer: layer,
		Kind:  kind,
		Shape: shape,
		Value: mat.NewDense(rows, cols, nil),
		Decay: kind == Weight,
	}
	if kind != RunningMean && kind != RunningVar {
		p.Grad = mat.NewDense(rows, cols, nil)
		p.Update = mat.NewDense(rows, cols, nil)
	}
	return p
}

// raw returns the backing slice of a contiguous matrix.
func raw(m *mat.Dense) []float64 { return m.RawMatrix().Data }
