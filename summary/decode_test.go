package summary

import (
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"image/color"
	"math"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/tbgo/tbgo/internal/media"
	"github.com/tbgo/tbgo/proto/tbpb"
	"github.com/tbgo/tbgo/tfevents"
)

// decWall is the wall time of decEvent's events at step 0.
const decWall = 1.7e9

// decEvent returns a summary event at step holding vals.
func decEvent(step int64, vals ...*tbpb.Summary_Value) *tbpb.Event {
	return &tbpb.Event{
		WallTime: decWall + float64(step),
		Step:     step,
		What:     &tbpb.Event_Summary{Summary: &tbpb.Summary{Value: vals}},
	}
}

// decBase returns the Value fields every value of decEvent(step) has.
func decBase(step int64, tag, plugin string, class tbpb.DataClass, kind Kind) Value {
	return Value{Step: step, WallTime: decWall + float64(step), Tag: tag, Plugin: plugin, DataClass: class, Kind: kind}
}

// decMust returns v, panicking on err: for fixtures built from known-good
// arguments.
func decMust(v *tbpb.Summary_Value, err error) *tbpb.Summary_Value {
	if err != nil {
		panic(err)
	}
	return v
}

func decMarshal(t testing.TB, ev *tbpb.Event) []byte {
	t.Helper()
	b, err := proto.MarshalOptions{Deterministic: true}.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// decSimple is a legacy scalar, as TF 1.x and tensorboardX write them.
func decSimple(tag string, v float32) *tbpb.Summary_Value {
	return &tbpb.Summary_Value{Tag: tag, Value: &tbpb.Summary_Value_SimpleValue{SimpleValue: v}}
}

// decTensor is a value holding t with metadata md (none if nil).
func decTensor(tag string, md *tbpb.SummaryMetadata, t *tbpb.TensorProto) *tbpb.Summary_Value {
	return &tbpb.Summary_Value{Tag: tag, Metadata: md, Value: &tbpb.Summary_Value_Tensor{Tensor: t}}
}

// decMeta is metadata naming plugin, with data class class.
func decMeta(plugin string, class tbpb.DataClass) *tbpb.SummaryMetadata {
	return &tbpb.SummaryMetadata{PluginData: &tbpb.SummaryMetadata_PluginData{PluginName: plugin}, DataClass: class}
}

func decF32(fs ...float32) []byte {
	var b []byte
	for _, f := range fs {
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(f))
	}
	return b
}

func decF64(fs ...float64) []byte {
	var b []byte
	for _, f := range fs {
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(f))
	}
	return b
}

func decStrings(ss ...string) [][]byte {
	out := make([][]byte, len(ss))
	for i, s := range ss {
		out[i] = []byte(s)
	}
	return out
}

// decDiff describes how got differs from want, "" if it does not. Tensors
// are compared with proto.Equal, everything else exactly (NaN equals NaN
// only bit for bit).
func decDiff(got, want []Value) string {
	if len(got) != len(want) {
		return fmt.Sprintf("got %d values, want %d\n got %+v\nwant %+v", len(got), len(want), got, want)
	}
	var diffs []string
	for i := range got {
		g, w := got[i], want[i]
		if !proto.Equal(g.Tensor, w.Tensor) {
			diffs = append(diffs, fmt.Sprintf("value %d: tensor\n got %v\nwant %v", i, g.Tensor, w.Tensor))
		}
		g.Tensor, w.Tensor = nil, nil
		if math.Float64bits(g.Scalar) == math.Float64bits(w.Scalar) {
			g.Scalar, w.Scalar = 0, 0
		}
		if !reflect.DeepEqual(g, w) {
			diffs = append(diffs, fmt.Sprintf("value %d:\n got %+v\nwant %+v", i, g, w))
		}
	}
	return strings.Join(diffs, "\n")
}

// decAll decodes evs in order with one Decoder and fails the test on an
// error.
func decAll(t *testing.T, evs ...*tbpb.Event) []Value {
	t.Helper()
	d := NewDecoder()
	var vals []Value
	for i, ev := range evs {
		var err error
		if vals, err = d.Event(vals, ev); err != nil {
			t.Fatalf("event %d: %v", i, err)
		}
	}
	return vals
}

func TestKindString(t *testing.T) {
	t.Parallel()
	tests := []struct {
		k    Kind
		want string
	}{
		{KindOther, "other"},
		{KindScalar, "scalar"},
		{KindHistogram, "histogram"},
		{KindImage, "image"},
		{KindAudio, "audio"},
		{KindText, "text"},
		{KindGraph, "graph"},
		{KindGraph + 1, "Kind(7)"},
		{-1, "Kind(-1)"},
	}
	for _, tt := range tests {
		if got := tt.k.String(); got != tt.want {
			t.Errorf("Kind(%d).String() = %q, want %q", int(tt.k), got, tt.want)
		}
	}
}

func TestDecodeEvent(t *testing.T) {
	t.Parallel()
	const (
		scalarClass = tbpb.DataClass_DATA_CLASS_SCALAR
		tensorClass = tbpb.DataClass_DATA_CLASS_TENSOR
		blobClass   = tbpb.DataClass_DATA_CLASS_BLOB_SEQUENCE
		noClass     = tbpb.DataClass_DATA_CLASS_UNKNOWN
	)
	with := func(v Value, f func(*Value)) Value { f(&v); return v }

	// tbgo's own values.
	scalar := decMust(ScalarValue("loss", 0.25, Meta{DisplayName: "Loss", Description: "*training* loss"}))
	hb, err := Buckets(nil, []float64{1, 2, 2, 3, 10}, 4)
	if err != nil {
		t.Fatal(err)
	}
	hist := decMust(HistogramValue("w", hb, Meta{}))
	emptyHist := decMust(HistogramValue("w", []Bucket{}, Meta{}))
	img := decMust(ImageValue("img", 3, 2, [][]byte{[]byte("png0"), []byte("png1")}, Meta{}))
	text := decMust(TextValue("notes", "# hi", Meta{}))
	table := decMust(TableValue("table", [][]string{{"a", "b"}, {"c", "d"}, {"e", "f"}}, Meta{}))

	// TF2 tensor forms written by hand.
	tfScalar := &tbpb.TensorProto{Dtype: tbpb.DataType_DT_FLOAT, TensorShape: &tbpb.TensorShapeProto{}, TensorContent: decF32(1.5)}
	tfDouble := &tbpb.TensorProto{Dtype: tbpb.DataType_DT_DOUBLE, DoubleVal: []float64{math.Pi}}
	tfInt64 := &tbpb.TensorProto{Dtype: tbpb.DataType_DT_INT64, TensorShape: shape(1), Int64Val: []int64{-7}}
	tfInt32 := &tbpb.TensorProto{Dtype: tbpb.DataType_DT_INT32, TensorShape: shape(1, 1), TensorContent: []byte{0xfe, 0xff, 0xff, 0xff}}
	tfNaN := &tbpb.TensorProto{Dtype: tbpb.DataType_DT_FLOAT, FloatVal: []float32{float32(math.NaN())}}
	tfHist := &tbpb.TensorProto{Dtype: tbpb.DataType_DT_DOUBLE, TensorShape: shape(2, 3), TensorContent: decF64(0, 0.5, 3, 0.5, 1, 4)}
	tfHist32 := &tbpb.TensorProto{Dtype: tbpb.DataType_DT_FLOAT, TensorShape: shape(1, 3), FloatVal: []float32{-1, 1, 2}}
	tfHistEmpty := &tbpb.TensorProto{Dtype: tbpb.DataType_DT_DOUBLE, TensorShape: shape(0, 3)}
	audio2 := &tbpb.TensorProto{Dtype: tbpb.DataType_DT_STRING, TensorShape: shape(2, 2), StringVal: decStrings("wav0", "first", "wav1", "")}
	audio1 := &tbpb.TensorProto{Dtype: tbpb.DataType_DT_STRING, TensorShape: shape(1), StringVal: decStrings("wav0")}
	wavContent := marshalContent(&tbpb.AudioPluginData{Encoding: tbpb.AudioPluginData_WAV})
	pr := &tbpb.TensorProto{Dtype: tbpb.DataType_DT_FLOAT, TensorShape: shape(6, 2), TensorContent: decF32(1, 0, 1, 0, 0, 1, 0, 1, 0.5, 0, 1, 0)}
	prContent := marshalContent(&tbpb.PrCurvePluginData{NumThresholds: 2})
	custom := &tbpb.TensorProto{Dtype: tbpb.DataType_DT_INT32, TensorShape: shape(2), IntVal: []int32{1, 2}}

	// Legacy values as tensorboardX writes them.
	tbxHisto := &tbpb.Summary_Value{Tag: "h", Value: &tbpb.Summary_Value_Histo{Histo: &tbpb.HistogramProto{
		// make_histogram([1, 2, 2.5, 3], bins=2): np.histogram gives edges
		// [1, 2, 3] and counts [1, 3]; tensorboardX prepends an empty
		// bucket whose limit is the lowest edge.
		Min: 1, Max: 3, Num: 4, Sum: 8.5, SumSquares: 20.25,
		BucketLimit: []float64{1, 2, 3},
		Bucket:      []float64{0, 1, 3},
	}}}
	tfHisto := &tbpb.Summary_Value{Tag: "h", Value: &tbpb.Summary_Value_Histo{Histo: &tbpb.HistogramProto{
		// TF 1.x: empty buckets at both ends and one in the middle.
		Min: -0.5, Max: 1.5, Num: 3,
		BucketLimit: []float64{-1, 0, 1, 2, math.MaxFloat64},
		Bucket:      []float64{0, 2, 0, 1, 0},
	}}}
	emptyHisto := &tbpb.Summary_Value{Tag: "h", Value: &tbpb.Summary_Value_Histo{Histo: &tbpb.HistogramProto{
		Min: math.MaxFloat64, Max: -math.MaxFloat64, BucketLimit: []float64{0, 1}, Bucket: []float64{0, 0},
	}}}
	legacyImage := &tbpb.Summary_Value{Tag: "im", Value: &tbpb.Summary_Value_Image{Image: &tbpb.Summary_Image{
		Height: 4, Width: 5, Colorspace: 3, EncodedImageString: []byte("\x89PNG"),
	}}}
	legacyAudio := &tbpb.Summary_Value{Tag: "snd", Value: &tbpb.Summary_Value_Audio{Audio: &tbpb.Summary_Audio{
		SampleRate: 44100, NumChannels: 2, LengthFrames: 10, EncodedAudioString: []byte("RIFF"), ContentType: "audio/wav",
	}}}

	tests := []struct {
		desc string
		evs  []*tbpb.Event
		want []Value
	}{
		{
			desc: "tbgo scalar",
			evs:  []*tbpb.Event{decEvent(1, scalar)},
			want: []Value{with(decBase(1, "loss", "scalars", scalarClass, KindScalar), func(v *Value) {
				v.Scalar, v.Tensor, v.Meta = 0.25, scalar.GetTensor(), Meta{DisplayName: "Loss", Description: "*training* loss"}
			})},
		},
		{
			desc: "tbgo histogram",
			evs:  []*tbpb.Event{decEvent(2, hist), decEvent(3, emptyHist)},
			want: []Value{
				with(decBase(2, "w", "histograms", tensorClass, KindHistogram), func(v *Value) {
					v.Buckets, v.Tensor, v.Shape = hb, hist.GetTensor(), []int64{4, 3}
				}),
				with(decBase(3, "w", "histograms", tensorClass, KindHistogram), func(v *Value) {
					v.Buckets, v.Tensor, v.Shape = []Bucket{}, emptyHist.GetTensor(), []int64{0, 3}
				}),
			},
		},
		{
			desc: "tbgo image",
			evs:  []*tbpb.Event{decEvent(0, img)},
			want: []Value{with(decBase(0, "img", "images", blobClass, KindImage), func(v *Value) {
				v.Width, v.Height, v.Blobs = 3, 2, decStrings("png0", "png1")
				v.Tensor, v.Shape = img.GetTensor(), []int64{4}
			})},
		},
		{
			desc: "tbgo text and table",
			evs:  []*tbpb.Event{decEvent(5, text, table)},
			want: []Value{
				with(decBase(5, "notes", "text", tensorClass, KindText), func(v *Value) {
					v.Text, v.Tensor = []string{"# hi"}, text.GetTensor()
				}),
				with(decBase(5, "table", "text", tensorClass, KindText), func(v *Value) {
					v.Text, v.Shape, v.Tensor = []string{"a", "b", "c", "d", "e", "f"}, []int64{3, 2}, table.GetTensor()
				}),
			},
		},
		{
			desc: "tensorboardX simple_value",
			evs:  []*tbpb.Event{decEvent(1, decSimple("acc", 0.1)), decEvent(2, decSimple("acc", float32(math.Inf(-1))))},
			want: []Value{
				with(decBase(1, "acc", "scalars", scalarClass, KindScalar), func(v *Value) { v.Scalar = float64(float32(0.1)) }),
				with(decBase(2, "acc", "scalars", scalarClass, KindScalar), func(v *Value) { v.Scalar = math.Inf(-1) }),
			},
		},
		{
			desc: "TF2 scalars",
			evs: []*tbpb.Event{decEvent(1,
				decTensor("f", decMeta("scalars", noClass), tfScalar),
				decTensor("d", decMeta("scalars", scalarClass), tfDouble),
				decTensor("i64", decMeta("scalars", scalarClass), tfInt64),
				decTensor("i32", decMeta("scalars", scalarClass), tfInt32),
				decTensor("nan", decMeta("scalars", scalarClass), tfNaN),
			)},
			want: []Value{
				with(decBase(1, "f", "scalars", scalarClass, KindScalar), func(v *Value) { v.Scalar, v.Tensor = 1.5, tfScalar }),
				with(decBase(1, "d", "scalars", scalarClass, KindScalar), func(v *Value) { v.Scalar, v.Tensor = math.Pi, tfDouble }),
				with(decBase(1, "i64", "scalars", scalarClass, KindScalar), func(v *Value) {
					v.Scalar, v.Tensor, v.Shape = -7, tfInt64, []int64{1}
				}),
				with(decBase(1, "i32", "scalars", scalarClass, KindScalar), func(v *Value) {
					v.Scalar, v.Tensor, v.Shape = -2, tfInt32, []int64{1, 1}
				}),
				with(decBase(1, "nan", "scalars", scalarClass, KindScalar), func(v *Value) {
					v.Scalar, v.Tensor = float64(float32(math.NaN())), tfNaN
				}),
			},
		},
		{
			desc: "TF2 histograms",
			evs: []*tbpb.Event{decEvent(7,
				decTensor("h64", decMeta("histograms", tensorClass), tfHist),
				decTensor("h32", decMeta("histograms", noClass), tfHist32),
				decTensor("h0", decMeta("histograms", tensorClass), tfHistEmpty),
			)},
			want: []Value{
				with(decBase(7, "h64", "histograms", tensorClass, KindHistogram), func(v *Value) {
					v.Buckets, v.Tensor, v.Shape = []Bucket{{0, 0.5, 3}, {0.5, 1, 4}}, tfHist, []int64{2, 3}
				}),
				with(decBase(7, "h32", "histograms", tensorClass, KindHistogram), func(v *Value) {
					v.Buckets, v.Tensor, v.Shape = []Bucket{{-1, 1, 2}}, tfHist32, []int64{1, 3}
				}),
				with(decBase(7, "h0", "histograms", tensorClass, KindHistogram), func(v *Value) {
					v.Buckets, v.Tensor, v.Shape = []Bucket{}, tfHistEmpty, []int64{0, 3}
				}),
			},
		},
		{
			desc: "metadata on the first value of a tag only",
			evs: []*tbpb.Event{
				decEvent(1, decTensor("x", &tbpb.SummaryMetadata{
					PluginData: &tbpb.SummaryMetadata_PluginData{PluginName: "scalars"}, DisplayName: "X",
				}, tfScalar)),
				decEvent(2, decTensor("x", nil, tfDouble), decTensor("h", decMeta("histograms", noClass), tfHist32)),
				// An empty metadata message carries nothing either.
				decEvent(3, decTensor("x", &tbpb.SummaryMetadata{}, tfInt64), decTensor("h", nil, tfHist)),
			},
			want: []Value{
				with(decBase(1, "x", "scalars", scalarClass, KindScalar), func(v *Value) {
					v.Scalar, v.Tensor, v.Meta = 1.5, tfScalar, Meta{DisplayName: "X"}
				}),
				with(decBase(2, "x", "scalars", scalarClass, KindScalar), func(v *Value) {
					v.Scalar, v.Tensor, v.Meta = math.Pi, tfDouble, Meta{DisplayName: "X"}
				}),
				with(decBase(2, "h", "histograms", tensorClass, KindHistogram), func(v *Value) {
					v.Buckets, v.Tensor, v.Shape = []Bucket{{-1, 1, 2}}, tfHist32, []int64{1, 3}
				}),
				with(decBase(3, "x", "scalars", scalarClass, KindScalar), func(v *Value) {
					v.Scalar, v.Tensor, v.Shape, v.Meta = -7, tfInt64, []int64{1}, Meta{DisplayName: "X"}
				}),
				with(decBase(3, "h", "histograms", tensorClass, KindHistogram), func(v *Value) {
					v.Buckets, v.Tensor, v.Shape = []Bucket{{0, 0.5, 3}, {0.5, 1, 4}}, tfHist, []int64{2, 3}
				}),
			},
		},
		{
			desc: "own metadata wins over the series'",
			evs: []*tbpb.Event{
				decEvent(1, decTensor("x", decMeta("scalars", noClass), tfScalar)),
				decEvent(2, decTensor("x", decMeta("histograms", noClass), tfHist32)),
			},
			want: []Value{
				with(decBase(1, "x", "scalars", scalarClass, KindScalar), func(v *Value) { v.Scalar, v.Tensor = 1.5, tfScalar }),
				with(decBase(2, "x", "histograms", tensorClass, KindHistogram), func(v *Value) {
					v.Buckets, v.Tensor, v.Shape = []Bucket{{-1, 1, 2}}, tfHist32, []int64{1, 3}
				}),
			},
		},
		{
			desc: "a legacy value sets the series' plugin",
			evs: []*tbpb.Event{
				decEvent(1, decSimple("x", 2)),
				decEvent(2, decTensor("x", nil, tfScalar)),
			},
			want: []Value{
				with(decBase(1, "x", "scalars", scalarClass, KindScalar), func(v *Value) { v.Scalar = 2 }),
				with(decBase(2, "x", "scalars", scalarClass, KindScalar), func(v *Value) { v.Scalar, v.Tensor = 1.5, tfScalar }),
			},
		},
		{
			desc: "tensor with no metadata anywhere",
			evs:  []*tbpb.Event{decEvent(1, decTensor("x", nil, tfScalar)), decEvent(2, decTensor("x", decMeta("scalars", noClass), tfDouble))},
			want: []Value{
				with(decBase(1, "x", "", noClass, KindOther), func(v *Value) { v.Tensor = tfScalar }),
				with(decBase(2, "x", "scalars", scalarClass, KindScalar), func(v *Value) { v.Scalar, v.Tensor = math.Pi, tfDouble }),
			},
		},
		{
			desc: "tensorboardX histo with empty first bucket",
			evs:  []*tbpb.Event{decEvent(4, tbxHisto)},
			want: []Value{with(decBase(4, "h", "histograms", tensorClass, KindHistogram), func(v *Value) {
				v.Buckets = []Bucket{{1, 2, 1}, {2, 3, 3}}
			})},
		},
		{
			desc: "TF 1.x histo with empty edge and middle buckets",
			evs:  []*tbpb.Event{decEvent(4, tfHisto)},
			want: []Value{with(decBase(4, "h", "histograms", tensorClass, KindHistogram), func(v *Value) {
				v.Buckets = []Bucket{{-0.5, 0, 2}, {0, 1, 0}, {1, 1.5, 1}}
			})},
		},
		{
			desc: "histo with no counts",
			evs:  []*tbpb.Event{decEvent(4, emptyHisto)},
			want: []Value{with(decBase(4, "h", "histograms", tensorClass, KindHistogram), func(v *Value) {
				v.Buckets = []Bucket{}
			})},
		},
		{
			desc: "legacy value with metadata",
			evs: []*tbpb.Event{decEvent(1, &tbpb.Summary_Value{
				Tag: "m", Value: &tbpb.Summary_Value_SimpleValue{SimpleValue: 1},
				Metadata: &tbpb.SummaryMetadata{
					PluginData:  &tbpb.SummaryMetadata_PluginData{PluginName: "ignored", Content: []byte("ignored")},
					DisplayName: "M", SummaryDescription: "kept",
				},
			})},
			want: []Value{with(decBase(1, "m", "scalars", scalarClass, KindScalar), func(v *Value) {
				v.Scalar, v.Meta = 1, Meta{DisplayName: "M", Description: "kept"}
			})},
		},
		{
			desc: "legacy image and audio",
			evs:  []*tbpb.Event{decEvent(9, legacyImage, legacyAudio)},
			want: []Value{
				with(decBase(9, "im", "images", blobClass, KindImage), func(v *Value) {
					v.Width, v.Height, v.Blobs = 5, 4, decStrings("\x89PNG")
				}),
				with(decBase(9, "snd", "audio", blobClass, KindAudio), func(v *Value) {
					v.SampleRate, v.Channels, v.Frames, v.ContentType = 44100, 2, 10, "audio/wav"
					v.Blobs = decStrings("RIFF")
				}),
			},
		},
		{
			desc: "audio tensors",
			evs: []*tbpb.Event{decEvent(1,
				decTensor("a2", &tbpb.SummaryMetadata{
					PluginData: &tbpb.SummaryMetadata_PluginData{PluginName: "audio", Content: wavContent},
					DataClass:  blobClass,
				}, audio2),
				decTensor("a1", decMeta("audio", noClass), audio1),
			)},
			want: []Value{
				with(decBase(1, "a2", "audio", blobClass, KindAudio), func(v *Value) {
					v.Blobs, v.Labels, v.ContentType = decStrings("wav0", "wav1"), []string{"first", ""}, "audio/wav"
					v.Content, v.Tensor, v.Shape = wavContent, audio2, []int64{2, 2}
				}),
				with(decBase(1, "a1", "audio", blobClass, KindAudio), func(v *Value) {
					v.Blobs, v.Tensor, v.Shape = decStrings("wav0"), audio1, []int64{1}
				}),
			},
		},
		{
			desc: "plugins not interpreted",
			evs: []*tbpb.Event{decEvent(3,
				decTensor("pr", &tbpb.SummaryMetadata{
					PluginData: &tbpb.SummaryMetadata_PluginData{PluginName: "pr_curves", Content: prContent},
				}, pr),
				decTensor("mine", decMeta("my_plugin", tensorClass), custom),
				decTensor("unknown", decMeta("my_plugin2", noClass), custom),
				// tensorboardX's hparams values have metadata and no data.
				&tbpb.Summary_Value{Tag: "_hparams_/session_start_info", Metadata: &tbpb.SummaryMetadata{
					PluginData: &tbpb.SummaryMetadata_PluginData{PluginName: "hparams", Content: []byte{0x1a, 0x00}},
				}},
				// Neither data nor plugin: nothing.
				&tbpb.Summary_Value{Tag: "nothing"},
				&tbpb.Summary_Value{Tag: "obsolete", Value: &tbpb.Summary_Value_ObsoleteOldStyleHistogram{ObsoleteOldStyleHistogram: []byte{1}}},
			)},
			want: []Value{
				with(decBase(3, "pr", "pr_curves", tensorClass, KindOther), func(v *Value) {
					v.Content, v.Tensor, v.Shape = prContent, pr, []int64{6, 2}
				}),
				with(decBase(3, "mine", "my_plugin", tensorClass, KindOther), func(v *Value) {
					v.Tensor, v.Shape = custom, []int64{2}
				}),
				with(decBase(3, "unknown", "my_plugin2", noClass, KindOther), func(v *Value) {
					v.Tensor, v.Shape = custom, []int64{2}
				}),
				with(decBase(3, "_hparams_/session_start_info", "hparams", tensorClass, KindOther), func(v *Value) {
					v.Content = []byte{0x1a, 0x00}
				}),
			},
		},
		{
			desc: "node_name stands in for an empty tag",
			evs: []*tbpb.Event{decEvent(1, &tbpb.Summary_Value{
				NodeName: "old/node", Metadata: decMeta("scalars", noClass),
				Value: &tbpb.Summary_Value_Tensor{Tensor: tfScalar},
			})},
			want: []Value{with(decBase(1, "old/node", "scalars", scalarClass, KindScalar), func(v *Value) {
				v.Scalar, v.Tensor = 1.5, tfScalar
			})},
		},
		{
			desc: "graphs",
			evs: []*tbpb.Event{
				{WallTime: decWall, Step: 0, What: &tbpb.Event_GraphDef{GraphDef: []byte("graph")}},
				{WallTime: decWall + 1, Step: 1, What: &tbpb.Event_TaggedRunMetadata{TaggedRunMetadata: &tbpb.TaggedRunMetadata{
					Tag: "step1", RunMetadata: []byte("meta"),
				}}},
			},
			want: []Value{
				with(decBase(0, "__run_graph__", "graphs", blobClass, KindGraph), func(v *Value) { v.Blobs = decStrings("graph") }),
				with(decBase(1, "step1", "graph_tagged_run_metadata", blobClass, KindGraph), func(v *Value) { v.Blobs = decStrings("meta") }),
			},
		},
		{
			desc: "events with no values",
			evs: []*tbpb.Event{
				{WallTime: decWall, What: &tbpb.Event_FileVersion{FileVersion: "brain.Event:2"}},
				{WallTime: decWall, What: &tbpb.Event_SessionLog{SessionLog: &tbpb.SessionLog{Status: tbpb.SessionLog_START}}},
				{WallTime: decWall, What: &tbpb.Event_LogMessage{LogMessage: &tbpb.LogMessage{Message: "hi"}}},
				{WallTime: decWall, What: &tbpb.Event_MetaGraphDef{MetaGraphDef: []byte("meta graph")}},
				{WallTime: decWall},
				decEvent(1),
				nil,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			t.Parallel()
			got := decAll(t, tt.evs...)
			if d := decDiff(got, tt.want); d != "" {
				t.Error(d)
			}
			// Record agrees with Event, and AppendScalars with both.
			d, fast := NewDecoder(), NewDecoder()
			var recorded []Value
			var scalars []ScalarPoint
			for i, ev := range tt.evs {
				b := decMarshal(t, ev)
				var err error
				if recorded, err = d.Record(recorded, b); err != nil {
					t.Fatalf("Record event %d: %v", i, err)
				}
				if scalars, err = fast.AppendScalars(scalars, b); err != nil {
					t.Fatalf("AppendScalars event %d: %v", i, err)
				}
			}
			if d := decDiff(recorded, tt.want); d != "" {
				t.Errorf("Record: %s", d)
			}
			if want := decScalars(tt.want); !decSamePoints(scalars, want) {
				t.Errorf("AppendScalars gave %v, want %v", scalars, want)
			}
		})
	}
}

// decScalars returns the scalar points of vals.
func decScalars(vals []Value) []ScalarPoint {
	var pts []ScalarPoint
	for _, v := range vals {
		if v.Kind == KindScalar {
			pts = append(pts, ScalarPoint{Tag: v.Tag, Step: v.Step, WallTime: v.WallTime, Value: v.Scalar})
		}
	}
	return pts
}

// decSamePoints reports whether a and b are equal, comparing floats bit
// for bit.
func decSamePoints(a, b []ScalarPoint) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		x, y := a[i], b[i]
		if x.Tag != y.Tag || x.Step != y.Step ||
			math.Float64bits(x.WallTime) != math.Float64bits(y.WallTime) ||
			math.Float64bits(x.Value) != math.Float64bits(y.Value) {
			return false
		}
	}
	return true
}

func TestDecodeErrors(t *testing.T) {
	t.Parallel()
	scalars := decMeta("scalars", tbpb.DataClass_DATA_CLASS_SCALAR)
	histograms := decMeta("histograms", tbpb.DataClass_DATA_CLASS_TENSOR)
	images := decMeta("images", tbpb.DataClass_DATA_CLASS_BLOB_SEQUENCE)
	huge := shape(1<<40, 1<<40, 1<<40)
	tests := []struct {
		desc string
		v    *tbpb.Summary_Value
		want string // in the error message, after the tag
	}{
		{"scalar of two elements", decTensor("s", scalars, &tbpb.TensorProto{
			Dtype: tbpb.DataType_DT_FLOAT, TensorShape: shape(2), FloatVal: []float32{1, 2},
		}), "scalar tensor has shape [2], want one element"},
		{"scalar of two values", decTensor("s", scalars, &tbpb.TensorProto{
			Dtype: tbpb.DataType_DT_FLOAT, FloatVal: []float32{1, 2},
		}), "scalar tensor has 2 values, want 1"},
		{"scalar of no values", decTensor("s", scalars, &tbpb.TensorProto{Dtype: tbpb.DataType_DT_DOUBLE}),
			"scalar tensor has 0 values, want 1"},
		{"scalar content too short", decTensor("s", scalars, &tbpb.TensorProto{
			Dtype: tbpb.DataType_DT_FLOAT, TensorContent: []byte{1, 2, 3},
		}), "scalar tensor_content has 3 bytes, want 4 for DT_FLOAT"},
		{"scalar string", decTensor("s", scalars, &tbpb.TensorProto{
			Dtype: tbpb.DataType_DT_STRING, StringVal: decStrings("1"),
		}), "scalar tensor has dtype DT_STRING, want DT_FLOAT, DT_DOUBLE, DT_INT32 or DT_INT64"},
		{"scalar without data", &tbpb.Summary_Value{Tag: "s", Metadata: scalars}, "no data"},
		{"histogram rank 1", decTensor("h", histograms, &tbpb.TensorProto{
			Dtype: tbpb.DataType_DT_DOUBLE, TensorShape: shape(3), DoubleVal: []float64{1, 2, 3},
		}), "histogram tensor has shape [3], want [k 3]"},
		{"histogram of 4 columns", decTensor("h", histograms, &tbpb.TensorProto{
			Dtype: tbpb.DataType_DT_DOUBLE, TensorShape: shape(1, 4), DoubleVal: []float64{1, 2, 3, 4},
		}), "histogram tensor has shape [1 4], want [k 3]"},
		{"histogram shorter than its shape", decTensor("h", histograms, &tbpb.TensorProto{
			Dtype: tbpb.DataType_DT_DOUBLE, TensorShape: shape(2, 3), TensorContent: decF64(1, 2, 3),
		}), "histogram tensor_content has 24 bytes, want 6 elements of 8"},
		{"histogram of huge shape", decTensor("h", histograms, &tbpb.TensorProto{
			Dtype: tbpb.DataType_DT_FLOAT, TensorShape: shape(math.MaxInt64/3, 3), FloatVal: []float32{1, 2, 3},
		}), "histogram tensor has 3 values, want 9223372036854775806"},
		{"histogram of ints", decTensor("h", histograms, &tbpb.TensorProto{
			Dtype: tbpb.DataType_DT_INT32, TensorShape: shape(1, 3), IntVal: []int32{1, 2, 3},
		}), "histogram tensor has dtype DT_INT32, want DT_DOUBLE or DT_FLOAT"},
		{"histo limits and counts differ", &tbpb.Summary_Value{Tag: "h", Value: &tbpb.Summary_Value_Histo{Histo: &tbpb.HistogramProto{
			BucketLimit: []float64{1, 2}, Bucket: []float64{1},
		}}}, "histo has 2 bucket limits and 1 counts"},
		{"image width not a number", decTensor("i", images, &tbpb.TensorProto{
			Dtype: tbpb.DataType_DT_STRING, TensorShape: shape(3), StringVal: decStrings("wide", "2", "png"),
		}), `image width "wide" is not a size`},
		{"image height negative", decTensor("i", images, &tbpb.TensorProto{
			Dtype: tbpb.DataType_DT_STRING, TensorShape: shape(3), StringVal: decStrings("1", "-2", "png"),
		}), `image height "-2" is not a size`},
		{"image without size", decTensor("i", images, &tbpb.TensorProto{
			Dtype: tbpb.DataType_DT_STRING, TensorShape: shape(1), StringVal: decStrings("png"),
		}), "image tensor has shape [1], want [2+n]"},
		{"image shape disagrees with data", decTensor("i", images, &tbpb.TensorProto{
			Dtype: tbpb.DataType_DT_STRING, TensorShape: shape(5), StringVal: decStrings("1", "1", "png"),
		}), "image tensor has shape [5] but 3 strings"},
		{"image shape overflows", decTensor("i", images, &tbpb.TensorProto{
			Dtype: tbpb.DataType_DT_STRING, TensorShape: huge, StringVal: decStrings("1", "1", "png"),
		}), "image tensor has shape [1099511627776 1099511627776 1099511627776] but 3 strings"},
		{"image of rank 2", decTensor("i", images, &tbpb.TensorProto{
			Dtype: tbpb.DataType_DT_STRING, TensorShape: shape(2, 2), StringVal: decStrings("1", "1", "png", "png"),
		}), "image tensor has shape [2 2], want [2+n]"},
		{"audio of 3 columns", decTensor("a", decMeta("audio", 0), &tbpb.TensorProto{
			Dtype: tbpb.DataType_DT_STRING, TensorShape: shape(1, 3), StringVal: decStrings("wav", "a", "b"),
		}), "audio tensor has shape [1 3], want [k] or [k 2]"},
		{"text of floats", decTensor("t", decMeta("text", 0), &tbpb.TensorProto{
			Dtype: tbpb.DataType_DT_FLOAT, FloatVal: []float32{1},
		}), "text tensor has dtype DT_FLOAT, want DT_STRING"},
		{"text of huge shape", decTensor("t", decMeta("text", 0), &tbpb.TensorProto{
			Dtype: tbpb.DataType_DT_STRING, TensorShape: shape(1 << 40), StringVal: decStrings("x"),
		}), "text tensor has shape [1099511627776] but 1 strings"},
		// 5 × 7378697629483820647 wraps around to 3 in int64.
		{"text of shape overflowing to its length", decTensor("t", decMeta("text", 0), &tbpb.TensorProto{
			Dtype: tbpb.DataType_DT_STRING, TensorShape: shape(5, 7378697629483820647), StringVal: decStrings("x", "y", "z"),
		}), "text tensor has shape [5 7378697629483820647] but 3 strings"},
		{"text of negative shape", decTensor("t", decMeta("text", 0), &tbpb.TensorProto{
			Dtype: tbpb.DataType_DT_STRING, TensorShape: shape(-1), StringVal: decStrings("x"),
		}), "text tensor has shape [-1] but 1 strings"},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			t.Parallel()
			good := decSimple("good", 1)
			ev := decEvent(3, good, tt.v, good)
			for _, path := range []string{"Event", "Record"} {
				var got []Value
				var err error
				if path == "Event" {
					got, err = NewDecoder().Event(nil, ev)
				} else {
					got, err = NewDecoder().Record(nil, decMarshal(t, ev))
				}
				if !errors.Is(err, ErrMalformed) {
					t.Fatalf("%s: error %v, want ErrMalformed", path, err)
				}
				want := fmt.Sprintf("summary: malformed value: %q at step 3: %s", tt.v.GetTag(), tt.want)
				var d *tfevents.Damage
				if !errors.As(err, &d) || d.Kind != tfevents.InvalidValue || d.Count != 1 || d.Err.Error() != want {
					t.Errorf("%s: error\n %q\nwant invalid value damage of one value, described as\n %q", path, err, want)
				}
				// The good values around the bad one still decode.
				if len(got) != 2 || got[0].Tag != "good" || got[1].Tag != "good" {
					t.Errorf("%s: got %+v, want the two good values", path, got)
				}
			}
			// AppendScalars agrees on the scalars and reports the same
			// error when a scalar is bad.
			pts, err := NewDecoder().AppendScalars(nil, decMarshal(t, ev))
			if len(pts) != 2 || pts[0].Tag != "good" || pts[1].Tag != "good" {
				t.Errorf("AppendScalars: got %+v, want the two good scalars", pts)
			}
			isScalar := tt.v.GetMetadata().GetPluginData().GetPluginName() == PluginScalars
			if isScalar && !errors.Is(err, ErrMalformed) || !isScalar && err != nil {
				t.Errorf("AppendScalars: error %v", err)
			}
		})
	}
}

func TestRecordMalformed(t *testing.T) {
	t.Parallel()
	tests := []struct {
		desc   string
		record []byte
	}{
		{"truncated varint", []byte{0x10, 0x80}},
		{"length past the end", []byte{0x2a, 0x05, 0x0a}},
		{"field number 0", []byte{0x00, 0x01}},
		// proto.Marshal refuses to write this one.
		{"invalid UTF-8 tag", []byte{
			0x2a, 0x0a, // summary
			0x0a, 0x08, // value
			0x0a, 0x01, 0xff, // tag
			0x15, 0x00, 0x00, 0x80, 0x3f, // simple_value 1
		}},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			t.Parallel()
			d := NewDecoder()
			dst := []Value{{Tag: "kept"}}
			got, err := d.Record(dst, tt.record)
			var dmg *tfevents.Damage
			if !errors.Is(err, ErrMalformed) || !errors.As(err, &dmg) || dmg.Kind != tfevents.InvalidEvent ||
				!strings.HasPrefix(dmg.Err.Error(), "summary: malformed value: event does not decode: ") {
				t.Errorf("Record error %v, want invalid event damage wrapping ErrMalformed", err)
			}
			if len(got) != 1 {
				t.Errorf("Record appended %d values to dst", len(got)-1)
			}
			pts, err := d.AppendScalars([]ScalarPoint{{Tag: "kept"}}, tt.record)
			if !errors.Is(err, ErrMalformed) {
				t.Errorf("AppendScalars error %v, want ErrMalformed", err)
			}
			if len(pts) != 1 {
				t.Errorf("AppendScalars appended %d points to dst", len(pts)-1)
			}
			if len(d.tags) != 0 {
				t.Errorf("decoder learned tags %v from a malformed record", d.tags)
			}
		})
	}
}

// TestRecordDoesNotAlias checks that Values outlive the record buffer, which
// tfevents.Reader reuses.
func TestRecordDoesNotAlias(t *testing.T) {
	t.Parallel()
	img := decMust(ImageValue("img", 1, 1, [][]byte{[]byte("png")}, Meta{}))
	rec := decMarshal(t, decEvent(1, img))
	vals, err := NewDecoder().Record(nil, rec)
	if err != nil {
		t.Fatal(err)
	}
	clear(rec)
	if len(vals) != 1 || string(vals[0].Blobs[0]) != "png" || vals[0].Tag != "img" {
		t.Errorf("after the record was overwritten: %+v", vals)
	}
}

// TestWriterRoundTripDecode writes everything the Writer writes, reads the
// file back and decodes it.
func TestWriterRoundTripDecode(t *testing.T) {
	t.Parallel()
	now := time.Unix(1700000000, 500_000_000)
	wall := tfevents.WallTime(now)
	dir := t.TempDir()
	w, err := NewWriter(dir, &Options{Now: func() time.Time { return now }, FlushInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	gray := image.NewGray(image.Rect(0, 0, 3, 2))
	gray.SetGray(1, 1, color.Gray{Y: 200})
	var enc media.PNGEncoder
	png, err := enc.AppendPNG(nil, gray)
	if err != nil {
		t.Fatal(err)
	}
	histValues := []float64{-1, 0, 0.5, 2, 2, 7}
	hb, err := Buckets(nil, histValues, 0)
	if err != nil {
		t.Fatal(err)
	}
	pr := decTensor("pr", &tbpb.SummaryMetadata{
		PluginData: &tbpb.SummaryMetadata_PluginData{PluginName: "pr_curves", Content: []byte{0x10, 0x02}},
		DataClass:  tbpb.DataClass_DATA_CLASS_TENSOR,
	}, &tbpb.TensorProto{Dtype: tbpb.DataType_DT_FLOAT, TensorShape: shape(6, 2), TensorContent: decF32(make([]float32, 12)...)})
	lossMeta := Meta{DisplayName: "Loss", Description: "lower is better"}

	steps := []func() error{
		func() error { return w.Describe("loss", lossMeta) },
		func() error { return w.Scalar("loss", 1, 0.75) },
		func() error { return w.Scalar("loss", 2, math.Inf(1)) },
		func() error { return w.Scalar("loss", 3, 1e-40) }, // float32 subnormal
		func() error { return w.Histogram("w", 1, histValues) },
		func() error { return w.HistogramBuckets("w", 2, []Bucket{{0, 1, 5}}) },
		func() error { return w.Image("img", 1, gray) },
		func() error { return w.Text("notes", 1, "**bold**") },
		func() error { return w.Table("tab", 1, [][]string{{"k", "v"}, {"lr", "0.1"}}) },
		func() error { return w.WriteValue(4, pr) },
		func() error {
			return w.WriteEvent(&tbpb.Event{WallTime: wall, Step: 5, What: &tbpb.Event_GraphDef{GraphDef: []byte("g")}})
		},
	}
	for i, step := range steps {
		if err := step(); err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}

	base := func(step int64, tag, plugin string, class tbpb.DataClass, kind Kind) Value {
		return Value{Step: step, WallTime: wall, Tag: tag, Plugin: plugin, DataClass: class, Kind: kind}
	}
	scalar := func(step int64, x float32) Value {
		v := base(step, "loss", "scalars", tbpb.DataClass_DATA_CLASS_SCALAR, KindScalar)
		v.Scalar, v.Meta = float64(x), lossMeta
		v.Tensor = &tbpb.TensorProto{Dtype: tbpb.DataType_DT_FLOAT, TensorShape: &tbpb.TensorShapeProto{}, FloatVal: []float32{x}}
		return v
	}
	hist := func(step int64, b []Bucket) Value {
		v := base(step, "w", "histograms", tbpb.DataClass_DATA_CLASS_TENSOR, KindHistogram)
		v.Buckets, v.Shape = b, []int64{int64(len(b)), 3}
		v.Tensor = &tbpb.TensorProto{Dtype: tbpb.DataType_DT_DOUBLE, TensorShape: shape(int64(len(b)), 3), TensorContent: appendBuckets(nil, b)}
		return v
	}
	imgV := base(1, "img", "images", tbpb.DataClass_DATA_CLASS_BLOB_SEQUENCE, KindImage)
	imgV.Width, imgV.Height, imgV.Blobs, imgV.Shape = 3, 2, [][]byte{png}, []int64{3}
	imgV.Tensor = &tbpb.TensorProto{Dtype: tbpb.DataType_DT_STRING, TensorShape: shape(3), StringVal: [][]byte{[]byte("3"), []byte("2"), png}}
	textV := base(1, "notes", "text", tbpb.DataClass_DATA_CLASS_TENSOR, KindText)
	textV.Text = []string{"**bold**"}
	textV.Tensor = &tbpb.TensorProto{Dtype: tbpb.DataType_DT_STRING, TensorShape: shape(), StringVal: decStrings("**bold**")}
	tabV := base(1, "tab", "text", tbpb.DataClass_DATA_CLASS_TENSOR, KindText)
	tabV.Text, tabV.Shape = []string{"k", "v", "lr", "0.1"}, []int64{2, 2}
	tabV.Tensor = &tbpb.TensorProto{Dtype: tbpb.DataType_DT_STRING, TensorShape: shape(2, 2), StringVal: decStrings("k", "v", "lr", "0.1")}
	prV := base(4, "pr", "pr_curves", tbpb.DataClass_DATA_CLASS_TENSOR, KindOther)
	prV.Content, prV.Tensor, prV.Shape = []byte{0x10, 0x02}, pr.GetTensor(), []int64{6, 2}
	graphV := base(5, "__run_graph__", "graphs", tbpb.DataClass_DATA_CLASS_BLOB_SEQUENCE, KindGraph)
	graphV.Blobs = decStrings("g")
	want := []Value{
		scalar(1, 0.75), scalar(2, float32(math.Inf(1))), scalar(3, 1e-40),
		hist(1, hb), hist(2, []Bucket{{0, 1, 5}}),
		imgV, textV, tabV, prV, graphV,
	}

	// Both decoders read the records as they are in the file.
	f, err := os.Open(w.FileName())
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	s := tfevents.NewScanner(f)
	s.Damaged = func(d *tfevents.Damage) error { return d } // any damage, a torn tail too, fails
	d, fast := NewDecoder(), NewDecoder()
	var got []Value
	var pts []ScalarPoint
	for s.Scan() {
		if got, err = d.Record(got, s.Record()); err != nil {
			t.Fatal(err)
		}
		if pts, err = fast.AppendScalars(pts, s.Record()); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Err(); err != nil {
		t.Fatal(err)
	}
	if diff := decDiff(got, want); diff != "" {
		t.Error(diff)
	}
	if wantPts := decScalars(want); !decSamePoints(pts, wantPts) {
		t.Errorf("AppendScalars gave %v, want %v", pts, wantPts)
	}
}

// TestDecodeDamage: an event of many bad values is one damage counting
// them, and an event with a wall time that is not a number is damage
// whatever it holds, on both paths.
func TestDecodeDamage(t *testing.T) {
	t.Parallel()
	bad := decTensor("s", decMeta("scalars", 0), &tbpb.TensorProto{Dtype: tbpb.DataType_DT_STRING})
	var vals []*tbpb.Summary_Value
	for range 1000 {
		vals = append(vals, bad)
	}
	vals = append(vals, decSimple("good", 1))
	_, err := NewDecoder().Record(nil, decMarshal(t, decEvent(3, vals...)))
	var d *tfevents.Damage
	if !errors.As(err, &d) || d.Kind != tfevents.InvalidValue || d.Count != 1000 || !strings.Contains(d.Error(), "(and 999 more)") {
		t.Errorf("1000 bad values: %v, want one damage counting 1000", err)
	}
	for _, wall := range []float64{math.NaN(), math.Inf(1), math.Inf(-1)} {
		ev := decEvent(3, decSimple("loss", 1))
		ev.WallTime = wall
		rec := decMarshal(t, ev)
		vals, err := NewDecoder().Record(nil, rec)
		if !errors.As(err, &d) || d.Kind != tfevents.NonFiniteWallTime || len(vals) != 0 {
			t.Errorf("wall time %v: Record gave %d values, %v; want none and non-finite wall time damage", wall, len(vals), err)
		}
		pts, err := NewDecoder().AppendScalars(nil, rec)
		if !errors.As(err, &d) || d.Kind != tfevents.NonFiniteWallTime || len(pts) != 0 {
			t.Errorf("wall time %v: AppendScalars gave %d points, %v; want none and non-finite wall time damage", wall, len(pts), err)
		}
	}
}
