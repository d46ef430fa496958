package testenv

import "testing"

func TestCI(t *testing.T) {
	for _, tc := range []struct {
		val  string
		want bool
	}{
		{"", false}, {"0", false}, {"false", false}, {"1", true}, {"true", true}, {"yes", true},
	} {
		t.Setenv("CI", tc.val)
		if got := CI(); got != tc.want {
			t.Errorf("CI=%q: CI() = %v, want %v", tc.val, got, tc.want)
		}
	}
}
