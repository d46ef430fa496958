package trainer

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/tbgo/tbgo/summary"
)

func TestParamNames(t *testing.T) {
	t.Parallel()
	spec := Spec{Layers: []LayerSpec{
		{Type: TypeConv, Filters: 4, Kernel: 3, Padding: 1},
		{Type: TypeBatchNorm},
		{Type: TypePReLU},
		{Type: TypeResidual, Layers: []LayerSpec{{Type: TypeConv, Filters: 6, Kernel: 3, Stride: 2, Padding: 1}, {Type: TypeReLU}}},
		{Type: TypeFlatten},
		{Type: TypeDense, Units: 10, Name: "logits"},
	}}
	m, err := NewModel(Shape{C: 1, H: 8, W: 8}, spec, 1)
	if err != nil {
		t.Fatal(err)
	}
	type row struct {
		name          string
		kind          ParamKind
		shape         string
		fanIn, fanOut int
		decay         bool
	}
	want := []row{
		{"conv1/weights", Weight, "[4 1 3 3]", 9, 36, true},
		{"conv1/bias", Bias, "[4]", 0, 0, false},
		{"bn1/scale", Scale, "[4]", 0, 0, false},
		{"bn1/shift", Shift, "[4]", 0, 0, false},
		{"prelu1/slope", Slope, "[4]", 0, 0, false},
		{"res1/conv1/weights", Weight, "[6 4 3 3]", 36, 54, true},
		{"res1/conv1/bias", Bias, "[6]", 0, 0, false},
		{"res1/proj/weights", Weight, "[6 4 1 1]", 4, 6, true},
		{"logits/weights", Weight, "[10 96]", 96, 10, true},
		{"logits/bias", Bias, "[10]", 0, 0, false},
	}
	ps := m.Params()
	if len(ps) != len(want) {
		t.Fatalf("%d params, want %d", len(ps), len(want))
	}
	for i, p := range ps {
		got := row{p.Name, p.Kind, fmt.Sprint(p.Shape), p.FanIn, p.FanOut, p.Decay}
		if got != want[i] {
			t.Errorf("param %d: %+v, want %+v", i, got, want[i])
		}
		r, c := p.Value.Dims()
		if r*c != prod(p.Shape) || p.Grad == nil || p.Update == nil {
			t.Errorf("%s: %d×%d value for shape %v", p.Name, r, c, p.Shape)
		}
		if m.Param(p.Name) != p {
			t.Errorf("Param(%q) is not the parameter", p.Name)
		}
	}
	var bufs []string
	for _, b := range m.Buffers() {
		bufs = append(bufs, b.Name+":"+b.Kind.String())
		if b.Trainable() {
			t.Errorf("%s is trainable", b.Name)
		}
	}
	if got := strings.Join(bufs, " "); got != "bn1/running_mean:running_mean bn1/running_var:running_var" {
		t.Errorf("buffers %s", got)
	}
	if got := m.NumParams(); got != 36+4+4+4+4+216+6+24+960+10 {
		t.Errorf("NumParams = %d", got)
	}
}

func prod(s []int) int {
	p := 1
	for _, v := range s {
		p *= v
	}
	return p
}

// Layers records, for each layer, the input and output of the last
// forward pass: an activation's input is the previous layer's output.
func TestLayersTrace(t *testing.T) {
	t.Parallel()
	m, err := NewModel(Vector(3), MLP("", []int{4}, TypeReLU, Init{Kind: InitHeNormal}, 2), 1)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range m.Layers() {
		if l.Input != nil || l.Output != nil {
			t.Fatalf("%s: matrices before Forward", l.Name)
		}
	}
	x := randMatrix(testRand(1), 5, 3, 0.1, 1)
	out := m.Forward(x, true)
	ls := m.Layers()
	if len(ls) != 3 || ls[0].Type != TypeDense || ls[1].Type != TypeReLU || !ls[1].Type.IsActivation() || ls[0].Type.IsActivation() {
		t.Fatalf("layers %v", ls)
	}
	if ls[0].Input != x || ls[1].Input != ls[0].Output || ls[2].Input != ls[1].Output || ls[2].Output != out {
		t.Error("layer inputs and outputs are not chained")
	}
	if !ls[1].Training {
		t.Error("Training not recorded")
	}
	for i, v := range raw(ls[1].Output) {
		if want := max(raw(ls[1].Input)[i], 0); v != want {
			t.Fatalf("relu output %v for pre-activation %v", v, raw(ls[1].Input)[i])
		}
	}
	if r, c := ls[1].Output.Dims(); r != 5 || c != 4 {
		t.Errorf("relu output %d×%d", r, c)
	}
}

func TestForwardShapePanics(t *testing.T) {
	t.Parallel()
	m, err := NewModel(Vector(3), MLP("", nil, "", Init{}, 2), 1)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		e, ok := recover().(error)
		var se *ShapeError
		if !ok || !errors.As(e, &se) || se.Error() != "trainer: Forward: matrix is 2×4, want 3 columns" {
			t.Errorf("panic %v, want a *ShapeError", e)
		}
	}()
	m.Forward(mat.NewDense(2, 4, nil), false)
}

// A strided view of a larger matrix gives the same outputs as a copy.
func TestForwardStridedInput(t *testing.T) {
	t.Parallel()
	m, err := NewModel(Vector(3), MLP("", []int{4}, TypeTanh, Init{}, 2), 1)
	if err != nil {
		t.Fatal(err)
	}
	big := randMatrix(testRand(2), 6, 5, 0.1, 1)
	view := big.Slice(1, 5, 1, 4).(*mat.Dense)
	got := mat.DenseCopyOf(m.Forward(view, false))
	want := m.Forward(mat.DenseCopyOf(view), false)
	if !mat.Equal(got, want) {
		t.Errorf("strided input: %v, want %v", mat.Formatted(got), mat.Formatted(want))
	}
}

// NaN and infinite inputs go through every layer and the loss without a
// panic and come out as NaN or infinite values.
func TestNonFinitePropagates(t *testing.T) {
	t.Parallel()
	spec := Spec{Layers: []LayerSpec{
		{Type: TypeConv, Filters: 2, Kernel: 3, Padding: 1}, {Type: TypeBatchNorm}, {Type: TypeReLU}, {Type: TypeMaxPool},
		{Type: TypeFlatten}, {Type: TypeDense, Units: 4}, {Type: TypeSigmoid}, {Type: TypeMaxout}, {Type: TypeTanh},
		{Type: TypeELU}, {Type: TypeLeakyReLU}, {Type: TypePReLU}, {Type: TypeDropout}, {Type: TypeDense, Units: 3}, {Type: TypeSoftmax},
	}}
	m, err := NewModel(Shape{C: 1, H: 4, W: 4}, spec, 1)
	if err != nil {
		t.Fatal(err)
	}
	x := randMatrix(testRand(3), 2, 16, 0.1, 1)
	x.Set(0, 5, math.NaN())
	x.Set(1, 7, math.Inf(1))
	out := m.Forward(x, true)
	for i := range 2 {
		if finite(out.At(i, 0)) {
			t.Errorf("row %d: output %v is finite", i, out.RawRowView(i))
		}
	}
	g := mat.NewDense(2, 3, nil)
	loss := SoftmaxCrossEntropy{}.Loss(g, out, Targets{Labels: []int{0, 1}})
	if finite(loss) {
		t.Errorf("loss %v is finite", loss)
	}
	m.Backward(g)
}

func TestModelString(t *testing.T) {
	t.Parallel()
	spec, err := PresetSpec("mlp", 10)
	if err != nil {
		t.Fatal(err)
	}
	m, err := NewModel(Vector(64), spec, 1)
	if err != nil {
		t.Fatal(err)
	}
	const want = `mlp: input 64, 19210 parameters
  layer                type        output       params
  dense1               dense       256          16640
  relu1                relu        256          0
  dropout1             dropout     256          0
  dense2               dense       10           2570
`
	if got := m.String(); got != want {
		t.Errorf("String\n%s\nwant\n%s", got, want)
	}
}

func TestGraph(t *testing.T) {
	t.Parallel()
	spec := Spec{Layers: []LayerSpec{
		{Type: TypeConv, Filters: 4, Kernel: 3, Padding: 1},
		{Type: TypeBatchNorm},
		{Type: TypeResidual, Layers: []LayerSpec{{Type: TypeConv, Filters: 8, Kernel: 3, Stride: 2, Padding: 1}, {Type: TypeReLU}}},
		{Type: TypeFlatten},
		{Type: TypeDense, Units: 10},
	}}
	m, err := NewModel(Shape{C: 1, H: 8, W: 8}, spec, 1)
	if err != nil {
		t.Fatal(err)
	}
	g, err := m.Graph()
	if err != nil {
		t.Fatal(err)
	}
	gd, err := summary.GraphDef(g)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, n := range gd.Node {
		got = append(got, n.Name+"("+strings.Join(n.Input, ",")+")")
	}
	want := []string{
		"input()",
		"conv1/weights()", "conv1/bias()", "conv1/Conv2D(input,conv1/weights,conv1/bias)",
		"bn1/scale()", "bn1/shift()", "bn1/running_mean()", "bn1/running_var()",
		"bn1/FusedBatchNormV3(conv1/Conv2D,bn1/scale,bn1/shift,bn1/running_mean,bn1/running_var)",
		"res1/conv1/weights()", "res1/conv1/bias()", "res1/conv1/Conv2D(bn1/FusedBatchNormV3,res1/conv1/weights,res1/conv1/bias)",
		"res1/relu1/Relu(res1/conv1/Conv2D)",
		"res1/proj/weights()", "res1/proj/Conv2D(bn1/FusedBatchNormV3,res1/proj/weights)",
		"res1/AddV2(res1/relu1/Relu,res1/proj/Conv2D)",
		"flatten1/Reshape(res1/AddV2)",
		"dense1/weights()", "dense1/MatMul(flatten1/Reshape,dense1/weights)", "dense1/bias()", "dense1/BiasAdd(dense1/MatMul,dense1/bias)",
	}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("graph nodes\n got %v\nwant %v", got, want)
	}
	shape := func(name string) string {
		for _, n := range gd.Node {
			if n.Name == name {
				var dims []int64
				for _, d := range n.Attr[summary.OutputShapesAttr].GetList().GetShape()[0].GetDim() {
					dims = append(dims, d.Size)
				}
				return fmt.Sprint(dims)
			}
		}
		return "missing"
	}
	for name, want := range map[string]string{"input": "[-1 1 8 8]", "res1/AddV2": "[-1 8 4 4]", "dense1/BiasAdd": "[-1 10]", "dense1/bias": "[10]"} {
		if got := shape(name); got != want {
			t.Errorf("%s shape %s, want %s", name, got, want)
		}
	}
}
