package dataserver

import "math"

// A stepColumn holds a series' steps, ascending. Steps are int64, but a
// series' kept steps usually lie within 2^32 of its first: while they do,
// the column stores them as 4-byte offsets from a base, and it widens to
// 8 bytes for good the first time one does not fit.
type stepColumn struct {
	base  int64
	small []uint32 // step - base, while every step fits
	wide  []int64  // every step, once one did not fit
}

func (c *stepColumn) len() int {
	if c.wide != nil {
		return len(c.wide)
	}
	return len(c.small)
}

func (c *stepColumn) at(i int) int64 {
	if c.wide != nil {
		return c.wide[i]
	}
	return c.base + int64(c.small[i])
}

func (c *stepColumn) push(step int64) {
	if c.wide != nil {
		c.wide = append(c.wide, step)
		return
	}
	if len(c.small) == 0 {
		c.base = step
	}
	if d := uint64(step) - uint64(c.base); step >= c.base && d <= math.MaxUint32 {
		c.small = append(c.small, uint32(d))
		return
	}
	wide := make([]int64, len(c.small), cap(c.small)+1)
	for i, d := range c.small {
		wide[i] = c.base + int64(d)
	}
	c.wide, c.small = append(wide, step), nil
}

func (c *stepColumn) truncate(n int) {
	if c.wide != nil {
		c.wide = c.wide[:n]
	} else {
		c.small = c.small[:n]
	}
}

func (c *stepColumn) remove(i int) {
	if c.wide != nil {
		c.wide = append(c.wide[:i], c.wide[i+1:]...)
	} else {
		c.small = append(c.small[:i], c.small[i+1:]...)
	}
}

// search returns the index of the first step not smaller than step, or
// len() if there is none.
func (c *stepColumn) search(step int64) int {
	lo, hi := 0, c.len()
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if c.at(m) < step {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo
}
