package dataserver

import (
	"os/exec"
	"strings"
	"testing"
)

// TestGRPCStaysHere pins the cost of gRPC on the packages a user of the
// reading and writing layers imports: only the data server pulls it in.
func TestGRPCStaysHere(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go list")
	}
	core := []string{"tfevents", "summary", "history", "archive", "proto/tbpb", "proto/hparamspb"}
	for _, pkg := range core {
		out, err := exec.Command("go", "list", "-deps", "github.com/tbgo/tbgo/"+pkg).CombinedOutput()
		if err != nil {
			t.Fatalf("go list -deps %s: %v\n%s", pkg, err, out)
		}
		for _, dep := range strings.Fields(string(out)) {
			if strings.HasPrefix(dep, "google.golang.org/grpc") || strings.HasPrefix(dep, "github.com/tbgo/tbgo/dataserver") ||
				strings.HasPrefix(dep, "github.com/tbgo/tbgo/proto/dataproviderpb") {
				t.Errorf("%s depends on %s", pkg, dep)
			}
		}
	}
}
