package summary_test

import (
	"errors"
	"fmt"
	"log"
	"os"

	"github.com/tbgo/tbgo/proto/tbpb"
	"github.com/tbgo/tbgo/summary"
	"github.com/tbgo/tbgo/tfevents"
)

// A Decoder turns the records of an event file, whoever wrote it, into
// typed values. Here tbgo writes a run and reads it back.
func ExampleDecoder() {
	dir, err := os.MkdirTemp("", "tbgo-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	w, err := summary.NewWriter(dir, nil)
	if err != nil {
		log.Fatal(err)
	}
	w.Scalar("loss", 1, 0.5)
	w.HistogramBuckets("weights", 1, []summary.Bucket{{Left: -1, Right: 0, Count: 3}, {Left: 0, Right: 1, Count: 5}})
	w.Text("notes", 1, "learning rate *0.1*")
	// A legacy scalar, as tensorboardX and TF 1.x write them.
	w.WriteEvent(&tbpb.Event{Step: 2, What: &tbpb.Event_Summary{Summary: &tbpb.Summary{
		Value: []*tbpb.Summary_Value{{Tag: "loss", Value: &tbpb.Summary_Value_SimpleValue{SimpleValue: 0.25}}},
	}}})
	if err := w.Close(); err != nil {
		log.Fatal(err)
	}

	// A Scanner reads the records; the Decoder decodes each. Damage of
	// either kind is skipped and reported to Damaged, and the scan goes on.
	f, err := os.Open(w.FileName())
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()
	s := tfevents.NewScanner(f)
	s.Name = w.FileName()
	s.Damaged = func(d *tfevents.Damage) error {
		log.Print(d)
		return nil
	}
	d := summary.NewDecoder()
	var vals []summary.Value
	for s.Scan() {
		vals, err = d.Record(vals[:0], s.Record())
		var bad *tfevents.Damage
		if errors.As(err, &bad) {
			s.Report(*bad) // the event's other values are in vals
		}
		for _, v := range vals {
			switch v.Kind {
			case summary.KindScalar:
				fmt.Printf("step %d %s %q: %v\n", v.Step, v.Kind, v.Tag, v.Scalar)
			case summary.KindHistogram:
				fmt.Printf("step %d %s %q: %v\n", v.Step, v.Kind, v.Tag, v.Buckets)
			case summary.KindText:
				fmt.Printf("step %d %s %q: %q\n", v.Step, v.Kind, v.Tag, v.Text)
			}
		}
	}
	if err := s.Err(); err != nil {
		log.Fatal(err)
	}
	// Output:
	// step 1 scalar "loss": 0.5
	// step 1 histogram "weights": [{-1 0 3} {0 1 5}]
	// step 1 text "notes": ["learning rate *0.1*"]
	// step 2 scalar "loss": 0.25
}

// AppendScalars reads only the scalars, without allocating once it knows a
// run's tags: the way to load long runs for plotting.
func ExampleDecoder_AppendScalars() {
	dir, err := os.MkdirTemp("", "tbgo-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	w, err := summary.NewWriter(dir, nil)
	if err != nil {
		log.Fatal(err)
	}
	for step := range int64(3) {
		w.Scalar("loss", step, 1/float64(step+1))
		w.Histogram("weights", step, []float64{1, 2, 3})
		w.Scalar("accuracy", step, 0.5+float64(step)/10)
	}
	if err := w.Close(); err != nil {
		log.Fatal(err)
	}

	f, err := os.Open(w.FileName())
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()
	s := tfevents.NewScanner(f)
	d := summary.NewDecoder()
	var points []summary.ScalarPoint
	for s.Scan() {
		points, err = d.AppendScalars(points, s.Record())
		var bad *tfevents.Damage
		if errors.As(err, &bad) {
			s.Report(*bad)
		}
	}
	if err := s.Err(); err != nil {
		log.Fatal(err)
	}
	for _, p := range points {
		fmt.Printf("%s@%d = %.4g\n", p.Tag, p.Step, p.Value)
	}
	// Output:
	// loss@0 = 1
	// accuracy@0 = 0.5
	// loss@1 = 0.5
	// accuracy@1 = 0.6
	// loss@2 = 0.3333
	// accuracy@2 = 0.7
}
