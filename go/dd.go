package xent

import "math"

// This file holds the package's numerical kernel: error-free transformations, double-double
// (doubleDouble) arithmetic, a compensated accumulator, and double-double exp, expm1, log and log1p.
// None of it is exported. The double-double elementary functions have a relative error of about 2^-95
// or better on finite arguments, so a result computed from them and rounded once to float64 is within
// about 0.5 ulp of the exact value, independently of the platform's libm (Go's math.Exp and math.Log
// are at best within 1 ulp). Callers handle NaN and infinite arguments before calling into
// double-double code: the double-double routines assume finite operands.
//
// Go may fuse x*y+z into an FMA on some architectures; the error-free transformations below only
// use additions and explicit math.FMA calls, whose results do not depend on fusion.

// doubleDouble is an unevaluated sum hi + lo with |lo| <= ulp(hi)/2 after normalisation.
type doubleDouble struct{ hi, lo float64 }

// twoSum returns s = fl(a+b) and the exact error e = a + b - s (Knuth).
func twoSum(a, b float64) (s, e float64) {
	s = a + b
	bb := s - a
	e = (a - (s - bb)) + (b - bb)
	if e-e != 0 { // an intermediate overflowed near the top of the range: the error is negligible
		e = 0
	}
	return s, e
}

// fastTwoSum is twoSum for |a| >= |b| (or a == 0) (Dekker).
func fastTwoSum(a, b float64) (s, e float64) {
	s = a + b
	e = b - (s - a)
	return s, e
}

// twoProd returns p = fl(a*b) and the exact error e = a*b - p.
func twoProd(a, b float64) (p, e float64) {
	p = a * b
	e = math.FMA(a, b, -p)
	return p, e
}

func ddF(x float64) doubleDouble { return doubleDouble{x, 0} }

// float rounds x to float64. Non-finite hi is returned as is.
func (x doubleDouble) float() float64 {
	if math.IsInf(x.hi, 0) || math.IsNaN(x.hi) {
		return x.hi
	}
	return x.hi + x.lo
}

func (x doubleDouble) neg() doubleDouble { return doubleDouble{-x.hi, -x.lo} }

func ddAdd(x, y doubleDouble) doubleDouble {
	s, e := twoSum(x.hi, y.hi)
	if math.IsInf(s, 0) { // overflow: the error term would be inf - inf
		return doubleDouble{s, 0}
	}
	t, f := twoSum(x.lo, y.lo)
	e += t
	s, e = fastTwoSum(s, e)
	e += f
	s, e = fastTwoSum(s, e)
	return doubleDouble{s, e}
}

func ddSub(x, y doubleDouble) doubleDouble { return ddAdd(x, y.neg()) }

func ddAddF(x doubleDouble, b float64) doubleDouble {
	s, e := twoSum(x.hi, b)
	if math.IsInf(s, 0) {
		return doubleDouble{s, 0}
	}
	e += x.lo
	s, e = fastTwoSum(s, e)
	return doubleDouble{s, e}
}

func ddMul(x, y doubleDouble) doubleDouble {
	p, e := twoProd(x.hi, y.hi)
	if math.IsInf(p, 0) { // overflow: FMA(a, b, -inf) is NaN
		return doubleDouble{p, 0}
	}
	e += x.hi*y.lo + x.lo*y.hi
	p, e = fastTwoSum(p, e)
	return doubleDouble{p, e}
}

func ddMulF(x doubleDouble, b float64) doubleDouble {
	p, e := twoProd(x.hi, b)
	if math.IsInf(p, 0) {
		return doubleDouble{p, 0}
	}
	e += x.lo * b
	p, e = fastTwoSum(p, e)
	return doubleDouble{p, e}
}

func ddDiv(x, y doubleDouble) doubleDouble {
	if math.Abs(x.hi) > 0x1p1000 { // y * q1 could round past the largest float: divide a scaled copy
		return ddScale(ddDiv(ddScale(x, -128), y), 128)
	}
	q1 := x.hi / y.hi
	r := ddSub(x, ddMulF(y, q1))
	q2 := r.hi / y.hi
	r = ddSub(r, ddMulF(y, q2))
	q3 := r.hi / y.hi
	s, e := fastTwoSum(q1, q2)
	return ddAddF(doubleDouble{s, e}, q3)
}

// ddScale multiplies x by 2^k (Ldexp on both parts).
func ddScale(x doubleDouble, k int) doubleDouble {
	return doubleDouble{math.Ldexp(x.hi, k), math.Ldexp(x.lo, k)}
}

// acc is a compensated (Kahan-Babuska-Neumaier) accumulator of double-double or float64 terms; it
// carries a double-double running sum, so its value is the exact sum to about 2^-100 relative error for
// terms of one sign. Infinite and NaN terms are tracked apart so that the result follows IEEE rules
// (inf + -inf = NaN).
type acc struct {
	s       doubleDouble
	special float64 // 0, or the IEEE sum of the non-finite terms seen
	spec    bool
}

func (a *acc) addDD(x doubleDouble) {
	if math.IsInf(x.hi, 0) || math.IsNaN(x.hi) {
		if a.spec {
			a.special += x.hi
		} else {
			a.special, a.spec = x.hi, true
		}
		return
	}
	a.s = ddAdd(a.s, x)
}

func (a *acc) add(x float64) { a.addDD(doubleDouble{x, 0}) }

// value returns the sum as a double-double (a non-finite sum has hi = inf or NaN and lo = 0).
func (a *acc) value() doubleDouble {
	if a.spec {
		return doubleDouble{a.special, 0}
	}
	return a.s
}

// ------------------------------------------------------------------ constants

var (
	ddLn2 = doubleDouble{0x1.62e42fefa39efp-1, 0x1.abc9e3b39803fp-56}
	// invFact[n] = 1/n! as a double-double, n = 0..expm1Terms.
	invFact [expm1Terms + 1]doubleDouble
)

const (
	expm1Terms   = 9
	expm1Squares = 10
)

func init() {
	f := 1.0
	for n := 0; n <= expm1Terms; n++ {
		if n > 0 {
			f *= float64(n) // exact for n <= 22
		}
		invFact[n] = ddDiv(ddF(1), ddF(f))
	}
}

// ------------------------------------------------------------------ elementary functions

// expm1Reduced returns expm1(r) for |r| <= about 0.36: Taylor series on r/2^10, then 10 steps of
// m -> 2m + m^2 (which is expm1 of the doubled argument).
func expm1Reduced(r doubleDouble) doubleDouble {
	if math.Abs(r.hi) < 0x1p-500 {
		return ddAdd(r, ddMulF(ddMul(r, r), 0.5))
	}
	x := ddScale(r, -expm1Squares)
	p := invFact[expm1Terms]
	for n := expm1Terms - 1; n >= 1; n-- {
		p = ddAdd(invFact[n], ddMul(x, p))
	}
	m := ddMul(x, p)
	for i := 0; i < expm1Squares; i++ {
		m = ddAdd(ddMulF(m, 2), ddMul(m, m))
	}
	return m
}

// expm1Tab[j] = 2^(j/2^expTabBits) - 1 as a double-double, to a relative accuracy (so that expm1DD
// built on it keeps its relative accuracy near 0), computed at start-up with the series of
// expm1Reduced. expm1NegTab[j] = 2^(-j/2^expTabBits) - 1 likewise, for j up to 0.35 * 256 / ln2
// (expm1DD).
var (
	expm1Tab    [1 << expTabBits]doubleDouble
	expm1NegTab [130]doubleDouble
)

const expTabBits = 8

func init() {
	for j := range expm1Tab {
		r := ddScale(ddMulF(ddLn2, float64(j)), -expTabBits) // j ln2 / 256 <= ln2
		h := expm1Reduced(ddScale(r, -1))                    // exp(r) = (1 + h)^2, |r/2| <= 0.35
		e := ddAdd(ddMulF(h, 2), ddMul(h, h))
		expm1Tab[j] = e
		if j < len(expm1NegTab) {
			expm1NegTab[j] = ddDiv(e, ddAddF(e, 1)).neg() // 1/(1 + e) - 1 = -e / (1 + e)
		}
	}
}

// expm1Series returns expm1(r) for |r| <= about ln2/512: the Taylor series to r^9/9! (the next term
// is below 2^-107 |r|), its terms up to r^ddDeg/ddDeg! by Horner in double-double and the smaller
// ones in float64. ddDeg = 5 keeps about 2^-104 relative to r (the float64 part is below 2^-56 |r|), for
// expm1; ddDeg = 4 keeps 2^-106 relative to 1 + r (the float64 part is below 2^-54), for exp.
func expm1Series(r doubleDouble, ddDeg int) doubleDouble {
	x := r.hi
	t := 0.0
	for n := expm1Terms; n > ddDeg; n-- {
		t = t*x + invFact[n].hi
	}
	for n := 0; n <= ddDeg; n++ {
		t *= x
	}
	q := invFact[ddDeg]
	for n := ddDeg - 1; n >= 2; n-- {
		q = ddAdd(invFact[n], ddMul(r, q))
	}
	q = ddAddF(ddMul(r, q), 1)
	return ddAddF(ddMul(r, q), t)
}

// ln2 in three parts (Cody and Waite): ln2Hi has 32 significant bits, so n ln2Hi / 256 is exact
// for |n| < 2^21; ln2Hi + ln2Mid + ln2Lo = ln2 to 2^-143.
const (
	ln2Hi  = 0x1.62e42ffp-1
	ln2Mid = -0x1.718432a1b0e26p-35
	ln2Lo  = -0x1.9ff0342542fc3p-90
)

// expReduceTab returns r = x - n ln2/256 as a double-double, to about 2^-106 |r| plus 2^-120 for |n| <
// 2^21.
func expReduceTab(x doubleDouble, n float64) doubleDouble {
	const s = 1.0 / (1 << expTabBits)
	r := ddAddF(x, -n*(ln2Hi*s)) // exact product; x.hi - n ln2Hi/256 exact (Sterbenz)
	p, e := twoProd(n, ln2Mid*s)
	r = ddSub(r, doubleDouble{p, e})
	return ddAddF(r, -n*(ln2Lo*s))
}

// expDD returns exp(x) for finite x as a double-double (0 on underflow, +inf on overflow): x = (256 k +
// j) ln2/256 + r with |r| <= ln2/512, exp(x) = 2^k 2^(j/256) (1 + expm1(r)). The table keeps the series
// short (a third of the operations of squaring a series on r/2^10 up).
func expDD(x doubleDouble) doubleDouble {
	if x.hi > 709.8 {
		return doubleDouble{math.Inf(1), 0}
	}
	if x.hi < -746 {
		return doubleDouble{}
	}
	n := math.RoundToEven(x.hi * (1 << expTabBits / math.Ln2))
	r := expReduceTab(x, n)
	ni := int(n)
	t := ddAddF(expm1Tab[ni&(1<<expTabBits-1)], 1)
	y := ddAdd(t, ddMul(t, expm1Series(r, 4)))
	k := ni >> expTabBits
	if k > 1000 { // scale in two steps so that the intermediate stays finite
		y = ddScale(y, 1000)
		k -= 1000
	}
	return ddScale(y, k)
}

// expm1DD returns exp(x) - 1 for finite x.
func expm1DD(x doubleDouble) doubleDouble {
	if math.Abs(x.hi) <= 0.34 {
		// with T = 2^(n/256): T (1 + expm1(r)) - 1 = (T - 1) + T expm1(r), T - 1 from the tables:
		// both terms are formed to about 2^-104 of their size, at most about twice the result's.
		n := math.RoundToEven(x.hi * (1 << expTabBits / math.Ln2))
		m := expm1Series(expReduceTab(x, n), 5)
		if n == 0 {
			return m
		}
		e := expm1Tab[int(max(n, 0))]
		if n < 0 {
			e = expm1NegTab[int(-n)]
		}
		return ddAdd(e, ddMul(ddAddF(e, 1), m))
	}
	return ddAddF(expDD(x), -1)
}

// log1pDD returns log(1 + s) for s >= -1 (s finite), -inf at s = -1.
func log1pDD(s doubleDouble) doubleDouble {
	if s.hi < -0.5 {
		return logDD(ddAddF(s, 1))
	}
	if s.hi == 0 {
		return s
	}
	if s.hi > 0x1p1000 {
		return logDD(s) // log1p(s) = log(s) + log1p(1/s); 1/s < 2^-1000 is negligible
	}
	z0 := math.Log1p(s.hi)
	if math.Abs(z0) < 0x1p-900 {
		// s is tiny: log1p(s) = s - s^2/2, and s^2 is far below s's precision.
		return ddAdd(s, ddMulF(ddMul(s, s), -0.5))
	}
	// One Newton step on f(z) = expm1(z) - s: z1 = z0 - (expm1(z0) - s) / (1 + expm1(z0)).
	e := expm1DD(ddF(z0))
	num := ddSub(e, s)
	den := ddAddF(e, 1)
	corr := num.float() / den.float()
	hi, lo := twoSum(z0, -corr)
	return doubleDouble{hi, lo}
}

// logDD returns log(y) for y >= 0 (y finite; -inf at 0).
func logDD(y doubleDouble) doubleDouble {
	if y.hi == 0 {
		return doubleDouble{math.Inf(-1), 0}
	}
	if y.hi >= 0.7 && y.hi <= 1.42 {
		return log1pDD(ddAddF(y, -1))
	}
	m, e := math.Frexp(y.hi) // y.hi = m 2^e, m in [0.5, 1)
	if m < 0.7071067811865476 {
		m *= 2
		e--
	}
	mm := doubleDouble{m, math.Ldexp(y.lo, -e)}
	l := log1pDD(ddAddF(mm, -1)) // m - 1 is exact (Sterbenz)
	return ddAdd(l, ddMulF(ddLn2, float64(e)))
}

// powDD returns x^g for x >= 0 (finite) and finite g >= 0, with 0^0 = 1.
func powDD(x doubleDouble, g float64) doubleDouble {
	if math.IsNaN(x.hi) {
		return x
	}
	if g == 0 {
		return ddF(1)
	}
	if x.hi == 0 {
		return doubleDouble{}
	}
	if g == 1 {
		return x
	}
	if g == 2 {
		return ddMul(x, x)
	}
	l := logDD(x)
	return expDD(ddMulF(l, g))
}

// isFinite reports whether x is neither infinite nor NaN.
func isFinite(x float64) bool { return !math.IsInf(x, 0) && !math.IsNaN(x) }
