package storage_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"log"
	"slices"

	"github.com/tbgo/tbgo/storage"
	_ "github.com/tbgo/tbgo/storage/cloud" // s3://, gs://, azblob://, mem://
	"github.com/tbgo/tbgo/tfevents"
)

// A run written to a bucket through a Sink, and read back as a logdir:
// each Flush is one segment, an event file of the run.
func ExampleNewSink() {
	ctx := context.Background()
	// s3://bucket/logs?region=... works the same; mem:// needs no server.
	st, err := storage.Open(ctx, "mem://example-sink/logs")
	if err != nil {
		log.Fatal(err)
	}
	defer st.Close()

	sink, err := storage.NewSink(ctx, st.Bucket(), st.Key("train"), nil)
	if err != nil {
		log.Fatal(err)
	}
	// Fsync: Flush and Close upload; timed flushes only hand records over.
	w, err := tfevents.NewEventWriter(sink, &tfevents.FileOptions{Fsync: true})
	if err != nil {
		log.Fatal(err)
	}
	for step := range 4 {
		w.WriteEvent(scalarEvent(int64(step)))
		if step%2 == 1 {
			w.Flush() // returns once the segment is stored
		}
	}
	w.Close()
	if err := sink.Close(); err != nil {
		log.Fatal(err)
	}

	runs, err := tfevents.DiscoverRunsFS(st.FS(), ".")
	if err != nil {
		log.Fatal(err)
	}
	for _, r := range runs {
		fmt.Println(r.Name, len(r.Files), "event files")
	}
	// Output:
	// train 3 event files
}

// Sessions of a sweep merge their names into one object at the logdir's
// root; concurrent merges never lose one.
func ExampleUpdate() {
	ctx := context.Background()
	st, err := storage.Open(ctx, "mem://example-update/logs")
	if err != nil {
		log.Fatal(err)
	}
	defer st.Close()
	addSession := func(name string) error {
		return storage.Update(ctx, st.Bucket(), st.Key("sessions.json"), func(old []byte) ([]byte, error) {
			var names []string
			if old != nil {
				if err := json.Unmarshal(old, &names); err != nil {
					return nil, err
				}
			}
			if slices.Contains(names, name) {
				return nil, nil // nothing to change
			}
			return json.Marshal(append(names, name))
		})
	}
	for _, s := range []string{"lr=0.1", "lr=0.01", "lr=0.1"} {
		if err := addSession(s); err != nil {
			log.Fatal(err)
		}
	}
	data, _ := fs.ReadFile(st.FS(), "sessions.json")
	fmt.Println(string(data))
	// Output:
	// ["lr=0.1","lr=0.01"]
}

// Plain paths stay local; URLs need a registered scheme.
func ExampleIsURL() {
	for _, loc := range []string{"runs/exp1", `C:\runs`, "file:///tmp/runs", "s3://bucket/runs?region=us-east-1"} {
		fmt.Println(storage.IsURL(loc), loc)
	}
	// Output:
	// false runs/exp1
	// false C:\runs
	// true file:///tmp/runs
	// true s3://bucket/runs?region=us-east-1
}

func ExampleRedact() {
	fmt.Println(storage.Redact("azblob://container/logs?sas_token=abc&protocol=https"))
	// Output:
	// azblob://container/logs?sas_token=REDACTED&protocol=https
}

// Name runs below a logdir, local or in a bucket, with one call.
func ExampleJoin() {
	for _, logdir := range []string{"runs", "s3://bucket/runs?region=us-east-1"} {
		fmt.Println(storage.Join(logdir, "exp1", "rank0"))
	}
	// Output:
	// runs/exp1/rank0
	// s3://bucket/runs/exp1/rank0?region=us-east-1
}
