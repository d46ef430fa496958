//go:build compat

package compat

import (
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
)

// The suite shares one logdir and one TensorBoard per configuration; they
// start on first use, all at once, and stop when the tests are done.
var fx struct {
	once    sync.Once
	err     error
	venv    string
	tmp     string
	logdir  *Logdir
	control string // a logdir holding a copy of the damaged run alone
	servers map[string]*slot
}

// A slot is a TensorBoard that is starting or started.
type slot struct {
	opts  ServerOptions
	ready chan struct{}
	srv   *Server
	err   error
	runs  []string // the runs it must list once it has loaded everything
}

// The TensorBoards of the suite.
const (
	rustServer    = "rust-checksum"   // --load_fast=true with --checksum
	pythonServer  = "python"          // --load_fast=false
	controlServer = "rust-nochecksum" // --load_fast=true without --checksum, on fx.control
)

func TestMain(m *testing.M) {
	code := m.Run()
	for _, s := range fx.servers {
		<-s.ready
		if s.srv != nil {
			s.srv.Close()
		}
	}
	if fx.tmp != "" {
		os.RemoveAll(fx.tmp)
	}
	if dataServerBin.path != "" { // built once for the whole suite
		os.RemoveAll(filepath.Dir(dataServerBin.path))
	}
	os.Exit(code)
}

// setup writes the logdir and starts every TensorBoard in the background,
// once; it fails t if the environment cannot run the suite.
func setup(t *testing.T) {
	t.Helper()
	fx.once.Do(func() { fx.err = doSetup() })
	if fx.err != nil {
		t.Fatalf("compat: cannot set up the compatibility suite: %v", fx.err)
	}
}

func doSetup() error {
	venv, err := Venv()
	if err != nil {
		return err
	}
	fx.venv = venv
	fx.tmp, err = os.MkdirTemp("", "tbgo-compat-")
	if err != nil {
		return err
	}
	fx.logdir, err = WriteLogdir(filepath.Join(fx.tmp, "logdir"))
	if err != nil {
		return err
	}
	c := fx.logdir.Corrupt
	fx.control = filepath.Join(fx.tmp, "control")
	src := filepath.Join(fx.logdir.Dir, c.Run)
	if err := copyDir(src, filepath.Join(fx.control, c.Run)); err != nil {
		return err
	}
	fx.servers = map[string]*slot{
		rustServer:    {opts: ServerOptions{Logdir: fx.logdir.Dir, Fast: true, Checksum: true}, runs: fx.logdir.Runs},
		pythonServer:  {opts: ServerOptions{Logdir: fx.logdir.Dir}, runs: fx.logdir.Runs},
		controlServer: {opts: ServerOptions{Logdir: fx.control, Fast: true}, runs: []string{c.Run}},
	}
	for _, s := range fx.servers {
		s.ready = make(chan struct{})
		go s.start()
	}
	return nil
}

func (s *slot) start() {
	defer close(s.ready)
	s.srv, s.err = StartTensorBoard(fx.venv, s.opts)
	if s.err != nil {
		return
	}
	// TensorBoard serves before it has loaded anything. The sentinel is
	// the last record of every run: once every run lists it, everything
	// before it has been read.
	s.err = s.srv.WaitFor("the sentinel of every run", func() (bool, error) {
		var tags map[string]map[string]any
		if err := s.srv.GetJSON("data/plugin/scalars/tags", nil, &tags); err != nil {
			return false, err
		}
		for _, run := range s.runs {
			if _, ok := tags[run][SentinelTag]; !ok {
				return false, fmt.Errorf("run %q lacks %q", run, SentinelTag)
			}
		}
		return true, nil
	})
}

// server returns the named TensorBoard once it has loaded its logdir.
func server(t *testing.T, name string) *Server {
	t.Helper()
	setup(t)
	s := fx.servers[name]
	<-s.ready
	if s.err != nil {
		t.Fatalf("compat: TensorBoard %q (%+v) is not usable: %v", name, s.opts, s.err)
	}
	return s.srv
}

func copyDir(src, dst string) error {
	if err := os.MkdirAll(dst, 0o755); err != nil {
		return err
	}
	entries, err := os.ReadDir(src)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if err := copyFile(filepath.Join(src, e.Name()), filepath.Join(dst, e.Name())); err != nil {
			return err
		}
	}
	return nil
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// query builds a url.Values from key, value pairs.
func query(kv ...string) url.Values {
	q := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		q.Add(kv[i], kv[i+1])
	}
	return q
}

// sortedKeys returns the keys of m in order.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
