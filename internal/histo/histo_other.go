//go:build !amd64

package histo

const useAVX2 = false

func minMaxAVX2(values []float64) (lo, hi float64) { panic("histo: no AVX2") }

func indexesAVX2(dst []int32, values []float64, lo, width float64, last int32) bool {
	panic("histo: no AVX2")
}
