//go:build compat

package compat

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tbgo/tbgo/summary"
	"github.com/tbgo/tbgo/tfevents"
)

// TestCorruptRecord shows that checksums are really checked: one record of
// run "corrupt" has a flipped bit in its data, so its data checksum fails
// while it still parses (as the value 20 instead of 5). tbgo's reader must
// report ErrCorrupt there; TensorBoard's Rust data server with --checksum
// and its Python loader must not serve it, nor anything after it in that
// file; and a Rust data server without --checksum, reading a copy of the
// run, must serve the damaged value, which proves the damage is invisible
// without the checksum.
func TestCorruptRecord(t *testing.T) {
	setup(t)
	c := fx.logdir.Corrupt
	good := c.Points[:c.Index]

	t.Run("tbgo reader", func(t *testing.T) {
		f, err := os.Open(c.File)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		sc := tfevents.NewScanner(f)
		var corrupt []*tfevents.Damage
		sc.Damaged = func(d *tfevents.Damage) error { corrupt = append(corrupt, d); return nil }
		dec := summary.NewDecoder()
		var got []Point
		for sc.Scan() {
			vals, err := dec.Record(nil, sc.Record())
			if err != nil {
				t.Fatal(err)
			}
			for _, v := range vals {
				got = append(got, Point{Step: v.Step, Wall: v.WallTime, Scalar: float32(v.Scalar)})
			}
		}
		if err := sc.Err(); err != nil {
			t.Fatal(err)
		}
		if len(corrupt) != 1 {
			t.Fatalf("damage %v, want exactly one", corrupt)
		}
		if d := corrupt[0]; d.Kind != tfevents.BadDataChecksum || d.Offset != c.Offset || !errors.Is(d, tfevents.ErrCorrupt) {
			t.Errorf("damage %v, want a data crc at offset %d", d, c.Offset)
		}
		// The reader skips the damaged record and reads on.
		want := append(append([]Point(nil), good...), c.Points[c.Index+1:]...)
		checkCorruptPoints(t, "tbgo reader", got, want)
	})

	// A loader that checks the data checksum stops reading the damaged file
	// at the damage and goes on with the run's next file (the sentinel).
	loaders := []struct {
		name string
		view func(*testing.T) *view
	}{
		{"python loader", multiplexerView},
		{"rust server", func(t *testing.T) *view { return httpView(t, rustServer) }},
		{"python server", func(t *testing.T) *view { return httpView(t, pythonServer) }},
	}
	for _, l := range loaders {
		t.Run(l.name, func(t *testing.T) {
			v := l.view(t)
			checkCorruptPoints(t, v.name, viewPoints(t, v, c.Run, c.Tag), good)
			if v.series[key{c.Run, SentinelTag}] == nil {
				t.Errorf("%s: run %q lacks %q from the file after the damaged one", v.name, c.Run, SentinelTag)
			}
		})
	}

	t.Run("rust server reports the checksum", func(t *testing.T) {
		log := server(t, rustServer).Stderr()
		base := filepath.Base(c.File)
		found := false
		for _, line := range strings.Split(log, "\n") {
			if strings.Contains(line, base) && strings.Contains(line, "ChecksumError") {
				found = true
			}
		}
		if !found {
			t.Errorf("the data server logged no ChecksumError for %s; stderr:\n%s", base, log)
		}
	})

	t.Run("rust server without checksum", func(t *testing.T) {
		v := httpView(t, controlServer)
		want := append([]Point(nil), c.Points...)
		want[c.Index].Scalar = c.Damaged
		checkCorruptPoints(t, v.name, viewPoints(t, v, c.Run, c.Tag), want)
	})
}

func viewPoints(t *testing.T, v *view, run, tag string) []Point {
	t.Helper()
	s := v.series[key{run, tag}]
	if s == nil {
		t.Fatalf("%s: no series %q in run %q", v.name, tag, run)
	}
	var ps []Point
	for _, p := range s.points {
		ps = append(ps, Point{Step: p.step, Wall: p.wall, Scalar: float32(p.value)})
	}
	return ps
}

func checkCorruptPoints(t *testing.T, name string, got, want []Point) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d points (steps %v), want %d (steps %v)", name, len(got), wantSteps(got), len(want), wantSteps(want))
	}
	for i, w := range want {
		g := got[i]
		if g.Step != w.Step || !sameFloat32(g.Scalar, w.Scalar) || g.Wall-w.Wall > wallTolerance || w.Wall-g.Wall > wallTolerance {
			t.Errorf("%s: point %d = step %d value %v wall %.6f, want step %d value %v wall %.6f",
				name, i, g.Step, g.Scalar, g.Wall, w.Step, w.Scalar, w.Wall)
		}
	}
}
