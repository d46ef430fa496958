package dataserver

import (
	"encoding/binary"
	"math"
	"strconv"

	"google.golang.org/protobuf/proto"

	"github.com/tbgo/tbgo/proto/tbpb"
	"github.com/tbgo/tbgo/summary"
)

// Plugin names of the graph dashboard's sub-plugins, whose blob sequences
// may hold a single string as a rank-0 tensor.
const (
	pluginRunMetadata      = "graph_run_metadata"
	pluginRunMetadataGraph = "graph_run_metadata_graph"
	pluginKerasModel       = "graph_keras_model"
)

// Plugin contents TensorBoard's data server gives legacy image and audio
// values: ImagePluginData{converted_to_tensor: true} and
// AudioPluginData{converted_to_tensor: true}.
var (
	legacyImageContent = []byte{0x10, 0x01}
	legacyAudioContent = []byte{0x18, 0x01}
)

// legacy reports whether v was written in a TensorFlow 1 form (a
// simple_value, histo, image or audio) rather than as a tensor.
func legacy(v *summary.Value) bool {
	switch v.Kind {
	case summary.KindScalar, summary.KindHistogram, summary.KindImage, summary.KindAudio:
		return v.Tensor == nil
	}
	return false
}

// metadataOf returns the metadata a time series whose first value is v
// takes, as TensorBoard's data server derives it: a data class the
// metadata sets is kept with the rest of it; legacy forms and graphs get
// a blank metadata of their plugin (display name and description
// dropped); otherwise the class follows from the plugin name, and a plugin
// it does not know leaves the class unknown, so that the series is never
// stored.
func metadataOf(v *summary.Value) *tbpb.SummaryMetadata {
	blank := func(plugin string, content []byte, class tbpb.DataClass) *tbpb.SummaryMetadata {
		return &tbpb.SummaryMetadata{
			PluginData: &tbpb.SummaryMetadata_PluginData{PluginName: plugin, Content: content},
			DataClass:  class,
		}
	}
	switch {
	case v.Kind == summary.KindGraph:
		return blank(v.Plugin, nil, tbpb.DataClass_DATA_CLASS_BLOB_SEQUENCE)
	case legacy(v) && v.Kind == summary.KindScalar:
		return blank(summary.PluginScalars, nil, tbpb.DataClass_DATA_CLASS_SCALAR)
	case legacy(v) && v.Kind == summary.KindHistogram:
		return blank(summary.PluginHistograms, nil, tbpb.DataClass_DATA_CLASS_TENSOR)
	case legacy(v) && v.Kind == summary.KindImage:
		return blank(summary.PluginImages, legacyImageContent, tbpb.DataClass_DATA_CLASS_BLOB_SEQUENCE)
	case legacy(v) && v.Kind == summary.KindAudio:
		return blank(summary.PluginAudio, legacyAudioContent, tbpb.DataClass_DATA_CLASS_BLOB_SEQUENCE)
	}
	md := &tbpb.SummaryMetadata{
		DisplayName:        v.Meta.DisplayName,
		SummaryDescription: v.Meta.Description,
		DataClass:          v.DataClass,
	}
	if v.Plugin != "" || len(v.Content) > 0 {
		md.PluginData = &tbpb.SummaryMetadata_PluginData{PluginName: v.Plugin, Content: v.Content}
	}
	return md
}

// nullTensor is the value TensorBoard's data server gives a summary value
// that carries only metadata (as the hparams plugin's do): a float vector
// of length 0.
func nullTensor() *tbpb.TensorProto {
	return &tbpb.TensorProto{
		Dtype:       tbpb.DataType_DT_FLOAT,
		TensorShape: &tbpb.TensorShapeProto{Dim: []*tbpb.TensorShapeProto_Dim{{Size: 0}}},
	}
}

// convert turns v into a point of a series of class class and plugin
// plugin; bad is set when v does not fit the class. With hold, a tensor or
// blob sequence value is held in the point (a serialized tensor, or the
// blobs); without, only checked and counted, for a point that will read
// its value again from its file.
func convert(v *summary.Value, class tbpb.DataClass, plugin string, hold bool) point {
	p := point{step: v.Step, wall: v.WallTime}
	var ok bool
	switch class {
	case tbpb.DataClass_DATA_CLASS_SCALAR:
		if v.Kind == summary.KindScalar {
			p.scalar, ok = float32(v.Scalar), true
		}
	case tbpb.DataClass_DATA_CLASS_TENSOR:
		// A point that reads its value again needs only the check: the
		// tensor of a legacy histogram is not built to be thrown away.
		if ok = hasTensor(v); ok && hold {
			b, err := proto.Marshal(tensorOf(v))
			p.value.mem, ok = &held{tensor: b}, err == nil
		}
	case tbpb.DataClass_DATA_CLASS_BLOB_SEQUENCE:
		var blobs [][]byte
		if blobs, ok = blobsOf(v, plugin); ok {
			p.value.n = int32(len(blobs))
			if hold {
				p.value.mem = &held{blobs: blobs}
			}
		}
	}
	p.bad = !ok
	return p
}

// hasTensor reports whether v has a tensor that a TENSOR-class series
// keeps: its own, a legacy histogram's buckets, or a null tensor for a
// value that carries only metadata.
func hasTensor(v *summary.Value) bool {
	return v.Tensor != nil || v.Kind == summary.KindHistogram || v.Kind == summary.KindOther
}

// tensorOf returns the tensor of a value that hasTensor: its own, or for
// a legacy histogram its buckets as a DT_DOUBLE [k, 3] tensor of (left,
// right, count) rows.
func tensorOf(v *summary.Value) *tbpb.TensorProto {
	switch {
	case v.Tensor != nil:
		return v.Tensor
	case v.Kind == summary.KindHistogram:
		content := make([]byte, 0, 24*len(v.Buckets))
		for _, b := range v.Buckets {
			for _, x := range [3]float64{b.Left, b.Right, b.Count} {
				content = binary.LittleEndian.AppendUint64(content, math.Float64bits(x))
			}
		}
		return &tbpb.TensorProto{
			Dtype: tbpb.DataType_DT_DOUBLE,
			TensorShape: &tbpb.TensorShapeProto{Dim: []*tbpb.TensorShapeProto_Dim{
				{Size: int64(len(v.Buckets))}, {Size: 3},
			}},
			TensorContent: content,
		}
	}
	// A value that carries only metadata.
	return nullTensor()
}

// blobsOf returns the blobs of a BLOB_SEQUENCE-class value: a graph's
// bytes; a legacy image as its width, height and encoding; a legacy audio
// clip; the strings of a rank-1 string tensor; the clips (first column)
// of an audio tensor of (clip, label) rows; the one string of a rank-0
// tensor of a graph sub-plugin.
func blobsOf(v *summary.Value, plugin string) ([][]byte, bool) {
	if v.Kind == summary.KindGraph {
		return v.Blobs, true
	}
	t := v.Tensor
	if t == nil {
		switch v.Kind {
		case summary.KindImage:
			if len(v.Blobs) != 1 {
				return nil, false
			}
			return [][]byte{[]byte(strconv.Itoa(v.Width)), []byte(strconv.Itoa(v.Height)), v.Blobs[0]}, true
		case summary.KindAudio:
			return v.Blobs, true
		}
		return nil, false
	}
	if t.GetDtype() != tbpb.DataType_DT_STRING {
		return nil, false
	}
	dims := t.GetTensorShape().GetDim()
	switch {
	case len(dims) == 1:
		return t.GetStringVal(), true
	case len(dims) == 2 && dims[1].GetSize() == 2 && plugin == summary.PluginAudio:
		vals := t.GetStringVal()
		clips := make([][]byte, len(vals)/2)
		for i := range clips {
			clips[i] = vals[2*i]
		}
		return clips, true
	case len(dims) == 0 && len(t.GetStringVal()) == 1 &&
		(plugin == pluginRunMetadata || plugin == pluginRunMetadataGraph || plugin == pluginKerasModel):
		return t.GetStringVal(), true
	}
	return nil, false
}
