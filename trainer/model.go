package trainer

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"

	"gonum.org/v1/gonum/mat"
)

// A Model is a feed-forward network built from a Spec: a stack of layers,
// some of them residual blocks holding layers of their own.
//
// Batches are matrices with one sample per row. Forward returns the
// output of the last layer, Backward takes dLoss/doutput and adds every
// parameter's gradient to Param.Grad. The matrices a Model returns are its
// working buffers, reused by the next call: copy what must outlive it.
// Buffers grow to the largest batch seen, so that a training step
// allocates nothing once warm.
//
// A Model is not safe for concurrent use; build one per goroutine.
type Model struct {
	spec    Spec
	seed    uint64
	in, out Shape
	top     []impl   // the top-level layers
	layers  []*Layer // every layer, in forward order
	params  []*Param
	buffers []*Param
	byName  map[string]*Param
	drops   []*dropout
	xcopy   buffer // a contiguous copy of a strided input
	rows    int    // the batch size of the last Forward
}

// NewModel builds the model described by spec for samples of shape in,
// initialising its parameters from seed: the same seed and description
// give the same parameters, bit for bit. An unknown layer type, a field
// that does not apply, a bad value or an impossible shape gives a
// *SpecError naming the layer (impossible shapes wrap ErrShape).
func NewModel(in Shape, spec Spec, seed uint64) (*Model, error) {
	if !in.Valid() {
		return nil, &SpecError{Err: fmt.Errorf("%w: input shape %d×%d×%d: every dimension must be at least 1", ErrShape, in.C, in.H, in.W)}
	}
	if len(spec.Layers) == 0 {
		return nil, &SpecError{Err: errors.New("the model has no layers")}
	}
	b := &builder{seed: seed, rng: rand.New(rand.NewPCG(seed, 0x696e6974))}
	top, layers, out, err := b.build(spec.Layers, in, "", "")
	if err != nil {
		return nil, err
	}
	m := &Model{spec: spec, seed: seed, in: in, out: out, top: top, layers: layers, byName: map[string]*Param{}}
	for _, l := range layers {
		for _, p := range l.Params {
			m.params = append(m.params, p)
			m.byName[p.Name] = p
		}
		for _, p := range l.Buffers {
			m.buffers = append(m.buffers, p)
			m.byName[p.Name] = p
		}
	}
	var walk func([]impl)
	walk = func(ims []impl) {
		for _, im := range ims {
			switch im := im.(type) {
			case *dropout:
				m.drops = append(m.drops, im)
			case *residual:
				walk(im.body)
			}
		}
	}
	walk(top)
	m.setInputGrad(false)
	return m, nil
}

// setInputGrad says whether Backward computes dLoss/dinput: only the
// first layer's input gradient is optional.
func (m *Model) setInputGrad(need bool) {
	for i, im := range m.top {
		im.setNeedDx(i > 0 || need)
	}
}

// Spec returns the description the model was built from.
func (m *Model) Spec() Spec { return m.spec }

// Seed returns the seed the model was built with.
func (m *Model) Seed() uint64 { return m.seed }

// InShape returns the shape of one input sample.
func (m *Model) InShape() Shape { return m.in }

// OutShape returns the shape of one output sample.
func (m *Model) OutShape() Shape { return m.out }

// Layers returns every layer in the order Forward runs them, the layers
// of a residual block (and its projection) before the block itself. The
// slice and the Layers are the model's own: do not modify them.
func (m *Model) Layers() []*Layer { return m.layers }

// Layer returns the layer with the given name, or nil.
func (m *Model) Layer(name string) *Layer {
	for _, l := range m.layers {
		if l.Name == name {
			return l
		}
	}
	return nil
}

// Params returns the trainable parameters, in layer order. The slice is
// the model's own: do not modify it.
func (m *Model) Params() []*Param { return m.params }

// Buffers returns the tensors the model keeps but does not train: the
// running statistics of batch normalisation.
func (m *Model) Buffers() []*Param { return m.buffers }

// Param returns the parameter or buffer with the given name, such as
// "dense1/weights", or nil.
func (m *Model) Param(name string) *Param { return m.byName[name] }

// NumParams returns the number of trainable values.
func (m *Model) NumParams() int {
	n := 0
	for _, p := range m.params {
		n += p.Size()
	}
	return n
}

// Forward runs the model on the batch x, one sample per row, and returns
// the output, batch×OutShape().Size(). In training mode (train true)
// dropout draws masks and batch normalisation uses the batch's statistics
// and updates its running ones; in evaluation mode dropout is the
// identity and batch normalisation uses the running statistics. Layers
// records each layer's input and output.
//
// Forward panics with a *ShapeError if x does not have InShape().Size()
// columns. NaN and infinite values pass through without a panic.
func (m *Model) Forward(x *mat.Dense, train bool) *mat.Dense {
	r, c := x.Dims()
	if c != m.in.Size() || r == 0 {
		panic(&ShapeError{Op: "Forward", WantCols: m.in.Size(), GotRows: r, GotCols: c})
	}
	if x.RawMatrix().Stride != c {
		xc := m.xcopy.resize(r, c)
		xc.Copy(x)
		x = xc
	}
	m.rows = r
	for _, im := range m.top {
		x = im.forward(x, train)
	}
	return x
}

// Backward propagates dOut = dLoss/doutput, of the size of the last
// Forward's output, back through the model, adding each parameter's
// gradient to its Grad (call ZeroGrad first unless accumulating). It uses
// the matrices of the last Forward, which it must follow.
func (m *Model) Backward(dOut *mat.Dense) {
	m.backward(dOut)
}

// BackwardInput is Backward that also returns dLoss/dinput, batch×
// InShape().Size(), a matrix the model owns (saliency, gradient checks).
func (m *Model) BackwardInput(dOut *mat.Dense) *mat.Dense {
	m.setInputGrad(true)
	defer m.setInputGrad(false)
	return m.backward(dOut)
}

func (m *Model) backward(g *mat.Dense) *mat.Dense {
	r, c := g.Dims()
	if r != m.rows || c != m.out.Size() {
		panic(&ShapeError{Op: "Backward", WantRows: m.rows, WantCols: m.out.Size(), GotRows: r, GotCols: c})
	}
	if g.RawMatrix().Stride != c {
		g = mat.DenseCopyOf(g)
	}
	for i := len(m.top) - 1; i >= 0; i-- {
		g = m.top[i].backward(g)
	}
	return g
}

// ZeroGrad sets every gradient to zero.
func (m *Model) ZeroGrad() {
	for _, p := range m.params {
		clear(raw(p.Grad))
	}
}

// freezeMasks makes dropout keep its last mask (for gradient checks).
func (m *Model) freezeMasks(frozen bool) {
	for _, d := range m.drops {
		d.frozen = frozen
	}
}

// String returns a table of the layers: name, type, output shape and
// number of parameters, as printed before training.
func (m *Model) String() string {
	var b strings.Builder
	name := m.spec.Name
	if name == "" {
		name = "model"
	}
	fmt.Fprintf(&b, "%s: input %s, %d parameters\n", name, m.in, m.NumParams())
	fmt.Fprintf(&b, "  %-20s %-11s %-12s %s\n", "layer", "type", "output", "params")
	for _, l := range m.layers {
		n := 0
		for _, p := range l.Params {
			n += p.Size()
		}
		fmt.Fprintf(&b, "  %-20s %-11s %-12s %d\n", l.Name, l.Type, l.Out, n)
	}
	return b.String()
}
