package summary

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"slices"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/tbgo/tbgo/proto/tbpb"
)

// testMesh returns a batch of two tetrahedra with coloured vertices; the
// second is the first shifted along x.
func testMesh() Mesh {
	a := [][3]float32{{0, 0, 0}, {1, 0, 0}, {0, 1, 0}, {0, 0, 1}}
	b := make([][3]float32, len(a))
	for i, v := range a {
		b[i] = [3]float32{v[0] + 2.5, v[1], v[2]}
	}
	faces := [][3]int32{{0, 1, 2}, {0, 1, 3}, {0, 2, 3}, {1, 2, 3}}
	colors := [][3]uint8{{255, 0, 0}, {0, 255, 0}, {0, 0, 255}, {255, 255, 255}}
	return Mesh{
		Vertices: [][][3]float32{a, b},
		Faces:    [][][3]int32{faces, faces},
		Colors:   [][][3]uint8{colors, colors},
		Config:   map[string]any{"material": map[string]any{"cls": "MeshStandardMaterial"}, "camera": map[string]any{"fov": 75}},
	}
}

// meshFromValues rebuilds a Mesh (without its config) from the decoded
// values of its parts, checking their metadata against tag.
func meshFromValues(t *testing.T, tag string, vals []Value) (Mesh, []*tbpb.MeshPluginData) {
	t.Helper()
	var m Mesh
	var pds []*tbpb.MeshPluginData
	for _, v := range vals {
		pd := new(tbpb.MeshPluginData)
		if err := proto.Unmarshal(v.Content, pd); err != nil {
			t.Fatalf("%q: content: %v", v.Tag, err)
		}
		pds = append(pds, pd)
		if v.Kind != KindOther || v.Plugin != PluginMesh || v.DataClass != tbpb.DataClass_DATA_CLASS_TENSOR || pd.Name != tag {
			t.Errorf("%q: kind %v plugin %q class %v name %q", v.Tag, v.Kind, v.Plugin, v.DataClass, pd.Name)
		}
		if len(v.Shape) != 3 || v.Shape[2] != 3 || !slices.Equal(pd.Shape, []int32{int32(v.Shape[0]), int32(v.Shape[1]), 3}) {
			t.Fatalf("%q: tensor shape %v, metadata shape %v", v.Tag, v.Shape, pd.Shape)
		}
		batch, n := int(v.Shape[0]), int(v.Shape[1])
		c := v.Tensor.GetTensorContent()
		switch pd.ContentType {
		case tbpb.MeshPluginData_VERTEX:
			if v.Tag != tag+"_VERTEX" || v.Tensor.GetDtype() != tbpb.DataType_DT_FLOAT || len(c) != batch*n*12 {
				t.Fatalf("%q: %v tensor of %d bytes", v.Tag, v.Tensor.GetDtype(), len(c))
			}
			m.Vertices = make([][][3]float32, batch)
			for b := range m.Vertices {
				m.Vertices[b] = make([][3]float32, n)
				for i := range n {
					for k := range 3 {
						m.Vertices[b][i][k] = math.Float32frombits(binary.LittleEndian.Uint32(c[4*(3*(b*n+i)+k):]))
					}
				}
			}
		case tbpb.MeshPluginData_FACE:
			if v.Tag != tag+"_FACE" || v.Tensor.GetDtype() != tbpb.DataType_DT_INT32 || len(c) != batch*n*12 {
				t.Fatalf("%q: %v tensor of %d bytes", v.Tag, v.Tensor.GetDtype(), len(c))
			}
			m.Faces = make([][][3]int32, batch)
			for b := range m.Faces {
				m.Faces[b] = make([][3]int32, n)
				for i := range n {
					for k := range 3 {
						m.Faces[b][i][k] = int32(binary.LittleEndian.Uint32(c[4*(3*(b*n+i)+k):]))
					}
				}
			}
		case tbpb.MeshPluginData_COLOR:
			if v.Tag != tag+"_COLOR" || v.Tensor.GetDtype() != tbpb.DataType_DT_UINT8 || len(c) != batch*n*3 {
				t.Fatalf("%q: %v tensor of %d bytes", v.Tag, v.Tensor.GetDtype(), len(c))
			}
			m.Colors = make([][][3]uint8, batch)
			for b := range m.Colors {
				m.Colors[b] = make([][3]uint8, n)
				for i := range n {
					copy(m.Colors[b][i][:], c[3*(b*n+i):])
				}
			}
		default:
			t.Fatalf("%q: content type %v", v.Tag, pd.ContentType)
		}
	}
	return m, pds
}

func sameMesh(a, b Mesh) bool {
	if len(a.Vertices) != len(b.Vertices) || len(a.Faces) != len(b.Faces) || len(a.Colors) != len(b.Colors) {
		return false
	}
	for i := range a.Vertices {
		if !slices.Equal(a.Vertices[i], b.Vertices[i]) {
			return false
		}
	}
	for i := range a.Faces {
		if !slices.Equal(a.Faces[i], b.Faces[i]) {
			return false
		}
	}
	for i := range a.Colors {
		if !slices.Equal(a.Colors[i], b.Colors[i]) {
			return false
		}
	}
	return true
}

// A point cloud's one value, byte for byte as TensorBoard's mesh_pb
// writes it.
func TestMeshValuesPointCloudGolden(t *testing.T) {
	vals, err := MeshValues("m", Mesh{Vertices: [][][3]float32{{{1, 2, 3}}}}, Meta{})
	if err != nil {
		t.Fatal(err)
	}
	if len(vals) != 1 {
		t.Fatalf("%d values, want 1", len(vals))
	}
	content := []byte{
		0x12, 0x01, 'm', // name
		0x18, 0x01, // content_type VERTEX
		0x2a, 0x02, '{', '}', // json_config
		0x32, 0x03, 1, 1, 3, // shape, packed
		0x38, 0x02, // components 1<<VERTEX
	}
	md := vals[0].GetMetadata()
	if got := md.GetPluginData().GetContent(); !bytes.Equal(got, content) {
		t.Errorf("content\n% x\nwant\n% x", got, content)
	}
	if vals[0].Tag != "m_VERTEX" || md.GetPluginData().GetPluginName() != "mesh" || md.GetDataClass() != tbpb.DataClass_DATA_CLASS_TENSOR {
		t.Errorf("value %v", vals[0])
	}
	tensor := vals[0].GetTensor()
	if tensor.GetDtype() != tbpb.DataType_DT_FLOAT || !slices.Equal(dims(tensor), []int64{1, 1, 3}) ||
		!bytes.Equal(tensor.GetTensorContent(), binary.LittleEndian.AppendUint32(binary.LittleEndian.AppendUint32(binary.LittleEndian.AppendUint32(nil, math.Float32bits(1)), math.Float32bits(2)), math.Float32bits(3))) {
		t.Errorf("tensor %v", tensor)
	}
}

func TestMeshValues(t *testing.T) {
	m := testMesh()
	vals, err := MeshValues("tetra", m, Meta{DisplayName: "T"})
	if err != nil {
		t.Fatal(err)
	}
	decoded := make([]Value, len(vals))
	for i, v := range vals {
		decoded[i] = Value{Tag: v.Tag, Kind: KindOther, Plugin: v.Metadata.PluginData.PluginName, DataClass: v.Metadata.DataClass,
			Content: v.Metadata.PluginData.Content, Tensor: v.GetTensor(), Shape: dims(v.GetTensor())}
		if v.Metadata.DisplayName != "T" {
			t.Errorf("%q: display name %q", v.Tag, v.Metadata.DisplayName)
		}
	}
	got, pds := meshFromValues(t, "tetra", decoded)
	if !sameMesh(got, m) {
		t.Errorf("mesh read back as %+v, want %+v", got, m)
	}
	wantTypes := []tbpb.MeshPluginData_ContentType{tbpb.MeshPluginData_VERTEX, tbpb.MeshPluginData_FACE, tbpb.MeshPluginData_COLOR}
	for i, pd := range pds {
		if pd.ContentType != wantTypes[i] || pd.Components != 1<<1|1<<2|1<<3 ||
			pd.JsonConfig != `{"camera":{"fov":75},"material":{"cls":"MeshStandardMaterial"}}` {
			t.Errorf("value %d metadata %v", i, pd)
		}
	}
}

func TestMeshValuesErrors(t *testing.T) {
	one := [][][3]float32{{{0, 0, 0}, {1, 0, 0}, {0, 1, 0}}}
	with := func(f func(m *Mesh)) Mesh {
		m := testMesh()
		f(&m)
		return m
	}
	for _, tt := range []struct {
		desc string
		m    Mesh
		msg  string
	}{
		{"no meshes", Mesh{}, "no vertices"},
		{"no vertices", Mesh{Vertices: [][][3]float32{{}}}, "sample 0 has no vertices"},
		{"ragged batch", with(func(m *Mesh) { m.Vertices[1] = m.Vertices[1][:3] }), "sample 1 has 3 vertices, sample 0 has 4"},
		{"NaN vertex", with(func(m *Mesh) { m.Vertices[1][2][1] = float32(math.NaN()) }), "vertex 2 of sample 1 is [2.5 NaN 0]"},
		{"infinite vertex", with(func(m *Mesh) { m.Vertices[0][0][0] = float32(math.Inf(-1)) }), "vertex 0 of sample 0 is [-Inf 0 0]"},
		{"faces for fewer meshes", with(func(m *Mesh) { m.Faces = m.Faces[:1] }), "faces of 1 samples for 2 samples of vertices"},
		{"empty faces", Mesh{Vertices: one, Faces: [][][3]int32{{}}}, "sample 0 has no faces"},
		{"ragged faces", with(func(m *Mesh) { m.Faces[1] = m.Faces[1][:2] }), "sample 1 has 2 faces, sample 0 has 4"},
		{"face index = vertices", Mesh{Vertices: one, Faces: [][][3]int32{{{0, 1, 3}}}}, "face 0 of sample 0 is [0 1 3]: vertex 3 is not in [0, 3)"},
		{"negative face index", Mesh{Vertices: one, Faces: [][][3]int32{{{0, -1, 2}}}}, "vertex -1 is not in [0, 3)"},
		{"colors for fewer meshes", with(func(m *Mesh) { m.Colors = m.Colors[:1] }), "colors of 1 samples for 2 samples of vertices"},
		{"colors for fewer vertices", with(func(m *Mesh) { m.Colors[0] = m.Colors[0][:3] }), "sample 0 has 3 colors for 4 vertices"},
		{"config that is not JSON", Mesh{Vertices: one, Config: map[string]any{"x": math.NaN()}}, "config: json: unsupported value: NaN"},
	} {
		t.Run(tt.desc, func(t *testing.T) {
			vals, err := MeshValues("m", tt.m, Meta{})
			if err == nil || vals != nil || !strings.HasPrefix(err.Error(), "summary: ") || !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("MeshValues = %d values, %v; want an error saying %q", len(vals), err, tt.msg)
			}
		})
	}
	if _, err := MeshValues("m", with(func(m *Mesh) { m.Vertices[0][1][2] = float32(math.NaN()) }), Meta{}); !errors.Is(err, ErrNonFinite) {
		t.Errorf("NaN vertex: %v, want ErrNonFinite", err)
	}
	if _, err := MeshValues("", testMesh(), Meta{}); !errors.Is(err, ErrEmptyTag) {
		t.Errorf("empty tag: %v, want ErrEmptyTag", err)
	}
}

// Writer.Mesh writes every part of a mesh in one event, which the Decoder
// reads back as KindOther values that rebuild the mesh.
func TestWriterMeshDecode(t *testing.T) {
	m := testMesh()
	cloud := Mesh{Vertices: [][][3]float32{{{1, 1, 1}, {-1, -1, -1}}}}
	vals, err := writeAndDecode(t, func(w *Writer) error {
		if err := w.Describe("tetra", Meta{Description: "two tetrahedra"}); err != nil {
			return err
		}
		if err := w.Mesh("tetra", 1, m); err != nil {
			return err
		}
		return w.Mesh("cloud", 2, cloud)
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(vals) != 4 {
		t.Fatalf("%d values, want 4", len(vals))
	}
	for _, v := range vals[:3] {
		if v.Step != 1 || v.Meta.Description != "two tetrahedra" {
			t.Errorf("%q: step %d, description %q", v.Tag, v.Step, v.Meta.Description)
		}
	}
	if got, _ := meshFromValues(t, "tetra", vals[:3]); !sameMesh(got, m) {
		t.Errorf("tetra read back as %+v, want %+v", got, m)
	}
	got, pds := meshFromValues(t, "cloud", vals[3:])
	if !sameMesh(got, cloud) || vals[3].Step != 2 || pds[0].Components != 1<<1 || pds[0].JsonConfig != "{}" {
		t.Errorf("cloud read back as %+v at step %d with %v", got, vals[3].Step, pds[0])
	}
}

// Writer.Mesh refuses bad input, and a mesh whose part tag holds other
// data, before writing any part.
func TestWriterMeshErrors(t *testing.T) {
	vals, err := writeAndDecode(t, func(w *Writer) error {
		if err := w.Scalar("m_FACE", 1, 0.5); err != nil {
			t.Fatal(err)
		}
		bad := testMesh()
		bad.Faces[0][0][0] = 99
		if err := w.Mesh("m", 1, bad); err == nil || !strings.Contains(err.Error(), "vertex 99 is not in [0, 4)") {
			t.Errorf("a face out of range: %v", err)
		}
		if err := w.Mesh("", 1, testMesh()); !errors.Is(err, ErrEmptyTag) {
			t.Errorf("empty tag: %v", err)
		}
		return w.Mesh("m", 1, testMesh())
	})
	if !errors.Is(err, ErrTagKind) || !strings.Contains(err.Error(), `"m_FACE" holds scalars`) {
		t.Errorf("a mesh over a scalar tag: %v, want ErrTagKind", err)
	}
	if len(vals) != 1 || vals[0].Tag != "m_FACE" {
		t.Errorf("values %+v, want the scalar alone", vals)
	}
}
