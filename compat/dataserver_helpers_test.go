//go:build compat

package compat

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/tbgo/tbgo/internal/testenv"
)

// dataServerBin builds cmd/tbgo-data-server once per test binary, with
// its companion tbgo-data-server-cloud beside it (the program it hands
// bucket URLs to).
var dataServerBin struct {
	once sync.Once
	path string
	err  error
}

// tbgoDataServer returns the path of a freshly built tbgo-data-server,
// with tbgo-data-server-cloud in the same directory.
func tbgoDataServer(t *testing.T) string {
	t.Helper()
	dataServerBin.once.Do(func() {
		root, err := testenv.Root()
		if err != nil {
			dataServerBin.err = err
			return
		}
		dir, err := os.MkdirTemp("", "tbgo-data-server-")
		if err != nil {
			dataServerBin.err = err
			return
		}
		dataServerBin.path = filepath.Join(dir, "tbgo-data-server")
		cmd := exec.Command("go", "build", "-o", dir+string(filepath.Separator), "./cmd/tbgo-data-server", "./cmd/tbgo-data-server-cloud")
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			dataServerBin.err = fmt.Errorf("go build ./cmd/tbgo-data-server ./cmd/tbgo-data-server-cloud: %v\n%s", err, out)
		}
	})
	if dataServerBin.err != nil {
		t.Fatalf("compat: %v", dataServerBin.err)
	}
	return dataServerBin.path
}

// rustBoard returns the path of TensorBoard's Rust data server in the venv.
func rustBoard(t *testing.T) string {
	t.Helper()
	venv, err := Venv()
	if err != nil {
		t.Fatalf("compat: %v", err)
	}
	out, err := exec.Command(filepath.Join(venv, "bin", "python"), "-c",
		"import tensorboard_data_server as t; print(t.server_binary())").Output()
	if err != nil {
		t.Fatalf("compat: the venv has no tensorboard_data_server: %v", err)
	}
	return strings.TrimSpace(string(out))
}

// A dataServer is a running data server, tbgo's or RustBoard.
type dataServer struct {
	name string
	Port int
	cmd  *exec.Cmd
	mu   sync.Mutex
	log  strings.Builder
	done chan struct{}
}

// loadedLine is what each server logs at -v when a load cycle ends.
func loadedLine(line string) bool {
	return strings.Contains(line, "Finished load cycle") || strings.Contains(line, "load cycle done")
}

// startDataServer starts bin (tbgo-data-server or RustBoard) on a free
// port of localhost serving logdir with extra flags at -v, and waits
// until its first load cycle has finished. The server is killed when t
// ends.
func startDataServer(t *testing.T, name, bin, logdir string, extra ...string) *dataServer {
	t.Helper()
	portFile := filepath.Join(t.TempDir(), "port")
	args := append([]string{"--logdir=" + logdir, "--port=0", "--port-file=" + portFile, "-v"}, extra...)
	s := &dataServer{name: name, cmd: exec.Command(bin, args...), done: make(chan struct{})}
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	stderr, err := s.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := s.cmd.Start(); err != nil {
		t.Fatalf("compat: start %s: %v", name, err)
	}
	loaded := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(stderr)
		sc.Buffer(nil, 1<<20)
		once := sync.Once{}
		for sc.Scan() {
			s.mu.Lock()
			s.log.WriteString(sc.Text() + "\n")
			s.mu.Unlock()
			if loadedLine(sc.Text()) {
				once.Do(func() { close(loaded) })
			}
		}
		s.cmd.Wait()
		close(s.done)
	}()
	t.Cleanup(s.stop)
	select {
	case <-loaded:
	case <-s.done:
		t.Fatalf("compat: %s %s exited: %v\n%s", name, strings.Join(args, " "), s.cmd.ProcessState, s.stderr())
	case <-time.After(StartTimeout):
		t.Fatalf("compat: %s did not finish loading %s within %v\n%s", name, logdir, StartTimeout, s.stderr())
	}
	b, err := os.ReadFile(portFile)
	if err == nil {
		s.Port, err = strconv.Atoi(strings.TrimSpace(string(b)))
	}
	if err != nil {
		t.Fatalf("compat: %s port file: %v", name, err)
	}
	return s
}

func (s *dataServer) stderr() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.log.String()
}

func (s *dataServer) stop() {
	syscall.Kill(-s.cmd.Process.Pid, syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(5 * time.Second):
		syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
		<-s.done
	}
}

// diffReport is compat/python/dataserver_diff.py's output.
type diffReport struct {
	Calls int               `json:"calls"`
	Diffs []json.RawMessage `json:"diffs"`
	Notes []string          `json:"notes"`
}

// diffConfig declares the deliberate differences dataserver_diff.py
// accepts, by series.
type diffConfig struct {
	DoubleScalars [][2]string `json:"double_scalars,omitempty"`
	Purged        [][2]string `json:"purged,omitempty"`
}

// diffServers calls every RPC on ours and theirs (and source, if not nil,
// for sampled servers) and returns the report.
func diffServers(t *testing.T, cfg diffConfig, ours, theirs, source *dataServer) diffReport {
	t.Helper()
	venv, err := Venv()
	if err != nil {
		t.Fatalf("compat: %v", err)
	}
	args := []string{strconv.Itoa(ours.Port), strconv.Itoa(theirs.Port)}
	if source != nil {
		args = append(args, strconv.Itoa(source.Port))
	}
	in, _ := json.Marshal(cfg)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	out, err := Python(ctx, venv, "dataserver_diff.py", in, args...)
	if err != nil {
		t.Fatalf("compat: %v", err)
	}
	var r diffReport
	if err := json.Unmarshal(out, &r); err != nil {
		t.Fatalf("compat: dataserver_diff.py: %v in %.500s", err, out)
	}
	return r
}

// checkReport fails t for every difference, and if fewer than minCalls
// calls were made.
func checkReport(t *testing.T, r diffReport, minCalls int) {
	t.Helper()
	for i, d := range r.Diffs {
		if i == 20 {
			t.Errorf("... and %d more differences", len(r.Diffs)-i)
			break
		}
		t.Errorf("difference: %.1500s", d)
	}
	if r.Calls < minCalls {
		t.Errorf("only %d calls compared, want at least %d", r.Calls, minCalls)
	}
	t.Logf("%d calls compared, %d differences; notes %q", r.Calls, len(r.Diffs), r.Notes)
}
