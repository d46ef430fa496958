package dataserver

import (
	"math/rand/v2"
	"sort"

	"github.com/tbgo/tbgo/proto/tbpb"
)

// Unbounded is the capacity of a time series that keeps every point: the
// value of "all" in --samples-per-plugin.
const Unbounded = -1

// A series is one time series (a run's tag): its metadata, fixed by its
// first value, and the points its reservoir keeps, in ascending step
// order, as parallel columns so that a point costs only its fields (20
// bytes for a scalar; tensors are kept serialized). Points that did not convert to the series' data
// class are kept too, marked bad: like TensorBoard's data server, they
// take part in sampling and preemption but are never served.
type series struct {
	meta   *tbpb.SummaryMetadata // nil for a series no data class claims
	class  tbpb.DataClass
	plugin string

	capacity int // Unbounded, or the most points kept
	seen     int // points offered and not preempted, estimated after a preemption
	rng      rand.PCG

	steps   []int64
	walls   []float64
	bad     []bool // nil while every point is good
	scalars []float32
	tensors [][]byte // serialized TensorProtos: a third of the memory of decoded ones
	blobs   [][][]byte
}

// A point is a value offered to a series: the field of its class is set,
// and bad marks a value that did not convert.
type point struct {
	step   int64
	wall   float64
	bad    bool
	scalar float32
	tensor []byte // serialized
	blobs  [][]byte
}

func newSeries(meta *tbpb.SummaryMetadata, capacity int) *series {
	s := &series{meta: meta, class: meta.GetDataClass(), capacity: capacity}
	s.plugin = meta.GetPluginData().GetPluginName()
	// Every reservoir draws the same sequence, as TensorBoard's do: sampling
	// is deterministic for a given stream.
	s.rng.Seed(0, 0)
	return s
}

func (s *series) len() int { return len(s.steps) }

// stored reports whether the series is served at all: one of a known data
// class. Others (and series whose capacity is 0) keep nothing.
func (s *series) stored() bool {
	switch s.class {
	case tbpb.DataClass_DATA_CLASS_SCALAR, tbpb.DataClass_DATA_CLASS_TENSOR, tbpb.DataClass_DATA_CLASS_BLOB_SEQUENCE:
		return true
	}
	return false
}

// offer adds p, the newest point of the stream, to the reservoir. The
// newest point is always kept. A point preempts every kept point whose
// step is not smaller than its own (a restarted job rewrites the steps
// after its checkpoint). Once more points have been seen than the capacity
// holds, each new point replaces a random kept one, or only the previous
// newest, so that the points kept are a uniform sample of those seen.
func (s *series) offer(p point) {
	if s.capacity == 0 || !s.stored() {
		return
	}
	s.preempt(p.step)
	s.seen++
	if s.capacity != Unbounded && s.seen > s.capacity {
		d := int(s.rng.Uint64() % uint64(s.seen))
		switch {
		case d >= s.capacity:
			s.truncate(s.len() - 1) // only the newest point stays the newest
		case s.len() >= s.capacity:
			s.remove(d)
		}
	}
	s.push(p)
}

// preempt drops every point whose step is at least step, and scales the
// count of points seen by the fraction dropped, so that sampling stays
// uniform over the stream that remains.
func (s *series) preempt(step int64) {
	n := s.len()
	keep := n
	for keep > 0 && s.steps[keep-1] >= step {
		keep--
	}
	if keep == n {
		return
	}
	s.seen = int(uint64(s.seen) * uint64(keep) / uint64(n))
	s.truncate(keep)
}

func (s *series) truncate(n int) {
	if n < 0 {
		n = 0
	}
	clear(s.tensors[min(n, len(s.tensors)):])
	clear(s.blobs[min(n, len(s.blobs)):])
	s.steps, s.walls = s.steps[:n], s.walls[:n]
	if s.bad != nil {
		s.bad = s.bad[:n]
	}
	switch s.class {
	case tbpb.DataClass_DATA_CLASS_SCALAR:
		s.scalars = s.scalars[:n]
	case tbpb.DataClass_DATA_CLASS_TENSOR:
		s.tensors = s.tensors[:n]
	default:
		s.blobs = s.blobs[:n]
	}
}

func (s *series) remove(i int) {
	s.steps = append(s.steps[:i], s.steps[i+1:]...)
	s.walls = append(s.walls[:i], s.walls[i+1:]...)
	if s.bad != nil {
		s.bad = append(s.bad[:i], s.bad[i+1:]...)
	}
	switch s.class {
	case tbpb.DataClass_DATA_CLASS_SCALAR:
		s.scalars = append(s.scalars[:i], s.scalars[i+1:]...)
	case tbpb.DataClass_DATA_CLASS_TENSOR:
		s.tensors = append(s.tensors[:i], s.tensors[i+1:]...)
		s.tensors[len(s.tensors):cap(s.tensors)][0] = nil
	default:
		s.blobs = append(s.blobs[:i], s.blobs[i+1:]...)
		s.blobs[len(s.blobs):cap(s.blobs)][0] = nil
	}
}

func (s *series) push(p point) {
	s.steps = append(s.steps, p.step)
	s.walls = append(s.walls, p.wall)
	if p.bad && s.bad == nil {
		s.bad = make([]bool, len(s.steps)-1, cap(s.steps))
	}
	if s.bad != nil {
		s.bad = append(s.bad, p.bad)
	}
	switch s.class {
	case tbpb.DataClass_DATA_CLASS_SCALAR:
		s.scalars = append(s.scalars, p.scalar)
	case tbpb.DataClass_DATA_CLASS_TENSOR:
		s.tensors = append(s.tensors, p.tensor)
	default:
		s.blobs = append(s.blobs, p.blobs)
	}
}

// good reports whether point i converted to the series' class.
func (s *series) good(i int) bool { return s.bad == nil || !s.bad[i] }

// valid returns the indices of the good points, in step order.
func (s *series) valid(dst []int) []int {
	for i := range s.steps {
		if s.good(i) {
			dst = append(dst, i)
		}
	}
	return dst
}

// find returns the index of the good point at step, or -1.
func (s *series) find(step int64) int {
	i := sort.Search(len(s.steps), func(i int) bool { return s.steps[i] >= step })
	if i < len(s.steps) && s.steps[i] == step && s.good(i) {
		return i
	}
	return -1
}
