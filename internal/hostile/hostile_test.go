package hostile_test

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	"github.com/tbgo/tbgo/archive"
	"github.com/tbgo/tbgo/internal/hostile"
	"github.com/tbgo/tbgo/proto/tbpb"
	"github.com/tbgo/tbgo/tfevents"
)

// scan reads an event file with a tfevents.Scanner.
func scan(t *testing.T, name string) (recs [][]byte, damage []tfevents.Damage) {
	t.Helper()
	f, err := os.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := tfevents.NewScanner(f)
	sc.Damaged = func(d *tfevents.Damage) error { damage = append(damage, *d); return nil }
	for sc.Scan() {
		recs = append(recs, bytes.Clone(sc.Record()))
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return recs, damage
}

func event(t *testing.T, rec []byte) *tbpb.Event {
	t.Helper()
	var ev tbpb.Event
	if err := proto.Unmarshal(rec, &ev); err != nil {
		t.Fatal(err)
	}
	return &ev
}

// TestGenerators reads back what each generator writes: the hostile
// part is there, and so is the rest.
func TestGenerators(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	t.Run("many values", func(t *testing.T) {
		recs, damage := scan(t, hostile.ManyValues(t, filepath.Join(dir, "many"), 1000))
		if len(recs) != 8 || len(damage) != 0 {
			t.Fatalf("%d records, damage %v; want 8 and none", len(recs), damage)
		}
		if n := len(event(t, recs[4]).GetSummary().GetValue()); n != 1000 {
			t.Errorf("%d values in the record, want 1000", n)
		}
	})
	t.Run("huge value", func(t *testing.T) {
		recs, _ := scan(t, hostile.HugeValue(t, filepath.Join(dir, "huge"), 1<<20))
		v := event(t, recs[4]).GetSummary().GetValue()[0]
		if len(recs) != 8 || len(v.GetTensor().GetStringVal()[0]) != 1<<20 {
			t.Errorf("%d records, want 8 with a 1 MiB text", len(recs))
		}
	})
	t.Run("oversized record", func(t *testing.T) {
		name := hostile.OversizedRecord(t, filepath.Join(dir, "oversized"), tfevents.DefaultMaxRecordLen+1)
		recs, damage := scan(t, name)
		if len(recs) != 7 || len(damage) != 1 || damage[0].Kind != tfevents.OversizedRecord {
			t.Errorf("%d records, damage %v; want 7 around one oversized record", len(recs), damage)
		}
		if info, err := os.Stat(name); err != nil || info.Size() < tfevents.DefaultMaxRecordLen {
			t.Errorf("%v, %v; want a file as long as its record", info, err)
		}
	})
	t.Run("non-finite wall times", func(t *testing.T) {
		recs, _ := scan(t, hostile.NonFiniteWallTimes(t, filepath.Join(dir, "walls")))
		if len(recs) != 6 || !math.IsNaN(event(t, recs[2]).GetWallTime()) || !math.IsInf(event(t, recs[3]).GetWallTime(), 1) || !math.IsInf(event(t, recs[4]).GetWallTime(), -1) {
			t.Errorf("%d records, want NaN, +Inf and -Inf wall times at steps 1 to 3", len(recs))
		}
	})
	t.Run("colliding tags", func(t *testing.T) {
		recs, _ := scan(t, hostile.CollidingTags(t, filepath.Join(dir, "colliding")))
		var tags []string
		for _, r := range recs[1:] {
			v := event(t, r).GetSummary().GetValue()[0]
			if v.GetImage() == nil {
				t.Errorf("%s is not an image", v.GetTag())
			}
			tags = append(tags, v.GetTag())
		}
		if strings.Join(tags, " ") != "img img/step1_0.png img/step1_0.png/x" {
			t.Errorf("tags %q", tags)
		}
	})
	t.Run("many tags", func(t *testing.T) {
		if recs, _ := scan(t, hostile.ManyTags(t, filepath.Join(dir, "tags"), 100)); len(recs) != 101 {
			t.Errorf("%d records, want 101", len(recs))
		}
	})
	t.Run("long tag", func(t *testing.T) {
		recs, _ := scan(t, hostile.LongTag(t, filepath.Join(dir, "long"), 1000))
		if tag := event(t, recs[2]).GetSummary().GetValue()[0].GetTag(); len(recs) != 7 || len(tag) != 1000 {
			t.Errorf("%d records, a %d-byte tag; want 7 and 1000", len(recs), len(tag))
		}
	})
	t.Run("manifest bomb", func(t *testing.T) {
		name := filepath.Join(dir, "bomb.tbar")
		hostile.ManifestBomb(t, name, 1<<20)
		r, err := archive.Open(name)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		n := 0
		for range r.Entries() {
			n++
		}
		if n < (1<<20)/35 {
			t.Errorf("%d entries in a 1 MiB manifest, want one per 34 bytes", n)
		}
		if err := r.Check("run/" + hostile.FileName); err != nil {
			t.Error(err)
		}
	})
}

// TestManyValuesRecord checks the raw form of the many-values record: n
// empty values, two bytes each.
func TestManyValuesRecord(t *testing.T) {
	t.Parallel()
	recs, _ := scan(t, hostile.ManyValues(t, t.TempDir(), 10))
	b := recs[4]
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		m := protowire.ConsumeFieldValue(num, typ, b[n:])
		if num == 5 {
			if m-1 != 2*10 {
				t.Errorf("summary of %d bytes, want 20", m-1)
			}
			return
		}
		b = b[n+m:]
	}
	t.Error("no summary field")
}

// TestRunChild runs children that pass, that take too much memory and
// that take too long.
func TestRunChild(t *testing.T) {
	if arg, ok := hostile.ChildArg(t); ok {
		switch arg {
		case "ok":
			fmt.Println("child ran")
		case "alloc":
			b := make([]byte, 400<<20)
			for i := range b { // touch every page, so that it is resident
				b[i] = 1
			}
			runtime.KeepAlive(b)
		case "sleep":
			time.Sleep(time.Minute)
		case "fail":
			t.Fatal("the child fails")
		}
		return
	}
	if runtime.GOOS != "linux" {
		t.Skip("memory is measured on Linux only")
	}
	u, out, err := hostile.RunChild("TestRunChild", "ok", hostile.Limits{MaxRSS: 200 << 20, Timeout: time.Minute})
	if err != nil || !strings.Contains(out, "child ran") || u.PeakRSS <= 0 || u.Elapsed <= 0 {
		t.Errorf("ok: %v, %q, %v", u, out, err)
	}
	if _, _, err := hostile.RunChild("TestRunChild", "alloc", hostile.Limits{MaxRSS: 100 << 20, Timeout: time.Minute}); !errors.Is(err, hostile.ErrMemory) && !hostile.Race {
		t.Errorf("alloc: %v, want ErrMemory", err)
	}
	if _, _, err := hostile.RunChild("TestRunChild", "sleep", hostile.Limits{Timeout: time.Second}); !errors.Is(err, hostile.ErrTimeout) {
		t.Errorf("sleep: %v, want ErrTimeout", err)
	}
	if _, out, err := hostile.RunChild("TestRunChild", "fail", hostile.Limits{}); err == nil || !strings.Contains(out, "the child fails") {
		t.Errorf("fail: %v, %q; want the failure", err, out)
	}
	if _, _, err := hostile.RunChild("TestNoSuchTest", "ok", hostile.Limits{}); err == nil {
		t.Error("a child running no test passed")
	}
}
