package history

import (
	"errors"
	"math"
	"runtime"
	"slices"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	"github.com/tbgo/tbgo/proto/tbpb"
	"github.com/tbgo/tbgo/summary"
	"github.com/tbgo/tbgo/tfevents"
)

func marshal(t testing.TB, ev *tbpb.Event) []byte {
	t.Helper()
	b, err := proto.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func summaryEvent(step int64, vals ...*tbpb.Summary_Value) *tbpb.Event {
	return &tbpb.Event{WallTime: 1700000000, Step: step, What: &tbpb.Event_Summary{Summary: &tbpb.Summary{Value: vals}}}
}

func simple(tag string, v float32) *tbpb.Summary_Value {
	return &tbpb.Summary_Value{Tag: tag, Value: &tbpb.Summary_Value_SimpleValue{SimpleValue: v}}
}

// noData is an image value without its data: it does not decode.
func noData(tag string) *tbpb.Summary_Value {
	return &tbpb.Summary_Value{Tag: tag, Metadata: &tbpb.SummaryMetadata{
		PluginData: &tbpb.SummaryMetadata_PluginData{PluginName: summary.PluginImages}}}
}

// checkerSeeds are records of every shape the checker must take apart as
// the decoder does.
func checkerSeeds(t testing.TB) [][]byte {
	sum := func(vals ...*tbpb.Summary_Value) []byte {
		return marshal(t, &tbpb.Event{What: &tbpb.Event_Summary{Summary: &tbpb.Summary{Value: vals}}})
	}
	version := marshal(t, &tbpb.Event{WallTime: 1, What: &tbpb.Event_FileVersion{FileVersion: tfevents.FileVersion}})
	badUTF8 := protowire.AppendTag(nil, 1, protowire.BytesType)
	badUTF8 = protowire.AppendBytes(badUTF8, []byte("x\xff"))
	badValue := protowire.AppendTag(nil, eventSummaryField, protowire.BytesType)
	badValue = protowire.AppendBytes(badValue, protowire.AppendBytes(protowire.AppendTag(nil, 1, protowire.BytesType), badUTF8))
	return [][]byte{
		version,
		marshal(t, summaryEvent(1, simple("x", 1))),
		marshal(t, summaryEvent(2, simple("x", 2), simple("y", 3), noData("img"), noData("img2"))),
		marshal(t, &tbpb.Event{WallTime: math.Inf(1), Step: 3, What: &tbpb.Event_Summary{Summary: &tbpb.Summary{Value: []*tbpb.Summary_Value{simple("x", 3)}}}}),
		marshal(t, &tbpb.Event{WallTime: math.NaN(), What: &tbpb.Event_FileVersion{FileVersion: "v"}}),
		marshal(t, &tbpb.Event{WallTime: 2, What: &tbpb.Event_GraphDef{GraphDef: []byte("g")}}),
		// Two summary fields merge; a file_version after them replaces
		// them; a summary after that starts afresh.
		append(marshal(t, summaryEvent(4, simple("a", 1))), sum(simple("b", 2))...),
		slices2(marshal(t, summaryEvent(5, simple("a", 1))), version),
		slices2(marshal(t, summaryEvent(6, simple("a", 1))), version, sum(simple("c", 3))),
		append(marshal(t, summaryEvent(7, simple("x", 1))), badValue...),
		badValue,
		{0xff, 0xff},
		{},
	}
}

func slices2(parts ...[]byte) []byte {
	var b []byte
	for _, p := range parts {
		b = append(b, p...)
	}
	return b
}

// decodeWhole is what the checker must agree with: the record unmarshaled
// whole and decoded by summary.Decoder.
func decodeWhole(dec *summary.Decoder, record []byte) (tags []string, kind tfevents.DamageKind, bad int) {
	var ev tbpb.Event
	if err := proto.Unmarshal(record, &ev); err != nil {
		return nil, tfevents.InvalidEvent, 0
	}
	if w := ev.GetWallTime(); math.IsNaN(w) || math.IsInf(w, 0) {
		return nil, tfevents.NonFiniteWallTime, 0
	}
	vals, err := dec.Event(nil, &ev)
	for _, v := range vals {
		tags = append(tags, v.Tag)
	}
	var d *tfevents.Damage
	if errors.As(err, &d) {
		kind, bad = d.Kind, d.Count
	}
	return tags, kind, bad
}

func agree(t *testing.T, records [][]byte) {
	t.Helper()
	c := newChecker()
	dec := summary.NewDecoder()
	for i, rec := range records {
		wantTags, wantKind, wantBad := decodeWhole(dec, rec)
		var tags []string
		n, d := c.check(rec, func(v *summary.Value) { tags = append(tags, v.Tag) })
		var kind tfevents.DamageKind
		bad := 0
		if d != nil {
			kind, bad = d.Kind, d.Count
			if kind != tfevents.InvalidValue {
				bad = 0
			}
		}
		if kind != wantKind || bad != wantBad || n != len(tags) || !slices.Equal(tags, wantTags) {
			t.Errorf("record %d: check gives %v (%d bad), values %q; whole decoding %v (%d bad), values %q",
				i, kind, bad, tags, wantKind, wantBad, wantTags)
		}
	}
}

func TestCheckerAgreesWithDecoder(t *testing.T) {
	t.Parallel()
	agree(t, checkerSeeds(t))
}

// FuzzChecker decodes any records with the checker and whole: the values
// and the damage must be the same.
func FuzzChecker(f *testing.F) {
	for _, s := range checkerSeeds(f) {
		f.Add(s, s)
	}
	f.Fuzz(func(t *testing.T, a, b []byte) {
		agree(t, [][]byte{a, b, a})
	})
}

func TestCheckerRepair(t *testing.T) {
	t.Parallel()
	c := newChecker()
	good := marshal(t, summaryEvent(1, simple("x", 1)))
	if out, d := c.repair(good); d != nil || &out[0] != &good[0] {
		t.Errorf("a sound record: %v, %v", out, d)
	}
	mixed := marshal(t, summaryEvent(2, noData("img"), simple("x", 2), noData("img2"), simple("y", 3)))
	out, d := c.repair(mixed)
	if d == nil || d.Kind != tfevents.InvalidValue || d.Count != 2 {
		t.Fatalf("damage %v, want 2 invalid values", d)
	}
	var ev tbpb.Event
	if err := proto.Unmarshal(out, &ev); err != nil {
		t.Fatal(err)
	}
	vals := ev.GetSummary().GetValue()
	if ev.GetStep() != 2 || ev.GetWallTime() != 1700000000 || len(vals) != 2 || vals[0].GetTag() != "x" || vals[1].GetTag() != "y" {
		t.Errorf("rewritten event %v, want x and y at step 2", &ev)
	}
	if out, d := c.repair(marshal(t, summaryEvent(3, noData("img")))); out != nil || d == nil {
		t.Errorf("a record of bad values only: %v, %v; want it dropped", out, d)
	}
}

// TestCheckerMemory takes apart a record of a million empty values: the
// memory it allocates stays within a few times the record's 2 MB.
func TestCheckerMemory(t *testing.T) {
	const n = 1_000_000
	var sum []byte
	for range n {
		sum = protowire.AppendTag(sum, summaryValueField, protowire.BytesType)
		sum = protowire.AppendVarint(sum, 0)
	}
	rec := marshal(t, &tbpb.Event{WallTime: 1, Step: 1})
	rec = protowire.AppendTag(rec, eventSummaryField, protowire.BytesType)
	rec = protowire.AppendBytes(rec, sum)
	c := newChecker()
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	values, d := c.check(rec, nil)
	runtime.ReadMemStats(&after)
	if values != 0 || d != nil {
		t.Errorf("check: %d values, damage %v; want none", values, d)
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 4*uint64(len(rec)) {
		t.Errorf("checking a %d-byte record of %d values allocated %d bytes", len(rec), n, alloc)
	}
}

// TestCheckerManyBadValues takes apart a record of a hundred thousand
// values that do not decode: one damage counts them, and its message is
// one value's.
func TestCheckerManyBadValues(t *testing.T) {
	vals := make([]*tbpb.Summary_Value, 100_000)
	for i := range vals {
		vals[i] = noData("img")
	}
	rec := marshal(t, summaryEvent(1, vals...))
	_, d := newChecker().check(rec, nil)
	if d == nil || d.Kind != tfevents.InvalidValue || d.Count != len(vals) || len(d.Error()) > 300 {
		t.Errorf("damage %v, want one invalid value counted %d times", d, len(vals))
	}
}

// BenchmarkCheck decodes scalar records with the checker, as verify,
// inspect, repair and tail do, and whole, as summary.Decoder.Record does.
func BenchmarkCheck(b *testing.B) {
	var recs [][]byte
	size := 0
	for step := range int64(1000) {
		r := marshal(b, summaryEvent(step, simple("loss", float32(step))))
		recs = append(recs, r)
		size += len(r)
	}
	b.Run("checker", func(b *testing.B) {
		c := newChecker()
		b.SetBytes(int64(size))
		b.ReportAllocs()
		for b.Loop() {
			for _, r := range recs {
				if _, d := c.check(r, nil); d != nil {
					b.Fatal(d)
				}
			}
		}
	})
	b.Run("record", func(b *testing.B) {
		dec := summary.NewDecoder()
		var vals []summary.Value
		b.SetBytes(int64(size))
		b.ReportAllocs()
		for b.Loop() {
			for _, r := range recs {
				var err error
				if vals, err = dec.Record(vals[:0], r); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
}
