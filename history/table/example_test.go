package table_test

import (
	"context"
	"fmt"
	"image"
	"image/color"
	"log"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/tbgo/tbgo/history"
	"github.com/tbgo/tbgo/history/table"
	"github.com/tbgo/tbgo/summary"
)

// exampleLogdir writes a run "train" that restarted at step 1 and a run
// "sweep/lr=0.1" with an image, into a temporary logdir.
func exampleLogdir() string {
	logdir, err := os.MkdirTemp("", "table-example")
	if err != nil {
		log.Fatal(err)
	}
	clock := time.Unix(1700000000, 0)
	writer := func(run string) *summary.Writer {
		w, err := summary.NewWriter(filepath.Join(logdir, run), &summary.Options{
			Now: func() time.Time { clock = clock.Add(time.Second / 4); return clock },
		})
		if err != nil {
			log.Fatal(err)
		}
		return w
	}
	for _, steps := range [][]int64{{0, 1, 2}, {1, 2}} { // resumed from step 1
		w := writer("train")
		for _, s := range steps {
			w.Scalar("loss", s, 1/float64(s+2))
			w.Scalar("acc", s, 0.1*float64(s+1))
		}
		if err := w.Close(); err != nil {
			log.Fatal(err)
		}
	}
	w := writer("sweep/lr=0.1")
	img := image.NewGray(image.Rect(0, 0, 4, 2))
	img.Set(1, 1, color.White)
	w.Images("filters/layer1", 5, []image.Image{img})
	w.Scalar("loss", 5, 0.5)
	if err := w.Close(); err != nil {
		log.Fatal(err)
	}
	return logdir
}

// Export every scalar as TensorBoard shows it to CSV: the restart's
// values replace the steps it logged again, values are written as stored
// (float32) and wall times with six decimals.
func ExampleWrite() {
	logdir := exampleLogdir()
	defer os.RemoveAll(logdir)
	src, err := history.Open(logdir)
	if err != nil {
		log.Fatal(err)
	}
	defer src.Close()

	_, err = table.Write(context.Background(), os.Stdout, src, &table.Options{
		Read: history.Options{View: history.TensorBoard},
	})
	if err != nil {
		log.Fatal(err)
	}
	// Output:
	// run,tag,step,wall_time,value
	// sweep/lr=0.1,loss,5,1700000003.750000,0.5
	// train,loss,0,1700000000.500000,0.5
	// train,acc,0,1700000000.750000,0.1
	// train,loss,1,1700000002.250000,0.33333334
	// train,acc,1,1700000002.500000,0.2
	// train,loss,2,1700000002.750000,0.25
	// train,acc,2,1700000003.000000,0.3
}

// The wide layout: a row per run and step, a column per tag. A run of
// more than SpillAfter values is sorted in chunks through temporary files.
func ExampleOptions_wide() {
	logdir := exampleLogdir()
	defer os.RemoveAll(logdir)
	src, err := history.Open(logdir)
	if err != nil {
		log.Fatal(err)
	}
	defer src.Close()

	runs, _ := history.Compile("train")
	_, err = table.Write(context.Background(), os.Stdout, src, &table.Options{
		Wide:       true,
		SpillAfter: 2,
		Read:       history.Options{Runs: runs, View: history.TensorBoard},
	})
	if err != nil {
		log.Fatal(err)
	}
	// Output:
	// run,step,wall_time,acc,loss
	// train,0,1700000000.500000,0.1,0.5
	// train,1,1700000002.250000,0.2,0.33333334
	// train,2,1700000002.750000,0.3,0.25
}

// Export scalars to Parquet and images to files, with an index that maps
// each file back to its run, tag and step.
func ExampleWriteDir() {
	logdir := exampleLogdir()
	defer os.RemoveAll(logdir)
	src, err := history.Open(logdir)
	if err != nil {
		log.Fatal(err)
	}
	defer src.Close()
	out := filepath.Join(logdir, "export")

	res, err := table.WriteDir(context.Background(), out, src, &table.Options{
		Kinds:  []table.Kind{table.Scalars, table.Images},
		Format: table.Parquet,
		Read:   history.Options{View: history.TensorBoard},
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(res.Rows[table.Scalars], "scalars,", res.Rows[table.Images], "image")
	filepath.WalkDir(out, func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(out, path)
			fmt.Println(filepath.ToSlash(rel))
		}
		return err
	})
	// Output:
	// 7 scalars, 1 image
	// images/index.parquet
	// images/sweep%2Flr=0.1/filters%2Flayer1/step5_0.png
	// scalars.parquet
}

// Write a table of one's own.
func ExampleNewWriter() {
	w, err := table.NewWriter(os.Stdout, table.JSONLines, []table.Column{
		{Name: "trial"},
		{Name: "lr", Type: table.TypeFloat},
		{Name: "accuracy", Type: table.TypeFloat, Nullable: true},
	})
	if err != nil {
		log.Fatal(err)
	}
	w.Write([]table.Value{table.StringValue("a"), table.FloatValue(0.01), table.Float32Value(0.97)})
	w.Write([]table.Value{table.StringValue("b"), table.FloatValue(0.1), {}})
	if err := w.Close(); err != nil {
		log.Fatal(err)
	}
	// Output:
	// {"trial":"a","lr":0.01,"accuracy":0.97}
	// {"trial":"b","lr":0.1,"accuracy":null}
}

// Run and tag names become one path component each.
func ExampleComponent() {
	for _, name := range []string{"train", "sweep/lr=0.1", ".", "a b"} {
		fmt.Println(table.Component(name))
	}
	// Output:
	// train
	// sweep%2Flr=0.1
	// %2E
	// a%20b
}

// The stable columns of each table.
func ExampleColumns() {
	for _, k := range table.Kinds() {
		var names []string
		for _, c := range table.Columns(k) {
			names = append(names, c.Name)
		}
		fmt.Printf("%-10s %s\n", k, strings.Join(names, ", "))
	}
	// Output:
	// scalars    run, tag, step, wall_time, value
	// histograms run, tag, step, wall_time, bucket, left, right, count
	// text       run, tag, step, wall_time, row, col, text
	// hparams    run, group, status, start_time, end_time
	// images     run, tag, step, wall_time, sample, width, height, file
	// audio      run, tag, step, wall_time, sample, content_type, sample_rate, label, file
}
