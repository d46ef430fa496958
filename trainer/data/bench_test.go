package data

import (
	"bytes"
	"compress/gzip"
	"io"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// BenchmarkAugment distorts a batch of 64 digits, the trainer's hot path
// when augmentation is on.
func BenchmarkAugment(b *testing.B) {
	d, err := Digits()
	if err != nil {
		b.Fatal(err)
	}
	src := d.Subset(all(64)).X
	dst := mat.NewDense(64, 64, nil)
	for _, bc := range []struct {
		name string
		d    Distortion
	}{
		{"kind=shift/size=64", Distortion{MaxShift: 2}},
		{"kind=rotate/size=64", Distortion{MaxRotate: 15}},
		{"kind=noise/size=64", Distortion{Noise: 0.1}},
		{"kind=all/size=64", Distortion{MaxShift: 2, MaxRotate: 15, Noise: 0.1}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			a, err := NewAugmenter(d.Shape, bc.d, 1)
			if err != nil {
				b.Fatal(err)
			}
			b.SetBytes(64 * 64 * 8)
			b.ReportAllocs()
			for b.Loop() {
				a.Apply(dst, src)
			}
		})
	}
}

// BenchmarkDigits parses the embedded digits, the cost of every Digits call.
func BenchmarkDigits(b *testing.B) {
	zr, err := gzip.NewReader(bytes.NewReader(digitsGz))
	if err != nil {
		b.Fatal(err)
	}
	raw, err := io.ReadAll(zr)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Digits(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkBalancedSampler fills a batch of 64 indices.
func BenchmarkBalancedSampler(b *testing.B) {
	s, err := Spirals(SpiralsOptions{PerClass: 1000, Imbalance: 20})
	if err != nil {
		b.Fatal(err)
	}
	sampler, err := NewBalancedSampler(s.Y, s.Classes, 1)
	if err != nil {
		b.Fatal(err)
	}
	batch := make([]int, 64)
	b.ReportAllocs()
	for b.Loop() {
		sampler.Fill(batch)
	}
}

// BenchmarkStandardize fits and applies a Scaler to the digits.
func BenchmarkStandardize(b *testing.B) {
	d, err := Digits()
	if err != nil {
		b.Fatal(err)
	}
	x := mat.NewDense(d.Len(), d.Dim(), nil)
	b.SetBytes(int64(d.Len() * d.Dim() * 8))
	b.ReportAllocs()
	for b.Loop() {
		x.Copy(d.X)
		FitStandardizer(x).Transform(x)
	}
}
