package sweep

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/tbgo/tbgo/history"
	"github.com/tbgo/tbgo/internal/testenv"
	_ "github.com/tbgo/tbgo/storage/cloud" // mem://
	"github.com/tbgo/tbgo/summary"
)

// TestOnlyBucket fans a sweep out as a job array does, four "processes"
// at once (goroutines, each its own RunJobs with Options.Only), writing
// one mem:// logdir: every trial's session is in its own run, the
// experiment at the root declares them, and running the whole sweep
// afterwards trains nothing.
func TestOnlyBucket(t *testing.T) {
	t.Parallel()
	logdir := testenv.MemBucket(t) + "/runs"
	body := "trials: 4\nseed: 5\nparams:\n  schedule.lr: {type: log_uniform, low: 1e-3, high: 1e-1}\n"
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := load(t, t.TempDir(), body)
			c.Logdir = logdir
			res, err := RunJobs(context.Background(), c, &Options{Only: []int{i}})
			if err == nil && (res.Trained != 1 || res.Trials[0].Err != nil) {
				err = errors.New("trial not trained")
				if res.Trials[0].Err != nil {
					err = res.Trials[0].Err
				}
			}
			errs[i] = err
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	dir := logdir + "/s"
	if _, err := summary.ReadExperiment(dir); err != nil {
		t.Fatal(err)
	}
	src, err := history.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	sums, err := history.Summarize(context.Background(), src, nil)
	if err != nil {
		t.Fatal(err)
	}
	sessions := 0
	for _, s := range sums {
		if strings.HasPrefix(s.Run, "trial-") && s.Session.Ended && s.Session.Status == summary.StatusSuccess {
			sessions++
		}
	}
	if sessions != 4 {
		t.Errorf("%d successful sessions in %d runs, want 4", sessions, len(sums))
	}

	c := load(t, t.TempDir(), body)
	c.Logdir = logdir
	res, err := RunJobs(context.Background(), c, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Trained != 0 || len(res.Trials) != 4 {
		t.Errorf("the whole sweep after its 4 single trials trained %d of %d", res.Trained, len(res.Trials))
	}
}

// TestFailedTrialBucket: a trial that failed in an object store is not
// trained again into the same run (nothing there is deleted, and a
// second session would hide behind the first); the error says what to do.
func TestFailedTrialBucket(t *testing.T) {
	t.Parallel()
	c, err := Parse([]byte("name: f\nmethod: grid\nmetric: score\nparams:\n  x: {type: choice, values: [1, 2]}\n"), "f.yaml")
	if err != nil {
		t.Fatal(err)
	}
	c.Logdir = testenv.MemBucket(t) + "/runs"
	fail := true
	train := func(ctx context.Context, tr *Trial) (Metrics, error) {
		if tr.Float("x") == 2 && fail {
			return nil, errors.New("out of memory")
		}
		return Metrics{"score": tr.Float("x")}, nil
	}
	res, err := Run(context.Background(), c, train, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Trained != 2 || res.Best == nil || res.Best.Float("x") != 1 {
		t.Fatalf("%d trained, best %+v", res.Trained, res.Best)
	}
	fail = false
	res, err = Run(context.Background(), c, train, nil)
	if err != nil {
		t.Fatal(err)
	}
	var retried *Trial
	for _, tr := range res.Trials {
		if tr.Float("x") == 2 {
			retried = tr
		}
	}
	if retried == nil || retried.Err == nil || !strings.Contains(retried.Err.Error(), "delete the run's objects") ||
		retried.Status != summary.StatusFailure {
		t.Errorf("the failed trial run again in a bucket: %+v, want an error saying to delete its objects", retried)
	}
}
