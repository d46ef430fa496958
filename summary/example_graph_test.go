package summary_test

import (
	"fmt"
	"log"
	"os"
	"path/filepath"

	"google.golang.org/protobuf/proto"

	"github.com/tbgo/tbgo/proto/tbpb"
	"github.com/tbgo/tbgo/summary"
	"github.com/tbgo/tbgo/tfevents"
)

// A GraphBuilder describes a model layer by layer; Writer.Graph writes it
// for TensorBoard's Graphs dashboard, which draws each layer as a box that
// opens onto its nodes.
func ExampleGraphBuilder() {
	var b summary.GraphBuilder
	b.Input("images", -1, 784) // -1: any batch size
	hidden := b.Layer(summary.Layer{
		Name: "dense1", Op: "MatMul", Weights: []summary.Weight{{Name: "kernel", Shape: []int64{784, 128}}},
		Bias: true, Activation: "Relu", Out: []int64{-1, 128},
	})
	b.Layer(summary.Layer{
		Name: "dense2", Op: "MatMul", Weights: []summary.Weight{{Name: "kernel", Shape: []int64{128, 128}}},
		Bias: true, Out: []int64{-1, 128},
	})
	// A residual connection reads two earlier results.
	b.Layer(summary.Layer{Name: "residual", Op: "AddV2", In: []string{hidden, "dense2/BiasAdd"}, Activation: "Relu", Out: []int64{-1, 128}})
	g, err := b.Graph()
	if err != nil {
		log.Fatal(err)
	}
	gd, err := summary.GraphDef(g)
	if err != nil {
		log.Fatal(err)
	}
	for _, n := range gd.Node {
		fmt.Println(n.Name, n.Op, n.Input)
	}
	// Output:
	// images Placeholder []
	// dense1/kernel VariableV2 []
	// dense1/MatMul MatMul [images dense1/kernel]
	// dense1/bias VariableV2 []
	// dense1/BiasAdd BiasAdd [dense1/MatMul dense1/bias]
	// dense1/Relu Relu [dense1/BiasAdd]
	// dense2/kernel VariableV2 []
	// dense2/MatMul MatMul [dense1/Relu dense2/kernel]
	// dense2/bias VariableV2 []
	// dense2/BiasAdd BiasAdd [dense2/MatMul dense2/bias]
	// residual/AddV2 AddV2 [dense1/Relu dense2/BiasAdd]
	// residual/Relu Relu [residual/AddV2]
}

// Writer.Graph checks the graph before writing it: an input naming no node
// is refused and nothing is written.
func ExampleWriter_Graph() {
	dir, err := os.MkdirTemp("", "tbgo-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	w, err := summary.NewWriter(dir, nil)
	if err != nil {
		log.Fatal(err)
	}
	err = w.Graph(summary.Graph{Nodes: []summary.Node{
		{Name: "x", Op: "Placeholder", Shapes: [][]int64{{-1, 3}}},
		{Name: "y", Op: "Relu", Inputs: []string{"z"}},
	}})
	fmt.Println(err)
	err = w.Graph(summary.Graph{Nodes: []summary.Node{
		{Name: "x", Op: "Placeholder", Shapes: [][]int64{{-1, 3}}},
		{Name: "y", Op: "Relu", Inputs: []string{"x"}, Device: "/device:CPU:0"},
	}})
	if err != nil {
		log.Fatal(err)
	}
	// Close reports the refused graph too, for programs that did not
	// check the call.
	fmt.Println(w.Close())
	for _, v := range readBack(w.FileName()) {
		var gd tbpb.GraphDef
		if err := proto.Unmarshal(v.Blobs[0], &gd); err != nil {
			log.Fatal(err)
		}
		fmt.Printf("step %d %s %q: %d nodes, producer %d\n", v.Step, v.Kind, v.Tag, len(gd.Node), gd.Versions.Producer)
	}
	// Output:
	// summary: graph node "y": input "z" names no node of the graph
	// summary: 1 value refused since the last Flush: summary: graph node "y": input "z" names no node of the graph
	// step 0 graph "__run_graph__": 2 nodes, producer 22
}

// ComputePRCurve counts, at each threshold, the examples predicted positive
// (prediction at or above it) that are and are not, as TensorBoard does.
func ExampleComputePRCurve() {
	labels := []bool{true, false, true, false}
	predictions := []float64{0.9, 0.6, 0.3, 0.1}
	c, err := summary.ComputePRCurve(labels, predictions, &summary.PROptions{Thresholds: 3})
	if err != nil {
		log.Fatal(err)
	}
	for i := range c.Thresholds() {
		fmt.Printf("threshold %.1f: TP %v FP %v precision %.2f recall %.2f\n",
			float64(i)/2, c.TruePositives[i], c.FalsePositives[i], c.Precision[i], c.Recall[i])
	}
	// Output:
	// threshold 0.0: TP 2 FP 2 precision 0.50 recall 1.00
	// threshold 0.5: TP 1 FP 1 precision 0.50 recall 0.50
	// threshold 1.0: TP 0 FP 0 precision 0.00 recall 0.00
}

// PRCurveClasses writes one curve per class of a classifier, each class
// against the rest, for TensorBoard's PR Curves dashboard.
func ExampleWriter_PRCurveClasses() {
	dir, err := os.MkdirTemp("", "tbgo-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	w, err := summary.NewWriter(dir, nil)
	if err != nil {
		log.Fatal(err)
	}
	labels := []int{0, 2, 1, 2}
	probabilities := [][]float64{ // softmax outputs, one row per example
		{0.8, 0.1, 0.1},
		{0.2, 0.2, 0.6},
		{0.3, 0.5, 0.2},
		{0.4, 0.1, 0.5},
	}
	opts := &summary.PROptions{Thresholds: 11, ClassNames: []string{"cat", "dog", "eel"}}
	if err := w.PRCurveClasses("val/pr", 100, labels, probabilities, opts); err != nil {
		log.Fatal(err)
	}
	if err := w.Close(); err != nil {
		log.Fatal(err)
	}
	for _, v := range readBack(w.FileName()) {
		if v.Plugin == summary.PluginPRCurves {
			fmt.Printf("step %d %q: %v tensor\n", v.Step, v.Tag, v.Shape)
		}
	}
	// Output:
	// step 100 "val/pr/cat": [6 11] tensor
	// step 100 "val/pr/dog": [6 11] tensor
	// step 100 "val/pr/eel": [6 11] tensor
}

// Scalars draws several lines in one chart of the Custom Scalars dashboard
// without making a run per line: the run stays one directory, and the
// lines are the scalars "loss/train" and "loss/val".
func ExampleWriter_Scalars() {
	logdir, err := os.MkdirTemp("", "tbgo-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(logdir)
	w, err := summary.NewWriter(filepath.Join(logdir, "run1"), nil)
	if err != nil {
		log.Fatal(err)
	}
	for step := range int64(3) {
		loss := map[string]float64{"train": 1 / float64(step+1), "val": 1.5 / float64(step+1)}
		if err := w.Scalars("loss", step, loss); err != nil {
			log.Fatal(err)
		}
	}
	// Charts of your own go in the same layout.
	err = w.CustomScalarsLayout(summary.CustomLayout{Categories: []summary.CustomCategory{{
		Title:  "validation",
		Charts: []summary.CustomChart{{Title: "val", Multiline: []string{`.*/val$`}}},
	}}})
	if err != nil {
		log.Fatal(err)
	}
	if err := w.Close(); err != nil {
		log.Fatal(err)
	}
	runs, err := tfevents.DiscoverRuns(logdir)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(len(runs), "run:", runs[0].Name)
	n := 0
	for _, v := range readBack(w.FileName()) {
		if v.Kind == summary.KindScalar {
			n++
		}
	}
	fmt.Println(n, "scalars")
	// Output:
	// 1 run: run1
	// 6 scalars
}
