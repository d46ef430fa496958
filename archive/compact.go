package archive

import (
	"cmp"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"path"
	"slices"
	"strings"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	"github.com/tbgo/tbgo/proto/tbpb"
	"github.com/tbgo/tbgo/summary"
	"github.com/tbgo/tbgo/tfevents"
)

// Wire numbers of the fields compaction edits.
const (
	eventSummaryField  = 5 // Event.summary
	summaryValueField  = 1 // Summary.value
	valueMetadataField = 9 // Summary.Value.metadata
)

// compactor drops values from event files in two passes: count reads
// every event file and counts each series' values, then rewrite copies each
// file keeping the values the settings keep. Both passes see each run's
// files in name order and classify values with a summary.Decoder, so that
// a value's index within its series is the same in both.
type compactor struct {
	c    Compaction
	runs map[string]*runState // by run name
	left map[string]string    // event files stored as they were: why
	rep  *CompactionReport

	ev    tbpb.Event
	raws  [][]byte // the raw bytes of the summary's values
	rest  []byte   // the summary's other fields
	at    [2]int   // the summary field's extent in the record
	sum   []byte   // scratch: the new summary
	out   []byte   // scratch: the new event
	frame []byte   // scratch: a framed record
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

func newCompactor(c Compaction) *compactor {
	return &compactor{
		c:    c,
		runs: map[string]*runState{},
		left: map[string]string{},
		rep:  &CompactionReport{Settings: c},
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

// classify decodes one value of ev as the run's loaders would, learning
// its metadata; ok is false for a value the decoder gives nothing for.
func (rs *runState) classify(ev *tbpb.Event, sv *tbpb.Summary_Value) (tag string, kind summary.Kind, ok bool) {
	rs.one.Step, rs.one.WallTime = ev.GetStep(), ev.GetWallTime()
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

// count is compaction's first pass.
func (c *compactor) count(srcs []source) error {
	pending := map[*tagState]int{}
	for _, s := range srcs {
		if !s.isEvent() {
			continue
		}
		rs := c.run(path.Dir(s.rel))
		clear(pending)
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
				pending[ts]++
			}
		}
		err := c.records(s, func(data []byte) {
			if !c.split(data) {
				return
			}
			if tag, ok := rs.scalar(c, data); ok {
				add(tag, summary.KindScalar)
				return
			}
			if !c.decode(data) {
				return
			}
			for _, sv := range c.ev.GetSummary().GetValue() {
				if tag, kind, ok := rs.classify(&c.ev, sv); ok {
					add(tag, kind)
				}
			}
		})
		var bad *badFile
		switch {
		case errors.As(err, &bad):
			c.left[s.rel] = bad.reason
			c.rep.Left = append(c.rep.Left, Skip{s.rel, bad.reason})
		case err != nil:
			return err
		default:
			for ts, n := range pending {
				ts.total += n
			}
		}
	}
	for _, rs := range c.runs {
		rs.dec = summary.NewDecoder() // rewrite learns metadata afresh
	}
	return nil
}

// badFile is an event file whose records cannot all be framed.
type badFile struct{ reason string }

func (b *badFile) Error() string { return b.reason }

// records calls visit with every record of the event file s up to a torn
// tail, and returns a *badFile at the first record it cannot frame.
func (c *compactor) records(s source, visit func([]byte)) error {
	f, err := open(s)
	if err != nil {
		return err
	}
	defer f.Close()
	r := tfevents.NewReader(io.LimitReader(f, s.info.Size()))
	for {
		off := r.Offset()
		data, err := r.Next()
		switch {
		case err == io.EOF, err == io.ErrUnexpectedEOF:
			return nil
		case errors.Is(err, tfevents.ErrCorrupt), errors.Is(err, tfevents.ErrRecordTooLarge):
			var ce *tfevents.CorruptError
			if errors.As(err, &ce) {
				return &badFile{fmt.Sprintf("%s mismatch at offset %d", ce.Checksum, off)}
			}
			return &badFile{fmt.Sprintf("record too large at offset %d", off)}
		case err != nil:
			return fmt.Errorf("archive: %s: %w", s.abs, err)
		}
		visit(data)
	}
}

// skim feeds the decoder the records of an event file stored as it was,
// as count did, so that later files of the run decode alike in both passes.
func (c *compactor) skim(s source, reason string) error {
	rs := c.run(path.Dir(s.rel))
	err := c.records(s, func(data []byte) {
		if !c.split(data) {
			return
		}
		if _, ok := rs.scalar(c, data); ok {
			return
		}
		if c.decode(data) {
			for _, sv := range c.ev.GetSummary().GetValue() {
				rs.classify(&c.ev, sv)
			}
		}
	})
	var bad *badFile
	if errors.As(err, &bad) && bad.reason == reason {
		return nil
	}
	if err == nil {
		err = errChanged
	}
	return fmt.Errorf("archive: %s: %w", s.abs, err)
}

// split finds the summary field of a serialized Event and the raw bytes
// of the summary's values, from the wire format alone. It reports false for
// a record compaction copies as it is: not an Event, no summary, or a
// summary in more than one piece (which protobuf would merge).
func (c *compactor) split(data []byte) bool {
	found := false
	for b, off := data, 0; len(b) > 0; {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return false
		}
		m := protowire.ConsumeFieldValue(num, typ, b[n:])
		if m < 0 {
			return false
		}
		if num == eventSummaryField {
			if found || typ != protowire.BytesType {
				return false
			}
			found = true
			c.at = [2]int{off, off + n + m}
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
	c.raws, c.rest = c.raws[:0], c.rest[:0]
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
			v, _ := protowire.ConsumeBytes(b[n:])
			c.raws = append(c.raws, v)
		} else {
			c.rest = append(c.rest, b[:n+m]...)
		}
		b = b[n+m:]
	}
	return true
}

// decode parses a record split has taken apart into c.ev.
func (c *compactor) decode(data []byte) bool {
	return proto.Unmarshal(data, &c.ev) == nil && len(c.raws) == len(c.ev.GetSummary().GetValue())
}

// scalar is the fast path for the commonest record, an event holding one
// scalar: it returns the scalar's tag without unmarshaling the event, the
// decoder learning what Event would learn. ok is false for any other
// record, which then goes through decode and classify (learning again is
// harmless: a Decoder keeps the first metadata of each tag).
func (rs *runState) scalar(c *compactor, data []byte) (tag string, ok bool) {
	if len(c.raws) != 1 {
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
// and hashes the original bytes into orig.
func (c *compactor) rewrite(w io.Writer, f *os.File, s source, orig hash.Hash) (CompactedFile, error) {
	cf := CompactedFile{Path: s.rel}
	rs := c.run(path.Dir(s.rel))
	size := s.info.Size()
	cr := &countReader{r: io.TeeReader(io.LimitReader(f, size), orig)}
	r := tfevents.NewReader(cr)
	for {
		off := r.Offset()
		data, err := r.Next()
		if err == io.EOF {
			break
		}
		if err == io.ErrUnexpectedEOF {
			// A torn tail stays as it was: a writer may have been
			// appending, and it is not compaction's to repair.
			n, err := io.Copy(w, io.NewSectionReader(f, off, size-off))
			if err != nil {
				return cf, fmt.Errorf("archive: %s: %w", s.abs, err)
			}
			if n != size-off {
				return cf, fmt.Errorf("archive: %s: %w", s.abs, errChanged)
			}
			break
		}
		if err != nil {
			return cf, fmt.Errorf("archive: %s: %w (%v)", s.abs, errChanged, err)
		}
		out, dropped, rewritten := c.event(rs, data)
		switch {
		case dropped:
			cf.EventsDropped++
			continue
		case rewritten:
			cf.EventsRewritten++
		}
		c.frame = tfevents.AppendRecord(c.frame[:0], out)
		if _, err := w.Write(c.frame); err != nil {
			return cf, fmt.Errorf("archive: %w", err)
		}
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
		if ts.metaOut || ts.meta == nil && !hasMetadata(c.raws[0]) {
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
	if !c.decode(data) {
		return data, false, false
	}
	changed := false
	c.sum = c.sum[:0]
	kept := 0
	for i, sv := range c.ev.GetSummary().GetValue() {
		raw := c.raws[i]
		tag, kind, ok := rs.classify(&c.ev, sv)
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
