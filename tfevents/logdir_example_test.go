package tfevents_test

import (
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/tbgo/tbgo/tfevents"
)

// A Discovery tells what it leaves out: here a link to a run (each
// directory is read once, under its own name rather than a link's), a link
// to nothing, and, through io/fs, a directory whose name is not UTF-8.
func ExampleDiscovery() {
	logdir, err := os.MkdirTemp("", "tfevents-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(logdir)
	for _, dir := range []string{"train", "eval\xff"} {
		w, err := tfevents.CreateFile(filepath.Join(logdir, dir), &tfevents.FileOptions{Hostname: "host"})
		if err != nil {
			log.Fatal(err)
		}
		if err := w.Close(); err != nil {
			log.Fatal(err)
		}
	}
	if err := os.Symlink("train", filepath.Join(logdir, "latest")); err != nil {
		log.Fatal(err)
	}
	if err := os.Symlink("nowhere", filepath.Join(logdir, "old")); err != nil {
		log.Fatal(err)
	}

	d := tfevents.Discovery{Skipped: func(s tfevents.Skip) { fmt.Println(s) }}
	runs, err := d.RunsFS(os.DirFS(logdir), ".")
	if err != nil {
		log.Fatal(err)
	}
	for _, run := range runs {
		fmt.Printf("run %s: %d file(s)\n", run.Name, len(run.Files))
	}
	// Output:
	// skipped "eval\xff": name is not valid UTF-8, which an io/fs file system cannot open
	// skipped latest: same directory as train, which is read once
	// skipped old: dangling symbolic link
	// run train: 1 file(s)
}
