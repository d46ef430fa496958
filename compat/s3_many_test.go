//go:build compat

package compat

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tbgo/tbgo/history"
	"github.com/tbgo/tbgo/internal/readme"
	"github.com/tbgo/tbgo/internal/s3test"
	"github.com/tbgo/tbgo/internal/testenv"
	"github.com/tbgo/tbgo/storage"
	"github.com/tbgo/tbgo/summary"
	"go.yaml.in/yaml/v3"
)

// buildCmd builds the command at pkg (relative to the module root) into
// t's temporary directory.
func buildCmd(t *testing.T, pkg string) string {
	t.Helper()
	root, err := testenv.Root()
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(t.TempDir(), filepath.Base(pkg))
	cmd := exec.Command("go", "build", "-o", bin, pkg)
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build %s: %v\n%s", pkg, err, out)
	}
	return bin
}

// historyDump returns every value of the logdir at location as tbgo's
// readers give them (every value as written), one line each, the bytes
// of histograms and images hashed: run, tag, step, wall time, kind and
// data, not the files they lie in.
func historyDump(t *testing.T, location string) []string {
	t.Helper()
	src, err := history.Open(location)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	var lines []string
	err = src.Values(context.Background(), &history.Options{View: history.Raw}, func(v *history.Value) error {
		h := sha256.New()
		fmt.Fprintf(h, "%v", v.Buckets)
		for _, b := range v.Blobs {
			h.Write(b)
		}
		fmt.Fprintf(h, "%q", v.Text)
		lines = append(lines, fmt.Sprintf("%s|%s|%d|%.6f|%v|%s|%v|%x", v.Run, v.Tag, v.Step, v.WallTime, v.Kind, v.Plugin, v.Scalar, h.Sum(nil)[:8]))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return lines
}

// TestS3ManyWriters has four processes write four rank runs of one job
// under one s3:// prefix at once, while a fifth process tries to open a
// run that one of them is writing and is refused. tbgo's readers and
// TensorBoard's Python loader over s3:// then read every value once: the
// same values, wall times included, as the same four runs written to a
// local logdir one after the other.
func TestS3ManyWriters(t *testing.T) {
	srv := s3Env(t)
	bin := buildCmd(t, "./internal/rankwriter")
	runs := []string{"job/rank0", "job/rank1", "job/rank2", "job/rank3"}
	local := t.TempDir()
	for i, run := range runs {
		if out, err := exec.Command(bin, "-logdir", local, "-run", run, "-seed", strconv.Itoa(i)).CombinedOutput(); err != nil {
			t.Fatalf("rankwriter %s on local disk: %v\n%s", run, err, out)
		}
	}

	loc := srv.URL("tbgo", "many")
	var procs []*exec.Cmd
	var stderrs []*bytes.Buffer
	for i, run := range runs {
		cmd := exec.Command(bin, "-logdir", loc, "-run", run, "-seed", strconv.Itoa(i), "-pause", "30ms")
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
		procs, stderrs = append(procs, cmd), append(stderrs, &stderr)
		go io.Copy(io.Discard, stdout)
	}
	// Wait until rank0 has claimed its run, then try to write it too.
	waitObjects(t, srv, "many/job/rank0", 1)
	intruder := exec.Command(bin, "-logdir", loc, "-run", "job/rank0", "-seed", "9")
	out, err := intruder.CombinedOutput()
	switch {
	case err == nil:
		t.Errorf("a second writer of job/rank0 was not refused:\n%s", out)
	case !strings.Contains(string(out), "run is being written by another process") || !strings.Contains(string(out), "s3://tbgo/many/job/rank0"):
		t.Errorf("the second writer's error does not say the run is busy, naming it:\n%s", out)
	case strings.Contains(string(out), s3test.SecretKey):
		t.Errorf("the error shows the secret:\n%s", out)
	}
	for i, cmd := range procs {
		if err := cmd.Wait(); err != nil {
			t.Fatalf("rankwriter %s: %v\n%s", runs[i], err, stderrs[i])
		}
	}

	want := historyDump(t, local)
	if got := historyDump(t, loc); !slices.Equal(got, want) {
		t.Errorf("tbgo's readers: %d values in the bucket, %d on local disk; they differ (first lines %.3q, want %.3q)", len(got), len(want), got, want)
	}
	ready := sentinelsLoaded(runs)
	servers := startServers(t, []serverSpec{
		{"python on local disk", ServerOptions{Logdir: local}, ready},
		{"python on s3://", ServerOptions{Logdir: "s3://tbgo/many"}, ready},
	})
	w := serverView(t, servers[0], "python on local disk")
	if len(w.series) < 4*5 {
		t.Fatalf("%s serves only %d series", w.name, len(w.series))
	}
	sameView(t, w, serverView(t, servers[1], "python on s3://"))
}

// waitObjects waits until the server's directory for prefix (bucket tbgo)
// holds at least n event files.
func waitObjects(t *testing.T, srv *s3test.Server, prefix string, n int) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		entries, _ := os.ReadDir(filepath.Join(srv.Dir, "tbgo", filepath.FromSlash(prefix)))
		count := 0
		for _, e := range entries {
			if strings.Contains(e.Name(), "tfevents") {
				count++
			}
		}
		if count >= n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s holds %d event files after 30 s, want %d", prefix, count, n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestS3CrashedWriters kills internal/crashwriter, writing to s3:// with
// summary.Writer, with SIGKILL mid-run, three times: tbgo's readers and
// TensorBoard's Python loader over s3:// read at least every scalar a
// Flush returned for, each once, in order, and nothing torn.
func TestS3CrashedWriters(t *testing.T) {
	srv := s3Env(t)
	bin := buildCmd(t, "./internal/crashwriter")
	loc := srv.URL("tbgo", "crash")
	acked := map[string]int{}
	for k := range 3 {
		run := fmt.Sprintf("crash%d", k)
		cmd := exec.Command(bin, "-dir", storage.Join(loc, run), "-flush-every", strconv.Itoa(50+k*37))
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		acked[run] = killAfterAcks(t, cmd, 1000*(k+1), 0)
		if acked[run] == 0 {
			t.Fatalf("crashwriter acknowledged nothing:\n%s", stderr.Bytes())
		}
	}

	src, err := history.Open(loc)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := src.Verify(context.Background(), &history.VerifyOptions{Strict: true})
	if err != nil || !rep.OK {
		t.Errorf("verify -strict of the crashed runs in the bucket: %v, %d corrupt, %d torn", err, rep.Corrupt, rep.Torn)
	}
	steps := map[string][]int64{}
	err = src.Scalars(context.Background(), nil, func(s *history.Scalar) error {
		if float64(s.Step) != s.Value {
			return fmt.Errorf("%s step %d holds %v", s.Run, s.Step, s.Value)
		}
		steps[s.Run] = append(steps[s.Run], s.Step)
		return nil
	})
	src.Close()
	if err != nil {
		t.Fatal(err)
	}
	for run, n := range acked {
		got := steps[run]
		if len(got) < n || !slices.Equal(got, seqTo(len(got))) {
			t.Errorf("%s: tbgo reads %d scalars (0..n-1 each once: %v), %d acknowledged", run, len(got), slices.Equal(got, seqTo(len(got))), n)
		}
	}

	ready := func(s *Server) (bool, error) {
		for run, n := range acked {
			var rows [][3]Float
			if err := s.GetJSON("data/plugin/scalars/scalars", query("run", run, "tag", "x"), &rows); err != nil {
				return false, err
			}
			for i, r := range rows {
				if int64(r[1]) != int64(i) || float64(r[2]) != float64(i) {
					return false, fmt.Errorf("run %s: point %d is step %v value %v", run, i, r[1], r[2])
				}
			}
			if len(rows) < n {
				return false, fmt.Errorf("run %s: %d of %d acknowledged scalars served", run, len(rows), n)
			}
		}
		return true, nil
	}
	startServers(t, []serverSpec{{"python on s3://", ServerOptions{Logdir: "s3://tbgo/crash"}, ready}})
}

func seqTo(n int) []int64 {
	s := make([]int64, n)
	for i := range s {
		s[i] = int64(i)
	}
	return s
}

// TestS3SweepFanOut runs a 4-trial sweep as the README's Slurm job array
// and Kubernetes Indexed Job run it: four processes at once, trials 0 and
// 1 by the job-array script, 2 and 3 by the Indexed Job's container
// command, each taken from the README with only the bucket's URL, the
// config's path and the binary's replaced; all write one s3:// logdir.
// Each trial's session is in the HParams table of TensorBoard's Python
// loader over s3://, with the experiment at the sweep's root that the four
// processes declared at once, and tbgo's readers read the same four
// successful sessions.
func TestS3SweepFanOut(t *testing.T) {
	srv := s3Env(t)
	tbgoBinary := buildTbgo(t)
	dir := t.TempDir()
	logdir := srv.URL("tbgo", "sweeps")
	config := filepath.Join(dir, "lr.yaml")
	body := `trials: 4
seed: 7
metric: accuracy/val
goal: max
set: {data.name: xor, data.per_class: 40, steps: 20, eval_every: 10, diagnostics.histograms: false, diagnostics.images: false}
params:
  schedule.lr: {type: log_uniform, low: 1e-3, high: 1e-1}
`
	if err := os.WriteFile(config, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	script, command := readmeJobs(t)
	// The README's URL, config path and command name, made this test's.
	local := strings.NewReplacer(
		"'s3://my-bucket/sweeps?region=eu-west-1'", "'"+logdir+"'",
		"/sweep/lr.yaml", config,
		"tbgo sweep", tbgoBinary+" sweep",
	)
	var procs []*exec.Cmd
	var outs []*bytes.Buffer
	for i := range 4 {
		var cmd *exec.Cmd
		if i < 2 {
			cmd = exec.Command("sh", "-c", local.Replace(script))
			cmd.Env = append(os.Environ(), "SLURM_ARRAY_TASK_ID="+strconv.Itoa(i))
		} else {
			cmd = exec.Command(command[0], command[1], local.Replace(command[2]))
			cmd.Env = append(os.Environ(), "JOB_COMPLETION_INDEX="+strconv.Itoa(i))
		}
		cmd.Dir = dir
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		procs, outs = append(procs, cmd), append(outs, &out)
	}
	for i, cmd := range procs {
		if err := cmd.Wait(); err != nil {
			t.Fatalf("trial %d (%v): %v\n%s", i, cmd.Args, err, outs[i])
		}
	}
	if out := outs[0].String(); !strings.Contains(out, "S3_ENDPOINT="+srv.Endpoint) || strings.Contains(out, s3test.SecretKey) {
		t.Errorf("tbgo sweep does not print the tensorboard command with S3_ENDPOINT, or shows the secret:\n%s", out)
	}

	sweepDir := storage.Join(logdir, "lr")
	exp, err := summary.ReadExperiment(sweepDir)
	if err != nil {
		t.Fatal(err)
	}
	src, err := history.Open(sweepDir)
	if err != nil {
		t.Fatal(err)
	}
	sums, err := history.Summarize(context.Background(), src, nil)
	src.Close()
	if err != nil {
		t.Fatal(err)
	}
	lrs := map[string]float64{}
	for _, s := range sums {
		if s.Session.Started && s.Session.Ended && s.Session.Status == summary.StatusSuccess {
			lr, _ := s.Session.HParams["schedule.lr"].(float64)
			lrs[s.Run] = lr
		}
	}
	if len(lrs) != 4 {
		t.Fatalf("tbgo reads %d successful sessions, want 4: %v", len(lrs), lrs)
	}

	loaded := func(s *Server) (bool, error) {
		var groups hpSessionGroups
		if err := s.hparamsPost("session_groups", `{"experimentName":"","allowedStatuses":`+allStatuses+`,"colParams":[],"startIndex":0,"sliceSize":100}`, &groups); err != nil {
			return false, err
		}
		if len(groups.SessionGroups) < 4 {
			return false, fmt.Errorf("%d session groups", len(groups.SessionGroups))
		}
		return true, nil
	}
	servers := startServers(t, []serverSpec{
		{"python on s3://", ServerOptions{Logdir: "s3://tbgo/sweeps/lr"}, loaded},
		{"rust on the server's files", ServerOptions{Logdir: filepath.Join(srv.Dir, "tbgo", "sweeps", "lr"), Fast: true}, loaded},
	})
	for _, s := range servers {
		var groups hpSessionGroups
		if err := s.hparamsPost("session_groups", `{"experimentName":"","allowedStatuses":`+allStatuses+`,"colParams":[],"startIndex":0,"sliceSize":100}`, &groups); err != nil {
			t.Fatal(err)
		}
		got := map[string]float64{}
		for _, g := range groups.SessionGroups {
			for _, sess := range g.Sessions {
				if sess.Status != "STATUS_SUCCESS" {
					t.Errorf("session %s: %s", sess.Name, sess.Status)
				}
				lr, _ := g.HParams["schedule.lr"].(float64)
				got[sess.Name] = lr
			}
		}
		if fmt.Sprint(got) != fmt.Sprint(lrs) {
			t.Errorf("the HParams table lists %v, tbgo reads %v", got, lrs)
		}
		var experiment hpExperiment
		if err := s.hparamsPost("experiment", `{"experimentName":""}`, &experiment); err != nil {
			t.Fatal(err)
		}
		b, _ := json.Marshal(experiment)
		if !strings.Contains(string(b), "schedule.lr") || len(exp.HParams) == 0 {
			t.Errorf("the experiment served lacks schedule.lr: %s", b)
		}
	}
}

// killAfterAcks starts cmd, an internal/crashwriter, reads its "ack N"
// lines until N reaches n (or the process ends), kills it with SIGKILL
// after pause, and returns the largest N it acknowledged, those still in
// the pipe included.
func killAfterAcks(t *testing.T, cmd *exec.Cmd, n int, pause time.Duration) int {
	t.Helper()
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	acked := 0
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		a, _ := strconv.Atoi(strings.TrimPrefix(sc.Text(), "ack "))
		acked = max(acked, a)
		if acked >= n {
			break
		}
	}
	time.Sleep(pause)
	cmd.Process.Signal(syscall.SIGKILL)
	for sc.Scan() { // acks still in the pipe
		a, _ := strconv.Atoi(strings.TrimPrefix(sc.Text(), "ack "))
		acked = max(acked, a)
	}
	cmd.Wait()
	return acked
}

// readmeJobs returns the README's Slurm job-array script and the container
// command of its Kubernetes Indexed Job, checking the Job's shape.
func readmeJobs(t *testing.T) (script string, command []string) {
	t.Helper()
	section, err := readme.Section("### Sweeps of your own model, on many machines")
	if err != nil {
		t.Fatal(err)
	}
	scripts, manifests := readme.Fenced(section, "sh"), readme.Fenced(section, "yaml")
	if len(scripts) != 1 || len(manifests) != 1 {
		t.Fatalf("the README section has %d sh and %d yaml blocks, want 1 and 1", len(scripts), len(manifests))
	}
	if !strings.Contains(scripts[0], "#SBATCH --array=") {
		t.Errorf("the job-array script has no #SBATCH --array line:\n%s", scripts[0])
	}
	var job struct {
		Kind string
		Spec struct {
			CompletionMode string `yaml:"completionMode"`
			Completions    int
			Template       struct {
				Spec struct {
					Containers []struct {
						Command []string
					}
				}
			}
		}
	}
	if err := yaml.Unmarshal([]byte(manifests[0]), &job); err != nil {
		t.Fatalf("the Indexed Job manifest: %v", err)
	}
	if job.Kind != "Job" || job.Spec.CompletionMode != "Indexed" || job.Spec.Completions < 1 || len(job.Spec.Template.Spec.Containers) != 1 {
		t.Fatalf("the manifest is not an Indexed Job with one container: %+v", job)
	}
	command = job.Spec.Template.Spec.Containers[0].Command
	if len(command) != 3 || command[0] != "sh" || command[1] != "-c" || !strings.Contains(command[2], "$JOB_COMPLETION_INDEX") {
		t.Fatalf("the Indexed Job's command is %q, want sh -c \"... $JOB_COMPLETION_INDEX ...\"", command)
	}
	return scripts[0], command
}
