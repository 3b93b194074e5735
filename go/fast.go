package xent

import (
	"math"
	"unsafe"
)

// Fast paths for float32 data. Every intermediate of a float32 problem fits float64 with a wide
// margin: differences of float32 values are rounded once (2^-53 relative, so exp(x_c - a) gains at
// most |x_c - a| 2^-53 <= 2^-43 for the terms that count), products of float32 weights neither
// overflow nor underflow, and float64's subnormal range lies 900 binades below float32's. exp and
// log1p are the package's own (expF32 and log1pUnit: relative errors below 2^-37 and 2^-34.9, each
// function states its budget), and each loss is a sum of NON-NEGATIVE terms (log1p(s) + (a - x_y),
// or m + log1p(exp(-|z|))), so no step cancels and the relative errors carry through unamplified;
// sums are plain over a row or a block (at most 2^-33 relative: rows of at most maxFastRow
// classes, BCE blocks of 1024) and compensated across them. The float64 value is therefore within
// about 2^-32 of the exact loss (2^-34 for rows of up to 2^16 classes and for BCE), and its one rounding to float32 within 0.5 ulp + 2^-8 ulp:
// inside the spec's accurate bound u (2 |y| + 4 kappa) with u = 2^-24, at a fraction of the
// double-double path's cost. The paths cover finite data only (and -inf off the target in
// sce32fast.go's rows); anything else (an infinite or NaN element) falls back to the double-double
// path, which handles the limits exactly.

// expNegMin: below it expNegInPlace returns 0. exp(x) < 2^-1021 there, and no float32 result can see
// such a term: C of them, even times the largest float32 weight (2^128), stay below 2^-880, far
// under float32's smallest subnormal 2^-149.
const expNegMin = -708

// shifter: adding it rounds a float64 of magnitude below 2^51 to an integer, which the sum's low
// bits then hold (cheaper than math.Floor or a conversion); ties go to even.
const shifter = 0x1.8p52

// shifterBits is math.Float64bits(shifter).
const shifterBits = 0x4338000000000000

// expNegInPlace replaces each x <= 0 of xs by exp(x), to a relative error below 2^-37 (expF32; 0
// below expNegMin or for NaN).
func expNegInPlace(xs []float64) {
	for i, x := range xs {
		e := 0.0
		if x >= expNegMin {
			e = expF32(x)
		}
		xs[i] = e
	}
}

// expNegTerms returns the sum of exp(x_i - shift) over xs (each by expF32; 0 where x_i - shift is
// below expNegMin or NaN; the sum plain: the callers bound it), whether every x_i - shift was a
// number above -inf, and the largest value of ahead (as long as xs) with its index (NaNs aside; the
// first value when all are NaN): the caller's next row, whose values then stream in from memory
// while these exponentials are computed, or xs again.
func expNegTerms[T Float](xs []T, shift float64, ahead []T) (sum float64, numbers bool, aheadMax T, aheadArg int) {
	numbers = true
	ahead = ahead[:len(xs)]
	if len(xs) > 0 {
		aheadMax = ahead[0]
	}
	for i, v := range xs {
		if w := ahead[i]; w > aheadMax {
			aheadMax, aheadArg = w, i
		}
		x := float64(v) - shift
		if x >= expNegMin {
			sum += expF32(x)
		} else if !(x > math.Inf(-1)) {
			numbers = false // NaN or -inf
		}
	}
	return sum, numbers, aheadMax, aheadArg
}

// log1pTab[i] holds c = i/1024, log(1 + c) and 1 / (1 + c) for i <= 1024 (the rest only lets a mask
// replace the bounds check).
var log1pTab [2048]struct{ c, log, inv float64 }

func init() {
	for i := 0; i <= 1024; i++ {
		c := float64(i) / 1024
		log1pTab[i].c, log1pTab[i].log, log1pTab[i].inv = c, math.Log1p(c), 1/(1+c)
	}
}

// log1pUnit returns log1p(e) for e in [0, 1] to a relative error below 2^-34.9: with c = i/1024 the
// nearest node, log1p(e) = log(1 + c) + log1p(d), d = (e - c) / (1 + c), |d| <= 2^-11 (e - c exact by
// Sterbenz's lemma, the division by a rounded reciprocal: 2 u |d|), log1p(d) by its degree-3 Taylor
// polynomial (truncation |d|^4/4 <= 2^-35 |d|; the evaluation without FMA about 3 u), log(1 + c) by
// math.Log1p (below 1 ulp, its source's comment). For i >= 1, log(1 + c) >= (2 - 2^-10) 2^-11 >=
// (2 - 2^-9) |log1p(d)|, so the sum t >= |log1p(d)| (1 - 2^-9) and t >= log(1 + c) / 2.01: the
// truncation is below 2^-35 (1 + 2^-8) t and the roundings below 8 u t, in all below 2^-34.9 t; for
// i = 0, d = e exactly and t >= e (1 - e/2). Degree 3 on 1024 nodes (24 KiB) is a fifth faster in BCE
// with logits than degree 4 on 256, and float32 results need no more.
func log1pUnit(e float64) float64 {
	t := e*1024 + shifter // the nearest node c = i/1024 (a tie goes to even: either is nearest); 1024 e is exact
	i := int64(math.Float64bits(t)) - shifterBits
	tab := &log1pTab[i&2047] // i <= 1024
	d := (e - tab.c) * tab.inv
	return ((d*(1.0/3)-1.0/2)*d+1)*d + tab.log
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

// maxFastRow is the longest row of lossFast: a plain sum of that many non-negative terms stays within
// 2^-33 of its exact value ((n - 1) 2^-53).
const maxFastRow = 1 << 20

// lossFast is loss() for float32 logits x and index targets: per position
// l = sum_c m_c (L - d_c) with d_c = x_c - a and L = log1p(sum_{c != k} exp(d_c)), in float64;
// contiguous rows without smoothing first try sceRowUnshifted (sce32fast.go: no maximum, no shift).
// It reports false (and the caller falls back) when a logit is not finite or a row has more than
// maxFastRow classes.
func lossFast[T Float](p *sceProblem, x []T) ([]int, []float64, bool) {
	if p.k > maxFastRow {
		return nil, nil, false
	}
	vals := make([]float64, p.positions())
	buf := make([]float64, p.k)
	x32, is32 := any(x).([]float32) // the rows sceRowUnshifted takes (sce32fast.go)
	var den nsum
	var ahead struct { // the index of the next row's maximum, read by rowSumExpAt ahead of its turn
		pos, k int
		set    bool
	}
	for pos := range vals {
		y := p.idx[pos]
		if p.c.ignores(y) {
			continue
		}
		n, r := pos/p.d, pos%p.d
		row := x[n*p.k*p.d+r:]
		at := func(c int) float64 { return float64(row[c*p.d]) }
		if p.d == 1 && p.eps == 0 && is32 {
			if l, ok := sceRowUnshifted(x32[n*p.k:(n+1)*p.k], y); ok {
				den.add(p.weight(y))
				vals[pos] = p.weight(y) * l
				continue
			}
		}
		var a, s float64
		var ok bool
		if p.d == 1 {
			k := ahead.k
			if !ahead.set || ahead.pos != pos {
				k = rowArgMax(row[:p.k])
			}
			next := row[:p.k]
			if pos+1 < len(vals) {
				next = row[p.k : 2*p.k]
			}
			s, ok, ahead.k = rowSumExpAt(row[:p.k], k, next)
			ahead.pos, ahead.set = pos+1, true
			a = float64(row[min(k, p.k-1)])
		} else {
			_, a, s, ok = rowSumExpStrided(row, p.k, p.d, buf)
		}
		if !ok {
			return nil, nil, false
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

// rowSumExp returns, for a contiguous row, the index k and value a of a maximum and
// s = sum_{c != k} exp(x_c - a) (the maximum's own term, exactly 1, stays out); false when a value is
// not finite.
func rowSumExp[T Float](row []T) (k int, a, s float64, ok bool) {
	k = rowArgMax(row)
	s, ok, _ = rowSumExpAt(row, k, row)
	return k, float64(row[min(k, len(row)-1)]), s, ok
}

// rowArgMax returns the index of the first maximum of a non-empty row (len(row) when no value equals
// rowMax's, which a NaN first value causes).
func rowArgMax[T Float](row []T) int {
	m := rowMax(row)
	k := 0
	for k < len(row) && row[k] != m {
		k++
	}
	return k
}

// rowSumExpAt is rowSumExp for a row whose maximum is at k (see rowArgMax), reading next (as long as
// row: the following row, or row again) ahead; it returns the index of next's maximum, exact unless
// next holds a NaN (which its own sum then reports).
func rowSumExpAt[T Float](row []T, k int, next []T) (s float64, ok bool, nextK int) {
	if k == len(row) || row[k]-row[k] != 0 { // a NaN first value, or +inf
		return 0, false, rowArgMax(next)
	}
	a := float64(row[k])
	s0, ok0, m0, i0 := expNegTerms(row[:k], a, next[:k])
	s1, ok1, m1, i1 := expNegTerms(row[k+1:], a, next[k+1:])
	nextK = i0
	if k == 0 || next[k] > m0 {
		m0, nextK = next[k], k
	}
	if k+1 < len(row) && m1 > m0 {
		nextK = k + 1 + i1
	}
	return s0 + s1, ok0 && ok1, nextK // a NaN or -inf elsewhere: not ok
}

// rowSumExpStrided is rowSumExp for a row of C values d apart (logits [N, C, d1..dk]).
func rowSumExpStrided[T Float](row []T, classes, d int, buf []float64) (k int, a, s float64, ok bool) {
	m := row[0]
	for c := 0; c < classes; c++ {
		v := row[c*d]
		if v > m {
			k, m = c, v
		}
		if v-v != 0 {
			return 0, 0, 0, false
		}
	}
	a = float64(m)
	e := buf[:classes]
	for c := range e {
		e[c] = float64(row[c*d]) - a
	}
	expNegInPlace(e)
	e[k] = 0
	for _, v := range e {
		s += v
	}
	return k, a, s, true
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
		e := [1]float64{-a}
		expNegInPlace(e[:])
		t := log1pUnit(e[0])
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

// bceFastSum is the unweighted sum of bceFast for float32 data: l = (1 - y) max(z, 0) + y max(-z, 0) +
// log1p(exp(-|z|)), two non-negative terms (the first is max(z, 0) - y z, with max(z, 0) = (z + |z|)/2
// exact and y z exact for float32 operands: one rounding and no branch on the sign; the second by
// expF32 and log1pUnit, within 2^-37 + 2^-34.9 < 2^-34.5), added plainly in two chains in blocks of
// 1024 (2^-43 relative at most: the terms do not cancel) and the blocks compensated. It checks y's values as it goes (checkProbs' error, for the
// caller that has done every earlier check of the precedence); false when a z is not finite.
func bceFastSum[T Float](fn string, zs, ys []T, yShape []int) (float64, bool, error) {
	if !isFloat32[T]() { // -|z| is formed from z's float32 bits
		return 0, false, nil
	}
	const block = 1024
	var total nsum
	var buf [block]float64
	ys = ys[:len(zs)]
	for start := 0; start < len(zs); start += block {
		z := zs[start:min(start+block, len(zs))]
		y := ys[start : start+len(z)]
		e := buf[:len(z)]
		for i, v := range z {
			e[i] = 0 // exp(-|z|) below expNegMin (or NaN) is dropped, as in expNegTerms
			if x := float64(-math.Float32frombits(math.Float32bits(float32(v)) &^ (1 << 31))); x >= expNegMin {
				e[i] = expF32(x) // x = -|z|, exact
			}
		}
		var s0, s1 float64 // two chains
		i := 0
		for ; i+1 < len(z); i += 2 {
			z0, y0, z1, y1 := float64(z[i]), float64(y[i]), float64(z[i+1]), float64(y[i+1])
			if !(y0 >= 0 && y0 <= 1 && y1 >= 0 && y1 <= 1) {
				return 0, false, checkProbs(fn, "y", ys, yShape) // the first bad y is in this block
			}
			// (1 - y) max(z, 0) + y max(-z, 0) = max(z, 0) - y z: y z is exact (float32 operands), the
			// difference rounded once and not negative
			s0 += (0.5*(z0+math.Abs(z0)) - y0*z0) + log1pUnit(e[i]) // NaN or inf for a non-finite z
			s1 += (0.5*(z1+math.Abs(z1)) - y1*z1) + log1pUnit(e[i+1])
		}
		if i < len(z) {
			zi, yi := float64(z[i]), float64(y[i])
			if !(yi >= 0 && yi <= 1) {
				return 0, false, checkProbs(fn, "y", ys, yShape)
			}
			s0 += (0.5*(zi+math.Abs(zi)) - yi*zi) + log1pUnit(e[i])
		}
		s := s0 + s1
		if s-s != 0 { // a non-finite z made a term NaN or infinite
			return 0, false, nil
		}
		total.add(s)
	}
	return total.value(), true, nil
}

// sum2 adds xs in two partial sums (even and odd indices): the additions of a single chain would wait
// for each other.
func sum2(xs []float64) (s0, s1 float64) {
	i := 0
	for ; i+1 < len(xs); i += 2 {
		s0 += xs[i]
		s1 += xs[i+1]
	}
	if i < len(xs) {
		s0 += xs[i]
	}
	return s0, s1
}
