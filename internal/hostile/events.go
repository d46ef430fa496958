// Package hostile writes inputs built to break readers, and runs readers
// over them in a child process under a memory ceiling and a time limit.
// It is for tests: the generators take a testing.TB and fail it on an
// error.
//
// Each generator writes one class of hostile input, as found by
// adversarial testing of tbgo (issue 11): a record holding a million
// values, a huge value, a record over the readers' length limit, wall
// times that are not finite, tags whose media file names collide with
// other tags' directories, a thousand tags, a megabyte tag, names that are
// not UTF-8, a symbolic-link DAG that reaches one directory 2^n ways, an
// archive whose small size hides a huge manifest. Corpus writes one of
// each.
//
// A reader's memory and time are measured by running it in a child
// process: Run runs any command (the tbgo binary, say), RunChild runs a
// test of the running test binary again, each killed as soon as its
// resident memory passes Limits.MaxRSS or its time Limits.Timeout.
//
//	func TestHostile(t *testing.T) {
//		if arg, ok := hostile.ChildArg(t); ok {
//			read(arg) // the work measured; a failure fails the child
//			return
//		}
//		for _, c := range hostile.Corpus(t, t.TempDir()) {
//			lim := hostile.Limits{MaxRSS: 256 << 20, Timeout: time.Minute}
//			usage, output, err := hostile.RunChild("TestHostile", c.Path, lim)
//			...
//		}
//	}
package hostile

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"image"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	"github.com/tbgo/tbgo/proto/tbpb"
	"github.com/tbgo/tbgo/tfevents"
)

// FileName is the base name every generator gives the event file it
// writes.
const FileName = "events.out.tfevents.1700000000.hostile"

// WallTime is the wall time of the events the generators write, where
// the wall time is not the point.
const WallTime = 1700000000

// EventFile writes an event file named FileName in dir (created if need
// be) holding the file_version event and then records, each a serialized
// Event framed as a record, and returns its path.
func EventFile(t testing.TB, dir string, records ...[]byte) string {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	name := filepath.Join(dir, FileName)
	if err := os.WriteFile(name, eventFileBytes(records...), 0o644); err != nil {
		t.Fatal(err)
	}
	return name
}

// eventFileBytes returns an event file holding the file_version event and
// then records.
func eventFileBytes(records ...[]byte) []byte {
	b := tfevents.AppendRecord(nil, Event(&tbpb.Event{WallTime: WallTime, What: &tbpb.Event_FileVersion{FileVersion: tfevents.FileVersion}}))
	for _, r := range records {
		b = tfevents.AppendRecord(b, r)
	}
	return b
}

// Event returns ev serialized. It panics if ev cannot be marshaled, which
// only a programming error makes happen.
func Event(ev *tbpb.Event) []byte {
	b, err := proto.Marshal(ev)
	if err != nil {
		panic(fmt.Sprintf("hostile: %v", err))
	}
	return b
}

// Scalar returns an event holding one scalar, in the legacy simple_value
// form every reader knows.
func Scalar(tag string, step int64, v float32) []byte {
	return Event(&tbpb.Event{WallTime: WallTime, Step: step, What: &tbpb.Event_Summary{Summary: &tbpb.Summary{
		Value: []*tbpb.Summary_Value{{Tag: tag, Value: &tbpb.Summary_Value_SimpleValue{SimpleValue: v}}},
	}}})
}

// scalars returns events holding scalar tag at steps from to to-1.
func scalars(tag string, from, to int64) [][]byte {
	var recs [][]byte
	for step := from; step < to; step++ {
		recs = append(recs, Scalar(tag, step, float32(step)))
	}
	return recs
}

// ManyValues writes, in dir, an event file whose second record is one
// event holding n empty summary values (two bytes each), between scalars
// "before" (steps 0 to 2) and "after" (steps 0 to 2). A reader must hold
// memory bounded by the record, not n times a value's error or output.
func ManyValues(t testing.TB, dir string, n int) string {
	t.Helper()
	var sum []byte
	for range n {
		sum = protowire.AppendTag(sum, 1, protowire.BytesType) // Summary.value
		sum = protowire.AppendVarint(sum, 0)
	}
	ev := Event(&tbpb.Event{WallTime: WallTime, Step: 1})
	ev = protowire.AppendTag(ev, 5, protowire.BytesType) // Event.summary
	ev = protowire.AppendBytes(ev, sum)
	recs := scalars("before", 0, 3)
	recs = append(recs, ev)
	return EventFile(t, dir, append(recs, scalars("after", 0, 3)...)...)
}

// HugeValue writes, in dir, an event file holding one text value of size
// bytes (tag "huge", step 1) between scalars "before" and "after" (steps 0
// to 2 each). size must leave the record under tfevents.DefaultMaxRecordLen.
func HugeValue(t testing.TB, dir string, size int) string {
	t.Helper()
	text := bytes.Repeat([]byte("hostile "), size/8+1)[:size]
	ev := Event(&tbpb.Event{WallTime: WallTime, Step: 1, What: &tbpb.Event_Summary{Summary: &tbpb.Summary{
		Value: []*tbpb.Summary_Value{{
			Tag:      "huge",
			Metadata: &tbpb.SummaryMetadata{PluginData: &tbpb.SummaryMetadata_PluginData{PluginName: "text"}},
			Value: &tbpb.Summary_Value_Tensor{Tensor: &tbpb.TensorProto{
				Dtype: tbpb.DataType_DT_STRING, StringVal: [][]byte{text},
			}},
		}},
	}}})
	recs := scalars("before", 0, 3)
	recs = append(recs, ev)
	return EventFile(t, dir, append(recs, scalars("after", 0, 3)...)...)
}

// OversizedRecord writes, in dir, an event file with scalars "before"
// (steps 0 to 2), then a record of length bytes whose length field's
// checksum holds, then scalars "after" (steps 0 to 2). The record's bytes
// are a hole in a sparse file, so a length over
// tfevents.DefaultMaxRecordLen costs no disk; its data checksum does not
// hold, which a reader that skips it without reading it never sees. A
// reader must skip it and read the scalars after it.
func OversizedRecord(t testing.TB, dir string, length int64) string {
	t.Helper()
	name := EventFile(t, dir, scalars("before", 0, 3)...)
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	// The header, then a hole of length+4 bytes (the data and its
	// checksum), then the scalars after.
	hdr := binary.LittleEndian.AppendUint64(nil, uint64(length))
	hdr = binary.LittleEndian.AppendUint32(hdr, tfevents.MaskedCRC(hdr))
	if _, err := f.Write(hdr); err != nil {
		t.Fatal(err)
	}
	info, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(info.Size() + length + 4); err != nil {
		t.Fatal(err)
	}
	var after []byte
	for _, r := range scalars("after", 0, 3) {
		after = tfevents.AppendRecord(after, r)
	}
	if _, err := f.Write(after); err != nil { // O_APPEND: after the hole
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return name
}

// NonFiniteWallTimes writes, in dir, an event file in which scalar "x" at
// steps 1, 2 and 3 has wall times NaN, +Inf and -Inf, between steps 0 and
// 4 with a finite one. Writers refuse such times; readers must give one
// answer for them whatever the output format.
func NonFiniteWallTimes(t testing.TB, dir string) string {
	t.Helper()
	var recs [][]byte
	for step, wall := range []float64{WallTime, math.NaN(), math.Inf(1), math.Inf(-1), WallTime + 4} {
		recs = append(recs, Event(&tbpb.Event{WallTime: wall, Step: int64(step), What: &tbpb.Event_Summary{Summary: &tbpb.Summary{
			Value: []*tbpb.Summary_Value{{Tag: "x", Value: &tbpb.Summary_Value_SimpleValue{SimpleValue: float32(step)}}},
		}}}))
	}
	return EventFile(t, dir, recs...)
}

// CollidingTags writes, in dir, an event file holding images under the
// tags "img" and "img/step1_0.png" at step 1: legal tags, whose media
// files a naive export would write at a path that is also a directory.
func CollidingTags(t testing.TB, dir string) string {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, image.NewGray(image.Rect(0, 0, 1, 1))); err != nil {
		t.Fatal(err)
	}
	var recs [][]byte
	for _, tag := range []string{"img", "img/step1_0.png", "img/step1_0.png/x"} {
		recs = append(recs, Event(&tbpb.Event{WallTime: WallTime, Step: 1, What: &tbpb.Event_Summary{Summary: &tbpb.Summary{
			Value: []*tbpb.Summary_Value{{Tag: tag, Value: &tbpb.Summary_Value_Image{Image: &tbpb.Summary_Image{
				Height: 1, Width: 1, Colorspace: 1, EncodedImageString: b.Bytes(),
			}}}},
		}}}))
	}
	return EventFile(t, dir, recs...)
}

// ManyTags writes, in dir, an event file holding n scalar tags ("t0000",
// "t0001", ...; and "g/t0000" ... for every tenth, so that some hold a
// slash), one point each: a plot of everything would need n panels.
func ManyTags(t testing.TB, dir string, n int) string {
	t.Helper()
	var recs [][]byte
	for i := range n {
		tag := fmt.Sprintf("t%04d", i)
		if i%10 == 0 {
			tag = "g/" + tag
		}
		recs = append(recs, Scalar(tag, 0, float32(i)))
	}
	return EventFile(t, dir, recs...)
}

// LongTag writes, in dir, an event file holding scalar "short" and a
// scalar whose tag is size bytes long, at steps 0 to 2: a reader that pads
// every line to the longest tag writes size bytes per line.
func LongTag(t testing.TB, dir string, size int) string {
	t.Helper()
	long := strings.Repeat("L", size)
	var recs [][]byte
	for step := range int64(3) {
		recs = append(recs, Scalar("short", step, 1), Scalar(long, step, 2))
	}
	return EventFile(t, dir, recs...)
}
