//go:build compat

package compat

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/tbgo/tbgo/internal/testenv"
)

// StartTimeout bounds how long TensorBoard may take to start serving.
const StartTimeout = 60 * time.Second

// SamplesPerPlugin is passed to every TensorBoard: large enough to keep
// every point of the logdir. Zero is not "keep everything" for TensorBoard's
// HTTP endpoints: the plugins pass the hint on as the read downsample, and
// a downsample of 0 returns no data at all.
const SamplesPerPlugin = "scalars=100000,histograms=1000,images=1000,text=1000,audio=1000"

// Venv returns the Python virtual environment holding TensorBoard:
// $TBGO_VENV, or .venv at the repository root. It fails, saying how to
// make one, when the environment lacks python or tensorboard.
func Venv() (string, error) {
	venv, err := venvDir("TBGO_VENV", ".venv")
	if err != nil {
		return "", err
	}
	for _, exe := range []string{"python", "tensorboard"} {
		if _, err := os.Stat(filepath.Join(venv, "bin", exe)); err != nil {
			return "", fmt.Errorf("compat: the compatibility suite needs a Python environment with TensorBoard, "+
				"and %s has no bin/%s (run scripts/setup.sh, or set TBGO_VENV): %w", venv, exe, err)
		}
	}
	return venv, nil
}

// venvDir returns $env, or dir at the repository root.
func venvDir(env, dir string) (string, error) {
	if venv := os.Getenv(env); venv != "" {
		return venv, nil
	}
	root, err := testenv.Root()
	if err != nil {
		return "", err
	}
	return filepath.Join(root, dir), nil
}

// ErrNoTorch is TorchVenv's error when PyTorch was left out on purpose
// (TBGO_TORCH=0).
var ErrNoTorch = errors.New("compat: PyTorch was not installed (TBGO_TORCH=0), so the PyTorch writer is not tested")

// TorchVenv returns the Python virtual environment with PyTorch and
// TensorBoard (scripts/requirements-torch.txt): $TBGO_VENV_TORCH, or
// .venv-torch at the repository root. It fails, saying how to make one,
// if there is none; with TBGO_TORCH=0 the error is ErrNoTorch.
func TorchVenv() (string, error) {
	if os.Getenv("TBGO_TORCH") == "0" {
		return "", ErrNoTorch
	}
	venv, err := venvDir("TBGO_VENV_TORCH", ".venv-torch")
	if err != nil {
		return "", err
	}
	if _, err := os.Stat(filepath.Join(venv, "bin", "python")); err != nil {
		return "", fmt.Errorf("compat: the PyTorch writer's test needs a Python environment with torch, "+
			"and %s has no bin/python (run scripts/setup.sh, set TBGO_VENV_TORCH, or skip it with TBGO_TORCH=0): %w", venv, err)
	}
	return venv, nil
}

// Python runs a script of compat/python with the venv's interpreter and
// returns its standard output. The error holds its standard error.
func Python(ctx context.Context, venv, script string, stdin []byte, args ...string) ([]byte, error) {
	root, err := testenv.Root()
	if err != nil {
		return nil, err
	}
	path := filepath.Join(root, "compat", "python", script)
	cmd := exec.CommandContext(ctx, filepath.Join(venv, "bin", "python"), append([]string{path}, args...)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdin = bytes.NewReader(stdin)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("compat: %s %s: %w\nstderr:\n%s", script, strings.Join(args, " "), err, stderr.Bytes())
	}
	return stdout.Bytes(), nil
}

// ServerOptions chooses how a TensorBoard reads its logdir.
type ServerOptions struct {
	Logdir string
	// Fast selects the Rust data server (--load_fast=true); otherwise the
	// Python loader (--load_fast=false).
	Fast bool
	// Checksum makes the Rust data server verify every record's data
	// checksum (--extra_data_server_flags=--checksum).
	Checksum bool
	// Reload, when positive, reloads the logdir that often
	// (--reload_interval, whole seconds); zero loads it once.
	Reload time.Duration
	// DataServer, with Fast, is the data server binary TensorBoard
	// launches instead of its own (TENSORBOARD_DATA_SERVER_BINARY).
	DataServer string
	// GRPCDataProvider attaches TensorBoard to a data server already
	// serving at this address (--grpc_data_provider) instead of loading.
	GRPCDataProvider string
}

// A Server is a running TensorBoard.
type Server struct {
	URL  string // base URL, ending in "/"
	cmd  *exec.Cmd
	done chan struct{} // closed when the process has exited
	mu   sync.Mutex
	log  bytes.Buffer // standard error
}

// StartTensorBoard starts TensorBoard on a free port of 127.0.0.1 and waits
// until it listens. It loads the logdir once (--reload_interval 0) unless
// o.Reload is set. The
// process runs in its own process group, which Close kills.
func StartTensorBoard(venv string, o ServerOptions) (*Server, error) {
	args := []string{
		"--logdir", o.Logdir, "--host", "127.0.0.1", "--port", "0",
		"--reload_interval", strconv.Itoa(int(o.Reload.Seconds())), "--samples_per_plugin=" + SamplesPerPlugin,
	}
	switch {
	case o.GRPCDataProvider != "":
		args = append(args, "--grpc_data_provider="+o.GRPCDataProvider)
	case o.Fast:
		args = append(args, "--load_fast=true")
		if o.Checksum {
			args = append(args, "--extra_data_server_flags=--checksum")
		}
	default:
		args = append(args, "--load_fast=false")
	}
	cmd := exec.Command(filepath.Join(venv, "bin", "tensorboard"), args...)
	if o.DataServer != "" {
		cmd.Env = append(os.Environ(), "TENSORBOARD_DATA_SERVER_BINARY="+o.DataServer)
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	pipe, err := cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("compat: start tensorboard: %w", err)
	}
	s := &Server{cmd: cmd, done: make(chan struct{})}
	urls := make(chan string, 1)
	go func() {
		// Wait closes the pipe, so it must come after the last read.
		s.readLog(pipe, urls)
		cmd.Wait()
		close(s.done)
	}()
	timer := time.NewTimer(StartTimeout)
	defer timer.Stop()
	select {
	case s.URL = <-urls:
		return s, nil
	case <-s.done:
		return nil, fmt.Errorf("compat: tensorboard %s exited before serving (%v); stderr:\n%s",
			strings.Join(args, " "), cmd.ProcessState, s.Stderr())
	case <-timer.C:
		s.Close()
		return nil, fmt.Errorf("compat: tensorboard %s did not serve within %v; stderr:\n%s",
			strings.Join(args, " "), StartTimeout, s.Stderr())
	}
}

var servingURL = regexp.MustCompile(`TensorBoard \S+ at (http://\S+/)`)

// readLog copies TensorBoard's standard error into s.log and sends the URL
// it announces on urls.
func (s *Server) readLog(r io.Reader, urls chan<- string) {
	sc := bufio.NewScanner(r)
	sc.Buffer(nil, 1<<20)
	sent := false
	for sc.Scan() {
		line := sc.Text()
		s.mu.Lock()
		s.log.WriteString(line + "\n")
		s.mu.Unlock()
		if m := servingURL.FindStringSubmatch(line); m != nil && !sent {
			urls <- m[1]
			sent = true
		}
	}
}

// Stderr returns what TensorBoard has written to its standard error.
func (s *Server) Stderr() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.log.String()
}

// Close stops TensorBoard and its data server: SIGTERM to the process
// group, SIGKILL if it has not exited after five seconds.
func (s *Server) Close() {
	pgid := s.cmd.Process.Pid
	syscall.Kill(-pgid, syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(5 * time.Second):
		syscall.Kill(-pgid, syscall.SIGKILL)
		<-s.done
	}
}

var httpClient = &http.Client{Timeout: 30 * time.Second}

// Get fetches path (relative to the base URL, such as
// "data/plugin/scalars/tags") with the query q and returns the body; any
// status but 200 is an error.
func (s *Server) Get(path string, q url.Values) ([]byte, error) {
	u := s.URL + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	return s.get(u)
}

// GetRaw fetches path with a query string that is already encoded, as
// TensorBoard hands out for images.
func (s *Server) GetRaw(path, query string) ([]byte, error) {
	return s.get(s.URL + path + "?" + query)
}

func (s *Server) get(u string) ([]byte, error) {
	resp, err := httpClient.Get(u)
	if err != nil {
		return nil, fmt.Errorf("compat: GET %s: %w", u, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("compat: GET %s: %w", u, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("compat: GET %s: %s: %.500s", u, resp.Status, body)
	}
	return body, nil
}

// GetJSON fetches path and decodes the JSON body into v.
func (s *Server) GetJSON(path string, q url.Values, v any) error {
	body, err := s.Get(path, q)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(body, v); err != nil {
		return fmt.Errorf("compat: GET %s?%s: %w in %.500s", path, q.Encode(), err, body)
	}
	return nil
}

// Float is a float64 in TensorBoard's JSON, which writes non-finite values
// as the strings "NaN", "Infinity" and "-Infinity" (and the multiplexer
// dump as "nan", "inf" and "-inf").
type Float float64

// UnmarshalJSON accepts a number or one of the non-finite strings.
func (f *Float) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		var v float64
		if err := json.Unmarshal(b, &v); err != nil {
			return err
		}
		*f = Float(v)
		return nil
	}
	switch s {
	case "NaN", "nan":
		*f = Float(math.NaN())
	case "Infinity", "inf":
		*f = Float(math.Inf(1))
	case "-Infinity", "-inf":
		*f = Float(math.Inf(-1))
	default:
		return fmt.Errorf("compat: %q is not a number", s)
	}
	return nil
}

// WaitFor calls ready until it reports true, failing after StartTimeout or
// when the server exits.
func (s *Server) WaitFor(what string, ready func() (bool, error)) error {
	deadline := time.Now().Add(StartTimeout)
	var last error
	for {
		ok, err := ready()
		if ok {
			return nil
		}
		last = err
		select {
		case <-s.done:
			return fmt.Errorf("compat: tensorboard exited while waiting for %s; stderr:\n%s", what, s.Stderr())
		case <-time.After(200 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("compat: tensorboard did not serve %s within %v (last error: %v); stderr:\n%s",
				what, StartTimeout, last, s.Stderr())
		}
	}
}
