package main

import (
	"context"
	"io"
	"path/filepath"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/tbgo/tbgo/dataserver/launch"
	"github.com/tbgo/tbgo/internal/dataservertest"
	dp "github.com/tbgo/tbgo/proto/dataproviderpb"
	"github.com/tbgo/tbgo/proto/tbpb"
	"github.com/tbgo/tbgo/storage"
	"github.com/tbgo/tbgo/tfevents"
)

// server is the command this package's main runs.
var server = &launch.Command{Name: "tbgo-data-server-cloud"}

// TestServeBucket serves a logdir in a bucket (mem://, which lives in
// this process): the run its objects make is listed, and GetExperiment
// reports the URL.
func TestServeBucket(t *testing.T) {
	t.Parallel()
	const u = "mem://data-server-test/runs"
	st, err := storage.Open(context.Background(), u)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	data, err := proto.Marshal(&tbpb.Event{WallTime: 1, What: &tbpb.Event_FileVersion{FileVersion: "brain.Event:2"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Bucket().Write(context.Background(), st.Key("train/events.out.tfevents.1"), tfevents.AppendRecord(nil, data), ""); err != nil {
		t.Fatal(err)
	}

	portFile := filepath.Join(t.TempDir(), "port")
	stdin, w := io.Pipe()
	defer w.Close()
	done := make(chan error, 1)
	go func() {
		done <- server.Run(context.Background(), []string{"--logdir=" + u, "--port=0", "--port-file=" + portFile, "--die-after-stdin"},
			stdin, io.Discard, io.Discard)
	}()
	c := dataservertest.Dial(t, portFile, done)
	dataservertest.WaitRuns(t, c, "train")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if res, err := c.GetExperiment(ctx, &dp.GetExperimentRequest{}); err != nil || res.DataLocation != u {
		t.Errorf("GetExperiment = %v, %v; want data location %s", res, err, u)
	}
	w.Close()
	dataservertest.WaitExit(t, done)
}
