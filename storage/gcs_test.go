package storage_test

import (
	"testing"

	"github.com/tbgo/tbgo/internal/gcstest"
)

// The conformance tests over gs://, against a GCS emulator in its own
// process: create-only writes (ifGenerationMatch=0), conditional updates
// on the generation, delimited and recursive listings, ranged reads, and
// a Sink's segments.

func TestBucketConformanceGCS(t *testing.T) {
	srv := gcstest.Start(t)
	testBucket(t, open(t, srv.URL("tbgo", "logs")))
}

func TestSinkRoundTripGCS(t *testing.T) {
	srv := gcstest.Start(t)
	testSinkRoundTrip(t, open(t, srv.URL("tbgo", "logs")))
}
