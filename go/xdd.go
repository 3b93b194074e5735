package xent

import "math"

// Extended-range double-double values. A weighted loss w_i l_i, a class-weighted sum over classes
// or the sum of a mean's numerator can overflow float64 while the reduced result (divided by the
// sum of the weights, or by the count) is finite: a mean of losses near the largest float64 with a
// class weight of 2, say. xdd carries a separate binary exponent so that such intermediates never
// overflow; values within float64's comfortable range keep e = 0 and go through exactly the plain
// double-double operations, so the common path is unchanged.

// xdd is the value m * 2^e. A non-finite m (inf or NaN) has e = 0.
type xdd struct {
	m doubleDouble
	e int
}

// bigExp bounds the exponent of a double-double operand handled by the plain double-double path:
// products and sums of values below 2^bigExp cannot overflow.
const bigExp = 500

func xOf(x doubleDouble) xdd { return xdd{m: x} }

// expOf returns the binary exponent of x (x = f 2^expOf(x) with f in [0.5, 1)); 0 for 0.
func expOf(x float64) int {
	_, e := math.Frexp(x)
	return e
}

// split returns x as a double-double mantissa in [0.5, 1) in magnitude and its exponent (finite,
// non-zero x).
func (x xdd) split() (doubleDouble, int) {
	k := expOf(x.m.hi)
	return ddScale(x.m, -k), x.e + k
}

// float rounds x to float64 (+-inf when it overflows).
func (x xdd) float() float64 {
	if x.e == 0 || !isFinite(x.m.hi) {
		return x.m.float()
	}
	r := math.Ldexp(x.m.hi+x.m.lo, x.e)
	if x.e > 0 || math.Abs(r) >= 0x1p-1022 {
		return r
	}
	// A subnormal result: round hi + lo once to the subnormal grid (Ldexp of their rounded sum
	// could round twice), correcting by a step where the remainder exceeds half a step.
	r = math.Ldexp(x.m.hi, x.e)
	rem := (x.m.hi - math.Ldexp(r, -x.e)) + x.m.lo
	half := math.Ldexp(1, -1075-x.e) // half a subnormal step, in the units of hi
	switch {
	case rem > half:
		r = math.Nextafter(r, math.Inf(1))
	case rem < -half:
		r = math.Nextafter(r, math.Inf(-1))
	}
	return r
}

// small reports whether x is finite, has no extra exponent and is below 2^bigExp in magnitude.
func (x xdd) small() bool {
	return x.e == 0 && math.Abs(x.m.hi) < 0x1p500
}

// xMul returns c * v with mulDD's rule that a zero coefficient c masks an infinite v.
func xMul(c, v xdd) xdd {
	if c.m.hi == 0 || !isFinite(c.m.hi) || !isFinite(v.m.hi) || v.m.hi == 0 ||
		(c.small() && v.small() && expOf(c.m.hi)+expOf(v.m.hi) > -960) {
		return xOf(mulDD(c.m, v.m)) // a product far below the normal range takes the split form below
	}
	cm, ce := c.split()
	vm, ve := v.split()
	return xdd{ddMul(cm, vm), ce + ve}
}

// xDiv returns num / den following divDD's IEEE rules for zeros and non-finite operands.
func xDiv(num, den xdd) xdd {
	if (num.e == 0 && den.e == 0) || num.m.hi == 0 || den.m.hi == 0 || !isFinite(num.m.hi) || !isFinite(den.m.hi) {
		if num.e == 0 && den.e == 0 {
			return xOf(divDD(num.m, den.m))
		}
		return xOf(divDD(doubleDouble{num.m.hi, 0}, doubleDouble{den.m.hi, 0}))
	}
	nm, ne := num.split()
	dm, de := den.split()
	return xdd{ddDiv(nm, dm), ne - de}
}

// xacc is acc with an extended exponent: its finite part is s * 2^e. e stays 0 until the running
// sum or a term reaches 2^1000; it then grows so that the scaled sum stays below about 2^900
// (terms below 2^-1074 of the largest are lost, far beneath double-double precision). A sum whose
// first term is scaled down (e < 0: a value in or below float64's subnormal range) starts at that
// scale, so that tiny terms add up before the result is rounded.
type xacc struct {
	s       doubleDouble
	e       int
	special float64
	spec    bool
}

func (a *xacc) add(x xdd) {
	if !isFinite(x.m.hi) {
		if a.spec {
			a.special += x.m.hi
		} else {
			a.special, a.spec = x.m.hi, true
		}
		return
	}
	if x.m.hi == 0 {
		return
	}
	if a.e == 0 && x.e == 0 && math.Abs(x.m.hi) < 0x1p1000 && math.Abs(a.s.hi) < 0x1p1000 {
		a.s = ddAdd(a.s, x.m)
		return
	}
	top := expOf(x.m.hi) + x.e
	switch {
	case a.s.hi != 0:
		top = max(top, expOf(a.s.hi)+a.e)
	case a.e == 0 && x.e < 0:
		a.e = x.e // a sum that starts with a scaled (tiny) term keeps its scale
	}
	if e := top - 900; e > a.e {
		a.s = ddScale(a.s, a.e-e)
		a.e = e
	}
	a.s = ddAdd(a.s, ddScale(x.m, x.e-a.e))
}

func (a *xacc) addDD(x doubleDouble) { a.add(xOf(x)) }

// addProd adds c * v (see xMul).
func (a *xacc) addProd(c, v doubleDouble) { a.add(xMul(xOf(c), xOf(v))) }

// value returns the sum (a non-finite sum has e = 0).
func (a *xacc) value() xdd {
	if a.spec {
		return xOf(doubleDouble{a.special, 0})
	}
	return xdd{a.s, a.e}
}

// focalTiny: below this, a focal factor (1 - p_t)^gamma is formed with its own exponent.
const focalTiny = -960 // log2 of the threshold

// focalFactor returns the focal modulating factor x^g (x = 1 - p_t >= 0, g finite >= 0, 0^0 = 1)
// extended-range: where x^g falls below 2^focalTiny (a subnormal or underflowing power loses its
// digits: (1.6e-161)^2, say) it is formed as m^g 2^(k g) from x = m 2^k for g = 1 or 2, and
// otherwise as exp(r) 2^n with g log(x) = n ln2 + r, so that it is rounded once, at the end
// (fuzz finding of the Java implementation, sigmoid_focal_loss).
func focalFactor(x doubleDouble, g float64) xdd {
	if !(x.hi > 0) || g == 0 || !isFinite(x.hi) || g*math.Log2(x.hi) >= focalTiny {
		return xOf(powDD(x, g))
	}
	k := expOf(x.hi)
	m := ddScale(x, -k) // in [0.5, 1) in magnitude: scaling up is exact
	switch g {
	case 1:
		return xdd{m, k}
	case 2:
		return xdd{ddMul(m, m), 2 * k}
	}
	l := ddMulF(ddAdd(logDD(m), ddMulF(ddLn2, float64(k))), g) // g log(x) < -960 ln2
	n := math.Floor(l.hi / math.Ln2)
	if !(math.Abs(n) < 0x1p30) {
		return xOf(powDD(x, g)) // far below any float64
	}
	r := ddSub(l, ddMulF(ddLn2, n)) // about [0, ln2)
	return xdd{expDD(r), int(n)}
}
