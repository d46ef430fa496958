//go:build compat

package compat

import (
	"context"
	"encoding/binary"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/proto"

	dp "github.com/tbgo/tbgo/proto/dataproviderpb"
	"github.com/tbgo/tbgo/proto/tbpb"
	"github.com/tbgo/tbgo/summary"
	"github.com/tbgo/tbgo/tfevents"
)

// The deliberate differences of tbgo-data-server from RustBoard
// (docs/DATASERVER.md), each shown against RustBoard on the same logdir.

// client returns a data provider client of s.
func (s *dataServer) client(t *testing.T) dp.TensorBoardDataProviderClient {
	t.Helper()
	conn, err := grpc.NewClient("localhost:"+strconv.Itoa(s.Port), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return dp.NewTensorBoardDataProviderClient(conn)
}

// readScalars returns the steps and values of run/tag that s serves, and
// whether ListScalars lists the tag.
func readScalars(t *testing.T, s *dataServer, run, tag string) (steps []int64, values []float32, listed bool) {
	t.Helper()
	c := s.client(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	rtf := &dp.RunTagFilter{Runs: &dp.RunFilter{Names: []string{run}}, Tags: &dp.TagFilter{Names: []string{tag}}}
	res, err := c.ReadScalars(ctx, &dp.ReadScalarsRequest{PluginFilter: &dp.PluginFilter{PluginName: "scalars"},
		RunTagFilter: rtf, Downsample: &dp.Downsample{NumPoints: 1 << 40}})
	if err != nil {
		t.Fatalf("%s: ReadScalars: %v", s.name, err)
	}
	for _, r := range res.Runs {
		for _, e := range r.Tags {
			steps, values = e.Data.Step, e.Data.Value
		}
	}
	ls, err := c.ListScalars(ctx, &dp.ListScalarsRequest{PluginFilter: &dp.PluginFilter{PluginName: "scalars"}, RunTagFilter: rtf})
	if err != nil {
		t.Fatalf("%s: ListScalars: %v", s.name, err)
	}
	return steps, values, len(ls.Runs) == 1
}

// bothServers starts tbgo-data-server and RustBoard on logdir with flags.
func bothServers(t *testing.T, logdir string, flags ...string) (ours, theirs *dataServer) {
	t.Helper()
	flags = append([]string{"--reload=once", keepAll}, flags...)
	return startDataServer(t, "tbgo-data-server", tbgoDataServer(t), logdir, flags...),
		startDataServer(t, "rustboard", rustBoard(t), logdir, flags...)
}

func writeEvents(t *testing.T, dir string, evs ...*tbpb.Event) {
	t.Helper()
	w, err := tfevents.CreateFile(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, ev := range evs {
		if err := w.WriteEvent(ev); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestDifferencePurgeOnRestart: a run resumed from a checkpoint with
// summary.Options.PurgeStep (a SessionLog START) loses, in every series,
// the steps after the checkpoint, as TensorBoard's Python loader shows it;
// RustBoard ignores SessionLog and keeps the orphaned steps of series the
// resumed run does not log again.
func TestDifferencePurgeOnRestart(t *testing.T) {
	logdir := t.TempDir()
	run := filepath.Join(logdir, "resumed")
	clock := time.Unix(1_700_000_000, 0)
	now := func() time.Time { clock = clock.Add(time.Millisecond); return clock }
	for session, steps := range [][2]int64{{0, 15}, {10, 12}} {
		opts := &summary.Options{Now: now}
		if session == 1 {
			opts.PurgeStep = 10
		}
		w, err := summary.NewWriter(run, opts)
		if err != nil {
			t.Fatal(err)
		}
		for step := steps[0]; step <= steps[1]; step++ {
			for _, tag := range []string{"a", "c"} {
				if session == 1 && tag == "c" {
					continue
				}
				if err := w.Scalar(tag, step, float64(100*session)+float64(step)); err != nil {
					t.Fatal(err)
				}
			}
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
	}
	ours, theirs := bothServers(t, logdir)
	upTo := func(n int64) []int64 {
		var s []int64
		for i := int64(0); i <= n; i++ {
			s = append(s, i)
		}
		return s
	}
	for _, tt := range []struct {
		s    *dataServer
		tag  string
		want []int64
	}{
		{ours, "a", upTo(12)}, {theirs, "a", upTo(12)},
		{ours, "c", upTo(9)}, {theirs, "c", upTo(15)},
	} {
		if steps, _, _ := readScalars(t, tt.s, "resumed", tt.tag); !slices.Equal(steps, tt.want) {
			t.Errorf("%s: %s steps %v, want %v", tt.s.name, tt.tag, steps, tt.want)
		}
	}
	r := diffServers(t, diffConfig{Purged: [][2]string{{"resumed", "c"}}}, ours, theirs, nil)
	checkReport(t, r, 50)
}

// TestDifferenceNonFloatScalars: scalars written as DT_DOUBLE (PyTorch's
// double_precision), DT_INT32 or DT_INT64 tensors, or of shape [1], are
// shown, as TensorBoard's Python loader shows them; RustBoard takes only
// rank-0 DT_FLOAT and hides the rest.
func TestDifferenceNonFloatScalars(t *testing.T) {
	logdir := t.TempDir()
	md := &tbpb.SummaryMetadata{PluginData: &tbpb.SummaryMetadata_PluginData{PluginName: "scalars"}, DataClass: tbpb.DataClass_DATA_CLASS_SCALAR}
	ev := func(tag string, step int64, tensor *tbpb.TensorProto) *tbpb.Event {
		return &tbpb.Event{WallTime: 1e9 + float64(step), Step: step, What: &tbpb.Event_Summary{Summary: &tbpb.Summary{
			Value: []*tbpb.Summary_Value{{Tag: tag, Metadata: md, Value: &tbpb.Summary_Value_Tensor{Tensor: tensor}}}}}}
	}
	content := binary.LittleEndian.AppendUint64(nil, math.Float64bits(1.0/3))
	writeEvents(t, filepath.Join(logdir, "run"),
		ev("double", 1, &tbpb.TensorProto{Dtype: tbpb.DataType_DT_DOUBLE, TensorContent: content}),
		ev("int64", 1, &tbpb.TensorProto{Dtype: tbpb.DataType_DT_INT64, Int64Val: []int64{42}}),
		ev("shape1", 1, &tbpb.TensorProto{Dtype: tbpb.DataType_DT_FLOAT, FloatVal: []float32{2.5},
			TensorShape: &tbpb.TensorShapeProto{Dim: []*tbpb.TensorShapeProto_Dim{{Size: 1}}}}),
		ev("float", 1, &tbpb.TensorProto{Dtype: tbpb.DataType_DT_FLOAT, FloatVal: []float32{0.5}}))
	ours, theirs := bothServers(t, logdir)
	for tag, want := range map[string]float32{"double": float32(1.0 / 3), "int64": 42, "shape1": 2.5, "float": 0.5} {
		steps, vals, listed := readScalars(t, ours, "run", tag)
		if !listed || !slices.Equal(steps, []int64{1}) || vals[0] != want {
			t.Errorf("ours: %s = %v %v (listed %v), want step 1 = %v", tag, steps, vals, listed, want)
		}
		steps, _, listed = readScalars(t, theirs, "run", tag)
		if hidden := len(steps) == 0 && !listed; hidden != (tag != "float") {
			t.Errorf("rustboard: %s = %v (listed %v): want hidden unless DT_FLOAT rank 0", tag, steps, listed)
		}
	}
}

// TestDifferenceLegacyHistograms: a TensorFlow 1 HistogramProto converts
// as TensorBoard's Python loader converts it, the empty buckets at both
// ends dropped; RustBoard keeps them, so that its outer buckets run from
// min to the first limit and can have a left edge right of their right
// edge.
func TestDifferenceLegacyHistograms(t *testing.T) {
	logdir := t.TempDir()
	histo := &tbpb.HistogramProto{Min: -1, Max: 3, Num: 4, BucketLimit: []float64{-10, 0, 2, 5, 1e10}, Bucket: []float64{0, 1, 3, 0, 0}}
	writeEvents(t, filepath.Join(logdir, "run"), &tbpb.Event{WallTime: 1e9, Step: 1, What: &tbpb.Event_Summary{
		Summary: &tbpb.Summary{Value: []*tbpb.Summary_Value{{Tag: "h", Value: &tbpb.Summary_Value_Histo{Histo: histo}}}}}})
	ours, theirs := bothServers(t, logdir)
	rows := func(s *dataServer) [][3]float64 {
		res, err := s.client(t).ReadTensors(context.Background(), &dp.ReadTensorsRequest{
			PluginFilter: &dp.PluginFilter{PluginName: "histograms"}, Downsample: &dp.Downsample{NumPoints: 10}})
		if err != nil || len(res.Runs) != 1 {
			t.Fatalf("%s: ReadTensors = %v, %v", s.name, res, err)
		}
		tp := res.Runs[0].Tags[0].Data.Value[0]
		var out [][3]float64
		c := tp.GetTensorContent()
		for i := 0; i+24 <= len(c); i += 24 {
			var r [3]float64
			for j := range r {
				r[j] = math.Float64frombits(binary.LittleEndian.Uint64(c[i+8*j:]))
			}
			out = append(out, r)
		}
		return out
	}
	if got, want := rows(ours), [][3]float64{{-1, 0, 1}, {0, 3, 3}}; !slices.Equal(got, want) {
		t.Errorf("ours: buckets %v, want %v", got, want)
	}
	if got, want := rows(theirs), [][3]float64{{-1, -10, 0}, {-10, 0, 1}, {0, 2, 3}, {2, 5, 0}, {5, 3, 0}}; !slices.Equal(got, want) {
		t.Errorf("rustboard: buckets %v, want %v", got, want)
	}
}

// TestDifferenceDamagedRecords: without --checksum, a record whose data
// checksum fails is skipped and the file read on; RustBoard, which checks
// the data checksum only of records that do not parse, serves the damaged
// value. (With --checksum both stop reading the file at the damage:
// TestDataServerMatchesRustBoard.)
func TestDifferenceDamagedRecords(t *testing.T) {
	setup(t)
	c := fx.logdir.Corrupt
	ours, theirs := bothServers(t, fx.control)
	var want []int64
	for i, p := range c.Points {
		if i != c.Index {
			want = append(want, p.Step)
		}
	}
	if steps, _, _ := readScalars(t, ours, c.Run, c.Tag); !slices.Equal(steps, want) {
		t.Errorf("ours: steps %v, want %v (the damaged record skipped)", steps, want)
	}
	steps, vals, _ := readScalars(t, theirs, c.Run, c.Tag)
	if i := slices.Index(steps, c.Points[c.Index].Step); i < 0 || vals[i] != c.Damaged {
		t.Errorf("rustboard: steps %v values %v, want the damaged value %v at step %d", steps, vals, c.Damaged, c.Points[c.Index].Step)
	}
}

// TestDifferenceProfileEmpty: the profiler's ".profile-empty" files do not
// make a run, as in TensorBoard's Python loader; RustBoard lists their
// directory as a run.
func TestDifferenceProfileEmpty(t *testing.T) {
	logdir := t.TempDir()
	dir := filepath.Join(logdir, "plugins", "profile", "2024_01_01")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	var rec []byte
	b, _ := proto.Marshal(&tbpb.Event{WallTime: 1e9, What: &tbpb.Event_FileVersion{FileVersion: "brain.Event:2"}})
	rec = tfevents.AppendRecord(rec, b)
	if err := os.WriteFile(filepath.Join(dir, "events.out.tfevents.1.host.profile-empty"), rec, 0o644); err != nil {
		t.Fatal(err)
	}
	writeEvents(t, filepath.Join(logdir, "train"), &tbpb.Event{WallTime: 1e9, Step: 1, What: &tbpb.Event_Summary{
		Summary: &tbpb.Summary{Value: []*tbpb.Summary_Value{{Tag: "x", Value: &tbpb.Summary_Value_SimpleValue{SimpleValue: 1}}}}}})
	ours, theirs := bothServers(t, logdir)
	runs := func(s *dataServer) []string {
		res, err := s.client(t).ListRuns(context.Background(), &dp.ListRunsRequest{})
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, r := range res.Runs {
			names = append(names, r.Name)
		}
		slices.Sort(names)
		return names
	}
	if got := runs(ours); !slices.Equal(got, []string{"train"}) {
		t.Errorf("ours: runs %q, want [train]", got)
	}
	if got := runs(theirs); !slices.Equal(got, []string{"plugins/profile/2024_01_01", "train"}) {
		t.Errorf("rustboard: runs %q, want the profile directory too", got)
	}
}

// TestDifferenceSmall pins the smaller differences of docs/DATASERVER.md,
// in inputs no writer makes on purpose.
func TestDifferenceSmall(t *testing.T) {
	logdir := t.TempDir()
	scalar := func(wall float64, step int64) *tbpb.Event {
		return &tbpb.Event{WallTime: wall, Step: step, What: &tbpb.Event_Summary{Summary: &tbpb.Summary{
			Value: []*tbpb.Summary_Value{{Tag: "x", Value: &tbpb.Summary_Value_SimpleValue{SimpleValue: float32(step)}}}}}}
	}
	// A NaN wall time: the event is skipped; RustBoard abandons the file.
	// (tbgo's writers refuse such times: the records are framed by hand.)
	var nan []byte
	for _, ev := range []*tbpb.Event{scalar(1e9, 0), scalar(math.NaN(), 1), scalar(1e9+2, 2)} {
		b, err := proto.Marshal(ev)
		if err != nil {
			t.Fatal(err)
		}
		nan = tfevents.AppendRecord(nan, b)
	}
	if err := os.MkdirAll(filepath.Join(logdir, "nan"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(logdir, "nan", "events.out.tfevents.1"), nan, 0o644); err != nil {
		t.Fatal(err)
	}
	// A histogram tensor of the wrong shape: left out; RustBoard serves it.
	md := &tbpb.SummaryMetadata{PluginData: &tbpb.SummaryMetadata_PluginData{PluginName: "histograms"}, DataClass: tbpb.DataClass_DATA_CLASS_TENSOR}
	writeEvents(t, filepath.Join(logdir, "badhist"), &tbpb.Event{WallTime: 1e9, Step: 1, What: &tbpb.Event_Summary{Summary: &tbpb.Summary{
		Value: []*tbpb.Summary_Value{{Tag: "h", Metadata: md, Value: &tbpb.Summary_Value_Tensor{Tensor: &tbpb.TensorProto{
			Dtype: tbpb.DataType_DT_DOUBLE, DoubleVal: []float64{1, 2, 3, 4},
			TensorShape: &tbpb.TensorShapeProto{Dim: []*tbpb.TensorShapeProto_Dim{{Size: 4}}}}}}}}}})
	// A directory linked twice: one run; RustBoard lists each link.
	writeEvents(t, filepath.Join(logdir, "real"), scalar(1e9, 0))
	if err := os.Symlink("real", filepath.Join(logdir, "link")); err != nil {
		t.Fatal(err)
	}
	ours, theirs := bothServers(t, logdir)

	if steps, _, _ := readScalars(t, ours, "nan", "x"); !slices.Equal(steps, []int64{0, 2}) {
		t.Errorf("ours: NaN wall time: steps %v, want [0 2]", steps)
	}
	if steps, _, _ := readScalars(t, theirs, "nan", "x"); !slices.Equal(steps, []int64{0}) {
		t.Errorf("rustboard: NaN wall time: steps %v, want [0] (file abandoned)", steps)
	}
	hists := func(s *dataServer) int {
		res, err := s.client(t).ReadTensors(context.Background(), &dp.ReadTensorsRequest{
			PluginFilter: &dp.PluginFilter{PluginName: "histograms"}, Downsample: &dp.Downsample{NumPoints: 10}})
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, r := range res.Runs {
			for _, tag := range r.Tags {
				n += len(tag.Data.Value)
			}
		}
		return n
	}
	if n := hists(ours); n != 0 {
		t.Errorf("ours: %d malformed histograms served, want none", n)
	}
	if n := hists(theirs); n != 1 {
		t.Errorf("rustboard: %d malformed histograms served, want 1", n)
	}
	runs := func(s *dataServer) []string {
		res, err := s.client(t).ListRuns(context.Background(), &dp.ListRunsRequest{})
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, r := range res.Runs {
			if r.Name == "real" || r.Name == "link" {
				names = append(names, r.Name)
			}
		}
		slices.Sort(names)
		return names
	}
	if got := runs(ours); len(got) != 1 {
		t.Errorf("ours: linked runs %q, want one", got)
	}
	if got := runs(theirs); !slices.Equal(got, []string{"link", "real"}) {
		t.Errorf("rustboard: linked runs %q, want [link real]", got)
	}
}
