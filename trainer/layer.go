package trainer

import (
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/mat"
)

// A LayerType names a kind of layer, as written in the "type" field of a
// LayerSpec.
type LayerType string

// The layer types. Activations are layers of their own, so that a
// model's pre-activations (an activation layer's input) and activations
// (its output) can be read from Model.Layers.
const (
	TypeDense     LayerType = "dense"     // y = x·Wᵀ + b
	TypeConv      LayerType = "conv"      // 2-D convolution
	TypeMaxPool   LayerType = "maxpool"   // max over k×k windows
	TypeFlatten   LayerType = "flatten"   // C×H×W to a vector of C·H·W
	TypeBatchNorm LayerType = "batchnorm" // batch normalisation
	TypeResidual  LayerType = "residual"  // y = f(x) + x, or + P·x
	TypeDropout   LayerType = "dropout"   // inverted dropout
	TypeSigmoid   LayerType = "sigmoid"   // 1/(1+e^−x)
	TypeTanh      LayerType = "tanh"      // tanh x
	TypeReLU      LayerType = "relu"      // max(0, x)
	TypeLeakyReLU LayerType = "leaky_relu"
	TypePReLU     LayerType = "prelu"   // leaky ReLU with a learned slope per channel
	TypeELU       LayerType = "elu"     // x, or α(eˣ−1) below 0
	TypeMaxout    LayerType = "maxout"  // max over groups of k channels
	TypeSoftmax   LayerType = "softmax" // e^xᵢ / Σ e^xⱼ over a sample
)

// layerTypes lists the types in the order the documentation gives them.
var layerTypes = []LayerType{TypeDense, TypeConv, TypeMaxPool, TypeFlatten, TypeBatchNorm, TypeResidual, TypeDropout,
	TypeSigmoid, TypeTanh, TypeReLU, TypeLeakyReLU, TypePReLU, TypeELU, TypeMaxout, TypeSoftmax}

// LayerTypes returns every layer type.
func LayerTypes() []LayerType { return append([]LayerType(nil), layerTypes...) }

// IsActivation reports whether t is an activation function: sigmoid,
// tanh, relu, leaky_relu, prelu, elu, maxout or softmax.
func (t LayerType) IsActivation() bool {
	switch t {
	case TypeSigmoid, TypeTanh, TypeReLU, TypeLeakyReLU, TypePReLU, TypeELU, TypeMaxout, TypeSoftmax:
		return true
	}
	return false
}

// A Layer is the public view of one layer of a Model: what it is, its
// parameters, and the matrices of the last forward pass.
type Layer struct {
	// Name is unique in the model: "dense1", "relu2", or, inside a
	// residual block, "res1/conv1". Unnamed layers are numbered per type
	// in order of appearance, from 1, within their block.
	Name string
	// Type is the layer's type.
	Type LayerType
	// Spec is the layer's description with every default filled in.
	Spec LayerSpec
	// In and Out are the shapes of one sample entering and leaving.
	In, Out Shape
	// Params are the trainable tensors, in a fixed order (weights before
	// bias; scale before shift).
	Params []*Param
	// Buffers are the tensors the layer keeps but does not train: batch
	// normalisation's running mean and variance.
	Buffers []*Param
	// Block is the name of the residual block holding the layer, "" at
	// the top level.
	Block string
	// Input and Output are the layer's input and output matrices of the
	// last call of Model.Forward, batch×In.Size() and batch×Out.Size().
	// For an activation layer, Input holds the pre-activations and Output
	// the activations. They are the model's working buffers: valid until
	// the next Forward, not to be modified. Nil before the first Forward.
	Input, Output *mat.Dense
	// Training reports the mode of the last Forward.
	Training bool
}

// impl is what every layer implements. forward returns the layer's
// output, a matrix the layer owns; backward takes dL/doutput, adds the
// parameter gradients and returns dL/dinput (a matrix the layer owns), or
// nil when the input gradient is not needed.
type impl interface {
	layer() *Layer
	forward(x *mat.Dense, train bool) *mat.Dense
	backward(dy *mat.Dense) *mat.Dense
	// setNeedDx says whether backward must compute dL/dinput: not for
	// the model's first layer, unless asked.
	setNeedDx(need bool)
}

// A buffer is a reusable matrix whose storage grows to the largest batch
// seen, so that steps allocate nothing once warm.
type buffer struct {
	data []float64
	m    mat.Dense
}

// resize returns the buffer as an r×c matrix, contents unspecified.
func (b *buffer) resize(r, c int) *mat.Dense {
	if n := r * c; cap(b.data) < n {
		b.data = make([]float64, n)
	} else {
		b.data = b.data[:n]
	}
	b.m.SetRawMatrix(blas64.General{Rows: r, Cols: c, Stride: c, Data: b.data})
	return &b.m
}

// ints is a reusable []int32 that grows to the largest batch seen.
type ints []int32

func (s *ints) resize(n int) []int32 {
	if cap(*s) < n {
		*s = make([]int32, n)
	}
	*s = (*s)[:n]
	return *s
}

// record stores a forward pass in the public view.
func record(l *Layer, x, y *mat.Dense, train bool) {
	l.Input, l.Output, l.Training = x, y, train
}
