package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"image"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/tbgo/tbgo/history"
	"github.com/tbgo/tbgo/history/chart"
	"github.com/tbgo/tbgo/proto/tbpb"
	"github.com/tbgo/tbgo/summary"
	"github.com/tbgo/tbgo/tfevents"
)

// pngBomb returns a valid-looking PNG whose header claims 100000x100000
// pixels (40 GB decoded) over a few bytes of data.
func pngBomb(t *testing.T) []byte {
	var buf bytes.Buffer
	if err := png.Encode(&buf, image.NewGray(image.Rect(0, 0, 1, 1))); err != nil {
		t.Fatal(err)
	}
	b := buf.Bytes()
	// IHDR is the first chunk: 8-byte signature, length, "IHDR", width,
	// height, ..., CRC over type and data.
	ihdr := b[8+8 : 8+8+13]
	binary.BigEndian.PutUint32(ihdr[0:], 100_000)
	binary.BigEndian.PutUint32(ihdr[4:], 100_000)
	binary.BigEndian.PutUint32(b[8+8+13:], crc32.ChecksumIEEE(b[8+4:8+8+13]))
	return b
}

// allocated runs f and returns the bytes it allocated; a decoded bomb would
// need gigabytes.
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// TestHostileImageBomb writes an image summary holding a PNG that decodes
// to 40 GB: inspect and export must handle it without decoding it, with
// small memory, and export must extract its bytes unchanged.
func TestHostileImageBomb(t *testing.T) {
	logdir := t.TempDir()
	w, err := summary.NewWriter(logdir, nil)
	if err != nil {
		t.Fatal(err)
	}
	bomb := pngBomb(t)
	v, err := summary.ImageValue("bomb", 100_000, 100_000, [][]byte{bomb}, summary.Meta{})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.WriteValue(1, v); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "out")
	var runErr error
	alloc := allocated(func() {
		if _, _, err := runTool(t, "inspect", logdir); err != nil {
			runErr = err
			return
		}
		_, _, runErr = runTool(t, "export", "-what", "images", "-o", out, logdir)
	})
	if runErr != nil {
		t.Fatal(runErr)
	}
	if alloc > 64<<20 {
		t.Errorf("inspect and export allocated %d bytes for a %d-byte image", alloc, len(bomb))
	}
	var found bool
	filepath.WalkDir(out, func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && filepath.Ext(path) == ".png" {
			b, _ := os.ReadFile(path)
			found = found || bytes.Equal(b, bomb)
		}
		return nil
	})
	if !found {
		t.Error("export did not extract the image's bytes unchanged")
	}
}

// TestHostileManyTags reads a run of a million distinct tags (100,000
// under the race detector): inspect and export must finish and count every
// one.
func TestHostileManyTags(t *testing.T) {
	tags := 1_000_000
	if raceBuild {
		tags = 100_000
	}
	logdir := t.TempDir()
	f, err := tfevents.CreateFile(logdir, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := range tags {
		v, err := summary.ScalarValue(fmt.Sprintf("t%07d", i), float64(i), summary.Meta{})
		if err != nil {
			t.Fatal(err)
		}
		ev := &tbpb.Event{WallTime: 1.7e9, Step: 1, What: &tbpb.Event_Summary{Summary: &tbpb.Summary{Value: []*tbpb.Summary_Value{v}}}}
		if err := f.WriteEvent(ev); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	out, _, err := runTool(t, "inspect", "-json", logdir)
	if err != nil {
		t.Fatal(err)
	}
	var rep inspectReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	if n := len(rep.Runs[0].Plugins[0].Tags); n != tags {
		t.Errorf("inspect found %d tags, want %d", n, tags)
	}
	csv := filepath.Join(t.TempDir(), "scalars.csv")
	if _, _, err := runTool(t, "export", "-o", csv, logdir); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(csv)
	if err != nil {
		t.Fatal(err)
	}
	if lines := bytes.Count(b, []byte("\n")); lines != tags+1 {
		t.Errorf("export wrote %d lines, want a header and %d rows", lines, tags)
	}
}

// peakHeap runs f and returns the most heap memory its objects held above
// what was held before, sampled every millisecond: a reader whose memory
// grows with what a record holds shows it here.
func peakHeap(f func()) uint64 {
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	read := func() uint64 {
		metrics.Read(sample)
		return sample[0].Value.Uint64()
	}
	runtime.GC()
	base := read()
	var peak atomic.Uint64
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		for {
			if h := read(); h > peak.Load() {
				peak.Store(h)
			}
			select {
			case <-done:
				return
			case <-tick.C:
			}
		}
	})
	f()
	close(done)
	wg.Wait()
	if p := peak.Load(); p > base {
		return p - base
	}
	return 0
}

// hostileEventFile writes an event file of records (serialized events)
// into dir/run, after a file_version event and a scalar "before" at step
// 0, and before a scalar "after" at step 0, and returns the logdir.
func hostileEventFile(t *testing.T, records ...[]byte) string {
	t.Helper()
	scalar := func(tag string) []byte {
		return marshalEvent(t, &tbpb.Event{WallTime: 1700000000, What: &tbpb.Event_Summary{Summary: &tbpb.Summary{
			Value: []*tbpb.Summary_Value{{Tag: tag, Value: &tbpb.Summary_Value_SimpleValue{SimpleValue: 1}}}}}})
	}
	b := framed(marshalEvent(t, &tbpb.Event{WallTime: 1700000000, What: &tbpb.Event_FileVersion{FileVersion: tfevents.FileVersion}}))
	b = append(b, framed(scalar("before"))...)
	for _, r := range records {
		b = tfevents.AppendRecord(b, r)
	}
	b = append(b, framed(scalar("after"))...)
	logdir := t.TempDir()
	mustNil(t, os.Mkdir(filepath.Join(logdir, "run"), 0o755))
	mustNil(t, os.WriteFile(filepath.Join(logdir, "run", "events.out.tfevents.1700000000.hostile"), b, 0o644))
	return logdir
}

// manyValues returns an event holding n empty summary values, two bytes
// each.
func manyValues(t *testing.T, n int) []byte {
	var sum []byte
	for range n {
		sum = protowire.AppendTag(sum, 1, protowire.BytesType) // Summary.value
		sum = protowire.AppendVarint(sum, 0)
	}
	ev := marshalEvent(t, &tbpb.Event{WallTime: 1700000000, Step: 1})
	ev = protowire.AppendTag(ev, 5, protowire.BytesType) // Event.summary
	return protowire.AppendBytes(ev, sum)
}

// TestHostileManyValues reads a record of a million empty values (two MB)
// and one of a hundred thousand values that do not decode with every
// reading command whose memory this package bounds (issue 11, item 2):
// each holds a few times the record, where verify held 562 MB, and the
// bad values are one damage counting them, not a hundred thousand lines.
func TestHostileManyValues(t *testing.T) {
	n, bad := 1_000_000, 100_000
	if raceBuild {
		n, bad = 200_000, 20_000
	}
	vals := make([]*tbpb.Summary_Value, bad)
	for i := range vals {
		vals[i] = imageWithoutData("img")
	}
	badRecord := marshalEvent(t, &tbpb.Event{WallTime: 1700000000, Step: 2, What: &tbpb.Event_Summary{Summary: &tbpb.Summary{Value: vals}}})
	logdir := hostileEventFile(t, manyValues(t, n), badRecord)
	const ceiling = 48 << 20
	for _, tc := range []struct {
		cmd  string
		args []string
		want string // in the output
	}{
		{"verify", []string{"verify", logdir}, fmt.Sprintf("invalid value: summary: malformed value: \"img\" at step 2: no data (and %d more)", bad-1)},
		{"inspect", []string{"inspect", logdir}, "    after "},
		{"repair", []string{"repair", logdir, filepath.Join(t.TempDir(), "out")}, "1 repaired"},
	} {
		var out, errOut string
		start := time.Now()
		peak := peakHeap(func() { out, errOut, _ = runTool(t, tc.args...) })
		t.Logf("%s: peak heap %.1f MB, %v", tc.cmd, float64(peak)/1e6, time.Since(start).Round(time.Millisecond))
		if peak > ceiling {
			t.Errorf("%s held %.1f MB for a %d-value record, over %d MB", tc.cmd, float64(peak)/1e6, n, ceiling>>20)
		}
		if !strings.Contains(out, tc.want) || strings.Count(out, "\n") > 20 {
			t.Errorf("%s printed %d lines, want a few saying %q:\n%s%s", tc.cmd, strings.Count(out, "\n"), tc.want, shorten(out, 2000), errOut)
		}
	}
	// tail: every scalar, and nothing held per value.
	var tailOut syncBuffer
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	peak := peakHeap(func() {
		go func() {
			errc <- tail(ctx, logdir, &history.FollowOptions{FromStart: true, Poll: 10 * time.Millisecond}, "csv", &tailOut, &syncBuffer{})
		}()
		waitFor(t, &tailOut, errc, "run,before,0", "run,after,0")
		cancel()
		mustNil(t, <-errc)
	})
	t.Logf("tail: peak heap %.1f MB", float64(peak)/1e6)
	if peak > ceiling {
		t.Errorf("tail held %.1f MB for a %d-value record, over %d MB", float64(peak)/1e6, n, ceiling>>20)
	}
}

// TestHostileManyDamagedRecords reads a file of ten thousand records whose
// data checksum fails: the reports list the first hundred and count the
// rest, in text and JSON, rather than growing with the damage.
func TestHostileManyDamagedRecords(t *testing.T) {
	t.Parallel()
	const n = 10_000
	var recs [][]byte
	for i := range n {
		recs = append(recs, marshalEvent(t, &tbpb.Event{WallTime: 1700000000, Step: int64(i)}))
	}
	logdir := hostileEventFile(t, recs...)
	file := filepath.Join(logdir, "run", "events.out.tfevents.1700000000.hostile")
	offs, data := recordOffsets(t, file)
	for _, off := range offs[2 : 2+n] {
		data[off+13] ^= 0xff // the first byte of the data
	}
	mustNil(t, os.WriteFile(file, data, 0o644))

	reps, _ := verifyJSON(t, logdir)
	f := reps[0].Files[0]
	if reps[0].Corrupt != n || len(f.Damage) != tfevents.MaxLoggedDamage || f.DamageOmitted != n-tfevents.MaxLoggedDamage {
		t.Errorf("verify: %d corrupt, %d listed, %d omitted", reps[0].Corrupt, len(f.Damage), f.DamageOmitted)
	}
	for _, args := range [][]string{{"verify", logdir}, {"inspect", logdir}, {"repair", logdir, filepath.Join(t.TempDir(), "out")}} {
		out, _, _ := runTool(t, args...)
		lines := strings.Count(out, "\n")
		if lines > tfevents.MaxLoggedDamage+20 || !strings.Contains(out, fmt.Sprintf("and %d more", n-tfevents.MaxLoggedDamage)) {
			t.Errorf("%s printed %d lines for %d damaged records:\n%s", args[0], lines, n, shorten(out, 2000))
		}
	}
	// The commands that read on past damage warn of the first maxWarnings
	// and count the rest.
	for _, args := range [][]string{{"export", logdir}, {"compare", "-format", "csv", logdir}} {
		_, stderr, _ := runTool(t, args...)
		if lines := strings.Count(stderr, "\n"); lines > maxWarnings+5 || !strings.Contains(stderr, fmt.Sprintf("and %d more", n-maxWarnings)) {
			t.Errorf("%s printed %d lines to stderr for %d damaged records:\n%s", args[0], lines, n, shorten(stderr, 2000))
		}
	}
}

// TestHostileNonFiniteWallTimes reads events whose wall times are NaN,
// +Inf and -Inf (issue 11, item 7): every command skips them as
// non-finite wall time damage, every output format copes, verify fails,
// and repair drops them.
func TestHostileNonFiniteWallTimes(t *testing.T) {
	t.Parallel()
	var recs [][]byte
	for step, wall := range []float64{1700000001, math.NaN(), math.Inf(1), math.Inf(-1), 1700000004} {
		recs = append(recs, marshalEvent(t, &tbpb.Event{WallTime: wall, Step: int64(step), What: &tbpb.Event_Summary{Summary: &tbpb.Summary{
			Value: []*tbpb.Summary_Value{{Tag: "x", Value: &tbpb.Summary_Value_SimpleValue{SimpleValue: float32(step)}}}}}}))
	}
	logdir := hostileEventFile(t, recs...)

	out, _, err := runTool(t, "inspect", "-json", logdir)
	var rep history.InspectReport
	if jerr := json.Unmarshal([]byte(out), &rep); jerr != nil {
		t.Fatalf("inspect -json: %v (%v):\n%s", jerr, err, out)
	}
	run := rep.Runs[0]
	if rep.Corrupt != 3 || run.FirstWallTime != 1700000000 || run.LastWallTime != 1700000004 {
		t.Errorf("inspect -json: %d corrupt, wall time %v..%v", rep.Corrupt, run.FirstWallTime, run.LastWallTime)
	}
	for _, d := range run.Files[0].Damage {
		if d.Kind != tfevents.NonFiniteWallTime {
			t.Errorf("inspect: damage %v", d)
		}
	}
	text, _, _ := runTool(t, "inspect", logdir)
	if !strings.Contains(text, "wall time 2023-11-14T22:13:20.000Z .. 2023-11-14T22:13:24.000Z (4s)") {
		t.Errorf("inspect:\n%s", text)
	}
	for _, strict := range []string{"-strict=false", "-strict"} {
		if reps, err := verifyJSON(t, strict, logdir); err == nil || reps[0].Corrupt != 3 {
			t.Errorf("verify %s: %v, %d corrupt; want a failure for 3", strict, err, reps[0].Corrupt)
		}
	}
	dst := filepath.Join(t.TempDir(), "out")
	if _, _, err := runTool(t, "repair", logdir, dst); err != nil {
		t.Fatal(err)
	}
	if _, err := verifyJSON(t, "-strict", dst); err != nil {
		t.Errorf("verify -strict of the repaired logdir: %v", err)
	}
	csvOut, _, err := runTool(t, "export", "-format", "csv", "-tag", "x", logdir)
	var steps []int64
	for _, r := range csvRecords(t, csvOut) {
		steps = append(steps, atoi(t, r["step"]))
	}
	if !slices.Equal(steps, []int64{0, 4}) {
		t.Errorf("export: steps %v (%v), want 0 and 4", steps, err)
	}
	for _, x := range []string{"step", "wall", "relative"} {
		if _, _, err := runTool(t, "plot", "-o", filepath.Join(t.TempDir(), "p.png"), "-x", x, logdir); err != nil {
			t.Errorf("plot -x %s: %v", x, err)
		}
	}
}

// TestHostileLongTag inspects a run with a one-megabyte tag (issue 11,
// item 10): the text report shortens it, so that no line is padded to a
// megabyte, and the JSON report has it whole.
func TestHostileLongTag(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("L", 1<<20)
	var recs [][]byte
	for step := range int64(3) {
		for _, tag := range []string{"short", long, "tab\there"} {
			recs = append(recs, marshalEvent(t, &tbpb.Event{WallTime: 1700000000, Step: step, What: &tbpb.Event_Summary{Summary: &tbpb.Summary{
				Value: []*tbpb.Summary_Value{{Tag: tag, Value: &tbpb.Summary_Value_SimpleValue{SimpleValue: 1}}}}}}))
		}
	}
	logdir := hostileEventFile(t, recs...)
	text, _, err := runTool(t, "inspect", logdir)
	mustNil(t, err)
	for _, line := range strings.Split(text, "\n") {
		if len(line) > 300 {
			t.Errorf("inspect printed a line of %d bytes", len(line))
			break
		}
	}
	if len(text) > 4096 || !strings.Contains(text, `"tab\there"`) {
		t.Errorf("inspect printed %d bytes:\n%s", len(text), shorten(text, 2000))
	}
	out, _, err := runTool(t, "inspect", "-json", logdir)
	mustNil(t, err)
	if !strings.Contains(out, long) {
		t.Error("inspect -json does not hold the tag whole")
	}
}

// TestHostilePlotBounds asks plot for more charts than it holds and more
// pixels than a PNG may have (issue 11, item 3): each is an error saying
// what to do, before the image is drawn.
func TestHostilePlotBounds(t *testing.T) {
	t.Parallel()
	var recs [][]byte
	for i := range 300 {
		recs = append(recs, marshalEvent(t, &tbpb.Event{WallTime: 1700000000, What: &tbpb.Event_Summary{Summary: &tbpb.Summary{
			Value: []*tbpb.Summary_Value{{Tag: fmt.Sprintf("t%03d", i), Value: &tbpb.Summary_Value_SimpleValue{SimpleValue: 1}}}}}}))
	}
	logdir := hostileEventFile(t, recs...)
	out := filepath.Join(t.TempDir(), "p.png")
	var err error
	peak := peakHeap(func() { _, _, err = runTool(t, "plot", "-o", out, logdir) })
	if !errors.Is(err, chart.ErrTooManyCharts) || !strings.Contains(err.Error(), "302 tags") || !strings.Contains(err.Error(), "-tag") {
		t.Errorf("plot of 302 tags: %v, want an error counting them and naming -tag", err)
	}
	if peak > 32<<20 {
		t.Errorf("plot held %.1f MB to refuse 302 tags", float64(peak)/1e6)
	}
	_, _, err = runTool(t, "plot", "-o", out, "-max-charts", "400", "-size", "20000x20000", logdir)
	if !errors.Is(err, chart.ErrTooLarge) {
		t.Errorf("plot of 400 megapixels: %v, want ErrTooLarge", err)
	}
	if _, _, err := runTool(t, "plot", "-o", out, "-tag", "t00*", logdir); err != nil {
		t.Errorf("plot of 10 tags: %v", err)
	}
	if _, err := os.Stat(out); err != nil {
		t.Error(err)
	}
}
