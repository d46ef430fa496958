package storage_test

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/tbgo/tbgo/internal/s3test"
	"github.com/tbgo/tbgo/internal/testenv"
	"github.com/tbgo/tbgo/storage"
)

// TestErrorsShowNoSecret opens and reads locations whose secrets the
// drivers would quote in their errors: no error shows one, and each still
// names the location.
func TestErrorsShowNoSecret(t *testing.T) {
	const secret = "s3kr1t-9d4e"
	refused := "http://127.0.0.1:" + closedPort(t)
	tests := []struct {
		name, location string
	}{
		// gocloud.dev quotes the URL in "open bucket URL: unknown query
		// parameter".
		{"unknown parameter with a secret", "s3://bucket/logs?region=us-east-1&awssdk_token=" + secret + "&nosuch=1"},
		{"secret parameter unknown", "s3://bucket/logs?region=us-east-1&session_token=" + secret},
		{"endpoint with a password", "s3://bucket/logs?region=us-east-1&use_path_style=true&disable_https=true&endpoint=" +
			url.QueryEscape("http://user:"+secret+"@127.0.0.1:"+closedPort(t))},
		{"endpoint refused", "s3://bucket/logs?region=us-east-1&use_path_style=true&disable_https=true&endpoint=" +
			url.QueryEscape(refused) + "&x_secret=" + secret},
		{"user information", "s3://user:" + secret + "@bucket/logs?region=us-east-1"},
		{"azure parameter", "azblob://container/logs?sas_token=" + secret + "&nosuch=1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("AWS_ACCESS_KEY_ID", "tbgo")
			t.Setenv("AWS_SECRET_ACCESS_KEY", secret+"-env")
			t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
			ctx := context.Background()
			st, err := storage.OpenWith(ctx, tc.location, &storage.StoreOptions{RequestTimeout: 5 * time.Second})
			if err == nil {
				defer st.Close()
				_, err = fs.ReadFile(st.FS(), "run/events.out.tfevents.1.host")
				if err == nil {
					t.Fatalf("reading %s succeeded", storage.Redact(tc.location))
				}
			}
			if strings.Contains(err.Error(), secret) {
				t.Errorf("the error shows the secret: %v", err)
			}
			if !strings.Contains(err.Error(), "bucket/logs") && !strings.Contains(err.Error(), "container/logs") {
				t.Errorf("the error does not name the location: %v", err)
			}
		})
	}
}

// closedPort returns a port on 127.0.0.1 that nothing listens on.
func closedPort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	_, port, _ := net.SplitHostPort(l.Addr().String())
	l.Close()
	return port
}

// TestFSRequestTimeout reads from a store that stops answering: every way
// into the FS fails within its RequestTimeout (give or take the driver's
// retries), with an error that is transient and a deadline, naming the
// file.
func TestFSRequestTimeout(t *testing.T) {
	st, err := storage.OpenWith(context.Background(), s3test.Stalled(t), &storage.StoreOptions{RequestTimeout: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	fsys := st.FS()
	for name, op := range map[string]func() error{
		"open":    func() error { _, err := fsys.Open("run/events.out.tfevents.1.host"); return err },
		"stat":    func() error { _, err := fs.Stat(fsys, "run/events.out.tfevents.1.host"); return err },
		"readdir": func() error { _, err := fs.ReadDir(fsys, "run"); return err },
		"snapshot": func() error {
			_, err := st.Snapshot(context.Background())
			return err
		},
	} {
		t.Run(name, func(t *testing.T) {
			start := time.Now()
			err := op()
			took := time.Since(start)
			if !errors.Is(err, os.ErrDeadlineExceeded) || !errors.Is(err, storage.ErrTransient) {
				t.Errorf("%s on a stalled store: %v, want a transient deadline error", name, err)
			}
			if err != nil && !strings.Contains(err.Error(), "bucket/logs") {
				t.Errorf("the error does not name the location: %v", err)
			}
			if took > 20*time.Second {
				t.Errorf("%s took %v with a 200ms timeout", name, took)
			}
		})
	}
}

// TestFSCloseEndsRequests closes a Store while its FS waits for a store
// that never answers, with no timeout: the wait ends, with fs.ErrClosed.
func TestFSCloseEndsRequests(t *testing.T) {
	st, err := storage.OpenWith(context.Background(), s3test.Stalled(t), &storage.StoreOptions{RequestTimeout: -1})
	if err != nil {
		t.Fatal(err)
	}
	errc := make(chan error, 1)
	go func() {
		_, err := st.FS().Open("run/events.out.tfevents.1.host")
		errc <- err
	}()
	time.Sleep(100 * time.Millisecond)
	st.Close()
	select {
	case err := <-errc:
		if !errors.Is(err, fs.ErrClosed) {
			t.Errorf("Open while the Store closed: %v, want fs.ErrClosed", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Open still waits 30 s after the Store was closed")
	}
}

// TestFileConcurrentClose reads a file of a bucket's FS with ReadAt from
// several goroutines while another closes it (run with -race): reads
// before the Close succeed, after it fail with fs.ErrClosed.
func TestFileConcurrentClose(t *testing.T) {
	st := open(t, testenv.MemBucket(t)+"/logs")
	data := strings.Repeat("0123456789", 1000)
	if err := st.Bucket().Write(context.Background(), st.Key("run/f"), []byte(data), ""); err != nil {
		t.Fatal(err)
	}
	for range 20 {
		f, err := st.FS().Open("run/f")
		if err != nil {
			t.Fatal(err)
		}
		ra := f.(io.ReaderAt)
		var wg sync.WaitGroup
		for g := range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				p := make([]byte, 10)
				for i := range 50 {
					off := int64((g*50 + i) % 990 * 10)
					n, err := ra.ReadAt(p, off)
					switch {
					case err == nil && string(p[:n]) != data[off:off+10]:
						t.Errorf("ReadAt %d: %q", off, p[:n])
						return
					case err != nil && !errors.Is(err, fs.ErrClosed):
						t.Errorf("ReadAt %d: %v, want nil or fs.ErrClosed", off, err)
						return
					}
				}
			}()
		}
		wg.Add(1)
		go func() { defer wg.Done(); f.Close() }()
		wg.Wait()
		if _, err := ra.ReadAt(make([]byte, 1), 0); !errors.Is(err, fs.ErrClosed) {
			t.Fatalf("ReadAt after Close: %v, want fs.ErrClosed", err)
		}
	}
}

// TestSnapshot checks a Snapshot as a file system, and that it sees what
// the FS of the same Store sees.
func TestSnapshot(t *testing.T) {
	st := open(t, testenv.MemBucket(t)+"/logs")
	files := map[string]string{
		"a/events.out.tfevents.1.h":     "one",
		"a/b/events.out.tfevents.2.h":   "two two",
		"c/d/e/events.out.tfevents.3.h": "three",
		"top":                           "4",
	}
	ctx := context.Background()
	for name, data := range files {
		if err := st.Bucket().Write(ctx, st.Key(name), []byte(data), ""); err != nil {
			t.Fatal(err)
		}
	}
	// Keys fs cannot name are left out.
	for _, key := range []string{"logs/marker/", "logs/x//y"} {
		if err := st.Bucket().Write(ctx, key, []byte("x"), ""); err != nil {
			t.Fatal(err)
		}
	}
	snap, err := st.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := fstest.TestFS(snap, "a/events.out.tfevents.1.h", "a/b/events.out.tfevents.2.h", "c/d/e/events.out.tfevents.3.h", "top"); err != nil {
		t.Error(err)
	}
	var paths []string
	for _, info := range snap.Files() {
		paths = append(paths, info.Path())
		if b, err := fs.ReadFile(snap, info.Path()); err != nil || string(b) != files[info.Path()] {
			t.Errorf("%s: %q, %v; want %q", info.Path(), b, err, files[info.Path()])
		}
	}
	want := []string{"a/b/events.out.tfevents.2.h", "a/events.out.tfevents.1.h", "c/d/e/events.out.tfevents.3.h", "top"}
	if !slices.Equal(paths, want) {
		t.Errorf("Files: %q, want %q", paths, want)
	}
	var walked []string
	fs.WalkDir(st.FS(), ".", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && files[p] != "" {
			walked = append(walked, p)
		}
		return err
	})
	if !slices.Equal(walked, want) {
		t.Errorf("FS walks %q, Snapshot lists %q", walked, want)
	}
	if _, err := new(storage.Snapshot).Open("a"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the zero Snapshot opens a: %v", err)
	}
}

// TestS3Requests counts what reading a logdir in a real S3 server costs:
// a file read to its end, one GET; a Snapshot of a logdir of nested runs,
// one LIST; a look for more after the end, one ranged GET and no HEAD.
func TestS3Requests(t *testing.T) {
	srv := s3test.Start(t)
	c := srv.Count(t)
	st := open(t, c.URL("tbgo", "requests"))
	ctx := context.Background()
	data := strings.Repeat("x", 100_000)
	for _, name := range []string{"a/f", "a/b/f", "c/d/f"} {
		if err := st.Bucket().Write(ctx, st.Key(name), []byte(data), ""); err != nil {
			t.Fatal(err)
		}
	}
	c.Take()

	kinds := func(reqs []s3test.Request) []string {
		var k []string
		for _, r := range reqs {
			k = append(k, r.Kind)
		}
		return k
	}
	check := func(what string, want ...string) []s3test.Request {
		t.Helper()
		reqs := c.Take()
		if got := kinds(reqs); !slices.Equal(got, want) {
			t.Errorf("%s made %v, want %v", what, reqs, want)
		}
		return reqs
	}

	f, err := st.FS().Open("a/b/f")
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(f)
	if err != nil || len(b) != len(data) {
		t.Fatalf("read %d bytes, %v", len(b), err)
	}
	check("reading an object to its end", "GET")
	if n, err := f.Read(make([]byte, 10)); n != 0 || err != io.EOF {
		t.Errorf("Read after the end: %d, %v", n, err)
	}
	reqs := check("a Read after the end", "GET")
	if len(reqs) == 1 && (reqs[0].Range == "" || reqs[0].Status != http.StatusRequestedRangeNotSatisfiable) {
		t.Errorf("the look for more was %v, want a ranged GET answered 416", reqs[0])
	}
	f.Close()

	snap, err := st.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	check("a Snapshot", "LIST")
	if n := len(snap.Files()); n != 3 {
		t.Errorf("the Snapshot has %d files, want 3", n)
	}
	for _, info := range snap.Files() {
		if b, err := fs.ReadFile(snap, info.Path()); err != nil || len(b) != len(data) {
			t.Errorf("%s: %d bytes, %v", info.Path(), len(b), err)
		}
	}
	check("reading the Snapshot's files", "GET", "GET", "GET")
}
