package archive

import (
	"cmp"
	"fmt"
	"hash"
	"io"
	"iter"
	"math"
	"path"
	"slices"
	"strings"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	"github.com/tbgo/tbgo/proto/tbpb"
	"github.com/tbgo/tbgo/summary"
	"github.com/tbgo/tbgo/tfevents"
)

// Wire numbers of the fields compaction reads and edits.
const (
	eventWallTimeField = 1 // Event.wall_time
	eventStepField     = 2 // Event.step
	eventSummaryField  = 5 // Event.summary
	summaryValueField  = 1 // Summary.value
	valueMetadataField = 9 // Summary.Value.metadata
)

// compactor drops values from event files in two passes: count reads
// every event file and counts each series' values, then rewrite copies each
// file keeping the values the settings keep. Both passes read each run's
// files in name order with a tfevents.Scanner, which skips damage as every
// tbgo reader does, and classify values with a summary.Decoder, so that a
// value's index within its series is the same in both.
type compactor struct {
	c      Compaction
	strict bool
	runs   map[string]*runState // by run name
	rep    *CompactionReport

	// What split found in the record at hand: the extent of the summary
	// field, the summary's bytes, how many values it holds and its other
	// fields, and the event's step and wall time.
	at    [2]int
	sumB  []byte
	nvals int
	rest  []byte
	step  int64
	wall  float64

	sv    tbpb.Summary_Value // scratch: the value at hand
	sum   []byte             // scratch: the new summary
	out   []byte             // scratch: the new event
	frame []byte             // scratch: a framed record
}

// runState is compaction's view of one run.
type runState struct {
	dec  *summary.Decoder
	tags map[string]*tagState
	one  tbpb.Event // a one-value event for the decoder
	sum  tbpb.Summary
	vals []summary.Value
	pts  []summary.ScalarPoint
}

// tagState is one series being compacted.
type tagState struct {
	kind    summary.Kind
	total   int // values counted by count
	seen    int // values met by rewrite
	kept    int
	dropped int
	// meta is the first metadata the series' values carried, marshaled;
	// metaOut is set once a kept value carries metadata, so a series whose
	// first value is dropped still tells loaders its plugin.
	meta    []byte
	metaOut bool
}

func newCompactor(c Compaction, strict bool) *compactor {
	return &compactor{
		c:      c,
		strict: strict,
		runs:   map[string]*runState{},
		rep:    &CompactionReport{Settings: c},
	}
}

func (c *compactor) run(name string) *runState {
	rs := c.runs[name]
	if rs == nil {
		rs = &runState{dec: summary.NewDecoder(), tags: map[string]*tagState{}}
		rs.one.What = &tbpb.Event_Summary{Summary: &rs.sum}
		c.runs[name] = rs
	}
	return rs
}

// active reports whether values of kind are thinned.
func (c *compactor) active(kind summary.Kind) bool {
	switch kind {
	case summary.KindScalar:
		return c.c.ScalarFactor > 1
	case summary.KindImage:
		return c.c.KeepImages > 0
	case summary.KindAudio:
		return c.c.KeepAudio > 0
	}
	return false
}

// keep reports whether the value at index i of a series of n values of
// kind stays.
func (c *compactor) keep(kind summary.Kind, i, n int) bool {
	switch kind {
	case summary.KindScalar:
		return i%c.c.ScalarFactor == 0 || i >= n-1
	case summary.KindImage:
		return i >= n-c.c.KeepImages
	case summary.KindAudio:
		return i >= n-c.c.KeepAudio
	}
	return true
}

// classify decodes one value of an event at step and wall time as the
// run's loaders would, learning its metadata; ok is false for a value the
// decoder gives nothing for.
func (rs *runState) classify(step int64, wall float64, sv *tbpb.Summary_Value) (tag string, kind summary.Kind, ok bool) {
	rs.one.Step, rs.one.WallTime = step, wall
	rs.sum.Value = append(rs.sum.Value[:0], sv)
	vals, err := rs.dec.Event(rs.vals[:0], &rs.one)
	if err == nil && len(vals) == 1 {
		tag, kind, ok = vals[0].Tag, vals[0].Kind, true
	}
	clear(vals)
	rs.vals = vals[:0]
	rs.sum.Value[0] = nil
	return tag, kind, ok
}

// value decodes a raw Summary.Value into c.sv. A value that does not
// decode is kept as it is and not counted, in both passes alike.
func (c *compactor) value(raw []byte) bool {
	return proto.Unmarshal(raw, &c.sv) == nil
}

// count is compaction's first pass. It lists the damage it reads past in
// the report.
func (c *compactor) count(srcs []source) error {
	for _, s := range srcs {
		if !s.isEvent() {
			continue
		}
		rs := c.run(path.Dir(s.rel))
		add := func(tag string, kind summary.Kind) {
			if !c.active(kind) {
				return
			}
			ts := rs.tags[tag]
			if ts == nil {
				ts = &tagState{kind: kind}
				rs.tags[tag] = ts
			}
			if ts.kind == kind {
				ts.total++
			}
		}
		f, err := open(s)
		if err != nil {
			return err
		}
		err = c.scan(s, io.LimitReader(f, s.info.Size()), func(data []byte) error {
			if !c.split(data) {
				return nil
			}
			if tag, ok := rs.scalar(c, data); ok {
				add(tag, summary.KindScalar)
				return nil
			}
			for raw := range c.values() {
				if !c.value(raw) {
					continue
				}
				if tag, kind, ok := rs.classify(c.step, c.wall, &c.sv); ok {
					add(tag, kind)
				}
			}
			return nil
		}, func(d *tfevents.Damage) error {
			if !d.Torn() {
				c.rep.Damage = append(c.rep.Damage, *d)
			}
			return nil
		})
		f.Close()
		if err != nil {
			return err
		}
	}
	for _, rs := range c.runs {
		rs.dec = summary.NewDecoder() // rewrite learns metadata afresh
	}
	return nil
}

// scan reads the records of the event file s from r with a
// tfevents.Scanner, calling visit with each and damaged with each damaged
// part, in the order they lie in the file. Damaged parts are what the
// Scanner skips and the records every tbgo reader skips: those that are
// not an Event, and events whose wall time is not finite. Damage ends the
// scan only in a strict compaction.
func (c *compactor) scan(s source, r io.Reader, visit func([]byte) error, damaged func(*tfevents.Damage) error) error {
	sc := tfevents.NewScanner(r)
	sc.Name, sc.Strict, sc.Damaged = s.rel, c.strict, damaged
	for sc.Scan() {
		if d, bad := eventDamage(sc.Record()); bad {
			if !sc.Report(d) {
				break
			}
			continue
		}
		if err := visit(sc.Record()); err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("archive: compacting %s: %w", s.abs, err)
	}
	return nil
}

// eventDamage tells, from the wire format alone, whether a record is one
// that readers skip: not an Event, or an event whose wall time is NaN or
// infinite.
func eventDamage(data []byte) (tfevents.Damage, bool) {
	wall := 0.0
	for b := data; len(b) > 0; {
		num, typ, n := protowire.ConsumeTag(b)
		m := protowire.ConsumeFieldValue(num, typ, b[max(n, 0):])
		if n < 0 || m < 0 {
			return tfevents.Damage{Kind: tfevents.InvalidEvent, Err: fmt.Errorf("the record's bytes are not a protobuf message")}, true
		}
		if num == eventWallTimeField && typ == protowire.Fixed64Type {
			v, _ := protowire.ConsumeFixed64(b[n:])
			wall = math.Float64frombits(v)
		}
		b = b[n+m:]
	}
	if math.IsNaN(wall) || math.IsInf(wall, 0) {
		return tfevents.Damage{Kind: tfevents.NonFiniteWallTime, Err: fmt.Errorf("wall time %v", wall)}, true
	}
	return tfevents.Damage{}, false
}

// split finds the summary field of a serialized Event, the event's step
// and wall time, and counts the summary's values, from the wire format
// alone; values then walks them. It reports false for a record compaction
// copies as it is: not an Event, no summary, or a summary in more than
// one piece (which protobuf would merge). It holds nothing per value, so
// that a record of millions of values costs no more than its bytes.
func (c *compactor) split(data []byte) bool {
	found := false
	c.step, c.wall = 0, 0
	for b, off := data, 0; len(b) > 0; {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return false
		}
		m := protowire.ConsumeFieldValue(num, typ, b[n:])
		if m < 0 {
			return false
		}
		switch {
		case num == eventSummaryField:
			if found || typ != protowire.BytesType {
				return false
			}
			found = true
			c.at = [2]int{off, off + n + m}
		case num == eventWallTimeField && typ == protowire.Fixed64Type:
			v, _ := protowire.ConsumeFixed64(b[n:])
			c.wall = math.Float64frombits(v)
		case num == eventStepField && typ == protowire.VarintType:
			v, _ := protowire.ConsumeVarint(b[n:])
			c.step = int64(v)
		}
		b, off = b[n+m:], off+n+m
	}
	if !found {
		return false
	}
	sum, n := protowire.ConsumeBytes(data[c.at[0]+protowire.SizeTag(eventSummaryField):])
	if n < 0 {
		return false
	}
	c.sumB, c.nvals, c.rest = sum, 0, c.rest[:0]
	for b := sum; len(b) > 0; {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return false
		}
		m := protowire.ConsumeFieldValue(num, typ, b[n:])
		if m < 0 {
			return false
		}
		if num == summaryValueField && typ == protowire.BytesType {
			c.nvals++
		} else {
			c.rest = append(c.rest, b[:n+m]...)
		}
		b = b[n+m:]
	}
	return true
}

// values returns the raw bytes of the values of the summary split found,
// in order.
func (c *compactor) values() iter.Seq[[]byte] {
	return func(yield func([]byte) bool) {
		for b := c.sumB; len(b) > 0; {
			num, typ, n := protowire.ConsumeTag(b)
			m := protowire.ConsumeFieldValue(num, typ, b[n:]) // split checked it
			if num == summaryValueField && typ == protowire.BytesType {
				v, _ := protowire.ConsumeBytes(b[n:])
				if !yield(v) {
					return
				}
			}
			b = b[n+m:]
		}
	}
}

// firstValue returns the raw bytes of the first value split found.
func (c *compactor) firstValue() []byte {
	for v := range c.values() {
		return v
	}
	return nil
}

// scalar is the fast path for the commonest record, an event holding one
// scalar: it returns the scalar's tag without unmarshaling the event, the
// decoder learning what Event would learn. ok is false for any other
// record, whose values then go through value and classify (learning again is
// harmless: a Decoder keeps the first metadata of each tag).
func (rs *runState) scalar(c *compactor, data []byte) (tag string, ok bool) {
	if c.nvals != 1 {
		return "", false
	}
	pts, err := rs.dec.AppendScalars(rs.pts[:0], data)
	rs.pts = pts[:0]
	if err != nil || len(pts) != 1 {
		return "", false
	}
	return pts[0].Tag, true
}

// rewrite is compaction's second pass for one event file: it writes the
// file's records to w, keeping those with nothing to drop byte for byte,
// and the damaged parts the Scanner skips as they were, and hashes the
// original bytes into orig.
func (c *compactor) rewrite(w io.Writer, f sourceFile, s source, orig hash.Hash) (CompactedFile, error) {
	cf := CompactedFile{Path: s.rel}
	rs := c.run(path.Dir(s.rel))
	size := s.info.Size()
	cr := &countReader{r: io.TeeReader(io.LimitReader(f, size), orig)}
	err := c.scan(s, cr, func(data []byte) error {
		out, dropped, rewritten := c.event(rs, data)
		switch {
		case dropped:
			cf.EventsDropped++
			return nil
		case rewritten:
			cf.EventsRewritten++
		}
		c.frame = tfevents.AppendRecord(c.frame[:0], out)
		if _, err := w.Write(c.frame); err != nil {
			return fmt.Errorf("archive: %w", err)
		}
		return nil
	}, func(d *tfevents.Damage) error {
		// Damage, a torn tail included, stays as it was: it is not
		// compaction's to repair, and a writer may still be appending.
		n := min(d.Bytes, size-d.Offset)
		m, err := io.Copy(w, io.NewSectionReader(f, d.Offset, n))
		if err != nil {
			return fmt.Errorf("archive: %s: %w", s.abs, err)
		}
		if m != n {
			return fmt.Errorf("archive: %s: %w", s.abs, errChanged)
		}
		return nil
	})
	if err != nil {
		return cf, err
	}
	if cr.n != size {
		return cf, fmt.Errorf("archive: %s: %w", s.abs, errChanged)
	}
	return cf, nil
}

// countReader counts the bytes read through it.
type countReader struct {
	r io.Reader
	n int64
}

func (c *countReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// event decides the fate of one record: kept as it is (data is returned),
// dropped, or rewritten (the new Event is returned).
func (c *compactor) event(rs *runState, data []byte) (out []byte, dropped, rewritten bool) {
	if !c.split(data) {
		return data, false, false
	}
	if tag, ok := rs.scalar(c, data); ok {
		// A scalar is kept or dropped whole unless metadata must move:
		// it carries the series' first metadata, or it may receive it.
		ts := rs.tags[tag]
		if ts == nil || ts.kind != summary.KindScalar {
			return data, false, false
		}
		if ts.metaOut || ts.meta == nil && !hasMetadata(c.firstValue()) {
			idx := ts.seen
			ts.seen++
			if c.keep(summary.KindScalar, idx, ts.total) {
				ts.kept++
				return data, false, false
			}
			ts.dropped++
			return nil, true, false
		}
	}
	changed := false
	c.sum = c.sum[:0]
	kept := 0
	for raw := range c.values() {
		if !c.value(raw) {
			c.sum = appendValue(c.sum, raw, nil)
			kept++
			continue
		}
		sv := &c.sv
		tag, kind, ok := rs.classify(c.step, c.wall, sv)
		ts := rs.tags[tag]
		if !ok || ts == nil || ts.kind != kind {
			c.sum = appendValue(c.sum, raw, nil)
			kept++
			continue
		}
		md := sv.GetMetadata()
		carries := md.GetPluginData().GetPluginName() != "" || md.GetDataClass() != 0
		if carries && ts.meta == nil {
			ts.meta, _ = proto.MarshalOptions{Deterministic: true}.Marshal(md)
		}
		idx := ts.seen
		ts.seen++
		if !c.keep(kind, idx, ts.total) {
			ts.dropped++
			changed = true
			continue
		}
		ts.kept++
		var inject []byte
		if !ts.metaOut {
			switch {
			case carries:
				ts.metaOut = true
			case ts.meta != nil:
				inject, ts.metaOut, changed = ts.meta, true, true
			}
		}
		c.sum = appendValue(c.sum, raw, inject)
		kept++
	}
	if !changed {
		return data, false, false
	}
	if kept == 0 && len(c.rest) == 0 {
		return nil, true, false
	}
	c.sum = append(c.sum, c.rest...)
	c.out = append(c.out[:0], data[:c.at[0]]...)
	c.out = protowire.AppendTag(c.out, eventSummaryField, protowire.BytesType)
	c.out = protowire.AppendBytes(c.out, c.sum)
	c.out = append(c.out, data[c.at[1]:]...)
	return c.out, false, true
}

// hasMetadata reports whether the raw Summary.Value holds a metadata field.
func hasMetadata(raw []byte) bool {
	for b := raw; len(b) > 0; {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return true // let the slow path judge
		}
		if num == valueMetadataField {
			return true
		}
		m := protowire.ConsumeFieldValue(num, typ, b[n:])
		if m < 0 {
			return true
		}
		b = b[n+m:]
	}
	return false
}

// appendValue appends a Summary.value field holding raw, followed by a
// metadata field holding meta if meta is not nil.
func appendValue(b, raw, meta []byte) []byte {
	n := len(raw)
	if meta != nil {
		n += protowire.SizeTag(valueMetadataField) + protowire.SizeBytes(len(meta))
	}
	b = protowire.AppendTag(b, summaryValueField, protowire.BytesType)
	b = protowire.AppendVarint(b, uint64(n))
	b = append(b, raw...)
	if meta != nil {
		b = protowire.AppendTag(b, valueMetadataField, protowire.BytesType)
		b = protowire.AppendBytes(b, meta)
	}
	return b
}

// finish totals the report.
func (c *compactor) finish() {
	for name, rs := range c.runs {
		for tag, ts := range rs.tags {
			if ts.dropped == 0 {
				continue
			}
			c.rep.Tags = append(c.rep.Tags, TagDrop{Run: name, Tag: tag, Kind: ts.kind, Kept: ts.kept, Dropped: ts.dropped})
			switch ts.kind {
			case summary.KindScalar:
				c.rep.ScalarsDropped += ts.dropped
			case summary.KindImage:
				c.rep.ImagesDropped += ts.dropped
			case summary.KindAudio:
				c.rep.AudioDropped += ts.dropped
			}
		}
	}
	slices.SortFunc(c.rep.Tags, func(a, b TagDrop) int {
		return cmp.Or(strings.Compare(a.Run, b.Run), strings.Compare(a.Tag, b.Tag))
	})
}
