package data

import (
	"crypto/sha256"
	"encoding/hex"
	"math"
	"os"
	"strings"
	"testing"
)

// The embedded file, the hash fetch_digits.sh checks and the one
// ATTRIBUTION.md records must be one and the same.
func TestDigitsChecksum(t *testing.T) {
	sum := sha256.Sum256(digitsGz)
	if got := hex.EncodeToString(sum[:]); got != digitsSHA256 {
		t.Fatalf("embedded digits.csv.gz has SHA-256 %s, want %s", got, digitsSHA256)
	}
	for _, f := range []struct{ file, want string }{
		{"fetch_digits.sh", "DIGITS_SHA256=" + digitsSHA256},
		{"ATTRIBUTION.md", digitsSHA256},
	} {
		b, err := os.ReadFile(f.file)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(b), f.want) {
			t.Errorf("%s does not record %q", f.file, f.want)
		}
	}
}

func TestDigits(t *testing.T) {
	d, err := Digits()
	if err != nil {
		t.Fatal(err)
	}
	if n, dim := d.X.Dims(); n != 1797 || dim != 64 {
		t.Fatalf("X is %d×%d, want 1797×64", n, dim)
	}
	if d.Shape != (Shape{C: 1, H: 8, W: 8}) || d.Shape.String() != "1×8×8" {
		t.Errorf("shape %v, want 1×8×8", d.Shape)
	}
	// The classic per-class counts of scikit-learn's load_digits.
	want := []int{178, 182, 177, 183, 181, 182, 181, 179, 174, 180}
	got := d.ClassCounts()
	for c := range want {
		if got[c] != want[c] {
			t.Fatalf("class counts %v, want %v", got, want)
		}
	}
	if d.Classes != 10 || len(d.ClassNames) != 10 || d.ClassNames[3] != "3" {
		t.Errorf("classes %d, names %q", d.Classes, d.ClassNames)
	}
	if len(d.FeatureNames) != 64 || d.FeatureNames[0] != "pixel_0_0" || d.FeatureNames[63] != "pixel_7_7" ||
		d.FeatureNames[13] != "pixel_1_5" {
		t.Errorf("feature names %q", d.FeatureNames)
	}
	for i := 0; i < d.Len(); i++ {
		for j, v := range d.X.RawRowView(i) {
			if v != math.Trunc(v) || v < 0 || v > DigitsMax {
				t.Fatalf("X[%d, %d] = %v, want an integer in [0, 16]", i, j, v)
			}
		}
	}
	// The first row of the file: a zero.
	first := []float64{0, 0, 5, 13, 9, 1, 0, 0, 0, 0, 13, 15, 10, 15, 5, 0}
	for j, v := range first {
		if d.X.At(0, j) != v {
			t.Fatalf("row 0 starts %v, want %v", d.X.RawRowView(0)[:16], first)
		}
	}
	if d.Y[0] != 0 || d.Y[1] != 1 || d.Y[2] != 2 {
		t.Errorf("first labels %v, want 0 1 2", d.Y[:3])
	}
	for _, s := range []string{"Alpaydin", "Kaynak", "10.24432/C50P49", "CC BY 4.0", "scikit-learn 1.9.1"} {
		if !strings.Contains(d.Source, s) {
			t.Errorf("Source lacks %q: %s", s, d.Source)
		}
	}

	// Each call returns its own copy.
	d.X.Set(0, 2, 99)
	d.Y[0] = 9
	again, err := Digits()
	if err != nil {
		t.Fatal(err)
	}
	if again.X.At(0, 2) != 5 || again.Y[0] != 0 {
		t.Error("Digits shares memory between calls")
	}
}
