package archive_test

import (
	"bytes"
	"fmt"
	"io/fs"
	"log"
	"os"
	"path/filepath"

	"github.com/tbgo/tbgo/archive"
	"github.com/tbgo/tbgo/proto/tbpb"
	"github.com/tbgo/tbgo/tfevents"
)

// exampleLogdir writes a logdir with one run of n scalar events and a
// projector config, and returns its path.
func exampleLogdir(n int) string {
	logdir, err := os.MkdirTemp("", "archive-example")
	if err != nil {
		log.Fatal(err)
	}
	run := filepath.Join(logdir, "train")
	if err := os.Mkdir(run, 0o755); err != nil {
		log.Fatal(err)
	}
	f, err := os.Create(filepath.Join(run, "events.out.tfevents.1700000000.example"))
	if err != nil {
		log.Fatal(err)
	}
	w := tfevents.NewWriter(f)
	w.WriteEvent(&tbpb.Event{WallTime: 1700000000, What: &tbpb.Event_FileVersion{FileVersion: tfevents.FileVersion}})
	for step := range int64(n) {
		w.WriteEvent(&tbpb.Event{WallTime: 1700000000 + float64(step), Step: step, What: &tbpb.Event_Summary{Summary: &tbpb.Summary{
			Value: []*tbpb.Summary_Value{{Tag: "loss", Value: &tbpb.Summary_Value_SimpleValue{SimpleValue: 1 / float32(step+1)}}},
		}}})
	}
	if err := w.Close(); err != nil {
		log.Fatal(err)
	}
	if err := f.Close(); err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(logdir, "projector_config.pbtxt"), []byte("embeddings {}\n"), 0o644); err != nil {
		log.Fatal(err)
	}
	return logdir
}

// Archive a logdir, read an event file straight out of the archive, and
// restore the logdir byte for byte.
func Example() {
	logdir := exampleLogdir(1000)
	defer os.RemoveAll(logdir)
	out, err := os.MkdirTemp("", "archive-example-out")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(out)

	arc := filepath.Join(out, "runs.tbar")
	rep, err := archive.CreateFile(arc, logdir, archive.Options{})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("archived %d files, %d directories, %d bytes\n", rep.Files, rep.Dirs, rep.BytesIn)

	r, err := archive.Open(arc)
	if err != nil {
		log.Fatal(err)
	}
	defer r.Close()
	fs.WalkDir(r, ".", func(p string, d fs.DirEntry, err error) error {
		fmt.Println(" ", p)
		return err
	})
	f, err := r.Open("train/events.out.tfevents.1700000000.example")
	if err != nil {
		log.Fatal(err)
	}
	records := 0
	for sc := tfevents.NewScanner(f); sc.Scan(); {
		records++
	}
	f.Close()
	fmt.Println("records read from the archive:", records)

	restored := filepath.Join(out, "restored")
	if _, err := archive.Restore(arc, restored, archive.RestoreOptions{}); err != nil {
		log.Fatal(err)
	}
	a, _ := os.ReadFile(filepath.Join(logdir, "train/events.out.tfevents.1700000000.example"))
	b, _ := os.ReadFile(filepath.Join(restored, "train/events.out.tfevents.1700000000.example"))
	fmt.Println("restored byte for byte:", bytes.Equal(a, b))
	// Output:
	// archived 2 files, 2 directories, 42924 bytes
	//   .
	//   projector_config.pbtxt
	//   train
	//   train/events.out.tfevents.1700000000.example
	// records read from the archive: 1001
	// restored byte for byte: true
}

// Keep every 10th scalar of each tag and the last; the report says what
// was dropped.
func ExampleCompaction() {
	logdir := exampleLogdir(1000)
	defer os.RemoveAll(logdir)
	var buf bytes.Buffer
	rep, err := archive.Create(&buf, logdir, archive.Options{
		Compaction: archive.Compaction{ScalarFactor: 10},
	})
	if err != nil {
		log.Fatal(err)
	}
	for _, t := range rep.Compaction.Tags {
		fmt.Printf("run %q tag %q: kept %d %s values, dropped %d\n", t.Run, t.Tag, t.Kept, t.Kind, t.Dropped)
	}
	for _, f := range rep.Compaction.Files {
		fmt.Printf("%s: %d bytes -> %d bytes\n", f.Path, f.SizeBefore, f.SizeAfter)
	}
	// Output:
	// run "train" tag "loss": kept 101 scalar values, dropped 899
	// train/events.out.tfevents.1700000000.example: 42910 bytes -> 4368 bytes
}

func ExampleIsArchive() {
	logdir := exampleLogdir(1)
	defer os.RemoveAll(logdir)
	arc := filepath.Join(logdir, "runs.tbar")
	if _, err := archive.CreateFile(arc, logdir, archive.Options{}); err != nil {
		log.Fatal(err)
	}
	paths := []struct{ label, path string }{
		{"the archive", arc},
		{"a text file", filepath.Join(logdir, "projector_config.pbtxt")},
		{"a directory", logdir},
	}
	for _, p := range paths {
		ok, err := archive.IsArchive(p.path)
		fmt.Println(p.label, ok, err)
	}
	// Output:
	// the archive true <nil>
	// a text file false <nil>
	// a directory false <nil>
}
