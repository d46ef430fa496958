package tbpb_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/tbgo/tbgo/internal/testenv"
)

// TestGeneratedCodeIsFresh regenerates every .pb.go with the pinned protoc
// and protoc-gen-go into a temporary directory and fails on any difference
// from the checked-in files. scripts/setup.sh installs the pinned protoc.
func TestGeneratedCodeIsFresh(t *testing.T) {
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	testenv.Need(t, havePinnedProtoc(root), "the pinned protoc", "run scripts/setup.sh, or set PROTOC")
	out := t.TempDir()
	cmd := exec.Command(filepath.Join(root, "proto", "generate.sh"), out)
	cmd.Dir = root
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("proto/generate.sh failed: %v\n%s", err, msg)
	}
	for _, pkg := range []string{"tbpb", "hparamspb", "dataproviderpb"} {
		fresh, err := filepath.Glob(filepath.Join(out, "proto", pkg, "*.pb.go"))
		if err != nil {
			t.Fatal(err)
		}
		checkedIn, err := filepath.Glob(filepath.Join(root, "proto", pkg, "*.pb.go"))
		if err != nil {
			t.Fatal(err)
		}
		if len(fresh) == 0 || len(fresh) != len(checkedIn) {
			t.Errorf("proto/%s: generated %d files, %d checked in: stale generated files, run proto/generate.sh", pkg, len(fresh), len(checkedIn))
		}
		for _, f := range fresh {
			want, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			name := filepath.Join(root, "proto", pkg, filepath.Base(f))
			got, err := os.ReadFile(name)
			if err != nil {
				t.Errorf("stale generated files: %v; run proto/generate.sh", err)
				continue
			}
			if !bytes.Equal(got, want) {
				t.Errorf("stale generated file %s: differs from protoc output; run proto/generate.sh", name)
			}
		}
	}
}

// havePinnedProtoc reports whether proto/generate.sh can find a protoc: the
// one scripts/setup.sh installs into .venv, $PROTOC, or one on PATH (the
// script then checks its version).
func havePinnedProtoc(root string) error {
	if p := os.Getenv("PROTOC"); p != "" {
		_, err := os.Stat(p)
		return err
	}
	if _, err := os.Stat(filepath.Join(root, ".venv", "bin", "protoc")); err == nil {
		return nil
	}
	_, err := exec.LookPath("protoc")
	return err
}
