package table_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"time"

	"github.com/tbgo/tbgo/history"
	"github.com/tbgo/tbgo/history/table"
	"github.com/tbgo/tbgo/summary"
)

// sweepSummaries writes three trials of a sweep over the learning rate,
// each a session with a loss logged at steps 0 to 3 (the fastest
// overshoots at the end), into a temporary logdir, and summarises them
// as tbgo compare reads them: history.Open, then history.Summarize in
// the TensorBoard view.
func sweepSummaries() []history.RunSummary {
	logdir, err := os.MkdirTemp("", "table-compare-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(logdir)
	clock := time.Unix(1700000000, 0)
	losses := [][]float64{{0.9, 0.4, 0.25, 0.3}, {0.95, 0.7, 0.5, 0.45}, {0.99, 0.98, 0.97, 0.96}}
	for i, lr := range []float64{0.1, 0.01, 0.001} {
		w, err := summary.NewWriter(filepath.Join(logdir, fmt.Sprintf("trial-%d", i)), &summary.Options{
			Now: func() time.Time { clock = clock.Add(time.Second); return clock },
		})
		if err != nil {
			log.Fatal(err)
		}
		if err := w.StartSession(map[string]any{"lr": lr, "opt": "sgd"}, nil); err != nil {
			log.Fatal(err)
		}
		for step, loss := range losses[i] {
			w.Scalar("loss", int64(step), loss)
		}
		if err := w.EndSession(summary.StatusSuccess); err != nil {
			log.Fatal(err)
		}
		if err := w.Close(); err != nil {
			log.Fatal(err)
		}
	}
	src, err := history.Open(logdir)
	if err != nil {
		log.Fatal(err)
	}
	defer src.Close()
	sums, err := history.Summarize(context.Background(), src, &history.Options{View: history.TensorBoard})
	if err != nil {
		log.Fatal(err)
	}
	return sums
}

// Compare the trials of a sweep as TensorBoard's HParams table does (the
// last loss), with the smallest loss and the steps of both: the trials
// whose last loss is below 0.5, best first, in CSV. A trial's duration
// runs from its session's start to its end.
func ExampleCompare() {
	c, err := table.Compare(sweepSummaries(), &table.CompareOptions{
		Stats: []table.Stat{table.Last, table.Min},
		Where: []string{"loss:last < 0.5"},
		Sort:  []string{"loss:last"},
	})
	if err != nil {
		log.Fatal(err)
	}
	if err := c.Write(os.Stdout, table.CSV); err != nil {
		log.Fatal(err)
	}
	best := c.Rows[0]
	fmt.Printf("best: %s, lr=%s\n", best[c.Column("run")], best[c.Column("lr")])
	// Output:
	// run,status,start_time,duration,lr,opt,loss:last,loss:last_step,loss:min,loss:min_step
	// trial-0,STATUS_SUCCESS,2023-11-14T22:13:22.000000Z,5,0.1,sgd,0.3,3,0.25,2
	// trial-1,STATUS_SUCCESS,2023-11-14T22:13:29.000000Z,5,0.01,sgd,0.45,3,0.45,3
	// best: trial-0, lr=0.1
}

// Show the trials of a sweep to people, as tbgo compare does: each
// tag's last value rounded, durations with units, the hyper-parameter
// every trial shares below the table, start times here in UTC. A Width
// would leave out the columns that do not fit, and WriteText would name
// them.
func ExampleComparison_WriteText() {
	c, err := table.Compare(sweepSummaries(), &table.CompareOptions{Sort: []string{"loss:last"}})
	if err != nil {
		log.Fatal(err)
	}
	if _, err := c.WriteText(os.Stdout, &table.TextOptions{Location: time.UTC}); err != nil {
		log.Fatal(err)
	}
	// Output:
	// run      status   start             duration     lr  loss
	// trial-0  success  2023-11-14 22:13      5.0s    0.1   0.3
	// trial-1  success  2023-11-14 22:13      5.0s   0.01  0.45
	// trial-2  success  2023-11-14 22:13      5.0s  0.001  0.96
	// every run: opt=sgd
}
