package data_test

import (
	"fmt"
	"log"
	"strings"

	"github.com/tbgo/tbgo/trainer/data"
)

func ExampleDigits() {
	d, err := data.Digits()
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("N:", d.Len(), "D:", d.Dim(), "shape:", d.Shape)
	fmt.Println("per class:", d.ClassCounts())
	fmt.Println(strings.Contains(d.Source, "CC BY 4.0"))
	// Output:
	// N: 1797 D: 64 shape: 1×8×8
	// per class: [178 182 177 183 181 182 181 179 174 180]
	// true
}

func ExampleSpirals() {
	d, err := data.Spirals(data.SpiralsOptions{PerClass: 200, Noise: 0.05, Imbalance: 20, Seed: 1})
	if err != nil {
		log.Fatal(err)
	}
	counts := d.ClassCounts()
	fmt.Println("per class:", counts)
	fmt.Println("imbalance ratio:", data.ImbalanceRatio(counts))
	fmt.Printf("class weights: %.3f\n", data.ClassWeights(counts))
	// Output:
	// per class: [200 10]
	// imbalance ratio: 20
	// class weights: [0.525 10.500]
}

func ExampleStandardize() {
	d, err := data.Digits()
	if err != nil {
		log.Fatal(err)
	}
	train, val, _, err := d.Split(data.SplitOptions{Val: 0.2, Seed: 1})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("train:", train.Len(), "val:", val.Len())
	before := data.Describe(train.X)
	lo, hi := before.Range()
	fmt.Printf("raw: range [%g, %g], max |mean| %.1f\n", lo, hi, before.MaxAbsMean())

	data.Standardize(train, val) // statistics from train only
	after := data.Describe(train.X)
	slo, shi, constant := after.StdRange()
	fmt.Printf("standardised: max |mean| < 1e-12: %v, std in [%.2f, %.2f], %d constant pixels\n",
		after.MaxAbsMean() < 1e-12, slo, shi, constant)
	// Output:
	// train: 1438 val: 359
	// raw: range [0, 16], max |mean| 12.1
	// standardised: max |mean| < 1e-12: true, std in [1.00, 1.00], 3 constant pixels
}

func ExampleReadCSV() {
	const iris = `sepal,petal,species
5.1,1.4,setosa
7.0,4.7,versicolor
6.3,6.0,virginica
`
	d, err := data.ReadCSV(strings.NewReader(iris), "iris.csv", &data.CSVOptions{StringLabels: true})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(d.Len(), "rows; features", d.FeatureNames, "classes", d.ClassNames, "labels", d.Y)

	_, err = data.ReadCSV(strings.NewReader(iris+"5.9,n/a,virginica\n"), "iris.csv", &data.CSVOptions{StringLabels: true})
	fmt.Println(err)
	// Output:
	// 3 rows; features [sepal petal] classes [setosa versicolor virginica] labels [0 1 2]
	// data: iris.csv:5:2 (column "petal"): not a number: "n/a"
}

func ExampleAugmenter() {
	d, err := data.Digits()
	if err != nil {
		log.Fatal(err)
	}
	batch := d.Subset([]int{0, 1, 2, 3}).X
	a, err := data.NewAugmenter(d.Shape, data.Distortion{MaxShift: 1, MaxRotate: 10, Noise: 0.5}, 1)
	if err != nil {
		log.Fatal(err)
	}
	a.Apply(batch, batch) // in place; allocates nothing
	fmt.Println(batch.At(0, 2) != d.X.At(0, 2))
	// Output:
	// true
}

func ExampleShift() {
	s := data.Shape{C: 1, H: 3, W: 4}
	src := []float64{
		1, 2, 0, 0,
		3, 4, 0, 0,
		0, 0, 0, 0,
	}
	dst := make([]float64, s.Size())
	data.Shift(dst, src, s, 2, 1) // two right, one down
	for i := 0; i < s.H; i++ {
		fmt.Println(dst[i*s.W : (i+1)*s.W])
	}
	// Output:
	// [0 0 0 0]
	// [0 0 1 2]
	// [0 0 3 4]
}
