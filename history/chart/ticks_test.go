package chart

import (
	"math"
	"strings"
	"testing"

	"gonum.org/v1/plot"
)

func labels(ticks []plot.Tick) []string {
	var out []string
	for _, t := range ticks {
		if t.Label != "" {
			out = append(out, t.Label)
		}
	}
	return out
}

func TestTicks(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		desc     string
		ticker   plot.Ticker
		min, max float64
		want     string
	}{
		{"round values", roundTicks{}, 0.13, 2.41, "0.5 1.0 1.5 2.0"},
		{"small values", roundTicks{}, 0.0013, 0.0098, "0.002 0.004 0.006 0.008"},
		{"negative", roundTicks{}, -4.3, 2.7, "-4 -2 0 2"},
		{"steps", stepTicks{}, 0, 99, "0 20 40 60 80"},
		{"few steps: whole ones only", stepTicks{}, 0, 3, "0 1 2 3"},
		{"a fraction of a step", stepTicks{}, -0.5, 0.5, "0"},
		{"many steps", stepTicks{}, 0, 2.5e6, "0 500k 1M 1.5M 2M 2.5M"},
		{"a minute of wall time", timeTicks{}, 1700000000, 1700000060, "2023-11-14\n22:13:20 22:13:30 22:13:40 22:13:50 22:14:00 22:14:10 22:14:20"},
		{"a week", timeTicks{}, 1700000000, 1700000000 + 7*86400, "2023-11-15 2023-11-17 2023-11-19 2023-11-21"},
	} {
		got := strings.Join(labels(tc.ticker.Ticks(tc.min, tc.max)), " ")
		if got != tc.want {
			t.Errorf("%s: %q, want %q", tc.desc, got, tc.want)
		}
	}
	// Times no calendar holds, and spans of nothing, still give ticks.
	for _, r := range [][2]float64{{1e300, 2e300}, {-1e15, 1e15}, {5, 5 + 1e-9}} {
		for _, tk := range (timeTicks{}).Ticks(r[0], r[1]) {
			if math.IsNaN(tk.Value) {
				t.Errorf("%v: a NaN tick", r)
			}
		}
	}
}
