package xent

import "math"

// toBase converts a natural-log result to the requested base (division by ln 2 in double-double).
func toBase(x doubleDouble, b Base) doubleDouble {
	if b == Base2 && isFinite(x.hi) {
		return ddDiv(x, ddLn2)
	}
	return x
}

func checkVector(fn, name string, n int) error {
	if n == 0 {
		return newError(ErrInvalidShape, fn, "%s must be non-empty", name)
	}
	return nil
}

// Entropy returns the Shannon entropy H(p) = -sum_i p_i log(p_i) / log(base), with 0 log 0 = 0.
// The distribution is used as given: it is neither renormalised nor checked to sum to 1.
//
// Options: WithBase (default BaseE). Errors: ErrInvalidShape for an empty p, ErrInvalidProbability
// when some p_i is outside [0, 1] or NaN, ErrInvalidArgument for an unknown base. A one-hot p gives
// exactly 0.
func Entropy[T Float](p []T, opts ...Option) (T, error) {
	const fn = "entropy"
	nan := T(math.NaN())
	c, err := configure[T](fn, opts)
	if err != nil {
		return nan, err
	}
	if err := checkVector(fn, "p", len(p)); err != nil {
		return nan, err
	}
	ps := toF64(p)
	if err := checkProbs(fn, "p", ps, nil); err != nil {
		return nan, err
	}
	var s acc
	for _, v := range ps {
		if v > 0 {
			s.addDD(ddMulF(logDD(ddF(v)), -v))
		}
	}
	return T(toBase(s.value(), c.base).float()), nil
}

// CrossEntropy returns the cross-entropy H(p, q) = -sum_{i: p_i > 0} p_i log(q_i) / log(base)
// between two distributions; H(p, q) = H(p) + KL(p || q).
//
// With WithEpsilon(eps), eps > 0 (the seed document 000's variant), q is first smoothed and
// renormalised: q'_i = (q_i + eps) / sum_j (q_j + eps), and H = -sum_{i: p_i > 0} p_i log(q'_i) /
// log(base). Terms with p_i = 0 contribute 0 whatever q_i.
//
// Options: WithBase (default BaseE), WithEpsilon (default 0, domain [0, 1]). Errors: ErrInvalidShape
// for an empty p or q, ErrShapeMismatch when their lengths differ, ErrInvalidProbability for a p_i
// or q_i outside [0, 1] or NaN, ErrInvalidArgument for an unknown base or an epsilon outside [0, 1]
// or NaN. p_i > 0 with q_i = 0 (epsilon 0) gives +inf.
func CrossEntropy[T Float](p, q []T, opts ...Option) (T, error) {
	const fn = "cross_entropy"
	nan := T(math.NaN())
	c, err := configure[T](fn, opts)
	if err != nil {
		return nan, err
	}
	if err := checkVector(fn, "p", len(p)); err != nil {
		return nan, err
	}
	if err := checkVector(fn, "q", len(q)); err != nil {
		return nan, err
	}
	if len(p) != len(q) {
		return nan, newError(ErrShapeMismatch, fn, "p has length %d but q has length %d", len(p), len(q))
	}
	eps := c.epsilon
	ps, qs := toF64(p), toF64(q)
	if err := checkProbs(fn, "p", ps, nil); err != nil {
		return nan, err
	}
	if err := checkProbs(fn, "q", qs, nil); err != nil {
		return nan, err
	}
	var s acc
	if eps == 0 {
		for i, v := range ps {
			if v > 0 {
				s.addDD(mulDD(ddF(-v), logDD(ddF(qs[i]))))
			}
		}
		return T(toBase(s.value(), c.base).float()), nil
	}
	// -log(q'_i) = log(z) - log(q_i + eps) with z = sum q + n eps: the quotient itself may be subnormal
	// and lose its bits. At the largest q_k the difference may be far below ulp(z) (a subnormal eps on
	// q that sums to 1 - 2^-53), so there it is log1p(r_k / (q_k + eps)) with the rest
	// r_k = sum_{j != k} q_j + (n - 1) eps summed directly; elsewhere q_i + eps <= z / 2 + eps.
	k := 0
	for i, v := range qs {
		if v > qs[k] {
			k = i
		}
	}
	var z, rest acc
	for i, v := range qs {
		z.add(v)
		if i != k {
			rest.add(v)
		}
	}
	n := float64(len(qs))
	z.addDD(ddMulF(ddF(eps), n))
	rest.addDD(ddMulF(ddF(eps), n-1))
	logZ := logDD(z.value())
	for i, v := range ps {
		if v <= 0 {
			continue
		}
		h, l := twoSum(qs[i], eps)
		nlq := ddSub(logZ, logDD(doubleDouble{h, l}))
		if i == k {
			nlq = log1pDD(ddDiv(rest.value(), doubleDouble{h, l}))
		}
		s.addDD(ddMulF(nlq, v))
	}
	return T(toBase(s.value(), c.base).float()), nil
}

// KLDivergence returns the Kullback-Leibler divergence
// KL(p || q) = sum_{i: p_i > 0} p_i log(p_i / q_i) / log(base).
// The ratio p_i / q_i is formed in double-double, so the result stays accurate when p is close to
// q (where it is small by cancellation); KL(p || p) = 0 exactly.
//
// Options: WithBase (default BaseE). Errors: ErrInvalidShape for an empty p or q, ErrShapeMismatch
// when their lengths differ, ErrInvalidProbability for a value outside [0, 1] or NaN,
// ErrInvalidArgument for an unknown base. p_i > 0 with q_i = 0 gives +inf.
func KLDivergence[T Float](p, q []T, opts ...Option) (T, error) {
	const fn = "kl_divergence"
	nan := T(math.NaN())
	c, err := configure[T](fn, opts)
	if err != nil {
		return nan, err
	}
	if err := checkVector(fn, "p", len(p)); err != nil {
		return nan, err
	}
	if err := checkVector(fn, "q", len(q)); err != nil {
		return nan, err
	}
	if len(p) != len(q) {
		return nan, newError(ErrShapeMismatch, fn, "p has length %d but q has length %d", len(p), len(q))
	}
	ps, qs := toF64(p), toF64(q)
	if err := checkProbs(fn, "p", ps, nil); err != nil {
		return nan, err
	}
	if err := checkProbs(fn, "q", qs, nil); err != nil {
		return nan, err
	}
	var s acc
	for i, pv := range ps {
		qv := qs[i]
		switch {
		case pv == 0 || pv == qv:
			continue
		case qv == 0:
			s.add(math.Inf(1))
			continue
		}
		s.addDD(ddMulF(logRatio(pv, qv), pv))
	}
	return T(toBase(s.value(), c.base).float()), nil
}

// logRatio returns log(p / q) for finite p, q > 0, accurate also when p is close to q.
func logRatio(p, q float64) doubleDouble {
	r := ddDiv(ddF(p), ddF(q))
	if isFinite(r.hi) && r.hi >= 0x1p-1000 && r.hi <= 0x1p1000 {
		return logDD(r)
	}
	return ddSub(logDD(ddF(p)), logDD(ddF(q)))
}
