package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/tbgo/tbgo/summary"
)

// compareLogdir writes two sessions (one with a sub-run of its own), a run
// without a session, and known losses, NaN among them.
func compareLogdir(t *testing.T) string {
	t.Helper()
	logdir := t.TempDir()
	now := unix(1700000000)
	write := func(run string, hparams map[string]any, status summary.Status, losses map[int64]float64, steps []int64) {
		w := clockWriter(t, filepath.Join(logdir, filepath.FromSlash(run)), &now)
		if hparams != nil {
			if err := w.StartSession(hparams, &summary.SessionOptions{Start: now}); err != nil {
				t.Fatal(err)
			}
		}
		for _, s := range steps {
			now = now.Add(1e9)
			if err := w.Scalar("loss", s, losses[s]); err != nil {
				t.Fatal(err)
			}
			if err := w.Scalar("acc|pipe", s, 1-losses[s]); err != nil {
				t.Fatal(err)
			}
		}
		if hparams != nil {
			if err := w.EndSession(status); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
	}
	write("trial1", map[string]any{"lr": 0.1, "opt": "adam"}, summary.StatusSuccess,
		map[int64]float64{0: 2, 1: 0.5, 2: math.NaN(), 3: 0.75}, []int64{0, 1, 2, 3})
	write("trial1/eval", nil, 0, map[int64]float64{0: 3, 5: 1}, []int64{0, 5})
	write("trial2", map[string]any{"lr": 0.01, "opt": "sgd"}, summary.StatusFailure,
		map[int64]float64{0: 4, 1: 0.25, 2: 0.25}, []int64{0, 1, 2})
	write("plain", nil, 0, map[int64]float64{7: 9}, []int64{7})
	return logdir
}

func compareCSV(t *testing.T, args ...string) [][]string {
	t.Helper()
	out, stderr, err := runTool(t, append([]string{"compare", "-format", "csv"}, args...)...)
	if err != nil {
		t.Fatalf("compare %q: %v\n%s", args, err, stderr)
	}
	return readCSV(t, []byte(out))
}

// csvColumn returns a column of a CSV table by name.
func csvColumn(t *testing.T, rows [][]string, name string) []string {
	t.Helper()
	i := slices.Index(rows[0], name)
	if i < 0 {
		t.Fatalf("no column %q in %q", name, rows[0])
	}
	var col []string
	for _, r := range rows[1:] {
		col = append(col, r[i])
	}
	return col
}

func TestCompare(t *testing.T) {
	t.Parallel()
	logdir := compareLogdir(t)
	rows := compareCSV(t, "-tag", "loss", logdir)
	wantHeader := []string{"run", "status", "start_time", "duration", "lr", "opt",
		"loss:last", "loss:last_step", "loss:min", "loss:min_step", "loss:max", "loss:max_step"}
	if !slices.Equal(rows[0], wantHeader) {
		t.Fatalf("header %q, want %q", rows[0], wantHeader)
	}
	tests := []struct {
		col  string
		want []string // rows by run name: plain, trial1, trial1/eval, trial2
	}{
		{"run", []string{"plain", "trial1", "trial1/eval", "trial2"}},
		{"status", []string{"", "STATUS_SUCCESS", "STATUS_SUCCESS", "STATUS_FAILURE"}}, // eval inherits trial1's session
		{"lr", []string{"", "0.1", "0.1", "0.01"}},
		{"opt", []string{"", "adam", "adam", "sgd"}},
		{"loss:last", []string{"9", "0.75", "1", "0.25"}},
		{"loss:last_step", []string{"7", "3", "5", "2"}},
		{"loss:min", []string{"9", "0.5", "1", "0.25"}}, // NaN left out
		{"loss:min_step", []string{"7", "1", "5", "1"}}, // the first step of the minimum
		{"loss:max", []string{"9", "2", "3", "4"}},
		{"loss:max_step", []string{"7", "0", "0", "0"}},
	}
	for _, tc := range tests {
		if got := csvColumn(t, rows, tc.col); !slices.Equal(got, tc.want) {
			t.Errorf("%s = %q, want %q", tc.col, got, tc.want)
		}
	}
	// trial1 logs four values a second apart after its session start.
	if d := csvColumn(t, rows, "duration")[1]; d != "4" {
		t.Errorf("trial1 duration %s, want 4", d)
	}
}

func TestCompareSortFilterFormats(t *testing.T) {
	t.Parallel()
	logdir := compareLogdir(t)
	tests := []struct {
		desc string
		args []string
		runs []string
	}{
		{desc: "descending, nulls last", args: []string{"-sort", "-lr"}, runs: []string{"trial1", "trial1/eval", "trial2", "plain"}},
		{desc: "two keys", args: []string{"-sort", "opt", "-sort", "-loss:last"}, runs: []string{"trial1/eval", "trial1", "trial2", "plain"}},
		{desc: "numeric where", args: []string{"-where", "lr<0.05"}, runs: []string{"trial2"}},
		{desc: "where on a metric", args: []string{"-where", "loss:min <= 0.5"}, runs: []string{"trial1", "trial2"}},
		{desc: "text where", args: []string{"-where", "opt=adam"}, runs: []string{"trial1", "trial1/eval"}},
		{desc: "not equal keeps empty cells", args: []string{"-where", "opt!=adam"}, runs: []string{"plain", "trial2"}},
		{desc: "glob where", args: []string{"-where", "run~trial*"}, runs: []string{"trial1", "trial2"}},
		{desc: "run filter keeps the inherited session", args: []string{"-run", "*/eval"}, runs: []string{"trial1/eval"}},
	}
	for _, tc := range tests {
		rows := compareCSV(t, append(tc.args, logdir)...)
		if got := csvColumn(t, rows, "run"); !slices.Equal(got, tc.runs) {
			t.Errorf("%s: runs %q, want %q", tc.desc, got, tc.runs)
		}
		if tc.desc == "run filter keeps the inherited session" {
			if lr := csvColumn(t, rows, "lr"); !slices.Equal(lr, []string{"0.1"}) {
				t.Errorf("%s: lr %q, want the parent's 0.1", tc.desc, lr)
			}
		}
	}

	out, _, err := runTool(t, "compare", "-format", "json", "-stats", "min", "-tag", "loss", "-sort", "run", logdir)
	if err != nil {
		t.Fatal(err)
	}
	var objs []map[string]any
	if err := json.Unmarshal([]byte(out), &objs); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	if len(objs) != 4 || objs[1]["loss:min"] != 0.5 || objs[0]["lr"] != nil || objs[1]["status"] != "STATUS_SUCCESS" {
		t.Errorf("JSON %v", objs)
	}
	// JSON keeps the column order.
	if i, j := strings.Index(out, `"run"`), strings.Index(out, `"loss:min"`); i < 0 || j < i {
		t.Errorf("JSON keys out of order:\n%s", out)
	}

	md, _, err := runTool(t, "compare", "-format", "markdown", "-tag", "acc*", "-stats", "last", logdir)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(md), "\n")
	if len(lines) != 6 || !strings.Contains(lines[0], `| acc\|pipe |`) || !strings.HasPrefix(lines[1], "|---|") {
		t.Errorf("Markdown:\n%s", md)
	}
	// float32 values print short for people: 1-0.25 is 0.75 exactly.
	if !strings.Contains(md, "| 0.75 |") {
		t.Errorf("Markdown lacks trial2's last acc 0.75:\n%s", md)
	}
}

// sweepLogdir writes what a sweep writes: an experiment at the root and
// four trials, each with a session and four metrics, and one
// hyper-parameter every trial shares.
func sweepLogdir(t *testing.T) string {
	t.Helper()
	logdir := t.TempDir()
	err := summary.WriteExperiment(logdir, summary.Experiment{
		HParams: []summary.HParam{{Name: "lr", Domain: summary.Interval(1e-4, 1)}, {Name: "batch", Domain: summary.Discrete(32.0)}},
		Metrics: []summary.Metric{{Tag: "loss/train"}, {Tag: "loss/val"}, {Tag: "accuracy/train"}, {Tag: "accuracy/val"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	now := unix(1700000000.123456789)
	for i, lr := range []float64{0.1, 0.03, 0.01, 0.003} {
		w := clockWriter(t, filepath.Join(logdir, fmt.Sprintf("trial-%d", i)), &now)
		if err := w.StartSession(map[string]any{"lr": lr, "batch": 32.0}, &summary.SessionOptions{Start: now}); err != nil {
			t.Fatal(err)
		}
		for step := range int64(50) {
			now = now.Add(1500 * time.Millisecond)
			for j, tag := range []string{"loss/train", "loss/val", "accuracy/train", "accuracy/val"} {
				if err := w.Scalar(tag, step, 1/(float64(step)+math.Pi*float64(i+j+1))); err != nil {
					t.Fatal(err)
				}
			}
		}
		if err := w.EndSession(summary.StatusSuccess); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
	}
	return logdir
}

// TestCompareTable (issue 14, item 6): the default table of a four-tag
// sweep is for people: no empty root run, no step columns, numbers
// rounded, durations with units, start times to the second, shared
// hyper-parameters set apart, and as many columns as fit the width, the
// rest named on stderr. csv keeps everything, at full precision.
func TestCompareTable(t *testing.T) {
	t.Parallel()
	logdir := sweepLogdir(t)
	out, stderr, err := runTool(t, "compare", "-width", "120", logdir)
	if err != nil || stderr != "" {
		t.Fatalf("%v\n%s", err, stderr)
	}
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != 6 {
		t.Fatalf("want a header, 4 trials and the shared line:\n%s", out)
	}
	start := unix(1700000000.123456789).Local().Format("2006-01-02 15:04")
	for _, want := range []string{"trial-0", "success", start, "1m15s", "0.01918", "accuracy/val"} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
	for _, bad := range []string{"_step", ":last", ":min", "STATUS_", ".123456", "\n. "} {
		if strings.Contains(out, bad) {
			t.Errorf("table holds %q:\n%s", bad, out)
		}
	}
	if lines[5] != "every run: batch=32" {
		t.Errorf("shared hyper-parameters: %q", lines[5])
	}
	for _, l := range lines {
		if utf8.RuneCountInString(l) > 120 {
			t.Errorf("a line of %d characters: %q", len(l), l)
		}
	}

	// Every statistic, when asked for.
	out, _, err = runTool(t, "compare", "-stats", "last,min,max", "-tag", "loss/val", logdir)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "loss/val:min") || !strings.Contains(out, "loss/val:max") {
		t.Errorf("-stats last,min,max:\n%s", out)
	}

	// Narrow: the run and what fits, the rest named on stderr.
	out, stderr, err = runTool(t, "compare", "-width", "60", logdir)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(strings.TrimSpace(out), "\n")[:5] {
		if utf8.RuneCountInString(l) > 60 {
			t.Errorf("a line of %d characters: %q", utf8.RuneCountInString(l), l)
		}
	}
	if !strings.Contains(stderr, "do not fit in 60 characters") || !strings.Contains(stderr, "loss/val") {
		t.Errorf("stderr %q, want the columns left out", stderr)
	}

	// csv: every column, full precision, the root run left out too.
	rows := compareCSV(t, logdir)
	if len(rows) != 5 || len(rows[0]) != 4+2+4*3*2 {
		t.Fatalf("csv: %d rows of %d columns: %q", len(rows), len(rows[0]), rows[0])
	}
	if got := csvColumn(t, rows, "start_time")[0]; got != "2023-11-14T22:13:20.123457Z" {
		t.Errorf("start_time %q", got)
	}
	if got := csvColumn(t, rows, "duration")[0]; got != "75" {
		t.Errorf("duration %q", got)
	}
	if got := csvColumn(t, rows, "loss/train:last")[0]; got != strconv.FormatFloat(float64(float32(1/(49+math.Pi))), 'g', -1, 32) {
		t.Errorf("loss/train:last %q, want its float32", got)
	}
}

func TestCompareBadInput(t *testing.T) {
	t.Parallel()
	logdir := compareLogdir(t)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-sort", "nope", logdir}, `"nope"`},
		{[]string{"-where", "lr", logdir}, "COLUMN OP VALUE"},
		{[]string{"-where", "nope=1", logdir}, `"nope"`},
		{[]string{"-where", "run~[", logdir}, "bad pattern"},
		{[]string{"-stats", "median", logdir}, "median"},
		{[]string{"-format", "xml", logdir}, "xml"},
		{[]string{"-run", "zzz", logdir}, "zzz"},
		{[]string{t.TempDir()}, "no event files"},
	} {
		_, _, err := runTool(t, append([]string{"compare"}, tc.args...)...)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("compare %q: %v, want an error saying %s", tc.args, err, tc.want)
		}
	}
	if _, _, err := runTool(t, "compare", "-sort", "nope", logdir); !errors.Is(err, errUsage) {
		t.Errorf("unknown sort column: %v, want a usage error", err)
	}
}
