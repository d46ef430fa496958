package data

import (
	"fmt"
	"maps"
	"math"
	"math/rand/v2"
	"slices"
)

// SplitOptions configures Dataset.Split and SplitIndices.
type SplitOptions struct {
	Val  float64 // fraction of samples for validation, in [0, 1)
	Test float64 // fraction for test, in [0, 1); Val+Test < 1
	Seed uint64
	// Ordered keeps the rows in order and cuts them into consecutive
	// blocks, train first, then validation, then test: the split for time
	// series, whose overlapping windows would leak across a random split.
	// It ignores the labels.
	Ordered bool
}

// SplitIndices splits the row indices 0..n-1 into train, validation and
// test sets. With labels y (len n), the split is stratified: each class is
// shuffled and cut on its own, round(n_c·Val) rows to validation and
// round(n_c·Test) to test, so every split keeps the class proportions to
// within one sample per class. A class with at least 2 samples gets at
// least one validation row when Val > 0 (likewise test when it has enough
// left), and every class keeps at least one training row. Without labels
// (y nil) the rows are shuffled and cut the same way. Each split is then
// shuffled, so the classes are mixed. With Ordered the rows are cut in
// order and not shuffled. The same options give the same split.
func SplitIndices(n int, y []int, o SplitOptions) (train, val, test []int, err error) {
	if err := checkSplit(n, y, o); err != nil {
		return nil, nil, nil, fmt.Errorf("data: %w", err)
	}
	all := make([]int, n)
	for i := range all {
		all[i] = i
	}
	if o.Ordered {
		nv, nt := splitSizes(n, o)
		nTrain := n - nv - nt
		return all[:nTrain:nTrain], all[nTrain : nTrain+nv : nTrain+nv], all[nTrain+nv:], nil
	}
	rng := newRand(o.Seed)
	groups := [][]int{all}
	if y != nil {
		byClass := make(map[int][]int)
		for i, c := range y {
			byClass[c] = append(byClass[c], i)
		}
		groups = groups[:0]
		for _, c := range slices.Sorted(maps.Keys(byClass)) {
			groups = append(groups, byClass[c])
		}
	}
	for _, g := range groups {
		rng.Shuffle(len(g), func(i, j int) { g[i], g[j] = g[j], g[i] })
		nv, nt := splitSizes(len(g), o)
		nTrain := len(g) - nv - nt
		train = append(train, g[:nTrain]...)
		val = append(val, g[nTrain:nTrain+nv]...)
		test = append(test, g[nTrain+nv:]...)
	}
	for _, s := range [][]int{train, val, test} {
		rng.Shuffle(len(s), func(i, j int) { s[i], s[j] = s[j], s[i] })
	}
	return train, val, test, nil
}

// checkSplit refuses impossible splits; its errors lack the package prefix.
func checkSplit(n int, y []int, o SplitOptions) error {
	switch {
	case !(o.Val >= 0 && o.Val < 1) || !(o.Test >= 0 && o.Test < 1) || !(o.Val+o.Test < 1):
		return fmt.Errorf("split fractions val %v and test %v, want each in [0, 1) and val+test < 1: %w",
			o.Val, o.Test, ErrInvalid)
	case n < 1:
		return fmt.Errorf("split of %d rows: %w", n, ErrEmpty)
	case y != nil && len(y) != n:
		return fmt.Errorf("split: %d labels for %d rows: %w", len(y), n, ErrInvalid)
	}
	return nil
}

// splitSizes returns how many of n rows go to validation and test.
func splitSizes(n int, o SplitOptions) (nv, nt int) {
	nv = int(math.Round(float64(n) * o.Val))
	nt = int(math.Round(float64(n) * o.Test))
	if o.Val > 0 && nv == 0 && n-nt >= 2 {
		nv = 1
	}
	if o.Test > 0 && nt == 0 && n-nv >= 2 {
		nt = 1
	}
	for nv+nt >= n { // keep a training row
		if nt >= nv {
			nt--
		} else {
			nv--
		}
	}
	return nv, nt
}

// Split splits d into train, validation and test sets with SplitIndices,
// stratified by class for a classification set. A split that receives no
// rows (Val or Test 0) is nil. The returned sets hold copies of the rows.
func (d *Dataset) Split(o SplitOptions) (train, val, test *Dataset, err error) {
	if err := checkSplit(d.Len(), d.Y, o); err != nil {
		return nil, nil, nil, fmt.Errorf("data: dataset %q: %w", d.Name, err)
	}
	tr, va, te, err := SplitIndices(d.Len(), d.Y, o)
	if err != nil {
		return nil, nil, nil, err
	}
	sub := func(idx []int) *Dataset {
		if len(idx) == 0 {
			return nil
		}
		return d.Subset(idx)
	}
	return sub(tr), sub(va), sub(te), nil
}

// ClassWeights returns per-class loss weights inversely proportional to
// the class counts, w_c = N / (K·n_c), where N is the number of samples and
// K the number of classes present: the weights average 1 over the samples
// (Σ n_c·w_c = N), so the loss keeps its scale while every class
// contributes equally (scikit-learn's "balanced" weights). A class with no
// samples gets weight 0.
func ClassWeights(counts []int) []float64 {
	total, present := 0, 0
	for _, n := range counts {
		total += n
		if n > 0 {
			present++
		}
	}
	w := make([]float64, len(counts))
	for c, n := range counts {
		if n > 0 {
			w[c] = float64(total) / (float64(present) * float64(n))
		}
	}
	return w
}

// BalancedSampler draws sample indices so that every class present is
// drawn equally often, whatever the class counts: it picks a class
// uniformly at random, then the next sample of that class from a shuffled
// order, reshuffling a class when its samples are used up. A minority
// class is thus oversampled (each of its samples repeats more often), and
// within a class every sample is drawn once before any is drawn again.
// Use it instead of plain shuffling when the classes are imbalanced
// (docs/DIAGNOSTICS.md rule 17), or use ClassWeights in the loss; not both.
//
// A BalancedSampler is not safe for concurrent use.
type BalancedSampler struct {
	rng     *rand.Rand
	byClass [][]int // sample indices of each class present, in draw order
	next    []int   // position of the next draw in each class
}

// NewBalancedSampler returns a sampler over the labels y, seeded. Classes
// without samples are never drawn. It returns an error wrapping ErrEmpty
// for no labels and ErrLabel for a label outside [0, classes).
func NewBalancedSampler(y []int, classes int, seed uint64) (*BalancedSampler, error) {
	if len(y) == 0 {
		return nil, fmt.Errorf("data: balanced sampler: %w", ErrEmpty)
	}
	byClass := make([][]int, classes)
	for i, c := range y {
		if c < 0 || c >= classes {
			return nil, fmt.Errorf("data: balanced sampler: label %d of row %d outside [0, %d): %w", c, i, classes, ErrLabel)
		}
		byClass[c] = append(byClass[c], i)
	}
	s := &BalancedSampler{rng: newRand(seed)}
	for _, idx := range byClass {
		if len(idx) > 0 {
			s.shuffle(idx)
			s.byClass = append(s.byClass, idx)
		}
	}
	s.next = make([]int, len(s.byClass))
	return s, nil
}

func (s *BalancedSampler) shuffle(idx []int) {
	s.rng.Shuffle(len(idx), func(i, j int) { idx[i], idx[j] = idx[j], idx[i] })
}

// Next returns the index of the next sample. It allocates nothing.
func (s *BalancedSampler) Next() int {
	c := s.rng.IntN(len(s.byClass))
	idx := s.byClass[c]
	if s.next[c] == len(idx) {
		s.shuffle(idx)
		s.next[c] = 0
	}
	i := idx[s.next[c]]
	s.next[c]++
	return i
}

// Fill sets every element of batch to Next().
func (s *BalancedSampler) Fill(batch []int) {
	for k := range batch {
		batch[k] = s.Next()
	}
}
