package xent

import "math"

// Merge primitives of split (chunked or vocabulary-parallel) softmax and cross-entropy (issue 18):
// online-softmax states and partial log-sum-exps, in base e or 2. Each column (an index of the axes
// after axis 0) merges the K states along axis 0 on its own.

// powX returns b^t for t <= 0 (b = e, or 2 when base2) extended-range, as m 2^n with m = b^r for a
// reduced r: terms far below float64's range keep their digits until the sum is rounded once.
// t = -inf gives 0.
func powX(t doubleDouble, base2 bool) xdd {
	if math.IsInf(t.hi, -1) || t.hi < -0x1p40 {
		return xdd{}
	}
	if base2 {
		n := math.Floor(t.hi)
		r := ddAddF(t, -n) // exact: n is an integer near t
		return xdd{expDD(ddMul(r, ddLn2)), int(n)}
	}
	n := math.Floor(t.hi / math.Ln2)
	r := ddSub(t, ddMulF(ddLn2, n))
	return xdd{expDD(r), int(n)}
}

// mergeGeometry is the [K, d1..dk] layout of a merge's input: column j's K values are
// x[i*cols + j], i = 0..K-1.
type mergeGeometry struct{ k, cols int }

func newMergeGeometry(shape []int) mergeGeometry {
	return mergeGeometry{k: shape[0], cols: numel(shape[1:])}
}

// OnlineSoftmaxMerge merges K online-softmax states (m_i, d_i), each meaning
// sum over its elements of b^(x - m_i), along axis 0 of m and d (shape [K, d1..dk], rank 1 to 8) into
// one state per column, returned as shape [2, d1..dk] (out[0] = M, out[1] = D):
//
//	M = max_i m_i,   D = sum_i d_i b^(m_i - M),   b = e, or 2 with WithBase(Base2).
//
// A state whose m_i equals M contributes d_i exactly (so M = +-inf needs no inf - inf); the empty
// state is (-inf, 0) and K = 0 gives (-inf, 0). Any NaN among a column's m_i or d_i gives M = D = NaN
// there (NaN is never swallowed by max). D is exact, rounded once (the weights b^(m_i - M) are
// extended-range, so states whose maxima differ by more than the exponent range still merge); M is
// exact. A state whose weight b^(m_i - M) is exactly 0 (m_i = -inf < M, or M = +inf > m_i)
// contributes 0 whatever its d_i (D4); d_i = +inf (an overflowed partial sum) gives D = +inf where it
// contributes.
//
// Errors: ErrInvalidArgument (an option, an unknown base; a d_i < 0, step 4), ErrInvalidShape (rank
// 0 or above 8), ErrShapeMismatch (m and d of different shapes).
func OnlineSoftmaxMerge[T Float](m, d Tensor[T], opts ...Option) (Tensor[T], error) {
	const fn = "online_softmax_merge"
	c, err := configure[T](fn, opts)
	if err != nil {
		return Tensor[T]{}, err
	}
	if err := checkTensor(fn, "m", m.Shape, len(m.Data), 1, maxRank); err != nil {
		return Tensor[T]{}, err
	}
	if err := checkTensor(fn, "d", d.Shape, len(d.Data), 1, maxRank); err != nil {
		return Tensor[T]{}, err
	}
	if !sameShape(m.Shape, d.Shape) {
		return Tensor[T]{}, newError(ErrShapeMismatch, fn, "d has shape %v but m has shape %v", d.Shape, m.Shape)
	}
	for i, v := range d.Data {
		if v < 0 {
			return Tensor[T]{}, newError(ErrInvalidArgument, fn, "d%s = %v is negative (a state's sum is >= 0)", indexString(i, d.Shape), float64(v))
		}
	}
	ms, ds := viewF64(m.Data), viewF64(d.Data)
	g := newMergeGeometry(m.Shape)
	out := make([]float64, 2*g.cols)
	for j := 0; j < g.cols; j++ {
		out[j], out[g.cols+j] = mergeColumn(ms, ds, g, j, c.base == Base2)
	}
	return outTensor[T](append([]int{2}, m.Shape[1:]...), out), nil
}

// mergeColumn merges column j's states (see OnlineSoftmaxMerge).
func mergeColumn(ms, ds []float64, g mergeGeometry, j int, base2 bool) (float64, float64) {
	M := math.Inf(-1)
	for i := 0; i < g.k; i++ {
		mi, di := ms[i*g.cols+j], ds[i*g.cols+j]
		if math.IsNaN(mi) || math.IsNaN(di) {
			return math.NaN(), math.NaN()
		}
		M = max(M, mi)
	}
	var D xacc
	for i := 0; i < g.k; i++ {
		mi, di := ms[i*g.cols+j], ds[i*g.cols+j]
		if mi == M {
			D.add(xOf(ddF(di))) // exactly d_i: no M - M for an infinite M
			continue
		}
		h, l := twoSum(mi, -M) // m_i < M: a finite or -inf difference
		switch {
		case math.IsInf(h, -1):
			// b^(m_i - M) = 0 exactly: 0 whatever d_i (the zero-coefficient convention, D4)
		case math.IsInf(di, 1):
			D.add(xOf(ddF(di))) // an overflowed partial sum times a positive weight
		default:
			D.add(xMul(xOf(ddF(di)), powX(doubleDouble{h, l}, base2)))
		}
	}
	return M, D.value().float()
}

// LSEMerge merges K partial log-sum-exps along axis 0 of lse (shape [K, d1..dk], rank 1 to 8) into
// their log-sum-exp per column, shape [d1..dk]:
//
//	log_b sum_i b^(lse_i),   b = e, or 2 with WithBase(Base2),
//
// formed as M + log_b(1 + s), M = max_i lse_i, s = sum_{i != k} b^(lse_i - M), rounded once. An empty
// partition is -inf; all -inf (or K = 0) gives -inf; any +inf gives +inf unless a NaN is present;
// NaN gives NaN. Errors: ErrInvalidArgument (an option, an unknown base), ErrInvalidShape (rank 0 or
// above 8).
func LSEMerge[T Float](lse Tensor[T], opts ...Option) (Tensor[T], error) {
	const fn = "lse_merge"
	c, err := configure[T](fn, opts)
	if err != nil {
		return Tensor[T]{}, err
	}
	if err := checkTensor(fn, "lse", lse.Shape, len(lse.Data), 1, maxRank); err != nil {
		return Tensor[T]{}, err
	}
	xs := viewF64(lse.Data)
	g := newMergeGeometry(lse.Shape)
	out := make([]float64, g.cols)
	for j := range out {
		out[j] = lseMergeColumn(xs, g, j, c.base == Base2).float()
	}
	return outTensor[T](lse.Shape[1:], out), nil
}

// lseMergeColumn returns column j's merged log-sum-exp extended-range (see LSEMerge).
func lseMergeColumn(xs []float64, g mergeGeometry, j int, base2 bool) xdd {
	M, k := math.Inf(-1), -1
	for i := 0; i < g.k; i++ {
		v := xs[i*g.cols+j]
		if math.IsNaN(v) {
			return xOf(doubleDouble{math.NaN(), 0})
		}
		if v > M || k < 0 {
			M, k = max(M, v), i
		}
	}
	if k < 0 || math.IsInf(M, 0) {
		return xOf(ddF(M)) // K = 0 or all -inf: -inf; any +inf (no NaN): +inf
	}
	var s xacc
	for i := 0; i < g.k; i++ {
		if v := xs[i*g.cols+j]; i != k && !math.IsInf(v, -1) {
			h, l := twoSum(v, -M)
			s.add(powX(doubleDouble{h, l}, base2))
		}
	}
	L := log1pX(s.value())
	if base2 {
		L = xDiv(L, xOf(ddLn2))
	}
	var sum xacc
	sum.add(xOf(ddF(M)))
	sum.add(L)
	return sum.value()
}

// log1pX returns log1p(s) for s >= 0 extended-range: s itself where s < 2^-1000 (log1p(s) = s to
// far beyond double-double precision), so that a sum in or below the subnormal range is not lost.
func log1pX(s xdd) xdd {
	if s.m.hi == 0 {
		return xdd{}
	}
	if m, e := s.split(); e < -1000 {
		return xdd{m, e}
	}
	return xOf(log1pDD(ddScale(s.m, s.e)))
}
