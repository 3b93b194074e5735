package xent

import "math"

// rowKind classifies a logits row by its special values.
type rowKind int

const (
	rowFinite    rowKind = iota // a finite maximum exists (-inf entries allowed)
	rowNaN                      // some entry is NaN
	rowOneInf                   // exactly one +inf (at k), no NaN
	rowManyInf                  // two or more +inf, no NaN
	rowAllNegInf                // every entry is -inf
)

// lseRow holds the accurate log-sum-exp decomposition of one row x (Blanchard, Higham and Higham
// 2021): a = max_i x_i attained first at k, d_i = x_i - a taken exactly as a double-double (TwoSum),
// e_i = exp(d_i) in double-double (e_k = 1), s = sum_{i != k} e_i (compensated) and L = log1p(s).
// Then lse = a + L, softmax_i = e_i / (1 + s), log_softmax_i = d_i - L and the per-class negative
// log-likelihood nll_i = L - d_i >= 0: every sum formed has terms of one sign.
type lseRow struct {
	kind rowKind
	k    int
	a    float64
	d    []doubleDouble // exact shift; d_i.hi = -inf for a -inf entry (or a shift that overflows)
	e    []doubleDouble
	s    doubleDouble
	L    doubleDouble
	// lx is L extended-range when the row has terms e_i below float64's normal range (some
	// d_i < -tinyShift) and L < 2^-1000, where L = s to far beyond double-double precision: the sum
	// of such terms is formed before it is rounded once (L itself holds lx rounded to float64).
	lx   xdd
	useX bool
	// aLo is the low part of the maximum's logit when the row's logits are double-doubles (x_i +
	// lo_i, the scaled and capped logits of SoftmaxCrossEntropy): the shifts d_i include lo_i - aLo.
	aLo float64
}

// tinyShift: a shift d_i below -tinyShift has e_i near or below float64's subnormal range; such
// terms are summed extended-range (exp(d_i + 512 ln2) 2^-512), so that they keep their digits.
// Shifts below -tinyFloor (e_i < 2^-1442) are dropped.
const (
	tinyShift = 700
	tinyFloor = 1000
)

// expScaled returns exp(d) as exp(d + 512 ln2) 2^-512 (d in [-tinyFloor, -tinyShift)).
func expScaled(d doubleDouble) xdd {
	const s = 512 // d + 512 ln2, with ln2 in three parts (the sum is exact to 2^-100)
	x := ddAddF(ddAddF(ddAddF(d, s*ln2Hi), s*ln2Mid), s*ln2Lo)
	return xdd{expDD(x), -s}
}

// analyzeRow computes the decomposition of x[off + i*stride], i = 0..n-1.
func analyzeRow(x []float64, off, stride, n int) lseRow {
	var r lseRow
	r.analyze(x, off, stride, n)
	return r
}

// analyze is analyzeRow into r, reusing r's slices (a loop over rows allocates once).
func (r *lseRow) analyze(x []float64, off, stride, n int) { r.analyzeLo(x, nil, off, stride, n) }

// analyzeLo is analyze for the double-double logits x_i + xlo_i (xlo nil: all 0). The maximum is taken
// on the high parts; a shift then includes xlo_i - xlo_k (it may exceed 0 by a few units of 2^-106 |x|).
func (r *lseRow) analyzeLo(x, xlo []float64, off, stride, n int) {
	d, e := r.d, r.e
	*r = lseRow{k: -1}
	at := func(i int) float64 { return x[off+i*stride] }
	infs := 0
	for i := 0; i < n; i++ {
		v := at(i)
		if math.IsNaN(v) {
			r.kind = rowNaN
			return
		}
		if math.IsInf(v, 1) {
			infs++
			if infs == 1 {
				r.k = i
			}
		}
	}
	if infs == 1 {
		r.kind = rowOneInf
		return
	}
	if infs > 1 {
		r.kind = rowManyInf
		return
	}
	r.a = math.Inf(-1)
	for i := 0; i < n; i++ {
		if v := at(i); v > r.a {
			r.a, r.k = v, i
		}
	}
	if r.k < 0 {
		r.kind = rowAllNegInf
		return
	}
	r.d, r.e = reuse(d, n), reuse(e, n)
	if xlo != nil {
		r.aLo = xlo[off+r.k*stride]
	}
	// s = sh + sl: TwoSum on the high parts, the errors and low parts added plainly (the terms are in
	// [0, 1] and of one sign: the sum's relative error is about n^2 2^-106).
	var sh, sl float64
	var tx xacc
	tiny := false
	for i := 0; i < n; i++ {
		v := at(i)
		if i == r.k {
			r.e[i] = ddF(1)
			continue
		}
		if math.IsInf(v, -1) {
			r.d[i] = doubleDouble{math.Inf(-1), 0}
			continue
		}
		h, l := twoSum(v, -r.a)
		if math.IsInf(h, -1) {
			r.d[i] = doubleDouble{math.Inf(-1), 0}
			continue
		}
		if xlo != nil {
			s := ddAddF(doubleDouble{h, l}, xlo[off+i*stride]-r.aLo) // lo's difference: exact to 2^-106 |x|
			h, l = s.hi, s.lo
		}
		r.d[i] = doubleDouble{h, l}
		if h >= -tinyShift {
			e := expFast(doubleDouble{h, l}) // 2^-70: the row's results need about 2^-60 (expfast.go)
			r.e[i] = e
			t := sh + e.hi
			bb := t - sh
			sl += ((sh - (t - bb)) + (e.hi - bb)) + e.lo
			sh = t
			continue
		}
		if h >= -746 {
			r.e[i] = expDD(r.d[i])
		}
		if h >= -tinyFloor {
			tx.add(expScaled(r.d[i]))
			tiny = true
		}
	}
	hi, lo := fastTwoSum(sh, sl)
	r.s = doubleDouble{hi, lo}
	if tiny {
		r.tinySum(&tx)
		return
	}
	r.L = log1pDD(r.s)
}

// finiteLSE returns a = max_i x_i and L = log1p(s) of analyze for x[off + i*stride], i = 0..n-1,
// without storing the shifts and exponentials, when every x_i is finite and every shift x_i - a is
// at least -tinyShift (ok false otherwise: the caller analyzes the row in full). The sum and L are
// those of analyze, bit for bit.
func finiteLSE(x []float64, off, stride, n int) (a float64, L doubleDouble, ok bool) {
	a, k := math.Inf(-1), -1
	for i := 0; i < n; i++ {
		v := x[off+i*stride]
		if v-v != 0 { // NaN or an infinity
			return 0, doubleDouble{}, false
		}
		if v > a {
			a, k = v, i
		}
	}
	if k < 0 {
		return 0, doubleDouble{}, false
	}
	var sh, sl float64
	for i := 0; i < n; i++ {
		if i == k {
			continue
		}
		h, l := twoSumFinite(x[off+i*stride], -a) // l is used only when h is finite
		if !(h >= -tinyShift) {
			return 0, doubleDouble{}, false
		}
		e := expFast(doubleDouble{h, l})
		t := sh + e.hi
		bb := t - sh
		sl += ((sh - (t - bb)) + (e.hi - bb)) + e.lo
		sh = t
	}
	hi, lo := fastTwoSum(sh, sl)
	return a, log1pDD(doubleDouble{hi, lo}), true
}

// tinySum completes s and L from the ordinary part r.s and the extended-range sum tx of the terms
// below the normal range (rounded once).
func (r *lseRow) tinySum(tx *xacc) {
	tx.add(xOf(r.s))
	t := tx.value()
	m, e := t.split()
	if e < -1000 {
		// log1p(s) = s - s^2/2 + ...: s^2 is below 2^-2000, far beneath any float64 step.
		r.lx, r.useX = t, true
		f := t.float()
		r.s, r.L = doubleDouble{f, 0}, doubleDouble{f, 0}
		return
	}
	r.s = ddScale(m, e) // at least 2^-1001: hi and lo lose at most 2^-1075 (relatively 2^-74)
	r.L = log1pDD(r.s)
}

// lse returns log(sum_i exp(x_i)) as a double-double (special rows give NaN, +inf or -inf).
func (r *lseRow) lse() doubleDouble {
	switch r.kind {
	case rowNaN:
		return doubleDouble{math.NaN(), 0}
	case rowOneInf, rowManyInf:
		return doubleDouble{math.Inf(1), 0}
	case rowAllNegInf:
		return doubleDouble{math.Inf(-1), 0}
	}
	return ddAddF(ddAddF(r.L, r.a), r.aLo)
}

// lseX returns lse extended-range: a + L rounded once where L is tiny (see lx).
func (r *lseRow) lseX() xdd {
	if r.kind != rowFinite || !r.useX {
		return xOf(r.lse())
	}
	var s xacc
	s.add(r.lx)
	s.add(xOf(ddF(r.a)))
	s.add(xOf(ddF(r.aLo)))
	return s.value()
}

// softmax returns softmax_i as a double-double.
func (r *lseRow) softmax(i int) doubleDouble {
	switch r.kind {
	case rowNaN, rowManyInf, rowAllNegInf:
		return doubleDouble{math.NaN(), 0}
	case rowOneInf:
		if i == r.k {
			return ddF(1)
		}
		return doubleDouble{}
	}
	if i != r.k && r.e[i].hi == 0 {
		return doubleDouble{}
	}
	return ddDiv(r.e[i], ddAddF(r.s, 1))
}

// logSoftmax returns log_softmax_i = d_i - L as a double-double.
func (r *lseRow) logSoftmax(i int) doubleDouble {
	switch r.kind {
	case rowNaN, rowManyInf, rowAllNegInf:
		return doubleDouble{math.NaN(), 0}
	case rowOneInf:
		if i == r.k {
			return doubleDouble{}
		}
		return doubleDouble{math.Inf(-1), 0}
	}
	if i == r.k {
		return r.L.neg()
	}
	if math.IsInf(r.d[i].hi, -1) {
		return doubleDouble{math.Inf(-1), 0}
	}
	return ddSub(r.d[i], r.L)
}

// nll returns -log_softmax_i = L - d_i >= 0 as a double-double (+inf for a masked class).
func (r *lseRow) nll(i int) doubleDouble {
	return r.logSoftmax(i).neg()
}

// oneMinusSoftmax returns 1 - softmax_i = sum_{j != i} softmax_j as a double-double, without
// cancellation.
func (r *lseRow) oneMinusSoftmax(i int) doubleDouble {
	switch r.kind {
	case rowNaN, rowManyInf, rowAllNegInf:
		return doubleDouble{math.NaN(), 0}
	case rowOneInf:
		if i == r.k {
			return doubleDouble{}
		}
		return ddF(1)
	}
	den := ddAddF(r.s, 1)
	if i == r.k {
		return ddDiv(r.s, den)
	}
	// (1 + s - e_i) / (1 + s); s - e_i = sum_{j != k, i} e_j >= 0.
	return ddDiv(ddAddF(ddSub(r.s, r.e[i]), 1), den)
}

// nearUniform reports whether the row is finite with every logit within 1/2 of the maximum or
// -inf (d_i >= -1/2 or d_i = -inf for all i): a masked class has e_i = 0 exactly, f_i = -1.
func (r *lseRow) nearUniform() bool {
	if r.kind != rowFinite {
		return false
	}
	for _, d := range r.d {
		if !(d.hi >= -0.5) && !math.IsInf(d.hi, -1) {
			return false
		}
	}
	return true
}

// reuse returns buf[:n] cleared, or a new slice when buf is too short.
func reuse(buf []doubleDouble, n int) []doubleDouble {
	if cap(buf) < n {
		return make([]doubleDouble, n)
	}
	buf = buf[:n]
	clear(buf)
	return buf
}

// nllX returns nll_i extended-range, given the logit x_i: a finite logit whose shift x_i - a
// overflows (d_i = -inf, from logits of both signs near the largest float64) has the finite
// nll_i = L - (x_i - a), formed halved so that it does not overflow.
func (r *lseRow) nllX(i int, xi float64) xdd {
	if r.kind == rowFinite && r.useX && i == r.k {
		return r.lx // nll_k = L - 0
	}
	n := r.nll(i)
	if r.kind != rowFinite || !math.IsInf(n.hi, 1) || !isFinite(xi) {
		return xOf(n)
	}
	h, l := twoSum(r.a/2, -xi/2) // exact halves: both are far from the subnormal range here
	return xdd{ddAdd(doubleDouble{h, l}, ddScale(r.L, -1)), 1}
}
