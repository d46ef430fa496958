// Package dataservertest connects tests to a data server started as
// TensorBoard starts one, with --port-file: in the test's process
// (launch.Command.Run) or as a program.
package dataservertest

import (
	"bytes"
	"context"
	"os"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	dp "github.com/tbgo/tbgo/proto/dataproviderpb"
)

// Dial waits until the server writes portFile (a port and a newline) and
// returns a client of it, closed when t ends. It fails t if the server
// ends first, which it reports on done, or writes nothing within 20 s.
func Dial(t testing.TB, portFile string, done <-chan error) dp.TensorBoardDataProviderClient {
	t.Helper()
	port := 0
	for deadline := time.Now().Add(20 * time.Second); port == 0; time.Sleep(10 * time.Millisecond) {
		if b, err := os.ReadFile(portFile); err == nil && bytes.HasSuffix(b, []byte("\n")) {
			if port, err = strconv.Atoi(string(bytes.TrimSpace(b))); err != nil || port <= 0 {
				t.Fatalf("port file %s holds %q", portFile, b)
			}
		}
		select {
		case err := <-done:
			t.Fatalf("the data server ended before writing its port file: %v", err)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("no port in %s after 20 s", portFile)
		}
	}
	conn, err := grpc.NewClient("localhost:"+strconv.Itoa(port), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return dp.NewTensorBoardDataProviderClient(conn)
}

// WaitRuns waits up to 20 s for the server to list exactly the runs
// named, in order, and fails t otherwise.
func WaitRuns(t testing.TB, c dp.TensorBoardDataProviderClient, names ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var got []string
	for {
		res, err := c.ListRuns(ctx, &dp.ListRunsRequest{})
		if err != nil {
			t.Fatalf("ListRuns (waiting for runs %q; last listed %q): %v", names, got, err)
		}
		got = got[:0]
		for _, r := range res.Runs {
			got = append(got, r.Name)
		}
		if slices.Equal(got, names) {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// WaitExit waits up to 10 s for the server to report its end on done,
// and fails t unless that end is clean (nil).
func WaitExit(t testing.TB, done <-chan error) {
	t.Helper()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("the data server ended with %v, want a clean exit", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the data server still runs 10 s after it was told to end")
	}
}

// A Buffer is a bytes.Buffer safe for a writer and a reader at once: a
// server's log, or a command's output, that a test reads while it runs.
type Buffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

// Write appends p to the buffer.
func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// String returns what has been written so far.
func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
