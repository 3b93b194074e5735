package xent

import (
	"math"
	"unsafe"
)

// Fast paths for float32 data. Every intermediate of a float32 problem fits float64 with a wide
// margin: exp and log1p of differences of float32 values, and products of float32 weights, neither
// overflow nor lose relative accuracy beyond a few float64 ulps (2^-51), and float64's subnormal
// range lies 900 binades below float32's. A loss evaluated in plain float64 (math.Exp, math.Log1p)
// with compensated reductions therefore rounds once to float32 within 0.5 ulp plus about 2^-27 ulp,
// as accurate as the double-double path after rounding, at a fraction of its cost. The paths cover
// finite data only; anything else (an infinite or NaN element) falls back to the double-double
// path, which handles the limits exactly.

// expTab[j] = 2^(j/32).
var expTab [32]float64

func init() {
	for j := range expTab {
		expTab[j] = math.Exp2(float64(j) / 32)
	}
}

// expNeg returns exp(x) for finite x <= 0 to a relative error of about 2^-50: x = (32k + j) ln2/32
// + r with |r| <= ln2/64 (the reduction exact to 2^-100 by FMA with ln2/32 as a double-double),
// exp(x) = 2^k 2^(j/32) exp(r) with a degree-5 Taylor polynomial for exp(r). Cheaper than
// math.Exp; far below float32's precision.
func expNeg(x float64) float64 {
	if x < -700 { // near or below float64's underflow: rare, the library function handles it
		return math.Exp(x)
	}
	const inv = 32 / math.Ln2
	const shifter = 0x1.8p52 // adding it rounds |v| < 2^51 to an integer (math.Floor costs more)
	n := (x*inv + shifter) - shifter
	r := math.FMA(-n, ddLn2.hi/32, x)
	r = math.FMA(-n, ddLn2.lo/32, r)
	p := 1 + r*(1+r*(1.0/2+r*(1.0/6+r*(1.0/24+r*(1.0/120)))))
	ni := int64(n)
	return math.Float64frombits(math.Float64bits(expTab[ni&31]*p) + uint64(ni>>5)<<52)
}

// log1pTab[i] holds log(1 + i/64) and 1 / (1 + i/64).
var log1pTab [65]struct{ log, inv float64 }

func init() {
	for i := range log1pTab {
		c := float64(i) / 64
		log1pTab[i].log, log1pTab[i].inv = math.Log1p(c), 1/(1+c)
	}
}

// log1pUnit returns log1p(e) for e in [0, 1] to a relative error of about 2^-46: with c = i/64
// the nearest table point, log1p(e) = log(1 + c) + log1p(d), d = (e - c) / (1 + c), |d| <= 1/128
// (e - c is exact by Sterbenz's lemma), and log1p(d) by a degree-7 Taylor polynomial.
func log1pUnit(e float64) float64 {
	i := int(e*64 + 0.5)
	t := &log1pTab[i]
	d := (e - float64(i)/64) * t.inv
	return t.log + d*(1+d*(-1.0/2+d*(1.0/3+d*(-1.0/4+d*(1.0/5+d*(-1.0/6+d*(1.0/7)))))))
}

// log1pFast returns log1p(e) for e >= 0 to a few float64 ulps (Kahan's trick: the rounding of
// 1 + e is corrected by the factor e / (u - 1)); cheaper than math.Log1p.
func log1pFast(e float64) float64 {
	u := 1 + e
	if u == 1 {
		return e
	}
	return math.Log(u) * (e / (u - 1))
}

// isFloat32 reports whether T is float32 (or a type defined on it).
func isFloat32[T Float]() bool {
	var zero T
	return unsafe.Sizeof(zero) == 4
}

// nsum is Neumaier's compensated float64 sum.
type nsum struct{ s, c float64 }

func (a *nsum) add(v float64) {
	t := a.s + v
	if math.Abs(a.s) >= math.Abs(v) {
		a.c += (a.s - t) + v
	} else {
		a.c += (v - t) + a.s
	}
	a.s = t
}

func (a *nsum) value() float64 { return a.s + a.c }

// reduceFast reduces per-element float64 values (mean divides by den).
func reduceFast(vals []float64, red Reduction, shape []int, den float64) ([]int, []float64) {
	if red == ReductionNone {
		return shape, vals
	}
	var s nsum
	for _, v := range vals {
		s.add(v)
	}
	if red == ReductionSum {
		return []int{}, []float64{s.value()}
	}
	return []int{}, []float64{s.value() / den}
}

// lossFast is loss() for float32 logits x and index targets: per position
// l = sum_c m_c (L - d_c) with d_c = x_c - a and L = log1p(sum_{c != k} exp(d_c)), in float64.
// It reports false (and the caller falls back) when a logit is not finite.
func lossFast[T Float](p *sceProblem, x []T) ([]int, []float64, bool) {
	vals := make([]float64, p.positions())
	var den nsum
	for pos := range vals {
		y := p.idx[pos]
		if p.c.ignores(y) {
			continue
		}
		n, r := pos/p.d, pos%p.d
		row := x[n*p.k*p.d+r:]
		at := func(c int) float64 { return float64(row[c*p.d]) }
		k, a := 0, at(0)
		for c := 1; c < p.k; c++ {
			if v := at(c); v > a {
				k, a = c, v
			}
		}
		var s float64
		for c := 0; c < p.k; c++ {
			v := at(c)
			if !isFinite(v) {
				return nil, nil, false
			}
			if c != k {
				s += expNeg(v - a)
			}
		}
		L := log1pFast(s)
		den.add(p.weight(y))
		if p.eps == 0 {
			vals[pos] = p.weight(y) * (L - (at(y) - a))
			continue
		}
		share, keep := p.share.hi, p.oneMinus.float()
		var l nsum
		for c := 0; c < p.k; c++ {
			q := share
			if c == y {
				q = keep
				if p.c.smoothingMode == SmoothUniform {
					q += share
				}
			}
			l.add(p.weight(c) * q * (L - (at(c) - a)))
		}
		vals[pos] = l.value()
	}
	shape, out := reduceFast(vals, p.c.reduction, p.posShape, den.value())
	return shape, out, true
}

// bceFast is BCEWithLogits for float32 data z and y (read as they are, without a float64 copy): with
// t = log1p(exp(-|z|)), l = w (pw y (max(-z, 0) + t) + (1 - y)(max(z, 0) + t)), in float64; false
// when a z is not finite.
func bceFast[T Float](p *bceProblem, zs, ys []T) ([]int, []float64, bool) {
	red := p.config.reduction
	var vals []float64 // per element for reduction none; sum and mean add as they go
	if red == ReductionNone {
		vals = make([]float64, len(zs))
	}
	var sum nsum
	for i, zt := range zs {
		z := float64(zt)
		if !isFinite(z) {
			return nil, nil, false
		}
		y := float64(ys[i])
		a := math.Abs(z)
		t := log1pUnit(expNeg(-a))
		pos, neg := t, a+t // softplus(-z), softplus(z) for z >= 0 (z finite: no NaN, and +-0 alike)
		if z < 0 {
			pos, neg = neg, pos
		}
		v := p.at(p.w, i) * (p.at(p.pw, i)*y*pos + (1-y)*neg)
		if vals != nil {
			vals[i] = v
		} else {
			sum.add(v)
		}
	}
	switch red {
	case ReductionNone:
		return p.shape, vals, true
	case ReductionSum:
		return []int{}, []float64{sum.value()}, true
	}
	return []int{}, []float64{sum.value() / float64(len(zs))}, true
}
