package trainer

import (
	"github.com/tbgo/tbgo/summary"
)

// graphOps maps layer types to the TensorFlow op that draws them.
var graphOps = map[LayerType]string{
	TypeDense: "MatMul", TypeConv: "Conv2D", TypeMaxPool: "MaxPool", TypeFlatten: "Reshape",
	TypeBatchNorm: "FusedBatchNormV3", TypeResidual: "AddV2", TypeDropout: "Dropout",
	TypeSigmoid: "Sigmoid", TypeTanh: "Tanh", TypeReLU: "Relu", TypeLeakyReLU: "LeakyRelu",
	TypePReLU: "PRelu", TypeELU: "Elu", TypeMaxout: "Maxout", TypeSoftmax: "Softmax",
}

// Graph returns the model's graph for TensorBoard's Graphs dashboard
// (write it with summary.Writer.Graph): an "input" placeholder, then one
// namespace per layer holding its op and its parameters as variables, a
// residual block's namespace holding its layers and its "AddV2", every
// edge labelled with the batch's shape (-1 for the batch size). Layer
// names are valid node names by construction; the error is the
// GraphBuilder's, for completeness.
func (m *Model) Graph() (summary.Graph, error) {
	var b summary.GraphBuilder
	in := b.Input("input", dims(m.in)...)
	m.graphLayers(&b, m.top, in)
	return b.Graph()
}

// graphLayers adds ims, the first reading from in, and returns the node
// holding the last one's output.
func (m *Model) graphLayers(b *summary.GraphBuilder, ims []impl, in string) string {
	for _, im := range ims {
		l := im.layer()
		if r, ok := im.(*residual); ok {
			body := m.graphLayers(b, r.body, in)
			skip := in
			if r.proj != nil {
				skip = m.graphLayers(b, []impl{r.proj}, in)
			}
			in = b.Layer(summary.Layer{Name: l.Name, Op: "AddV2", In: []string{body, skip}, Out: dims(l.Out)})
			continue
		}
		gl := summary.Layer{Name: l.Name, Op: graphOps[l.Type], In: []string{in}, Out: dims(l.Out), Attrs: map[string]any{}}
		for _, p := range append(append([]*Param(nil), l.Params...), l.Buffers...) {
			// The builder sizes a bias by the output's last dimension,
			// which for an image is its width: only a dense layer's fits.
			if p.Kind == Bias && l.Type == TypeDense {
				gl.Bias = true
				continue
			}
			shape := make([]int64, len(p.Shape))
			for i, d := range p.Shape {
				shape[i] = int64(d)
			}
			gl.Weights = append(gl.Weights, summary.Weight{Name: p.Name[len(l.Name)+1:], Shape: shape})
		}
		s := l.Spec
		switch l.Type {
		case TypeConv:
			gl.Attrs["strides"] = []int{1, 1, s.Stride, s.Stride}
			gl.Attrs["padding"] = s.Padding
			gl.Attrs["kernel"] = s.Kernel
			gl.Attrs["data_format"] = "NCHW"
		case TypeMaxPool:
			gl.Attrs["ksize"] = []int{1, 1, s.Kernel, s.Kernel}
			gl.Attrs["strides"] = []int{1, 1, s.Stride, s.Stride}
		case TypeBatchNorm:
			gl.Attrs["momentum"] = s.Momentum
			gl.Attrs["epsilon"] = s.Epsilon
		case TypeDropout:
			gl.Attrs["rate"] = s.Rate
		case TypeLeakyReLU:
			gl.Attrs["alpha"] = s.Slope
		case TypeELU:
			gl.Attrs["alpha"] = s.Alpha
		case TypeMaxout:
			gl.Attrs["pieces"] = s.Pieces
		case TypeDense:
			gl.Attrs["units"] = s.Units
		}
		if s.Init.Kind != "" {
			gl.Attrs["init"] = s.Init.String()
		}
		if len(gl.Attrs) == 0 {
			gl.Attrs = nil
		}
		in = b.Layer(gl)
	}
	return in
}
