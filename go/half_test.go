package xent

import (
	"errors"
	"math"
	"sort"
	"testing"
)

// The 16-bit conversions are tested over all 65536 bit patterns of both formats: decoding against
// fixed points and the format's spacing, the round trip, and the rounding of every midpoint between
// neighbours and of the float64 values just above and below it (a conversion through float32
// rounds those twice and fails). A fuzz target checks any float64 against a nearest-value search
// in the table of all decoded values.

type formatCase struct {
	name    string
	f       half
	maxBits uint16  // largest finite value
	maxVal  float64 // its value
	minSub  float64 // smallest subnormal
	fixed   map[uint16]float64
}

var formatCases = []formatCase{
	{name: "float16", f: binary16, maxBits: 0x7BFF, maxVal: 65504, minSub: 0x1p-24,
		fixed: map[uint16]float64{0x3C00: 1, 0xC000: -2, 0x3555: 0x1.554p-2, 0x0001: 0x1p-24,
			0x03FF: 0x1.ff8p-15, 0x0400: 0x1p-14, 0x7BFF: 65504, 0x7C00: math.Inf(1), 0xFC00: math.Inf(-1)}},
	{name: "bfloat16", f: bfloat16, maxBits: 0x7F7F, maxVal: 0x1.fep+127, minSub: 0x1p-133,
		fixed: map[uint16]float64{0x3F80: 1, 0xC000: -2, 0x3EAB: 0x1.56p-2, 0x0001: 0x1p-133,
			0x007F: 0x1.fcp-127, 0x0080: 0x1p-126, 0x7F7F: 0x1.fep+127, 0x7F80: math.Inf(1), 0xFF80: math.Inf(-1)}},
}

func TestHalfDecodeFixedPoints(t *testing.T) {
	for _, fc := range formatCases {
		for b, want := range fc.fixed {
			if got := fc.f.toFloat64(b); got != want {
				t.Errorf("%s %#04x: got %x, want %x", fc.name, b, got, want)
			}
		}
		if z := fc.f.toFloat64(0x8000); z != 0 || !math.Signbit(z) {
			t.Errorf("%s 0x8000: got %v, want -0", fc.name, z)
		}
	}
}

// Every bfloat16 value is float32's upper half: an independent decoding.
func TestBFloat16DecodesAsFloat32UpperHalf(t *testing.T) {
	for b := 0; b <= 0xFFFF; b++ {
		got, want := bfloat16.toFloat64(uint16(b)), float64(math.Float32frombits(uint32(b)<<16))
		if math.IsNaN(want) { // float32 -> float64 quiets a signalling NaN: compare NaN-ness and sign
			if !math.IsNaN(got) || math.Signbit(got) != math.Signbit(want) {
				t.Fatalf("%#04x: got %x, want a NaN of the same sign", b, got)
			}
			continue
		}
		if math.Float64bits(got) != math.Float64bits(want) {
			t.Fatalf("%#04x: got %x, want %x", b, got, want)
		}
	}
}

// Positive finite patterns decode to increasing values spaced by the format's ulp: 2^(emin -
// fracBits) below 2^emin, 2^(e - fracBits) in the binade [2^e, 2^(e+1)).
func TestHalfDecodeSpacing(t *testing.T) {
	for _, fc := range formatCases {
		for b := uint16(0); b < fc.maxBits; b++ {
			v, next := fc.f.toFloat64(b), fc.f.toFloat64(b+1)
			e := fc.f.emin()
			if v > 0 {
				_, exp := math.Frexp(v)
				e = max(exp-1, e)
			}
			if ulp := math.Ldexp(1, e-int(fc.f.fracBits)); next-v != ulp {
				t.Fatalf("%s %#04x: next value %x - %x != ulp %x", fc.name, b, next, v, ulp)
			}
			if n := fc.f.toFloat64(b | 0x8000); n != -v || !math.Signbit(n) {
				t.Fatalf("%s %#04x: negative pattern gives %x, want -%x", fc.name, b|0x8000, n, v)
			}
		}
	}
}

func TestHalfRoundTripAllPatterns(t *testing.T) {
	for _, fc := range formatCases {
		for p := 0; p <= 0xFFFF; p++ {
			b := uint16(p)
			got := fc.f.fromFloat64(fc.f.toFloat64(b))
			want := b
			if fc.f.isNaN(b) {
				want = b | fc.f.quietBit() // a signalling NaN comes back quiet, sign and payload kept
			}
			if got != want {
				t.Fatalf("%s %#04x -> %x -> %#04x, want %#04x", fc.name, b, fc.f.toFloat64(b), got, want)
			}
		}
	}
}

// Between neighbours b and b+1 (including the largest finite value and the overflow threshold
// above it, and 0 and the smallest subnormal) the midpoint rounds to the even pattern, and the
// float64 values just above and below it round up and down; likewise for the negatives.
func TestHalfMidpointsRoundToEven(t *testing.T) {
	for _, fc := range formatCases {
		for b := uint16(0); b <= fc.maxBits; b++ {
			lo := fc.f.toFloat64(b)
			hi := fc.f.toFloat64(b) + math.Ldexp(1, ulpExp(fc.f, lo)) // b+1's value, or 2^(emax+1) past the largest
			mid := (lo + hi) / 2                                      // exact: one more bit than the format
			even := b
			if b%2 == 1 {
				even = b + 1 // for the largest finite pattern (odd) this is inf's pattern
			}
			for _, sgn := range []float64{1, -1} {
				s := uint16(0)
				if sgn < 0 {
					s = 0x8000
				}
				checks := []struct {
					v    float64
					want uint16
				}{
					{sgn * mid, s | even},
					{sgn * math.Nextafter(mid, math.Inf(1)), s | (b + 1)},
					{sgn * math.Nextafter(mid, 0), s | b},
				}
				for _, c := range checks {
					if got := fc.f.fromFloat64(c.v); got != c.want {
						t.Fatalf("%s: %x rounds to %#04x, want %#04x", fc.name, c.v, got, c.want)
					}
				}
			}
		}
	}
}

func ulpExp(f half, v float64) int {
	e := f.emin()
	if v > 0 {
		_, exp := math.Frexp(v)
		e = max(exp-1, e)
	}
	return e - int(f.fracBits)
}

func TestHalfOverflowAndSpecials(t *testing.T) {
	inf16, ninf16 := Float16(0x7C00), Float16(0xFC00)
	cases := []struct {
		name string
		got  Float16
		want Float16
	}{
		{"65520 is the overflow threshold", Float16From(65520), inf16},
		{"just below 65520", Float16From(math.Nextafter(65520, 0)), 0x7BFF},
		{"-65520", Float16From(-65520), ninf16},
		{"1e300", Float16From(1e300), inf16},
		{"max float64", Float16From(math.MaxFloat64), inf16},
		{"-inf", Float16From(math.Inf(-1)), ninf16},
		{"smallest float64 subnormal", Float16From(math.SmallestNonzeroFloat64), 0},
		{"-smallest float64 subnormal keeps the sign", Float16From(-math.SmallestNonzeroFloat64), 0x8000},
		{"half the smallest subnormal ties to 0", Float16From(0x1p-25), 0},
		{"three halves of it ties to 2", Float16From(0x1.8p-24), 2},
	}
	for _, c := range cases {
		if c.got != c.want {
			t.Errorf("%s: got %#04x, want %#04x", c.name, uint16(c.got), uint16(c.want))
		}
	}
	// bfloat16 overflows at (2 - 2^-8) * 2^127, between float32's max and 2^128
	if got := BFloat16From(0x1.ffp+127); got != 0x7F80 {
		t.Errorf("bfloat16 threshold: got %#04x, want inf", uint16(got))
	}
	if got := BFloat16From(math.MaxFloat32); got != 0x7F80 {
		t.Errorf("bfloat16 of float32's max: got %#04x, want inf", uint16(got))
	}
}

func TestHalfNaN(t *testing.T) {
	nans := []float64{math.NaN(), math.Float64frombits(0x7FF0000000000001), math.Float64frombits(0xFFF8000000000000)}
	for _, fc := range formatCases {
		for _, v := range nans {
			b := fc.f.fromFloat64(v)
			if !fc.f.isNaN(b) || b&fc.f.quietBit() == 0 {
				t.Errorf("%s: NaN %#016x gives %#04x, not a quiet NaN", fc.name, math.Float64bits(v), b)
			}
			if (b&0x8000 != 0) != math.Signbit(v) {
				t.Errorf("%s: NaN %#016x lost its sign: %#04x", fc.name, math.Float64bits(v), b)
			}
			if back := fc.f.toFloat64(b); !math.IsNaN(back) || math.Signbit(back) != math.Signbit(v) {
				t.Errorf("%s: %#04x decodes to %v", fc.name, b, back)
			}
		}
	}
}

// nearestByTable is the reference rounding of the fuzz target: the closest of the format's
// positive values (sorted), ties to the even pattern, beyond the overflow threshold inf.
func nearestByTable(fc formatCase, table []float64, v float64) uint16 {
	a := math.Abs(v)
	var b uint16
	i := sort.SearchFloat64s(table, a) // table[i-1] < a <= table[i]
	switch {
	case i < len(table) && table[i] == a:
		b = uint16(i)
	case i == len(table):
		top := fc.maxVal + math.Ldexp(1, ulpExp(fc.f, fc.maxVal)-1) // the overflow threshold
		b = fc.maxBits
		if a >= top {
			b = fc.maxBits + 1
		}
	default:
		dlo, dhi := a-table[i-1], table[i]-a
		b = uint16(i)
		if dlo < dhi || (dlo == dhi && (i-1)%2 == 0) {
			b = uint16(i - 1)
		}
	}
	if math.Signbit(v) {
		b |= 0x8000
	}
	return b
}

func positiveTable(fc formatCase) []float64 {
	table := make([]float64, int(fc.maxBits)+1)
	for b := range table {
		table[b] = fc.f.toFloat64(uint16(b))
	}
	return table
}

func FuzzHalfFromFloat64(f *testing.F) {
	for _, seed := range []float64{0, 1, -1.5, 65519.99, 65520, 0x1p-25, 0x1.0000000000001p-25, 1e-40, 0x1.fep127, 3.14159} {
		f.Add(math.Float64bits(seed))
	}
	tables := make([][]float64, len(formatCases))
	for i, fc := range formatCases {
		tables[i] = positiveTable(fc)
	}
	f.Fuzz(func(t *testing.T, bits uint64) {
		v := math.Float64frombits(bits)
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return // TestHalfNaN and TestHalfOverflowAndSpecials
		}
		for i, fc := range formatCases {
			if got, want := fc.f.fromFloat64(v), nearestByTable(fc, tables[i], v); got != want {
				t.Fatalf("%s: %x rounds to %#04x, want %#04x", fc.name, v, got, want)
			}
		}
	})
}

// ulps16 is the distance in representable values between two finite 16-bit patterns.
func ulps16(a, b uint16) int {
	key := func(x uint16) int {
		if x&0x8000 != 0 {
			return -int(x & 0x7FFF)
		}
		return int(x)
	}
	d := key(a) - key(b)
	if d < 0 {
		d = -d
	}
	return d
}

// A 16-bit call widens its inputs, runs the float64 function and rounds once: the narrowed loss
// is the 16-bit rounding of the float64 loss, and float32 for the mixed contract.
func TestWidenNarrowCall(t *testing.T) {
	logits := NewTensor([]BFloat16{BFloat16From(2), BFloat16From(1), BFloat16From(0.1)}, 1, 3)
	target := NewTensor([]int{0})
	want, err := SoftmaxCrossEntropy(NewTensor([]float64{2, 1, BFloat16From(0.1).Float64()}, 1, 3), target)
	if err != nil {
		t.Fatal(err)
	}
	loss, err := Narrow[BFloat16](SoftmaxCrossEntropy(Widen(logits), target, WithDtype[BFloat16]()))
	if err != nil {
		t.Fatal(err)
	}
	if d := ulps16(uint16(loss.Data[0]), uint16(BFloat16From(want.Data[0]))); d > 0 {
		t.Errorf("bfloat16 loss %#04x is %d ulps from the rounded float64 loss", uint16(loss.Data[0]), d)
	}
	mixed, err := Narrow[float32](SoftmaxCrossEntropy(Widen(logits), target, WithDtype[BFloat16]()))
	if err != nil {
		t.Fatal(err)
	}
	if mixed.Data[0] != float32(want.Data[0]) {
		t.Errorf("mixed loss %v, want float32(%v)", mixed.Data[0], want.Data[0])
	}
	if _, err := Narrow[Float16](SoftmaxCrossEntropy(Widen(logits), NewTensor([]int{7}))); !errors.Is(err, ErrIndexOutOfRange) {
		t.Errorf("error not passed on: %v", err)
	}
	if _, err := NarrowScalar[Float16](LogSumExp([]float64{})); !errors.Is(err, ErrInvalidShape) {
		t.Errorf("scalar error not passed on: %v", err)
	}
	if _, err := NarrowSlice[Float16](LogSoftmax([]float64{})); !errors.Is(err, ErrInvalidShape) {
		t.Errorf("slice error not passed on: %v", err)
	}
}

// WithDtype rounds parameters (given and default) to the 16-bit format before they are checked
// and used, and never changes the caller's weights.
func TestWithDtypeRoundsParameters(t *testing.T) {
	y, p := NewTensor([]float64{1}), NewTensor([]float64{0.5})
	below := math.Nextafter(0.5, 0) // in BCE's domain [0, 0.5) in float64; 0.5 in float16
	if _, err := BinaryCrossEntropy(y, p, WithEpsilon(below)); err != nil {
		t.Fatalf("float64 epsilon below 0.5 rejected: %v", err)
	}
	if _, err := BinaryCrossEntropy(y, p, WithEpsilon(below), WithDtype[Float16]()); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("float16 epsilon 0.5: got %v, want invalid_argument", err)
	}
	// the default epsilon 1e-15 is 0 in float16 (below half its smallest subnormal): p = 0 gives inf
	probs := NewTensor([]float64{0, 1}, 1, 2)
	loss, err := NarrowScalar[Float16](itemOf(NLLFromProbs(probs, []int{0}, WithDtype[Float16]())))
	if err != nil {
		t.Fatal(err)
	}
	if loss != Float16From(math.Inf(1)) {
		t.Errorf("nll with float16's default epsilon 0: %v, want inf", loss.Float64())
	}
	w := []float64{0.1}
	if _, err := BCEWithLogits(NewTensor([]float64{1}), NewTensor([]float64{1}), WithWeight(w), WithDtype[Float16]()); err != nil {
		t.Fatal(err)
	}
	if w[0] != 0.1 {
		t.Errorf("WithDtype changed the caller's weight to %v", w[0])
	}
	if RoundTo[Float16](0.1) == 0.1 || RoundTo[Float16](0.1) != Float16From(0.1).Float64() {
		t.Errorf("RoundTo[Float16](0.1) = %v", RoundTo[Float16](0.1))
	}
}

func itemOf(t Tensor[float64], err error) (float64, error) {
	if err != nil {
		return 0, err
	}
	v, _ := t.Item()
	return v, nil
}

func TestIsNaN16(t *testing.T) {
	if !Float16(0x7E00).IsNaN() || Float16(0x7C00).IsNaN() || !BFloat16(0xFFC1).IsNaN() || BFloat16(0xFF80).IsNaN() {
		t.Error("IsNaN misclassifies NaN or inf patterns")
	}
}
