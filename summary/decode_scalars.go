package summary

import (
	"bytes"
	"encoding/binary"
	"math"
	"unicode/utf8"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/tbgo/tbgo/proto/tbpb"
)

// The fast path of AppendScalars: it reads the protobuf wire format of an
// Event directly, interns tags and remembers the layout of a run's scalar
// summaries, so that a warm Decoder allocates nothing per scalar. Anything
// it cannot take apart on its own goes through Record (decode.go), and the
// two agree by construction: both decide a scalar with scalarTensor.

// ScalarPoint is one scalar of a series, as AppendScalars decodes it.
type ScalarPoint struct {
	Tag      string
	Step     int64
	WallTime float64
	Value    float64
}

// AppendScalars decodes the scalars of a serialized Event and appends them
// to dst: exactly the KindScalar Values that Record would give, in the
// same order, with the same values (legacy simple_value, and tensors of
// the scalars plugin, by their own metadata or their series'). Other
// values are skipped, but their metadata is learned as Event learns it, so
// a Decoder may mix AppendScalars and Record calls over one run.
//
// AppendScalars reads the protobuf wire format directly. Once it has seen
// a run's tags it allocates nothing: tags are interned in the Decoder. An
// event it cannot take apart on its own (one that does not decode,
// repeats a field that protobuf would merge, or holds a scalar that is not
// one number) goes through Record instead, so its scalars and errors are
// Record's.
func (d *Decoder) AppendScalars(dst []ScalarPoint, record []byte) ([]ScalarPoint, error) {
	n := len(dst)
	d.learned = d.learned[:0]
	if out, ok := d.fastScalars(dst, record); ok {
		return out, nil
	}
	// Forget what the fast path learned, so Record learns it again in
	// order.
	for _, tag := range d.learned {
		delete(d.tags, tag)
	}
	dst = dst[:n]
	vals, err := d.Record(d.vals[:0], record)
	for i := range vals {
		if v := &vals[i]; v.Kind == KindScalar {
			dst = append(dst, ScalarPoint{Tag: v.Tag, Step: v.Step, WallTime: v.WallTime, Value: v.Scalar})
		}
	}
	clear(vals)
	d.vals = vals[:0]
	return dst, err
}

// wireValue is what AppendScalars reads of a Summary.Value.
type wireValue struct {
	tag, node  []byte
	form       form
	forms      int // oneof members seen: more than one needs protobuf's rules
	simple     float32
	simpleBits []byte // simple_value's bytes
	tensor     []byte
	md         wireMeta
}

// wireMeta is what AppendScalars reads of a SummaryMetadata.
type wireMeta struct {
	plugin, content []byte
	display, desc   []byte
	class           int32
}

func (m *wireMeta) carries() bool {
	return len(m.plugin) > 0 || m.class != 0
}

// field reads the next field of b: its number, wire type and value (u for
// numbers, v for bytes), and the field's length n, negative if b is not
// valid wire format.
func field(b []byte) (num protowire.Number, typ protowire.Type, u uint64, v []byte, n int) {
	// Nearly every tag in an event is one byte, and so are most lengths.
	if len(b) < 2 || b[0] >= 0x80 || b[0] < 1<<3 {
		return fieldSlow(b)
	}
	num, typ = protowire.Number(b[0]>>3), protowire.Type(b[0]&7)
	switch typ {
	case protowire.VarintType:
		if b[1] < 0x80 {
			return num, typ, uint64(b[1]), nil, 2
		}
		u, n = protowire.ConsumeVarint(b[1:])
		if n < 0 {
			return 0, 0, 0, nil, n
		}
		return num, typ, u, nil, 1 + n
	case protowire.BytesType:
		if l := int(b[1]); l < 0x80 {
			if l > len(b)-2 {
				return 0, 0, 0, nil, -1
			}
			return num, typ, 0, b[2 : 2+l], 2 + l
		}
	case protowire.Fixed32Type:
		if len(b) >= 5 {
			return num, typ, uint64(binary.LittleEndian.Uint32(b[1:])), nil, 5
		}
	case protowire.Fixed64Type:
		if len(b) >= 9 {
			return num, typ, binary.LittleEndian.Uint64(b[1:]), nil, 9
		}
	}
	return fieldSlow(b)
}

func fieldSlow(b []byte) (num protowire.Number, typ protowire.Type, u uint64, v []byte, n int) {
	num, typ, n = protowire.ConsumeTag(b)
	if n < 0 {
		return 0, 0, 0, nil, n
	}
	var m int
	switch typ {
	case protowire.VarintType:
		u, m = protowire.ConsumeVarint(b[n:])
	case protowire.Fixed32Type:
		var x uint32
		x, m = protowire.ConsumeFixed32(b[n:])
		u = uint64(x)
	case protowire.Fixed64Type:
		u, m = protowire.ConsumeFixed64(b[n:])
	case protowire.BytesType:
		v, m = protowire.ConsumeBytes(b[n:])
	default:
		m = protowire.ConsumeFieldValue(num, typ, b[n:])
	}
	if m < 0 {
		return 0, 0, 0, nil, m
	}
	return num, typ, u, v, n + m
}

// fastScalars is AppendScalars for the events it can read on its own; ok
// is false for the others.
func (d *Decoder) fastScalars(dst []ScalarPoint, b []byte) (_ []ScalarPoint, ok bool) {
	var (
		wall float64
		step int64
		sum  []byte
		nsum int
		what protowire.Number // the last member of Event's oneof
		num  protowire.Number
		typ  protowire.Type
		u    uint64
		v    []byte
		n    int
	)
	for len(b) > 0 {
		if num, typ, u, v, n = field(b); n < 0 {
			return dst, false
		}
		b = b[n:]
		// A known field with another wire type is an unknown field to
		// protobuf.
		switch {
		case num == 1 && typ == protowire.Fixed64Type:
			wall = math.Float64frombits(u)
		case num == 2 && typ == protowire.VarintType:
			step = int64(u)
		case num >= 3 && num <= 9 && typ == protowire.BytesType:
			what = num
			if num == 5 {
				sum = v
				nsum++
			}
		}
	}
	if math.IsNaN(wall) || math.IsInf(wall, 0) {
		return dst, false // damage: Record reports it
	}
	if what != 5 {
		return dst, true
	}
	if nsum > 1 {
		return dst, false
	}

	if info, x, ok := d.sameLayout(sum); ok {
		return append(dst, ScalarPoint{Tag: info.tag, Step: step, WallTime: wall, Value: float64(x)}), true
	}

	summary := sum
	wv := d.wire[:0]
	for len(sum) > 0 {
		if num, typ, _, v, n = field(sum); n < 0 {
			return dst, false
		}
		sum = sum[n:]
		if num == 1 && typ == protowire.BytesType {
			wv = append(wv, wireValue{})
			if !wv[len(wv)-1].parse(v) {
				clear(wv)
				d.wire = wv[:0]
				return dst, false
			}
		}
	}
	// The values point into the record; the scratch must not keep it
	// alive (a reader's whole buffer) once this call is done.
	defer func() { clear(wv); d.wire = wv[:0] }()

	for i := range wv {
		w := &wv[i]
		tag := w.tag
		if len(tag) == 0 {
			tag = w.node
		}
		own := w.md.carries()
		legacy := w.form.legacyPlugin()
		info := d.tags[string(tag)]
		if info == nil && (own || legacy != "") {
			if info = w.md.info(tag); info == nil {
				return dst, false // invalid UTF-8: Record reports it
			}
			if legacy != "" {
				info.plugin = legacy
			}
			d.learn(info)
			d.learned = append(d.learned, info.tag)
		}
		switch w.form {
		case formSimple:
			dst = append(dst, ScalarPoint{Tag: info.tag, Step: step, WallTime: wall, Value: float64(w.simple)})
			if len(wv) == 1 {
				d.remember(summary, w.simpleBits, info)
			}
		case formTensor, formNone:
			var scalars bool
			if own {
				scalars = string(w.md.plugin) == PluginScalars
			} else if info != nil {
				scalars = info.plugin == PluginScalars
			}
			if !scalars {
				continue
			}
			if w.form == formNone {
				return dst, false // an error: Record says which
			}
			s, ok := parseScalarTensor(w.tensor)
			if !ok {
				return dst, false
			}
			x, ok := s.value()
			if !ok {
				return dst, false
			}
			dst = append(dst, ScalarPoint{Tag: info.tag, Step: step, WallTime: wall, Value: x})
			if len(wv) == 1 && s.dtype == tbpb.DataType_DT_FLOAT {
				d.remember(summary, s.source(), info)
			}
		}
	}
	return dst, true
}

// Writers repeat one layout of a summary per tag, changing only the
// scalar's four bytes, so AppendScalars keeps, per series, the last
// summary it decoded whose one value was a float32 scalar of the series,
// with the place of those bytes. A summary equal to it but for those bytes
// holds the same series' scalar in the same place: they are the payload of
// a fixed-size field, so they cannot change how the rest parses, and what
// the decision depended on, the tag's metadata, does not change once
// learned. Most events take this path.

// sameLayout returns the scalar of summary if it has the layout of the
// series its first value's tag field names.
func (d *Decoder) sameLayout(summary []byte) (*tagInfo, float32, bool) {
	num, typ, _, v, n := field(summary)
	if n < 0 || num != 1 || typ != protowire.BytesType {
		return nil, 0, false
	}
	num, typ, _, tag, n := field(v)
	if n < 0 || num != 1 || typ != protowire.BytesType {
		return nil, 0, false
	}
	info := d.tags[string(tag)]
	if info == nil || len(info.layout) != len(summary) {
		return nil, 0, false
	}
	l, at := info.layout, info.at
	if !bytes.Equal(summary[:at], l[:at]) || !bytes.Equal(summary[at+4:], l[at+4:]) {
		return nil, 0, false
	}
	return info, math.Float32frombits(binary.LittleEndian.Uint32(summary[at:])), true
}

// remember records summary as info's layout, its scalar read from src.
func (d *Decoder) remember(summary, src []byte, info *tagInfo) {
	// Slicing keeps the end of the array, so the capacities give src's
	// offset in summary; the pointers confirm that src lies there.
	at := cap(summary) - cap(src)
	if len(src) != 4 || at < 0 || at > len(summary)-4 || &summary[at] != &src[0] {
		return
	}
	info.layout = append(info.layout[:0], summary...)
	info.at = at
}

// info returns the series metadata for tag described by m, or nil if a
// string is not valid UTF-8, which protobuf refuses.
func (m *wireMeta) info(tag []byte) *tagInfo {
	if !utf8.Valid(tag) || !utf8.Valid(m.plugin) || !utf8.Valid(m.display) || !utf8.Valid(m.desc) {
		return nil
	}
	info := &tagInfo{
		tag:    string(tag),
		plugin: string(m.plugin),
		class:  tbpb.DataClass(m.class),
		meta:   Meta{DisplayName: string(m.display), Description: string(m.desc)},
	}
	if len(m.content) > 0 {
		info.content = bytes.Clone(m.content)
	}
	return info
}

// parse reads a Summary.Value; it reports false for what it leaves to
// protobuf.
func (w *wireValue) parse(b []byte) bool {
	for len(b) > 0 {
		num, typ, u, v, n := field(b)
		if n < 0 {
			return false
		}
		if num == 2 {
			if typ == protowire.Fixed32Type {
				w.form, w.forms = formSimple, w.forms+1
				w.simple = math.Float32frombits(uint32(u))
				w.simpleBits = b[n-4 : n]
			}
			b = b[n:]
			continue
		}
		b = b[n:]
		if typ != protowire.BytesType {
			continue
		}
		switch num {
		case 1:
			w.tag = v
		case 7:
			w.node = v
		case 9:
			// Repeated, it merges: parse into the same place.
			if !w.md.parse(v) {
				return false
			}
		case 3:
			w.form, w.forms = formObsolete, w.forms+1
		case 4:
			w.form, w.forms = formImage, w.forms+1
		case 5:
			w.form, w.forms = formHisto, w.forms+1
		case 6:
			w.form, w.forms = formAudio, w.forms+1
		case 8:
			w.form, w.forms = formTensor, w.forms+1
			w.tensor = v
		}
	}
	return w.forms <= 1
}

// parse reads a SummaryMetadata; it reports false for what it leaves to
// protobuf.
func (m *wireMeta) parse(b []byte) bool {
	for len(b) > 0 {
		num, typ, u, v, n := field(b)
		if n < 0 {
			return false
		}
		b = b[n:]
		switch {
		case num == 1 && typ == protowire.BytesType:
			for len(v) > 0 {
				pnum, ptyp, _, pv, n := field(v)
				if n < 0 {
					return false
				}
				v = v[n:]
				switch {
				case pnum == 1 && ptyp == protowire.BytesType:
					m.plugin = pv
				case pnum == 2 && ptyp == protowire.BytesType:
					m.content = pv
				}
			}
		case num == 2 && typ == protowire.BytesType:
			m.display = v
		case num == 3 && typ == protowire.BytesType:
			m.desc = v
		case num == 4 && typ == protowire.VarintType:
			m.class = int32(u)
		}
	}
	return true
}

// parseScalarTensor reads what deciding a scalar needs of a TensorProto.
// Repeated occurrences of a field accumulate, as protobuf merges them.
func parseScalarTensor(b []byte) (s scalarTensor, ok bool) {
	s.single = true
	for len(b) > 0 {
		num, typ, u, v, n := field(b)
		if n < 0 {
			return s, false
		}
		b = b[n:]
		switch num {
		case 1:
			if typ == protowire.VarintType {
				s.dtype = tbpb.DataType(int32(u))
			}
		case 2:
			if typ == protowire.BytesType && !s.parseShape(v) {
				return s, false
			}
		case 4:
			if typ == protowire.BytesType {
				s.content = v
			}
		case 5:
			switch typ {
			case protowire.Fixed32Type:
				s.addFloat(uint32(u))
			case protowire.BytesType:
				if len(v)%4 != 0 {
					return s, false
				}
				if len(v) == 4 && s.nFloat == 0 {
					s.floatBits = v
				}
				for ; len(v) > 0; v = v[4:] {
					s.addFloat(binary.LittleEndian.Uint32(v))
				}
			}
		case 6:
			switch typ {
			case protowire.Fixed64Type:
				s.addDouble(u)
			case protowire.BytesType:
				if len(v)%8 != 0 {
					return s, false
				}
				for ; len(v) > 0; v = v[8:] {
					s.addDouble(binary.LittleEndian.Uint64(v))
				}
			}
		case 7, 10:
			switch typ {
			case protowire.VarintType:
				s.addInt(num, u)
			case protowire.BytesType:
				for len(v) > 0 {
					x, n := protowire.ConsumeVarint(v)
					if n < 0 {
						return s, false
					}
					s.addInt(num, x)
					v = v[n:]
				}
			}
		}
	}
	return s, true
}

func (s *scalarTensor) parseShape(b []byte) bool {
	for len(b) > 0 {
		num, typ, _, v, n := field(b)
		if n < 0 {
			return false
		}
		b = b[n:]
		if num != 2 || typ != protowire.BytesType {
			continue
		}
		var size int64
		for len(v) > 0 {
			dnum, dtyp, du, _, n := field(v)
			if n < 0 {
				return false
			}
			v = v[n:]
			if dnum == 1 && dtyp == protowire.VarintType {
				size = int64(du)
			}
		}
		s.single = s.single && size == 1
	}
	return true
}

func (s *scalarTensor) addFloat(bits uint32) {
	if s.nFloat == 0 {
		s.f = math.Float32frombits(bits)
	}
	s.nFloat++
}

func (s *scalarTensor) addDouble(bits uint64) {
	if s.nDouble == 0 {
		s.d = math.Float64frombits(bits)
	}
	s.nDouble++
}

// addInt adds an element of int_val (field 7) or int64_val (field 10).
func (s *scalarTensor) addInt(num protowire.Number, x uint64) {
	if num == 7 {
		if s.nInt == 0 {
			s.i = int32(x)
		}
		s.nInt++
		return
	}
	if s.nInt64 == 0 {
		s.i64 = int64(x)
	}
	s.nInt64++
}
