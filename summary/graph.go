package summary

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"google.golang.org/protobuf/proto"

	"github.com/tbgo/tbgo/proto/tbpb"
)

// GraphProducer is the producer version recorded in every GraphDef this
// package builds, the one tensorboardX records for the graphs it converts.
const GraphProducer = 22

// OutputShapesAttr is the node attribute holding a node's output shapes,
// which TensorBoard's Graphs dashboard writes on the edges.
const OutputShapesAttr = "_output_shapes"

// A Graph is a model graph for TensorBoard's Graphs dashboard: a list of
// nodes, each naming the nodes it reads from. Build one by hand or with a
// GraphBuilder, and write it with Writer.Graph.
type Graph struct {
	Nodes []Node
}

// A Node is one operation of a Graph.
type Node struct {
	// Name identifies the node. A "/" nests it in a namespace, which the
	// dashboard draws as a box that opens: "layer1/MatMul" is node MatMul
	// in namespace layer1. Names follow TensorFlow's rules: letters,
	// digits and "._-/>", not starting with one of "_-/>", with no empty
	// namespace ("a//b", "a/").
	Name string
	// Op is the operation, such as "MatMul" or "Relu"; the dashboard
	// colours and groups nodes by it. It must not be empty.
	Op string
	// Inputs names the nodes whose outputs this node reads: "x" for the
	// first output of node x, "x:1" for its second, "^x" for a control
	// dependency (drawn dashed). Control dependencies come last.
	Inputs []string
	// Device is where the node runs, such as "/device:GPU:0"; the
	// dashboard can colour nodes by it. Empty means unknown.
	Device string
	// Shapes are the node's output shapes, one per output, -1 for a
	// dimension of unknown size (such as the batch) and an empty shape
	// for a scalar. The dashboard labels edges with them. They are
	// written as the attribute OutputShapesAttr.
	Shapes [][]int64
	// Attrs are the node's attributes, shown when the node is selected.
	// Values may be string, []byte, bool, int, int32, int64, float32,
	// float64, tbpb.DataType, a slice of one of those (except []byte),
	// *tbpb.TensorShapeProto, *tbpb.TensorProto or *tbpb.AttrValue.
	Attrs map[string]any
}

// GraphDef converts g to the GraphDef that TensorBoard reads. It returns an
// error naming the first problem it finds: a graph with no nodes, a node
// with a bad or repeated name or no op, an input that is malformed or names
// no node of g (a dangling edge), a data input after a control input, a
// dimension below -1, or an attribute of an unsupported type.
func GraphDef(g Graph) (*tbpb.GraphDef, error) {
	if len(g.Nodes) == 0 {
		return nil, errors.New("summary: graph has no nodes")
	}
	names := make(map[string]bool, len(g.Nodes))
	for i, n := range g.Nodes {
		if err := checkNodeName(n.Name); err != nil {
			return nil, fmt.Errorf("summary: graph node %d: %w", i, err)
		}
		if names[n.Name] {
			return nil, fmt.Errorf("summary: graph node %d: name %q is used by an earlier node", i, n.Name)
		}
		names[n.Name] = true
	}
	gd := &tbpb.GraphDef{
		Node:     make([]*tbpb.NodeDef, len(g.Nodes)),
		Versions: &tbpb.VersionDef{Producer: GraphProducer},
	}
	for i, n := range g.Nodes {
		nd, err := nodeDef(n, names)
		if err != nil {
			return nil, fmt.Errorf("summary: graph node %q: %w", n.Name, err)
		}
		gd.Node[i] = nd
	}
	return gd, nil
}

// Graph writes g as the run's model graph. TensorBoard shows one graph
// per run, the one at the highest step: write the whole model, not one
// graph per layer. The Writer writes its first graph at step 0, its second
// at step 1 and so on, so that a later graph replaces an earlier one in
// both loaders (of several graphs at one step, the Python loader shows the
// first and the Rust one the last). A new Writer resuming a run starts
// again at step 0, where the Python loader keeps showing the older graph.
// Nothing is written when g is refused (see GraphDef).
func (w *Writer) Graph(g Graph) (err error) {
	defer w.note(&err)
	gd, err := GraphDef(g)
	if err != nil {
		return err
	}
	b, err := proto.MarshalOptions{Deterministic: true}.Marshal(gd)
	if err != nil {
		return fmt.Errorf("summary: marshal graph: %w", err)
	}
	ev := &tbpb.Event{What: &tbpb.Event_GraphDef{GraphDef: b}}
	wall := w.wall()
	w.mu.Lock()
	defer w.mu.Unlock()
	// Both loaders file the graph under RunGraphTag; claiming the tag
	// keeps another kind of data out of it.
	s, err := w.lookup(RunGraphTag, PluginGraphs)
	if err != nil {
		return err
	}
	ev.WallTime, ev.Step = wall, w.graphs
	if w.buf, err = (proto.MarshalOptions{Deterministic: true}).MarshalAppend(w.buf[:0], ev); err != nil {
		return fmt.Errorf("summary: marshal graph event: %w", err)
	}
	if err := w.writeRecord(RunGraphTag, ev.Step); err != nil {
		return err
	}
	s.plugin = PluginGraphs
	w.graphs++
	return nil
}

func nodeDef(n Node, names map[string]bool) (*tbpb.NodeDef, error) {
	if n.Op == "" {
		return nil, errors.New("empty op")
	}
	if !utf8.ValidString(n.Op) || !utf8.ValidString(n.Device) {
		return nil, errors.New("op or device is not valid UTF-8")
	}
	control := false
	for _, in := range n.Inputs {
		name, isControl, err := parseInput(in)
		if err != nil {
			return nil, err
		}
		if !names[name] {
			return nil, fmt.Errorf("input %q names no node of the graph", in)
		}
		if control && !isControl {
			return nil, fmt.Errorf("data input %q after a control input: control inputs (\"^node\") come last", in)
		}
		control = isControl
	}
	nd := &tbpb.NodeDef{
		Name:   n.Name,
		Op:     n.Op,
		Input:  append([]string(nil), n.Inputs...),
		Device: n.Device,
	}
	if len(n.Attrs) > 0 || n.Shapes != nil {
		nd.Attr = make(map[string]*tbpb.AttrValue, len(n.Attrs)+1)
	}
	for k, v := range n.Attrs {
		if k == "" || !utf8.ValidString(k) {
			return nil, fmt.Errorf("attribute name %q is empty or not valid UTF-8", k)
		}
		if k == OutputShapesAttr && n.Shapes != nil {
			return nil, fmt.Errorf("attribute %q is also set by Shapes", k)
		}
		a, err := attrValue(v)
		if err != nil {
			return nil, fmt.Errorf("attribute %q: %w", k, err)
		}
		nd.Attr[k] = a
	}
	if n.Shapes != nil {
		list := &tbpb.AttrValue_ListValue{Shape: make([]*tbpb.TensorShapeProto, len(n.Shapes))}
		for i, s := range n.Shapes {
			ts, err := shapeProto(s)
			if err != nil {
				return nil, fmt.Errorf("output %d: %w", i, err)
			}
			list.Shape[i] = ts
		}
		nd.Attr[OutputShapesAttr] = &tbpb.AttrValue{Value: &tbpb.AttrValue_List{List: list}}
	}
	return nd, nil
}

// checkNodeName applies TensorFlow's rule for node names
// ([A-Za-z0-9.][A-Za-z0-9_.\-/>]*), and refuses empty namespaces, which
// the dashboard would draw as nameless boxes.
func checkNodeName(name string) error {
	if name == "" {
		return errors.New("empty name")
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		ok := 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.'
		if i > 0 {
			ok = ok || c == '_' || c == '-' || c == '/' || c == '>'
		}
		if !ok {
			return fmt.Errorf("name %q: character %q at %d is not allowed (TensorFlow's rule: [A-Za-z0-9.][A-Za-z0-9_.\\-/>]*)", name, c, i)
		}
	}
	if strings.HasSuffix(name, "/") || strings.Contains(name, "//") {
		return fmt.Errorf("name %q has an empty namespace", name)
	}
	return nil
}

// parseInput splits an input into the node it names and whether it is a
// control dependency.
func parseInput(in string) (name string, control bool, err error) {
	name = in
	if rest, ok := strings.CutPrefix(name, "^"); ok {
		name, control = rest, true
	}
	if i := strings.LastIndexByte(name, ':'); i >= 0 {
		port := name[i+1:]
		if control {
			return "", false, fmt.Errorf("input %q: a control input names a node, not an output", in)
		}
		if port == "" || strings.TrimLeft(port, "0123456789") != "" {
			return "", false, fmt.Errorf("input %q: output index %q is not a number", in, port)
		}
		if _, err := strconv.ParseInt(port, 10, 32); err != nil {
			return "", false, fmt.Errorf("input %q: output index %q is out of range", in, port)
		}
		name = name[:i]
	}
	if err := checkNodeName(name); err != nil {
		return "", false, fmt.Errorf("input %q: %w", in, err)
	}
	return name, control, nil
}

// shapeProto returns dims as a TensorShapeProto, -1 meaning unknown.
func shapeProto(dims []int64) (*tbpb.TensorShapeProto, error) {
	for _, d := range dims {
		if d < -1 {
			return nil, fmt.Errorf("shape %v: dimension %d (use -1 for unknown)", dims, d)
		}
	}
	return shape(dims...), nil
}

// attrValue converts a Go value to an AttrValue.
func attrValue(v any) (*tbpb.AttrValue, error) {
	a := &tbpb.AttrValue{}
	switch v := v.(type) {
	case string:
		a.Value = &tbpb.AttrValue_S{S: []byte(v)}
	case []byte:
		a.Value = &tbpb.AttrValue_S{S: append([]byte(nil), v...)}
	case bool:
		a.Value = &tbpb.AttrValue_B{B: v}
	case int:
		a.Value = &tbpb.AttrValue_I{I: int64(v)}
	case int32:
		a.Value = &tbpb.AttrValue_I{I: int64(v)}
	case int64:
		a.Value = &tbpb.AttrValue_I{I: v}
	case float32:
		a.Value = &tbpb.AttrValue_F{F: v}
	case float64:
		f, err := attrFloat(v)
		if err != nil {
			return nil, err
		}
		a.Value = &tbpb.AttrValue_F{F: f}
	case tbpb.DataType:
		a.Value = &tbpb.AttrValue_Type{Type: v}
	case *tbpb.TensorShapeProto:
		a.Value = &tbpb.AttrValue_Shape{Shape: proto.CloneOf(v)}
	case *tbpb.TensorProto:
		a.Value = &tbpb.AttrValue_Tensor{Tensor: proto.CloneOf(v)}
	case *tbpb.AttrValue:
		if v == nil {
			return nil, errors.New("nil *tbpb.AttrValue")
		}
		return proto.CloneOf(v), nil
	default:
		list, err := attrList(v)
		if err != nil {
			return nil, err
		}
		a.Value = &tbpb.AttrValue_List{List: list}
	}
	return a, nil
}

func attrList(v any) (*tbpb.AttrValue_ListValue, error) {
	l := &tbpb.AttrValue_ListValue{}
	switch v := v.(type) {
	case []string:
		for _, s := range v {
			l.S = append(l.S, []byte(s))
		}
	case []bool:
		l.B = append(l.B, v...)
	case []int:
		for _, i := range v {
			l.I = append(l.I, int64(i))
		}
	case []int32:
		for _, i := range v {
			l.I = append(l.I, int64(i))
		}
	case []int64:
		l.I = append(l.I, v...)
	case []float32:
		l.F = append(l.F, v...)
	case []float64:
		for _, x := range v {
			f, err := attrFloat(x)
			if err != nil {
				return nil, err
			}
			l.F = append(l.F, f)
		}
	case []tbpb.DataType:
		l.Type = append(l.Type, v...)
	default:
		return nil, fmt.Errorf("unsupported type %T", v)
	}
	return l, nil
}

// attrFloat narrows x to the float32 of an AttrValue, refusing a finite
// value that would become infinite.
func attrFloat(x float64) (float32, error) {
	f := float32(x)
	if math.IsInf(float64(f), 0) && !math.IsInf(x, 0) {
		return 0, fmt.Errorf("%v overflows float32", x)
	}
	return f, nil
}

// A GraphBuilder builds the Graph of a model one layer at a time. Each
// call returns the name of the node that holds its result, to pass to a
// later layer's In; a layer with no In reads the previous call's result,
// so a plain stack of layers needs no names at all. The first error is
// kept and returned by Graph, so calls can be chained without checks. The
// zero GraphBuilder is ready to use.
type GraphBuilder struct {
	nodes []Node
	last  string
	err   error
}

// A Layer is one layer of a model, drawn as a namespace named Name that
// holds its nodes:
//
//   - one VariableV2 node "Name/w.Name" per weight w, of shape w.Shape;
//   - the layer's operation, "Name/Op", reading In and then the weights;
//   - with Bias, a VariableV2 "Name/bias" of the size of Out's last
//     dimension and a "Name/BiasAdd" adding it;
//   - with Activation, a node "Name/Activation" applying it.
//
// For example, a dense layer is Op "MatMul" with a weight "kernel" of
// shape [in, out], Bias and Activation "Relu"; a convolution is "Conv2D"
// with a kernel [h, w, in, out]; a batch normalization is
// "FusedBatchNormV3" with weights "gamma", "beta", "moving_mean" and
// "moving_variance"; a residual connection is "AddV2" with two In.
type Layer struct {
	// Name is the layer's namespace, such as "dense1" or "block1/conv1".
	Name string
	// Op is the layer's operation.
	Op string
	// In names the results the layer reads, as returned by earlier calls
	// of the GraphBuilder; nil means the previous call's result.
	In []string
	// Weights are the layer's trainable tensors.
	Weights []Weight
	// Bias adds a bias vector after Op.
	Bias bool
	// Activation, if not empty, is the op applied last, such as "Relu".
	Activation string
	// Out is the shape of the layer's result, -1 for unknown dimensions;
	// nil leaves the edges unlabelled.
	Out []int64
	// Attrs are attributes of the Op node (see Node.Attrs).
	Attrs map[string]any
}

// A Weight is a trainable tensor of a Layer.
type Weight struct {
	Name  string
	Shape []int64
}

// Input adds a float Placeholder named name of the given shape (-1 for
// unknown dimensions, such as the batch) and returns its name.
func (b *GraphBuilder) Input(name string, dims ...int64) string {
	return b.Node(Node{
		Name:   name,
		Op:     "Placeholder",
		Shapes: [][]int64{dims},
		Attrs:  map[string]any{"dtype": tbpb.DataType_DT_FLOAT, "shape": shape(dims...)},
	})
}

// Node adds n as it is and returns its name.
func (b *GraphBuilder) Node(n Node) string {
	b.nodes = append(b.nodes, n)
	b.last = n.Name
	return n.Name
}

// Layer adds the nodes of l and returns the name of the node that holds
// its result: the activation, the BiasAdd or the Op node.
func (b *GraphBuilder) Layer(l Layer) string {
	if b.err != nil {
		return ""
	}
	fail := func(format string, args ...any) string {
		b.err = fmt.Errorf("summary: graph layer %q: "+format, append([]any{l.Name}, args...)...)
		return ""
	}
	if l.Name == "" {
		return fail("empty name")
	}
	if l.Op == "" {
		return fail("empty op")
	}
	in := l.In
	if in == nil {
		if b.last == "" {
			return fail("no input: add one with Input, or set In")
		}
		in = []string{b.last}
	}
	if l.Bias && (len(l.Out) == 0 || l.Out[len(l.Out)-1] < 0) {
		return fail("Bias needs Out with a known last dimension, have %v", l.Out)
	}
	var shapes [][]int64
	if l.Out != nil {
		shapes = [][]int64{l.Out}
	}
	inputs := append([]string(nil), in...)
	for _, wt := range l.Weights {
		inputs = append(inputs, b.variable(l.Name+"/"+wt.Name, wt.Shape))
	}
	out := b.Node(Node{Name: l.Name + "/" + l.Op, Op: l.Op, Inputs: inputs, Shapes: shapes, Attrs: l.Attrs})
	if l.Bias {
		bias := b.variable(l.Name+"/bias", l.Out[len(l.Out)-1:])
		out = b.Node(Node{Name: l.Name + "/BiasAdd", Op: "BiasAdd", Inputs: []string{out, bias}, Shapes: shapes})
	}
	if l.Activation != "" {
		out = b.Node(Node{Name: l.Name + "/" + l.Activation, Op: l.Activation, Inputs: []string{out}, Shapes: shapes})
	}
	return out
}

// variable adds a float VariableV2 node and returns its name.
func (b *GraphBuilder) variable(name string, dims []int64) string {
	return b.Node(Node{
		Name:   name,
		Op:     "VariableV2",
		Shapes: [][]int64{dims},
		Attrs:  map[string]any{"dtype": tbpb.DataType_DT_FLOAT, "shape": shape(dims...)},
	})
}

// Graph returns the graph built so far, or the first error of a Layer
// call. The graph is checked when it is converted or written (GraphDef,
// Writer.Graph).
func (b *GraphBuilder) Graph() (Graph, error) {
	if b.err != nil {
		return Graph{}, b.err
	}
	return Graph{Nodes: append([]Node(nil), b.nodes...)}, nil
}
