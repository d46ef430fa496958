package dataserver

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/iotest"
	"time"

	"google.golang.org/protobuf/encoding/prototext"
	"google.golang.org/protobuf/proto"

	"github.com/tbgo/tbgo/internal/testenv"
	dp "github.com/tbgo/tbgo/proto/dataproviderpb"
	"github.com/tbgo/tbgo/proto/tbpb"
	"github.com/tbgo/tbgo/storage"
	_ "github.com/tbgo/tbgo/storage/cloud"
	"github.com/tbgo/tbgo/tfevents"
)

// record returns the framed records of evs.
func record(t *testing.T, evs ...*tbpb.Event) []byte {
	t.Helper()
	var b []byte
	for _, ev := range evs {
		data, err := proto.Marshal(ev)
		if err != nil {
			t.Fatal(err)
		}
		b = tfevents.AppendRecord(b, data)
	}
	return b
}

// memStore opens a fresh mem:// bucket, named after the test.
func memStore(t *testing.T) (*storage.Store, string) {
	t.Helper()
	u := testenv.MemBucket(t) + "/logs"
	st, err := storage.Open(context.Background(), u)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st, u
}

// put stores data as the object at the logdir path p, creating it or, if
// it exists, replacing it.
func put(t *testing.T, st *storage.Store, p string, data []byte) {
	t.Helper()
	ctx := context.Background()
	var v storage.Version
	if obj, err := st.Bucket().Stat(ctx, st.Key(p)); err == nil {
		v = obj.Version
	}
	if err := st.Bucket().Write(ctx, st.Key(p), data, v); err != nil {
		t.Fatal(err)
	}
}

// bucketRuns is a logdir of two runs, one nested, with scalars,
// histograms and images, spread over several objects per run as the
// segments of a writer, and the same logdir on disk.
func bucketRuns(t *testing.T, st *storage.Store) (dir string) {
	t.Helper()
	dir = t.TempDir()
	for r, run := range []string{"train", "sweep/rank0"} {
		for seg := range 3 {
			evs := []*tbpb.Event{fileVersion2(float64(r))}
			for i := range int64(20) {
				step := int64(seg)*20 + i
				evs = append(evs, scalarEvent("loss", step, float32(step)/float32(r+1)),
					tensorEvent("hist", "histograms", tbpb.DataClass_DATA_CLASS_TENSOR, step,
						&tbpb.TensorProto{Dtype: tbpb.DataType_DT_DOUBLE, DoubleVal: []float64{0, 1, float64(step)},
							TensorShape: &tbpb.TensorShapeProto{Dim: []*tbpb.TensorShapeProto_Dim{{Size: 1}, {Size: 3}}}}))
				if step%7 == 0 {
					evs = append(evs, tensorEvent("img", "images", tbpb.DataClass_DATA_CLASS_BLOB_SEQUENCE, step,
						blobTensor([]byte("2"), []byte("1"), []byte(fmt.Sprintf("png %s %d", run, step)))))
				}
			}
			name := fmt.Sprintf("events.out.tfevents.%010d.host.1.%08d", 1700000000, seg)
			put(t, st, run+"/"+name, record(t, evs...))
			events(t, filepath.Join(dir, filepath.FromSlash(run)), name, evs...)
		}
	}
	// Objects that are no event files, and a directory marker.
	put(t, st, "train/notes.txt", []byte("not an event file"))
	put(t, st, "empty/", nil)
	return dir
}

// everything makes every RPC of the service that reads data and returns
// the answers, blobs included.
func everything(t *testing.T, c dp.TensorBoardDataProviderClient) []proto.Message {
	t.Helper()
	ctx := context.Background()
	var out []proto.Message
	add := func(m proto.Message, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, m)
	}
	add(c.ListRuns(ctx, &dp.ListRunsRequest{}))
	add(c.ListPlugins(ctx, &dp.ListPluginsRequest{}))
	add(c.ListScalars(ctx, &dp.ListScalarsRequest{PluginFilter: pf("scalars")}))
	add(c.ReadScalars(ctx, &dp.ReadScalarsRequest{PluginFilter: pf("scalars"), Downsample: all()}))
	add(c.ListTensors(ctx, &dp.ListTensorsRequest{PluginFilter: pf("histograms")}))
	add(c.ReadTensors(ctx, &dp.ReadTensorsRequest{PluginFilter: pf("histograms"), Downsample: all()}))
	add(c.ListBlobSequences(ctx, &dp.ListBlobSequencesRequest{PluginFilter: pf("images")}))
	seqs, err := c.ReadBlobSequences(ctx, &dp.ReadBlobSequencesRequest{PluginFilter: pf("images"), Downsample: all()})
	add(seqs, err)
	for _, r := range seqs.Runs {
		for _, e := range r.Tags {
			for _, refs := range e.Data.Values {
				for _, ref := range refs.BlobRefs {
					st, err := c.ReadBlob(ctx, &dp.ReadBlobRequest{BlobKey: ref.BlobKey})
					if err != nil {
						t.Fatal(err)
					}
					for {
						m, err := st.Recv()
						if err == io.EOF {
							break
						}
						add(m, err)
					}
				}
			}
		}
	}
	return out
}

// TestBucketLogdir serves a logdir in a bucket (mem://) through
// OpenLogdir and requires every answer to equal those for the same
// files on disk.
func TestBucketLogdir(t *testing.T) {
	t.Parallel()
	st, u := memStore(t)
	dir := bucketRuns(t, st)
	l, err := OpenLogdir(u)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if l.Name != u {
		t.Errorf("Name %q, want %q", l.Name, u)
	}
	s := New(l.FS, l.Root, l.Name, nil)
	s.Load(context.Background())
	defer s.Close()
	_, local := loaded(t, dir, nil)
	got, want := everything(t, serve(t, s)), everything(t, local)
	if len(want) < 20 {
		t.Fatalf("only %d answers", len(want))
	}
	if len(got) != len(want) {
		t.Fatalf("%d answers from the bucket, %d from the directory", len(got), len(want))
	}
	for i := range want {
		if !proto.Equal(got[i], want[i]) {
			t.Errorf("answer %d differs:\nbucket:    %v\ndirectory: %v", i, prototext.Format(got[i]), prototext.Format(want[i]))
		}
	}
	if got := runNames(t, serve(t, s)); !slices.Equal(got, []string{"train", "sweep/rank0"}) {
		t.Errorf("runs %q, want [train sweep/rank0]", got)
	}
}

// countingBucket counts the requests made of a Bucket.
type countingBucket struct {
	storage.Bucket
	mu    sync.Mutex
	lists int
	stats int
	reads []string // "key@offset"
	fail  int      // how many of the next reads fail
	cut   int64    // if positive, reads of more than this fail after it
	cuts  int      // how many reads were cut
}

func (b *countingBucket) List(ctx context.Context, prefix string, recursive bool, fn func(storage.Object) error) error {
	b.mu.Lock()
	b.lists++
	b.mu.Unlock()
	return b.Bucket.List(ctx, prefix, recursive, fn)
}

func (b *countingBucket) Stat(ctx context.Context, key string) (storage.Object, error) {
	b.mu.Lock()
	b.stats++
	b.mu.Unlock()
	return b.Bucket.Stat(ctx, key)
}

func (b *countingBucket) NewRangeReader(ctx context.Context, key string, off, n int64) (io.ReadCloser, storage.Object, error) {
	b.mu.Lock()
	b.reads = append(b.reads, fmt.Sprintf("%s@%d", key[strings.LastIndex(key, ".")+1:], off))
	fail := b.fail > 0
	if fail {
		b.fail--
	}
	b.mu.Unlock()
	if fail {
		return nil, storage.Object{}, fmt.Errorf("%s: connection reset: %w", key, storage.ErrTransient)
	}
	rc, obj, err := b.Bucket.NewRangeReader(ctx, key, off, n)
	if n < 0 {
		n = obj.Size - off // a streaming read, to the object's end
	}
	if err == nil && b.cut > 0 && n > b.cut {
		b.mu.Lock()
		b.cuts++
		b.mu.Unlock()
		rc = struct {
			io.Reader
			io.Closer
		}{io.MultiReader(io.LimitReader(rc, b.cut), iotest.ErrReader(errors.New("connection reset"))), rc}
	}
	return rc, obj, err
}

// take returns the counts since the last take and resets them.
func (b *countingBucket) take() (lists, stats int, reads []string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	lists, stats, reads = b.lists, b.stats, b.reads
	b.lists, b.stats, b.reads = 0, 0, nil
	return lists, stats, reads
}

// TestBucketRequests counts what load cycles ask of a bucket: one
// listing per cycle however many runs and objects; each object read once,
// from its start; nothing more for a cycle that finds nothing new; a new
// object read once; an object that grew read from where the last cycle
// stopped; a value held back (an image) read with one ranged read.
func TestBucketRequests(t *testing.T) {
	t.Parallel()
	st, _ := memStore(t)
	bucketRuns(t, st)
	b := &countingBucket{Bucket: st.Bucket()}
	cs := storage.NewStore(b, "logs", "mem://counted/logs")
	s := New(newListing(cs), ".", cs.Name(), nil)
	defer s.Close()
	c := serve(t, s)
	ctx := context.Background()

	s.Load(ctx)
	lists, stats, reads := b.take()
	slices.Sort(reads)
	wantReads := []string{"00000000@0", "00000000@0", "00000001@0", "00000001@0", "00000002@0", "00000002@0"}
	if lists != 1 || stats != 0 || !slices.Equal(reads, wantReads) {
		t.Errorf("first cycle: %d listings, %d stats, reads %q; want 1, 0, %q", lists, stats, reads, wantReads)
	}

	s.Load(ctx)
	if lists, stats, reads := b.take(); lists != 1 || stats != 0 || len(reads) != 0 {
		t.Errorf("a cycle with nothing new: %d listings, %d stats, reads %q; want 1 listing only", lists, stats, reads)
	}

	// A new segment, and an object replaced by a longer one (as a writer
	// that rewrites its open file in place leaves it).
	put(t, st, "train/events.out.tfevents.1700000000.host.1.00000003", record(t, fileVersion2(0), scalarEvent("loss", 60, 60)))
	key := "sweep/rank0/events.out.tfevents.1700000000.host.1.00000002"
	rc, _, err := st.Bucket().NewRangeReader(ctx, st.Key(key), 0, -1)
	if err != nil {
		t.Fatal(err)
	}
	old, _ := io.ReadAll(rc)
	rc.Close()
	put(t, st, key, append(old, record(t, scalarEvent("loss", 61, 61))...))
	b.take()
	s.Load(ctx)
	lists, stats, reads = b.take()
	slices.Sort(reads)
	wantReads = []string{fmt.Sprintf("00000002@%d", len(old)), "00000003@0"}
	if lists != 1 || stats != 0 || !slices.Equal(reads, wantReads) {
		t.Errorf("a cycle after a new object and a longer one: %d listings, %d stats, reads %q; want 1, 0, %q", lists, stats, reads, wantReads)
	}
	for run, want := range map[string]int64{"train": 60, "sweep/rank0": 61} {
		if steps, _ := scalars(t, c, run, "loss"); len(steps) != 61 || steps[len(steps)-1] != want {
			t.Errorf("%s: steps %v, want 0..59 and %d", run, steps, want)
		}
	}

	// Histograms are held in memory (a ReadTensors would otherwise cost a
	// request per point); an image is read again, with one ranged read.
	if _, err := c.ReadTensors(ctx, &dp.ReadTensorsRequest{PluginFilter: pf("histograms"), Downsample: all()}); err != nil {
		t.Fatal(err)
	}
	if lists, stats, reads := b.take(); lists+stats+len(reads) != 0 {
		t.Errorf("ReadTensors made %d listings, %d stats and reads %q; want none", lists, stats, reads)
	}
	blob, err := c.ReadBlob(ctx, &dp.ReadBlobRequest{BlobKey: blobKey{"", "train", "img", 14, 2}.String()})
	if err != nil {
		t.Fatal(err)
	}
	m, err := blob.Recv()
	if err != nil || string(m.Data) != "png train 14" {
		t.Fatalf("ReadBlob: %q, %v; want the image", m.GetData(), err)
	}
	if _, _, reads := b.take(); len(reads) != 1 || !strings.HasPrefix(reads[0], "00000000@") || reads[0] == "00000000@0" {
		t.Errorf("ReadBlob made reads %q, want one ranged read of the record", reads)
	}
}

// TestBucketEmptyAndMissing serves a prefix that holds nothing yet: no
// runs, until one appears.
func TestBucketEmptyAndMissing(t *testing.T) {
	t.Parallel()
	st, u := memStore(t)
	l, err := OpenLogdir(u)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	s := New(l.FS, l.Root, l.Name, nil)
	defer s.Close()
	c := serve(t, s)
	s.Load(context.Background())
	if got := runNames(t, c); len(got) != 0 {
		t.Errorf("an empty prefix serves runs %q", got)
	}
	put(t, st, "late/events.out.tfevents.1", record(t, fileVersion2(1), scalarEvent("loss", 0, 1)))
	s.Load(context.Background())
	if got := runNames(t, c); !slices.Equal(got, []string{"late"}) {
		t.Errorf("after a run appeared: runs %q, want [late]", got)
	}
}

// TestOpenLogdirURL opens the URLs a user may give: an event file in a
// bucket is served as run "."; an object that is no event file, a scheme
// no driver handles and a malformed URL are bad logdirs, named in the
// error without their secrets; file:// is a local path.
func TestOpenLogdirURL(t *testing.T) {
	t.Parallel()
	st, u := memStore(t)
	put(t, st, "run/events.out.tfevents.1", record(t, fileVersion2(1), scalarEvent("loss", 3, 1)))
	put(t, st, "runs.tbar", []byte("an archive"))

	l, err := OpenLogdir(u + "/run/events.out.tfevents.1")
	if err != nil {
		t.Fatal(err)
	}
	s := New(l.FS, l.Root, l.Name, nil)
	s.Load(context.Background())
	if steps, _ := scalars(t, serve(t, s), ".", "loss"); !slices.Equal(steps, []int64{3}) {
		t.Errorf("event file URL: steps %v, want [3]", steps)
	}
	s.Close()
	l.Close()

	for _, bad := range []string{
		u + "/runs.tbar",
		"nosuch://bucket/runs?secret_key=hunter2",
		"mem://bucket/runs?password=hunter2",
		"s3://bucket/runs%zz",
	} {
		l, err := OpenLogdir(bad)
		if !errors.Is(err, ErrBadLogdir) {
			if l != nil {
				l.Close()
			}
			t.Errorf("OpenLogdir(%q): %v, want an error wrapping ErrBadLogdir", bad, err)
			continue
		}
		if strings.Contains(err.Error(), "hunter2") {
			t.Errorf("OpenLogdir(%q): %v shows the secret", bad, err)
		}
	}
	if _, err := OpenLogdir("nosuch://b/r"); !errors.Is(err, storage.ErrUnknownScheme) {
		t.Errorf("unknown scheme: %v, want it to wrap storage.ErrUnknownScheme", err)
	}

	dir := t.TempDir()
	events(t, filepath.Join(dir, "a"), "x.tfevents.1", fileVersion2(1), scalarEvent("x", 1, 1))
	l, err = OpenLogdir("file://" + filepath.ToSlash(dir))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if _, ok := l.FS.(*listing); ok {
		t.Error("a file:// URL is served through a bucket listing, want the directory")
	}
	if info, err := os.Stat(filepath.Join(dir, "a", "x.tfevents.1")); err != nil || info.Size() == 0 {
		t.Fatal(err)
	}
	s = New(l.FS, l.Root, l.Name, nil)
	defer s.Close()
	s.Load(context.Background())
	if got := runNames(t, serve(t, s)); !slices.Equal(got, []string{"a"}) {
		t.Errorf("file:// URL: runs %q, want [a]", got)
	}
}

// TestListingFS checks the listing's file system against what
// fstest-style callers expect: sorted entries, directories made of
// common prefixes, keys fs cannot name left out.
func TestListingFS(t *testing.T) {
	t.Parallel()
	st, _ := memStore(t)
	for _, p := range []string{"b/x", "a.txt", "a/y", "a/z/w"} {
		put(t, st, p, []byte(p))
	}
	l := newListing(st)
	if err := l.refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, d := range []string{".", "a", "a/z", "b"} {
		entries, err := l.ReadDir(d)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			kind := "f"
			if e.IsDir() {
				kind = "d"
			}
			got = append(got, d+":"+e.Name()+":"+kind)
		}
	}
	want := []string{".:a:d", ".:a.txt:f", ".:b:d", "a:y:f", "a:z:d", "a/z:w:f", "b:x:f"}
	if !slices.Equal(got, want) {
		t.Errorf("entries %q, want %q (a key fs cannot name left out)", got, want)
	}
	f, err := l.Open("a/z/w")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	data, err := io.ReadAll(f)
	if err != nil || !bytes.Equal(data, []byte("a/z/w")) {
		t.Errorf("read %q, %v", data, err)
	}
	buf := make([]byte, 3)
	if n, err := f.(io.ReaderAt).ReadAt(buf, 2); n != 3 || err != nil || string(buf) != "z/w" {
		t.Errorf("ReadAt = %d, %v, %q; want 3, nil, z/w", n, err, buf)
	}
	if _, err := l.Open("a/nope"); err == nil {
		t.Error("Open of an object not listed: no error")
	}
	if info, err := l.Stat("a/z"); err != nil || !info.IsDir() {
		t.Errorf("Stat(a/z) = %v, %v; want a directory", info, err)
	}
}

// TestBucketReadFails has the reads of a bucket's objects fail, at the
// start and in the middle: the cycle keeps what it read, and the next
// one reads on from the last whole record, so every point is served once.
func TestBucketReadFails(t *testing.T) {
	t.Parallel()
	st, _ := memStore(t)
	dir := bucketRuns(t, st)
	b := &countingBucket{Bucket: st.Bucket(), fail: 2, cut: 1000}
	cs := storage.NewStore(b, "logs", "mem://counted/logs")
	s := New(newListing(cs), ".", cs.Name(), nil)
	defer s.Close()
	c := serve(t, s)
	for range 40 {
		s.Load(context.Background())
	}
	if b.cuts == 0 {
		t.Fatal("no read was cut")
	}
	b.cut = 0
	s.Load(context.Background())
	_, local := loaded(t, dir, nil)
	got, want := everything(t, c), everything(t, local)
	for i := range want {
		if !proto.Equal(got[i], want[i]) {
			t.Fatalf("answer %d differs after failed reads:\nbucket:    %v\ndirectory: %v", i, prototext.Format(got[i]), prototext.Format(want[i]))
		}
	}
}

// stallBucket's reads of objects' data, while stall is set, wait until
// their context is done, as a store that stops answering mid-read does.
type stallBucket struct {
	storage.Bucket
	stall   atomic.Bool
	started chan struct{} // a stalled read has begun
}

func (b *stallBucket) NewRangeReader(ctx context.Context, key string, off, n int64) (io.ReadCloser, storage.Object, error) {
	rc, obj, err := b.Bucket.NewRangeReader(ctx, key, off, n)
	if err != nil || !b.stall.Load() {
		return rc, obj, err
	}
	return struct {
		io.Reader
		io.Closer
	}{stalled{ctx, b.started}, rc}, obj, nil
}

type stalled struct {
	ctx     context.Context
	started chan struct{}
}

func (s stalled) Read([]byte) (int, error) {
	select {
	case s.started <- struct{}{}:
	default:
	}
	<-s.ctx.Done()
	return 0, s.ctx.Err()
}

// TestBucketLoadStops stops a load cycle whose read of an object stalls:
// Load returns as soon as its context is done, not when the request
// times out (a minute), and the next cycle reads everything.
func TestBucketLoadStops(t *testing.T) {
	t.Parallel()
	st, _ := memStore(t)
	dir := bucketRuns(t, st)
	b := &stallBucket{Bucket: st.Bucket(), started: make(chan struct{}, 1)}
	b.stall.Store(true)
	cs := storage.NewStore(b, "logs", "mem://stalled/logs")
	s := New(newListing(cs), ".", cs.Name(), nil)
	defer s.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan struct{})
	go func() {
		s.Load(ctx)
		close(done)
	}()
	select {
	case <-b.started:
	case <-time.After(10 * time.Second):
		t.Fatal("no read began")
	}
	cancel()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Load goes on 10s after its context is done, waiting for a stalled read")
	}
	b.stall.Store(false)
	s.Load(context.Background())
	_, local := loaded(t, dir, nil)
	got, want := everything(t, serve(t, s)), everything(t, local)
	for i := range want {
		if !proto.Equal(got[i], want[i]) {
			t.Fatalf("answer %d differs after a stopped cycle:\nbucket:    %v\ndirectory: %v", i, prototext.Format(got[i]), prototext.Format(want[i]))
		}
	}
}

// slowBucket answers every read after a delay, as a remote store does.
type slowBucket struct {
	storage.Bucket
	delay time.Duration
}

func (b slowBucket) NewRangeReader(ctx context.Context, key string, off, n int64) (io.ReadCloser, storage.Object, error) {
	time.Sleep(b.delay)
	return b.Bucket.NewRangeReader(ctx, key, off, n)
}

// BenchmarkBucketLoad loads 64 runs of two segments each from a bucket
// whose reads take 20 ms: the runs' requests overlap.
func BenchmarkBucketLoad(b *testing.B) {
	st, err := storage.Open(context.Background(), testenv.MemBucket(b)+"/logs")
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	for r := range 64 {
		for seg := range 2 {
			var evs []*tbpb.Event
			evs = append(evs, fileVersion2(1))
			for step := range int64(500) {
				evs = append(evs, scalarEvent("loss", int64(seg)*500+step, 1))
			}
			var data []byte
			for _, ev := range evs {
				rec, _ := proto.Marshal(ev)
				data = tfevents.AppendRecord(data, rec)
			}
			key := st.Key(fmt.Sprintf("run%02d/events.out.tfevents.%d", r, seg))
			if err := st.Bucket().Write(context.Background(), key, data, ""); err != nil {
				b.Fatal(err)
			}
		}
	}
	cs := storage.NewStore(slowBucket{st.Bucket(), 20 * time.Millisecond}, "logs", "mem://slow/logs")
	for b.Loop() {
		s := New(newListing(cs), ".", cs.Name(), nil)
		s.Load(context.Background())
		if n := s.numRuns(); n != 64 {
			b.Fatalf("%d runs", n)
		}
		s.Close()
	}
}
