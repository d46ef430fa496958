package figure_test

import (
	"bytes"
	"fmt"
	"log"
	"os"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

	"github.com/tbgo/tbgo/summary"
	"github.com/tbgo/tbgo/summary/figure"
	"github.com/tbgo/tbgo/tfevents"
)

// readBack returns the values of the event file of w, which it closes.
func readBack(w *summary.Writer) []summary.Value {
	if err := w.Close(); err != nil {
		log.Fatal(err)
	}
	evs, err := tfevents.ReadEventFile(w.FileName())
	if err != nil {
		log.Fatal(err)
	}
	var d summary.Decoder
	var vals []summary.Value
	for _, ev := range evs {
		if vals, err = d.Event(vals, ev); err != nil {
			log.Fatal(err)
		}
	}
	return vals
}

// A gonum plot, rendered at 4 by 3 inches (384 by 288 pixels at 96 dpi),
// is logged as an image: the counterpart of add_figure.
func ExampleWrite() {
	dir, err := os.MkdirTemp("", "tbgo-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	w, err := summary.NewWriter(dir, nil)
	if err != nil {
		log.Fatal(err)
	}

	p := plot.New()
	p.Title.Text = "validation loss"
	pts := plotter.XYs{{X: 0, Y: 1}, {X: 1, Y: 0.6}, {X: 2, Y: 0.45}, {X: 3, Y: 0.4}}
	line, err := plotter.NewLine(pts)
	if err != nil {
		log.Fatal(err)
	}
	p.Add(line)
	if err := figure.Write(w, "plots/loss", 3, p, 4*vg.Inch, 3*vg.Inch); err != nil {
		log.Fatal(err)
	}

	for _, v := range readBack(w) {
		fmt.Printf("%s step %d: %v %dx%d, PNG %t\n", v.Tag, v.Step, v.Kind, v.Width, v.Height, bytes.HasPrefix(v.Blobs[0], []byte("\x89PNG")))
	}
	// Output:
	// plots/loss step 3: image 384x288, PNG true
}
