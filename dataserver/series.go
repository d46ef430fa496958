package dataserver

import (
	"math/rand/v2"

	"github.com/tbgo/tbgo/proto/tbpb"
)

// Unbounded is the capacity of a time series that keeps every point: the
// value of "all" in --samples-per-plugin.
const Unbounded = -1

// A series is one time series (a run's tag): its metadata, fixed by its
// first value, and the points its reservoir keeps, in ascending step
// order, as parallel columns so that a point costs only its fields: 16
// bytes for a scalar (a step stored in 4, see stepColumn), 36 for a tensor
// or blob sequence whose record can be read again from its file (see
// payload). Points that did not convert to
// the series' data class are kept too, marked bad: like TensorBoard's data
// server, they take part in sampling and preemption but are never served.
type series struct {
	meta   *tbpb.SummaryMetadata // nil for a series no data class claims
	class  tbpb.DataClass
	plugin string

	capacity int // Unbounded, or the most points kept
	seen     int // points offered and not preempted, estimated after a preemption
	rng      rand.PCG

	steps   stepColumn
	walls   []float64
	bad     []bool    // nil while every point is good
	scalars []float32 // of a scalar series
	values  []payload // of a tensor or blob sequence series
}

// A point is a value offered to a series: scalar or value holds it, by
// its class, and bad marks a value that did not convert.
type point struct {
	step   int64
	wall   float64
	bad    bool
	scalar float32
	value  payload
}

// A payload is the value of a tensor or blob sequence point. Held in
// memory, it is a serialized tensor or the blobs; or, when its event file
// can be read at an offset, only where its record's data lies in the file
// (and its checksum), to be read and converted again when an RPC asks for
// it: the server then holds no tensor or blob between requests.
type payload struct {
	src  *eventFile // nil when held in memory
	off  int64      // the record's data is src[off : off+size]
	size uint32
	crc  uint32 // its masked CRC-32C
	n    int32  // the number of blobs of a blob sequence
	mem  *held  // the value, when held in memory
}

// held is a payload held in memory.
type held struct {
	tensor []byte // serialized TensorProto
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

func (s *series) len() int { return s.steps.len() }

// step returns the step of point i.
func (s *series) step(i int) int64 { return s.steps.at(i) }

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
	for keep > 0 && s.steps.at(keep-1) >= step {
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
	s.steps.truncate(n)
	s.walls = s.walls[:n]
	if s.bad != nil {
		s.bad = s.bad[:n]
	}
	if s.class == tbpb.DataClass_DATA_CLASS_SCALAR {
		s.scalars = s.scalars[:n]
		return
	}
	clear(s.values[n:])
	s.values = s.values[:n]
}

func (s *series) remove(i int) {
	s.steps.remove(i)
	s.walls = append(s.walls[:i], s.walls[i+1:]...)
	if s.bad != nil {
		s.bad = append(s.bad[:i], s.bad[i+1:]...)
	}
	if s.class == tbpb.DataClass_DATA_CLASS_SCALAR {
		s.scalars = append(s.scalars[:i], s.scalars[i+1:]...)
		return
	}
	s.values = append(s.values[:i], s.values[i+1:]...)
	s.values[len(s.values):cap(s.values)][0] = payload{}
}

func (s *series) push(p point) {
	s.steps.push(p.step)
	s.walls = append(s.walls, p.wall)
	if p.bad && s.bad == nil {
		s.bad = make([]bool, len(s.walls)-1, cap(s.walls))
	}
	if s.bad != nil {
		s.bad = append(s.bad, p.bad)
	}
	if s.class == tbpb.DataClass_DATA_CLASS_SCALAR {
		s.scalars = append(s.scalars, p.scalar)
	} else {
		s.values = append(s.values, p.value)
	}
}

// good reports whether point i converted to the series' class.
func (s *series) good(i int) bool { return s.bad == nil || !s.bad[i] }

// valid returns the indices of the good points, in step order.
func (s *series) valid(dst []int) []int {
	for i := range s.len() {
		if s.good(i) {
			dst = append(dst, i)
		}
	}
	return dst
}

// find returns the index of the good point at step, or -1.
func (s *series) find(step int64) int {
	i := s.steps.search(step)
	if i < s.len() && s.step(i) == step && s.good(i) {
		return i
	}
	return -1
}
