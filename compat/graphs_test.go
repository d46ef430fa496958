//go:build compat

package compat

import (
	"path/filepath"
	"slices"
	"testing"

	"google.golang.org/protobuf/encoding/prototext"
	"google.golang.org/protobuf/proto"

	"github.com/tbgo/tbgo/proto/tbpb"
	"github.com/tbgo/tbgo/summary"
)

// modelDashboards is what the logdir of TestModelDashboards holds: a model
// graph, PR curves and custom scalars, each in runs of their own.
type modelDashboards struct {
	dir    string
	runs   []string
	graph  graphRun
	pr     prCurveRun
	custom customScalarRuns
}

// TestModelDashboards writes graphs, PR curves and custom scalars with tbgo
// and reads them back through the HTTP API of each plugin, from two
// TensorBoards started for this test alone: the Rust data server with
// --checksum and the Python loader.
func TestModelDashboards(t *testing.T) {
	d := writeModelDashboards(t)

	specs := bothLoaders(d.dir, sentinelsLoaded(d.runs))
	servers := startServers(t, specs)
	for i, l := range specs {
		s := servers[i]
		t.Run(l.name+"/runs", func(t *testing.T) {
			var runs []string
			if err := s.GetJSON("data/runs", nil, &runs); err != nil {
				t.Fatal(err)
			}
			slices.Sort(runs)
			want := slices.Sorted(slices.Values(d.runs))
			if !slices.Equal(runs, want) {
				t.Errorf("runs %q, want %q: no run per line of Scalars", runs, want)
			}
		})
		t.Run(l.name+"/graphs", func(t *testing.T) { checkGraphPlugin(t, s, d.graph) })
		t.Run(l.name+"/pr_curves", func(t *testing.T) { checkPRCurves(t, s, d.pr) })
		t.Run(l.name+"/custom_scalars", func(t *testing.T) { checkCustomScalars(t, s, d.custom) })
	}
}

// writeModelDashboards writes the graph, PR-curve and custom-scalar runs
// into a new logdir.
func writeModelDashboards(t *testing.T) *modelDashboards {
	t.Helper()
	d := &modelDashboards{dir: t.TempDir()}
	var err error
	if d.graph, err = writeGraphRun(d.dir); err != nil {
		t.Fatal(err)
	}
	if d.pr, err = writePRCurveRun(d.dir); err != nil {
		t.Fatal(err)
	}
	if d.custom, err = writeCustomScalarRuns(d.dir); err != nil {
		t.Fatal(err)
	}
	d.runs = slices.Concat([]string{d.graph.run, d.pr.run}, d.custom.runs)
	return d
}

// closeWithSentinel writes the scalar that ends every run.
func closeWithSentinel(w *summary.Writer) error {
	if err := w.Scalar(SentinelTag, 0, 1); err != nil {
		return err
	}
	return w.Close()
}

// A graphRun is a run holding two graphs, of which TensorBoard must show
// the second.
type graphRun struct {
	run   string
	graph *tbpb.GraphDef // the graph written last
}

func writeGraphRun(logdir string) (graphRun, error) {
	r := graphRun{run: "graph"}
	w, err := summary.NewWriter(filepath.Join(logdir, r.run), nil)
	if err != nil {
		return r, err
	}
	defer w.Close()
	// A first graph that the second replaces.
	if err := w.Graph(summary.Graph{Nodes: []summary.Node{{Name: "old", Op: "Const"}}}); err != nil {
		return r, err
	}
	var b summary.GraphBuilder
	b.Input("images", -1, 28, 28, 1)
	b.Layer(summary.Layer{
		Name: "conv1", Op: "Conv2D", Weights: []summary.Weight{{Name: "kernel", Shape: []int64{3, 3, 1, 8}}},
		Bias: true, Out: []int64{-1, 28, 28, 8},
		Attrs: map[string]any{"strides": []int64{1, 1, 1, 1}, "padding": "SAME", "T": tbpb.DataType_DT_FLOAT},
	})
	skip := b.Layer(summary.Layer{
		Name: "bn1", Op: "FusedBatchNormV3", Out: []int64{-1, 28, 28, 8}, Activation: "Relu",
		Weights: []summary.Weight{{Name: "gamma", Shape: []int64{8}}, {Name: "beta", Shape: []int64{8}},
			{Name: "moving_mean", Shape: []int64{8}}, {Name: "moving_variance", Shape: []int64{8}}},
		Attrs: map[string]any{"epsilon": float32(0.001), "is_training": true},
	})
	h := b.Layer(summary.Layer{
		Name: "block1/conv", Op: "Conv2D", Weights: []summary.Weight{{Name: "kernel", Shape: []int64{3, 3, 8, 8}}},
		Out: []int64{-1, 28, 28, 8},
	})
	b.Layer(summary.Layer{Name: "block1/add", Op: "AddV2", In: []string{skip, h}, Activation: "Relu", Out: []int64{-1, 28, 28, 8}})
	b.Layer(summary.Layer{Name: "flatten", Op: "Reshape", Out: []int64{-1, 6272}})
	b.Layer(summary.Layer{
		Name: "logits", Op: "MatMul", Weights: []summary.Weight{{Name: "kernel", Shape: []int64{6272, 10}}},
		Bias: true, Activation: "Softmax", Out: []int64{-1, 10},
	})
	b.Node(summary.Node{Name: "split", Op: "Split", Inputs: []string{"logits/Softmax"}, Shapes: [][]int64{{-1, 5}, {-1, 5}},
		Attrs: map[string]any{"num_split": 2, "name\u00e9": "ünïcode", "ratios": []float64{0.25, 0.75}, "labels": []string{"a", "b"}}})
	b.Node(summary.Node{Name: "train/step", Op: "NoOp", Inputs: []string{"split:1", "^logits/Softmax"}, Device: "/device:GPU:0"})
	g, err := b.Graph()
	if err != nil {
		return r, err
	}
	if r.graph, err = summary.GraphDef(g); err != nil {
		return r, err
	}
	if err := w.Graph(g); err != nil {
		return r, err
	}
	return r, closeWithSentinel(w)
}

// checkGraphPlugin asserts that the graphs plugin lists the run's graph and
// serves, as text-format GraphDef, the graph written last: every node's
// name, op, inputs, device and attributes (output shapes among them).
func checkGraphPlugin(t *testing.T, s *Server, r graphRun) {
	var info map[string]struct {
		Run      string         `json:"run"`
		RunGraph bool           `json:"run_graph"`
		Tags     map[string]any `json:"tags"`
	}
	if err := s.GetJSON("data/plugin/graphs/info", nil, &info); err != nil {
		t.Fatal(err)
	}
	if ri, ok := info[r.run]; !ok || !ri.RunGraph || ri.Run != r.run || len(ri.Tags) != 0 {
		t.Errorf("graphs/info for run %q: %+v (present %v), want run_graph true and no tags", r.run, ri, ok)
	}
	for run, ri := range info {
		if run != r.run && ri.RunGraph {
			t.Errorf("graphs/info: run %q has a graph", run)
		}
	}
	body, err := s.Get("data/plugin/graphs/graph", query("run", r.run))
	if err != nil {
		t.Fatal(err)
	}
	got := new(tbpb.GraphDef)
	if err := prototext.Unmarshal(body, got); err != nil {
		t.Fatalf("graph pbtxt does not parse as a GraphDef: %v\n%.2000s", err, body)
	}
	if !proto.Equal(got, r.graph) {
		t.Errorf("graph served as\n%s\nwant\n%v", body, prototext.Format(r.graph))
	}
	// Spot-check what the dashboard draws, in case both sides of the
	// comparison above lost the same thing.
	byName := map[string]*tbpb.NodeDef{}
	for _, n := range got.Node {
		byName[n.Name] = n
	}
	add := byName["block1/add/AddV2"]
	if add == nil || add.Op != "AddV2" || !slices.Equal(add.Input, []string{"bn1/Relu", "block1/conv/Conv2D"}) {
		t.Errorf("residual node: %v", add)
	} else if dims := add.Attr[summary.OutputShapesAttr].GetList().GetShape()[0].GetDim(); len(dims) != 4 || dims[0].Size != -1 || dims[3].Size != 8 {
		t.Errorf("residual node output shape %v, want [-1 28 28 8]", dims)
	}
	if st := byName["train/step"]; st == nil || st.Device != "/device:GPU:0" || !slices.Equal(st.Input, []string{"split:1", "^logits/Softmax"}) {
		t.Errorf("train/step node: %v", st)
	}
	if byName["old"] != nil || got.GetVersions().GetProducer() != summary.GraphProducer {
		t.Errorf("served graph is not the newest one, or lacks producer %d", summary.GraphProducer)
	}
}
