package summary

import (
	"errors"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/tbgo/tbgo/proto/tbpb"
)

// shapesAttr is the expected OutputShapesAttr value for shapes.
func shapesAttr(shapes ...[]int64) *tbpb.AttrValue {
	l := &tbpb.AttrValue_ListValue{}
	for _, s := range shapes {
		l.Shape = append(l.Shape, shape(s...))
	}
	return &tbpb.AttrValue{Value: &tbpb.AttrValue_List{List: l}}
}

func graphDefOf(nodes ...*tbpb.NodeDef) *tbpb.GraphDef {
	return &tbpb.GraphDef{Node: nodes, Versions: &tbpb.VersionDef{Producer: 22}}
}

func TestGraphDef(t *testing.T) {
	tests := []struct {
		desc  string
		graph Graph
		want  *tbpb.GraphDef
	}{
		{
			desc:  "one node",
			graph: Graph{Nodes: []Node{{Name: "x", Op: "Placeholder"}}},
			want:  graphDefOf(&tbpb.NodeDef{Name: "x", Op: "Placeholder"}),
		},
		{
			desc: "inputs, outputs, control dependencies, namespaces, device",
			graph: Graph{Nodes: []Node{
				{Name: "x", Op: "Placeholder"},
				{Name: "split", Op: "Split"},
				{Name: "layer1/add", Op: "Add", Inputs: []string{"x", "split:1", "^split"}, Device: "/device:GPU:0"},
			}},
			want: graphDefOf(
				&tbpb.NodeDef{Name: "x", Op: "Placeholder"},
				&tbpb.NodeDef{Name: "split", Op: "Split"},
				&tbpb.NodeDef{Name: "layer1/add", Op: "Add", Input: []string{"x", "split:1", "^split"}, Device: "/device:GPU:0"},
			),
		},
		{
			desc: "output shapes: unknown dimensions, a scalar, two outputs",
			graph: Graph{Nodes: []Node{
				{Name: "x", Op: "Placeholder", Shapes: [][]int64{{-1, 784}}},
				{Name: "s", Op: "Split", Shapes: [][]int64{{}, {2, 3}}},
			}},
			want: graphDefOf(
				&tbpb.NodeDef{Name: "x", Op: "Placeholder", Attr: map[string]*tbpb.AttrValue{"_output_shapes": shapesAttr([]int64{-1, 784})}},
				&tbpb.NodeDef{Name: "s", Op: "Split", Attr: map[string]*tbpb.AttrValue{"_output_shapes": shapesAttr([]int64{}, []int64{2, 3})}},
			),
		},
		{
			desc: "every attribute type",
			graph: Graph{Nodes: []Node{{Name: "n", Op: "Op", Attrs: map[string]any{
				"str": "SAME", "bytes": []byte{0xff}, "bool": true,
				"int": 3, "int32": int32(-4), "int64": int64(1 << 40),
				"f32": float32(0.5), "f64": 0.25, "dtype": tbpb.DataType_DT_INT64,
				"strs": []string{"a", "b"}, "bools": []bool{false, true},
				"ints": []int{1, 2}, "int32s": []int32{3}, "int64s": []int64{1, 2, 2, 1},
				"f32s": []float32{1.5}, "f64s": []float64{-2}, "dtypes": []tbpb.DataType{tbpb.DataType_DT_FLOAT},
				"shape":  shape(-1, 3),
				"tensor": &tbpb.TensorProto{Dtype: tbpb.DataType_DT_FLOAT, FloatVal: []float32{1}},
				"raw":    &tbpb.AttrValue{Value: &tbpb.AttrValue_Placeholder{Placeholder: "T"}},
			}}}},
			want: graphDefOf(&tbpb.NodeDef{Name: "n", Op: "Op", Attr: map[string]*tbpb.AttrValue{
				"str":    {Value: &tbpb.AttrValue_S{S: []byte("SAME")}},
				"bytes":  {Value: &tbpb.AttrValue_S{S: []byte{0xff}}},
				"bool":   {Value: &tbpb.AttrValue_B{B: true}},
				"int":    {Value: &tbpb.AttrValue_I{I: 3}},
				"int32":  {Value: &tbpb.AttrValue_I{I: -4}},
				"int64":  {Value: &tbpb.AttrValue_I{I: 1 << 40}},
				"f32":    {Value: &tbpb.AttrValue_F{F: 0.5}},
				"f64":    {Value: &tbpb.AttrValue_F{F: 0.25}},
				"dtype":  {Value: &tbpb.AttrValue_Type{Type: tbpb.DataType_DT_INT64}},
				"strs":   {Value: &tbpb.AttrValue_List{List: &tbpb.AttrValue_ListValue{S: [][]byte{[]byte("a"), []byte("b")}}}},
				"bools":  {Value: &tbpb.AttrValue_List{List: &tbpb.AttrValue_ListValue{B: []bool{false, true}}}},
				"ints":   {Value: &tbpb.AttrValue_List{List: &tbpb.AttrValue_ListValue{I: []int64{1, 2}}}},
				"int32s": {Value: &tbpb.AttrValue_List{List: &tbpb.AttrValue_ListValue{I: []int64{3}}}},
				"int64s": {Value: &tbpb.AttrValue_List{List: &tbpb.AttrValue_ListValue{I: []int64{1, 2, 2, 1}}}},
				"f32s":   {Value: &tbpb.AttrValue_List{List: &tbpb.AttrValue_ListValue{F: []float32{1.5}}}},
				"f64s":   {Value: &tbpb.AttrValue_List{List: &tbpb.AttrValue_ListValue{F: []float32{-2}}}},
				"dtypes": {Value: &tbpb.AttrValue_List{List: &tbpb.AttrValue_ListValue{Type: []tbpb.DataType{tbpb.DataType_DT_FLOAT}}}},
				"shape":  {Value: &tbpb.AttrValue_Shape{Shape: shape(-1, 3)}},
				"tensor": {Value: &tbpb.AttrValue_Tensor{Tensor: &tbpb.TensorProto{Dtype: tbpb.DataType_DT_FLOAT, FloatVal: []float32{1}}}},
				"raw":    {Value: &tbpb.AttrValue_Placeholder{Placeholder: "T"}},
			}}),
		},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			got, err := GraphDef(tt.graph)
			if err != nil {
				t.Fatal(err)
			}
			if !proto.Equal(got, tt.want) {
				t.Errorf("GraphDef =\n%v\nwant\n%v", got, tt.want)
			}
		})
	}
}

func TestGraphDefErrors(t *testing.T) {
	x := Node{Name: "x", Op: "Placeholder"}
	tests := []struct {
		desc  string
		nodes []Node
		want  string // in the error
	}{
		{"no nodes", nil, "no nodes"},
		{"empty name", []Node{{Op: "Const"}}, "empty name"},
		{"space in name", []Node{{Name: "my layer", Op: "Const"}}, "not allowed"},
		{"leading slash", []Node{{Name: "/a", Op: "Const"}}, "not allowed"},
		{"leading underscore", []Node{{Name: "_a", Op: "Const"}}, "not allowed"},
		{"colon in name", []Node{{Name: "a:0", Op: "Const"}}, "not allowed"},
		{"non-ASCII name", []Node{{Name: "é", Op: "Const"}}, "not allowed"},
		{"empty namespace", []Node{{Name: "a//b", Op: "Const"}}, "empty namespace"},
		{"trailing slash", []Node{{Name: "a/", Op: "Const"}}, "empty namespace"},
		{"duplicate name", []Node{x, {Name: "y", Op: "Relu"}, x}, `node 2: name "x" is used by an earlier node`},
		{"empty op", []Node{{Name: "x"}}, `"x": empty op`},
		{"dangling edge", []Node{x, {Name: "y", Op: "Relu", Inputs: []string{"z"}}}, `input "z" names no node`},
		{"dangling output", []Node{x, {Name: "y", Op: "Relu", Inputs: []string{"z:1"}}}, `input "z:1" names no node`},
		{"dangling control edge", []Node{x, {Name: "y", Op: "Relu", Inputs: []string{"^z"}}}, `input "^z" names no node`},
		{"empty input", []Node{x, {Name: "y", Op: "Relu", Inputs: []string{""}}}, "empty name"},
		{"empty output index", []Node{x, {Name: "y", Op: "Relu", Inputs: []string{"x:"}}}, "is not a number"},
		{"negative output index", []Node{x, {Name: "y", Op: "Relu", Inputs: []string{"x:-1"}}}, "is not a number"},
		{"huge output index", []Node{x, {Name: "y", Op: "Relu", Inputs: []string{"x:99999999999"}}}, "out of range"},
		{"control input with an output", []Node{x, {Name: "y", Op: "Relu", Inputs: []string{"^x:0"}}}, "a control input names a node"},
		{"double caret", []Node{x, {Name: "y", Op: "Relu", Inputs: []string{"^^x"}}}, "not allowed"},
		{"data input after control input", []Node{x, {Name: "y", Op: "Relu", Inputs: []string{"^x", "x"}}}, "after a control input"},
		{"dimension below -1", []Node{{Name: "x", Op: "Placeholder", Shapes: [][]int64{{-2}}}}, "dimension -2"},
		{"unsupported attribute", []Node{{Name: "x", Op: "Const", Attrs: map[string]any{"v": struct{}{}}}}, "unsupported type struct {}"},
		{"nil attribute", []Node{{Name: "x", Op: "Const", Attrs: map[string]any{"v": nil}}}, "unsupported type <nil>"},
		{"nil AttrValue", []Node{{Name: "x", Op: "Const", Attrs: map[string]any{"v": (*tbpb.AttrValue)(nil)}}}, "nil"},
		{"empty attribute name", []Node{{Name: "x", Op: "Const", Attrs: map[string]any{"": 1}}}, "attribute name"},
		{"float overflow", []Node{{Name: "x", Op: "Const", Attrs: map[string]any{"v": []float64{1e300}}}}, "overflows float32"},
		{"shapes twice", []Node{{Name: "x", Op: "Const", Shapes: [][]int64{{1}}, Attrs: map[string]any{"_output_shapes": 1}}}, "also set by Shapes"},
		{"invalid UTF-8 op", []Node{{Name: "x", Op: "\xff"}}, "not valid UTF-8"},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			_, err := GraphDef(Graph{Nodes: tt.nodes})
			if err == nil {
				t.Fatal("no error")
			}
			if !strings.HasPrefix(err.Error(), "summary: ") || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q, want one containing %q", err, tt.want)
			}
		})
	}
}

func TestWriterGraph(t *testing.T) {
	w, dir := newTestWriter(t)
	first := Graph{Nodes: []Node{{Name: "old", Op: "Const"}}}
	second := Graph{Nodes: []Node{
		{Name: "x", Op: "Placeholder", Shapes: [][]int64{{-1, 2}}},
		{Name: "y", Op: "Relu", Inputs: []string{"x"}, Shapes: [][]int64{{-1, 2}}},
	}}
	if err := w.Graph(first); err != nil {
		t.Fatal(err)
	}
	if err := w.Graph(Graph{Nodes: []Node{{Name: "y", Op: "Relu", Inputs: []string{"x"}}}}); err == nil {
		t.Error("graph with a dangling edge written")
	}
	if err := w.Graph(second); err != nil {
		t.Fatal(err)
	}
	if err := w.Scalar(RunGraphTag, 1, 1); !errors.Is(err, ErrTagKind) {
		t.Errorf("scalar tagged %q: error %v, want ErrTagKind", RunGraphTag, err)
	}
	closeChecked(t, w)
	events := readEvents(t, dir)
	if len(events) != 3 {
		t.Fatalf("%d events, want 3: the file version and two graphs", len(events))
	}
	for i, g := range []Graph{first, second} {
		ev := events[i+1]
		want, err := GraphDef(g)
		if err != nil {
			t.Fatal(err)
		}
		got := new(tbpb.GraphDef)
		if err := proto.Unmarshal(ev.GetGraphDef(), got); err != nil {
			t.Fatalf("graph %d: %v", i, err)
		}
		if !proto.Equal(got, want) {
			t.Errorf("graph %d =\n%v\nwant\n%v", i, got, want)
		}
		if ev.Step != int64(i) || ev.WallTime != 1700000000.25 {
			t.Errorf("graph %d at step %d, wall time %v; want %d, 1700000000.25", i, ev.Step, ev.WallTime, i)
		}
	}
}

func TestGraphBuilder(t *testing.T) {
	f32 := tbpb.DataType_DT_FLOAT
	variable := func(name string, dims ...int64) Node {
		return Node{Name: name, Op: "VariableV2", Shapes: [][]int64{dims}, Attrs: map[string]any{"dtype": f32, "shape": shape(dims...)}}
	}
	var b GraphBuilder
	in := b.Input("input", -1, 4)
	h := b.Layer(Layer{Name: "dense1", Op: "MatMul", Weights: []Weight{{"kernel", []int64{4, 3}}}, Bias: true, Activation: "Relu", Out: []int64{-1, 3}})
	bn := b.Layer(Layer{Name: "block/bn", Op: "FusedBatchNormV3", Weights: []Weight{{"gamma", []int64{3}}, {"beta", []int64{3}}}, Out: []int64{-1, 3}, Attrs: map[string]any{"epsilon": float32(1e-3)}})
	sum := b.Layer(Layer{Name: "block/add", Op: "AddV2", In: []string{h, bn}})
	out := b.Layer(Layer{Name: "logits", Op: "MatMul", In: []string{sum}, Weights: []Weight{{"kernel", []int64{3, 2}}}, Activation: "Softmax", Out: []int64{-1, 2}})
	g, err := b.Graph()
	if err != nil {
		t.Fatal(err)
	}
	if in != "input" || h != "dense1/Relu" || bn != "block/bn/FusedBatchNormV3" || sum != "block/add/AddV2" || out != "logits/Softmax" {
		t.Errorf("results %q %q %q %q %q", in, h, bn, sum, out)
	}
	want := Graph{Nodes: []Node{
		{Name: "input", Op: "Placeholder", Shapes: [][]int64{{-1, 4}}, Attrs: map[string]any{"dtype": f32, "shape": shape(-1, 4)}},
		variable("dense1/kernel", 4, 3),
		{Name: "dense1/MatMul", Op: "MatMul", Inputs: []string{"input", "dense1/kernel"}, Shapes: [][]int64{{-1, 3}}},
		variable("dense1/bias", 3),
		{Name: "dense1/BiasAdd", Op: "BiasAdd", Inputs: []string{"dense1/MatMul", "dense1/bias"}, Shapes: [][]int64{{-1, 3}}},
		{Name: "dense1/Relu", Op: "Relu", Inputs: []string{"dense1/BiasAdd"}, Shapes: [][]int64{{-1, 3}}},
		variable("block/bn/gamma", 3),
		variable("block/bn/beta", 3),
		{Name: "block/bn/FusedBatchNormV3", Op: "FusedBatchNormV3", Inputs: []string{"dense1/Relu", "block/bn/gamma", "block/bn/beta"},
			Shapes: [][]int64{{-1, 3}}, Attrs: map[string]any{"epsilon": float32(1e-3)}},
		{Name: "block/add/AddV2", Op: "AddV2", Inputs: []string{"dense1/Relu", "block/bn/FusedBatchNormV3"}},
		variable("logits/kernel", 3, 2),
		{Name: "logits/MatMul", Op: "MatMul", Inputs: []string{"block/add/AddV2", "logits/kernel"}, Shapes: [][]int64{{-1, 2}}},
		{Name: "logits/Softmax", Op: "Softmax", Inputs: []string{"logits/MatMul"}, Shapes: [][]int64{{-1, 2}}},
	}}
	// Compare through GraphDef, which also proves the graph is valid.
	got, err := GraphDef(g)
	if err != nil {
		t.Fatal(err)
	}
	wantDef, err := GraphDef(want)
	if err != nil {
		t.Fatal(err)
	}
	if !proto.Equal(got, wantDef) {
		t.Errorf("built\n%v\nwant\n%v", got, wantDef)
	}
}

func TestGraphBuilderErrors(t *testing.T) {
	tests := []struct {
		desc  string
		build func(b *GraphBuilder)
		want  string
	}{
		{"layer before any input", func(b *GraphBuilder) { b.Layer(Layer{Name: "l", Op: "Relu"}) }, "no input"},
		{"empty layer name", func(b *GraphBuilder) { b.Input("x"); b.Layer(Layer{Op: "Relu"}) }, "empty name"},
		{"empty layer op", func(b *GraphBuilder) { b.Input("x"); b.Layer(Layer{Name: "l"}) }, "empty op"},
		{"bias without shape", func(b *GraphBuilder) { b.Input("x"); b.Layer(Layer{Name: "l", Op: "MatMul", Bias: true}) }, "Bias needs Out"},
		{"bias of unknown size", func(b *GraphBuilder) {
			b.Input("x")
			b.Layer(Layer{Name: "l", Op: "MatMul", Bias: true, Out: []int64{2, -1}})
		}, "Bias needs Out"},
		{"first error kept", func(b *GraphBuilder) {
			b.Layer(Layer{Name: "first", Op: "Relu"})
			b.Input("x")
			b.Layer(Layer{Op: "Relu"})
		}, `"first": no input`},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			var b GraphBuilder
			tt.build(&b)
			_, err := b.Graph()
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want one containing %q", err, tt.want)
			}
		})
	}
	// A layer that repeats a node's name is caught when the graph is
	// converted.
	var b GraphBuilder
	b.Input("x")
	b.Layer(Layer{Name: "l", Op: "Relu"})
	b.Layer(Layer{Name: "l", Op: "Relu"})
	g, err := b.Graph()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := GraphDef(g); err == nil || !strings.Contains(err.Error(), `"l/Relu" is used by an earlier node`) {
		t.Errorf("GraphDef error %v, want a repeated name", err)
	}
}
