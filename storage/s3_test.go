package storage_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/tbgo/tbgo/internal/s3test"
	"github.com/tbgo/tbgo/storage"
	"github.com/tbgo/tbgo/tfevents"
)

// TestMain lets the test binary be the writer process that
// TestS3KillWriter kills.
func TestMain(m *testing.M) {
	if loc := os.Getenv("TBGO_SINK_WRITER"); loc != "" {
		os.Exit(sinkWriter(loc))
	}
	os.Exit(m.Run())
}

// sinkWriter writes scalars 0, 1, 2, ... to run "run" of loc until it is
// killed, flushing every 50 and printing "ack N" once N are durable.
func sinkWriter(loc string) int {
	st, err := storage.Open(context.Background(), loc)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	sink, err := storage.NewSink(context.Background(), st.Bucket(), st.Key("run"), &storage.SinkOptions{MaxAge: 20 * time.Millisecond})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	w, err := tfevents.NewEventWriter(sink, &tfevents.FileOptions{Fsync: true})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	for i := 0; ; i++ {
		if err := w.WriteEvent(scalarEvent(int64(i))); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		if (i+1)%50 == 0 {
			if err := w.Flush(); err != nil {
				fmt.Fprintln(os.Stderr, err)
				return 1
			}
			fmt.Printf("ack %d\n", i+1)
		}
	}
}

// TestS3KillWriter kills a writer process with SIGKILL while it uploads:
// every value it acknowledged is in the bucket, every object is whole, and
// the values form a prefix 0..n-1 (nothing lost in between).
func TestS3KillWriter(t *testing.T) {
	srv := s3test.Start(t)
	loc := srv.URL("tbgo", "kill")
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "TBGO_SINK_WRITER="+loc)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	acked := 0
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		n, err := strconv.Atoi(strings.TrimPrefix(sc.Text(), "ack "))
		if err != nil {
			t.Fatalf("writer said %q", sc.Text())
		}
		acked = n
		if acked >= 2000 {
			break
		}
	}
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	if acked < 2000 {
		t.Fatalf("the writer acknowledged only %d values before it ended", acked)
	}
	st := open(t, loc)
	got := steps(readRun(t, st.FS(), "run"))
	if len(got) < acked || !slices.Equal(got, seq(len(got))) {
		t.Errorf("after SIGKILL: %d values read, %d acknowledged; want 0..n-1 with n >= acknowledged", len(got), acked)
	}
	t.Logf("acknowledged %d, found %d", acked, len(got))
}

// TestS3ServerRestart stops the server while a writer flushes, and starts
// it again: the writer retries and goes on, and nothing it acknowledged is
// lost.
func TestS3ServerRestart(t *testing.T) {
	srv := s3test.Start(t)
	st := open(t, srv.URL("tbgo", "restart"))
	sink := newSink(t, st.Bucket(), st.Key("run"), storage.SinkOptions{MaxAge: time.Hour, RetryTimeout: time.Minute})
	w := eventWriter(t, sink)
	var wg sync.WaitGroup
	wg.Add(1)
	errc := make(chan error, 1)
	const n = 3000
	var longest time.Duration // of a Flush
	go func() {
		defer wg.Done()
		for i := range n {
			w.WriteEvent(scalarEvent(int64(i)))
			if (i+1)%100 == 0 {
				start := time.Now()
				if err := w.Flush(); err != nil {
					errc <- err
					return
				}
				longest = max(longest, time.Since(start))
				time.Sleep(20 * time.Millisecond)
			}
		}
		errc <- w.Close()
	}()
	time.Sleep(100 * time.Millisecond)
	srv.Stop()
	const down = 3 * time.Second
	time.Sleep(down)
	if err := srv.Restart(); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	if err := <-errc; err != nil {
		t.Fatalf("the writer failed across a server restart: %v", err)
	}
	if err := sink.Close(); err != nil {
		t.Fatal(err)
	}
	if longest < down/2 {
		t.Errorf("the longest Flush took %v: the server was not down during an upload", longest)
	}
	t.Logf("longest Flush %v; %+v", longest, sink.Stats())
	if got := steps(readRun(t, st.FS(), "run")); !slices.Equal(got, seq(n)) {
		t.Errorf("read back %d values, want 0..%d once each", len(got), n-1)
	}
}

// TestS3Errors checks the errors of a missing bucket, bad credentials and
// an unknown scheme: clear, naming the location, never the secret, and
// nothing written.
func TestS3Errors(t *testing.T) {
	srv := s3test.Start(t)
	ctx := context.Background()

	t.Run("missing bucket", func(t *testing.T) {
		st := open(t, srv.URL("nosuchbucket", "logs"))
		_, err := storage.NewSink(ctx, st.Bucket(), st.Key("run"), nil)
		if !errors.Is(err, storage.ErrNotExist) || !strings.Contains(err.Error(), "NoSuchBucket") {
			t.Errorf("NewSink in a missing bucket: %v, want ErrNotExist saying NoSuchBucket", err)
		}
		_, err = tfevents.DiscoverRunsFS(st.FS(), ".")
		if !errors.Is(err, storage.ErrNotExist) {
			t.Errorf("reading a missing bucket: %v, want ErrNotExist", err)
		}
	})

	t.Run("bad credentials", func(t *testing.T) {
		const secret = "not-the-secret-5f2e"
		t.Setenv("AWS_SECRET_ACCESS_KEY", secret)
		st := open(t, srv.URL("tbgo", "logs"))
		_, err := storage.NewSink(ctx, st.Bucket(), st.Key("run"), nil)
		if !errors.Is(err, storage.ErrPermission) {
			t.Errorf("NewSink with a wrong secret: %v, want ErrPermission", err)
		}
		err = st.Bucket().Write(ctx, st.Key("run/x"), []byte("x"), "")
		if !errors.Is(err, storage.ErrPermission) {
			t.Errorf("Write with a wrong secret: %v, want ErrPermission", err)
		}
		if err != nil && (strings.Contains(err.Error(), secret) || strings.Contains(err.Error(), s3test.SecretKey)) {
			t.Errorf("the error shows a secret: %v", err)
		}
		entries, _ := os.ReadDir(srv.Dir + "/tbgo")
		if len(entries) != 0 {
			t.Errorf("a refused client left %d entries in the bucket", len(entries))
		}
	})

	t.Run("unknown scheme", func(t *testing.T) {
		_, err := storage.Open(ctx, "s4://bucket/logs?token=hunter2")
		if !errors.Is(err, storage.ErrUnknownScheme) {
			t.Fatalf("Open s4://: %v, want ErrUnknownScheme", err)
		}
		if strings.Contains(err.Error(), "hunter2") || !strings.Contains(err.Error(), "s4://bucket/logs") {
			t.Errorf("the error should name the URL without its token: %v", err)
		}
	})
}
