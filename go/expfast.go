package xent

import "math"

// One-pass exponentials and log1p with a relative error of about 2^-69 or better, for the hot loops
// (the row analysis of the log-sum-exp family, BCE with logits). A float64 result rounded once from a
// value with a relative error far below 2^-53 is within 0.5 ulp plus a negligible part, inside the
// spec's accurate bound u (2 |y| + 4 kappa), so these need not reach the 2^-95 of expDD and log1pDD:
// they skip the double-double Horner scheme (the polynomial's small terms are evaluated in float64)
// and cost a few times less. Each function states its error budget; TestOnePassErrors measures
// them against the 2^-95 routines.

// twoSumFinite is twoSum for operands whose sum does not overflow (no check for it).
func twoSumFinite(a, b float64) (s, e float64) {
	s = a + b
	bb := s - a
	return s, (a - (s - bb)) + (b - bb)
}

// ddAddSameSign adds x and y of one sign (or zero), finite and far from overflow: the sum does not
// cancel, so the "sloppy" double-double addition is accurate to about 2^-104 of it.
func ddAddSameSign(x, y doubleDouble) doubleDouble {
	s, e := twoSumFinite(x.hi, y.hi)
	s, e = fastTwoSum(s, e+(x.lo+y.lo))
	return doubleDouble{s, e}
}

// exp2Tab[j] = 2^(j/256) as a double-double.
var exp2Tab [1 << expTabBits]doubleDouble

func init() {
	for j := range exp2Tab {
		exp2Tab[j] = ddAddF(expm1Tab[j], 1) // expm1Tab is filled by dd.go's init, which runs first
	}
}

// Bounds of expFast's one-pass range: below expFastMin the low part of the result would approach
// float64's subnormal range (exp(-600) is about 2^-866, its low part 2^-920); above expFastMax the
// result nears overflow. Outside, expFast calls expDD.
const (
	expFastMin = -600
	expFastMax = 709
)

// expFast returns exp(x) for finite x as a double-double, to a relative error of about 2^-70 for x.hi in
// [expFastMin, expFastMax] (expDD elsewhere). The reduction x = n ln2/256 + r: u = x.hi - n ln2Hi/256
// is exact (ln2Hi has 32 bits, so the product has at most 51, and u is within a factor 2 of x.hi,
// Sterbenz); p = n ln2Mid/256 is below 2^-25 (|n| < 2^18), so its rounding (2^-79) and the ln2Lo
// part (2^-80) are negligible; r = rh + rl with rh = fl(u - p) and rl its TwoSum error plus x.lo.
// Then exp(r) = 1 + rh + tail with tail = q + rl (1 + rh + q), q = rh^2 (1/2 + ... + rh^4/720)
// (|rh| <= 2^-9.5: truncation below 2^-78, float64 evaluation error below 2^-72, rl^2 below 2^-86),
// and exp(x) = 2^k T (1 + rh + tail), T = 2^(j/256) from a double-double table (2^-106), T.hi rh
// exact (FMA), the rest (below 2^-19 T) rounded at about 2^-72 T.
func expFast(x doubleDouble) doubleDouble {
	if !(x.hi >= expFastMin && x.hi <= expFastMax) {
		return expDD(x)
	}
	const s = 1.0 / (1 << expTabBits)
	const shifter = 0x1.8p52                                 // adding it rounds |v| < 2^51 to an integer, ties to even
	n := (x.hi*(1<<expTabBits/math.Ln2) + shifter) - shifter // |x.hi 256/ln2| < 2^18
	u := x.hi - n*(ln2Hi*s)                                  // exact
	p := n * (ln2Mid * s)
	rh := u - p
	bb := rh - u
	rl := ((u - (rh - bb)) + (-p - bb)) + x.lo
	q := rh * rh * (1.0/2 + rh*(1.0/6+rh*(1.0/24+rh*(1.0/120+rh*(1.0/720)))))
	tail := q + (rl + rl*(rh+q))
	ni := int(n)
	t := exp2Tab[ni&(1<<expTabBits-1)]
	ph, pl := twoProd(t.hi, rh)
	hi, e := fastTwoSum(t.hi, ph) // t.hi >= 1 > |ph|
	lo := e + (pl + (t.hi*tail + t.lo*(1+rh+tail)))
	hi, lo = fastTwoSum(hi, lo)
	// 2^k with k = floor(n / 256) in [-866, 1023]: a normal power of two, and both parts stay normal
	f := math.Float64frombits(uint64(ni>>expTabBits+1023) << 52)
	return doubleDouble{hi * f, lo * f}
}

// log1pTabDD[i] = log(1 + i/256) as a double-double (logDD, relative 2^-95), for log1pDDFast.
var log1pTabDD [log1pNodes + 1]doubleDouble

const log1pNodes = 256

func init() {
	for i := range log1pTabDD {
		log1pTabDD[i] = logDD(ddF(1 + float64(i)/log1pNodes))
	}
}

// log1pDDFast returns log(1 + s) for s.hi in [0, 1] as a double-double, to a relative error of about
// 2^-69: with c = 1 + i/256 the nearest node to 1 + s, log(1 + s) = log(c) + log1p(d),
// d = (1 + s - c) / c, |d| <= 2^-9 (1 + s - c formed exactly, the division corrected by FMA to about
// 2^-105 |d|; for i = 0, d = s itself); log1p(d) = d - d^2/2 + d^3 P(d) with d^2/2 exact (FMA) and
// the series to d^8 (truncation below 2^-75 |d|) in float64 (error below 2^-77 |d|). For i >= 1,
// log(c) >= log(1 + 1/256) > 2^-9 >= |log1p(d)|: the final sum cancels by at most a factor 2.
func log1pDDFast(s doubleDouble) doubleDouble {
	i := int(s.hi*log1pNodes + 0.5)
	d := s
	if i > 0 {
		c := 1 + float64(i)/log1pNodes
		uh, ul := fastTwoSum(1, s.hi)         // 1 + s = uh + ul + s.lo exactly
		nh, nl := twoSumFinite(uh-c, ul+s.lo) // uh - c exact (Sterbenz); ul + s.lo exact to 2^-150
		q := nh / c
		d = doubleDouble{q, (math.FMA(-q, c, nh) + nl) / c}
	}
	sq, sqe := twoProd(d.hi, d.hi)
	x := d.hi
	p := x * x * x * (1.0/3 + x*(-1.0/4+x*(1.0/5+x*(-1.0/6+x*(1.0/7+x*(-1.0/8))))))
	h, e := fastTwoSum(d.hi, -sq/2) // |d^2/2| <= 2^-10 |d|
	l := doubleDouble{h, e + (d.lo - sqe/2 - x*d.lo + p)}
	if i == 0 {
		return l
	}
	// log(c) > |l|: Dekker's sum, and the low parts added plainly, since the two cancel by at most a
	// factor 2
	t := log1pTabDD[i]
	h, e = fastTwoSum(t.hi, l.hi)
	h, e = fastTwoSum(h, e+(t.lo+l.lo))
	return doubleDouble{h, e}
}
