package tfevents_test

import (
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/tbgo/tbgo/tfevents"
)

// faultyFile is a real file that fails once budget bytes have been
// written: the write that crosses the budget writes what fits and then
// returns err (or, with err nil, reports a short write).
type faultyFile struct {
	f      *os.File
	budget int
	err    error
}

func (w *faultyFile) Write(p []byte) (int, error) {
	if len(p) <= w.budget {
		w.budget -= len(p)
		return w.f.Write(p)
	}
	n, err := w.f.Write(p[:w.budget])
	w.budget = 0
	if err != nil {
		return n, err
	}
	return n, w.err // a nil err makes bufio report io.ErrShortWrite
}

// TestWriterFaults injects write failures at many points of a stream of
// records of varied sizes: the failure must come back from a write, Flush
// or Close (wrapping the injected error), stick, never panic, and leave a
// file that reads back as a prefix of what was written, holding everything
// a Flush returned for, and ending cleanly or in a torn last record.
func TestWriterFaults(t *testing.T) {
	faults := []struct {
		desc string
		err  error // nil: a short write
		want error
	}{
		{"disk full", syscall.ENOSPC, syscall.ENOSPC},
		{"I/O error", syscall.EIO, syscall.EIO},
		{"permission denied", syscall.EACCES, syscall.EACCES},
		{"short write", nil, io.ErrShortWrite},
	}
	rng := rand.New(rand.NewPCG(7, 7))
	records := make([][]byte, 400)
	for i := range records {
		records[i] = fmt.Appendf(nil, "record %d %s", i, make([]byte, rng.IntN(3000)))
	}
	injected := 0
	for _, fault := range faults {
		for _, budget := range []int{0, 1, 11, 12, 100, 4095, 65536, 65537, 200_000, 400_000} {
			t.Run(fmt.Sprintf("%s/after=%d", fault.desc, budget), func(t *testing.T) {
				name := filepath.Join(t.TempDir(), "events.out.tfevents.fault")
				f, err := os.Create(name)
				if err != nil {
					t.Fatal(err)
				}
				defer f.Close()
				w := tfevents.NewWriter(&faultyFile{f: f, budget: budget, err: fault.err})
				flushed := 0 // records a Flush returned for
				var failure error
				for i, rec := range records {
					if err := w.WriteRecord(rec); err != nil {
						failure = err
						break
					}
					if i%10 == 9 {
						if err := w.Flush(); err != nil {
							failure = err
							break
						}
						flushed = i + 1
					}
				}
				if cerr := w.Close(); failure == nil {
					failure = cerr
				} else if !errors.Is(cerr, fault.want) {
					t.Errorf("Close after the failure: %v, want the sticky %v", cerr, fault.want)
				}
				if failure == nil {
					return // the budget outlasted the stream
				}
				injected++
				if !errors.Is(failure, fault.want) {
					t.Fatalf("failure %v does not wrap %v", failure, fault.want)
				}
				if err := w.WriteRecord([]byte("more")); !errors.Is(err, fault.want) {
					t.Errorf("write after the failure: %v, want the sticky error", err)
				}
				recs, _ := fileRecords(t, name) // nothing worse than a torn tail
				n := 0
				for ; n < len(recs); n++ {
					if string(recs[n]) != string(records[n]) {
						t.Fatalf("record %d differs from what was written", n)
					}
				}
				if n < flushed {
					t.Errorf("%d records read back, %d were flushed", n, flushed)
				}
			})
		}
	}
	t.Logf("%d faults injected", injected)
}
