package history_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/tbgo/tbgo/history"
	"github.com/tbgo/tbgo/internal/s3test"
	"github.com/tbgo/tbgo/storage"
	_ "github.com/tbgo/tbgo/storage/cloud"
	"github.com/tbgo/tbgo/summary"
	"github.com/tbgo/tbgo/tfevents"
)

// TestOpenURL reads a run that a storage.Sink wrote to a bucket, by the
// logdir's URL and by one segment's URL.
func TestOpenURL(t *testing.T) {
	ctx := context.Background()
	const loc = "mem://history-open-url/logs"
	st, err := storage.Open(ctx, loc)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	sink, err := storage.NewSink(ctx, st.Bucket(), st.Key("train"), nil)
	if err != nil {
		t.Fatal(err)
	}
	w, err := tfevents.NewEventWriter(sink, &tfevents.FileOptions{Fsync: true})
	if err != nil {
		t.Fatal(err)
	}
	for step := range int64(10) {
		if err := w.WriteEvent(scalarEvent("loss", step, float32(step))); err != nil {
			t.Fatal(err)
		}
		if step%3 == 2 {
			w.Flush() // a segment
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := sink.Close(); err != nil {
		t.Fatal(err)
	}

	src, err := history.Open(loc)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	if runs := src.Runs(); len(runs) != 1 || runs[0].Name != "train" || len(runs[0].Files) < 4 {
		t.Fatalf("runs %+v, want run train in several segments", runs)
	}
	var steps []int64
	err = src.Scalars(ctx, nil, func(s *history.Scalar) error {
		steps = append(steps, s.Step)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(steps, []int64{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}) {
		t.Errorf("steps %v", steps)
	}
	file := src.Runs()[0].Files[1]
	if name := src.FileName(file); name != loc+"/"+file {
		t.Errorf("FileName(%s) = %s, want %s", file, name, loc+"/"+file)
	}

	one, err := history.Open(loc + "/" + file)
	if err != nil {
		t.Fatal(err)
	}
	defer one.Close()
	if runs := one.Runs(); len(runs) != 1 || len(runs[0].Files) != 1 || !strings.HasSuffix(one.Path(), file) {
		t.Errorf("opening one segment: path %s, runs %+v", one.Path(), runs)
	}
}

// TestReadS3Requests counts what reading a logdir of nested runs in a
// real S3 server costs: one LIST to discover its runs, then one GET per
// event file, each read to its end with no request past it.
func TestReadS3Requests(t *testing.T) {
	srv := s3test.Start(t)
	c := srv.Count(t)
	for _, run := range []string{"a", "b/c", "b/d/e"} {
		w, err := summary.NewWriter(c.URL("tbgo", "read/"+run), nil)
		if err != nil {
			t.Fatal(err)
		}
		for i := range 100 {
			if i == 50 {
				w.Flush() // a second segment
			}
			w.Scalar("loss", int64(i), float64(i))
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
	}
	c.Take()
	src, err := history.Open(c.URL("tbgo", "read"))
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	if reqs := c.Take(); len(reqs) != 1 || reqs[0].Kind != "LIST" {
		t.Errorf("Open made %v, want one LIST", reqs)
	}
	n := 0
	if err := src.Scalars(context.Background(), nil, func(*history.Scalar) error { n++; return nil }); err != nil {
		t.Fatal(err)
	}
	if n != 300 {
		t.Errorf("read %d scalars, want 300", n)
	}
	files := 0
	for _, r := range src.Runs() {
		files += len(r.Files)
	}
	reqs := c.Take()
	for _, r := range reqs {
		if r.Kind != "GET" || r.Status != 200 || r.Range != "" {
			t.Errorf("reading the scalars made %v, want whole-object GETs only", r)
		}
	}
	if len(reqs) != files {
		t.Errorf("reading %d event files made %d requests: %v", files, len(reqs), reqs)
	}
}
