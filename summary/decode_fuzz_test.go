package summary

import (
	"bytes"
	"encoding/binary"
	"errors"
	"github.com/tbgo/tbgo/tfevents"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/tbgo/tbgo/proto/tbpb"
)

// decFrame joins records into one fuzz input, each preceded by its length
// as a uvarint; decUnframe splits them again.
func decFrame(recs ...[]byte) []byte {
	var b []byte
	for _, r := range recs {
		b = binary.AppendUvarint(b, uint64(len(r)))
		b = append(b, r...)
	}
	return b
}

// decUnframe splits data into records; what does not frame is the last
// record, so any input gives at least one.
func decUnframe(data []byte) [][]byte {
	var recs [][]byte
	for len(data) > 0 {
		n, k := binary.Uvarint(data)
		if k <= 0 || n > uint64(len(data)-k) {
			break
		}
		recs = append(recs, data[k:k+int(n)])
		data = data[k+int(n):]
	}
	return append(recs, data)
}

// decFuzzSeeds returns serialized events of every kind and form.
func decFuzzSeeds(t testing.TB) [][]byte {
	recs := decMixedRecords(t)
	add := func(ev *tbpb.Event) { recs = append(recs, decMarshal(t, ev)) }
	add(decEvent(1, &tbpb.Summary_Value{Tag: "h", Value: &tbpb.Summary_Value_Histo{Histo: &tbpb.HistogramProto{
		Min: 1, Max: 3, Num: 4, Sum: 8.5, SumSquares: 20.25, BucketLimit: []float64{1, 2, 3}, Bucket: []float64{0, 1, 3},
	}}}))
	add(decEvent(1, &tbpb.Summary_Value{Tag: "im", Value: &tbpb.Summary_Value_Image{Image: &tbpb.Summary_Image{
		Height: 1, Width: 1, Colorspace: 1, EncodedImageString: []byte("png"),
	}}}))
	add(decEvent(1, &tbpb.Summary_Value{Tag: "snd", Value: &tbpb.Summary_Value_Audio{Audio: &tbpb.Summary_Audio{
		SampleRate: 8000, NumChannels: 1, LengthFrames: 3, EncodedAudioString: []byte("wav"), ContentType: "audio/wav",
	}}}))
	add(decEvent(1, decTensor("a", decMeta("audio", 0), &tbpb.TensorProto{
		Dtype: tbpb.DataType_DT_STRING, TensorShape: shape(1, 2), StringVal: decStrings("wav", "label"),
	})))
	add(decEvent(1, decMust(ImageValue("img", 2, 2, [][]byte{[]byte("png")}, Meta{}))))
	add(decEvent(1, decMust(TableValue("tab", [][]string{{"a"}, {"b"}}, Meta{}))))
	add(decEvent(1, decTensor("pr", decMeta("pr_curves", 0), &tbpb.TensorProto{
		Dtype: tbpb.DataType_DT_FLOAT, TensorShape: shape(6, 1), FloatVal: []float32{1, 2, 3, 4, 5, 6},
	})))
	add(decEvent(1, decTensor("s", decMeta("scalars", 0), &tbpb.TensorProto{
		Dtype: tbpb.DataType_DT_INT32, TensorShape: shape(1), IntVal: []int32{-3},
	})))
	add(decEvent(1, &tbpb.Summary_Value{NodeName: "node", Metadata: decMeta("scalars", 0), Value: &tbpb.Summary_Value_Tensor{
		Tensor: &tbpb.TensorProto{Dtype: tbpb.DataType_DT_DOUBLE, DoubleVal: []float64{2}},
	}}))
	// Several values, a scalar last.
	add(decEvent(2, decSimple("a", 1), decSimple("b", 2)))
	add(decEvent(2, decMust(TextValue("t", "x", Meta{})), decMust(ScalarValue("s", 2, Meta{}))))
	// A scalar whose last four bytes are an int32's.
	add(decEvent(3, decTensor("i", decMeta("scalars", 0), &tbpb.TensorProto{
		Dtype: tbpb.DataType_DT_INT32, TensorContent: []byte{1, 2, 3, 4},
	})))
	// Fields after the scalar, in the value and in the summary.
	recs = append(recs,
		decWrap(decCat(decValueBytes(decSimple("a", 1)), decUnknown(10))),
		decCat(decWrap(decValueBytes(decSimple("a", 1))), decUnknown(10)),
	)
	// Fields protobuf merges.
	tensor := decValueBytes(decTensor("c", decMeta("scalars", 0), &tbpb.TensorProto{TensorContent: decF32(5)}))
	recs = append(recs,
		decWrap(decCat(tensor, decValueBytes(decTensor("", nil, &tbpb.TensorProto{Dtype: tbpb.DataType_DT_FLOAT, FloatVal: []float32{6}})))),
		decWrap(decCat(tensor, decValueBytes(decSimple("", 3)))),
		decCat(recs[len(recs)-1], decMarshal(t, decEvent(2, decSimple("b", 2)))),
	)
	add(&tbpb.Event{Step: 1, What: &tbpb.Event_SessionLog{SessionLog: &tbpb.SessionLog{Status: tbpb.SessionLog_START}}})
	return recs
}

func FuzzDecoder(f *testing.F) {
	seeds := decFuzzSeeds(f)
	for _, r := range seeds {
		f.Add(decFrame(r), uint8(0))
	}
	// Runs of events, where metadata is learned from earlier events.
	f.Add(decFrame(seeds[:12]...), uint8(0))
	f.Add(decFrame(seeds[len(seeds)-12:]...), uint8(0))
	// A scalar followed by 13 bytes of metadata, as TensorFlow writes it.
	tf := decWrap(decTFValue("tf", decMeta("scalars", 0), &tbpb.TensorProto{Dtype: tbpb.DataType_DT_FLOAT, TensorContent: decF32(1)}))
	f.Add(decFrame(tf), uint8(13))
	f.Add(decFrame(
		decMarshal(f, decEvent(1, decTensor("x", decMeta("scalars", 0), &tbpb.TensorProto{Dtype: tbpb.DataType_DT_FLOAT, FloatVal: []float32{1}}))),
		decMarshal(f, decEvent(2, decTensor("x", nil, &tbpb.TensorProto{Dtype: tbpb.DataType_DT_FLOAT, FloatVal: []float32{2}}))),
		decMarshal(f, decEvent(3, decTensor("x", nil, &tbpb.TensorProto{Dtype: tbpb.DataType_DT_FLOAT, FloatVal: []float32{3}}))),
	), uint8(0))

	f.Fuzz(func(t *testing.T, data []byte, back uint8) {
		recs := decUnframe(data)
		// A second pass over the records with four bytes changed, back
		// bytes before the end: where those are a scalar's, AppendScalars
		// reads them through a summary layout it learned in the first
		// pass, so this checks that it learned only layouts that hold.
		for _, r := range recs {
			if end := len(r) - int(back); end >= 4 {
				r = bytes.Clone(r)
				for i := end - 4; i < end; i++ {
					r[i] ^= 0xa5
				}
			}
			recs = append(recs, r)
		}
		slow, fast := NewDecoder(), NewDecoder()
		// The two decoders learn the same metadata from every record that
		// decodes as an Event. From one that does not, AppendScalars may
		// learn what Record does not: it reads only what it needs.
		inStep := true
		for i, rec := range recs {
			vals, errSlow := slow.Record(nil, rec)
			pts, errFast := fast.AppendScalars(nil, rec)
			for _, err := range []error{errSlow, errFast} {
				var d *tfevents.Damage
				if err != nil && (!errors.As(err, &d) || d.Kind != tfevents.NonFiniteWallTime && !errors.Is(err, ErrMalformed)) {
					t.Fatalf("record %d: error %q is not damage wrapping ErrMalformed", i, err)
				}
			}
			for _, v := range vals {
				decCheckValue(t, v)
			}
			if !inStep {
				continue
			}
			if proto.Unmarshal(rec, new(tbpb.Event)) != nil {
				inStep = false
				if errSlow == nil {
					t.Fatalf("record %d: Record decoded an invalid event", i)
				}
				continue
			}
			// Record leaves out bad values and reports them; the scalars
			// agree even then, and AppendScalars reports an error only
			// when Record does.
			if errFast != nil && errSlow == nil {
				t.Fatalf("record %d: Record succeeded, AppendScalars failed: %v", i, errFast)
			}
			if want := decScalars(vals); !decSamePoints(pts, want) {
				t.Fatalf("record %d: AppendScalars gave\n%v\nRecord gave\n%v", i, pts, want)
			}
		}
	})
}

// decCheckValue checks the invariants of a decoded value.
func decCheckValue(t *testing.T, v Value) {
	t.Helper()
	switch v.Kind {
	case KindScalar:
		if v.Plugin != PluginScalars {
			t.Errorf("scalar %q of plugin %q", v.Tag, v.Plugin)
		}
	case KindHistogram:
		if v.Buckets == nil {
			t.Errorf("histogram %q with nil buckets", v.Tag)
		}
	case KindImage:
		if v.Width < 0 || v.Height < 0 {
			t.Errorf("image %q of size %dx%d", v.Tag, v.Width, v.Height)
		}
	case KindAudio:
		if v.Labels != nil && len(v.Labels) != len(v.Blobs) {
			t.Errorf("audio %q: %d labels for %d clips", v.Tag, len(v.Labels), len(v.Blobs))
		}
	case KindText:
		n := int64(1)
		for _, d := range v.Shape {
			n *= d
		}
		if n != int64(len(v.Text)) {
			t.Errorf("text %q of shape %v has %d cells", v.Tag, v.Shape, len(v.Text))
		}
	}
	if v.Tensor != nil && len(v.Shape) != len(v.Tensor.GetTensorShape().GetDim()) {
		t.Errorf("%q: shape %v for a tensor of rank %d", v.Tag, v.Shape, len(v.Tensor.GetTensorShape().GetDim()))
	}
}
