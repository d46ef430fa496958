package trainer

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
)

// An InitKind names an initialiser.
type InitKind string

// The initialisers. fanIn and fanOut are Param.FanIn and Param.FanOut;
// Scale is Init.Scale.
const (
	// InitNormal draws from N(0, Scale²); Scale defaults to 0.01, the
	// "Gaussian around 1e-2..1e-3" that suits small networks.
	InitNormal InitKind = "normal"
	// InitUniform draws from U(−Scale, Scale); Scale defaults to 0.05.
	InitUniform InitKind = "uniform"
	// InitGlorotNormal (Xavier) draws from N(0, g²·2/(fanIn+fanOut)),
	// g = Scale (default 1). Suits tanh and sigmoid.
	InitGlorotNormal InitKind = "glorot_normal"
	// InitGlorotUniform (Xavier) draws from U(±g·√(6/(fanIn+fanOut))).
	InitGlorotUniform InitKind = "glorot_uniform"
	// InitHeNormal (Kaiming) draws from N(0, g²·2/fanIn). Suits ReLU.
	InitHeNormal InitKind = "he_normal"
	// InitHeUniform (Kaiming) draws from U(±g·√(6/fanIn)).
	InitHeUniform InitKind = "he_uniform"
	// InitConstant sets every value to Scale (default 0). Constant
	// weights make every unit of a layer compute the same thing and
	// receive the same gradient: the symmetry that random initialisation
	// breaks, reproduced on purpose.
	InitConstant InitKind = "constant"
)

// initAliases maps other spellings to a kind.
var initAliases = map[string]InitKind{
	"he":              InitHeNormal,
	"kaiming":         InitHeNormal,
	"glorot":          InitGlorotUniform,
	"xavier":          InitGlorotUniform,
	"gaussian":        InitNormal,
	"zeros":           InitConstant,
	"zero":            InitConstant,
	"xavier_normal":   InitGlorotNormal,
	"xavier_uniform":  InitGlorotUniform,
	"kaiming_normal":  InitHeNormal,
	"kaiming_uniform": InitHeUniform,
}

var initKinds = []InitKind{InitNormal, InitUniform, InitGlorotNormal, InitGlorotUniform, InitHeNormal, InitHeUniform, InitConstant}

// An Init is an initialiser: a kind and a scale whose meaning depends on
// the kind (a standard deviation, a bound, a gain or a constant). The zero
// Init means the layer's default: Glorot uniform for weights, zero for
// biases.
//
// Its text form, used in YAML descriptions and flags, is the kind alone
// ("he_normal") or the kind and the scale ("normal:0.01", "constant:0.5").
// Also accepted: "he" and "kaiming" (he_normal), "glorot" and "xavier"
// (glorot_uniform), "xavier_normal", "kaiming_uniform", "gaussian"
// (normal) and "zeros" (constant 0).
type Init struct {
	Kind  InitKind
	Scale float64
}

// ParseInit parses the text form of an Init.
func ParseInit(s string) (Init, error) {
	var in Init
	err := in.UnmarshalText([]byte(s))
	return in, err
}

// UnmarshalText implements encoding.TextUnmarshaler.
func (in *Init) UnmarshalText(text []byte) error {
	s := strings.TrimSpace(string(text))
	name, scale, hasScale := strings.Cut(s, ":")
	name = strings.ToLower(strings.TrimSpace(name))
	kind := InitKind(name)
	if a, ok := initAliases[name]; ok {
		kind = a
	}
	known := false
	for _, k := range initKinds {
		known = known || k == kind
	}
	if !known {
		return fmt.Errorf("unknown initialiser %q (want one of normal, uniform, glorot_normal, glorot_uniform, he_normal, he_uniform, constant, optionally with \":scale\")", s)
	}
	v := 0.0
	if hasScale {
		var err error
		v, err = strconv.ParseFloat(strings.TrimSpace(scale), 64)
		if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("initialiser %q: scale %q is not a finite number", s, scale)
		}
	}
	out := Init{Kind: kind, Scale: v}
	if err := out.check(); err != nil {
		return err
	}
	*in = out
	return nil
}

// MarshalText implements encoding.TextMarshaler: the kind, and the scale
// when it is not the default.
func (in Init) MarshalText() ([]byte, error) { return []byte(in.String()), nil }

// String returns the text form of in.
func (in Init) String() string {
	if in.Kind == "" {
		return ""
	}
	if in.Scale == 0 {
		return string(in.Kind)
	}
	return string(in.Kind) + ":" + strconv.FormatFloat(in.Scale, 'g', -1, 64)
}

func (in Init) check() error {
	if in.Scale < 0 && in.Kind != InitConstant {
		return fmt.Errorf("initialiser %s: negative scale", in)
	}
	return nil
}

// scale returns Scale or the kind's default.
func (in Init) scale() float64 {
	if in.Scale != 0 || in.Kind == InitConstant || in.Kind == "" {
		return in.Scale
	}
	switch in.Kind {
	case InitNormal:
		return 0.01
	case InitUniform:
		return 0.05
	}
	return 1
}

// Std returns the standard deviation of the values in draws for a tensor
// with the given fans: what rule 12 of the diagnostics compares a trained
// layer's weights with. A constant has standard deviation 0.
func (in Init) Std(fanIn, fanOut int) float64 {
	g := in.scale()
	switch in.Kind {
	case InitNormal:
		return g
	case InitUniform:
		return g / math.Sqrt(3)
	case InitGlorotNormal, InitGlorotUniform:
		return g * math.Sqrt(2/float64(max(fanIn+fanOut, 1)))
	case InitHeNormal, InitHeUniform:
		return g * math.Sqrt(2/float64(max(fanIn, 1)))
	}
	return 0
}

// Fill sets dst to draws from in for a tensor with the given fans,
// using rng.
func (in Init) Fill(dst []float64, fanIn, fanOut int, rng *rand.Rand) {
	g := in.scale()
	switch in.Kind {
	case InitNormal, InitGlorotNormal, InitHeNormal:
		std := in.Std(fanIn, fanOut)
		for i := range dst {
			dst[i] = std * rng.NormFloat64()
		}
	case InitUniform, InitGlorotUniform, InitHeUniform:
		limit := g
		switch in.Kind {
		case InitGlorotUniform:
			limit = g * math.Sqrt(6/float64(max(fanIn+fanOut, 1)))
		case InitHeUniform:
			limit = g * math.Sqrt(6/float64(max(fanIn, 1)))
		}
		for i := range dst {
			dst[i] = limit * (2*rng.Float64() - 1)
		}
	default:
		for i := range dst {
			dst[i] = g
		}
	}
}
