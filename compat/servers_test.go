//go:build compat

package compat

import (
	"fmt"
	"sync"
	"testing"
)

// A serverSpec is one TensorBoard a test needs: how it reads its logdir and
// when it has read enough to be queried.
type serverSpec struct {
	name string
	opts ServerOptions
	// ready reports whether the server has loaded what the test wrote;
	// nil means as soon as it serves.
	ready func(*Server) (bool, error)
}

// bothLoaders returns the two ways the suite reads a logdir: TensorBoard's
// Rust data server checking every record's checksum ("rust"), and its
// Python loader ("python"), both waiting for ready.
func bothLoaders(logdir string, ready func(*Server) (bool, error)) []serverSpec {
	return []serverSpec{
		{"rust", ServerOptions{Logdir: logdir, Fast: true, Checksum: true}, ready},
		{"python", ServerOptions{Logdir: logdir}, ready},
	}
}

// startServers starts every TensorBoard of specs at once, waits until each
// is ready, and closes them all when t's test ends. It fails t, naming the
// server, if any cannot start. The servers come back in the order of specs.
func startServers(t *testing.T, specs []serverSpec) []*Server {
	t.Helper()
	venv, err := Venv()
	if err != nil {
		t.Fatalf("compat: %v", err)
	}
	servers := make([]*Server, len(specs))
	errs := make([]error, len(specs))
	var wg sync.WaitGroup
	for i, spec := range specs {
		wg.Go(func() {
			s, err := StartTensorBoard(venv, spec.opts)
			if err == nil && spec.ready != nil {
				err = s.WaitFor("the test's data", func() (bool, error) { return spec.ready(s) })
			}
			servers[i], errs[i] = s, err
		})
	}
	wg.Wait()
	for _, s := range servers {
		if s != nil {
			t.Cleanup(s.Close)
		}
	}
	for i, spec := range specs {
		if errs[i] != nil {
			t.Fatalf("compat: TensorBoard %q (%+v) is not usable: %v", spec.name, spec.opts, errs[i])
		}
	}
	return servers
}

// sentinelsLoaded is a ready function: it holds once every run of runs
// lists SentinelTag, the scalar written last in each.
func sentinelsLoaded(runs []string) func(*Server) (bool, error) {
	return func(s *Server) (bool, error) {
		var tags map[string]map[string]any
		if err := s.GetJSON("data/plugin/scalars/tags", nil, &tags); err != nil {
			return false, err
		}
		for _, run := range runs {
			if _, ok := tags[run][SentinelTag]; !ok {
				return false, fmt.Errorf("run %q lacks %q", run, SentinelTag)
			}
		}
		return true, nil
	}
}
