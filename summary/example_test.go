package summary_test

import (
	"fmt"
	"image"
	"image/color"
	"log"
	"math"
	"os"
	"path/filepath"

	"gonum.org/v1/gonum/mat"

	"github.com/tbgo/tbgo/summary"
	"github.com/tbgo/tbgo/tfevents"
)

// A training loop logs a scalar and a histogram per step into one run;
// "tensorboard --logdir <dir>" then shows run "train".
func ExampleWriter() {
	logdir, err := os.MkdirTemp("", "tbgo-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(logdir)

	w, err := summary.NewWriter(filepath.Join(logdir, "train"), nil)
	if err != nil {
		log.Fatal(err)
	}
	w.Describe("loss", summary.Meta{DisplayName: "training loss", Description: "Cross-entropy per batch."})
	weights := mat.NewDense(2, 2, []float64{0.1, -0.2, 0.3, 0.05})
	for step := range int64(3) {
		if err := w.Scalar("loss", step, 1/float64(step+1)); err != nil {
			log.Fatal(err)
		}
		if err := w.HistogramMatrix("layer1/weights", step, weights); err != nil {
			log.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		log.Fatal(err)
	}

	runs, err := tfevents.DiscoverRuns(logdir)
	if err != nil {
		log.Fatal(err)
	}
	for _, r := range runs {
		fmt.Printf("run %q: %d event file(s)\n", r.Name, len(r.Files))
	}
	// Output:
	// run "train": 1 event file(s)
}

// Buckets bins values the way TensorBoard 2.x does: equal widths from the
// minimum to the maximum, the last bucket closed.
func ExampleBuckets() {
	buckets, err := summary.Buckets(nil, []float64{0, 1, 1, 2, 3, 4}, 4)
	if err != nil {
		log.Fatal(err)
	}
	for _, b := range buckets {
		fmt.Printf("[%g, %g]: %g\n", b.Left, b.Right, b.Count)
	}
	// Output:
	// [0, 1]: 1
	// [1, 2]: 2
	// [2, 3]: 1
	// [3, 4]: 2
}

// Grid tiles small images, such as a layer's filters, into one picture.
func ExampleGrid() {
	var filters []image.Image
	for i := range 6 {
		m := mat.NewDense(3, 3, nil)
		m.Set(i%3, i/3, 1) // one bright pixel per filter
		img, err := summary.FromMatrix(m, 0)
		if err != nil {
			log.Fatal(err)
		}
		filters = append(filters, img)
	}
	grid, err := summary.Grid(filters, 3, 1, color.White)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(grid.Bounds().Dx(), "x", grid.Bounds().Dy())
	// Output:
	// 13 x 9
}

// Filters shows each unit of a layer as the image of its input weights:
// here 6 units over 5x5 inputs, each tile drawn 4 times larger.
func ExampleFilters() {
	weights := mat.NewDense(6, 25, nil) // one row per unit
	for u := range 6 {
		for i := range 25 {
			weights.Set(u, i, math.Sin(float64(u*i)))
		}
	}
	img, err := summary.Filters(weights, 5, 5, 4)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(img.Bounds().Dx(), "x", img.Bounds().Dy())
	// w.Image("layer1/filters", step, img) logs it.
	// Output:
	// 64 x 43
}

// FromMatrix draws a small matrix large enough to see: a 4x16 weight
// matrix at scale 8 is 128x32 pixels, not a 16x4 thumbnail.
func ExampleFromMatrix() {
	img, err := summary.FromMatrix(mat.NewDense(4, 16, nil), 8)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(img.Bounds().Dx(), "x", img.Bounds().Dy())
	// Output:
	// 128 x 32
}

// FromRaw turns a PyTorch-style CHW float tensor into an image.
func ExampleFromRaw() {
	// 1 channel, 2 rows, 3 columns, values in [0, 1].
	data := []float32{0, 0.5, 1, 1, 0.5, 0}
	img, err := summary.FromRaw(data, summary.CHW, 2, 3, 1)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(img.Bounds().Size(), img.(*image.Gray).Pix)
	// Output:
	// (3,2) [0 128 255 255 128 0]
}

// TableValue builds a text summary that TensorBoard shows as a table.
func ExampleTableValue() {
	v, err := summary.TableValue("config", [][]string{{"**name**", "**value**"}, {"lr", "0.1"}}, summary.Meta{})
	if err != nil {
		log.Fatal(err)
	}
	dims := v.GetTensor().GetTensorShape().GetDim()
	fmt.Println(v.GetMetadata().GetPluginData().GetPluginName(), dims[0].Size, dims[1].Size)
	// Output:
	// text 2 2
}
