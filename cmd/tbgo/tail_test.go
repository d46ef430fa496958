package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tbgo/tbgo/archive"
	"github.com/tbgo/tbgo/history"
	"github.com/tbgo/tbgo/internal/dataservertest"
	"github.com/tbgo/tbgo/proto/tbpb"
	"github.com/tbgo/tbgo/summary"
	"github.com/tbgo/tbgo/tfevents"
)

// syncBuffer is a buffer safe for a writer and a reader at once.
type syncBuffer = dataservertest.Buffer

// waitFor polls until out holds every line of want (as CSV rows
// "run,tag,step"), failing after a generous deadline; it is not a timing
// assertion, only a bound on a test that would otherwise hang.
func waitFor(t *testing.T, out *syncBuffer, errc <-chan error, want ...string) {
	t.Helper()
	deadline := time.After(30 * time.Second)
	for {
		got := out.String()
		missing := ""
		for _, w := range want {
			if !strings.Contains(got, "\n"+w+",") {
				missing = w
				break
			}
		}
		if missing == "" {
			return
		}
		select {
		case err := <-errc:
			t.Fatalf("tail returned %v before printing %q; output:\n%s", err, missing, got)
		case <-deadline:
			t.Fatalf("no %q after 30s; output:\n%s", missing, got)
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// TestTail has writer goroutines append to a live logdir while tail runs:
// tail prints what is written after it starts, in new files and new runs
// too, and not what was there before (unless -all).
func TestTail(t *testing.T) {
	t.Parallel()
	for _, all := range []bool{false, true} {
		logdir := t.TempDir()
		old := writeScalars(t, filepath.Join(logdir, "train"), 0, "loss", 0, 1)
		tags, _ := history.Compile("loss", "acc")
		followed := make(chan string, 10)
		opts := &history.FollowOptions{Tags: tags, Poll: 10 * time.Millisecond, FromStart: all,
			Following: func(_, file string) { followed <- file }}
		var out syncBuffer
		ctx, cancel := context.WithCancel(context.Background())
		errc := make(chan error, 1)
		go func() { errc <- tail(ctx, logdir, opts, "csv", &out, &syncBuffer{}) }()

		// The first file grows while tail follows it.
		if f := <-followed; f != old {
			t.Fatalf("following %s, want %s", f, old)
		}
		appendEvents(t, old, "loss", 2, 3)
		waitFor(t, &out, errc, "train,loss,2", "train,loss,3")
		// A writer in a new run, flushing as it goes.
		w, err := summary.NewWriter(filepath.Join(logdir, "eval"), &summary.Options{FlushInterval: -1})
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		wg.Go(func() {
			for step := range int64(5) {
				w.Scalar("acc", step, float64(step)/10)
				w.Scalar("ignored", step, 1)
				w.Flush()
			}
		})
		wg.Wait()
		waitFor(t, &out, errc, "eval,acc,0", "eval,acc,4")
		cancel()
		if err := <-errc; err != nil {
			t.Fatalf("tail: %v", err)
		}
		w.Close()
		got := out.String()
		if strings.Contains(got, "ignored") {
			t.Errorf("-tag let another tag through:\n%s", got)
		}
		if before := strings.Contains(got, "\ntrain,loss,0,"); before != all {
			t.Errorf("-all %v: the values written before tail started printed: %v\n%s", all, before, got)
		}
		if !strings.HasPrefix(got, "run,tag,step,wall_time,value\n") || strings.Count(got, "run,tag") != 1 {
			t.Errorf("want one CSV header:\n%s", got)
		}
	}
}

func TestTailBadInput(t *testing.T) {
	t.Parallel()
	notes := filepath.Join(t.TempDir(), "notes.txt")
	mustNil(t, os.WriteFile(notes, []byte("hello"), 0o644))
	arc := filepath.Join(t.TempDir(), "a.tbar")
	logdir := t.TempDir()
	writeRun(t, logdir, 1)
	if _, err := archive.CreateFile(arc, logdir, archive.Options{}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{notes}, "not a logdir"},
		{[]string{arc}, "an archive, which does not grow"},
		{[]string{"-poll", "-1s", t.TempDir()}, "-poll"},
		{[]string{"-format", "parquet", t.TempDir()}, "parquet"},
		{[]string{"-tag", "re:(", t.TempDir()}, "re:("},
	} {
		_, _, err := runTool(t, append([]string{"tail"}, tc.args...)...)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("tail %q: %v, want an error saying %s", tc.args, err, tc.want)
		}
	}
}

// TestTailWaitsForLogdir tails a logdir that does not exist yet: tail says
// it waits, then prints the scalars of the run that appears.
func TestTailWaitsForLogdir(t *testing.T) {
	t.Parallel()
	logdir := filepath.Join(t.TempDir(), "later")
	var out, errOut syncBuffer
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	errc := make(chan error, 1)
	go func() {
		errc <- tail(ctx, logdir, &history.FollowOptions{Poll: 10 * time.Millisecond}, "csv", &out, &errOut)
	}()
	deadline := time.After(30 * time.Second)
	for !strings.Contains(errOut.String(), "waiting for event files in "+logdir) {
		select {
		case err := <-errc:
			t.Fatalf("tail returned %v; stderr:\n%s", err, errOut.String())
		case <-deadline:
			t.Fatalf("tail does not say it waits; stderr:\n%s", errOut.String())
		case <-time.After(10 * time.Millisecond):
		}
	}
	writeRun(t, filepath.Join(logdir, "train"), 0, 1)
	waitFor(t, &out, errc, "train,x,0", "train,x,1")
	cancel()
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
}

// appendEvents appends legacy scalar events (value step/10) to file.
func appendEvents(t *testing.T, file, tag string, steps ...int64) {
	t.Helper()
	f, err := os.OpenFile(file, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w := tfevents.NewWriter(f)
	for _, s := range steps {
		ev := &tbpb.Event{WallTime: 1700000000 + float64(s), Step: s, What: &tbpb.Event_Summary{Summary: &tbpb.Summary{
			Value: []*tbpb.Summary_Value{{Tag: tag, Value: &tbpb.Summary_Value_SimpleValue{SimpleValue: float32(s) / 10}}},
		}}}
		if err := w.WriteEvent(ev); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestTailText prints values at the precision they were stored with and
// wall times in RFC 3339 (issue 14, item 6).
func TestTailText(t *testing.T) {
	t.Parallel()
	logdir := t.TempDir()
	file := writeRun(t, filepath.Join(logdir, "train"))
	appendEvents(t, file, "loss", 1, 3) // float32 0.1 and 0.3
	var out syncBuffer
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() {
		errc <- tail(ctx, logdir, &history.FollowOptions{FromStart: true, Poll: 10 * time.Millisecond}, "text", &out, &syncBuffer{})
	}()
	want := "2023-11-14T22:13:21.000Z\ttrain\tloss\t1\t0.1\n2023-11-14T22:13:23.000Z\ttrain\tloss\t3\t0.3\n"
	deadline := time.After(30 * time.Second)
	for out.String() != want {
		select {
		case err := <-errc:
			t.Fatalf("tail returned %v; output:\n%s", err, out.String())
		case <-deadline:
			t.Fatalf("tail printed\n%q\nwant\n%q", out.String(), want)
		case <-time.After(10 * time.Millisecond):
		}
	}
	cancel()
	mustNil(t, <-errc)
}
