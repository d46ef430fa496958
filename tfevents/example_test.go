package tfevents_test

import (
	"bytes"
	"fmt"
	"io"
	"log"
	"os"
	"path/filepath"

	"github.com/tbgo/tbgo/proto/tbpb"
	"github.com/tbgo/tbgo/tfevents"
)

func scalarEvent(step int64, tag string, v float32) *tbpb.Event {
	return &tbpb.Event{
		WallTime: 1700000000 + float64(step),
		Step:     step,
		What: &tbpb.Event_Summary{Summary: &tbpb.Summary{Value: []*tbpb.Summary_Value{{
			Tag:   tag,
			Value: &tbpb.Summary_Value_SimpleValue{SimpleValue: v},
		}}}},
	}
}

// Write an event file with CreateFile, then read it back with Open.
func ExampleCreateFile() {
	logdir, err := os.MkdirTemp("", "tfevents-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(logdir)

	w, err := tfevents.CreateFile(filepath.Join(logdir, "train"), &tfevents.FileOptions{Suffix: ".v2"})
	if err != nil {
		log.Fatal(err)
	}
	for step := range int64(3) {
		if err := w.WriteEvent(scalarEvent(step, "loss", 1/float32(step+1))); err != nil {
			log.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil { // the records are now in the file
		log.Fatal(err)
	}
	if err := w.Close(); err != nil {
		log.Fatal(err)
	}

	r, err := tfevents.Open(w.FileName(), 0)
	if err != nil {
		log.Fatal(err)
	}
	defer r.Close()
	var ev tbpb.Event
	for {
		err := r.ReadEvent(&ev)
		if err == io.EOF {
			break
		}
		if err != nil {
			log.Fatal(err)
		}
		if v := ev.GetFileVersion(); v != "" {
			fmt.Printf("file_version %s, written by %s\n", v, ev.GetSourceMetadata().GetWriter())
			continue
		}
		for _, val := range ev.GetSummary().GetValue() {
			fmt.Printf("step %d: %s = %.3g\n", ev.Step, val.Tag, val.GetSimpleValue())
		}
	}
	// Output:
	// file_version brain.Event:2, written by tbgo
	// step 0: loss = 1
	// step 1: loss = 0.5
	// step 2: loss = 0.333
}

// Frame records into any io.Writer and read them back from any io.Reader.
func ExampleNewWriter() {
	var buf bytes.Buffer
	w := tfevents.NewWriter(&buf)
	for _, s := range []string{"first", "second", ""} {
		if err := w.WriteRecord([]byte(s)); err != nil {
			log.Fatal(err)
		}
	}
	if err := w.Close(); err != nil { // Close flushes; it does not close buf
		log.Fatal(err)
	}
	fmt.Println("stream bytes:", buf.Len())

	r := tfevents.NewReader(&buf)
	for {
		data, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("%q ends at offset %d\n", data, r.Offset())
	}
	// Output:
	// stream bytes: 59
	// "first" ends at offset 21
	// "second" ends at offset 43
	// "" ends at offset 59
}

// A reader meeting a torn record returns io.ErrUnexpectedEOF and keeps its
// place; once the writer has appended the rest, the same Reader goes on.
func ExampleReader_Next_torn() {
	full := tfevents.AppendRecord(nil, []byte("complete"))
	var stream bytes.Buffer
	stream.Write(full[:10]) // the writer is half way through

	r := tfevents.NewReader(&stream)
	_, err := r.Next()
	fmt.Println(err)

	stream.Write(full[10:]) // the rest arrives
	data, err := r.Next()
	fmt.Printf("%q %v\n", data, err)
	// Output:
	// unexpected EOF
	// "complete" <nil>
}

// AppendRecord frames one record: its length, the length's checksum, the
// data, the data's checksum. Here the data is the serialized first event of
// a file, Event{wall_time: 1599759586, file_version: "brain.Event:2"}.
func ExampleAppendRecord() {
	data := []byte("\x09\x00\x00\x80\x38\x99\xd6\xd7\x41\x1a\x0dbrain.Event:2")
	rec := tfevents.AppendRecord(nil, data)
	fmt.Printf("length:     % x\n", rec[:8])
	fmt.Printf("length crc: % x\n", rec[8:12])
	fmt.Printf("data:       %d bytes\n", len(rec[12:len(rec)-4]))
	fmt.Printf("data crc:   % x\n", rec[len(rec)-4:])
	fmt.Println(len(rec) == tfevents.RecordLen(len(data)))
	// Output:
	// length:     18 00 00 00 00 00 00 00
	// length crc: a3 7f 4b 22
	// data:       24 bytes
	// data crc:   12 4b 36 ab
	// true
}

// Find the runs of a logdir the way TensorBoard does.
func ExampleDiscoverRuns() {
	logdir, err := os.MkdirTemp("", "tfevents-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(logdir)
	for _, dir := range []string{"", "train", "eval", "sweep/lr=0.1"} {
		w, err := tfevents.CreateFile(filepath.Join(logdir, dir), &tfevents.FileOptions{Hostname: "host"})
		if err != nil {
			log.Fatal(err)
		}
		if err := w.Close(); err != nil {
			log.Fatal(err)
		}
	}
	// A directory without event files is not a run.
	if err := os.Mkdir(filepath.Join(logdir, "checkpoints"), 0o755); err != nil {
		log.Fatal(err)
	}

	runs, err := tfevents.DiscoverRuns(logdir)
	if err != nil {
		log.Fatal(err)
	}
	for _, run := range runs {
		fmt.Printf("%s: %d file(s)\n", run.Name, len(run.Files))
	}
	// Output:
	// .: 1 file(s)
	// eval: 1 file(s)
	// sweep/lr=0.1: 1 file(s)
	// train: 1 file(s)
}
