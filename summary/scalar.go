package summary

import (
	"encoding/binary"
	"math"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/tbgo/tbgo/proto/tbpb"
)

// ScalarValue returns a scalar summary value: a rank-0 DT_FLOAT tensor with
// scalars metadata and data class SCALAR, the one form both TensorBoard
// loaders accept. v is rounded to float32, as TensorBoard stores scalars.
func ScalarValue(tag string, v float64, m Meta) (*tbpb.Summary_Value, error) {
	if err := checkTag(tag); err != nil {
		return nil, err
	}
	return &tbpb.Summary_Value{
		Tag:      tag,
		Metadata: metadata(PluginScalars, nil, tbpb.DataClass_DATA_CLASS_SCALAR, m),
		Value: &tbpb.Summary_Value_Tensor{Tensor: &tbpb.TensorProto{
			Dtype:       tbpb.DataType_DT_FLOAT,
			TensorShape: &tbpb.TensorShapeProto{},
			FloatVal:    []float32{float32(v)},
		}},
	}, nil
}

// scalarEncoder appends the serialized Event of one scalar of one tag
// without allocating. The bytes equal proto.Marshal's for the same Event
// (scalar_test.go proves it); only wall time, step and value vary, so
// everything else is encoded once per tag.
//
// Layout, in the order proto.Marshal writes fields (by number, oneof members
// last):
//
//	09 <wall_time f64>  10 <step varint>  2a <len> Summary{
//	  0a <len> Value{ 0a <len> tag  4a <len> SummaryMetadata{...}
//	                  42 0a TensorProto{08 01 12 00 2a 04 <f32>} } }
type scalarEncoder struct {
	head []byte // everything after the step, up to the float's 4 bytes
}

// scalarTensorHeader is a rank-0 DT_FLOAT TensorProto with one packed
// float_val, up to the float's 4 bytes.
var scalarTensorHeader = []byte{0x08, 0x01, 0x12, 0x00, 0x2a, 0x04}

func newScalarEncoder(tag string, m Meta) *scalarEncoder {
	md := marshalContent(metadata(PluginScalars, nil, tbpb.DataClass_DATA_CLASS_SCALAR, m))
	var value []byte
	value = protowire.AppendTag(value, 1, protowire.BytesType)
	value = protowire.AppendString(value, tag)
	value = protowire.AppendTag(value, 9, protowire.BytesType)
	value = protowire.AppendBytes(value, md)
	value = protowire.AppendTag(value, 8, protowire.BytesType)
	value = protowire.AppendVarint(value, uint64(len(scalarTensorHeader)+4))
	value = append(value, scalarTensorHeader...)
	valueLen := len(value) + 4

	var head []byte
	head = protowire.AppendTag(head, 5, protowire.BytesType)
	head = protowire.AppendVarint(head, uint64(protowire.SizeTag(1)+protowire.SizeBytes(valueLen)))
	head = protowire.AppendTag(head, 1, protowire.BytesType)
	head = protowire.AppendVarint(head, uint64(valueLen))
	head = append(head, value...)
	return &scalarEncoder{head: head}
}

// appendEvent appends the serialized scalar Event to dst.
func (e *scalarEncoder) appendEvent(dst []byte, wallTime float64, step int64, v float32) []byte {
	// proto3 leaves out fields that hold their zero value.
	if math.Float64bits(wallTime) != 0 {
		dst = append(dst, 0x09)
		dst = binary.LittleEndian.AppendUint64(dst, math.Float64bits(wallTime))
	}
	if step != 0 {
		dst = append(dst, 0x10)
		dst = protowire.AppendVarint(dst, uint64(step))
	}
	dst = append(dst, e.head...)
	return binary.LittleEndian.AppendUint32(dst, math.Float32bits(v))
}
