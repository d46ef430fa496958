package table

import (
	"math"
	"testing"
)

func TestTextNumbers(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		f    float64
		want string
	}{
		{0.75, "0.75"}, {1.0 / 3, "0.3333"}, {12345.6, "1.235e4"}, {-1e-7, "-1e-7"}, {100, "100"}, {math.NaN(), "NaN"}, {math.Inf(-1), "-Inf"},
	} {
		if got := roundFloat(tc.f); got != tc.want {
			t.Errorf("roundFloat(%v) = %q, want %q", tc.f, got, tc.want)
		}
	}
	for _, tc := range []struct {
		secs float64
		want string
	}{
		{0, "0.0s"}, {4.25, "4.2s"}, {59.96, "60.0s"}, {83, "1m23s"}, {7500, "2h05m"}, {3*86400 + 4*3600 + 59, "3d04h"},
		{-1, "-1s"}, {math.NaN(), "NaNs"},
	} {
		if got := humanDuration(tc.secs); got != tc.want {
			t.Errorf("humanDuration(%v) = %q, want %q", tc.secs, got, tc.want)
		}
	}
}
