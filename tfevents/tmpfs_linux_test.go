package tfevents_test

import (
	"errors"
	"os"
	"os/exec"
	"syscall"
	"testing"

	"github.com/tbgo/tbgo/tfevents"
)

// TestWriterFullTmpfs fills a real 256 KiB tmpfs (mounting needs root,
// which CI has): ENOSPC must come back from a write or Flush and stick,
// and the file must read back up to its last complete record.
func TestWriterFullTmpfs(t *testing.T) {
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=256k", "tbgo-test", dir).CombinedOutput(); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("CI is set, and a tmpfs cannot be mounted: %v: %s", err, out)
		}
		t.Skipf("cannot mount a tmpfs here (run as root, or set CI to make this a failure): %v: %s", err, out)
	}
	t.Cleanup(func() { exec.Command("umount", dir).Run() })

	w, err := tfevents.CreateFile(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	rec := make([]byte, 1000)
	flushed := 0
	var failure error
	for i := 0; i < 1000 && failure == nil; i++ {
		if failure = w.WriteRecord(rec); failure == nil && i%10 == 9 {
			if failure = w.Flush(); failure == nil {
				flushed = i + 1
			}
		}
	}
	w.Close()
	if !errors.Is(failure, syscall.ENOSPC) {
		t.Fatalf("filling a 256 KiB tmpfs: %v, want ENOSPC", failure)
	}
	recs, _ := fileRecords(t, w.FileName()) // nothing worse than a torn tail
	n := len(recs) - 1                      // the file_version record
	if n < flushed {
		t.Errorf("%d records read back, %d flushed", n, flushed)
	}
}
