package trainer

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// A Spec describes a model: its layers, in order. The input shape is not
// part of it; NewModel takes it, so one description serves any data of a
// compatible shape. Its YAML form is
//
//	name: mlp
//	layers:
//	  - type: dense
//	    units: 128
//	    init: he_normal
//	  - type: relu
//	  - type: dense
//	    units: 10
//
// See LayerSpec for the fields of each layer type.
type Spec struct {
	// Name names the model in summaries; it may be empty.
	Name string `yaml:"name,omitempty"`
	// Layers are the layers, input first.
	Layers []LayerSpec `yaml:"layers"`
}

// A LayerSpec describes one layer. Type is required; which other fields
// apply depends on it, and a non-zero field that does not apply is an
// error (so that a misplaced field is not silently ignored):
//
//	type        fields (default)
//	dense       units, init (glorot_uniform), bias_init (0), no_bias
//	conv        filters, kernel, stride (1), padding (0), init, bias_init, no_bias
//	maxpool     kernel (2), stride (kernel)
//	flatten     —
//	batchnorm   momentum (0.1), epsilon (1e-5)
//	residual    layers (at least one)
//	dropout     rate (0.5)
//	sigmoid, tanh, relu, softmax   —
//	leaky_relu  slope (0.01)
//	prelu       slope (0.25, the initial slope)
//	elu         alpha (1)
//	maxout      pieces (2)
//
// Every layer also takes a name; unnamed layers are named after their
// type and numbered from 1 in order of appearance within their block
// ("dense1", "relu2", "res1/conv1").
//
// A convolution has square kernels and the same stride and zero padding
// in both directions; its output is ⌊(H + 2·padding − kernel)/stride⌋ + 1
// high, and likewise wide. Max-pooling has no padding.
//
// A residual block adds its input to the output of its layers. When the
// layers change the shape, the input goes through a learned projection
// without bias, named "proj" inside the block: a dense layer for vectors,
// or a 1×1 convolution whose stride maps the input's height and width
// onto the layers' output; if no stride does, the shape is impossible.
// The block applies no activation after the addition: add one after it.
type LayerSpec struct {
	Type LayerType `yaml:"type"`
	Name string    `yaml:"name,omitempty"`

	Units   int `yaml:"units,omitempty"`
	Filters int `yaml:"filters,omitempty"`
	Kernel  int `yaml:"kernel,omitempty"`
	Stride  int `yaml:"stride,omitempty"`
	Padding int `yaml:"padding,omitempty"`

	Init     Init `yaml:"init,omitempty"`
	BiasInit Init `yaml:"bias_init,omitempty"`
	NoBias   bool `yaml:"no_bias,omitempty"`

	Slope    float64 `yaml:"slope,omitempty"`
	Alpha    float64 `yaml:"alpha,omitempty"`
	Pieces   int     `yaml:"pieces,omitempty"`
	Rate     float64 `yaml:"rate,omitempty"`
	Momentum float64 `yaml:"momentum,omitempty"`
	Epsilon  float64 `yaml:"epsilon,omitempty"`

	Layers []LayerSpec `yaml:"layers,omitempty"`

	// line is the layer's line in the YAML it was read from, 0 if none.
	line int
}

// fieldsFor lists the YAML fields, beyond type and name, that apply to
// each layer type.
var fieldsFor = map[LayerType][]string{
	TypeDense:     {"units", "init", "bias_init", "no_bias"},
	TypeConv:      {"filters", "kernel", "stride", "padding", "init", "bias_init", "no_bias"},
	TypeMaxPool:   {"kernel", "stride"},
	TypeFlatten:   nil,
	TypeBatchNorm: {"momentum", "epsilon"},
	TypeResidual:  {"layers"},
	TypeDropout:   {"rate"},
	TypeSigmoid:   nil,
	TypeTanh:      nil,
	TypeReLU:      nil,
	TypeLeakyReLU: {"slope"},
	TypePReLU:     {"slope"},
	TypeELU:       {"alpha"},
	TypeMaxout:    {"pieces"},
	TypeSoftmax:   nil,
}

// specKeys lists the YAML keys of LayerSpec in field order, specFields
// maps each to its field index.
var specKeys, specFields = func() ([]string, map[string]int) {
	var keys []string
	m := map[string]int{}
	t := reflect.TypeFor[LayerSpec]()
	for i := range t.NumField() {
		if tag, ok := t.Field(i).Tag.Lookup("yaml"); ok {
			k := strings.Split(tag, ",")[0]
			keys = append(keys, k)
			m[k] = i
		}
	}
	return keys, m
}()

// UnmarshalYAML implements yaml.Unmarshaler. It refuses unknown keys,
// even when the enclosing decoder does not, and remembers the layer's
// line for the errors of NewModel.
func (s *LayerSpec) UnmarshalYAML(node *yaml.Node) error {
	if node.Kind != yaml.MappingNode {
		return fmt.Errorf("line %d: a layer is a mapping such as {type: dense, units: 64}", node.Line)
	}
	for i := 0; i+1 < len(node.Content); i += 2 {
		k := node.Content[i]
		if _, ok := specFields[k.Value]; !ok {
			return fmt.Errorf("line %d: unknown layer field %q (known: %s)", k.Line, k.Value, strings.Join(specKeys, ", "))
		}
	}
	type plain LayerSpec // without this method
	var p plain
	if err := node.Decode(&p); err != nil {
		var te *yaml.TypeError
		if errors.As(err, &te) {
			return err
		}
		return fmt.Errorf("line %d: %w", node.Line, err)
	}
	*s = LayerSpec(p)
	s.line = node.Line
	return nil
}

// ParseSpec reads a Spec from YAML, refusing unknown keys. Its errors
// name the line. It checks the structure only; NewModel checks the
// values and the shapes.
func ParseSpec(b []byte) (Spec, error) {
	var s Spec
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&s); err != nil {
		return Spec{}, fmt.Errorf("trainer: model description: %w", err)
	}
	return s, nil
}

// builder builds the layers of a description, in order.
type builder struct {
	seed     uint64
	rng      *rand.Rand // initialisers, drawn in layer order
	dropouts int
}

// specErr returns a SpecError for ls at path.
func specErr(ls *LayerSpec, path, name string, format string, args ...any) error {
	return &SpecError{Path: path, Layer: name, Line: ls.line, Err: fmt.Errorf(format, args...)}
}

// resolve checks the fields of ls against its type and returns it with
// every default filled in.
func resolve(ls LayerSpec, path, name string) (LayerSpec, error) {
	allowed, ok := fieldsFor[ls.Type]
	if !ok {
		names := make([]string, len(layerTypes))
		for i, t := range layerTypes {
			names[i] = string(t)
		}
		if ls.Type == "" {
			return ls, specErr(&ls, path, name, "missing type (one of %s)", strings.Join(names, ", "))
		}
		return ls, specErr(&ls, path, name, "unknown type %q (one of %s)", ls.Type, strings.Join(names, ", "))
	}
	v := reflect.ValueOf(ls)
	for _, key := range specKeys { // in field order: the first misplaced field is reported
		i := specFields[key]
		if key == "type" || key == "name" || slices.Contains(allowed, key) {
			continue
		}
		if !v.Field(i).IsZero() {
			return ls, specErr(&ls, path, name, "field %q does not apply to a %s layer", key, ls.Type)
		}
	}
	bad := func(format string, args ...any) (LayerSpec, error) {
		return ls, specErr(&ls, path, name, format, args...)
	}
	finite := func(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }
	switch ls.Type {
	case TypeDense:
		if ls.Units < 1 {
			return bad("units must be at least 1, have %d", ls.Units)
		}
	case TypeConv:
		if ls.Filters < 1 {
			return bad("filters must be at least 1, have %d", ls.Filters)
		}
		if ls.Kernel < 1 {
			return bad("kernel must be at least 1, have %d", ls.Kernel)
		}
		if ls.Stride == 0 {
			ls.Stride = 1
		}
		if ls.Padding < 0 {
			return bad("padding must not be negative, have %d", ls.Padding)
		}
	case TypeMaxPool:
		if ls.Kernel == 0 {
			ls.Kernel = 2
		}
		if ls.Kernel < 1 {
			return bad("kernel must be at least 1, have %d", ls.Kernel)
		}
		if ls.Stride == 0 {
			ls.Stride = ls.Kernel
		}
	case TypeBatchNorm:
		if ls.Momentum == 0 {
			ls.Momentum = 0.1
		}
		if ls.Epsilon == 0 {
			ls.Epsilon = 1e-5
		}
		if !(ls.Momentum > 0 && ls.Momentum <= 1) {
			return bad("momentum must be in (0, 1], have %v", ls.Momentum)
		}
		if !(ls.Epsilon > 0) || !finite(ls.Epsilon) {
			return bad("epsilon must be positive, have %v", ls.Epsilon)
		}
	case TypeResidual:
		if len(ls.Layers) == 0 {
			return bad("a residual block needs at least one layer")
		}
	case TypeDropout:
		if ls.Rate == 0 {
			ls.Rate = 0.5
		}
		if !(ls.Rate > 0 && ls.Rate < 1) {
			return bad("rate must be in (0, 1), have %v", ls.Rate)
		}
	case TypeLeakyReLU, TypePReLU:
		if ls.Slope == 0 {
			ls.Slope = 0.01
			if ls.Type == TypePReLU {
				ls.Slope = 0.25
			}
		}
		if !finite(ls.Slope) {
			return bad("slope must be finite, have %v", ls.Slope)
		}
	case TypeELU:
		if ls.Alpha == 0 {
			ls.Alpha = 1
		}
		if !(ls.Alpha > 0) || !finite(ls.Alpha) {
			return bad("alpha must be positive, have %v", ls.Alpha)
		}
	case TypeMaxout:
		if ls.Pieces == 0 {
			ls.Pieces = 2
		}
		if ls.Pieces < 2 {
			return bad("pieces must be at least 2, have %d", ls.Pieces)
		}
	}
	if ls.Stride < 0 {
		return bad("stride must be at least 1, have %d", ls.Stride)
	}
	if ls.Type == TypeDense || ls.Type == TypeConv {
		if ls.Init.Kind == "" {
			ls.Init = Init{Kind: InitGlorotUniform}
		}
		if ls.BiasInit.Kind == "" {
			ls.BiasInit = Init{Kind: InitConstant, Scale: ls.BiasInit.Scale}
		}
		for _, in := range []Init{ls.Init, ls.BiasInit} {
			if err := in.check(); err != nil {
				return bad("%v", err)
			}
			if _, err := ParseInit(in.String()); err != nil {
				return bad("%v", err)
			}
		}
	}
	return ls, nil
}

// validName applies TensorFlow's rule for node names, without "/": a
// layer name is one namespace of the graph.
func validName(name string) error {
	for i := 0; i < len(name); i++ {
		c := name[i]
		ok := 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.'
		if i > 0 {
			ok = ok || c == '_' || c == '-'
		}
		if !ok {
			return fmt.Errorf("name %q: character %q is not allowed (letters, digits, '.', and after the first, '_' and '-')", name, c)
		}
	}
	return nil
}

// shortNames gives the prefix of unnamed layers of each type.
var shortNames = map[LayerType]string{TypeBatchNorm: "bn", TypeResidual: "res", TypeDropout: "dropout", TypeMaxPool: "pool"}

// build builds the layers of specs for inputs of shape in. prefix is the
// enclosing block's name and "/", or "".
func (b *builder) build(specs []LayerSpec, in Shape, path, block string) ([]impl, []*Layer, Shape, error) {
	var impls []impl
	var all []*Layer
	// The graph's input node is "input"; a block's projection is "proj".
	reserved := "input"
	if block != "" {
		reserved = "proj"
	}
	taken := map[string]bool{reserved: true}
	counts := map[LayerType]int{}
	for i, ls := range specs {
		if ls.Name != "" {
			if err := validName(ls.Name); err != nil {
				return nil, nil, in, specErr(&ls, fmt.Sprintf("%slayers[%d]", path, i), "", "%v", err)
			}
			if ls.Name == reserved {
				return nil, nil, in, specErr(&ls, fmt.Sprintf("%slayers[%d]", path, i), "", "name %q is reserved", ls.Name)
			}
			if taken[ls.Name] {
				return nil, nil, in, specErr(&ls, fmt.Sprintf("%slayers[%d]", path, i), "", "name %q is taken", ls.Name)
			}
			taken[ls.Name] = true
		}
	}
	for i, ls := range specs {
		p := fmt.Sprintf("%slayers[%d]", path, i)
		name := ls.Name
		if _, known := fieldsFor[ls.Type]; name == "" && known {
			short := shortNames[ls.Type]
			if short == "" {
				short = string(ls.Type)
			}
			for {
				counts[ls.Type]++
				name = short + strconv.Itoa(counts[ls.Type])
				if !taken[name] {
					break
				}
			}
			taken[name] = true
		}
		full := name
		if block != "" && name != "" {
			full = block + "/" + name
		}
		r, err := resolve(ls, p, full)
		if err != nil {
			return nil, nil, in, err
		}
		l := &Layer{Name: full, Type: r.Type, Spec: r, In: in, Block: block}
		l.Spec.Name = name
		l.Spec.line = ls.line
		im, sub, err := b.layer(l, &ls, p)
		if err != nil {
			return nil, nil, in, err
		}
		impls = append(impls, im)
		all = append(all, sub...)
		all = append(all, l)
		in = l.Out
	}
	return impls, all, in, nil
}

// layer builds the layer described by l.Spec on l.In; for a residual
// block it also returns the layers inside it.
func (b *builder) layer(l *Layer, ls *LayerSpec, path string) (impl, []*Layer, error) {
	s, in := l.Spec, l.In
	shapeErr := func(format string, args ...any) error {
		return &SpecError{Path: path, Layer: l.Name, Line: ls.line, Err: fmt.Errorf("%w: "+format, append([]any{ErrShape}, args...)...)}
	}
	var im impl
	var sub []*Layer
	switch s.Type {
	case TypeDense:
		d := newDense(l, s.Units, !s.NoBias)
		b.initParams(d.w, d.b, s)
		im = d
	case TypeConv:
		oh, ow := convOut(in.H, s.Kernel, s.Stride, s.Padding), convOut(in.W, s.Kernel, s.Stride, s.Padding)
		if oh < 1 || ow < 1 {
			return nil, nil, shapeErr("kernel %d×%d is larger than the input %s padded by %d", s.Kernel, s.Kernel, in, s.Padding)
		}
		c := newConv(l, s.Filters, s.Kernel, s.Stride, s.Padding, !s.NoBias)
		b.initParams(c.w, c.b, s)
		im = c
	case TypeMaxPool:
		if s.Kernel > in.H || s.Kernel > in.W {
			return nil, nil, shapeErr("window %d×%d is larger than the input %s", s.Kernel, s.Kernel, in)
		}
		im = newMaxPool(l, s.Kernel, s.Stride)
	case TypeFlatten:
		im = newFlatten(l)
	case TypeBatchNorm:
		im = newBatchNorm(l, s.Momentum, s.Epsilon)
	case TypeDropout:
		b.dropouts++
		im = newDropout(l, s.Rate, b.seed, b.dropouts)
	case TypeSigmoid, TypeTanh, TypeReLU:
		im = newElementwise(l, 0)
	case TypeLeakyReLU:
		im = newElementwise(l, s.Slope)
	case TypeELU:
		im = newElementwise(l, s.Alpha)
	case TypePReLU:
		im = newPReLU(l, s.Slope)
	case TypeSoftmax:
		im = newSoftmax(l)
	case TypeMaxout:
		if in.C%s.Pieces != 0 {
			return nil, nil, shapeErr("%d channels of the input %s do not divide into groups of %d pieces", in.C, in, s.Pieces)
		}
		im = newMaxout(l, s.Pieces)
	case TypeResidual:
		body, inner, out, err := b.build(ls.Layers, in, path+".", l.Name)
		if err != nil {
			return nil, nil, err
		}
		r := &residual{l: l, body: body}
		sub = inner
		l.Out = in
		if out != in {
			pl := &Layer{Name: l.Name + "/proj", In: in, Block: l.Name}
			switch {
			case in.IsVector() && out.IsVector():
				pl.Type = TypeDense
				pl.Spec = LayerSpec{Type: TypeDense, Name: "proj", Units: out.C, Init: Init{Kind: InitGlorotUniform}, NoBias: true}
				d := newDense(pl, out.C, false)
				b.initParams(d.w, nil, pl.Spec)
				r.proj = d
			default:
				stride := 0
				for st := 1; st <= max(in.H, in.W); st++ {
					if convOut(in.H, 1, st, 0) == out.H && convOut(in.W, 1, st, 0) == out.W {
						stride = st
						break
					}
				}
				if stride == 0 || out.IsVector() != in.IsVector() {
					return nil, nil, shapeErr("the block maps %s to %s, which no 1×1 convolution projects the input onto", in, out)
				}
				pl.Type = TypeConv
				pl.Spec = LayerSpec{Type: TypeConv, Name: "proj", Filters: out.C, Kernel: 1, Stride: stride, Init: Init{Kind: InitGlorotUniform}, NoBias: true}
				c := newConv(pl, out.C, 1, stride, 0, false)
				b.initParams(c.w, nil, pl.Spec)
				r.proj = c
			}
			sub = append(sub, pl)
			l.Out = out
		}
		im = r
	}
	return im, sub, nil
}

// initParams fills a layer's weights and bias from its description.
func (b *builder) initParams(w, bias *Param, s LayerSpec) {
	w.Init = s.Init
	s.Init.Fill(raw(w.Value), w.FanIn, w.FanOut, b.rng)
	if bias != nil {
		bias.Init = s.BiasInit
		s.BiasInit.Fill(raw(bias.Value), w.FanIn, w.FanOut, b.rng)
	}
}
