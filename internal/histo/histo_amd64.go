package histo

import "github.com/tbgo/tbgo/internal/cpufeat"

// useAVX2 reports whether the CPU and the operating system support AVX2.
var useAVX2 = cpufeat.AVX2()

// minMaxAVX2 is MinMax for len(values) a positive multiple of 4.
//
//go:noescape
func minMaxAVX2(values []float64) (lo, hi float64)

// indexesAVX2 is Indexes for len(values) a positive multiple of 4.
//
//go:noescape
func indexesAVX2(dst []int32, values []float64, lo, width float64, last int32) (sawNaN bool)
