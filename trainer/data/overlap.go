package data

import (
	"encoding/binary"
	"hash/maphash"
	"math"
	"slices"

	"gonum.org/v1/gonum/mat"
)

// An Overlap is what Overlapping found: the rows of one set of inputs
// that also occur, value for value, in another.
type Overlap struct {
	// Rows is the number of rows of the second set, Shared how many of
	// them equal a row of the first.
	Rows, Shared int
	// Examples pairs up to MaxOverlapExamples shared rows: the row's
	// index in the second set, then the index of an equal row in the
	// first.
	Examples [][2]int
}

// MaxOverlapExamples bounds Overlap.Examples.
const MaxOverlapExamples = 5

// Fraction returns Shared/Rows, 0 for no rows.
func (o Overlap) Fraction() float64 {
	if o.Rows == 0 {
		return 0
	}
	return float64(o.Shared) / float64(o.Rows)
}

// Overlapping returns the rows of b equal to a row of a: duplicates
// across a training/validation split, which let the validation score
// measure memory instead of generalisation. Rows are hashed by the bits of
// their values and confirmed equal value by value, so the cost is about
// one pass over each matrix. Either may be nil.
func Overlapping(a, b *mat.Dense) Overlap {
	if a == nil || b == nil {
		return Overlap{}
	}
	ra, ca := a.Dims()
	rb, cb := b.Dims()
	o := Overlap{Rows: rb}
	if ca != cb || ra == 0 {
		return o
	}
	seed := maphash.MakeSeed()
	var buf []byte
	hash := func(row []float64) uint64 {
		buf = buf[:0]
		for _, v := range row {
			buf = binary.LittleEndian.AppendUint64(buf, math.Float64bits(v))
		}
		return maphash.Bytes(seed, buf)
	}
	first := make(map[uint64][]int, ra)
	for i := range ra {
		h := hash(a.RawRowView(i))
		first[h] = append(first[h], i)
	}
	for i := range rb {
		row := b.RawRowView(i)
		for _, j := range first[hash(row)] {
			if slices.Equal(row, a.RawRowView(j)) {
				o.Shared++
				if len(o.Examples) < MaxOverlapExamples {
					o.Examples = append(o.Examples, [2]int{i, j})
				}
				break
			}
		}
	}
	return o
}
