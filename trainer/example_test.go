package trainer_test

import (
	"context"
	"fmt"
	"log"

	"gonum.org/v1/gonum/mat"

	"github.com/tbgo/tbgo/trainer"
)

// Train a small MLP on XOR, deterministically: the same seeds give the
// same run.
func ExampleTrain() {
	x := mat.NewDense(4, 2, []float64{-1, -1, -1, 1, 1, -1, 1, 1})
	xor := trainer.Data{X: x, Y: []int{0, 1, 1, 0}}

	spec := trainer.MLP("xor", []int{8}, trainer.TypeTanh, trainer.Init{Kind: trainer.InitGlorotUniform}, 2)
	m, err := trainer.NewModel(trainer.Vector(2), spec, 1)
	if err != nil {
		log.Fatal(err)
	}
	res, err := trainer.Train(context.Background(), m, xor, xor, trainer.Config{
		Epochs:    300,
		BatchSize: 4,
		Optimizer: &trainer.SGD{Momentum: 0.9},
		Schedule:  trainer.Constant{LR: 0.1},
		Seed:      1,
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%d steps, stopped: %s\n", res.Steps, res.Stop)
	fmt.Printf("loss %.2f at the first step, below 0.01 at the last: %v\n", res.Losses[0], res.Losses[len(res.Losses)-1] < 0.01)
	fmt.Printf("validation accuracy %.2f\n", res.Val.Accuracy)
	// Output:
	// 300 steps, stopped: done
	// loss 1.09 at the first step, below 0.01 at the last: true
	// validation accuracy 1.00
}

// A model description reads from YAML; NewModel checks it against the
// input shape and names every layer and parameter.
func ExampleParseSpec() {
	spec, err := trainer.ParseSpec([]byte(`
name: small-cnn
layers:
  - {type: conv, filters: 8, kernel: 3, padding: 1, init: he}
  - {type: relu}
  - {type: maxpool, kernel: 2}
  - {type: flatten}
  - {type: dense, units: 10}
`))
	if err != nil {
		log.Fatal(err)
	}
	m, err := trainer.NewModel(trainer.Shape{C: 1, H: 8, W: 8}, spec, 1)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Print(m)
	for _, p := range m.Params() {
		fmt.Println(p.Name, p.Kind, p.Shape)
	}
	// Output:
	// small-cnn: input 1×8×8, 1370 parameters
	//   layer                type        output       params
	//   conv1                conv        8×8×8        80
	//   relu1                relu        8×8×8        0
	//   pool1                maxpool     8×4×4        0
	//   flatten1             flatten     128          0
	//   dense1               dense       10           1290
	// conv1/weights weight [8 1 3 3]
	// conv1/bias bias [8]
	// dense1/weights weight [10 128]
	// dense1/bias bias [10]
}

// An impossible shape is an error naming the layer, before any training.
func ExampleNewModel_impossibleShape() {
	spec := trainer.Spec{Layers: []trainer.LayerSpec{
		{Type: trainer.TypeConv, Filters: 4, Kernel: 3},
		{Type: trainer.TypeMaxPool, Kernel: 2},
		{Type: trainer.TypeConv, Filters: 8, Kernel: 5},
	}}
	_, err := trainer.NewModel(trainer.Shape{C: 1, H: 8, W: 8}, spec, 1)
	fmt.Println(err)
	// Output:
	// trainer: layers[2] (conv2): impossible shape: kernel 5×5 is larger than the input 4×3×3 padded by 0
}

// CheckGradients compares backpropagation with finite differences, as
// `tbgo doctor` does before a long run.
func ExampleCheckGradients() {
	spec := trainer.MLP("", []int{5}, trainer.TypeTanh, trainer.Init{}, 3)
	m, err := trainer.NewModel(trainer.Vector(4), spec, 1)
	if err != nil {
		log.Fatal(err)
	}
	x := mat.NewDense(2, 4, []float64{0.1, -0.5, 0.3, 0.9, -0.2, 0.4, -0.7, 0.6})
	res, err := trainer.CheckGradients(m, x, trainer.SoftmaxCrossEntropy{}, trainer.Targets{Labels: []int{2, 0}}, &trainer.GradCheckOptions{Input: true})
	if err != nil {
		log.Fatal(err)
	}
	for _, t := range res.Tensors {
		fmt.Printf("%-15s %2d values, relative error below 1e-7: %v\n", t.Name, t.Checked, t.MaxRelErr < 1e-7)
	}
	// Output:
	// dense1/weights  20 values, relative error below 1e-7: true
	// dense1/bias      5 values, relative error below 1e-7: true
	// dense2/weights  15 values, relative error below 1e-7: true
	// dense2/bias      3 values, relative error below 1e-7: true
	// input            8 values, relative error below 1e-7: true
}

// Hooks see every step: here, the gradient norm per parameter and the
// update/weight ratio, as the diagnostics compute them.
func ExampleHookFuncs() {
	x := mat.NewDense(4, 2, []float64{-1, -1, -1, 1, 1, -1, 1, 1})
	d := trainer.Data{X: x, Y: []int{0, 1, 1, 0}}
	m, err := trainer.NewModel(trainer.Vector(2), trainer.MLP("", []int{4}, trainer.TypeReLU, trainer.Init{Kind: trainer.InitHeNormal}, 2), 1)
	if err != nil {
		log.Fatal(err)
	}
	hook := trainer.HookFuncs{
		OnBackward: func(s *trainer.State) error {
			if s.Step == 0 {
				for _, p := range s.Model.Params() {
					fmt.Printf("step 0: %s has a gradient: %v\n", p.Name, mat.Norm(p.Grad, 2) > 0)
				}
			}
			return nil
		},
		OnStep: func(s *trainer.State) error {
			if s.Step == 0 {
				p := s.Model.Param("dense1/weights")
				ratio := mat.Norm(p.Update, 2) / mat.Norm(p.Value, 2)
				fmt.Printf("step 0: update/weight ratio of %s below 1e-2: %v\n", p.Name, ratio < 1e-2)
			}
			return nil
		},
		OnEnd: func(s *trainer.State) error {
			fmt.Println("steps:", s.Step)
			return nil
		},
	}
	_, err = trainer.Train(context.Background(), m, d, trainer.Data{}, trainer.Config{Steps: 5, BatchSize: 4, Hooks: []trainer.Hook{hook}})
	if err != nil {
		log.Fatal(err)
	}
	// Output:
	// step 0: dense1/weights has a gradient: true
	// step 0: dense1/bias has a gradient: true
	// step 0: dense2/weights has a gradient: true
	// step 0: dense2/bias has a gradient: true
	// step 0: update/weight ratio of dense1/weights below 1e-2: true
	// steps: 5
}

// The presets are the models `tbgo train` knows by name.
func ExamplePresets() {
	for _, p := range trainer.Presets() {
		fmt.Println(p.Name)
	}
	// Output:
	// mlp
	// cnn
	// resnet
	// deep_sigmoid
	// tiny
	// wide
	// linear
}

// Model.Graph draws the model for TensorBoard's Graphs dashboard, one
// namespace per layer; write it with summary.Writer.Graph.
func ExampleModel_Graph() {
	spec := trainer.Spec{Layers: []trainer.LayerSpec{
		{Type: trainer.TypeDense, Units: 4},
		{Type: trainer.TypeResidual, Layers: []trainer.LayerSpec{{Type: trainer.TypeDense, Units: 4}, {Type: trainer.TypeReLU}}},
		{Type: trainer.TypeDense, Units: 2},
	}}
	m, err := trainer.NewModel(trainer.Vector(3), spec, 1)
	if err != nil {
		log.Fatal(err)
	}
	g, err := m.Graph()
	if err != nil {
		log.Fatal(err)
	}
	for _, n := range g.Nodes {
		if n.Op != "VariableV2" {
			fmt.Println(n.Name, n.Inputs, n.Shapes)
		}
	}
	// Output:
	// input [] [[-1 3]]
	// dense1/MatMul [input dense1/weights] [[-1 4]]
	// dense1/BiasAdd [dense1/MatMul dense1/bias] [[-1 4]]
	// res1/dense1/MatMul [dense1/BiasAdd res1/dense1/weights] [[-1 4]]
	// res1/dense1/BiasAdd [res1/dense1/MatMul res1/dense1/bias] [[-1 4]]
	// res1/relu1/Relu [res1/dense1/BiasAdd] [[-1 4]]
	// res1/AddV2 [res1/relu1/Relu dense1/BiasAdd] [[-1 4]]
	// dense2/MatMul [res1/AddV2 dense2/weights] [[-1 2]]
	// dense2/BiasAdd [dense2/MatMul dense2/bias] [[-1 2]]
}

// LayerTypes lists every layer a model description may name, and
// IsActivation says which of them are activation functions.
func ExampleLayerTypes() {
	for _, t := range trainer.LayerTypes() {
		fmt.Printf("%s activation=%t\n", t, t.IsActivation())
	}
	// Output:
	// dense activation=false
	// conv activation=false
	// maxpool activation=false
	// flatten activation=false
	// batchnorm activation=false
	// residual activation=false
	// dropout activation=false
	// sigmoid activation=true
	// tanh activation=true
	// relu activation=true
	// leaky_relu activation=true
	// prelu activation=true
	// elu activation=true
	// maxout activation=true
	// softmax activation=true
}
