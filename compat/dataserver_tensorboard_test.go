//go:build compat

package compat

import (
	"bufio"
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tbgo/tbgo/summary/runinfo"
)

// tbgoLoaders returns stock TensorBoard reading logdir through
// tbgo-data-server in both of the ways TensorBoard attaches a data server:
// launching it in place of its own ("tbgo-env",
// TENSORBOARD_DATA_SERVER_BINARY with --load_fast=true) and connecting to
// one already serving ("tbgo-grpc", --grpc_data_provider; the server is
// started here and has loaded logdir before TensorBoard starts). Both
// verify every checksum.
func tbgoLoaders(t *testing.T, logdir string, ready func(*Server) (bool, error)) []serverSpec {
	t.Helper()
	bin := tbgoDataServer(t)
	ds := startDataServer(t, "tbgo-data-server", bin, logdir, "--reload=once", "--checksum",
		"--samples-per-plugin="+SamplesPerPlugin)
	launched := func(s *Server) (bool, error) {
		// TensorBoard falls back to its own server if the variable names
		// no file: make sure it runs ours.
		if !running(bin, "--logdir="+logdir) {
			return false, fmt.Errorf("no %s --logdir=%s is running", bin, logdir)
		}
		if ready == nil {
			return true, nil
		}
		return ready(s)
	}
	return []serverSpec{
		{"tbgo-env", ServerOptions{Logdir: logdir, Fast: true, Checksum: true, DataServer: bin}, launched},
		{"tbgo-grpc", ServerOptions{Logdir: logdir, GRPCDataProvider: "localhost:" + strconv.Itoa(ds.Port)}, ready},
	}
}

// TestTensorBoardThroughTbgo runs the suite's dashboard assertions (every
// run, series, metadata and value the HTTP API of every plugin serves)
// against stock TensorBoard reading each of the suite's logdirs through
// tbgo-data-server, in both attach modes.
func TestTensorBoardThroughTbgo(t *testing.T) {
	setup(t)
	tbgoDashboards(t, func(_ *testing.T, dir string) string { return dir }, true)
	t.Run("projector", func(t *testing.T) {
		t.Parallel()
		logdir := t.TempDir()
		embeddings := writeProjectorLogdir(t, logdir)
		specs := tbgoLoaders(t, logdir, nil)
		servers := startServers(t, specs)
		for i, spec := range specs {
			t.Run(spec.name, func(t *testing.T) { checkProjector(t, servers[i], logdir, embeddings) })
		}
	})
}

// tbgoDashboards runs the dashboard assertions of TestTensorBoardThroughTbgo
// on the suite's logdirs (but the projector's) placed by place: it is given
// a logdir written on disk and returns the logdir, path or URL, that
// TensorBoard and tbgo-data-server are to read. With parallel, the logdirs
// are tested in parallel.
func tbgoDashboards(t *testing.T, place func(t *testing.T, dir string) string, parallel bool) {
	t.Helper()
	run := func(name string, f func(t *testing.T)) {
		t.Run(name, func(t *testing.T) {
			if parallel {
				t.Parallel()
			}
			f(t)
		})
	}
	run("main", func(t *testing.T) {
		specs := tbgoLoaders(t, place(t, fx.logdir.Dir), sentinelsLoaded(fx.logdir.Runs))
		servers := startServers(t, specs)
		for i, spec := range specs {
			t.Run(spec.name, func(t *testing.T) {
				s := servers[i]
				checkMainLogdir(t, s, spec.name)
			})
		}
	})
	run("models", func(t *testing.T) {
		d := writeModelDashboards(t)
		specs := tbgoLoaders(t, place(t, d.dir), sentinelsLoaded(d.runs))
		servers := startServers(t, specs)
		for i, spec := range specs {
			s := servers[i]
			t.Run(spec.name+"/graphs", func(t *testing.T) { checkGraphPlugin(t, s, d.graph) })
			t.Run(spec.name+"/pr_curves", func(t *testing.T) { checkPRCurves(t, s, d.pr) })
			t.Run(spec.name+"/custom_scalars", func(t *testing.T) { checkCustomScalars(t, s, d.custom) })
		}
	})
	run("hparams", func(t *testing.T) {
		info, err := runinfo.Collect(map[string]any{"batch": 32, "data": map[string]any{"shuffle": true, "path": "/data/train"}})
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range []*hpLogdir{writeDeclaredSweep(t, t.TempDir(), info), writeInferredSweep(t, t.TempDir(), info)} {
			specs := tbgoLoaders(t, place(t, d.dir), hparamsLoaded(d))
			servers := startServers(t, specs)
			for i, spec := range specs {
				s := servers[i]
				t.Run(spec.name+"/experiment", func(t *testing.T) { checkHPExperiment(t, s, d) })
				t.Run(spec.name+"/session_groups", func(t *testing.T) { checkHPSessionGroups(t, s, d) })
				t.Run(spec.name+"/metric_evals", func(t *testing.T) { checkHPMetricEvals(t, s, d) })
				if tr := d.trial("info"); tr != nil {
					t.Run(spec.name+"/run_info_text", func(t *testing.T) { checkHPRunInfoText(t, s, tr) })
				}
			}
		}
	})
	run("media", func(t *testing.T) {
		m := writeMediaLogdir(t)
		specs := tbgoLoaders(t, place(t, m.dir), mediaLoaded)
		servers := startServers(t, specs)
		for i, spec := range specs {
			s := servers[i]
			t.Run(spec.name+"/listing", func(t *testing.T) { checkMediaListing(t, s) })
			t.Run(spec.name+"/audio", func(t *testing.T) { checkMediaAudio(t, s, m) })
			t.Run(spec.name+"/video", func(t *testing.T) { checkMediaVideo(t, s, m) })
			t.Run(spec.name+"/figure", func(t *testing.T) { checkMediaFigure(t, s, m) })
			t.Run(spec.name+"/mesh", func(t *testing.T) { checkMediaMesh(t, s, m) })
		}
	})
}

// running reports whether a process runs whose command line starts with
// bin, or the tbgo-data-server-cloud beside it (which tbgo-data-server
// becomes for a bucket URL), and holds arg.
func running(bin, arg string) bool {
	cloud := filepath.Join(filepath.Dir(bin), "tbgo-data-server-cloud")
	cmdlines, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	for _, p := range cmdlines {
		b, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		args := bytes.Split(b, []byte{0})
		if len(args) > 0 && (string(args[0]) == bin || string(args[0]) == cloud) && slices.ContainsFunc(args, func(a []byte) bool { return string(a) == arg }) {
			return true
		}
	}
	return false
}

// TestTbgoBoardAndServe runs the suite's main assertions on TensorBoard
// started by "tbgo board", and on TensorBoard attached to "tbgo serve".
func TestTbgoBoardAndServe(t *testing.T) {
	setup(t)
	boardAndServe(t, fx.logdir.Dir, fx.logdir.Dir)
}

// boardAndServe runs the suite's main assertions on TensorBoard started by
// "tbgo board LOGDIR", and on TensorBoard attached to "tbgo serve LOGDIR";
// logdir is the suite's main logdir or a copy of it (a URL). TensorBoard
// must be given the logdir itself as tbLogdir ("" for none: an archive or
// a URL is read through tbgo only).
func boardAndServe(t *testing.T, logdir, tbLogdir string) {
	venv, err := Venv()
	if err != nil {
		t.Fatal(err)
	}
	bin := buildTbgo(t)
	freePort := func() string {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		return strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
	}
	check := func(t *testing.T, s *Server) {
		if err := s.WaitFor("the sentinels", func() (bool, error) { return sentinelsLoaded(fx.logdir.Runs)(s) }); err != nil {
			t.Fatal(err)
		}
		checkMainLogdir(t, s, t.Name())
	}

	t.Run("board", func(t *testing.T) {
		port := freePort()
		cmd := exec.Command(bin, "board", "-reload=0", "-samples-per-plugin="+SamplesPerPlugin,
			"-tensorboard", filepath.Join(venv, "bin", "tensorboard"), logdir, "--", "--host=127.0.0.1", "--port="+port)
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			syscall.Kill(-cmd.Process.Pid, syscall.SIGINT)
			cmd.Wait()
		})
		urls := make(chan string, 1)
		go func() {
			sc := bufio.NewScanner(out)
			for sc.Scan() {
				if m := regexp.MustCompile(`open (http://\S+)`).FindStringSubmatch(sc.Text()); m != nil {
					urls <- m[1]
				}
			}
		}()
		select {
		case u := <-urls:
			check(t, &Server{URL: u})
		case <-time.After(StartTimeout):
			t.Fatal("tbgo board printed no URL")
		}
		args := childArgs(cmd.Process.Pid)
		if !slices.ContainsFunc(args, func(a string) bool { return strings.HasPrefix(a, "--grpc_data_provider=") }) {
			t.Errorf("tbgo board ran TensorBoard with %q, want --grpc_data_provider", args)
		}
		var tbArg []string
		for _, a := range args {
			if strings.HasPrefix(a, "--logdir") {
				tbArg = append(tbArg, a)
			}
		}
		if want := []string{"--logdir=" + tbLogdir}; (tbLogdir == "" && len(tbArg) > 0) || (tbLogdir != "" && !slices.Equal(tbArg, want)) {
			t.Errorf("tbgo board gave TensorBoard %q, want %q", tbArg, tbLogdir)
		}
	})

	t.Run("serve", func(t *testing.T) {
		addr := "localhost:" + freePort()
		cmd := exec.Command(bin, "serve", "-addr", addr, "-reload=0", "-samples-per-plugin="+SamplesPerPlugin, logdir)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			cmd.Process.Signal(os.Interrupt)
			cmd.Wait()
		})
		s, err := StartTensorBoard(venv, ServerOptions{Logdir: logdir, GRPCDataProvider: addr})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(s.Close)
		check(t, s)
	})
}

// childArgs returns the command line of a child of process pid (of any of
// its threads: a child belongs to the thread that started it).
func childArgs(pid int) []string {
	tasks, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/children", pid))
	for _, task := range tasks {
		b, err := os.ReadFile(task)
		if err != nil {
			continue
		}
		for _, kid := range strings.Fields(string(b)) {
			if b, err := os.ReadFile("/proc/" + kid + "/cmdline"); err == nil {
				return strings.Split(strings.TrimSuffix(string(b), "\x00"), "\x00")
			}
		}
	}
	return nil
}

// checkMainLogdir asserts every run, series and value of the suite's main
// logdir as TensorBoard s serves them over its HTTP API.
func checkMainLogdir(t *testing.T, s *Server, name string) {
	t.Helper()
	checkPluginsListing(t, s, fx.logdir.Plugins())
	checkView(t, fx.logdir, serverView(t, s, name+" server"))
}
