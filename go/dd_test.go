package xent

import (
	"math"
	"math/rand"
	"testing"
)

// The double-double kernel is checked by identities that hold to about 2^-95 (far beyond float64
// precision, so an error in a series, a constant or a reduction step shows) and against the
// standard library within its documented 1-ulp accuracy.

func relErr(got, want doubleDouble) float64 {
	d := ddSub(got, want)
	return math.Abs(d.float()) / math.Abs(want.hi)
}

func TestDDExpLogInverse(t *testing.T) {
	r := rand.New(rand.NewSource(7))
	for i := 0; i < 5000; i++ {
		x := (r.Float64()*2 - 1) * 660 // exp(x) stays above 2^-950, where the low part is still normal
		if i%3 == 0 {
			x = (r.Float64()*2 - 1) * math.Ldexp(1, -r.Intn(60))
		}
		if x == 0 {
			continue
		}
		e := expDD(ddF(x))
		back := logDD(e)
		if err := math.Abs(ddSub(back, ddF(x)).float()); err > 0x1p-90*math.Max(1, math.Abs(x)) {
			t.Fatalf("log(exp(%v)) - x = %g", x, err)
		}
		if em := expm1DD(ddF(x)); x > -2 { // below, expm1(x) = -1 + tiny holds fewer bits of the tiny part
			if err := relErr(log1pDD(em), ddF(x)); err > 0x1p-90 {
				t.Fatalf("log1p(expm1(%v)) relative error %g", x, err)
			}
		}
		if want := math.Exp(x); want > 0x1p-1000 && want < 0x1p1000 {
			if err := math.Abs(e.float()-want) / want; err > 0x1p-51 {
				t.Fatalf("expDD(%v) = %v, math.Exp = %v", x, e.float(), want)
			}
		}
	}
}

func TestDDExpAddition(t *testing.T) {
	r := rand.New(rand.NewSource(8))
	for i := 0; i < 2000; i++ {
		a, b := (r.Float64()*2-1)*300, (r.Float64()*2-1)*300
		s, e := twoSum(a, b)
		lhs := expDD(doubleDouble{s, e})
		rhs := ddMul(expDD(ddF(a)), expDD(ddF(b)))
		if err := relErr(lhs, rhs); err > 0x1p-92 {
			t.Fatalf("exp(%v + %v) vs exp*exp: relative %g", a, b, err)
		}
	}
}

func TestDDLogProducts(t *testing.T) {
	r := rand.New(rand.NewSource(9))
	for i := 0; i < 2000; i++ {
		a := math.Ldexp(0.5+r.Float64(), r.Intn(1800)-900) // products stay clear of the subnormal range
		b := math.Ldexp(0.5+r.Float64(), r.Intn(40)-20)
		p, e := twoProd(a, b)
		lhs := logDD(doubleDouble{p, e})
		rhs := ddAdd(logDD(ddF(a)), logDD(ddF(b)))
		if err := math.Abs(ddSub(lhs, rhs).float()); err > 0x1p-92*math.Max(1, math.Abs(rhs.hi)) {
			t.Fatalf("log(%v * %v) vs log + log: %g", a, b, err)
		}
	}
	// Near 1, log1p(s) keeps full relative accuracy for tiny s.
	for _, s := range []float64{0x1p-60, -0x1p-70, 1e-300, 0x1p-30} {
		l := log1pDD(ddF(s))
		if err := relErr(expm1DD(l), ddF(s)); err > 0x1p-95 {
			t.Fatalf("expm1(log1p(%g)) relative %g", s, err)
		}
	}
	if v := logDD(ddF(0x1p-1074)).float(); math.Abs(v-(-1074*math.Ln2)) > 1e-12 {
		t.Fatalf("log(denorm_min) = %v", v)
	}
}

func TestAccumulator(t *testing.T) {
	var a acc
	a.add(1)
	a.add(0x1p-80)
	a.add(-1)
	if v := a.value().float(); v != 0x1p-80 {
		t.Fatalf("compensated sum = %g, want 2^-80", v)
	}
	var b acc
	b.add(math.Inf(1))
	b.add(1)
	if !math.IsInf(b.value().float(), 1) {
		t.Fatal("inf + 1")
	}
	b.add(math.Inf(-1))
	if !math.IsNaN(b.value().float()) {
		t.Fatal("inf - inf")
	}
}

// The table-driven expDD agrees with the plain series-and-squaring evaluation of exp (k ln2 + r,
// expm1Reduced(r)) to 2^-100: two independent reductions and series. The range stays within |x| <=
// 40, where that reference's reduction by a double-double ln2 is accurate to 2^-101 (its error
// grows with |x|; large arguments are covered by the identities above).
func TestDDExpTableMatchesSeries(t *testing.T) {
	series := func(x doubleDouble) doubleDouble {
		k := math.RoundToEven(x.hi / ddLn2.hi)
		r := ddSub(x, ddMulF(ddLn2, k))
		return ddScale(ddAddF(expm1Reduced(r), 1), int(k))
	}
	r := rand.New(rand.NewSource(11))
	for i := 0; i < 20000; i++ {
		x := doubleDouble{(r.Float64()*2 - 1) * 40, 0}
		x.hi, x.lo = twoSum(x.hi, r.NormFloat64()*0x1p-60*math.Abs(x.hi))
		if e := relErr(expDD(x), series(x)); e > 0x1p-100 {
			t.Fatalf("expDD(%v): relative difference %g to the series", x, e)
		}
	}
}
