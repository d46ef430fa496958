package dataserver

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/tbgo/tbgo/proto/tbpb"
	"github.com/tbgo/tbgo/tfevents"
)

// scalarRecords returns the records of n scalar events of four tags, as a
// training loop writes them: one tag an event.
func scalarRecords(tb testing.TB, n int) []byte {
	tb.Helper()
	var data []byte
	for i := range n {
		rec, err := proto.Marshal(scalarEvent(fmt.Sprintf("loss/%d", i%4), int64(i/4), float32(i)))
		if err != nil {
			tb.Fatal(err)
		}
		data = tfevents.AppendRecord(data, rec)
	}
	return data
}

// loadRecords loads the records of data into r as a load cycle does.
func loadRecords(s *Server, r *run, data []byte) {
	ef := &eventFile{name: "events.out.tfevents.1"}
	ef.sc = tfevents.NewScanner(bytes.NewReader(data))
	for ef.sc.Scan() {
		r.record(s, ef)
	}
}

// TestScalarLoadAllocs checks that loading a scalar of a series that
// exists, the bulk of every logdir, allocates nothing once the series'
// reservoir is full.
func TestScalarLoadAllocs(t *testing.T) {
	s := New(nil, ".", "", nil)
	r := newRun("train")
	data := scalarRecords(t, 8000) // 2000 a tag: reservoirs of 1000 full
	loadRecords(s, r, data)
	allocs := testing.AllocsPerRun(10, func() { loadRecords(s, r, data) })
	// A Scanner and its buffer a run of 8000 records: none a record.
	if perRecord := allocs / 8000; perRecord > 0.01 {
		t.Errorf("%.0f allocations loading 8000 scalar records, %.3f a record; want none a record", allocs, perRecord)
	}
	if n := r.series["loss/0"].len(); n != 1000 {
		t.Errorf("series loss/0 holds %d points, want 1000", n)
	}
}

// BenchmarkLoadScalars loads scalar events of four tags into a run.
func BenchmarkLoadScalars(b *testing.B) {
	s := New(nil, ".", "", nil)
	r := newRun("train")
	data := scalarRecords(b, 8000)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		loadRecords(s, r, data)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*8000), "ns/record")
}

// BenchmarkLoadHistograms loads legacy histogram events from a file, which
// the series read again when asked: the tensors are checked, not kept.
func BenchmarkLoadHistograms(b *testing.B) {
	s := New(nil, ".", "", nil)
	r := newRun("train")
	var data []byte
	for i := range 2000 {
		h := &tbpb.HistogramProto{Min: 0, Max: 1, Num: 3, BucketLimit: []float64{0.5, 1}, Bucket: []float64{1, 2}}
		rec, err := proto.Marshal(&tbpb.Event{WallTime: 1, Step: int64(i), What: &tbpb.Event_Summary{Summary: &tbpb.Summary{
			Value: []*tbpb.Summary_Value{{Tag: "h", Value: &tbpb.Summary_Value_Histo{Histo: h}}}}}})
		if err != nil {
			b.Fatal(err)
		}
		data = tfevents.AppendRecord(data, rec)
	}
	path := filepath.Join(b.TempDir(), "events.out.tfevents.1")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		b.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		ef := &eventFile{name: path, f: f}
		ef.sc = tfevents.NewScanner(io.NewSectionReader(f, 0, int64(len(data))))
		for ef.sc.Scan() {
			r.record(s, ef)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*2000), "ns/record")
}
