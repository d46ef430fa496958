package storage_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestDeps pins who pays for the cloud SDKs: the storage seam and the
// packages that log or read locally link none of gocloud.dev or the AWS,
// Google and Azure SDKs; storage/cloud links them all.
func TestDeps(t *testing.T) {
	if testing.Short() {
		t.Skip("go list is slow; skipped with -short")
	}
	heavy := []string{"gocloud.dev", "github.com/aws/", "cloud.google.com/", "github.com/Azure/", "google.golang.org/grpc"}
	for _, tc := range []struct {
		pkg       string
		wantHeavy bool
	}{
		{"github.com/tbgo/tbgo/storage", false},
		{"github.com/tbgo/tbgo/tfevents", false},
		{"github.com/tbgo/tbgo/summary", false},
		{"github.com/tbgo/tbgo/history", false},
		{"github.com/tbgo/tbgo/storage/cloud", true},
	} {
		out, err := exec.Command("go", "list", "-deps", tc.pkg).Output()
		if err != nil {
			t.Fatalf("go list -deps %s: %v", tc.pkg, err)
		}
		var found []string
		for _, dep := range strings.Fields(string(out)) {
			for _, h := range heavy {
				if strings.HasPrefix(dep, h) {
					found = append(found, dep)
					break
				}
			}
		}
		if tc.wantHeavy != (len(found) > 0) {
			t.Errorf("%s links %d cloud packages %.5v; want any: %v", tc.pkg, len(found), found, tc.wantHeavy)
		}
	}
}
