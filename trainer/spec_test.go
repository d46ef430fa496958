package trainer

import (
	"errors"
	"strings"
	"testing"
)

func TestNewModelErrors(t *testing.T) {
	t.Parallel()
	img := Shape{C: 1, H: 8, W: 8}
	tests := []struct {
		desc   string
		in     Shape
		layers []LayerSpec
		want   string // in the message
		shape  bool   // wraps ErrShape
	}{
		{desc: "no layers", in: img, want: "no layers"},
		{desc: "bad input shape", in: Shape{C: 0, H: 8, W: 8}, layers: []LayerSpec{{Type: TypeReLU}}, want: "input shape 0×8×8", shape: true},
		{desc: "missing type", in: img, layers: []LayerSpec{{Units: 3}}, want: "layers[0]: missing type"},
		{desc: "unknown type", in: img, layers: []LayerSpec{{Type: "dens", Units: 3}}, want: `unknown type "dens"`},
		{desc: "field that does not apply", in: img, layers: []LayerSpec{{Type: TypeReLU, Units: 3}}, want: `layers[0] (relu1): field "units" does not apply to a relu layer`},
		{desc: "dense without units", in: img, layers: []LayerSpec{{Type: TypeDense}}, want: "units must be at least 1, have 0"},
		{desc: "negative units", in: img, layers: []LayerSpec{{Type: TypeDense, Units: -2}}, want: "units must be at least 1, have -2"},
		{desc: "conv kernel larger than input", in: img, layers: []LayerSpec{{Type: TypeConv, Filters: 4, Kernel: 3}, {Type: TypeMaxPool, Kernel: 2}, {Type: TypeConv, Name: "big", Filters: 2, Kernel: 5}},
			want: "layers[2] (big): impossible shape: kernel 5×5 is larger than the input 4×3×3 padded by 0", shape: true},
		{desc: "conv on a vector", in: Vector(64), layers: []LayerSpec{{Type: TypeConv, Filters: 4, Kernel: 3}}, want: "kernel 3×3 is larger than the input 64 padded by 0", shape: true},
		{desc: "pool window too large", in: Shape{C: 2, H: 3, W: 3}, layers: []LayerSpec{{Type: TypeMaxPool, Kernel: 4}}, want: "window 4×4 is larger than the input 2×3×3", shape: true},
		{desc: "maxout pieces do not divide", in: Vector(10), layers: []LayerSpec{{Type: TypeMaxout, Pieces: 3}}, want: "10 channels of the input 10 do not divide into groups of 3 pieces", shape: true},
		{desc: "residual block with no projection", in: Shape{C: 2, H: 5, W: 5}, layers: []LayerSpec{{Type: TypeResidual, Layers: []LayerSpec{{Type: TypeFlatten}}}},
			want: "layers[0] (res1): impossible shape: the block maps 2×5×5 to 50", shape: true},
		{desc: "nested error path", in: Vector(4), layers: []LayerSpec{{Type: TypeResidual, Layers: []LayerSpec{{Type: TypeDense, Units: 4}, {Type: TypeDropout, Rate: 1}}}},
			want: "layers[0].layers[1] (res1/dropout1): rate must be in (0, 1), have 1"},
		{desc: "empty residual block", in: Vector(4), layers: []LayerSpec{{Type: TypeResidual}}, want: "needs at least one layer"},
		{desc: "duplicate names", in: Vector(4), layers: []LayerSpec{{Type: TypeReLU, Name: "a"}, {Type: TypeTanh, Name: "a"}}, want: `name "a" is taken`},
		{desc: "reserved name", in: Vector(4), layers: []LayerSpec{{Type: TypeReLU, Name: "input"}}, want: `name "input" is reserved`},
		{desc: "reserved name in a block", in: Vector(4), layers: []LayerSpec{{Type: TypeResidual, Layers: []LayerSpec{{Type: TypeReLU, Name: "proj"}}}}, want: `layers[0].layers[0]: name "proj" is reserved`},
		{desc: "bad name", in: Vector(4), layers: []LayerSpec{{Type: TypeReLU, Name: "a/b"}}, want: `character '/' is not allowed`},
		{desc: "bad initialiser", in: Vector(4), layers: []LayerSpec{{Type: TypeDense, Units: 2, Init: Init{Kind: "orthogonal"}}}, want: `unknown initialiser "orthogonal"`},
		{desc: "negative std", in: Vector(4), layers: []LayerSpec{{Type: TypeDense, Units: 2, Init: Init{Kind: InitNormal, Scale: -1}}}, want: "negative scale"},
		{desc: "batchnorm momentum", in: Vector(4), layers: []LayerSpec{{Type: TypeBatchNorm, Momentum: 2}}, want: "momentum must be in (0, 1], have 2"},
		{desc: "elu alpha", in: Vector(4), layers: []LayerSpec{{Type: TypeELU, Alpha: -1}}, want: "alpha must be positive"},
		{desc: "maxout one piece", in: Vector(4), layers: []LayerSpec{{Type: TypeMaxout, Pieces: 1}}, want: "pieces must be at least 2"},
		{desc: "negative padding", in: img, layers: []LayerSpec{{Type: TypeConv, Filters: 1, Kernel: 3, Padding: -1}}, want: "padding must not be negative"},
		{desc: "negative stride", in: img, layers: []LayerSpec{{Type: TypeConv, Filters: 1, Kernel: 3, Stride: -1}}, want: "stride must be at least 1"},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			t.Parallel()
			_, err := NewModel(tt.in, Spec{Layers: tt.layers}, 1)
			if err == nil {
				t.Fatal("no error")
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not contain %q", err, tt.want)
			}
			if !strings.HasPrefix(err.Error(), "trainer: ") {
				t.Errorf("error %q does not start with the package name", err)
			}
			var se *SpecError
			if !errors.As(err, &se) {
				t.Errorf("error %T is not a *SpecError", err)
			}
			if got := errors.Is(err, ErrShape); got != tt.shape {
				t.Errorf("errors.Is(err, ErrShape) = %v, want %v", got, tt.shape)
			}
		})
	}
}

func TestParseSpec(t *testing.T) {
	t.Parallel()
	const doc = `name: small
layers:
  - type: conv
    filters: 4
    kernel: 3
    padding: 1
    init: he_normal
  - type: relu
  - type: residual
    layers:
      - {type: conv, filters: 4, kernel: 3, padding: 1, no_bias: true, init: "normal:0.02"}
      - {type: batchnorm, momentum: 0.2}
  - type: maxpool
  - type: flatten
  - type: dropout
    rate: 0.25
  - type: dense
    units: 10
    bias_init: constant:0.1
`
	s, err := ParseSpec([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	m, err := NewModel(Shape{C: 1, H: 8, W: 8}, s, 1)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, l := range m.Layers() {
		names = append(names, l.Name+":"+l.Out.String())
	}
	want := "conv1:4×8×8 relu1:4×8×8 res1/conv1:4×8×8 res1/bn1:4×8×8 res1:4×8×8 pool1:4×4×4 flatten1:64 dropout1:64 dense1:10"
	if got := strings.Join(names, " "); got != want {
		t.Errorf("layers\n got %s\nwant %s", got, want)
	}
	if got := m.Layer("res1/conv1").Spec.Init; got != (Init{Kind: InitNormal, Scale: 0.02}) {
		t.Errorf("res1/conv1 init = %v", got)
	}
	if got := m.Layer("res1/bn1").Spec.Momentum; got != 0.2 {
		t.Errorf("res1/bn1 momentum = %v", got)
	}
	for _, v := range raw(m.Param("dense1/bias").Value) {
		if v != 0.1 {
			t.Fatalf("dense1/bias = %v, want 0.1 everywhere", raw(m.Param("dense1/bias").Value))
		}
	}
}

func TestParseSpecErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		desc, doc, want string
	}{
		{"unknown top-level key", "name: x\nlayer:\n  - type: relu\n", "line 2: field layer not found"},
		{"unknown layer key", "layers:\n  - type: dense\n    unit: 3\n", `line 3: unknown layer field "unit"`},
		{"unknown nested key", "layers:\n  - type: residual\n    layers:\n      - type: relu\n        slop: 2\n", `line 5: unknown layer field "slop"`},
		{"bad initialiser", "layers:\n  - type: dense\n    units: 3\n    init: he_normall\n", `unknown initialiser "he_normall"`},
		{"wrong value type", "layers:\n  - type: dense\n    units: many\n", "line 3: cannot unmarshal !!str `many` into int"},
		{"layer not a mapping", "layers:\n  - dense\n", "line 2: a layer is a mapping"},
		{"not yaml", "layers: [", "did not find expected node content"},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			t.Parallel()
			_, err := ParseSpec([]byte(tt.doc))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want one containing %q", err, tt.want)
			}
		})
	}
}

// A layer read from YAML names its line in the errors of NewModel.
func TestSpecErrorLine(t *testing.T) {
	t.Parallel()
	s, err := ParseSpec([]byte("layers:\n  - type: dense\n    units: 3\n  - type: maxout\n    pieces: 2\n"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = NewModel(Vector(4), s, 1)
	const want = "trainer: line 4: layers[1] (maxout1): impossible shape: 3 channels of the input 3 do not divide into groups of 2 pieces"
	if err == nil || err.Error() != want {
		t.Errorf("error %v\nwant %s", err, want)
	}
}

func FuzzParseSpec(f *testing.F) {
	f.Add([]byte("layers:\n  - type: dense\n    units: 3\n  - type: relu\n"))
	f.Add([]byte("layers:\n  - {type: conv, filters: 2, kernel: 3, stride: 2, padding: 1}\n  - {type: maxpool, kernel: 2}\n  - {type: flatten}\n  - {type: dense, units: 2, init: normal:0.1}\n"))
	f.Add([]byte("layers:\n  - type: residual\n    layers: [{type: dense, units: 5}, {type: batchnorm}, {type: prelu}]\n  - {type: maxout, pieces: 5}\n  - {type: softmax}\n"))
	f.Add([]byte("layers:\n  - {type: dropout, rate: 0.3}\n  - {type: elu, alpha: 0.5}\n  - {type: leaky_relu, slope: 0.2}\n"))
	f.Fuzz(func(t *testing.T, doc []byte) {
		s, err := ParseSpec(doc)
		if err != nil {
			return
		}
		// Building must not panic, whatever the sizes; keep them small
		// enough to allocate.
		var total func([]LayerSpec) int
		total = func(ls []LayerSpec) int {
			n := 0
			for _, l := range ls {
				n += max(l.Units, 0) + max(l.Filters, 0) + max(l.Kernel, 0) + max(l.Padding, 0) + max(l.Stride, 0) + max(l.Pieces, 0) + total(l.Layers)
			}
			return n
		}
		if total(s.Layers) > 100 {
			return
		}
		m, err := NewModel(Shape{C: 2, H: 6, W: 6}, s, 1)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "trainer: ") {
				t.Errorf("error %q lacks the package name", err)
			}
			return
		}
		x := randMatrix(testRand(1), 3, 72, 0.1, 1)
		out := m.Forward(x, true)
		g := out.RawMatrix()
		m.Backward(out) // any gradient of the right size
		_ = g
	})
}
