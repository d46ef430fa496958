package archive_test

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tbgo/tbgo/archive"
	"github.com/tbgo/tbgo/internal/testenv"
	"github.com/tbgo/tbgo/storage"
	_ "github.com/tbgo/tbgo/storage/cloud" // mem://
)

// bucketTree returns every object below location, by path.
func bucketTree(t *testing.T, location string) map[string][]byte {
	t.Helper()
	st, err := storage.Open(context.Background(), location)
	must(t, err)
	defer st.Close()
	tree := map[string][]byte{}
	must(t, fs.WalkDir(st.FS(), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := fs.ReadFile(st.FS(), p)
		tree[p] = data
		return err
	}))
	return tree
}

// TestRestoreIntoBucket restores an archive into a mem:// prefix: every
// file becomes an object holding its bytes; a prefix that holds objects
// and Overwrite are refused, and a corrupt archive writes nothing.
func TestRestoreIntoBucket(t *testing.T) {
	t.Parallel()
	logdir, arc := archived(t)
	loc := testenv.MemBucket(t) + "/restored"
	rep, err := archive.Restore(arc, loc, archive.RestoreOptions{})
	must(t, err)
	want := readTree(t, logdir)
	got := bucketTree(t, loc)
	files := 0
	for p, e := range want {
		if !e.mode.IsRegular() {
			continue
		}
		files++
		if !bytes.Equal(got[p], e.data) {
			t.Errorf("%s: %d bytes in the bucket, want the %d of the logdir", p, len(got[p]), len(e.data))
		}
	}
	if len(got) != files || rep.Files != files {
		t.Errorf("%d objects, report %+v; want %d files", len(got), rep, files)
	}

	if _, err := archive.Restore(arc, loc, archive.RestoreOptions{}); !errors.Is(err, archive.ErrNotEmpty) {
		t.Errorf("restore into a prefix that holds objects: %v, want ErrNotEmpty", err)
	}
	_, err = archive.Restore(arc, testenv.MemBucket(t)+"/other", archive.RestoreOptions{Overwrite: true})
	if err == nil || !strings.Contains(err.Error(), "never replaced") {
		t.Errorf("restore into a bucket with Overwrite: %v, want a refusal", err)
	}

	data, err := os.ReadFile(arc)
	must(t, err)
	bad := bytes.Clone(data)
	bad[len(bad)/3] ^= 0xff
	badArc := filepath.Join(t.TempDir(), "bad.tbar")
	must(t, os.WriteFile(badArc, bad, 0o644))
	badLoc := testenv.MemBucket(t) + "/bad"
	if _, err := archive.Restore(badArc, badLoc, archive.RestoreOptions{}); err == nil {
		t.Fatal("a corrupt archive restored without error")
	}
	if left := bucketTree(t, badLoc); len(left) > 0 {
		t.Errorf("a corrupt archive left %d objects in the bucket", len(left))
	}
}

// TestCreateFromBucket archives a logdir that lives in a mem:// bucket
// (restored there from a local one) and restores it on disk: the same
// files, byte for byte.
func TestCreateFromBucket(t *testing.T) {
	t.Parallel()
	logdir, arc := archived(t)
	loc := testenv.MemBucket(t) + "/logs"
	_, err := archive.Restore(arc, loc, archive.RestoreOptions{})
	must(t, err)
	again := filepath.Join(t.TempDir(), "again.tbar")
	rep, err := archive.CreateFile(again, loc, archive.Options{})
	must(t, err)
	out := filepath.Join(t.TempDir(), "out")
	_, err = archive.Restore(again, out, archive.RestoreOptions{})
	must(t, err)
	want, got := readTree(t, logdir), readTree(t, out)
	for p, e := range want {
		if e.mode.IsRegular() && !bytes.Equal(got[p].data, e.data) {
			t.Errorf("%s: %d bytes after a trip through the bucket, want %d", p, len(got[p].data), len(e.data))
		}
	}
	if rep.Files == 0 {
		t.Errorf("archived %+v", rep)
	}
	if _, err := archive.CreateFile(filepath.Join(t.TempDir(), "x.tbar"), "s4://nowhere/logs", archive.Options{}); !errors.Is(err, storage.ErrUnknownScheme) {
		t.Errorf("archive of an unknown scheme: %v, want ErrUnknownScheme", err)
	}
}
