package tfevents_test

import (
	"bytes"
	"errors"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/tbgo/tbgo/proto/tbpb"
	"github.com/tbgo/tbgo/tfevents"
	"google.golang.org/protobuf/proto"
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

// Write an event file with CreateFile, then read its events back with
// ReadEventFile.
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

	// ReadEventFile suits a small, finished file; a Scanner streams any.
	evs, err := tfevents.ReadEventFile(w.FileName())
	if err != nil {
		log.Fatal(err)
	}
	for _, ev := range evs {
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

// Frame records into any io.Writer and scan them back from any io.Reader.
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

	s := tfevents.NewScanner(&buf)
	for s.Scan() {
		fmt.Printf("%q at offset %d\n", s.Record(), s.Offset())
	}
	if err := s.Err(); err != nil {
		log.Fatal(err)
	}
	fmt.Println("end:", s.End())
	// Output:
	// stream bytes: 59
	// "first" at offset 0
	// "second" at offset 21
	// "" at offset 43
	// end: 59
}

// Read an event file record by record, decoding each into an Event. Damage
// is skipped and reported to Damaged, in the words every tbgo command
// uses; the scan goes on with the next valid record.
func ExampleScanner() {
	var stream []byte
	for step := range int64(3) {
		data, err := proto.Marshal(scalarEvent(step, "loss", 1/float32(step+1)))
		if err != nil {
			log.Fatal(err)
		}
		stream = tfevents.AppendRecord(stream, data)
	}
	stream[60] ^= 0x01 // a flipped bit in the data of the second record

	s := tfevents.NewScanner(bytes.NewReader(stream))
	s.Name = "events.out.tfevents.1"
	s.Damaged = func(d *tfevents.Damage) error {
		fmt.Println(d)
		return nil // go on; an error here would end the scan
	}
	for s.Scan() {
		var ev tbpb.Event
		if err := proto.Unmarshal(s.Record(), &ev); err != nil {
			// Damage a decoder finds follows the same policy.
			s.Report(tfevents.Damage{Kind: tfevents.InvalidEvent, Err: err})
			continue
		}
		for _, val := range ev.GetSummary().GetValue() {
			fmt.Printf("step %d: %s = %.3g\n", ev.Step, val.Tag, val.GetSimpleValue())
		}
	}
	if err := s.Err(); err != nil {
		log.Fatal(err)
	}
	// Output:
	// step 0: loss = 1
	// tfevents: events.out.tfevents.1: offset 40: data crc: record data does not match its checksum (42 bytes skipped)
	// step 2: loss = 0.333
}

// With Strict set, the first damage ends the scan and is its error.
func ExampleScanner_strict() {
	stream := tfevents.AppendRecord(nil, []byte("first"))
	stream = tfevents.AppendRecord(stream, []byte("second"))
	stream[21+12] ^= 0x01 // a flipped bit in "second", the data of the record at 21

	s := tfevents.NewScanner(bytes.NewReader(stream))
	s.Strict = true
	for s.Scan() {
		fmt.Printf("%q\n", s.Record())
	}
	var d *tfevents.Damage
	if errors.As(s.Err(), &d) {
		fmt.Println(d.Kind, "at offset", d.Offset, errors.Is(d, tfevents.ErrCorrupt))
	}
	// Output:
	// "first"
	// data crc at offset 21 true
}

// A Scanner in Follow mode keeps a torn record, one a writer is half way
// through, pending; once the rest has been appended, the next Scan returns
// it. Await does the waiting for a file that grows.
func ExampleScanner_follow() {
	full := tfevents.AppendRecord(nil, []byte("complete"))
	var stream bytes.Buffer
	stream.Write(full[:10]) // the writer is half way through

	s := tfevents.NewScanner(&stream)
	s.Follow = true
	fmt.Println(s.Scan(), s.Pending(), s.Err())

	stream.Write(full[10:]) // the rest arrives
	fmt.Println(s.Scan(), string(s.Record()))
	// Output:
	// false 10 <nil>
	// true complete
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
