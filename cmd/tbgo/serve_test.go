package main

import (
	"os"
	"path/filepath"
	"testing"
)

// TestLocalDir checks which logdirs board hands TensorBoard as --logdir:
// a local directory, named by path or file:// URL, and nothing else.
func TestLocalDir(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "events.out.tfevents.1")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		location string
		want     string // "" for none
	}{
		{dir, dir},
		{"file://" + filepath.ToSlash(dir), dir},
		{file, ""},
		{filepath.Join(dir, "absent"), ""},
		{"s3://bucket/runs", ""},
		{"file://host/runs", ""},
		{"", ""},
	} {
		got, ok := localDir(tt.location)
		if !ok {
			got = ""
		}
		if got != tt.want {
			t.Errorf("localDir(%q) = %q, %v; want %q", tt.location, got, ok, tt.want)
		}
	}
}
