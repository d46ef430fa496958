package storage_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/tbgo/tbgo/storage"
)

func TestJoin(t *testing.T) {
	for _, tc := range []struct {
		desc, location string
		elem           []string
		want           string
	}{
		{"path", "runs", []string{"exp1", "rank0"}, filepath.Join("runs", "exp1", "rank0")},
		{"path, slashed element", "runs", []string{"exp1/rank0"}, filepath.Join("runs", "exp1", "rank0")},
		{"bucket root", "s3://b", []string{"run"}, "s3://b/run"},
		{"prefix and query", "s3://b/runs?region=us-east-1&use_path_style=true", []string{"exp1/rank0"}, "s3://b/runs/exp1/rank0?region=us-east-1&use_path_style=true"},
		{"trailing slash", "gs://b/runs/", []string{"x"}, "gs://b/runs/x"},
		{"dot-dot stays inside the URL's path", "mem://b/runs", []string{"../x"}, "mem://b/x"},
		{"file URL", "file:///tmp/logs", []string{"train"}, "file:///tmp/logs/train"},
		{"no elements", "s3://b/runs?region=r", nil, "s3://b/runs?region=r"},
		{"escaped name", "s3://b/runs", []string{"a b#c"}, "s3://b/runs/a%20b%23c"},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			if got := storage.Join(tc.location, tc.elem...); got != tc.want {
				t.Errorf("Join(%q, %q) = %q, want %q", tc.location, tc.elem, got, tc.want)
			}
		})
	}
}

func TestLocal(t *testing.T) {
	for _, tc := range []struct {
		location string
		want     string
		ok       bool
	}{
		{"runs/a", "runs/a", true},
		{"file:///tmp/a%20b", filepath.FromSlash("/tmp/a b"), true},
		{"file://localhost/tmp/a", filepath.FromSlash("/tmp/a"), true},
		{"file://host/tmp/a", "", false},
		{"file:///tmp/a?x=1", "", false},
		{"s3://b/runs", "", false},
		{"mem://b", "", false},
	} {
		if got, ok := storage.Local(tc.location); got != tc.want || ok != tc.ok {
			t.Errorf("Local(%q) = %q, %v; want %q, %v", tc.location, got, ok, tc.want, tc.ok)
		}
	}
}

func TestDisplay(t *testing.T) {
	for _, tc := range []struct{ location, want string }{
		{"runs/a", "runs/a"},
		{"s3://b/runs/?endpoint=http://127.0.0.1:7070&region=us-east-1", "s3://b/runs"},
		{"s3://user:pw@b/runs", "s3://user:REDACTED@b/runs"},
		{"azblob://c/logs?sas_token=abc", "azblob://c/logs"},
	} {
		if got := storage.Display(tc.location); got != tc.want {
			t.Errorf("Display(%q) = %q, want %q", tc.location, got, tc.want)
		}
	}
}

// TestOpenAgreesWithLocal opens the file URLs of TestLocal: Open refuses
// exactly those that Local says name no local directory.
func TestOpenAgreesWithLocal(t *testing.T) {
	dir := filepath.ToSlash(t.TempDir())
	for _, location := range []string{
		"file://" + dir,
		"file://localhost" + dir,
		"file://host" + dir,
		"file://" + dir + "?x=1",
		"file://" + dir + "?",
		"file://" + dir + "?&", // a query of no parameters
	} {
		_, ok := storage.Local(location)
		st, err := storage.Open(context.Background(), location)
		if err == nil {
			st.Close()
		}
		if ok != (err == nil) {
			t.Errorf("Local(%q) ok=%v, but Open: %v", location, ok, err)
		}
	}
}
