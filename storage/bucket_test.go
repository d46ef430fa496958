package storage_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strconv"
	"strings"
	"sync"
	"testing"
	"testing/fstest"

	"github.com/tbgo/tbgo/internal/s3test"
	"github.com/tbgo/tbgo/internal/testenv"
	"github.com/tbgo/tbgo/storage"
	_ "github.com/tbgo/tbgo/storage/cloud"
)

// backends returns the Stores the conformance tests run on that need no
// server: a local directory (a path and a file:// URL) and a mem:// bucket.
func backends(t *testing.T) map[string]func(t *testing.T) *storage.Store {
	return map[string]func(t *testing.T) *storage.Store{
		"path": func(t *testing.T) *storage.Store { return open(t, t.TempDir()) },
		"file": func(t *testing.T) *storage.Store { return open(t, "file://"+t.TempDir()) },
		"mem":  func(t *testing.T) *storage.Store { return open(t, testenv.MemBucket(t)+"/logs") },
	}
}

func open(t *testing.T, location string) *storage.Store {
	t.Helper()
	s, err := storage.Open(context.Background(), location)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// onEachBackend runs test on a Store of each of backends, in parallel.
func onEachBackend(t *testing.T, test func(*testing.T, *storage.Store)) {
	for name, mk := range backends(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			test(t, mk(t))
		})
	}
}

func TestBucketConformance(t *testing.T) { onEachBackend(t, testBucket) }

func TestBucketConformanceS3(t *testing.T) {
	srv := s3test.Start(t)
	testBucket(t, open(t, srv.URL("tbgo", "logs")))
}

// testBucket checks the Bucket contract on s: create-only writes, ranged
// reads, listings in key order, Stat, Update without lost updates, and the
// FS view.
func testBucket(t *testing.T, s *storage.Store) {
	ctx := context.Background()
	b := s.Bucket()
	key := func(p string) string { return s.Key(p) }
	put := func(p, data string) {
		t.Helper()
		if err := b.Write(ctx, key(p), []byte(data), ""); err != nil {
			t.Fatalf("Write %s: %v", p, err)
		}
	}
	put("run/b.txt", "bravo")
	put("run/a.txt", "alpha")
	put("run/sub/c.txt", "charlie")
	put("run.txt", "dot")
	put("top.txt", "top")

	t.Run("create-only", func(t *testing.T) {
		err := b.Write(ctx, key("run/a.txt"), []byte("other"), "")
		if !errors.Is(err, storage.ErrExist) {
			t.Fatalf("second create: got %v, want ErrExist", err)
		}
		if got := readAll(t, b, key("run/a.txt"), 0, -1); got != "alpha" {
			t.Errorf("after a refused create the object holds %q, want %q", got, "alpha")
		}
	})

	t.Run("ranged reads", func(t *testing.T) {
		for _, tc := range []struct {
			desc        string
			off, length int64
			want        string
		}{
			{"whole", 0, -1, "bravo"},
			{"from an offset", 2, -1, "avo"},
			{"a range", 1, 3, "rav"},
			{"at the end", 5, -1, ""},
			{"past the end", 9, -1, ""},
		} {
			if got := readAll(t, b, key("run/b.txt"), tc.off, tc.length); got != tc.want {
				t.Errorf("%s: read %q, want %q", tc.desc, got, tc.want)
			}
		}
	})

	t.Run("stat", func(t *testing.T) {
		obj, err := b.Stat(ctx, key("run/b.txt"))
		if err != nil || obj.Size != 5 || obj.Version == "" {
			t.Errorf("Stat = %+v, %v; want size 5 and a version", obj, err)
		}
		if _, err := b.Stat(ctx, key("run/missing")); !errors.Is(err, storage.ErrNotExist) {
			t.Errorf("Stat of a missing key: %v, want ErrNotExist", err)
		}
		if _, _, err := b.NewRangeReader(ctx, key("run/missing"), 0, -1); !errors.Is(err, storage.ErrNotExist) {
			t.Errorf("reading a missing key: %v, want ErrNotExist", err)
		}
	})

	t.Run("list", func(t *testing.T) {
		var got []string
		list := func(prefix string, recursive bool) {
			got = nil
			if err := b.List(ctx, prefix, recursive, func(o storage.Object) error {
				got = append(got, fmt.Sprintf("%s:%d:%v", o.Key, o.Size, o.IsDir))
				return nil
			}); err != nil {
				t.Fatal(err)
			}
		}
		list(key("run"), true)
		want := fmt.Sprint([]string{key("run.txt") + ":3:false", key("run/a.txt") + ":5:false",
			key("run/b.txt") + ":5:false", key("run/sub/c.txt") + ":7:false"})
		if fmt.Sprint(got) != want {
			t.Errorf("recursive listing:\n got %v\nwant %v", got, want)
		}
		list(key("run")+"/", false)
		want = fmt.Sprint([]string{key("run/a.txt") + ":5:false", key("run/b.txt") + ":5:false", key("run/sub") + "/:0:true"})
		if fmt.Sprint(got) != want {
			t.Errorf("delimited listing:\n got %v\nwant %v", got, want)
		}
	})

	t.Run("fs", func(t *testing.T) {
		fsys := s.FS()
		if err := fstest.TestFS(fsys, "run/a.txt", "run/b.txt", "run/sub/c.txt", "run.txt", "top.txt"); err != nil {
			t.Error(err)
		}
		data, err := fs.ReadFile(fsys, "run/sub/c.txt")
		if err != nil || string(data) != "charlie" {
			t.Errorf("ReadFile = %q, %v", data, err)
		}
		if _, err := fs.Stat(fsys, "run/nothing"); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("Stat of a missing path: %v, want ErrNotExist", err)
		}
	})

	t.Run("update", func(t *testing.T) {
		// Eight writers add one to a counter five times each, at once:
		// with a lost update the total would fall short of 40.
		const writers, each = 8, 5
		var wg sync.WaitGroup
		errs := make(chan error, writers)
		for range writers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range each {
					err := storage.Update(ctx, b, key("counter"), func(old []byte) ([]byte, error) {
						n := 0
						if old != nil {
							var err error
							if n, err = strconv.Atoi(string(old)); err != nil {
								return nil, err
							}
						}
						return []byte(strconv.Itoa(n + 1)), nil
					})
					if err != nil {
						errs <- err
						return
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		if got := readAll(t, b, key("counter"), 0, -1); got != strconv.Itoa(writers*each) {
			t.Errorf("counter = %s after %d updates", got, writers*each)
		}
		obj, err := b.Stat(ctx, key("counter"))
		if err != nil {
			t.Fatal(err)
		}
		if err := b.Write(ctx, key("counter"), []byte("0"), obj.Version+"x"); !errors.Is(err, storage.ErrPrecondition) {
			t.Errorf("write with a version no object has: %v, want ErrPrecondition", err)
		}
		if err := b.Write(ctx, key("counter"), []byte("41"), obj.Version); err != nil {
			t.Fatalf("write with the current version: %v", err)
		}
		if err := b.Write(ctx, key("counter"), []byte("0"), obj.Version); !errors.Is(err, storage.ErrPrecondition) {
			t.Errorf("write with the version before the last write: %v, want ErrPrecondition", err)
		}
		if got := readAll(t, b, key("counter"), 0, -1); got != "41" {
			t.Errorf("counter = %s after a refused write, want 41", got)
		}
	})
}

func readAll(t *testing.T, b storage.Bucket, key string, off, length int64) string {
	t.Helper()
	rc, _, err := b.NewRangeReader(context.Background(), key, off, length)
	if err != nil {
		t.Fatalf("read %s from %d: %v", key, off, err)
	}
	defer rc.Close()
	var buf bytes.Buffer
	if _, err := io.Copy(&buf, rc); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

// statFails is a Bucket whose Stat fails with err.
type statFails struct {
	storage.Bucket
	err error
}

func (b statFails) Stat(context.Context, string) (storage.Object, error) {
	return storage.Object{}, b.err
}

// TestUpdateError: Update's error for a refused read names the key once
// and wraps the cause.
func TestUpdateError(t *testing.T) {
	st := open(t, testenv.MemBucket(t))
	denied := fmt.Errorf("access denied: %w", storage.ErrPermission)
	err := storage.Update(context.Background(), statFails{st.Bucket(), denied}, "k", func(old []byte) ([]byte, error) {
		return []byte("x"), nil
	})
	if !errors.Is(err, storage.ErrPermission) {
		t.Fatalf("Update: %v, want ErrPermission", err)
	}
	if n := strings.Count(err.Error(), "update k"); n != 1 {
		t.Errorf("Update: %q names the key %d times, want once", err, n)
	}
}
