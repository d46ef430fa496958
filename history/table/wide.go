package table

import (
	"bufio"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"os"
	"slices"

	"github.com/tbgo/tbgo/history"
	"github.com/tbgo/tbgo/summary"
	"github.com/tbgo/tbgo/tfevents"
)

// defaultSpill is Options.SpillAfter's default.
const defaultSpill = 1 << 20

// wideSink writes scalars one row per (run, step). Values arrive in file
// order, a run at a time; the sink collects a run's values, sorts them by
// step (keeping file order within a step) and writes a row per step, the
// last value of each tag at that step in its column and the earliest wall
// time of the row's values as its wall_time. A run holding more than
// Options.SpillAfter values is sorted in chunks of that many into
// temporary files, which are then merged, so memory stays bounded
// whatever the run's size.
type wideSink struct {
	w       *Writer
	col     map[string]int // tag -> column
	ntags   int
	limit   int
	tempDir string
	run     string
	buf     []wideEntry
	seq     uint64
	spills  []*os.File
	row     []Value
	present []bool
	rows    int64
	ex      *exporter
}

type wideEntry struct {
	step  int64
	seq   uint64
	wall  float64
	value float64
	col   int32
}

// wideEntrySize is the size of a wideEntry in a temporary file.
const wideEntrySize = 8 + 8 + 8 + 8 + 4

func newWideSink(ctx context.Context, src *history.Source, o *Options, w io.Writer, ex *exporter) (*wideSink, error) {
	// A first pass finds the columns: every selected scalar tag. It reads
	// the Raw view whatever o.Read.View is: a view only drops values that
	// a later value of their series preempts, so the tags are the same,
	// and the TensorBoard view would read every run twice to learn that.
	tagSet := map[string]bool{}
	read := o.Read
	read.View = history.Raw
	read.Damaged = func(*tfevents.Damage) error { return nil } // the export pass reports them
	if err := src.Scalars(ctx, &read, func(s *history.Scalar) error {
		tagSet[s.Tag] = true
		return nil
	}); err != nil {
		return nil, err
	}
	tags := make([]string, 0, len(tagSet))
	for t := range tagSet {
		tags = append(tags, t)
	}
	slices.Sort(tags)
	cols, err := WideColumns(tags)
	if err != nil {
		return nil, err
	}
	s := &wideSink{col: map[string]int{}, ntags: len(tags), limit: o.SpillAfter, tempDir: o.TempDir, ex: ex}
	if s.limit == 0 {
		s.limit = defaultSpill
	}
	for i, tag := range tags {
		s.col[tag] = i
	}
	if s.w, err = NewWriter(w, o.format(), cols); err != nil {
		return nil, err
	}
	return s, nil
}

func (s *wideSink) scalars(ctx context.Context, src *history.Source, o *history.Options, ex *exporter) error {
	return src.Scalars(ctx, o, func(sc *history.Scalar) error {
		ex.progress.add(sc.Run, 1)
		ex.seen.note(sc.Run, sc.Tag)
		return s.scalar(sc)
	})
}

func (s *wideSink) value(v *history.Value) error {
	return s.scalar(&history.Scalar{Run: v.Run, ScalarPoint: summary.ScalarPoint{
		Tag: v.Tag, Step: v.Step, WallTime: v.WallTime, Value: v.Scalar}})
}

func (s *wideSink) scalar(sc *history.Scalar) error {
	if sc.Run != s.run {
		if err := s.flushRun(); err != nil {
			return err
		}
		s.run = sc.Run
	}
	col, ok := s.col[sc.Tag]
	if !ok {
		return fmt.Errorf("table: run %q tag %q appeared after the first pass (is the logdir being written?)", sc.Run, sc.Tag)
	}
	if len(s.buf) == s.limit {
		if err := s.spill(); err != nil {
			return err
		}
	}
	s.buf = append(s.buf, wideEntry{step: sc.Step, seq: s.seq, wall: sc.WallTime, value: sc.Value, col: int32(col)})
	s.seq++
	return nil
}

func sortEntries(es []wideEntry) {
	slices.SortFunc(es, func(a, b wideEntry) int {
		if a.step != b.step {
			if a.step < b.step {
				return -1
			}
			return 1
		}
		if a.seq < b.seq {
			return -1
		}
		return 1
	})
}

// spill sorts the buffer into a temporary file, removed at once: the
// open file lives on until closed.
func (s *wideSink) spill() error {
	sortEntries(s.buf)
	f, err := os.CreateTemp(s.tempDir, "tbgo-wide-*")
	if err != nil {
		return fmt.Errorf("table: wide layout: %w", err)
	}
	os.Remove(f.Name())
	s.spills = append(s.spills, f)
	w := bufio.NewWriterSize(f, 256<<10)
	var rec [wideEntrySize]byte
	for _, e := range s.buf {
		binary.LittleEndian.PutUint64(rec[0:], uint64(e.step))
		binary.LittleEndian.PutUint64(rec[8:], e.seq)
		binary.LittleEndian.PutUint64(rec[16:], math.Float64bits(e.wall))
		binary.LittleEndian.PutUint64(rec[24:], math.Float64bits(e.value))
		binary.LittleEndian.PutUint32(rec[32:], uint32(e.col))
		if _, err := w.Write(rec[:]); err != nil {
			return fmt.Errorf("table: wide layout: %w", err)
		}
	}
	if err := w.Flush(); err != nil {
		return fmt.Errorf("table: wide layout: %w", err)
	}
	s.buf = s.buf[:0]
	return nil
}

// flushRun writes the rows of the current run.
func (s *wideSink) flushRun() error {
	if s.run == "" && len(s.buf) == 0 {
		return nil
	}
	defer s.closeSpills()
	sortEntries(s.buf)
	cursors := []entryCursor{&sliceCursor{es: s.buf}}
	for _, f := range s.spills {
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			return fmt.Errorf("table: wide layout: %w", err)
		}
		cursors = append(cursors, &fileCursor{r: bufio.NewReaderSize(f, 64<<10)})
	}
	m, err := newMerger(cursors)
	if err != nil {
		return err
	}
	if cap(s.row) < 3+s.ntags {
		s.row = make([]Value, 3+s.ntags)
		s.present = make([]bool, s.ntags)
	}
	row := s.row[:3+s.ntags]
	for {
		e, ok, err := m.next()
		if err != nil {
			return err
		}
		if !ok {
			break
		}
		step, wall := e.step, e.wall
		clear(s.present)
		for {
			row[3+e.col] = ScalarValue(e.value)
			s.present[e.col] = true
			wall = min(wall, e.wall)
			e, ok, err = m.peek()
			if err != nil {
				return err
			}
			if !ok || e.step != step {
				break
			}
			m.next()
		}
		row[0], row[1], row[2] = StringValue(s.run), IntValue(step), TimeValue(wall)
		for i, p := range s.present {
			if !p {
				row[3+i] = Value{}
			}
		}
		if err := s.w.row(row); err != nil {
			return err
		}
		s.rows++
	}
	s.buf = s.buf[:0]
	return nil
}

// discard closes the temporary files of an export that stopped early
// (they were removed when made).
func (s *wideSink) discard() { s.closeSpills() }

func (s *wideSink) closeSpills() {
	for _, f := range s.spills {
		f.Close()
	}
	s.spills = s.spills[:0]
}

func (s *wideSink) close() (int64, error) {
	if err := s.flushRun(); err != nil {
		return 0, err
	}
	return s.rows, s.w.Close()
}

// An entryCursor yields sorted wide entries.
type entryCursor interface {
	next() (wideEntry, bool, error)
}

type sliceCursor struct{ es []wideEntry }

func (c *sliceCursor) next() (wideEntry, bool, error) {
	if len(c.es) == 0 {
		return wideEntry{}, false, nil
	}
	e := c.es[0]
	c.es = c.es[1:]
	return e, true, nil
}

type fileCursor struct{ r *bufio.Reader }

func (c *fileCursor) next() (wideEntry, bool, error) {
	var rec [wideEntrySize]byte
	if _, err := io.ReadFull(c.r, rec[:]); err != nil {
		if err == io.EOF {
			return wideEntry{}, false, nil
		}
		return wideEntry{}, false, fmt.Errorf("table: wide layout: reading back a temporary file: %w", err)
	}
	return wideEntry{
		step:  int64(binary.LittleEndian.Uint64(rec[0:])),
		seq:   binary.LittleEndian.Uint64(rec[8:]),
		wall:  math.Float64frombits(binary.LittleEndian.Uint64(rec[16:])),
		value: math.Float64frombits(binary.LittleEndian.Uint64(rec[24:])),
		col:   int32(binary.LittleEndian.Uint32(rec[32:])),
	}, true, nil
}

// merger merges sorted cursors, with a lookahead of one entry.
type merger struct {
	heads []wideEntry
	live  []entryCursor
	ahead *wideEntry
}

func newMerger(cs []entryCursor) (*merger, error) {
	m := &merger{}
	for _, c := range cs {
		e, ok, err := c.next()
		if err != nil {
			return nil, err
		}
		if ok {
			m.heads = append(m.heads, e)
			m.live = append(m.live, c)
		}
	}
	return m, nil
}

// pop returns the smallest head; the cursors are few (one per spill), so a
// linear scan does.
func (m *merger) pop() (wideEntry, bool, error) {
	if len(m.heads) == 0 {
		return wideEntry{}, false, nil
	}
	best := 0
	for i := 1; i < len(m.heads); i++ {
		h, b := m.heads[i], m.heads[best]
		if h.step < b.step || h.step == b.step && h.seq < b.seq {
			best = i
		}
	}
	e := m.heads[best]
	next, ok, err := m.live[best].next()
	if err != nil {
		return wideEntry{}, false, err
	}
	if ok {
		m.heads[best] = next
	} else {
		m.heads = slices.Delete(m.heads, best, best+1)
		m.live = slices.Delete(m.live, best, best+1)
	}
	return e, true, nil
}

func (m *merger) next() (wideEntry, bool, error) {
	if m.ahead != nil {
		e := *m.ahead
		m.ahead = nil
		return e, true, nil
	}
	return m.pop()
}

func (m *merger) peek() (wideEntry, bool, error) {
	if m.ahead == nil {
		e, ok, err := m.pop()
		if err != nil || !ok {
			return e, ok, err
		}
		m.ahead = &e
	}
	return *m.ahead, true, nil
}
