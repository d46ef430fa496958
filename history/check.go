package history

import (
	"fmt"
	"math"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	"github.com/tbgo/tbgo/proto/tbpb"
	"github.com/tbgo/tbgo/summary"
	"github.com/tbgo/tbgo/tfevents"
)

// Wire numbers of the fields of Event and Summary a checker reads.
const (
	eventSummaryField             = 5    // Event.summary
	firstWhatField, lastWhatField = 3, 9 // the members of Event's oneof "what"
	summaryValueField             = 1    // Summary.value
)

// A checker decides what of a run's records a reader keeps: the one
// notion of damage that Verify counts, Repair removes and Inspect reports.
// A record is skipped whole if it does not decode as an Event
// (tfevents.InvalidEvent) or its wall time is NaN or infinite
// (tfevents.NonFiniteWallTime); a summary value is skipped if it does not
// decode as its plugin says (tfevents.InvalidValue).
//
// It decodes a record one summary value at a time, through the run's
// summary.Decoder, and keeps one error per record, counting the others:
// its memory is bounded by the record's size whatever the record holds,
// where unmarshaling a record of a million two-byte values whole would
// take a hundred bytes per value and an error each.
//
// A checker must see a run's records in order, as its Decoder must.
type checker struct {
	dec summary.Decoder

	ev   tbpb.Event         // the record but for its summary's values
	what tbpb.Event_Summary // ev.What when the record is a summary
	sv   tbpb.Summary_Value // the value at hand
	one  tbpb.Event         // a one-value event around sv, for dec
	sum  tbpb.Summary       // one's summary
	vals []summary.Value

	rest []byte // the record without its summary fields
	from int    // where in the record the summary that counts starts

	// keeping makes check gather the values that decode into keep, for
	// repair.
	keeping bool
	keep    []byte
	kept    int
	out     []byte
}

func newChecker() *checker {
	c := &checker{}
	c.what.Summary = &tbpb.Summary{}
	c.sum.Value = []*tbpb.Summary_Value{&c.sv}
	c.one.What = &tbpb.Event_Summary{Summary: &c.sum}
	return c
}

// event returns the event check last took apart, its summary's values
// left out.
func (c *checker) event() *tbpb.Event { return &c.ev }

// check decodes record, calling fn, if not nil, with each value that
// decodes (*summary.Value is valid only during the call). It returns how
// many values decoded, and the damage found, nil if none: InvalidEvent or
// NonFiniteWallTime for a record skipped whole, InvalidValue for values
// skipped (Count of them, the first described). Damage's File and Offset
// are the caller's to set.
func (c *checker) check(record []byte, fn func(*summary.Value)) (int, *tfevents.Damage) {
	c.kept = 0
	c.keep = c.keep[:0]
	nvals, err := c.split(record)
	if err != nil {
		return 0, &tfevents.Damage{Kind: tfevents.InvalidEvent, Err: err}
	}
	if w := c.ev.GetWallTime(); math.IsNaN(w) || math.IsInf(w, 0) {
		if err := c.unmarshalAll(record); err != nil { // a lone value split left
			return 0, &tfevents.Damage{Kind: tfevents.InvalidEvent, Err: err}
		}
		return 0, &tfevents.Damage{Kind: tfevents.NonFiniteWallTime,
			Err: fmt.Errorf("wall time %v (step %d)", w, c.ev.GetStep())}
	}
	if nvals < 0 { // not a summary: a graph, or nothing to decode
		vals, err := c.dec.Event(c.vals[:0], &c.ev)
		n := c.emit(vals, fn)
		if err != nil {
			d := damageOf(err)
			return n, &d
		}
		return n, nil
	}
	c.one.Step, c.one.WallTime = c.ev.GetStep(), c.ev.GetWallTime()
	var (
		n, bad int
		first  error
	)
	c.summaries(record, false, func(raw []byte) {
		if err := proto.Unmarshal(raw, &c.sv); err != nil {
			// split checked every value of a record of several.
			first = fmt.Errorf("%w: %v", tfevents.ErrInvalidEvent, err)
			bad = -1
			return
		}
		vals, err := c.dec.Event(c.vals[:0], &c.one)
		n += c.emit(vals, fn)
		if err != nil {
			d := damageOf(err)
			if bad += max(d.Count, 1); first == nil {
				first = d.Err
			}
			return
		}
		if c.keeping {
			c.keep = protowire.AppendTag(c.keep, summaryValueField, protowire.BytesType)
			c.keep = protowire.AppendBytes(c.keep, raw)
			c.kept++
		}
	})
	switch {
	case bad < 0:
		return 0, &tfevents.Damage{Kind: tfevents.InvalidEvent, Err: first}
	case bad > 0:
		return n, &tfevents.Damage{Kind: tfevents.InvalidValue, Count: bad, Err: first}
	}
	return n, nil
}

// emit hands vals to fn and clears them, returning how many there were.
func (c *checker) emit(vals []summary.Value, fn func(*summary.Value)) int {
	if fn != nil {
		for i := range vals {
			fn(&vals[i])
		}
	}
	clear(vals)
	c.vals = vals[:0]
	return len(vals)
}

// repair is tfevents.RepairOptions.Check: it returns record as it is if
// check finds nothing, nil for a record skipped whole, and for a record
// with values that do not decode, a record without them (nil if none is
// left).
func (c *checker) repair(record []byte) ([]byte, *tfevents.Damage) {
	c.keeping = true
	_, d := c.check(record, nil)
	c.keeping = false
	switch {
	case d == nil:
		return record, nil
	case d.Kind != tfevents.InvalidValue || c.kept == 0:
		return nil, d
	}
	c.out = append(c.out[:0], c.rest...)
	c.out = protowire.AppendTag(c.out, eventSummaryField, protowire.BytesType)
	c.out = protowire.AppendBytes(c.out, c.keep)
	return c.out, d
}

// split takes record apart as proto.Unmarshal would, without decoding the
// values of its summary: every field but the summaries goes into c.ev,
// through c.rest. It returns how many values the summary that counts
// holds (protobuf merges repeated summary fields, and a later member of
// the event's oneof replaces them), or -1 if the event is not a summary.
// A record proto.Unmarshal refuses is an error wrapping
// tfevents.ErrInvalidEvent: malformed wire data in any field, or in any
// summary value but a lone one, which check finds as it decodes it.
func (c *checker) split(record []byte) (int, error) {
	c.rest = c.rest[:0]
	c.from = 0
	what := protowire.Number(0)
	all, counted := 0, 0
	for b, off := record, 0; len(b) > 0; {
		num, typ, n, m, err := consumeField(b)
		if err != nil {
			return 0, err
		}
		isWhat := num >= firstWhatField && num <= lastWhatField && typ == protowire.BytesType
		if isWhat {
			what = num
		}
		switch {
		case num == eventSummaryField && typ == protowire.BytesType:
			sum, _ := protowire.ConsumeBytes(b[n:])
			k, err := countValues(sum)
			if err != nil {
				return 0, err
			}
			all += k
			counted += k
		case isWhat: // another member of the oneof replaces the summary
			counted, c.from = 0, off+n+m
			fallthrough
		default:
			c.rest = append(c.rest, b[:n+m]...)
		}
		b, off = b[n+m:], off+n+m
	}
	if err := proto.Unmarshal(c.rest, &c.ev); err != nil {
		return 0, malformed(err)
	}
	if all > 1 || all != counted {
		if err := c.unmarshalAll(record); err != nil {
			return 0, err
		}
	}
	if what != eventSummaryField {
		return -1, nil
	}
	c.ev.What = &c.what
	return counted, nil
}

// unmarshalAll checks that every summary value of a record split
// accepted unmarshals.
func (c *checker) unmarshalAll(record []byte) error {
	var err error
	c.summaries(record, true, func(raw []byte) {
		if err == nil {
			if uerr := proto.Unmarshal(raw, &c.sv); uerr != nil {
				err = malformed(uerr)
			}
		}
	})
	return err
}

// summaries calls fn with the raw bytes of each summary value of the
// record split last accepted, in order: the values of every summary field
// if all is set, else those of the summary that counts, made of the
// summary fields after the oneof's last other member.
func (c *checker) summaries(record []byte, all bool, fn func(raw []byte)) {
	from := c.from
	if all {
		from = 0
	}
	for b := record[from:]; len(b) > 0; {
		num, typ, n := protowire.ConsumeTag(b)
		m := protowire.ConsumeFieldValue(num, typ, b[n:])
		if num == eventSummaryField && typ == protowire.BytesType {
			sum, _ := protowire.ConsumeBytes(b[n:])
			for s := sum; len(s) > 0; {
				snum, styp, sn := protowire.ConsumeTag(s)
				sm := protowire.ConsumeFieldValue(snum, styp, s[sn:])
				if snum == summaryValueField && styp == protowire.BytesType {
					raw, _ := protowire.ConsumeBytes(s[sn:])
					fn(raw)
				}
				s = s[sn+sm:]
			}
		}
		b = b[n+m:]
	}
}

// countValues checks that a Summary's wire form is a sequence of
// well-formed fields and counts its values.
func countValues(sum []byte) (int, error) {
	n := 0
	for len(sum) > 0 {
		num, typ, k, m, err := consumeField(sum)
		if err != nil {
			return 0, err
		}
		if num == summaryValueField && typ == protowire.BytesType {
			n++
		}
		sum = sum[k+m:]
	}
	return n, nil
}

// consumeField reads the field at the start of b: its number and type,
// and the lengths of its tag and its value. Malformed data, or a field
// number proto.Unmarshal refuses, is an error.
func consumeField(b []byte) (num protowire.Number, typ protowire.Type, n, m int, err error) {
	num, typ, n = protowire.ConsumeTag(b)
	if n < 0 {
		return 0, 0, 0, 0, malformed(protowire.ParseError(n))
	}
	if !num.IsValid() {
		return 0, 0, 0, 0, malformed(fmt.Errorf("invalid field number %d", num))
	}
	m = protowire.ConsumeFieldValue(num, typ, b[n:])
	if m < 0 {
		return 0, 0, 0, 0, malformed(protowire.ParseError(m))
	}
	return num, typ, n, m, nil
}

func malformed(err error) error {
	return fmt.Errorf("%w: %v", tfevents.ErrInvalidEvent, err)
}
