package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tbgo/tbgo/history"
	"github.com/tbgo/tbgo/internal/gcstest"
	"github.com/tbgo/tbgo/internal/readme"
	"github.com/tbgo/tbgo/internal/s3test"
	"github.com/tbgo/tbgo/internal/testenv"
	"github.com/tbgo/tbgo/storage"
	"github.com/tbgo/tbgo/summary"
)

// memLogdir returns a mem:// location of its own for a logdir of test t.
// mem:// lives as long as the test binary, so the name is the unique one of
// t's temporary directory, not t.Name(), which -count=2 runs again.
func memLogdir(t *testing.T) string {
	return testenv.MemBucket(t) + "/logs"
}

// urlLogdirs returns a mem:// and a file:// location for a logdir of
// test t: every command takes either where it takes a path.
func urlLogdirs(t *testing.T) map[string]string {
	return map[string]string{
		"mem":  memLogdir(t),
		"file": "file://" + filepath.ToSlash(t.TempDir()) + "/logs",
	}
}

// TestCommandsTakeURLs writes a logdir with demo at a URL, reads it with
// every reading command, archives it and restores the archive to another
// URL, repairs it to a third, tails it while a writer adds a run, and
// checks that each sees the same logdir.
func TestCommandsTakeURLs(t *testing.T) {
	for scheme, logdir := range urlLogdirs(t) {
		t.Run(scheme, func(t *testing.T) { testCommandsTakeURL(t, logdir) })
	}
}

// TestCommandsTakeGCS runs TestCommandsTakeURLs's commands on a gs://
// logdir, against a GCS emulator.
func TestCommandsTakeGCS(t *testing.T) {
	testCommandsTakeURL(t, gcstest.Start(t).URL("tbgo", "logs"))
}

func testCommandsTakeURL(t *testing.T, logdir string) {
	_, status, err := runTool(t, "demo", "-logdir", logdir, "-steps", "20")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(status, "tensorboard --logdir ") {
		t.Errorf("demo's status lacks the tensorboard command:\n%s", status)
	}
	out, _, err := runTool(t, "inspect", "-json", logdir)
	if err != nil {
		t.Fatal(err)
	}
	var rep inspectReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	if len(rep.Runs) != 2 || rep.Runs[0].Name != "eval" || rep.Runs[1].Name != "train" {
		t.Fatalf("inspect %s: runs %+v, want eval and train", logdir, rep.Runs)
	}
	if out, _, err = runTool(t, "verify", "-q", logdir); err != nil || !strings.Contains(out, "intact") {
		t.Errorf("verify: %v\n%s", err, out)
	}
	csv := filepath.Join(t.TempDir(), "s.csv")
	if _, _, err := runTool(t, "export", "-o", csv, logdir); err != nil {
		t.Fatal(err)
	}
	exported, _ := os.ReadFile(csv)
	if n := strings.Count(string(exported), "\ntrain,loss,"); n != 20 {
		t.Errorf("export: %d rows of train/loss, want 20", n)
	}
	if out, _, err = runTool(t, "compare", "-tag", "loss", "-format", "csv", logdir); err != nil || !strings.Contains(out, "train,") {
		t.Errorf("compare: %v\n%s", err, out)
	}
	png := filepath.Join(t.TempDir(), "p.png")
	if _, _, err := runTool(t, "plot", "-o", png, "-tag", "loss", logdir); err != nil {
		t.Fatal(err)
	}

	arc := filepath.Join(t.TempDir(), "a.tbar")
	if _, _, err := runTool(t, "archive", logdir, arc); err != nil {
		t.Fatal(err)
	}
	restored := storage.Join(logdir, "..", "restored")
	if out, _, err = runTool(t, "restore", arc, restored); err != nil || !strings.Contains(out, "restored") {
		t.Fatalf("restore into %s: %v\n%s", restored, err, out)
	}
	repaired := storage.Join(logdir, "..", "repaired")
	if out, _, err = runTool(t, "repair", logdir, repaired); err != nil {
		t.Fatalf("repair into %s: %v\n%s", repaired, err, out)
	}
	for _, copy := range []string{restored, repaired} {
		out2 := filepath.Join(t.TempDir(), "c.csv")
		if _, _, err := runTool(t, "export", "-o", out2, copy); err != nil {
			t.Fatal(err)
		}
		if got, _ := os.ReadFile(out2); string(got) != string(exported) {
			t.Errorf("%s exports %d bytes, the original %d", copy, len(got), len(exported))
		}
	}

	var tailOut syncBuffer
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	errc := make(chan error, 1)
	go func() {
		errc <- tail(ctx, logdir, &history.FollowOptions{Poll: 10 * time.Millisecond}, "csv", &tailOut, &syncBuffer{})
	}()
	time.Sleep(50 * time.Millisecond) // tail takes what is there as read
	w, err := summary.NewWriter(storage.Join(logdir, "late"), nil)
	if err != nil {
		t.Fatal(err)
	}
	w.Scalar("x", 7, 1)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, &tailOut, errc, "late,x,7")
	cancel()
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	if strings.Contains(tailOut.String(), "train,loss") {
		t.Errorf("tail printed values written before it started:\n%s", tailOut.String())
	}
}

// TestTrainAndSweepToURL trains a run and a sweep into mem:// and file://
// logdirs: the run and every trial's session are there, and the commands
// print a tensorboard command line without the URL's settings.
func TestTrainAndSweepToURL(t *testing.T) {
	for scheme, logdir := range urlLogdirs(t) {
		t.Run(scheme, func(t *testing.T) { testTrainAndSweepToURL(t, logdir) })
	}
}

// TestTrainAndSweepToGCS trains and sweeps into a gs:// logdir, against a
// GCS emulator: the trials' sessions merge into the experiment with
// generation-matched writes.
func TestTrainAndSweepToGCS(t *testing.T) {
	testTrainAndSweepToURL(t, gcstest.Start(t).URL("tbgo", "logs"))
}

func testTrainAndSweepToURL(t *testing.T, logdir string) {
	out, _, err := runTool(t, "train", "-logdir", logdir, "-data", "xor", "-steps", "6", "-eval_every", "3",
		"-diagnostics.enabled=false", "-progress", "quiet", "-name", "short")
	if err != nil {
		t.Fatalf("train: %v\n%s", err, out)
	}
	if !strings.Contains(out, "tensorboard --logdir ") {
		t.Errorf("train's output lacks the tensorboard command:\n%s", out)
	}
	src, err := history.Open(logdir)
	if err != nil {
		t.Fatal(err)
	}
	if runs := src.Runs(); len(runs) != 1 || !strings.HasSuffix(runs[0].Name, "-short") {
		t.Errorf("runs %v, want one named <timestamp>-short", runs)
	}
	src.Close()

	cfg := writeSweep(t, t.TempDir(), "trials: 2\nparams:\n  schedule.lr: {type: log_uniform, low: 1e-3, high: 1e-1}\n")
	sweepDir := storage.Join(logdir, "..", "sweeps")
	for i := range 2 {
		if out, _, err = runTool(t, "sweep", cfg, "-logdir", sweepDir, "-trial", string(rune('0'+i))); err != nil {
			t.Fatalf("sweep -trial %d: %v\n%s", i, err, out)
		}
	}
	exp, err := summary.ReadExperiment(storage.Join(sweepDir, "sw"))
	if err != nil || len(exp.HParams) == 0 {
		t.Fatalf("experiment %+v, %v", exp, err)
	}
	out, _, err = runTool(t, "compare", "-format", "csv", storage.Join(sweepDir, "sw"))
	if err != nil || strings.Count(out, "STATUS_SUCCESS") != 2 {
		t.Errorf("compare of the sweep: %v; want two successful sessions:\n%s", err, out)
	}
}

// TestTensorboardCommand checks the line the commands print to open a
// logdir: S3's endpoint and region move to TensorBoard's environment,
// nothing of the query stays on the line, and a path is quoted.
func TestTensorboardCommand(t *testing.T) {
	for _, tc := range []struct{ logdir, want string }{
		{"runs/a b", "tensorboard --logdir 'runs/a b'"},
		{"file:///tmp/runs", "tensorboard --logdir /tmp/runs"},
		{"s3://b/runs?endpoint=http://127.0.0.1:7070&region=us-east-1&use_path_style=true",
			"S3_ENDPOINT=http://127.0.0.1:7070 AWS_REGION=us-east-1 tensorboard --logdir s3://b/runs"},
		{"gs://b/runs", "tensorboard --logdir gs://b/runs"},
		{"azblob://c/runs?sas_token=secret", "tensorboard --logdir azblob://c/runs"},
	} {
		if got := tensorboardCommand(tc.logdir); got != tc.want {
			t.Errorf("tensorboardCommand(%q) = %q, want %q", tc.logdir, got, tc.want)
		}
	}
}

// shellWords splits a command line of the README into words, removing
// single and double quotes, and stops at a comment.
func shellWords(line string) []string {
	var words []string
	var cur strings.Builder
	in, quote := false, rune(0)
	for _, r := range line {
		switch {
		case quote != 0 && r == quote:
			quote = 0
		case quote != 0:
			cur.WriteRune(r)
		case r == '\'' || r == '"':
			quote, in = r, true
		case r == '#' && !in:
			return words
		case r == ' ' || r == '\t':
			if in {
				words = append(words, cur.String())
				cur.Reset()
				in = false
			}
		default:
			cur.WriteRune(r)
			in = true
		}
	}
	if in {
		words = append(words, cur.String())
	}
	return words
}

// The README's object-storage commands work as written against a real S3
// server: every tbgo line of its shell block but tail (which runs until
// interrupted), with the server's endpoint in $Q.
func TestReadmeObjectStorage(t *testing.T) {
	srv := s3test.Start(t)
	srv.CreateBucket(t, "runs")
	sec, err := readme.Section("## Logdirs in object storage")
	if err != nil {
		t.Fatal(err)
	}
	t.Chdir(t.TempDir()) // export -o and archive write into it
	blocks := readme.Fenced(sec, "sh")
	if len(blocks) != 1 {
		t.Fatalf("%d sh blocks, want 1", len(blocks))
	}
	var q string
	ran := 0
	for _, line := range strings.Split(strings.TrimSpace(blocks[0]), "\n") {
		if rest, ok := strings.CutPrefix(line, "Q="); ok {
			q = strings.Replace(shellWords(rest)[0], "http://127.0.0.1:7070", srv.Endpoint, 1)
			continue
		}
		words := shellWords(line)
		if len(words) < 2 || words[0] != "tbgo" || words[1] == "tail" {
			continue
		}
		for i := range words {
			words[i] = strings.ReplaceAll(words[i], "$Q", q)
		}
		if out, status, err := runTool(t, words[1:]...); err != nil {
			t.Fatalf("%s: %v\n%s%s", line, err, out, status)
		}
		ran++
	}
	if q == "" || ran < 6 {
		t.Fatalf("ran %d tbgo commands, query %q", ran, q)
	}
	src, err := history.Open("s3://runs/copy" + q)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	if runs := src.Runs(); len(runs) != 2 {
		t.Errorf("the restored copy holds runs %v, want train and eval", runs)
	}
	if data, err := os.ReadFile("loss.csv"); err != nil || !strings.Contains(string(data), "train,loss,") {
		t.Errorf("loss.csv: %v\n%.200s", err, data)
	}
}

// TestURLErrors checks what the commands say of a missing bucket, refused
// credentials and an unknown scheme: an error naming the URL, never the
// secret, and nothing written.
func TestURLErrors(t *testing.T) {
	srv := s3test.Start(t)
	q := strings.TrimPrefix(srv.URL("x", ""), "s3://x/")
	for _, tc := range []struct {
		desc string
		args []string
		env  map[string]string
		want []string
	}{
		{"missing bucket", []string{"inspect", "s3://nosuchbucket/logs" + q}, nil, []string{"s3://nosuchbucket/logs", "NoSuchBucket"}},
		{"missing bucket, writing", []string{"demo", "-logdir", "s3://nosuchbucket/logs" + q}, nil, []string{"s3://nosuchbucket/logs/train", "NoSuchBucket"}},
		{"bad credentials", []string{"demo", "-logdir", "s3://tbgo/logs" + q}, map[string]string{"AWS_SECRET_ACCESS_KEY": "wrong-secret-3d9a"}, []string{"s3://tbgo/logs/train", "permission denied"}},
		{"unknown scheme", []string{"verify", "s4://bucket/logs?token=hunter2"}, nil, []string{"s4://bucket/logs", "unknown URL scheme"}},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			_, _, err := runTool(t, tc.args...)
			if err == nil {
				t.Fatalf("tbgo %q succeeded", tc.args)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("tbgo %q: %v; want it to say %q", tc.args, err, w)
				}
			}
			for _, secret := range []string{"hunter2", "wrong-secret-3d9a", s3test.SecretKey} {
				if strings.Contains(err.Error(), secret) {
					t.Errorf("the error shows a secret: %v", err)
				}
			}
		})
	}
	if entries, _ := os.ReadDir(filepath.Join(srv.Dir, "tbgo")); len(entries) != 0 {
		t.Errorf("refused writers left %d entries in the bucket", len(entries))
	}
}

// doctor writes its report run into a URL logdir as well.
func TestDoctorToURL(t *testing.T) {
	logdir := memLogdir(t)
	out, _, err := runTool(t, "doctor", "-logdir", logdir, "-data", "xor", "-checks", "init_loss")
	if err != nil {
		t.Fatalf("doctor: %v\n%s", err, out)
	}
	src, err := history.Open(logdir)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	if runs := src.Runs(); len(runs) != 1 || !strings.Contains(runs[0].Name, "-doctor-") {
		t.Errorf("runs %v, want the doctor's report run", runs)
	}
}

// TestTrainUploadPolicy: the upload.* knobs reach the run's Sink. With
// upload.segment_age longer than the run, every upload after the first
// rewrites the run's one segment; without it each is a new object. A
// local logdir (file:// too) is one file appended to, whatever they say.
func TestTrainUploadPolicy(t *testing.T) {
	train := func(logdir string, extra ...string) (string, error) {
		args := append([]string{"train", "-logdir", logdir, "-data", "xor", "-steps", "40", "-eval_every", "10",
			"-diagnostics.enabled=false", "-progress", "quiet", "-name", "p"}, extra...)
		out, _, err := runTool(t, args...)
		return out, err
	}
	eventFiles := func(logdir string) int {
		src, err := history.Open(logdir)
		if err != nil {
			t.Fatal(err)
		}
		defer src.Close()
		runs := src.Runs()
		if len(runs) != 1 {
			t.Fatalf("%s: runs %v, want one", logdir, runs)
		}
		return len(runs[0].Files)
	}
	open := storage.Join(memLogdir(t), "open")
	if out, err := train(open, "-upload.max_age", "1s", "-upload.segment_age", "1h"); err != nil {
		t.Fatalf("train: %v\n%s", err, out)
	}
	if n := eventFiles(open); n != 1 {
		t.Errorf("with upload.segment_age 1h: %d event files, want the one open segment", n)
	}
	sealed := storage.Join(memLogdir(t), "sealed")
	if out, err := train(sealed); err != nil {
		t.Fatalf("train: %v\n%s", err, out)
	}
	if n := eventFiles(sealed); n < 2 {
		t.Errorf("by default: %d event files, want a new segment per upload (at least 2)", n)
	}
	local := "file://" + filepath.ToSlash(t.TempDir())
	if out, err := train(local, "-upload.segment_age", "5m"); err != nil {
		t.Fatalf("train: %v\n%s", err, out)
	}
	if n := eventFiles(local); n != 1 {
		t.Errorf("on the local disk: %d event files, want the one file appended to", n)
	}
}
