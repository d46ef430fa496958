package summary

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"strconv"

	"google.golang.org/protobuf/proto"

	"github.com/tbgo/tbgo/proto/tbpb"
	"github.com/tbgo/tbgo/tfevents"
)

// Names TensorBoard gives the values it makes of graph events.
const (
	// RunGraphTag is the tag of the value made of an Event's graph_def.
	RunGraphTag = "__run_graph__"
	// PluginGraphs is the plugin of the RunGraphTag value.
	PluginGraphs = "graphs"
	// PluginTaggedRunMetadata is the plugin of the value made of an
	// Event's tagged_run_metadata.
	PluginTaggedRunMetadata = "graph_tagged_run_metadata"
)

// ErrMalformed is wrapped by every error about data that cannot be decoded:
// an event that is not a valid Event proto, or a value whose data does not
// fit its plugin's format.
var ErrMalformed = errors.New("summary: malformed value")

// Kind is the kind of data a decoded Value holds.
type Kind int

const (
	// KindOther is a plugin this package does not interpret (pr_curves,
	// hparams, custom_scalars, mesh, custom plugins): Tensor holds the raw
	// tensor, Content the plugin's metadata content.
	KindOther Kind = iota
	// KindScalar is one number in Scalar.
	KindScalar
	// KindHistogram is a histogram in Buckets.
	KindHistogram
	// KindImage is encoded images (PNG, JPEG, GIF, BMP) in Blobs, all of
	// size Width by Height.
	KindImage
	// KindAudio is encoded audio clips in Blobs.
	KindAudio
	// KindText is Markdown cells in Text, arranged in Shape.
	KindText
	// KindGraph is a serialized proto in Blobs[0]: a GraphDef for an
	// Event's graph_def (tag RunGraphTag, plugin PluginGraphs) or a
	// RunMetadata for its tagged_run_metadata (plugin
	// PluginTaggedRunMetadata).
	KindGraph
)

var kindNames = [...]string{
	KindOther:     "other",
	KindScalar:    "scalar",
	KindHistogram: "histogram",
	KindImage:     "image",
	KindAudio:     "audio",
	KindText:      "text",
	KindGraph:     "graph",
}

// String returns the kind's name in lower case, such as "scalar".
func (k Kind) String() string {
	if k >= 0 && int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "Kind(" + strconv.Itoa(int(k)) + ")"
}

// Value is one decoded summary value (or graph) of an event. Which fields
// are set depends on Kind. Slices may share memory with Tensor and with
// the Event that was decoded, never with a record passed to
// Decoder.Record.
type Value struct {
	// Step and WallTime are the event's: its step and its time in seconds
	// since the Unix epoch.
	Step     int64
	WallTime float64
	// Tag names the series.
	Tag string

	// Plugin is the plugin the value belongs to. Legacy values are named
	// as TensorBoard converts them: "scalars" for simple_value,
	// "histograms" for histo, "images" for image and "audio" for audio.
	Plugin string
	// DataClass is the metadata's data class if set, otherwise the class
	// TensorBoard infers from the value's form or plugin name;
	// DATA_CLASS_UNKNOWN for a plugin it does not know.
	DataClass tbpb.DataClass
	// Meta is the display name and description of the series.
	Meta Meta
	// Content is the plugin content of the series' metadata: a serialized
	// plugin-data proto that some plugins (hparams, pr_curves, mesh) need
	// to make sense of Tensor. Nil for legacy values.
	Content []byte

	// Kind says which of the fields below hold the data.
	Kind Kind

	// Scalar is a KindScalar's value. Legacy simple_value and DT_FLOAT
	// values are float32 widened to float64.
	Scalar float64

	// Buckets are a KindHistogram's buckets, left to right; empty for a
	// histogram of no data.
	Buckets []Bucket

	// Width and Height are a KindImage's size, from the tensor's first two
	// strings or the legacy Summary.Image.
	Width, Height int

	// Blobs are a KindImage's encoded images, a KindAudio's encoded clips
	// or a KindGraph's serialized proto.
	Blobs [][]byte

	// Labels are a KindAudio's per-clip Markdown labels (column 1 of a
	// [k, 2] tensor); nil when the value has none.
	Labels []string

	// SampleRate, Channels, Frames and ContentType describe a legacy
	// Summary.Audio clip. For a tensor clip only ContentType is known:
	// "audio/wav" when the plugin content says WAV, as TensorBoard serves
	// it, otherwise empty.
	SampleRate       float64
	Channels, Frames int64
	ContentType      string

	// Text is a KindText's cells in row-major order.
	Text []string

	// Shape is the shape of Tensor; nil for rank 0.
	Shape []int64

	// Tensor is the value's tensor, set for every value stored as a
	// tensor, whatever its Kind; nil for legacy values and graphs. For
	// KindOther it is passed through unchecked.
	Tensor *tbpb.TensorProto
}

// A Decoder decodes the events of one run into Values. Like TensorBoard,
// it takes a series' metadata from the first value of each tag that has
// some (or from the first legacy value, whose form implies it) and applies
// it to later values of that tag that carry none; a later value that
// carries its own metadata is decoded with that instead. Metadata counts
// when it names a plugin or a data class. A Decoder must therefore see a
// run's events in order, and each run needs its own Decoder. The zero
// Decoder is ready to use.
//
// A value that cannot be decoded is left out; the other values of its
// event are still decoded, and the error names each value left out.
//
// A Decoder is not safe for concurrent use.
type Decoder struct {
	tags map[string]*tagInfo
	ev   tbpb.Event // Record's unmarshal target

	// AppendScalars scratch.
	wire    []wireValue // the values of the event being decoded
	learned []string    // tags first seen in that event
	vals    []Value     // the slow path's values
}

// tagInfo is the metadata a series' values are decoded with.
type tagInfo struct {
	tag     string // interned for AppendScalars
	plugin  string
	class   tbpb.DataClass // as written: DATA_CLASS_UNKNOWN if unset
	meta    Meta
	content []byte

	// layout is the last summary AppendScalars decoded whose one value
	// was a float32 scalar of this series, read from layout[at:at+4].
	layout []byte
	at     int
}

// NewDecoder returns a Decoder that has seen no events.
func NewDecoder() *Decoder {
	return &Decoder{tags: map[string]*tagInfo{}}
}

// learn records info as the metadata of its tag.
func (d *Decoder) learn(info *tagInfo) {
	if d.tags == nil {
		d.tags = map[string]*tagInfo{}
	}
	d.tags[info.tag] = info
}

// Record decodes a serialized Event, such as tfevents.Scanner.Record
// returns, as Event does. A record that is not an Event gives damage of
// kind tfevents.InvalidEvent. The Values do not share memory with record.
func (d *Decoder) Record(dst []Value, record []byte) ([]Value, error) {
	if err := proto.Unmarshal(record, &d.ev); err != nil {
		return dst, &tfevents.Damage{Offset: -1, Kind: tfevents.InvalidEvent,
			Err: fmt.Errorf("%w: event does not decode: %v", ErrMalformed, err)}
	}
	dst, err := d.Event(dst, &d.ev)
	d.ev.Reset() // the Values own the event's parts now
	return dst, err
}

// Event decodes every value of ev and appends them to dst: one Value per
// summary value, one KindGraph Value for a graph_def or
// tagged_run_metadata. Events holding file_version, session_log,
// log_message or meta_graph_def give no values, nor do values with no
// data and no plugin, nor the long obsolete obsolete_old_style_histogram.
// A value with an empty tag takes its node_name as the tag, as TensorBoard's
// Python loader does.
//
// Legacy values convert as TensorBoard's Python loader
// (tensorboard/data_compat.py) converts them, with one deliberate
// difference: histogram edges stay float64 instead of being rounded to
// float32. A legacy histo keeps the buckets from the first to the last
// with a positive count; the first takes histo.min as its left edge, the
// last histo.max as its right edge, and every other bucket i spans
// (bucket_limit[i-1], bucket_limit[i]]. A histo with no positive count
// gives no buckets.
//
// Errors are damage, a *tfevents.Damage that tfevents.Scanner.Report
// takes as it is. An event whose wall time is NaN or infinite gives no
// values and damage of kind tfevents.NonFiniteWallTime: tbgo's writers
// refuse such times and its readers skip such events. A value whose data
// does not fit its plugin's format is left out and the event's other
// values are still appended; the damage, of kind tfevents.InvalidValue,
// counts the values left out and describes the first (its Err wraps
// ErrMalformed and names the tag, the step and the problem), so that an
// event of a million bad values costs one error, not a million.
func (d *Decoder) Event(dst []Value, ev *tbpb.Event) ([]Value, error) {
	if wall := ev.GetWallTime(); math.IsNaN(wall) || math.IsInf(wall, 0) {
		return dst, &tfevents.Damage{Offset: -1, Kind: tfevents.NonFiniteWallTime,
			Err: fmt.Errorf("event at step %d has wall time %v", ev.GetStep(), wall)}
	}
	base := Value{Step: ev.GetStep(), WallTime: ev.GetWallTime()}
	switch w := ev.GetWhat().(type) {
	case *tbpb.Event_GraphDef:
		v := base
		v.Tag, v.Plugin, v.Kind = RunGraphTag, PluginGraphs, KindGraph
		v.DataClass = tbpb.DataClass_DATA_CLASS_BLOB_SEQUENCE
		v.Blobs = [][]byte{w.GraphDef}
		return append(dst, v), nil
	case *tbpb.Event_TaggedRunMetadata:
		v := base
		v.Tag, v.Plugin, v.Kind = w.TaggedRunMetadata.GetTag(), PluginTaggedRunMetadata, KindGraph
		v.DataClass = tbpb.DataClass_DATA_CLASS_BLOB_SEQUENCE
		v.Blobs = [][]byte{w.TaggedRunMetadata.GetRunMetadata()}
		return append(dst, v), nil
	case *tbpb.Event_Summary:
		var bad *tfevents.Damage
		for _, sv := range w.Summary.GetValue() {
			v, ok, err := d.value(base, sv)
			switch {
			case err != nil && bad == nil:
				bad = &tfevents.Damage{Offset: -1, Kind: tfevents.InvalidValue, Count: 1, Err: err}
			case err != nil:
				bad.Count++
			case ok:
				dst = append(dst, v)
			}
		}
		if bad != nil {
			return dst, bad
		}
	}
	return dst, nil
}

// form is the member of Summary.Value's oneof a value uses.
type form uint8

const (
	formNone form = iota
	formSimple
	formObsolete
	formImage
	formHisto
	formAudio
	formTensor
)

// legacyPlugin returns the plugin TensorBoard converts a legacy form to,
// or "" for a form that is not legacy.
func (f form) legacyPlugin() string {
	switch f {
	case formSimple:
		return PluginScalars
	case formImage:
		return PluginImages
	case formHisto:
		return PluginHistograms
	case formAudio:
		return PluginAudio
	}
	return ""
}

func formOf(v *tbpb.Summary_Value) form {
	switch v.GetValue().(type) {
	case *tbpb.Summary_Value_SimpleValue:
		return formSimple
	case *tbpb.Summary_Value_ObsoleteOldStyleHistogram:
		return formObsolete
	case *tbpb.Summary_Value_Image:
		return formImage
	case *tbpb.Summary_Value_Histo:
		return formHisto
	case *tbpb.Summary_Value_Audio:
		return formAudio
	case *tbpb.Summary_Value_Tensor:
		return formTensor
	}
	return formNone
}

// carries reports whether md says what its value is. Writers that keep
// metadata on the first value only leave it out of later values; an empty
// message, or one with only a display name, says no more.
func carries(md *tbpb.SummaryMetadata) bool {
	return md.GetPluginData().GetPluginName() != "" || md.GetDataClass() != 0
}

func infoOf(tag string, md *tbpb.SummaryMetadata) tagInfo {
	return tagInfo{
		tag:     tag,
		plugin:  md.GetPluginData().GetPluginName(),
		class:   md.GetDataClass(),
		meta:    Meta{DisplayName: md.GetDisplayName(), Description: md.GetSummaryDescription()},
		content: md.GetPluginData().GetContent(),
	}
}

// inferClass returns the data class TensorBoard gives a plugin's values
// whose metadata has none (reference §3.3).
func inferClass(plugin string) tbpb.DataClass {
	switch plugin {
	case PluginScalars:
		return tbpb.DataClass_DATA_CLASS_SCALAR
	case PluginHistograms, PluginText, "hparams", "pr_curves", "mesh", "custom_scalars":
		return tbpb.DataClass_DATA_CLASS_TENSOR
	case PluginImages, PluginAudio, "graph_run_metadata", "graph_run_metadata_graph", "graph_keras_model":
		return tbpb.DataClass_DATA_CLASS_BLOB_SEQUENCE
	}
	return tbpb.DataClass_DATA_CLASS_UNKNOWN
}

// value decodes one summary value. It reports false for a value that gives
// nothing.
func (d *Decoder) value(base Value, sv *tbpb.Summary_Value) (Value, bool, error) {
	tag := sv.GetTag()
	if tag == "" {
		tag = sv.GetNodeName()
	}
	f := formOf(sv)
	md := sv.GetMetadata()
	own := carries(md)
	legacy := f.legacyPlugin()

	info := d.tags[tag]
	if info == nil && (own || legacy != "") {
		info = new(tagInfo)
		*info = infoOf(tag, md)
		if legacy != "" {
			info.plugin = legacy
		}
		d.learn(info)
	}
	var src tagInfo
	if own {
		src = infoOf(tag, md)
	} else if info != nil {
		src = *info
	}

	v := base
	v.Tag = tag
	v.Plugin = src.plugin
	v.Meta = src.meta
	v.Content = src.content
	if legacy != "" {
		v.Plugin = legacy
		v.Content = nil
	}
	v.DataClass = src.class
	if v.DataClass == tbpb.DataClass_DATA_CLASS_UNKNOWN {
		v.DataClass = inferClass(v.Plugin)
	}

	var err error
	switch f {
	case formSimple:
		v.Kind = KindScalar
		v.Scalar = float64(sv.GetSimpleValue())
	case formHisto:
		v.Kind = KindHistogram
		v.Buckets, err = legacyBuckets(sv.GetHisto())
	case formImage:
		img := sv.GetImage()
		v.Kind = KindImage
		v.Width, v.Height = int(img.GetWidth()), int(img.GetHeight())
		v.Blobs = [][]byte{img.GetEncodedImageString()}
	case formAudio:
		a := sv.GetAudio()
		v.Kind = KindAudio
		v.SampleRate = float64(a.GetSampleRate())
		v.Channels, v.Frames = a.GetNumChannels(), a.GetLengthFrames()
		v.ContentType = a.GetContentType()
		v.Blobs = [][]byte{a.GetEncodedAudioString()}
	case formTensor:
		err = v.setTensor(sv.GetTensor())
	case formNone:
		switch v.Plugin {
		case "":
			return Value{}, false, nil
		case PluginScalars, PluginHistograms, PluginImages, PluginAudio, PluginText:
			err = errors.New("no data")
		}
	default:
		return Value{}, false, nil
	}
	if err != nil {
		return Value{}, false, fmt.Errorf("%w: %q at step %d: %v", ErrMalformed, tag, base.Step, err)
	}
	return v, true, nil
}

// setTensor decodes t according to v.Plugin.
func (v *Value) setTensor(t *tbpb.TensorProto) error {
	if t == nil {
		t = &tbpb.TensorProto{}
	}
	v.Tensor = t
	v.Shape = dims(t)
	var err error
	switch v.Plugin {
	case PluginScalars:
		v.Kind = KindScalar
		v.Scalar, err = tensorScalar(t)
	case PluginHistograms:
		v.Kind = KindHistogram
		v.Buckets, err = tensorBuckets(t)
	case PluginImages:
		v.Kind = KindImage
		v.Width, v.Height, v.Blobs, err = tensorImages(t)
	case PluginAudio:
		v.Kind = KindAudio
		v.Blobs, v.Labels, err = tensorAudio(t)
		v.ContentType = audioContentType(v.Content)
	case PluginText:
		v.Kind = KindText
		v.Text, err = tensorText(t)
	default:
		v.Kind = KindOther
	}
	return err
}

// dims returns the sizes of t's dimensions, nil for rank 0.
func dims(t *tbpb.TensorProto) []int64 {
	ds := t.GetTensorShape().GetDim()
	if len(ds) == 0 {
		return nil
	}
	s := make([]int64, len(ds))
	for i, d := range ds {
		s[i] = d.GetSize()
	}
	return s
}

// elements returns the number of elements of t's shape, or -1 if a
// dimension is negative or the count overflows.
func elements(t *tbpb.TensorProto) int64 {
	n := int64(1)
	for _, d := range t.GetTensorShape().GetDim() {
		s := d.GetSize()
		if s < 0 {
			return -1
		}
		if s != 0 && n > math.MaxInt64/s {
			return -1
		}
		n *= s
	}
	return n
}

// scalarTensor is what deciding a scalar needs of a TensorProto; both
// decoders fill one, so that they agree by construction.
type scalarTensor struct {
	dtype   tbpb.DataType
	single  bool // every dimension has size 1 (true for rank 0)
	content []byte
	nFloat  int // len(float_val)
	nDouble int
	nInt    int
	nInt64  int
	f       float32 // float_val[0]
	d       float64
	i       int32
	i64     int64

	floatBits []byte // AppendScalars: the bytes of a packed float_val of one element
}

// source returns the four bytes a DT_FLOAT scalar's value comes from, if
// AppendScalars saw them in one place.
func (s *scalarTensor) source() []byte {
	if len(s.content) > 0 {
		return s.content
	}
	return s.floatBits
}

// counts returns the byte width of the tensor's dtype and how many typed
// values of it the tensor holds; ok is false for an unsupported dtype.
func (s *scalarTensor) counts() (width, n int, ok bool) {
	switch s.dtype {
	case tbpb.DataType_DT_FLOAT:
		return 4, s.nFloat, true
	case tbpb.DataType_DT_DOUBLE:
		return 8, s.nDouble, true
	case tbpb.DataType_DT_INT32:
		return 4, s.nInt, true
	case tbpb.DataType_DT_INT64:
		return 8, s.nInt64, true
	}
	return 0, 0, false
}

// value returns the scalar, or false if the tensor is not a single number
// of a supported type.
func (s *scalarTensor) value() (float64, bool) {
	width, n, ok := s.counts()
	if !s.single || !ok {
		return 0, false
	}
	// As in TensorFlow's make_ndarray, tensor_content wins when present.
	if c := s.content; len(c) > 0 {
		if len(c) != width {
			return 0, false
		}
		switch s.dtype {
		case tbpb.DataType_DT_FLOAT:
			return float64(math.Float32frombits(binary.LittleEndian.Uint32(c))), true
		case tbpb.DataType_DT_DOUBLE:
			return math.Float64frombits(binary.LittleEndian.Uint64(c)), true
		case tbpb.DataType_DT_INT32:
			return float64(int32(binary.LittleEndian.Uint32(c))), true
		default:
			return float64(int64(binary.LittleEndian.Uint64(c))), true
		}
	}
	if n != 1 {
		return 0, false
	}
	switch s.dtype {
	case tbpb.DataType_DT_FLOAT:
		return float64(s.f), true
	case tbpb.DataType_DT_DOUBLE:
		return s.d, true
	case tbpb.DataType_DT_INT32:
		return float64(s.i), true
	default:
		return float64(s.i64), true
	}
}

func tensorScalar(t *tbpb.TensorProto) (float64, error) {
	s := scalarTensor{
		dtype:   t.GetDtype(),
		single:  true,
		content: t.GetTensorContent(),
		nFloat:  len(t.GetFloatVal()),
		nDouble: len(t.GetDoubleVal()),
		nInt:    len(t.GetIntVal()),
		nInt64:  len(t.GetInt64Val()),
	}
	for _, d := range t.GetTensorShape().GetDim() {
		s.single = s.single && d.GetSize() == 1
	}
	if s.nFloat > 0 {
		s.f = t.FloatVal[0]
	}
	if s.nDouble > 0 {
		s.d = t.DoubleVal[0]
	}
	if s.nInt > 0 {
		s.i = t.IntVal[0]
	}
	if s.nInt64 > 0 {
		s.i64 = t.Int64Val[0]
	}
	if v, ok := s.value(); ok {
		return v, nil
	}
	// Say why.
	width, n, ok := s.counts()
	if !ok {
		return 0, fmt.Errorf("scalar tensor has dtype %v, want DT_FLOAT, DT_DOUBLE, DT_INT32 or DT_INT64", s.dtype)
	}
	switch {
	case !s.single:
		return 0, fmt.Errorf("scalar tensor has shape %v, want one element", dims(t))
	case len(s.content) > 0:
		return 0, fmt.Errorf("scalar tensor_content has %d bytes, want %d for %v", len(s.content), width, s.dtype)
	default:
		return 0, fmt.Errorf("scalar tensor has %d values, want 1", n)
	}
}

// floats returns the n elements of a DT_DOUBLE or DT_FLOAT tensor as
// float64, or an error if the data does not hold exactly n.
func floats(t *tbpb.TensorProto, n int64) ([]float64, error) {
	var width int
	var typed int
	switch t.GetDtype() {
	case tbpb.DataType_DT_DOUBLE:
		width, typed = 8, len(t.GetDoubleVal())
	case tbpb.DataType_DT_FLOAT:
		width, typed = 4, len(t.GetFloatVal())
	default:
		return nil, fmt.Errorf("tensor has dtype %v, want DT_DOUBLE or DT_FLOAT", t.GetDtype())
	}
	if c := t.GetTensorContent(); len(c) > 0 {
		if len(c)%width != 0 || int64(len(c)/width) != n {
			return nil, fmt.Errorf("tensor_content has %d bytes, want %d elements of %d", len(c), n, width)
		}
		out := make([]float64, n)
		for i := range out {
			if width == 8 {
				out[i] = math.Float64frombits(binary.LittleEndian.Uint64(c[8*i:]))
			} else {
				out[i] = float64(math.Float32frombits(binary.LittleEndian.Uint32(c[4*i:])))
			}
		}
		return out, nil
	}
	if int64(typed) != n {
		return nil, fmt.Errorf("tensor has %d values, want %d", typed, n)
	}
	out := make([]float64, n)
	if width == 8 {
		copy(out, t.DoubleVal)
	} else {
		for i, f := range t.FloatVal {
			out[i] = float64(f)
		}
	}
	return out, nil
}

// tensorBuckets decodes a [k, 3] histogram tensor of (left, right, count)
// rows.
func tensorBuckets(t *tbpb.TensorProto) ([]Bucket, error) {
	s := t.GetTensorShape().GetDim()
	if len(s) != 2 || s[0].GetSize() < 0 || s[1].GetSize() != 3 || s[0].GetSize() > math.MaxInt64/3 {
		return nil, fmt.Errorf("histogram tensor has shape %v, want [k 3]", dims(t))
	}
	f, err := floats(t, 3*s[0].GetSize())
	if err != nil {
		return nil, fmt.Errorf("histogram %w", err)
	}
	out := make([]Bucket, len(f)/3)
	for i := range out {
		out[i] = Bucket{Left: f[3*i], Right: f[3*i+1], Count: f[3*i+2]}
	}
	return out, nil
}

// legacyBuckets converts a HistogramProto as TensorBoard's Python loader
// does (tensorboard/data_compat.py, _migrate_histogram_value), in float64.
// The empty buckets at both ends go: their edges are meaningless, since
// TensorFlow's bucket limits run to ±DBL_MAX and tensorboardX puts an empty
// bucket before the data, and keeping them with min and max as the outer
// edges, as the Rust data server does, gives buckets whose left edge lies
// right of their right edge.
func legacyBuckets(h *tbpb.HistogramProto) ([]Bucket, error) {
	limits, counts := h.GetBucketLimit(), h.GetBucket()
	if len(limits) != len(counts) {
		return nil, fmt.Errorf("histo has %d bucket limits and %d counts", len(limits), len(counts))
	}
	// !(c > 0), not c <= 0, so that a NaN count is empty, as in Python.
	start, end := 0, len(counts)-1
	for start <= end && !(counts[start] > 0) {
		start++
	}
	for end >= start && !(counts[end] > 0) {
		end--
	}
	out := make([]Bucket, end-start+1)
	for i := range out {
		j := start + i
		b := Bucket{Left: h.GetMin(), Right: h.GetMax(), Count: counts[j]}
		if i > 0 {
			b.Left = limits[j-1]
		}
		if j < end {
			b.Right = limits[j]
		}
		out[i] = b
	}
	return out, nil
}

// stringVals returns the string_val of a DT_STRING tensor after checking that
// the shape holds exactly that many elements.
func stringVals(t *tbpb.TensorProto, what string) ([][]byte, error) {
	if t.GetDtype() != tbpb.DataType_DT_STRING {
		return nil, fmt.Errorf("%s tensor has dtype %v, want DT_STRING", what, t.GetDtype())
	}
	vals := t.GetStringVal()
	if n := elements(t); n != int64(len(vals)) {
		return nil, fmt.Errorf("%s tensor has shape %v but %d strings", what, dims(t), len(vals))
	}
	return vals, nil
}

// tensorImages decodes a [2+n] ("width", "height", image...) tensor.
func tensorImages(t *tbpb.TensorProto) (width, height int, blobs [][]byte, err error) {
	vals, err := stringVals(t, "image")
	if err != nil {
		return 0, 0, nil, err
	}
	if len(t.GetTensorShape().GetDim()) != 1 || len(vals) < 2 {
		return 0, 0, nil, fmt.Errorf("image tensor has shape %v, want [2+n]", dims(t))
	}
	width, err = strconv.Atoi(string(vals[0]))
	if err != nil || width < 0 {
		return 0, 0, nil, fmt.Errorf("image width %q is not a size", vals[0])
	}
	height, err = strconv.Atoi(string(vals[1]))
	if err != nil || height < 0 {
		return 0, 0, nil, fmt.Errorf("image height %q is not a size", vals[1])
	}
	return width, height, vals[2:], nil
}

// tensorAudio decodes a [k] tensor of clips or a [k, 2] tensor of (clip,
// label) rows.
func tensorAudio(t *tbpb.TensorProto) (clips [][]byte, labels []string, err error) {
	vals, err := stringVals(t, "audio")
	if err != nil {
		return nil, nil, err
	}
	switch s := t.GetTensorShape().GetDim(); {
	case len(s) == 1:
		return vals, nil, nil
	case len(s) == 2 && s[1].GetSize() == 2:
		k := len(vals) / 2
		clips = make([][]byte, k)
		labels = make([]string, k)
		for i := range k {
			clips[i], labels[i] = vals[2*i], string(vals[2*i+1])
		}
		return clips, labels, nil
	}
	return nil, nil, fmt.Errorf("audio tensor has shape %v, want [k] or [k 2]", dims(t))
}

// audioContentType returns the MIME type TensorBoard serves clips of a
// series with the given AudioPluginData content as.
func audioContentType(content []byte) string {
	var pd tbpb.AudioPluginData
	if proto.Unmarshal(content, &pd) == nil && pd.GetEncoding() == tbpb.AudioPluginData_WAV {
		return "audio/wav"
	}
	return ""
}

// tensorText decodes a DT_STRING tensor of any shape.
func tensorText(t *tbpb.TensorProto) ([]string, error) {
	vals, err := stringVals(t, "text")
	if err != nil {
		return nil, err
	}
	text := make([]string, len(vals))
	for i, b := range vals {
		text[i] = string(b)
	}
	return text, nil
}
