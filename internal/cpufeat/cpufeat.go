// Package cpufeat reports which x86 vector instructions the CPU and the
// operating system support, for the assembly loops of internal/histo and
// trainer/internal/kernel. On other architectures every answer is false.
package cpufeat

// AVX2 reports whether AVX2 instructions may be used: the CPU has them and
// the operating system saves the YMM registers.
func AVX2() bool { return features.avx2 }

// FMA reports whether AVX2 and the fused multiply-add instructions may be
// used.
func FMA() bool { return features.avx2 && features.fma }

type set struct{ avx2, fma bool }

// features is read once, at start-up; the CPU does not change.
var features = detect()
