//go:build compat

package compat

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/tbgo/tbgo/internal/testenv"
	"github.com/tbgo/tbgo/summary"
)

// TestBrowserDashboards opens TensorBoard's HParams table and Graphs
// dashboard in headless Chromium (Debian's package, which scripts/setup.sh
// installs) and fails unless the page shows our data: the text the page
// renders, inside its shadow roots, must contain every hyper-parameter
// value, metric and graph namespace we wrote, and the screenshot must not
// be blank. Screenshots are kept in $TBGO_ARTIFACTS when it is set.
func TestBrowserDashboards(t *testing.T) {
	venv, err := Venv()
	if err != nil {
		t.Fatalf("compat: %v", err)
	}
	chromium, err := findChromium()
	if err != nil {
		t.Fatalf("compat: %v", err)
	}
	logdir := t.TempDir()
	if err := writeBrowserLogdir(logdir); err != nil {
		t.Fatal(err)
	}
	shots := os.Getenv("TBGO_ARTIFACTS")
	if shots == "" {
		shots = t.TempDir()
	} else if err := os.MkdirAll(shots, 0o755); err != nil {
		t.Fatal(err)
	}

	pages := []struct {
		desc     string
		fragment string
		expected []string
	}{
		{"hparams table", "#hparams", []string{
			"optimizer", "learning_rate", "batch_size", // hyper-parameter columns
			"adam", "sgd", "rmsprop", // string values
			"val_accuracy",    // the metric column
			"0.9125", "0.875", // metric values, the last scalar of each trial
		}},
		{"graphs dashboard", "#graphs&run=model", []string{
			"dense1", "dense2", "softmax", // namespaces drawn as boxes
		}},
	}
	specs := bothLoaders(logdir, func(s *Server) (bool, error) {
		var runs []string
		err := s.GetJSON("data/runs", nil, &runs)
		return len(runs) == 5, err // ".", three trials and "model"
	})
	servers := startServers(t, specs)
	var wg sync.WaitGroup
	for i, spec := range specs {
		for _, p := range pages {
			wg.Go(func() {
				shot := filepath.Join(shots, fmt.Sprintf("%s-%s.png", spec.name, p.fragment[1:7]))
				if err := browse(venv, chromium, servers[i].URL+p.fragment, shot, p.expected); err != nil {
					t.Errorf("%s, %s loader: %v", p.desc, spec.name, err)
				}
			})
		}
	}
	wg.Wait()
}

// TestBrowserS3 opens Scalars, Images, HParams and Graphs in headless
// Chromium from a stock TensorBoard that reads, through tbgo-data-server
// (TENSORBOARD_DATA_SERVER_BINARY), an s3:// logdir that tbgo's segments
// hold on a real S3 server (versitygw): TestBrowserArchive's logdir,
// uploaded. It fails unless each page shows the data.
func TestBrowserS3(t *testing.T) {
	srv := s3Env(t)
	logdir, _ := writeArchiveLogdir(t)
	browseThroughTbgo(t, "s3", uploadLogdir(t, srv.URL("tbgo", "browser"), logdir))
}

// writeBrowserLogdir writes three hparams trials under one experiment and
// a run holding a model graph.
func writeBrowserLogdir(logdir string) error {
	exp := summary.Experiment{
		Name: "browser",
		HParams: []summary.HParam{
			{Name: "optimizer", Domain: summary.Discrete("adam", "sgd", "rmsprop")},
			{Name: "learning_rate", Domain: summary.Interval(1e-4, 1)},
			{Name: "batch_size", Domain: summary.Discrete(32, 64)},
		},
		Metrics: []summary.Metric{{Tag: "val_accuracy", Dataset: summary.DatasetValidation}},
	}
	if err := summary.WriteExperiment(logdir, exp); err != nil {
		return err
	}
	trials := []struct {
		optimizer string
		lr        float64
		batch     int
		acc       float64
	}{
		{"adam", 0.001, 32, 0.9125},
		{"sgd", 0.1, 64, 0.875},
		{"rmsprop", 0.01, 32, 0.8},
	}
	for i, tr := range trials {
		w, err := summary.NewWriter(filepath.Join(logdir, "trial-"+strconv.Itoa(i)), nil)
		if err != nil {
			return err
		}
		hp := map[string]any{"optimizer": tr.optimizer, "learning_rate": tr.lr, "batch_size": tr.batch}
		if err := w.StartSession(hp, &summary.SessionOptions{Experiment: &exp}); err != nil {
			return err
		}
		for step := range int64(5) {
			if err := w.Scalar("val_accuracy", step, tr.acc*float64(step+1)/5); err != nil {
				return err
			}
		}
		if err := w.EndSession(summary.StatusSuccess); err != nil {
			return err
		}
		if err := w.Close(); err != nil {
			return err
		}
	}
	w, err := summary.NewWriter(filepath.Join(logdir, "model"), nil)
	if err != nil {
		return err
	}
	g := summary.Graph{Nodes: []summary.Node{
		{Name: "input", Op: "Placeholder", Shapes: [][]int64{{-1, 64}}},
		{Name: "dense1/weights", Op: "VariableV2", Shapes: [][]int64{{64, 32}}},
		{Name: "dense1/MatMul", Op: "MatMul", Inputs: []string{"input", "dense1/weights"}, Shapes: [][]int64{{-1, 32}}},
		{Name: "dense1/Relu", Op: "Relu", Inputs: []string{"dense1/MatMul"}, Shapes: [][]int64{{-1, 32}}},
		{Name: "dense2/weights", Op: "VariableV2", Shapes: [][]int64{{32, 10}}},
		{Name: "dense2/MatMul", Op: "MatMul", Inputs: []string{"dense1/Relu", "dense2/weights"}, Shapes: [][]int64{{-1, 10}}},
		{Name: "softmax/Softmax", Op: "Softmax", Inputs: []string{"dense2/MatMul"}, Shapes: [][]int64{{-1, 10}}},
	}}
	if err := w.Graph(g); err != nil {
		return err
	}
	return w.Close()
}

// findChromium returns Chromium's path: $CHROMIUM, or chromium on PATH.
func findChromium() (string, error) {
	if c := os.Getenv("CHROMIUM"); c != "" {
		return c, nil
	}
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("headless Chromium not found (set CHROMIUM, or run scripts/setup.sh, which installs Debian's chromium)")
}

// browse opens url in Chromium through python/browser_text.py, waits for
// the expected strings, and checks the screenshot saved at shot.
func browse(venv, chromium, url, shot string, expected []string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	root, err := testenv.Root()
	if err != nil {
		return err
	}
	args := append([]string{filepath.Join(root, "compat", "python", "browser_text.py"), chromium, url, shot, "60"}, expected...)
	cmd := exec.CommandContext(ctx, filepath.Join(venv, "bin", "python"), args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	runErr := cmd.Run()
	var res struct {
		Text    string   `json:"text"`
		Missing []string `json:"missing"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &res); err != nil {
		return fmt.Errorf("%s: browser_text.py: %v; stderr:\n%s", url, runErr, stderr.Bytes())
	}
	if len(res.Missing) > 0 {
		return fmt.Errorf("%s shows no %q after 60 s; page text:\n%s", url, res.Missing, res.Text)
	}
	if runErr != nil {
		return fmt.Errorf("%s: browser_text.py: %v; stderr:\n%s", url, runErr, stderr.Bytes())
	}
	b, err := os.ReadFile(shot)
	if err != nil {
		return err
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		return fmt.Errorf("screenshot %s: %v", shot, err)
	}
	if n := colours(img); n < 8 {
		return fmt.Errorf("screenshot %s has %d colours: the page is blank", shot, n)
	}
	return nil
}

// colours counts the distinct colours of img, up to 1000.
func colours(img image.Image) int {
	seen := map[[4]uint32]bool{}
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y += 3 {
		for x := b.Min.X; x < b.Max.X; x += 3 {
			r, g, bl, a := img.At(x, y).RGBA()
			seen[[4]uint32{r, g, bl, a}] = true
			if len(seen) >= 1000 {
				return len(seen)
			}
		}
	}
	return len(seen)
}
