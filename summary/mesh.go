package summary

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"

	"google.golang.org/protobuf/proto"

	"github.com/tbgo/tbgo/proto/tbpb"
)

// PluginMesh is the plugin of mesh values, served by TensorBoard's mesh
// dashboard.
const PluginMesh = "mesh"

// A Mesh is a batch of point clouds or triangle meshes that TensorBoard's
// mesh dashboard draws in 3D, one per sample of the series. All meshes of
// a batch have the same number of vertices, and the same number of faces:
// TensorBoard stores each part as one tensor of shape [batch, n, 3].
type Mesh struct {
	// Vertices[b][i] is the (x, y, z) position of vertex i of mesh b. At
	// least one mesh of at least one vertex; coordinates must be finite.
	Vertices [][][3]float32
	// Faces, if not nil, makes triangle meshes: Faces[b][j] holds the
	// indices into Vertices[b] of the corners of triangle j. Without
	// faces the meshes are point clouds.
	Faces [][][3]int32
	// Colors, if not nil, gives each vertex an (r, g, b) colour:
	// Colors[b][i] is the colour of Vertices[b][i].
	Colors [][][3]uint8
	// Config is the three.js scene configuration the dashboard applies
	// (camera, lights, material), written as JSON with sorted keys; nil
	// means {}. For example, {"material": {"cls": "PointsMaterial",
	// "size": 0.1}} sets the size of a point cloud's points.
	Config map[string]any
}

// Tags of the values of a mesh's parts: the mesh's tag and one of these
// suffixes, as TensorBoard's metadata.get_instance_name names them.
const (
	MeshVertexSuffix = "_VERTEX"
	MeshFaceSuffix   = "_FACE"
	MeshColorSuffix  = "_COLOR"
)

// meshPart is one tensor of a mesh.
type meshPart struct {
	kind   tbpb.MeshPluginData_ContentType
	suffix string
	dtype  tbpb.DataType
	n      int    // rows per mesh
	data   []byte // tensor_content
}

// MeshValues returns the summary values of a mesh: one per part (vertices,
// then faces and colours if present) tagged tag+MeshVertexSuffix and so
// on, each a [batch, n, 3] tensor (DT_FLOAT vertices, DT_INT32 faces,
// DT_UINT8 colours) with mesh metadata naming tag, the part, the parts
// present, the shape and the configuration, and data class TENSOR, as
// TensorBoard's mesh summary writes them. Write them in one event with
// Writer.Mesh, or with WriteValue one by one.
func MeshValues(tag string, m Mesh, meta Meta) ([]*tbpb.Summary_Value, error) {
	if err := checkTag(tag); err != nil {
		return nil, err
	}
	parts, err := m.parts(tag)
	if err != nil {
		return nil, err
	}
	config := []byte("{}")
	if m.Config != nil {
		// Maps marshal with sorted keys, as TensorBoard's json.dumps(...,
		// sort_keys=True).
		if config, err = json.Marshal(m.Config); err != nil {
			return nil, fmt.Errorf("summary: mesh %q: config: %w", tag, err)
		}
	}
	var components uint32
	for _, p := range parts {
		components |= 1 << p.kind
	}
	batch := len(m.Vertices)
	vals := make([]*tbpb.Summary_Value, len(parts))
	for i, p := range parts {
		content := marshalContent(&tbpb.MeshPluginData{
			Name:        tag,
			ContentType: p.kind,
			JsonConfig:  string(config),
			Shape:       []int32{int32(batch), int32(p.n), 3},
			Components:  components,
		})
		vals[i] = &tbpb.Summary_Value{
			Tag:      tag + p.suffix,
			Metadata: metadata(PluginMesh, content, tbpb.DataClass_DATA_CLASS_TENSOR, meta),
			Value: &tbpb.Summary_Value_Tensor{Tensor: &tbpb.TensorProto{
				Dtype:         p.dtype,
				TensorShape:   shape(int64(batch), int64(p.n), 3),
				TensorContent: p.data,
			}},
		}
	}
	return vals, nil
}

// parts checks m, the mesh of tag, and returns its tensors.
func (m *Mesh) parts(tag string) ([]meshPart, error) {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("summary: mesh %q: "+format, append([]any{tag}, args...)...)
	}
	batch := len(m.Vertices)
	if batch == 0 {
		return nil, bad("no vertices")
	}
	n := len(m.Vertices[0])
	if n == 0 {
		return nil, bad("sample 0 has no vertices")
	}
	// Shapes are int32 in the metadata.
	if batch*n > math.MaxInt32/3 {
		return nil, bad("%d samples of %d vertices are too many", batch, n)
	}
	le := binary.LittleEndian
	verts := make([]byte, 0, batch*n*12)
	for b, vs := range m.Vertices {
		if len(vs) != n {
			return nil, bad("sample %d has %d vertices, sample 0 has %d", b, len(vs), n)
		}
		for i, v := range vs {
			for _, x := range v {
				if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
					return nil, fmt.Errorf("%w: mesh %q: vertex %d of sample %d is %v", ErrNonFinite, tag, i, b, v)
				}
				verts = le.AppendUint32(verts, math.Float32bits(x))
			}
		}
	}
	parts := []meshPart{{tbpb.MeshPluginData_VERTEX, MeshVertexSuffix, tbpb.DataType_DT_FLOAT, n, verts}}

	if m.Faces != nil {
		if len(m.Faces) != batch {
			return nil, bad("faces of %d samples for %d samples of vertices", len(m.Faces), batch)
		}
		f := len(m.Faces[0])
		if f == 0 {
			return nil, bad("sample 0 has no faces (leave Faces nil for a point cloud)")
		}
		if batch*f > math.MaxInt32/3 {
			return nil, bad("%d samples of %d faces are too many", batch, f)
		}
		faces := make([]byte, 0, batch*f*12)
		for b, fs := range m.Faces {
			if len(fs) != f {
				return nil, bad("sample %d has %d faces, sample 0 has %d", b, len(fs), f)
			}
			for j, face := range fs {
				for _, k := range face {
					if k < 0 || int(k) >= n {
						return nil, bad("face %d of sample %d is %v: vertex %d is not in [0, %d)", j, b, face, k, n)
					}
					faces = le.AppendUint32(faces, uint32(k))
				}
			}
		}
		parts = append(parts, meshPart{tbpb.MeshPluginData_FACE, MeshFaceSuffix, tbpb.DataType_DT_INT32, f, faces})
	}

	if m.Colors != nil {
		if len(m.Colors) != batch {
			return nil, bad("colors of %d samples for %d samples of vertices", len(m.Colors), batch)
		}
		colors := make([]byte, 0, batch*n*3)
		for b, cs := range m.Colors {
			if len(cs) != n {
				return nil, bad("sample %d has %d colors for %d vertices", b, len(cs), n)
			}
			for _, c := range cs {
				colors = append(colors, c[:]...)
			}
		}
		parts = append(parts, meshPart{tbpb.MeshPluginData_COLOR, MeshColorSuffix, tbpb.DataType_DT_UINT8, n, colors})
	}
	return parts, nil
}

// Mesh writes a batch of point clouds or triangle meshes as one step of
// tag, its parts as values of one event (see MeshValues). The display
// name and description set with Describe(tag) apply to every part.
func (w *Writer) Mesh(tag string, step int64, m Mesh) (err error) {
	defer w.note(&err)
	if err := checkTag(tag); err != nil {
		return err
	}
	wall := w.wall()
	w.mu.Lock()
	defer w.mu.Unlock()
	var meta Meta
	if s := w.series[tag]; s != nil {
		meta = s.meta
	}
	vals, err := MeshValues(tag, m, meta)
	if err != nil {
		return err
	}
	series := make([]*series, len(vals))
	for i, v := range vals {
		if series[i], err = w.lookup(v.Tag, PluginMesh); err != nil {
			return err
		}
	}
	w.sum.Value = append(w.sum.Value[:0], vals...)
	w.ev.WallTime = wall
	w.ev.Step = step
	w.ev.What = &tbpb.Event_Summary{Summary: &w.sum}
	w.buf, err = proto.MarshalOptions{Deterministic: true}.MarshalAppend(w.buf[:0], &w.ev)
	clear(w.sum.Value)
	w.sum.Value = w.sum.Value[:0]
	if err != nil {
		return fmt.Errorf("summary: marshal mesh %q: %w", tag, err)
	}
	if err := w.writeRecord(tag, step); err != nil {
		return err
	}
	for _, s := range series {
		s.plugin = PluginMesh
	}
	return nil
}
