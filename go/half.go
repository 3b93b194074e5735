package xent

import (
	"math"
)

// Float16 is an IEEE 754 binary16 value held as its bit pattern: 1 sign bit, 5 exponent bits, 10
// fraction bits (precision 11, normal exponents -14..15, largest finite 65504, subnormals down to
// 2^-24). Convert with [Float16From] and [Float16.Float64]; compute with [Widen] and [Narrow].
type Float16 uint16

// BFloat16 is a bfloat16 ("brain float") value held as its bit pattern: float32's upper half, 1 sign
// bit, 8 exponent bits, 7 fraction bits (precision 8, float32's exponent range, subnormals down to
// 2^-133). Convert with [BFloat16From] and [BFloat16.Float64]; compute with [Widen] and [Narrow].
type BFloat16 uint16

// Sixteen is the set of 16-bit formats: the element types of a 16-bit call's inputs and parameters.
type Sixteen interface {
	Float16 | BFloat16
}

// Narrowed is the set of element types a 16-bit call returns: its own 16-bit format, or float32
// for the mixed (autocast) contract, output_dtype float32 of the specification, where 16-bit
// inputs give a float32 result.
type Narrowed interface {
	Float16 | BFloat16 | float32
}

// half describes a binary floating-point format of 16 bits: fraction bits, exponent bias (so a
// normal value is 1.f * 2^(e - bias) for a biased exponent e of 1..2^expBits - 2) and the smallest
// normal exponent.
type half struct {
	fracBits uint
	expBits  uint
	bias     int
}

var (
	binary16 = half{fracBits: 10, expBits: 5, bias: 15}
	bfloat16 = half{fracBits: 7, expBits: 8, bias: 127}
)

func (f half) emin() int           { return 1 - f.bias }
func (f half) expMask() uint16     { return uint16((1<<f.expBits - 1) << f.fracBits) }
func (f half) quietBit() uint16    { return 1 << (f.fracBits - 1) }
func (f half) fracMask() uint16    { return 1<<f.fracBits - 1 }
func (f half) infBits() uint16     { return f.expMask() }
func (f half) signBit() uint16     { return 1 << 15 }
func (f half) nanShift() uint      { return 52 - f.fracBits }
func (f half) isNaN(b uint16) bool { return b&f.expMask() == f.expMask() && b&f.fracMask() != 0 }

// fromFloat64 rounds v once to the format: to nearest, ties to even, with gradual underflow
// (subnormals) and overflow to +-inf; a NaN stays a NaN (sign and leading payload bits kept, the
// quiet bit set) and -0 stays -0.
//
// Why it is exact: with E = max(floor(log2 |v|), emin), scaled = |v| * 2^(fracBits - E) is a
// float64 computed exactly (a power-of-two scaling of a float64 into the normal range), the format's
// values near |v| are the integers times 2^(E - fracBits), and math.RoundToEven rounds scaled to
// the nearest integer r exactly. The bit pattern (E + bias - 1) << fracBits + r covers every case
// at once: a subnormal (E = emin, so the exponent field is the carry out of r), a normal value, and
// a round-up into the next binade (r = 2^(fracBits+1) adds one to the exponent field).
func (f half) fromFloat64(v float64) uint16 {
	var sign uint16
	if math.Signbit(v) {
		sign = f.signBit()
	}
	switch {
	case math.IsNaN(v):
		payload := uint16(math.Float64bits(v)&(1<<52-1)>>f.nanShift()) & f.fracMask()
		return sign | f.expMask() | f.quietBit() | payload
	case math.IsInf(v, 0):
		return sign | f.infBits()
	case v == 0:
		return sign
	}
	a := math.Abs(v)
	_, exp := math.Frexp(a) // a = frac * 2^exp, frac in [0.5, 1)
	e := max(exp-1, f.emin())
	if e > f.bias { // beyond the largest binade (emax = bias): |v| >= 2^(emax+1)
		return sign | f.infBits()
	}
	r := math.RoundToEven(math.Ldexp(a, int(f.fracBits)-e))
	bits := (e+f.bias-1)<<f.fracBits + int(r)
	if bits >= int(f.infBits()) {
		return sign | f.infBits()
	}
	return sign | uint16(bits)
}

// toFloat64 returns the value of bit pattern b exactly (every 16-bit value is a float64 value; a
// NaN keeps its sign and payload).
func (f half) toFloat64(b uint16) float64 {
	exp := int(b&f.expMask()) >> f.fracBits
	frac := b & f.fracMask()
	neg := b&f.signBit() != 0
	var v float64
	switch {
	case exp == int(f.expMask()>>f.fracBits) && frac != 0:
		bits := uint64(0x7FF)<<52 | uint64(frac)<<f.nanShift()
		if neg {
			bits |= 1 << 63
		}
		return math.Float64frombits(bits)
	case exp == int(f.expMask()>>f.fracBits):
		v = math.Inf(1)
	case exp == 0:
		v = math.Ldexp(float64(frac), f.emin()-int(f.fracBits))
	default:
		v = math.Ldexp(float64(1<<f.fracBits|int(frac)), exp-f.bias-int(f.fracBits))
	}
	if neg {
		return -v
	}
	return v
}

// Float16From rounds v once to float16: to nearest, ties to even, with gradual underflow and
// overflow to +-inf (values of magnitude 65520 and above); a NaN stays a quiet NaN.
func Float16From(v float64) Float16 { return Float16(binary16.fromFloat64(v)) }

// BFloat16From rounds v once to bfloat16 (never through float32): to nearest, ties to even, with
// gradual underflow and overflow to +-inf; a NaN stays a quiet NaN.
func BFloat16From(v float64) BFloat16 { return BFloat16(bfloat16.fromFloat64(v)) }

// Float64 returns h's value exactly.
func (h Float16) Float64() float64 { return binary16.toFloat64(uint16(h)) }

// Float64 returns h's value exactly.
func (h BFloat16) Float64() float64 { return bfloat16.toFloat64(uint16(h)) }

// IsNaN reports whether h is a NaN.
func (h Float16) IsNaN() bool { return binary16.isNaN(uint16(h)) }

// IsNaN reports whether h is a NaN.
func (h BFloat16) IsNaN() bool { return bfloat16.isNaN(uint16(h)) }

// formatOf returns the format of the 16-bit type H.
func formatOf[H Sixteen]() half {
	var h H
	if _, ok := any(h).(BFloat16); ok {
		return bfloat16
	}
	return binary16
}

// narrowOne rounds v once to O (a 16-bit format, or float32).
func narrowOne[O Narrowed](v float64) O {
	var o O
	switch any(o).(type) {
	case float32:
		return any(float32(v)).(O)
	case BFloat16:
		return O(bfloat16.fromFloat64(v))
	default:
		return O(binary16.fromFloat64(v))
	}
}

// RoundTo rounds v once to the 16-bit format H and returns the rounded value as a float64: the
// value a float parameter (epsilon, a weight) takes in a 16-bit call.
func RoundTo[H Sixteen](v float64) float64 {
	f := formatOf[H]()
	return f.toFloat64(f.fromFloat64(v))
}

// WidenSlice returns the values of x as float64 (exactly).
func WidenSlice[H Sixteen](x []H) []float64 {
	f := formatOf[H]()
	out := make([]float64, len(x))
	for i, v := range x {
		out[i] = f.toFloat64(uint16(v))
	}
	return out
}

// Widen returns t with its values widened exactly to float64 (the shape is shared, not copied).
func Widen[H Sixteen](t Tensor[H]) Tensor[float64] {
	return Tensor[float64]{Shape: t.Shape, Data: WidenSlice(t.Data)}
}

// NarrowSlice rounds each value of a float64 result once to O; an error is passed on (with a nil
// slice). It takes a float64 function's two results directly: NarrowSlice[Float16](LogSoftmax(x)).
func NarrowSlice[O Narrowed](x []float64, err error) ([]O, error) {
	if err != nil {
		return nil, err
	}
	out := make([]O, len(x))
	for i, v := range x {
		out[i] = narrowOne[O](v)
	}
	return out, nil
}

// Narrow rounds each value of a float64 result tensor once to O; an error is passed on. It takes a
// float64 function's two results directly: Narrow[BFloat16](SoftmaxCrossEntropy(...)).
func Narrow[O Narrowed](t Tensor[float64], err error) (Tensor[O], error) {
	data, err := NarrowSlice[O](t.Data, err)
	if err != nil {
		return Tensor[O]{}, err
	}
	return Tensor[O]{Shape: t.Shape, Data: data}, nil
}

// NarrowScalar rounds a float64 result once to O; an error is passed on (with O's zero value).
func NarrowScalar[O Narrowed](v float64, err error) (O, error) {
	if err != nil {
		var zero O
		return zero, err
	}
	return narrowOne[O](v), nil
}

// WithDtype makes the float parameters of a call values of the 16-bit format H, as the
// specification requires of a 16-bit call: epsilon, label smoothing, gamma and alpha (given or
// default) and the weight, pos_weight and class-alpha vectors are rounded once to H before they are
// checked and used. Pass it to the float64 function a 16-bit call runs on [Widen]ed inputs.
func WithDtype[H Sixteen]() Option {
	return func(c *config) { c.paramRound = RoundTo[H] }
}

// roundParamsTo16 rounds every float parameter of c with c.paramRound (set by WithDtype); weight
// vectors are copied, never changed in place.
func (c *config) roundParamsTo16() {
	r := c.paramRound
	if r == nil {
		return
	}
	c.epsilon, c.labelSmoothing, c.gamma, c.alpha = r(c.epsilon), r(c.labelSmoothing), r(c.gamma), r(c.alpha)
	for _, w := range []*[]float64{&c.weight, &c.posWeight, &c.classAlpha, &c.gradOut, &c.bias} {
		if *w != nil {
			rounded := make([]float64, len(*w))
			for i, v := range *w {
				rounded[i] = r(v)
			}
			*w = rounded
		}
	}
}
