package dataserver

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"

	dp "github.com/tbgo/tbgo/proto/dataproviderpb"
	"github.com/tbgo/tbgo/proto/tbpb"
)

// settle waits for the goroutine count to fall to at most n, and returns
// the count.
func settle(n int) int {
	deadline := time.Now().Add(10 * time.Second)
	for {
		got := runtime.NumGoroutine()
		if got <= n || time.Now().After(deadline) {
			return got
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func heap() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// TestConcurrentRPCs has 32 clients make 1000 RPCs of every kind, on a
// loaded logdir that is being appended to and reloaded meanwhile; under
// -race it shows the index's locking. Afterwards goroutines and the heap
// are back to their baseline.
func TestConcurrentRPCs(t *testing.T) {
	goroutines, before := runtime.NumGoroutine(), heap()
	func() {
		dir := t.TempDir()
		for r := range 4 {
			var evs []*tbpb.Event
			evs = append(evs, fileVersion2(float64(r)))
			for step := range int64(200) {
				evs = append(evs, scalarEvent("loss", step, float32(step)),
					tensorEvent("img", "images", tbpb.DataClass_DATA_CLASS_BLOB_SEQUENCE, step, blobTensor([]byte("1"), []byte("1"), []byte("png"))))
			}
			events(t, filepath.Join(dir, fmt.Sprint("run", r)), "x.tfevents.1", evs...)
		}
		s := New(os.DirFS(dir), ".", dir, nil)
		defer s.Close()
		// The blob key that ReadBlob asks for is one an answer of the
		// loaded server would give: until the first load has read run1,
		// NotFound is the right answer.
		s.Load(context.Background())
		c, stop := serveConn(t, s)
		defer stop()
		ctx, cancel := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		wg.Go(func() {
			for step := int64(200); ctx.Err() == nil; step++ {
				events(t, filepath.Join(dir, "run0"), "x.tfevents.1", scalarEvent("loss", step, 1))
				s.Load(ctx)
			}
		})
		calls := make(chan int)
		errs := make(chan error, 1000)
		var clients sync.WaitGroup
		for range 32 {
			clients.Go(func() {
				for i := range calls {
					if err := oneRPC(ctx, c, i); err != nil {
						errs <- err
					}
				}
			})
		}
		for i := range 1000 {
			calls <- i
		}
		close(calls)
		clients.Wait()
		cancel()
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
	}()
	if got := settle(goroutines); got > goroutines {
		buf := make([]byte, 1<<16)
		t.Logf("%s", buf[:runtime.Stack(buf, true)])
		t.Errorf("%d goroutines after the RPCs, %d before", got, goroutines)
	}
	if after := heap(); after > before+8<<20 {
		t.Errorf("heap %d bytes after, %d before", after, before)
	}
}

// oneRPC makes the i-th RPC of a round of every kind.
func oneRPC(ctx context.Context, c dp.TensorBoardDataProviderClient, i int) error {
	var err error
	switch i % 8 {
	case 0:
		_, err = c.ListRuns(ctx, &dp.ListRunsRequest{})
	case 1:
		_, err = c.ListPlugins(ctx, &dp.ListPluginsRequest{})
	case 2:
		_, err = c.ListScalars(ctx, &dp.ListScalarsRequest{PluginFilter: pf("scalars")})
	case 3:
		_, err = c.ReadScalars(ctx, &dp.ReadScalarsRequest{PluginFilter: pf("scalars"), Downsample: &dp.Downsample{NumPoints: 100}})
	case 4:
		_, err = c.ListBlobSequences(ctx, &dp.ListBlobSequencesRequest{PluginFilter: pf("images")})
	case 5:
		_, err = c.ReadBlobSequences(ctx, &dp.ReadBlobSequencesRequest{PluginFilter: pf("images"), Downsample: all()})
	case 6:
		var st dp.TensorBoardDataProvider_ReadBlobClient
		st, err = c.ReadBlob(ctx, &dp.ReadBlobRequest{BlobKey: blobKey{"", "run1", "img", 199, 2}.String()})
		if err == nil {
			var m *dp.ReadBlobResponse
			m, err = st.Recv()
			if err == nil && string(m.Data) != "png" {
				err = fmt.Errorf("ReadBlob = %q, want png", m.Data)
			}
		}
	case 7:
		_, err = c.ReadTensors(ctx, &dp.ReadTensorsRequest{PluginFilter: pf("histograms"), Downsample: all()})
	}
	if err != nil {
		return fmt.Errorf("RPC %d: %w", i, err)
	}
	return nil
}

// TestReadBlobCancelled cancels a ReadBlob stream after its first chunk:
// the server's handler ends and nothing leaks.
func TestReadBlobCancelled(t *testing.T) {
	goroutines := runtime.NumGoroutine()
	func() {
		dir := t.TempDir()
		big := bytes.Repeat([]byte{7}, 40<<20)
		events(t, dir, "x.tfevents.1", fileVersion2(1), &tbpb.Event{WallTime: 2, Step: 1, What: &tbpb.Event_GraphDef{GraphDef: big}})
		s := New(os.DirFS(dir), ".", dir, nil)
		s.Load(context.Background())
		defer s.Close()
		c, stop := serveConn(t, s)
		defer stop()
		for range 5 {
			ctx, cancel := context.WithCancel(context.Background())
			st, err := c.ReadBlob(ctx, &dp.ReadBlobRequest{BlobKey: blobKey{"", ".", "__run_graph__", 1, 0}.String()})
			if err != nil {
				t.Fatal(err)
			}
			if m, err := st.Recv(); err != nil || len(m.Data) != blobChunk {
				t.Fatalf("first chunk: %v", err)
			}
			cancel()
			if _, err := st.Recv(); err == nil {
				// A chunk already in flight may still arrive; the next
				// receive must fail.
				for err == nil {
					_, err = st.Recv()
				}
			}
		}
	}()
	if got := settle(goroutines); got > goroutines {
		t.Errorf("%d goroutines after cancelled streams, %d before", got, goroutines)
	}
}

// TestTruncatedWhileRead truncates an event file between load cycles and
// then appends to it: the server neither crashes nor serves garbage.
func TestTruncatedWhileRead(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	var evs []*tbpb.Event
	evs = append(evs, fileVersion2(1))
	for step := range int64(100) {
		evs = append(evs, scalarEvent("s", step, float32(step)))
	}
	path := events(t, dir, "x.tfevents.1", evs...)
	s, c := loaded(t, dir, nil)
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(path, info.Size()/2); err != nil {
		t.Fatal(err)
	}
	s.Load(context.Background())
	events(t, dir, "x.tfevents.1", scalarEvent("s", 100, 100))
	s.Load(context.Background())
	steps, vals := scalars(t, c, ".", "s")
	for i := range steps {
		if float32(steps[i]) != vals[i] {
			t.Fatalf("step %d holds %v", steps[i], vals[i])
		}
	}
	if len(steps) < 100 {
		t.Errorf("%d steps after truncation, want the 100 loaded before", len(steps))
	}
}
