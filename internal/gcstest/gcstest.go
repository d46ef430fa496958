// Package gcstest starts a Google Cloud Storage emulator, fake-gcs-server,
// on 127.0.0.1 for tests: a separate process that speaks GCS's JSON API
// over HTTP, so that the gs:// driver's requests, generation
// preconditions, listings and ranged reads go over the wire as they do
// against GCS. It is an emulator, not GCS: the S3 suite's server
// (internal/s3test) is the judge of object-store behaviour; this one
// checks that tbgo's GCS path works end to end.
//
// The binary is $TBGO_FAKE_GCS_SERVER, else .tools/bin/fake-gcs-server at
// the repository root (scripts/gcsserver.sh install builds it), else
// fake-gcs-server on the PATH. Without it a test skips, saying how to get
// it, unless the environment variable CI is set: then it fails.
package gcstest

import (
	"bytes"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/tbgo/tbgo/internal/testenv"
)

// A Server is a running fake-gcs-server keeping its objects in a
// temporary directory.
type Server struct {
	Host string // 127.0.0.1:PORT, what STORAGE_EMULATOR_HOST names
	cmd  *exec.Cmd
}

// Start starts a server on a free port of 127.0.0.1 with one bucket named
// "tbgo", points the GCS client at it (STORAGE_EMULATOR_HOST, so t must
// not be parallel) and stops it when t ends.
func Start(t testing.TB) *Server {
	t.Helper()
	bin := testenv.Tool(t, "fake-gcs-server", "TBGO_FAKE_GCS_SERVER",
		"run scripts/gcsserver.sh install to run the tests against a GCS emulator")
	root := t.TempDir()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	s := &Server{Host: "127.0.0.1:" + strconv.Itoa(port)}
	log, err := os.Create(filepath.Join(root, "fake-gcs-server.log"))
	if err != nil {
		t.Fatal(err)
	}
	s.cmd = exec.Command(bin, "-scheme", "http", "-host", "127.0.0.1", "-port", strconv.Itoa(port),
		"-backend", "filesystem", "-filesystem-root", filepath.Join(root, "objects"),
		"-public-host", s.Host, "-external-url", "http://"+s.Host, "-log-level", "warn")
	s.cmd.Stdout, s.cmd.Stderr = log, log
	if err := s.cmd.Start(); err != nil {
		t.Fatalf("gcstest: start fake-gcs-server: %v", err)
	}
	t.Cleanup(func() {
		s.stop()
		log.Close()
		if t.Failed() {
			if b, err := os.ReadFile(log.Name()); err == nil {
				t.Logf("fake-gcs-server log:\n%s", b)
			}
		}
	})
	t.Setenv("STORAGE_EMULATOR_HOST", s.Host)
	if err := s.wait(20 * time.Second); err != nil {
		t.Fatal(err)
	}
	s.CreateBucket(t, "tbgo")
	return s
}

// wait waits until the server answers a bucket listing.
func (s *Server) wait(limit time.Duration) error {
	c := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		resp, err := c.Get("http://" + s.Host + "/storage/v1/b")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	return fmt.Errorf("gcstest: fake-gcs-server did not answer on %s within %v", s.Host, limit)
}

// CreateBucket makes an empty bucket.
func (s *Server) CreateBucket(t testing.TB, name string) {
	t.Helper()
	body := fmt.Sprintf(`{"name":%q}`, name)
	resp, err := http.Post("http://"+s.Host+"/storage/v1/b?project=tbgo", "application/json", bytes.NewBufferString(body))
	if err != nil {
		t.Fatalf("gcstest: create bucket %s: %v", name, err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("gcstest: create bucket %s: %s", name, resp.Status)
	}
}

// URL returns the gs:// URL of prefix in bucket: anonymous, since the
// emulator takes no credentials.
func (s *Server) URL(bucket, prefix string) string {
	return "gs://" + bucket + "/" + prefix + "?" + url.Values{"anonymous": {"true"}}.Encode()
}

// stop stops the server (SIGTERM, then SIGKILL after 5 s).
func (s *Server) stop() { testenv.Stop(s.cmd, 5*time.Second) }
