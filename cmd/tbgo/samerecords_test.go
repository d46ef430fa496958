package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tbgo/tbgo/history"
	"github.com/tbgo/tbgo/history/chart"
	"github.com/tbgo/tbgo/summary"
	"github.com/tbgo/tbgo/tfevents"
)

// csvRecords parses CSV output and returns its rows as maps from the
// header's names.
func csvRecords(t *testing.T, out string) []map[string]string {
	t.Helper()
	rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil || len(rows) == 0 {
		t.Fatalf("not CSV (%v):\n%s", err, out)
	}
	var recs []map[string]string
	for _, row := range rows[1:] {
		rec := map[string]string{}
		for i, name := range rows[0] {
			rec[name] = row[i]
		}
		recs = append(recs, rec)
	}
	return recs
}

func atoi(t *testing.T, s string) int64 {
	t.Helper()
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestEveryCommandSeesTheSameRecords damages the length checksum of a
// record in the middle of an event file: inspect, verify, export, compare,
// plot, tail and repair all read past it, resynchronised at the next
// record, and see the same records, every one but the damaged one.
func TestEveryCommandSeesTheSameRecords(t *testing.T) {
	t.Parallel()
	logdir := t.TempDir()
	w, err := summary.NewWriter(filepath.Join(logdir, "run"), nil)
	mustNil(t, err)
	const damaged = 8
	for step := range int64(20) {
		v := float64(step)
		if step == damaged {
			v = 1000 // the maximum, if anything read it
		}
		mustNil(t, w.Scalar("x", step, v))
	}
	mustNil(t, w.Close())
	offs, data := recordOffsets(t, w.FileName())
	data[offs[damaged+1]+2] ^= 0x10 // record 0 is the file_version
	mustNil(t, os.WriteFile(w.FileName(), data, 0o644))
	want := stepRange(0, 20, damaged)
	seen := map[string][]int64{}

	// inspect: the tag's values and their range.
	out, _, _ := runTool(t, "inspect", "-json", logdir)
	var ins history.InspectReport
	mustNil(t, json.Unmarshal([]byte(out), &ins))
	tag := ins.Runs[0].Plugins[0].Tags[0]
	if tag.Count != len(want) || tag.MinStep != 0 || tag.MaxStep != 19 {
		t.Errorf("inspect: %+v", tag)
	}
	if d := ins.Runs[0].Files[0].Damage; len(d) != 1 || d[0].Kind != tfevents.BadLengthChecksum || d[0].Offset != offs[damaged+1] {
		t.Errorf("inspect: damage %v, want a length crc at %d", d, offs[damaged+1])
	}

	// verify: the values it decoded.
	reps, _ := verifyJSON(t, logdir)
	if reps[0].Values != len(want) || reps[0].Corrupt != 1 {
		t.Errorf("verify: %d values, %d corrupt; want %d, 1", reps[0].Values, reps[0].Corrupt, len(want))
	}

	// export: every row.
	out, _, _ = runTool(t, "export", "-format", "csv", logdir)
	for _, r := range csvRecords(t, out) {
		seen["export"] = append(seen["export"], atoi(t, r["step"]))
	}

	// compare: the last value and the maximum, which the damaged record
	// would have been.
	out, _, _ = runTool(t, "compare", "-format", "csv", logdir)
	row := csvRecords(t, out)[0]
	if row["x:last"] != "19" || row["x:last_step"] != "19" || row["x:max"] != "19" || row["x:max_step"] != "19" {
		t.Errorf("compare: %v, want last and max 19 at step 19", row)
	}

	// plot: what it draws.
	src, err := history.Open(logdir)
	mustNil(t, err)
	defer src.Close()
	charts, err := chart.Collect(context.Background(), src, &chart.Options{Read: history.Options{Damaged: func(*tfevents.Damage) error { return nil }}})
	mustNil(t, err)
	seen["plot"] = charts[0].Series[0].Steps
	png := filepath.Join(t.TempDir(), "p.png")
	if _, _, err := runTool(t, "plot", "-o", png, logdir); err != nil {
		t.Errorf("plot: %v", err)
	}

	// tail: every scalar from the start.
	var tailOut syncBuffer
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() {
		errc <- tail(ctx, logdir, &history.FollowOptions{FromStart: true, Poll: 10 * time.Millisecond}, "csv", &tailOut, &syncBuffer{})
	}()
	waitFor(t, &tailOut, errc, "run,x,19")
	cancel()
	mustNil(t, <-errc)
	for _, r := range csvRecords(t, tailOut.String()) {
		seen["tail"] = append(seen["tail"], atoi(t, r["step"]))
	}

	// repair: what the repaired file holds.
	dst := filepath.Join(t.TempDir(), "repaired")
	if _, _, err := runTool(t, "repair", logdir, dst); err != nil {
		t.Fatal(err)
	}
	seen["repair"], _ = fileSteps(t, filepath.Join(dst, "run", filepath.Base(w.FileName())))

	for _, cmd := range []string{"export", "plot", "tail", "repair"} {
		if !slices.Equal(seen[cmd], want) {
			t.Errorf("%s sees steps %v, want %v", cmd, seen[cmd], want)
		}
	}
}
