package table

import (
	"fmt"
	"math"
	"math/bits"
	"strconv"
)

// A Type is the type of a column's values.
type Type uint8

const (
	// TypeString is text: a UTF-8 byte array in Parquet.
	TypeString Type = iota
	// TypeInt is a signed 64-bit integer.
	TypeInt
	// TypeFloat is a float64.
	TypeFloat
	// TypeTime is a wall time in seconds since the Unix epoch, a float64
	// written with six decimals (microseconds) in CSV and JSON Lines.
	TypeTime
	// TypeBool is true or false.
	TypeBool
)

// String returns the type's name: "string", "int", "float", "time" or
// "bool".
func (t Type) String() string {
	switch t {
	case TypeString:
		return "string"
	case TypeInt:
		return "int"
	case TypeFloat:
		return "float"
	case TypeTime:
		return "time"
	case TypeBool:
		return "bool"
	}
	return fmt.Sprintf("Type(%d)", uint8(t))
}

// A Value is one cell of a row: a string, an int, a float, a time or a
// bool, or null. The zero Value is null.
type Value struct {
	s    string
	bits uint64 // int64, float64 bits or 0/1
	typ  Type
	flag uint8
}

// Flags of a Value.
const (
	present uint8 = 1 << iota // not null
	single                    // a float stored as float32
)

// StringValue returns a Value of TypeString.
func StringValue(s string) Value { return Value{s: s, typ: TypeString, flag: present} }

// IntValue returns a Value of TypeInt.
func IntValue(i int64) Value { return Value{bits: uint64(i), typ: TypeInt, flag: present} }

// FloatValue returns a Value of TypeFloat, written in CSV and JSON Lines
// in the shortest form that reads back to the same float64.
func FloatValue(f float64) Value {
	return Value{bits: math.Float64bits(f), typ: TypeFloat, flag: present}
}

// Float32Value returns a Value of TypeFloat that was stored as a float32:
// written in CSV and JSON Lines in the shortest form that reads back to
// the same float32 (0.1, not 0.10000000149011612), in Parquet as the
// float64 it widens to exactly.
func Float32Value(f float32) Value {
	return Value{bits: math.Float64bits(float64(f)), typ: TypeFloat, flag: present | single}
}

// ScalarValue returns the Value of a scalar read by package history: a
// Float32Value if v is exactly a float32, as TensorBoard's writers store
// scalars (legacy simple_value and DT_FLOAT tensors), otherwise a
// FloatValue. A double-precision scalar that happens to equal a float32
// is therefore written in its float32 form too; Parquet keeps every value
// exact.
func ScalarValue(v float64) Value {
	if f := float32(v); float64(f) == v {
		return Float32Value(f)
	}
	return FloatValue(v)
}

// TimeValue returns a Value of TypeTime: secs seconds since the Unix
// epoch.
func TimeValue(secs float64) Value {
	return Value{bits: math.Float64bits(secs), typ: TypeTime, flag: present}
}

// BoolValue returns a Value of TypeBool.
func BoolValue(b bool) Value {
	v := Value{typ: TypeBool, flag: present}
	if b {
		v.bits = 1
	}
	return v
}

// IsNull reports whether v is null.
func (v Value) IsNull() bool { return v.flag&present == 0 }

// Type returns v's type; a null Value's is TypeString.
func (v Value) Type() Type { return v.typ }

// Int returns a TypeInt Value's integer.
func (v Value) Int() int64 { return int64(v.bits) }

// Float returns a TypeFloat or TypeTime Value's number.
func (v Value) Float() float64 { return math.Float64frombits(v.bits) }

// Bool returns a TypeBool Value's truth.
func (v Value) Bool() bool { return v.bits != 0 }

// String returns v as CSV writes it, unquoted: a string as it is, a
// number as its Type says, "" for null.
func (v Value) String() string {
	if v.typ == TypeString {
		return v.s
	}
	return string(v.AppendText(nil))
}

// AppendText appends v as CSV writes it, unquoted: integers in decimal,
// floats in the shortest form that reads back to the same value (float32
// or float64, as stored), times with six decimals, NaN and infinities as
// NaN, Inf and -Inf, bools as true or false, null as nothing.
func (v Value) AppendText(dst []byte) []byte {
	if v.IsNull() {
		return dst
	}
	switch v.typ {
	case TypeString:
		return append(dst, v.s...)
	case TypeInt:
		return strconv.AppendInt(dst, v.Int(), 10)
	case TypeBool:
		return strconv.AppendBool(dst, v.Bool())
	}
	f := v.Float()
	switch {
	case math.IsNaN(f):
		return append(dst, "NaN"...)
	case math.IsInf(f, 1):
		return append(dst, "Inf"...)
	case math.IsInf(f, -1):
		return append(dst, "-Inf"...)
	case v.typ == TypeTime:
		return appendSeconds(dst, f)
	case v.flag&single != 0:
		return strconv.AppendFloat(dst, f, 'g', -1, 32)
	}
	return strconv.AppendFloat(dst, f, 'g', -1, 64)
}

// AppendJSON appends v as JSON Lines writes it: a string quoted, a number
// as AppendText writes it, but non-finite numbers, which JSON lacks, as
// the strings "NaN", "Infinity" and "-Infinity" (as TensorBoard's JSON
// API writes them), null as null.
func (v Value) AppendJSON(dst []byte) []byte {
	switch {
	case v.IsNull():
		return append(dst, "null"...)
	case v.typ == TypeString:
		return appendJSONString(dst, v.s)
	case v.typ == TypeFloat || v.typ == TypeTime:
		switch f := v.Float(); {
		case math.IsNaN(f):
			return append(dst, `"NaN"`...)
		case math.IsInf(f, 1):
			return append(dst, `"Infinity"`...)
		case math.IsInf(f, -1):
			return append(dst, `"-Infinity"`...)
		}
	}
	return v.AppendText(dst)
}

// appendSeconds appends secs with six decimals, rounded half to even as
// strconv.AppendFloat(dst, secs, 'f', 6, 64) rounds, which it does
// through arbitrary-precision arithmetic for so many digits: that took
// more time than the rest of a CSV row. A float64 of at least 1 and below
// 2^53, every wall time since 1970, is an integer part plus a binary
// fraction m/2^k (k <= 52), whose millionths are exact in 128 bits.
func appendSeconds(dst []byte, secs float64) []byte {
	a := math.Abs(secs)
	if !(a >= 1 && a < 1<<53) {
		return strconv.AppendFloat(dst, secs, 'f', 6, 64)
	}
	b := math.Float64bits(a)
	e := int(b>>52&0x7ff) - 1023 // a is in [2^e, 2^(e+1))
	mant := b&(1<<52-1) | 1<<52  // a = mant * 2^(e-52)
	k := uint(52 - e)
	ip, m := mant>>k, mant&(1<<k-1) // a = ip + m/2^k
	// micro = round(m * 1e6 / 2^k), half to even.
	hi, lo := bits.Mul64(m, 1e6)
	var micro uint64
	var rem, half uint64
	if k == 0 {
		micro = lo
	} else {
		micro = lo>>k | hi<<(64-k)
		rem, half = lo&(1<<k-1), 1<<(k-1)
		// m < 2^k, so the quotient is below 1e6: hi>>k is 0.
	}
	if rem > half || rem == half && micro&1 == 1 {
		micro++
	}
	if micro == 1e6 {
		ip, micro = ip+1, 0
	}
	if secs < 0 {
		dst = append(dst, '-')
	}
	dst = strconv.AppendUint(dst, ip, 10)
	var frac [7]byte
	frac[0] = '.'
	for i := 6; i > 0; i-- {
		frac[i] = byte('0' + micro%10)
		micro /= 10
	}
	return append(dst, frac[:]...)
}
