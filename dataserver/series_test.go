package dataserver

import (
	"math"
	"slices"
	"testing"

	"github.com/tbgo/tbgo/proto/tbpb"
)

func scalarSeries(capacity int) *series {
	return newSeries(&tbpb.SummaryMetadata{
		PluginData: &tbpb.SummaryMetadata_PluginData{PluginName: "scalars"},
		DataClass:  tbpb.DataClass_DATA_CLASS_SCALAR,
	}, capacity)
}

func TestSeriesOffer(t *testing.T) {
	t.Parallel()
	tests := []struct {
		desc     string
		capacity int
		steps    []int64
		want     []int64 // steps kept, exactly; nil to check only the bound
	}{
		{"in order", Unbounded, []int64{0, 1, 2, 3}, []int64{0, 1, 2, 3}},
		{"rewind preempts", Unbounded, []int64{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 5, 6, 7}, []int64{0, 1, 2, 3, 4, 5, 6, 7}},
		{"same step keeps the last", Unbounded, []int64{3, 3, 3}, []int64{3}},
		{"rewind before all", Unbounded, []int64{5, 6, 7, 1}, []int64{1}},
		{"capacity zero keeps nothing", 0, []int64{1, 2, 3}, []int64{}},
		{"under capacity keeps all", 10, []int64{1, 2, 3}, []int64{1, 2, 3}},
		{"capacity one keeps the newest", 1, []int64{1, 2, 3, 4, 5}, []int64{5}},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			s := scalarSeries(tt.capacity)
			for _, step := range tt.steps {
				s.offer(point{step: step, wall: float64(step), scalar: float32(step)})
			}
			got := steps(s)
			if !slices.Equal(got, tt.want) {
				t.Errorf("kept steps %v, want %v", got, tt.want)
			}
			for i, step := range steps(s) {
				if s.scalars[i] != float32(step) || s.walls[i] != float64(step) {
					t.Errorf("point %d: step %d has value %v, wall %v", i, step, s.scalars[i], s.walls[i])
				}
			}
		})
	}
}

// steps returns the steps s keeps.
func steps(s *series) []int64 {
	out := []int64{}
	for i := range s.len() {
		out = append(out, s.step(i))
	}
	return out
}

func TestStepColumn(t *testing.T) {
	t.Parallel()
	tests := []struct {
		desc  string
		steps []int64
	}{
		{"small", []int64{5, 6, 100}},
		{"negative base", []int64{-7, -1, 0, 1 << 31}},
		{"widens past 2^32", []int64{0, 1, 1<<32 + 5, 1 << 62}},
		{"extremes", []int64{math.MinInt64, 0, math.MaxInt64}},
	}
	for _, tt := range tests {
		var c stepColumn
		for _, s := range tt.steps {
			c.push(s)
		}
		var got []int64
		for i := range c.len() {
			got = append(got, c.at(i))
		}
		if !slices.Equal(got, tt.steps) {
			t.Errorf("%s: %v, want %v", tt.desc, got, tt.steps)
		}
		for i, s := range tt.steps {
			if j := c.search(s); j != i {
				t.Errorf("%s: search(%d) = %d, want %d", tt.desc, s, j, i)
			}
		}
		c.remove(0)
		c.truncate(c.len() - 1)
		if c.len() != len(tt.steps)-2 || (c.len() > 0 && c.at(0) != tt.steps[1]) {
			t.Errorf("%s: after remove and truncate: len %d", tt.desc, c.len())
		}
	}
	// An empty column takes a new base.
	var c stepColumn
	c.push(100)
	c.truncate(0)
	c.push(-5)
	c.push(3)
	if c.wide != nil || c.at(0) != -5 || c.at(1) != 3 {
		t.Errorf("rebased column: wide %v, steps %d %d", c.wide != nil, c.at(0), c.at(1))
	}
}

func TestSeriesSampling(t *testing.T) {
	t.Parallel()
	for _, capacity := range []int{1, 2, 10, 1000} {
		s := scalarSeries(capacity)
		const n = 5000
		for step := range int64(n) {
			s.offer(point{step: step, scalar: float32(step)})
			if s.len() > capacity {
				t.Fatalf("capacity %d: %d points kept", capacity, s.len())
			}
			if s.step(s.len()-1) != step {
				t.Fatalf("capacity %d: newest point %d not kept", capacity, step)
			}
		}
		if s.len() != capacity || !slices.IsSorted(steps(s)) {
			t.Errorf("capacity %d: kept %d points, sorted %v", capacity, s.len(), slices.IsSorted(steps(s)))
		}
		// A uniform sample of 0..n-1 has its mean near n/2.
		if capacity >= 1000 {
			var sum float64
			for _, step := range steps(s) {
				sum += float64(step)
			}
			if mean := sum / float64(s.len()); mean < 0.4*n || mean > 0.6*n {
				t.Errorf("capacity %d: mean kept step %v, want near %v", capacity, mean, n/2)
			}
		}
		// A rewind scales the count seen, so that sampling goes on.
		s.offer(point{step: n / 2})
		if s.step(s.len()-1) != n/2 || s.seen < s.len() {
			t.Errorf("capacity %d: after a rewind, newest %d, seen %d < kept %d", capacity, s.step(s.len()-1), s.seen, s.len())
		}
	}
}

func TestSeriesBadPoints(t *testing.T) {
	t.Parallel()
	s := scalarSeries(Unbounded)
	s.offer(point{step: 1, scalar: 1})
	s.offer(point{step: 2, bad: true})
	s.offer(point{step: 3, scalar: 3})
	if got := s.valid(nil); !slices.Equal(got, []int{0, 2}) {
		t.Errorf("valid = %v, want [0 2]", got)
	}
	if s.find(2) != -1 || s.find(3) != 2 {
		t.Errorf("find(2) = %d, find(3) = %d; want -1, 2", s.find(2), s.find(3))
	}
	step, _, _, ok := s.maxima()
	if !ok || step != 3 {
		t.Errorf("maxima step %d, ok %v; want 3", step, ok)
	}
	s.offer(point{step: 3, bad: true}) // preempts the good 3
	if step, _, _, _ := s.maxima(); step != 1 {
		t.Errorf("after a bad point preempts, max step %d, want 1", step)
	}
}

func TestDownsample(t *testing.T) {
	t.Parallel()
	idx := func(n int) []int {
		s := make([]int, n)
		for i := range s {
			s[i] = i * 10
		}
		return s
	}
	for _, tt := range []struct{ n, k int }{{0, 0}, {0, 5}, {5, 0}, {5, 5}, {5, 9}, {5, 1}, {100, 7}, {1000, 999}} {
		got := downsample(idx(tt.n), tt.k)
		want := min(tt.n, tt.k)
		if len(got) != want {
			t.Errorf("n=%d k=%d: %d points, want %d", tt.n, tt.k, len(got), want)
			continue
		}
		if want > 0 && got[len(got)-1] != (tt.n-1)*10 {
			t.Errorf("n=%d k=%d: last point %d missing", tt.n, tt.k, (tt.n-1)*10)
		}
		if !slices.IsSorted(got) || len(slices.Compact(slices.Clone(got))) != len(got) {
			t.Errorf("n=%d k=%d: %v not strictly increasing", tt.n, tt.k, got)
		}
		if again := downsample(idx(tt.n), tt.k); !slices.Equal(got, again) {
			t.Errorf("n=%d k=%d: not deterministic", tt.n, tt.k)
		}
	}
}

func TestParseSamples(t *testing.T) {
	t.Parallel()
	good := map[string]map[string]int{
		"":                        {},
		"scalars=500":             {"scalars": 500},
		"scalars=500,images=all":  {"scalars": 500, "images": Unbounded},
		"audio=0,text=1,images=2": {"audio": 0, "text": 1, "images": 2},
	}
	for in, want := range good {
		got, err := ParseSamples(in)
		if err != nil || len(got) != len(want) {
			t.Errorf("ParseSamples(%q) = %v, %v; want %v", in, got, err, want)
			continue
		}
		for k, v := range want {
			if got[k] != v {
				t.Errorf("ParseSamples(%q)[%q] = %d, want %d", in, k, got[k], v)
			}
		}
	}
	for _, in := range []string{"=3", "scalars=-1", "scalars=1.5", "scalars= 3", "scalars", "scalars=+3", "a=1,,b=2"} {
		if _, err := ParseSamples(in); err == nil {
			t.Errorf("ParseSamples(%q) succeeded, want an error", in)
		}
	}
}
