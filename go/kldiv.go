package xent

import "math"

// WithLogTarget tells KLDiv whether its target holds log-probabilities (true) or probabilities
// (false, the default), PyTorch's log_target.
func WithLogTarget(on bool) Option {
	return func(c *config) { c.set |= optLogTarget; c.logTarget = on }
}

// KLDiv returns PyTorch's F.kl_div(input, target): the pointwise Kullback-Leibler divergence of
// the distribution of input = log q (log-probabilities) from target, elementwise and reduced:
//
//	log_target false:  l = target (log target - input), with 0 for target = 0 (xlogy: even when
//	                   input is infinite) and NaN for target < 0 (no error)
//	log_target true:   l = exp(target) (target - input), with 0 for target = -inf
//
// input and target have the same shape (rank 0 to 8); neither is range-checked. Reductions: none
// (input's shape), sum, mean (divided by the number of elements; PyTorch's default, which is not
// the KL divergence per sample) and batchmean (divided by the first dimension, the KL divergence
// per sample; the sum for a rank-0 input). NaN propagates; an infinite input gives the limit
// (+inf for input = -inf where target > 0).
//
// Options: WithReduction (default mean; ReductionBatchMean allowed), WithLogTarget (default
// false). Errors: ErrInvalidArgument (an unknown reduction or an option kl_div does not take),
// ErrInvalidShape (a rank above 8), ErrShapeMismatch (input and target shapes differ).
//
// Each term is evaluated in double-double (log target - input and target - input without
// cancellation error, exp(target) extended-range) and every result is rounded once.
func KLDiv[T Float](input, target Tensor[T], opts ...Option) (Tensor[T], error) {
	const fn = "kl_div"
	c, err := configure[T](fn, opts)
	if err != nil {
		return Tensor[T]{}, err
	}
	if err := checkTensor(fn, "input", input.Shape, len(input.Data), 0, maxRank); err != nil {
		return Tensor[T]{}, err
	}
	if err := checkTensor(fn, "target", target.Shape, len(target.Data), 0, maxRank); err != nil {
		return Tensor[T]{}, err
	}
	if !sameShape(input.Shape, target.Shape) {
		return Tensor[T]{}, newError(ErrShapeMismatch, fn, "input has shape %v but target has shape %v", input.Shape, target.Shape)
	}
	term := klTerm
	if c.logTarget {
		term = klLogTargetTerm
	}
	vals := make([]xdd, len(input.Data))
	for i, x := range input.Data {
		vals[i] = term(float64(target.Data[i]), float64(x))
	}
	red := c.reduction
	var den *xdd
	if red == ReductionBatchMean {
		red = ReductionSum
		if len(input.Shape) > 0 {
			d := xOf(ddF(float64(input.Shape[0])))
			red, den = ReductionMean, &d
		}
	}
	shape, out := reduce(vals, red, input.Shape, den)
	return outTensor[T](shape, out), nil
}

// klTerm returns t (log t - x): xlogy(t, t) - t x, 0 for t = 0 and NaN for t < 0.
func klTerm(t, x float64) xdd {
	switch {
	case math.IsNaN(t) || math.IsNaN(x) || t < 0:
		return xOf(ddF(math.NaN()))
	case t == 0:
		return xdd{} // a zero coefficient contributes 0, even times an infinite log t - x
	case math.IsInf(t, 1) || !isFinite(x):
		return xOf(ddF(t * (math.Log(t) - x))) // the limit; inf - inf = NaN (t = x = +inf)
	}
	return xMul(xOf(ddF(t)), xOf(ddSub(logDD(ddF(t)), ddF(x))))
}

// klLogTargetTerm returns exp(t) (t - x), 0 for t = -inf (the probability exp(t) is 0).
func klLogTargetTerm(t, x float64) xdd {
	switch {
	case math.IsNaN(t) || math.IsNaN(x):
		return xOf(ddF(math.NaN()))
	case math.IsInf(t, -1):
		return xdd{} // a zero coefficient exp(-inf) contributes 0
	case !isFinite(t) || !isFinite(x):
		return xOf(ddF(math.Exp(t) * (t - x))) // the limit; inf - inf = NaN (t = x = +inf)
	}
	h, l := twoSum(t, -x)
	if !isFinite(h) {
		// |t - x| beyond float64's range needs |t| near the largest float64: exp(t) overflows the
		// product (t > 0) or is so small that it is 0 with the sign of t - x (t < 0).
		if t > 0 {
			return xOf(ddF(h))
		}
		return xOf(ddF(math.Copysign(0, h)))
	}
	return xMul(expX(t), xOf(doubleDouble{h, l}))
}

// expX returns exp(t) for finite t extended-range: exp(r) 2^n with t = n ln2 + r, so that a
// product exp(t) (t - x) keeps its digits where exp(t) alone over- or underflows float64.
// Beyond |t| = 40000 every such product is far outside float64's range (|t - x| is at least
// 2^-38 for t != x): a power of two of the right side stands for exp(t).
func expX(t float64) xdd {
	switch {
	case math.Abs(t) <= 700:
		return xOf(expDD(ddF(t)))
	case math.Abs(t) < 40000:
		n := math.RoundToEven(t / math.Ln2)
		return xdd{expDD(expReduceTab(ddF(t), 256*n)), int(n)} // |256 n| < 2^16: the reduction is exact to 2^-106
	case t > 0:
		return xdd{ddF(1), 1 << 20}
	}
	return xdd{ddF(1), -(1 << 20)}
}
