// Package s3test starts a real S3-compatible server, versitygw, on
// 127.0.0.1 for tests: not a fake, so that conditional writes, ranged
// reads, listings and errors are a server's.
//
// The binary is $TBGO_VERSITYGW, else .tools/bin/versitygw at the
// repository root (scripts/s3server.sh install builds it), else
// versitygw on the PATH. Without it a test skips, saying how to get it,
// unless the environment variable CI is set: then it fails.
package s3test

import (
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tbgo/tbgo/internal/testenv"
)

// Credentials of the servers Start starts.
const (
	AccessKey = "tbgo"
	SecretKey = "tbgo-secret-8c1f"
	Region    = "us-east-1"
)

// A Server is a running versitygw serving the subdirectories of a
// temporary directory as buckets.
type Server struct {
	Bin      string // the versitygw binary
	Dir      string // buckets are its subdirectories
	Port     int
	Endpoint string // http://127.0.0.1:PORT
	cmd      *exec.Cmd
	log      *os.File
}

// Binary returns the versitygw binary, or skips t (fails it under CI)
// when there is none.
func Binary(t testing.TB) string {
	t.Helper()
	return testenv.Tool(t, "versitygw", "TBGO_VERSITYGW",
		"run scripts/s3server.sh install to run the tests against a real S3 server")
}

// Start starts a server on a free port of 127.0.0.1, with one bucket
// named "tbgo", and stops it when t ends. It sets the AWS environment
// variables (credentials, region) for the test, so t must not be
// parallel.
func Start(t testing.TB) *Server {
	t.Helper()
	bin := Binary(t)
	root := t.TempDir()
	// ETags live in extended attributes, set with the data: versitygw's
	// --sidecar files are updated apart from the data, and concurrent
	// If-Match writes then lost updates.
	s := &Server{Bin: bin, Dir: filepath.Join(root, "buckets")}
	if err := os.MkdirAll(s.Dir, 0o755); err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.Port = l.Addr().(*net.TCPAddr).Port
	l.Close()
	s.Endpoint = "http://127.0.0.1:" + strconv.Itoa(s.Port)
	if s.log, err = os.Create(filepath.Join(root, "versitygw.log")); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		s.Stop()
		s.log.Close()
		if t.Failed() {
			if b, err := os.ReadFile(s.log.Name()); err == nil {
				t.Logf("versitygw log:\n%s", b)
			}
		}
	})
	for k, v := range s.Env() {
		t.Setenv(k, v)
	}
	if err := s.Restart(); err != nil {
		t.Fatal(err)
	}
	s.CreateBucket(t, "tbgo")
	return s
}

// Env returns the environment a client of the server needs.
func (s *Server) Env() map[string]string {
	return map[string]string{
		"AWS_ACCESS_KEY_ID":         AccessKey,
		"AWS_SECRET_ACCESS_KEY":     SecretKey,
		"AWS_REGION":                Region,
		"AWS_DEFAULT_REGION":        Region,
		"AWS_EC2_METADATA_DISABLED": "true",
		// No ~/.aws of the machine's user may change what the tests see.
		"AWS_CONFIG_FILE":             os.DevNull,
		"AWS_SHARED_CREDENTIALS_FILE": os.DevNull,
	}
}

// CreateBucket makes an empty bucket.
func (s *Server) CreateBucket(t testing.TB, name string) {
	t.Helper()
	if err := os.Mkdir(filepath.Join(s.Dir, name), 0o755); err != nil {
		t.Fatal(err)
	}
}

// URL returns the s3:// URL of prefix in bucket on this server.
func (s *Server) URL(bucket, prefix string) string {
	return s3URL(s.Endpoint, bucket, prefix)
}

func s3URL(endpoint, bucket, prefix string) string {
	q := url.Values{
		"endpoint":       {endpoint},
		"use_path_style": {"true"},
		"region":         {Region},
		"disable_https":  {"true"},
		// Third-party servers (versitygw among them) do not send the
		// checksums the AWS SDK otherwise asks for and checks.
		"request_checksum_calculation": {"when_required"},
		"response_checksum_validation": {"when_required"},
	}
	return "s3://" + bucket + "/" + prefix + "?" + q.Encode()
}

// Restart starts the server again after Stop, on the same port and
// directory; it waits until the server answers.
func (s *Server) Restart() error {
	if s.cmd != nil {
		return fmt.Errorf("s3test: server already running")
	}
	cmd := exec.Command(s.Bin, "--port", "127.0.0.1:"+strconv.Itoa(s.Port), "--health", "/health",
		"posix", s.Dir)
	cmd.Env = append(os.Environ(), "ROOT_ACCESS_KEY="+AccessKey, "ROOT_SECRET_KEY="+SecretKey)
	cmd.Stdout, cmd.Stderr = s.log, s.log
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("s3test: start versitygw: %w", err)
	}
	s.cmd = cmd
	// Each probe is bounded: a server that accepts and never answers
	// must not outlast the deadline.
	health := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := health.Get(s.Endpoint + "/health")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	s.Stop()
	return fmt.Errorf("s3test: versitygw did not answer on %s within 20 s (log: %s)", s.Endpoint, s.log.Name())
}

// Stop stops the server (SIGTERM, then SIGKILL after 5 s) and waits for
// it to exit. It does nothing if the server is not running.
func (s *Server) Stop() {
	if s.cmd == nil {
		return
	}
	testenv.Stop(s.cmd, 5*time.Second)
	s.cmd = nil
}

// A Counter is a proxy in front of a Server that counts the requests
// made through it: the tests of request counts read them from it rather
// than from the server's log, which is written after the answer.
type Counter struct {
	Endpoint string // http://127.0.0.1:PORT, the proxy's
	mu       sync.Mutex
	requests []Request
}

// A Request is one request that went through a Counter.
type Request struct {
	Kind   string // "LIST" for a GET of a bucket, else the method: "GET", "HEAD", "PUT"...
	Path   string // /bucket/key
	Range  string // the Range header of a GET, if any
	Status int    // the server's answer
}

func (r Request) String() string {
	s := fmt.Sprintf("%s %s %d", r.Kind, r.Path, r.Status)
	if r.Range != "" {
		s += " " + r.Range
	}
	return s
}

// Count starts a Counter in front of s, stopped when t ends.
func (s *Server) Count(t testing.TB) *Counter {
	t.Helper()
	target, err := url.Parse(s.Endpoint)
	if err != nil {
		t.Fatal(err)
	}
	c := &Counter{}
	proxy := &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			r.SetURL(target)
			// Requests are signed for the proxy's host.
			r.Out.Host = r.In.Host
		},
		ModifyResponse: func(resp *http.Response) error {
			req := resp.Request
			kind := req.Method
			if kind == http.MethodGet && strings.Count(strings.Trim(req.URL.Path, "/"), "/") == 0 {
				kind = "LIST"
			}
			c.mu.Lock()
			c.requests = append(c.requests, Request{Kind: kind, Path: req.URL.Path, Range: req.Header.Get("Range"), Status: resp.StatusCode})
			c.mu.Unlock()
			return nil
		},
	}
	srv := httptest.NewServer(proxy)
	t.Cleanup(srv.Close)
	c.Endpoint = srv.URL
	return c
}

// URL returns the s3:// URL of prefix in bucket through the Counter.
func (c *Counter) URL(bucket, prefix string) string {
	return s3URL(c.Endpoint, bucket, prefix)
}

// Take returns the requests counted since the last Take, in the order
// they were answered, and forgets them.
func (c *Counter) Take() []Request {
	c.mu.Lock()
	defer c.mu.Unlock()
	r := c.requests
	c.requests = nil
	return r
}

// Stalled returns the s3:// URL of a server that accepts requests and
// never answers, until t ends, and sets credentials for it.
func Stalled(t testing.TB) string {
	t.Helper()
	done := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-done:
		}
	}))
	t.Cleanup(func() { close(done); srv.Close() })
	t.Setenv("AWS_ACCESS_KEY_ID", "tbgo")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "tbgo")
	return "s3://bucket/logs?region=us-east-1&use_path_style=true&disable_https=true&endpoint=" + url.QueryEscape(srv.URL)
}
