package summary

import (
	"bytes"
	"encoding/binary"
	"math"
	"reflect"
	"runtime"
	"testing"
	"time"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	"github.com/tbgo/tbgo/proto/tbpb"
)

// decMixedRecords returns serialized events of every kind and form,
// interleaved over a few tags, with metadata on the first value of each tag
// only where a writer would strip it.
func decMixedRecords(t testing.TB) [][]byte {
	var recs [][]byte
	add := func(ev *tbpb.Event) { recs = append(recs, decMarshal(t, ev)) }
	add(&tbpb.Event{WallTime: decWall, What: &tbpb.Event_FileVersion{FileVersion: "brain.Event:2"}})
	add(&tbpb.Event{WallTime: decWall, What: &tbpb.Event_GraphDef{GraphDef: []byte("graph")}})
	hb, err := Buckets(nil, []float64{1, 2, 3}, 5)
	if err != nil {
		t.Fatal(err)
	}
	enc := newScalarEncoder("enc", Meta{DisplayName: "Encoded"})
	for step := range int64(20) {
		x := float32(step) / 3
		recs = append(recs, enc.appendEvent(nil, decWall+float64(step), step, x))
		scalarMD := decMeta("scalars", 0)
		histMD := decMeta("histograms", 0)
		if step > 0 {
			scalarMD, histMD = nil, nil
		}
		add(decEvent(step,
			decSimple("legacy", x),
			decMust(ScalarValue("built", float64(x), Meta{})),
			decTensor("tf2/f", scalarMD, &tbpb.TensorProto{Dtype: tbpb.DataType_DT_FLOAT, TensorContent: decF32(x)}),
			decTensor("tf2/d", scalarMD, &tbpb.TensorProto{Dtype: tbpb.DataType_DT_DOUBLE, DoubleVal: []float64{float64(step) * 1.1}}),
			decTensor("tf2/i", scalarMD, &tbpb.TensorProto{Dtype: tbpb.DataType_DT_INT64, Int64Val: []int64{-step}}),
			decTensor("tf2/h", histMD, &tbpb.TensorProto{Dtype: tbpb.DataType_DT_DOUBLE, TensorShape: shape(1, 3), TensorContent: decF64(0, 1, float64(step))}),
			decMust(HistogramValue("hist", hb, Meta{})),
			decMust(TextValue("text", "t", Meta{})),
			decTensor("untyped", nil, &tbpb.TensorProto{Dtype: tbpb.DataType_DT_FLOAT, FloatVal: []float32{x}}),
			&tbpb.Summary_Value{Tag: "img", Value: &tbpb.Summary_Value_Image{Image: &tbpb.Summary_Image{Width: 1, Height: 1}}},
		))
		if step%5 == 0 {
			add(&tbpb.Event{WallTime: decWall, Step: step, What: &tbpb.Event_TaggedRunMetadata{
				TaggedRunMetadata: &tbpb.TaggedRunMetadata{Tag: "rm", RunMetadata: []byte("rm")},
			}})
		}
	}
	return recs
}

func TestAppendScalarsAgreesWithRecord(t *testing.T) {
	t.Parallel()
	recs := decMixedRecords(t)
	d, fast := NewDecoder(), new(Decoder) // the zero Decoder works too
	var vals []Value
	var pts []ScalarPoint
	for i, rec := range recs {
		var err error
		if vals, err = d.Record(vals, rec); err != nil {
			t.Fatalf("Record %d: %v", i, err)
		}
		if pts, err = fast.AppendScalars(pts, rec); err != nil {
			t.Fatalf("AppendScalars %d: %v", i, err)
		}
	}
	want := decScalars(vals)
	if !decSamePoints(pts, want) {
		t.Fatalf("AppendScalars gave\n%v\nRecord gave\n%v", pts, want)
	}
	// 20 steps of enc, legacy, built, tf2/f, tf2/d and tf2/i.
	if len(want) != 20*6 {
		t.Errorf("%d scalars, want %d", len(want), 20*6)
	}
	var h int
	for _, v := range vals {
		if v.Tag == "tf2/h" && v.Kind == KindHistogram {
			h++
		}
	}
	if h != 20 {
		t.Errorf("%d tf2/h histograms, want 20", h)
	}
}

// TestAppendScalarsFallback feeds AppendScalars events it leaves to the
// generic path: fields that protobuf merges or overrides. Concatenated
// serialized messages decode as one merged message.
func TestAppendScalarsFallback(t *testing.T) {
	t.Parallel()
	cat, wrap, marshalValue := decCat, decWrap, decValueBytes
	scalarsMD := decMeta("scalars", 0)
	tensor := &tbpb.TensorProto{Dtype: tbpb.DataType_DT_FLOAT, FloatVal: []float32{4}}
	tests := []struct {
		desc   string
		record []byte
		want   []ScalarPoint
	}{
		{
			desc: "summary twice: values of both, step and time of the second",
			record: cat(
				decMarshal(t, decEvent(1, decSimple("a", 1))),
				decMarshal(t, decEvent(2, decMust(ScalarValue("b", 2, Meta{})))),
			),
			want: []ScalarPoint{{"a", 2, decWall + 2, 1}, {"b", 2, decWall + 2, 2}},
		},
		{
			desc:   "simple_value then tensor: the tensor wins",
			record: wrap(cat(marshalValue(decSimple("c", 3)), marshalValue(decTensor("", scalarsMD, tensor)))),
			want:   []ScalarPoint{{"c", 0, 0, 4}},
		},
		{
			desc:   "tensor then simple_value: simple_value wins",
			record: wrap(cat(marshalValue(decTensor("c", scalarsMD, tensor)), marshalValue(decSimple("", 3)))),
			want:   []ScalarPoint{{"c", 0, 0, 3}},
		},
		{
			// Either tensor alone is a scalar; merged, the first's
			// tensor_content wins.
			desc: "tensor twice: merged",
			record: wrap(cat(
				marshalValue(decTensor("c", scalarsMD, &tbpb.TensorProto{TensorContent: decF32(5)})),
				marshalValue(decTensor("", nil, &tbpb.TensorProto{Dtype: tbpb.DataType_DT_FLOAT, FloatVal: []float32{6}})),
			)),
			want: []ScalarPoint{{"c", 0, 0, 5}},
		},
		{
			desc: "metadata twice: merged",
			record: wrap(cat(
				marshalValue(decTensor("x", scalarsMD, tensor)),
				marshalValue(&tbpb.Summary_Value{Metadata: &tbpb.SummaryMetadata{DisplayName: "X"}}),
			)),
			want: []ScalarPoint{{"x", 0, 0, 4}},
		},
		{
			desc:   "summary then graph_def: no summary",
			record: cat(decMarshal(t, decEvent(1, decSimple("a", 1))), []byte{0x22, 0x01, 'g'}),
		},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			t.Parallel()
			vals, err := NewDecoder().Record(nil, tt.record)
			if err != nil {
				t.Fatal(err)
			}
			if got := decScalars(vals); !decSamePoints(got, tt.want) {
				t.Errorf("Record gave %v, want %v", got, tt.want)
			}
			pts, err := NewDecoder().AppendScalars(nil, tt.record)
			if err != nil {
				t.Fatal(err)
			}
			if !decSamePoints(pts, tt.want) {
				t.Errorf("AppendScalars gave %v, want %v", pts, tt.want)
			}
		})
	}
}

// decCat concatenates serialized messages; protobuf decodes the result as
// one message with the fields of all, merged.
func decCat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

// decWrap returns an Event holding a Summary of the serialized values.
func decWrap(values ...[]byte) []byte {
	var sum []byte
	for _, v := range values {
		sum = protowire.AppendBytes(protowire.AppendTag(sum, 1, protowire.BytesType), v)
	}
	return protowire.AppendBytes(protowire.AppendTag(nil, 5, protowire.BytesType), sum)
}

// decValueBytes serializes a summary value.
func decValueBytes(v *tbpb.Summary_Value) []byte {
	b, err := proto.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

// decTFValue serializes a tensor value with its fields in number order,
// as TensorFlow's C++ and Python protobuf libraries write them.
func decTFValue(tag string, md *tbpb.SummaryMetadata, t *tbpb.TensorProto) []byte {
	b := protowire.AppendString(protowire.AppendTag(nil, 1, protowire.BytesType), tag)
	tb, err := proto.Marshal(t)
	if err != nil {
		panic(err)
	}
	b = protowire.AppendBytes(protowire.AppendTag(b, 8, protowire.BytesType), tb)
	if md != nil {
		mb, err := proto.Marshal(md)
		if err != nil {
			panic(err)
		}
		b = protowire.AppendBytes(protowire.AppendTag(b, 9, protowire.BytesType), mb)
	}
	return b
}

// decUnknown is an unknown fixed32 field 15 holding x.
func decUnknown(x uint32) []byte {
	return binary.LittleEndian.AppendUint32([]byte{15<<3 | byte(protowire.Fixed32Type)}, x)
}

// TestAppendScalarsSequences decodes runs of events with both decoders and
// checks that they agree event by event, including on errors: AppendScalars
// remembers summary layouts and learns metadata, and neither may make it
// drift from Record.
func TestAppendScalarsSequences(t *testing.T) {
	t.Parallel()
	scalarsMD := decMeta("scalars", 0)
	f32 := func(x float32) *tbpb.TensorProto {
		return &tbpb.TensorProto{Dtype: tbpb.DataType_DT_FLOAT, FloatVal: []float32{x}}
	}
	i32 := func(x int32) *tbpb.TensorProto {
		return &tbpb.TensorProto{Dtype: tbpb.DataType_DT_INT32, TensorContent: binary.LittleEndian.AppendUint32(nil, uint32(x))}
	}
	simple := func(tag string, x float32) []byte { return decValueBytes(decSimple(tag, x)) }
	tensor := func(tag string, md *tbpb.SummaryMetadata, tp *tbpb.TensorProto) []byte {
		return decValueBytes(decTensor(tag, md, tp))
	}
	tests := []struct {
		desc string
		recs [][]byte
		want []float64 // the scalars, in order
	}{
		{
			desc: "unknown field after the scalar",
			recs: [][]byte{
				decWrap(decCat(simple("a", 1), decUnknown(10))),
				decWrap(decCat(simple("a", 1), decUnknown(20))),
				decWrap(decCat(simple("a", 2), decUnknown(20))),
				decCat(decWrap(simple("a", 3)), decUnknown(30)),
				decCat(decWrap(simple("a", 3)), decUnknown(40)),
			},
			want: []float64{1, 1, 2, 3, 3},
		},
		{
			desc: "int32 tensor_content",
			recs: [][]byte{
				decWrap(tensor("i", scalarsMD, i32(7))),
				decWrap(tensor("i", scalarsMD, i32(-1))),
				decWrap(tensor("i", nil, i32(1<<30))),
				decWrap(tensor("i", nil, i32(5))),
			},
			want: []float64{7, -1, 1 << 30, 5},
		},
		{
			desc: "metadata on the first value only",
			recs: [][]byte{
				decWrap(tensor("x", scalarsMD, f32(1))),
				decWrap(tensor("x", nil, f32(2))),
				decWrap(tensor("x", nil, f32(3))),
				decWrap(tensor("x", scalarsMD, f32(4))),
			},
			want: []float64{1, 2, 3, 4},
		},
		{
			desc: "metadata arrives after a value without",
			recs: [][]byte{
				decWrap(tensor("y", nil, f32(1))),
				decWrap(tensor("y", scalarsMD, f32(2))),
				decWrap(tensor("y", nil, f32(3))),
				decWrap(tensor("y", nil, f32(1))),
			},
			want: []float64{2, 3, 1},
		},
		{
			desc: "what a bad event taught is forgotten",
			recs: [][]byte{
				decWrap(tensor("a", scalarsMD, f32(1)), []byte{0x0a, 0x01, 0xff, 0x15, 0, 0, 0, 0}),
				decWrap(tensor("a", nil, f32(2))),
				decWrap(tensor("a", nil, f32(2))),
			},
		},
		{
			// C++ and Python write fields in number order: the
			// metadata after the tensor.
			desc: "TensorFlow field order",
			recs: [][]byte{
				decWrap(decTFValue("tf", scalarsMD, f32(1))),
				decWrap(decTFValue("tf", scalarsMD, f32(2))),
				decWrap(decTFValue("tf", scalarsMD, &tbpb.TensorProto{Dtype: tbpb.DataType_DT_FLOAT, TensorContent: decF32(3)})),
				decWrap(decTFValue("tf", scalarsMD, &tbpb.TensorProto{Dtype: tbpb.DataType_DT_FLOAT, TensorContent: decF32(4)})),
				decWrap(decTFValue("tf", nil, f32(5))),
				decWrap(decTFValue("tf", nil, f32(6))),
			},
			want: []float64{1, 2, 3, 4, 5, 6},
		},
		{
			desc: "metadata after the scalar changes",
			recs: [][]byte{
				decWrap(decTFValue("q", scalarsMD, f32(1))),
				decWrap(decTFValue("q", decMeta("scalarz", 0), f32(2))),
			},
			want: []float64{1},
		},
		{
			desc: "metadata naming a data class only",
			recs: [][]byte{
				decWrap(tensor("c", scalarsMD, f32(1))),
				decWrap(tensor("c", &tbpb.SummaryMetadata{DataClass: tbpb.DataClass_DATA_CLASS_SCALAR}, f32(2))),
			},
			want: []float64{1},
		},
		{
			desc: "metadata naming no plugin",
			recs: [][]byte{
				decWrap(tensor("m", scalarsMD, f32(1))),
				decWrap(tensor("m", &tbpb.SummaryMetadata{DisplayName: "M"}, f32(2))),
			},
			want: []float64{1, 2},
		},
		{
			desc: "several values, the last a scalar",
			recs: [][]byte{
				decWrap(simple("a", 1), simple("b", 2)),
				decWrap(simple("a", 1), simple("b", 3)),
				decWrap(simple("a", 4), simple("b", 3)),
			},
			want: []float64{1, 2, 1, 3, 4, 3},
		},
		{
			desc: "simple_value of the wrong wire type",
			recs: [][]byte{
				decWrap([]byte{0x0a, 0x01, 'w', 0x12, 0x04, 0, 0, 0x80, 0x3f}),
				decWrap(simple("w", 1)),
			},
			want: []float64{1},
		},
		{
			desc: "bad scalar between good ones",
			recs: [][]byte{
				decWrap(tensor("s", scalarsMD, f32(1))),
				decWrap(tensor("s", nil, &tbpb.TensorProto{Dtype: tbpb.DataType_DT_FLOAT, FloatVal: []float32{1, 2}})),
				decWrap(tensor("s", nil, f32(3))),
			},
			want: []float64{1, 3},
		},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			t.Parallel()
			slow, fast := NewDecoder(), NewDecoder()
			var got []float64
			for i, rec := range tt.recs {
				vals, errSlow := slow.Record(nil, rec)
				pts, errFast := fast.AppendScalars(nil, rec)
				if (errSlow != nil) != (errFast != nil) {
					t.Errorf("record %d: Record error %v, AppendScalars error %v", i, errSlow, errFast)
				}
				if want := decScalars(vals); !decSamePoints(pts, want) {
					t.Errorf("record %d: AppendScalars gave %v, Record %v", i, pts, want)
				}
				for _, p := range pts {
					got = append(got, p.Value)
				}
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("scalars %v, want %v", got, tt.want)
			}
		})
	}
}

// TestAppendScalarsLayout checks that AppendScalars learns the layout of
// scalar summaries wherever the scalar's bytes are, and reads the same
// scalars from it as a full parse.
func TestAppendScalarsLayout(t *testing.T) {
	t.Parallel()
	md := decMeta("scalars", 0)
	tests := []struct {
		desc  string
		value func(x float32) []byte
	}{
		{"tbgo", func(x float32) []byte { return decValueBytes(decMust(ScalarValue("s", float64(x), Meta{}))) }},
		{"tensorboardX", func(x float32) []byte { return decValueBytes(decSimple("s", x)) }},
		{"TensorFlow", func(x float32) []byte {
			return decTFValue("s", md, &tbpb.TensorProto{Dtype: tbpb.DataType_DT_FLOAT, TensorContent: decF32(x)})
		}},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			t.Parallel()
			d := NewDecoder()
			xs := []float32{1, -2, float32(math.NaN()), float32(math.Inf(1)), 0}
			for i, x := range xs {
				rec := decWrap(tt.value(x))
				pts, err := d.AppendScalars(nil, rec)
				if err != nil {
					t.Fatal(err)
				}
				want := ScalarPoint{Tag: "s", Value: float64(x)}
				if !decSamePoints(pts, []ScalarPoint{want}) {
					t.Errorf("event %d: got %v, want %v", i, pts, want)
				}
				sum := rec[2:] // after the summary's key and one-byte length
				info := d.tags["s"]
				if info == nil || len(info.layout) != len(sum) {
					t.Fatalf("event %d: layout not learned", i)
				}
				at := info.at
				if !bytes.Equal(info.layout[:at], sum[:at]) || !bytes.Equal(info.layout[at+4:], sum[at+4:]) ||
					binary.LittleEndian.Uint32(sum[at:]) != math.Float32bits(x) {
					t.Errorf("event %d: layout places the scalar at %d of % x", i, at, sum)
				}
			}
		})
	}
}

func TestAppendScalarsAllocs(t *testing.T) {
	recs := decBenchRecords(1000)
	d := NewDecoder()
	var pts []ScalarPoint
	var err error
	for _, rec := range recs {
		if pts, err = d.AppendScalars(pts[:0], rec); err != nil {
			t.Fatal(err)
		}
	}
	i := 0
	allocs := testing.AllocsPerRun(1000, func() {
		pts, err = d.AppendScalars(pts[:0], recs[i%len(recs)])
		i++
	})
	if err != nil {
		t.Fatal(err)
	}
	if allocs != 0 {
		t.Errorf("AppendScalars allocated %v times per event once warm", allocs)
	}
	if len(pts) != 1 {
		t.Errorf("%d points from one scalar event", len(pts))
	}
}

// TestAppendScalarsKeepsNoRecord: once AppendScalars returns, the decoder
// holds no reference into the record it read, so a reader's buffer can be
// reused or freed (the data server keeps a decoder per run for hours).
func TestAppendScalarsKeepsNoRecord(t *testing.T) {
	d := NewDecoder()
	freed := make(chan struct{})
	func() {
		// Two values take the general wire path, which parses into the
		// decoder's scratch.
		rec := decMarshal(t, decEvent(3, decSimple("a", 1), decSimple("b", 2)))
		buf := new([1 << 16]byte)
		copy(buf[:], rec)
		runtime.SetFinalizer(buf, func(*[1 << 16]byte) { close(freed) })
		if pts, err := d.AppendScalars(nil, buf[:len(rec)]); err != nil || len(pts) != 2 {
			t.Fatalf("AppendScalars: %v, %v", pts, err)
		}
	}()
	for range 10 {
		runtime.GC()
		select {
		case <-freed:
			runtime.KeepAlive(d)
			return
		case <-time.After(20 * time.Millisecond):
		}
	}
	t.Error("the record's buffer is still reachable from the decoder")
}
