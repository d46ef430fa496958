package dataserver

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	rpb "google.golang.org/grpc/reflection/grpc_reflection_v1"
	"google.golang.org/grpc/status"
	"google.golang.org/grpc/test/bufconn"
	"google.golang.org/protobuf/proto"

	dp "github.com/tbgo/tbgo/proto/dataproviderpb"
	"github.com/tbgo/tbgo/proto/tbpb"
	"github.com/tbgo/tbgo/tfevents"
)

// events writes evs as event file name in dir (appending), creating dir.
func events(t *testing.T, dir, name string, evs ...*tbpb.Event) string {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, name)
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	w := tfevents.NewWriter(f)
	for _, ev := range evs {
		if err := w.WriteEvent(ev); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

func fileVersion2(wall float64) *tbpb.Event {
	return &tbpb.Event{WallTime: wall, What: &tbpb.Event_FileVersion{FileVersion: "brain.Event:2"}}
}

func scalarEvent(tag string, step int64, v float32) *tbpb.Event {
	return &tbpb.Event{WallTime: 1000 + float64(step), Step: step, What: &tbpb.Event_Summary{Summary: &tbpb.Summary{
		Value: []*tbpb.Summary_Value{{Tag: tag, Value: &tbpb.Summary_Value_SimpleValue{SimpleValue: v}}},
	}}}
}

func tensorEvent(tag, plugin string, class tbpb.DataClass, step int64, t *tbpb.TensorProto) *tbpb.Event {
	return &tbpb.Event{WallTime: 1000 + float64(step), Step: step, What: &tbpb.Event_Summary{Summary: &tbpb.Summary{
		Value: []*tbpb.Summary_Value{{Tag: tag, Metadata: &tbpb.SummaryMetadata{
			PluginData: &tbpb.SummaryMetadata_PluginData{PluginName: plugin}, DataClass: class,
		}, Value: &tbpb.Summary_Value_Tensor{Tensor: t}}},
	}}}
}

func blobTensor(blobs ...[]byte) *tbpb.TensorProto {
	return &tbpb.TensorProto{Dtype: tbpb.DataType_DT_STRING, StringVal: blobs,
		TensorShape: &tbpb.TensorShapeProto{Dim: []*tbpb.TensorShapeProto_Dim{{Size: int64(len(blobs))}}}}
}

func sessionStart(step int64) *tbpb.Event {
	return &tbpb.Event{WallTime: 1000 + float64(step), Step: step,
		What: &tbpb.Event_SessionLog{SessionLog: &tbpb.SessionLog{Status: tbpb.SessionLog_START}}}
}

// serve starts s over an in-memory connection and returns a client; both
// stop when t ends.
func serve(t *testing.T, s *Server) dp.TensorBoardDataProviderClient {
	t.Helper()
	c, stop := serveConn(t, s)
	t.Cleanup(stop)
	return c
}

// serveConn is serve with a function that stops the server and client.
func serveConn(t *testing.T, s *Server) (dp.TensorBoardDataProviderClient, func()) {
	t.Helper()
	lis := bufconn.Listen(1 << 20)
	g := grpc.NewServer()
	s.Register(g)
	go g.Serve(lis)
	conn, err := grpc.NewClient("passthrough:///bufnet",
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) }),
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(maxMessage)))
	if err != nil {
		g.Stop()
		t.Fatal(err)
	}
	return dp.NewTensorBoardDataProviderClient(conn), func() {
		conn.Close()
		g.Stop()
	}
}

// loaded returns a Server over dir after one load, and its client.
func loaded(t *testing.T, dir string, opts *Options) (*Server, dp.TensorBoardDataProviderClient) {
	t.Helper()
	s := New(os.DirFS(dir), ".", dir, opts)
	s.Load(context.Background())
	t.Cleanup(func() { s.Close() })
	return s, serve(t, s)
}

func pf(name string) *dp.PluginFilter { return &dp.PluginFilter{PluginName: name} }
func all() *dp.Downsample             { return &dp.Downsample{NumPoints: 1 << 40} }

// scalars reads run/tag's scalar steps and values.
func scalars(t *testing.T, c dp.TensorBoardDataProviderClient, run, tag string) ([]int64, []float32) {
	t.Helper()
	res, err := c.ReadScalars(context.Background(), &dp.ReadScalarsRequest{PluginFilter: pf("scalars"), Downsample: all(),
		RunTagFilter: &dp.RunTagFilter{Runs: &dp.RunFilter{Names: []string{run}}, Tags: &dp.TagFilter{Names: []string{tag}}}})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range res.Runs {
		for _, e := range r.Tags {
			return e.Data.Step, e.Data.Value
		}
	}
	return nil, nil
}

func runNames(t *testing.T, c dp.TensorBoardDataProviderClient) []string {
	t.Helper()
	res, err := c.ListRuns(context.Background(), &dp.ListRunsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, r := range res.Runs {
		names = append(names, r.Name)
	}
	return names
}

func TestFilters(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	events(t, filepath.Join(dir, "a"), "x.tfevents.1", fileVersion2(10), scalarEvent("loss", 1, 1), scalarEvent("acc", 1, 2))
	events(t, filepath.Join(dir, "b"), "x.tfevents.1", fileVersion2(5), scalarEvent("loss", 1, 3))
	_, c := loaded(t, dir, nil)
	ctx := context.Background()

	if got := runNames(t, c); !slices.Equal(got, []string{"b", "a"}) {
		t.Errorf("runs %q, want by start time [b a]", got)
	}
	count := func(rtf *dp.RunTagFilter) int {
		res, err := c.ListScalars(ctx, &dp.ListScalarsRequest{PluginFilter: pf("scalars"), RunTagFilter: rtf})
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, r := range res.Runs {
			n += len(r.Tags)
		}
		return n
	}
	for _, tt := range []struct {
		desc string
		rtf  *dp.RunTagFilter
		want int
	}{
		{"no filter", nil, 3},
		{"empty filter message", &dp.RunTagFilter{}, 3},
		{"empty run list selects none", &dp.RunTagFilter{Runs: &dp.RunFilter{}}, 0},
		{"empty tag list selects none", &dp.RunTagFilter{Tags: &dp.TagFilter{}}, 0},
		{"one run", &dp.RunTagFilter{Runs: &dp.RunFilter{Names: []string{"a", "nope"}}}, 2},
		{"one tag", &dp.RunTagFilter{Tags: &dp.TagFilter{Names: []string{"loss"}}}, 2},
		{"run and tag", &dp.RunTagFilter{Runs: &dp.RunFilter{Names: []string{"a"}}, Tags: &dp.TagFilter{Names: []string{"acc"}}}, 1},
	} {
		if got := count(tt.rtf); got != tt.want {
			t.Errorf("%s: %d series, want %d", tt.desc, got, tt.want)
		}
	}
	if _, err := c.ListScalars(ctx, &dp.ListScalarsRequest{}); status.Code(err) != codes.InvalidArgument {
		t.Errorf("no plugin filter: %v, want InvalidArgument", err)
	}
	if _, err := c.ReadScalars(ctx, &dp.ReadScalarsRequest{PluginFilter: pf("scalars")}); status.Code(err) != codes.InvalidArgument {
		t.Errorf("no downsample: %v, want InvalidArgument", err)
	}
	if _, err := c.ReadTensors(ctx, &dp.ReadTensorsRequest{PluginFilter: pf("x"), Downsample: &dp.Downsample{NumPoints: -1}}); status.Code(err) != codes.InvalidArgument {
		t.Errorf("negative downsample: %v, want InvalidArgument", err)
	}
	exp, err := c.GetExperiment(ctx, &dp.GetExperimentRequest{})
	if err != nil || exp.DataLocation != dir {
		t.Errorf("GetExperiment = %v, %v; want data location %s", exp, err, dir)
	}
}

func TestListSkipsEmptyReadKeeps(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	events(t, dir, "x.tfevents.1", fileVersion2(1),
		tensorEvent("pics", "images", tbpb.DataClass_DATA_CLASS_BLOB_SEQUENCE, 1, blobTensor([]byte("1"), []byte("1"), []byte("png"))),
		// A DT_STRING scalar converts to nothing: the series exists, empty.
		tensorEvent("bad", "scalars", tbpb.DataClass_DATA_CLASS_SCALAR, 1, blobTensor([]byte("x"))),
		scalarEvent("ok", 1, 1))
	_, c := loaded(t, dir, &Options{Samples: map[string]int{"images": 0}})
	ctx := context.Background()
	plugins, err := c.ListPlugins(ctx, &dp.ListPluginsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, p := range plugins.Plugins {
		names = append(names, p.Name)
	}
	if !slices.Equal(names, []string{"images", "scalars"}) {
		t.Errorf("plugins %q, want [images scalars]", names)
	}
	lb, err := c.ListBlobSequences(ctx, &dp.ListBlobSequencesRequest{PluginFilter: pf("images")})
	if err != nil || len(lb.Runs) != 0 {
		t.Errorf("ListBlobSequences with images=0 = %v, %v; want no runs", lb, err)
	}
	rb, err := c.ReadBlobSequences(ctx, &dp.ReadBlobSequencesRequest{PluginFilter: pf("images"), Downsample: all()})
	if err != nil || len(rb.Runs) != 1 || len(rb.Runs[0].Tags) != 1 || len(rb.Runs[0].Tags[0].Data.Step) != 0 {
		t.Errorf("ReadBlobSequences with images=0 = %v, %v; want the tag, empty", rb, err)
	}
	ls, err := c.ListScalars(ctx, &dp.ListScalarsRequest{PluginFilter: pf("scalars")})
	if err != nil || len(ls.Runs) != 1 || len(ls.Runs[0].Tags) != 1 || ls.Runs[0].Tags[0].TagName != "ok" {
		t.Errorf("ListScalars = %v, %v; want only tag ok", ls, err)
	}
	if steps, _ := scalars(t, c, ".", "bad"); len(steps) != 0 {
		t.Errorf("bad scalar read %v, want empty", steps)
	}
}

func TestReadBlob(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	big := bytes.Repeat([]byte("0123456789abcdef"), 20<<20/16)
	events(t, dir, "x.tfevents.1", fileVersion2(1),
		&tbpb.Event{WallTime: 2, Step: 3, What: &tbpb.Event_GraphDef{GraphDef: big}},
		tensorEvent("pics", "images", tbpb.DataClass_DATA_CLASS_BLOB_SEQUENCE, 4, blobTensor([]byte("2"), []byte("1"), []byte("a"), []byte("b"))))
	_, c := loaded(t, dir, nil)
	ctx := context.Background()

	read := func(key string) ([]int, []byte, error) {
		st, err := c.ReadBlob(ctx, &dp.ReadBlobRequest{BlobKey: key})
		if err != nil {
			return nil, nil, err
		}
		var sizes []int
		var data []byte
		for {
			m, err := st.Recv()
			if err != nil {
				if status.Code(err) == codes.OK || err.Error() == "EOF" {
					return sizes, data, nil
				}
				return sizes, data, err
			}
			sizes = append(sizes, len(m.Data))
			data = append(data, m.Data...)
		}
	}
	sizes, data, err := read(blobKey{"", ".", "__run_graph__", 3, 0}.String())
	if err != nil || !bytes.Equal(data, big) || !slices.Equal(sizes, []int{8 << 20, 8 << 20, 4 << 20}) {
		t.Errorf("graph blob: chunks %v, equal %v, %v; want 8+8+4 MiB", sizes, bytes.Equal(data, big), err)
	}
	if _, data, err := read(blobKey{"any", ".", "pics", 4, 3}.String()); err != nil || string(data) != "b" {
		t.Errorf("image blob 3 = %q, %v; want b", data, err)
	}
	for _, tt := range []struct {
		key  string
		code codes.Code
	}{
		{"", codes.InvalidArgument},
		{"not base64!", codes.InvalidArgument},
		{blobKey{"", "nope", "pics", 4, 0}.String(), codes.NotFound},
		{blobKey{"", ".", "nope", 4, 0}.String(), codes.NotFound},
		{blobKey{"", ".", "pics", 5, 0}.String(), codes.NotFound},
		{blobKey{"", ".", "pics", 4, 4}.String(), codes.NotFound},
	} {
		if _, _, err := read(tt.key); status.Code(err) != tt.code {
			t.Errorf("ReadBlob(%q): %v, want %v", tt.key, err, tt.code)
		}
	}
}

func TestPurgeOnRestart(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	var first []*tbpb.Event
	first = append(first, fileVersion2(1), sessionStart(0))
	for step := range int64(16) {
		first = append(first, scalarEvent("a", step, float32(step)), scalarEvent("c", step, float32(step)))
	}
	events(t, dir, "x.tfevents.1", first...)
	// The resumed session restarts at step 10 and logs only a.
	second := []*tbpb.Event{fileVersion2(2), sessionStart(10)}
	for step := int64(10); step <= 12; step++ {
		second = append(second, scalarEvent("a", step, 100+float32(step)))
	}
	events(t, dir, "x.tfevents.2", second...)
	_, c := loaded(t, dir, nil)
	if steps, _ := scalars(t, c, ".", "c"); len(steps) != 10 || steps[9] != 9 {
		t.Errorf("c: steps %v, want 0..9 (purged at the restart)", steps)
	}
	if steps, vals := scalars(t, c, ".", "a"); len(steps) != 13 || vals[12] != 112 || vals[9] != 9 {
		t.Errorf("a: steps %v values %v, want 0..9 then 10..12 resumed", steps, vals)
	}
}

func TestReload(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := events(t, filepath.Join(dir, "r"), "x.tfevents.1", fileVersion2(1), scalarEvent("s", 0, 0))
	s, c := loaded(t, dir, nil)
	ctx := context.Background()

	// Appended records, a new file and a new run appear.
	events(t, filepath.Join(dir, "r"), "x.tfevents.1", scalarEvent("s", 1, 1))
	events(t, filepath.Join(dir, "r"), "x.tfevents.2", scalarEvent("s", 2, 2))
	events(t, filepath.Join(dir, "new"), "x.tfevents.1", fileVersion2(2))
	// A torn tail: half of a record, which waits for the rest.
	var rec bytes.Buffer
	w := tfevents.NewWriter(&rec)
	if err := w.WriteEvent(scalarEvent("s", 3, 3)); err != nil {
		t.Fatal(err)
	}
	w.Flush()
	appendBytes(t, filepath.Join(dir, "r", "x.tfevents.2"), rec.Bytes()[:rec.Len()/2])
	s.Load(ctx)
	if steps, _ := scalars(t, c, "r", "s"); !slices.Equal(steps, []int64{0, 1, 2}) {
		t.Errorf("after appends: steps %v, want [0 1 2]", steps)
	}
	if got := runNames(t, c); !slices.Equal(got, []string{"r", "new"}) {
		t.Errorf("runs %q, want [r new]", got)
	}
	appendBytes(t, filepath.Join(dir, "r", "x.tfevents.2"), rec.Bytes()[rec.Len()/2:])
	s.Load(ctx)
	if steps, _ := scalars(t, c, "r", "s"); !slices.Equal(steps, []int64{0, 1, 2, 3}) {
		t.Errorf("after the torn tail's rest: steps %v, want [0 1 2 3]", steps)
	}

	// A deleted file's data stays; a deleted run goes.
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(filepath.Join(dir, "new")); err != nil {
		t.Fatal(err)
	}
	s.Load(ctx)
	if steps, _ := scalars(t, c, "r", "s"); !slices.Equal(steps, []int64{0, 1, 2, 3}) {
		t.Errorf("after deleting a file: steps %v, want [0 1 2 3]", steps)
	}
	if got := runNames(t, c); !slices.Equal(got, []string{"r"}) {
		t.Errorf("after deleting a run: runs %q, want [r]", got)
	}
	// The whole logdir vanishes.
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	s.Load(ctx)
	if got := runNames(t, c); len(got) != 0 {
		t.Errorf("after the logdir vanished: runs %q, want none", got)
	}
}

func appendBytes(t *testing.T, path string, b []byte) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestValuesReadAgain shows that tensors and blobs, which the server reads
// again from their files when asked for, survive their file's deletion
// (the file stays open) and are refused, not garbled, when the file is
// rewritten.
func TestValuesReadAgain(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	hist := &tbpb.TensorProto{Dtype: tbpb.DataType_DT_DOUBLE, DoubleVal: []float64{0, 1, 5},
		TensorShape: &tbpb.TensorShapeProto{Dim: []*tbpb.TensorShapeProto_Dim{{Size: 1}, {Size: 3}}}}
	path := events(t, dir, "x.tfevents.1", fileVersion2(1),
		tensorEvent("h", "histograms", tbpb.DataClass_DATA_CLASS_TENSOR, 1, hist),
		tensorEvent("img", "images", tbpb.DataClass_DATA_CLASS_BLOB_SEQUENCE, 1, blobTensor([]byte("1"), []byte("1"), []byte("png"))))
	events(t, dir, "x.tfevents.2", scalarEvent("s", 2, 2)) // keeps the run when the first goes
	s, c := loaded(t, dir, nil)
	ctx := context.Background()
	read := func() (*tbpb.TensorProto, []byte, error) {
		rt, err := c.ReadTensors(ctx, &dp.ReadTensorsRequest{PluginFilter: pf("histograms"), Downsample: all()})
		if err != nil {
			return nil, nil, err
		}
		st, err := c.ReadBlob(ctx, &dp.ReadBlobRequest{BlobKey: blobKey{"", ".", "img", 1, 2}.String()})
		if err != nil {
			return nil, nil, err
		}
		m, err := st.Recv()
		if err != nil {
			return nil, nil, err
		}
		return rt.Runs[0].Tags[0].Data.Value[0], m.Data, nil
	}
	got, blob, err := read()
	if err != nil || !proto.Equal(got, hist) || string(blob) != "png" {
		t.Fatalf("read = %v, %q, %v; want the histogram and png", got, blob, err)
	}
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	s.Load(ctx)
	if got, blob, err := read(); err != nil || !proto.Equal(got, hist) || string(blob) != "png" {
		t.Errorf("after deleting the file: %v, %q, %v; want the values still", got, blob, err)
	}
	for _, f := range s.runs["."].files {
		f.f.Close() // as if the file were gone for good
	}
	if _, _, err := read(); status.Code(err) != codes.Internal {
		t.Errorf("after the file closed: %v, want Internal", err)
	}
}

func TestChecksum(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := events(t, dir, "x.tfevents.1", fileVersion2(1), scalarEvent("s", 0, 0), scalarEvent("s", 1, 1), scalarEvent("s", 2, 2))
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	// Damage the data of the record of step 1: its last byte, the float.
	var rec bytes.Buffer
	w := tfevents.NewWriter(&rec)
	for _, ev := range []*tbpb.Event{fileVersion2(1), scalarEvent("s", 0, 0), scalarEvent("s", 1, 1)} {
		w.WriteEvent(ev)
	}
	w.Flush()
	b[rec.Len()-5] ^= 0x40
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		checksum bool
		want     []int64
	}{{false, []int64{0, 2}}, {true, []int64{0}}} {
		_, c := loaded(t, dir, &Options{Checksum: tt.checksum})
		if steps, _ := scalars(t, c, ".", "s"); !slices.Equal(steps, tt.want) {
			t.Errorf("checksum %v: steps %v, want %v", tt.checksum, steps, tt.want)
		}
	}
}

func TestSeriesMetadata(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	described := scalarEvent("legacy", 1, 1)
	described.GetSummary().Value[0].Metadata = &tbpb.SummaryMetadata{DisplayName: "dropped"}
	events(t, dir, "x.tfevents.1", fileVersion2(1), described,
		tensorEvent("unknown", "my_plugin", 0, 1, blobTensor([]byte("x"))),
		tensorEvent("classed", "my_plugin", tbpb.DataClass_DATA_CLASS_TENSOR, 1, blobTensor([]byte("x"))))
	_, c := loaded(t, dir, nil)
	ctx := context.Background()
	ls, err := c.ListScalars(ctx, &dp.ListScalarsRequest{PluginFilter: pf("scalars")})
	if err != nil {
		t.Fatal(err)
	}
	want := &tbpb.SummaryMetadata{PluginData: &tbpb.SummaryMetadata_PluginData{PluginName: "scalars"}, DataClass: tbpb.DataClass_DATA_CLASS_SCALAR}
	if got := ls.Runs[0].Tags[0].Metadata.SummaryMetadata; !proto.Equal(got, want) {
		t.Errorf("legacy scalar metadata %v, want %v", got, want)
	}
	lt, err := c.ListTensors(ctx, &dp.ListTensorsRequest{PluginFilter: pf("my_plugin")})
	if err != nil || len(lt.Runs) != 1 || len(lt.Runs[0].Tags) != 1 || lt.Runs[0].Tags[0].TagName != "classed" {
		t.Errorf("ListTensors(my_plugin) = %v, %v; want only the tag with a data class", lt, err)
	}
}

func TestReflection(t *testing.T) {
	t.Parallel()
	s := New(os.DirFS(t.TempDir()), ".", "", nil)
	lis := bufconn.Listen(1 << 16)
	g := grpc.NewServer()
	s.Register(g)
	go g.Serve(lis)
	defer g.Stop()
	conn, err := grpc.NewClient("passthrough:///bufnet",
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) }),
		grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	st, err := rpb.NewServerReflectionClient(conn).ServerReflectionInfo(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Send(&rpb.ServerReflectionRequest{MessageRequest: &rpb.ServerReflectionRequest_ListServices{}}); err != nil {
		t.Fatal(err)
	}
	res, err := st.Recv()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, s := range res.GetListServicesResponse().GetService() {
		names = append(names, s.GetName())
	}
	if !slices.Contains(names, "tensorboard.data.TensorBoardDataProvider") {
		t.Errorf("reflection lists %q, want the data provider", names)
	}
}

func TestServeStops(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	events(t, dir, "x.tfevents.1", fileVersion2(1), scalarEvent("s", 0, 0))
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := New(os.DirFS(dir), ".", dir, &Options{Reload: 10 * time.Millisecond})
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, lis) }()
	<-s.Loaded()
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Serve = %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Serve did not return after its context was cancelled")
	}
}

func ExampleServer() {
	dir, _ := os.MkdirTemp("", "example")
	defer os.RemoveAll(dir)
	f, _ := tfevents.CreateFile(filepath.Join(dir, "train"), nil)
	f.WriteEvent(scalarEvent("loss", 1, 0.5))
	f.Close()

	s := New(os.DirFS(dir), ".", dir, nil)
	s.Load(context.Background())
	res, _ := s.ReadScalars(context.Background(), &dp.ReadScalarsRequest{
		PluginFilter: &dp.PluginFilter{PluginName: "scalars"},
		Downsample:   &dp.Downsample{NumPoints: 1000},
	})
	for _, r := range res.Runs {
		for _, tag := range r.Tags {
			fmt.Println(r.RunName, tag.TagName, tag.Data.Step, tag.Data.Value)
		}
	}
	// Output: train loss [1] [0.5]
}
