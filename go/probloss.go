package xent

import "math"

// seedEpsilon is the clamp constant of the seed documents' crossEntropyLoss (document 002).
const seedEpsilon = 1e-15

// CrossEntropyLoss returns the negative log-likelihood of one sample from predicted probabilities,
// -log(max(predictedProbs[trueClassIndex], 1e-15)), in nats; the clamp bounds the result by
// -log(1e-15) = 34.538776394910684.... Only the target probability is read.
//
// Contract (the seed's simple entry point): CrossEntropyLoss never fails and never panics. It
// returns NaN when trueClassIndex is outside [0, len(predictedProbs)) or the target probability is
// NaN or outside [0, 1]; use NLLFromProbs for a batch, other reductions and errors that say what is
// wrong.
func CrossEntropyLoss(predictedProbs []float64, trueClassIndex int) float64 {
	if trueClassIndex < 0 || trueClassIndex >= len(predictedProbs) {
		return math.NaN()
	}
	p := predictedProbs[trueClassIndex]
	if !(p >= 0 && p <= 1) {
		return math.NaN()
	}
	return nllClamped(p, seedEpsilon).float()
}

// nllClamped returns -log(max(p, eps)).
func nllClamped(p, eps float64) doubleDouble {
	return logDD(ddF(math.Max(p, eps))).neg()
}

func checkRank2(fn, name string, t []int, n int) error {
	if err := checkTensor(fn, name, t, n, 2, 2); err != nil {
		return err
	}
	if t[1] == 0 {
		return newError(ErrInvalidShape, fn, "%s has shape %v: the number of classes must be non-zero", name, t)
	}
	return nil
}

// NLLFromProbs returns the negative log-likelihood of the target classes from predicted
// probabilities probs[N, C], clamped as in the seed documents:
//
//	l_n = -log(max(probs[n, target[n]], epsilon)),
//
// reduced over n (none: shape [N]; sum; mean: divided by N, NaN for N = 0). Only the target
// probabilities enter the loss, but every entry of probs is validated (D5); rows are not checked to
// sum to 1.
//
// Options: WithEpsilon (default 1e-15, domain [0, 1]), WithReduction (default mean). Errors:
// ErrInvalidShape when probs is not rank 2 or C = 0, ErrShapeMismatch when len(target) != N,
// ErrIndexOutOfRange for a target outside [0, C), ErrInvalidProbability for any entry of probs
// outside [0, 1] or NaN (the target's or not), ErrInvalidArgument for a bad epsilon or reduction;
// when several apply, the first in the order ErrInvalidArgument, ErrInvalidShape, ErrShapeMismatch,
// ErrIndexOutOfRange, ErrInvalidProbability (the spec's precedence, D1). With epsilon 0 a zero
// target probability gives +inf.
func NLLFromProbs[T Float](probs Tensor[T], target []int, opts ...Option) (Tensor[T], error) {
	const fn = "nll_from_probs"
	c, err := configure[T](fn, opts)
	if err != nil {
		return Tensor[T]{}, err
	}
	if err := checkRank2(fn, "probs", probs.Shape, len(probs.Data)); err != nil {
		return Tensor[T]{}, err
	}
	n, k := probs.Shape[0], probs.Shape[1]
	if len(target) != n {
		return Tensor[T]{}, newError(ErrShapeMismatch, fn, "target has length %d but probs has %d rows (shape %v)", len(target), n, probs.Shape)
	}
	eps := c.epsilon
	for i, t := range target {
		if t < 0 || t >= k {
			return Tensor[T]{}, newError(ErrIndexOutOfRange, fn, "target[%d] = %d is outside [0, %d)", i, t, k)
		}
	}
	ps := toF64(probs.Data)
	if err := checkProbs(fn, "probs", ps, probs.Shape); err != nil {
		return Tensor[T]{}, err
	}
	vals := make([]xdd, n)
	for i, t := range target {
		vals[i] = xOf(nllClamped(ps[i*k+t], eps))
	}
	shape, out := reduce(vals, c.reduction, []int{n}, nil)
	return outTensor[T](shape, out), nil
}

// CategoricalCrossEntropy returns the cross-entropy between target rows t[N, C] (soft or one-hot)
// and predicted probability rows p[N, C], without a clamp (document 001):
//
//	l_n = -sum_{c: t[n, c] > 0} t[n, c] log(p[n, c]),
//
// reduced over n (none: shape [N]; sum; mean: divided by N).
//
// Options: WithReduction (default mean). Errors: ErrInvalidShape when t or p is not rank 2 or C = 0,
// ErrShapeMismatch when their shapes differ, ErrInvalidProbability for a value outside [0, 1] or NaN,
// ErrInvalidArgument for an unknown reduction. t > 0 with p = 0 gives +inf; t = 0 with p = 0
// contributes 0.
func CategoricalCrossEntropy[T Float](t, p Tensor[T], opts ...Option) (Tensor[T], error) {
	const fn = "categorical_cross_entropy"
	c, err := configure[T](fn, opts)
	if err != nil {
		return Tensor[T]{}, err
	}
	if err := checkRank2(fn, "t", t.Shape, len(t.Data)); err != nil {
		return Tensor[T]{}, err
	}
	if err := checkRank2(fn, "p", p.Shape, len(p.Data)); err != nil {
		return Tensor[T]{}, err
	}
	if !sameShape(t.Shape, p.Shape) {
		return Tensor[T]{}, newError(ErrShapeMismatch, fn, "t has shape %v but p has shape %v", t.Shape, p.Shape)
	}
	ts, ps := toF64(t.Data), toF64(p.Data)
	if err := checkProbs(fn, "t", ts, t.Shape); err != nil {
		return Tensor[T]{}, err
	}
	if err := checkProbs(fn, "p", ps, p.Shape); err != nil {
		return Tensor[T]{}, err
	}
	n, k := t.Shape[0], t.Shape[1]
	vals := make([]xdd, n)
	for i := 0; i < n; i++ {
		var s acc
		for j := 0; j < k; j++ {
			if tv := ts[i*k+j]; tv > 0 {
				s.addDD(mulDD(ddF(-tv), logDD(ddF(ps[i*k+j]))))
			}
		}
		vals[i] = xOf(s.value())
	}
	shape, out := reduce(vals, c.reduction, []int{n}, nil)
	return outTensor[T](shape, out), nil
}

// bceElem returns -(y log p' + (1 - y) log(1 - p')) with p' = min(max(p, eps), 1 - eps), 1 - eps
// taken exactly; log(1 - p') is log1p(-p') for p' < 1/2 and log of the exact 1 - p' otherwise.
func bceElem(y, p, eps float64) doubleDouble {
	var lp, lq doubleDouble // log p', log(1 - p')
	switch {
	case p < eps:
		lp, lq = logDD(ddF(eps)), log1pDD(ddF(-eps))
	case p >= 0.5 && 1-p < eps: // p > 1 - eps; 1 - p is exact here
		lp, lq = log1pDD(ddF(-eps)), logDD(ddF(eps))
	default:
		lp = logDD(ddF(p))
		if p < 0.5 {
			lq = log1pDD(ddF(-p))
		} else {
			lq = logDD(ddF(1 - p))
		}
	}
	return addDD(mulDD(ddF(y), lp), mulDD(oneMinus(y), lq)).neg()
}

// checkTargetsAndProbs checks the ranks (0 to 8) of binary_cross_entropy's and its gradient's y and p
// and that their shapes agree (steps 2 and 3 of the error precedence).
func checkTargetsAndProbs[T Float](fn string, y, p Tensor[T]) error {
	if err := checkTensor(fn, "y", y.Shape, len(y.Data), 0, maxRank); err != nil {
		return err
	}
	if err := checkTensor(fn, "p", p.Shape, len(p.Data), 0, maxRank); err != nil {
		return err
	}
	if !sameShape(y.Shape, p.Shape) {
		return newError(ErrShapeMismatch, fn, "y has shape %v but p has shape %v", y.Shape, p.Shape)
	}
	return nil
}

// BinaryCrossEntropy returns the binary cross-entropy (log loss) of probabilities p against targets
// y of the same shape (any rank), with the seeds' clip:
//
//	p' = min(max(p, epsilon), 1 - epsilon)   (1 - epsilon taken exactly)
//	l  = -(y log(p') + (1 - y) log(1 - p')),
//
// terms with a zero coefficient contributing 0; reduced by WithReduction (mean divides by the
// number of elements, NaN when there are none). epsilon = 0 disables the clip.
//
// Options: WithEpsilon (default 1e-15, domain [0, 0.5)), WithReduction (default mean). Errors:
// ErrInvalidShape for a rank above 8 (or a Tensor whose data does not match its shape),
// ErrShapeMismatch when the shapes differ, ErrInvalidProbability for a y or p outside [0, 1] or NaN,
// ErrInvalidArgument for a bad epsilon or reduction (checked first). With epsilon 0: y = 1, p = 0 gives +inf; y = 0, p = 0 gives 0.
func BinaryCrossEntropy[T Float](y, p Tensor[T], opts ...Option) (Tensor[T], error) {
	const fn = "binary_cross_entropy"
	c, err := configure[T](fn, opts)
	if err != nil {
		return Tensor[T]{}, err
	}
	if err := checkTargetsAndProbs(fn, y, p); err != nil {
		return Tensor[T]{}, err
	}
	eps := c.epsilon
	ys, ps := toF64(y.Data), toF64(p.Data)
	if err := checkProbs(fn, "y", ys, y.Shape); err != nil {
		return Tensor[T]{}, err
	}
	if err := checkProbs(fn, "p", ps, p.Shape); err != nil {
		return Tensor[T]{}, err
	}
	vals := make([]xdd, len(ys))
	for i := range ys {
		vals[i] = xOf(bceElem(ys[i], ps[i], eps))
	}
	shape, out := reduce(vals, c.reduction, y.Shape, nil)
	return outTensor[T](shape, out), nil
}
