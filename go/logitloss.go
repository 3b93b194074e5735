package xent

import "math"

// bceProblem is a validated binary_cross_entropy_with_logits (or sigmoid focal) problem.
type bceProblem struct {
	z, y   []float64 // z and y as float64, filled by data (a float32 fast path reads the caller's data)
	load   func()
	count  int // the number of elements
	shape  []int
	w, pw  []float64 // nil, z's shape, or [C] broadcast along the last axis
	lastC  int
	config config
	up     upstream // the gradient's grad_output
}

func (p *bceProblem) at(v []float64, i int) float64 {
	switch {
	case v == nil:
		return 1
	case len(v) == p.count:
		return v[i]
	default:
		return v[i%p.lastC]
	}
}

// weightShapeOK reports whether a weight tensor (nil: absent) has z's shape or [C].
func weightShapeOK(w []float64, wShape, zShape []int) bool {
	c := zShape[len(zShape)-1]
	return w == nil || len(w) == numel(wShape) && (sameShape(wShape, zShape) || sameShape(wShape, []int{c}))
}

// newBCE validates the inputs in the spec's order (D1): options, ranks, shapes (y, weight,
// pos_weight), weight values, target values.
func newBCEShapes[T Float](fn string, z, y Tensor[T], opts []Option) (*bceProblem, error) {
	c, err := configure[T](fn, opts)
	if err != nil {
		return nil, err
	}
	if err := checkTensor(fn, "z", z.Shape, len(z.Data), 1, maxRank); err != nil {
		return nil, err
	}
	if err := checkTensor(fn, "y", y.Shape, len(y.Data), 1, maxRank); err != nil {
		return nil, err
	}
	if !sameShape(z.Shape, y.Shape) {
		return nil, newError(ErrShapeMismatch, fn, "y has shape %v but z has shape %v", y.Shape, z.Shape)
	}
	c.weight, c.posWeight = roundParams[T](c.weight), roundParams[T](c.posWeight)
	weights := []struct {
		name  string
		w     []float64
		shape []int
	}{{"weight", c.weight, c.weightShape}, {"pos_weight", c.posWeight, c.posWeightShape}}
	for _, w := range weights {
		if !weightShapeOK(w.w, w.shape, z.Shape) {
			return nil, newError(ErrShapeMismatch, fn, "%s has shape %v; want z's shape %v or [%d]", w.name, w.shape, z.Shape, z.Shape[len(z.Shape)-1])
		}
	}
	up, err := c.upstreamFor(fn, z.Shape) // grad_output's shape (the gradient's): step 3 too
	if err != nil {
		return nil, err
	}
	for _, w := range weights {
		if err := checkNonNegFinite(fn, w.name, w.w); err != nil {
			return nil, err
		}
	}
	p := &bceProblem{up: up, shape: z.Shape, count: len(z.Data), lastC: z.Shape[len(z.Shape)-1], config: c, w: c.weight, pw: c.posWeight}
	p.load = func() { p.z, p.y = viewF64(z.Data), viewF64(y.Data) } // only read
	return p, nil
}

// newBCE is newBCEShapes followed by the last check of the precedence, y's values.
func newBCE[T Float](fn string, z, y Tensor[T], opts []Option) (*bceProblem, error) {
	p, err := newBCEShapes(fn, z, y, opts)
	if err != nil {
		return nil, err
	}
	if err := checkProbs(fn, "y", y.Data, y.Shape); err != nil {
		return nil, err
	}
	return p, nil
}

// data fills z and y as float64 (once) and returns p.
func (p *bceProblem) data() *bceProblem {
	if p.z == nil && p.count > 0 {
		p.load()
	}
	return p
}

// bceTerm returns y softplus(-z) pw + (1 - y) softplus(z) (zero coefficients mask infinities),
// extended-range: pw y softplus(-z) may exceed the largest float64.
func bceTerm(z, y, pw float64) xdd {
	pos, neg := softplusPair(z)
	var s xacc
	s.add(xMul(xOf(ddMulF(ddF(y), pw)), neg))
	s.add(xMul(xOf(oneMinus(y)), pos))
	return s.value()
}

// BCEWithLogits returns the binary cross-entropy of sigmoid(z) against targets y (multi-label when z
// is [N, C]), from logits:
//
//	l = w (pw y softplus(-z) + (1 - y) softplus(z)),   softplus(t) = max(t, 0) + log1p(exp(-|t|)),
//
// with w = 1 and pw = 1 when absent. Every term is non-negative, so this form has no cancellation.
// The spec calls this binary_cross_entropy_with_logits.
//
// Options: WithWeight and WithPosWeight (z's shape or [C], C = z's last dimension, broadcast along
// the last axis; finite, >= 0), WithReduction (default mean, dividing by the number of elements).
// Errors, in the order they are checked (the spec's precedence, D1): ErrInvalidArgument (an unknown
// reduction), ErrInvalidShape (z or y of rank 0 or above 8), ErrShapeMismatch (y, weight or
// pos_weight shape), ErrInvalidArgument (a negative or non-finite weight or pos_weight),
// ErrInvalidProbability (a target outside [0, 1] or NaN).
//
// Limits: z = +inf gives 0 when y = 1 and +inf otherwise; z = -inf gives 0 when y = 0 and +inf
// otherwise. A zero weight or pos_weight times an infinite term contributes 0 (D4). Empty input:
// mean NaN, sum 0.
func BCEWithLogits[T Float](z, y Tensor[T], opts ...Option) (Tensor[T], error) {
	const fn = "binary_cross_entropy_with_logits"
	p, err := newBCEShapes(fn, z, y, opts)
	if err != nil {
		return Tensor[T]{}, err
	}
	if isFloat32[T]() && p.w == nil && p.pw == nil && p.config.reduction != ReductionNone {
		// the one pass checks y's values itself (the last check of the precedence)
		sum, ok, err := bceFastSum(fn, z.Data, y.Data, y.Shape)
		if err != nil {
			return Tensor[T]{}, err
		}
		if ok {
			if p.config.reduction == ReductionMean {
				sum /= float64(len(z.Data))
			}
			return outTensor[T]([]int{}, []float64{sum}), nil
		}
	}
	if !isFloat32[T]() && p.w == nil && p.pw == nil && p.config.reduction != ReductionNone && len(z.Data) > 0 {
		// the one pass checks y's values itself (the last check of the precedence)
		sum, err := bceSum64(fn, viewF64(z.Data), viewF64(y.Data), y.Shape)
		if err != nil {
			return Tensor[T]{}, err
		}
		if p.config.reduction == ReductionMean {
			sum = xDiv(sum, xOf(ddF(float64(len(z.Data)))))
		}
		return outTensor[T]([]int{}, []float64{sum.float()}), nil
	}
	if err := checkProbs(fn, "y", y.Data, y.Shape); err != nil {
		return Tensor[T]{}, err
	}
	if isFloat32[T]() {
		if shape, out, ok := bceFast(p, z.Data, y.Data); ok {
			return outTensor[T](shape, out), nil
		}
	}
	shape, out := p.data().loss()
	return outTensor[T](shape, out), nil
}

// loss evaluates BCE with logits: each element by termFast where it applies, else extended-range
// (bceTerm); a sum or mean adds the fast terms in plain double-double and the others in an xacc.
func (p *bceProblem) loss() ([]int, []float64) {
	if p.config.reduction == ReductionNone {
		out := make([]float64, len(p.z))
		for i := range out {
			if v, ok := p.termFast(i); ok {
				out[i] = v.float()
				continue
			}
			out[i] = p.termX(i).float()
		}
		return p.shape, out
	}
	var fast doubleDouble
	var slow xacc
	for i := range p.z {
		if v, ok := p.termFast(i); ok {
			fast = ddAddSameSign(fast, v) // below 2^1000 each: an overflow shows as inf, checked below
			continue
		}
		slow.add(p.termX(i))
	}
	if !(fast.hi < 0x1p1000) { // terms below 2^1000 each, but their sum may near the overflow
		fast = doubleDouble{}
		for i := range p.z {
			slow.add(p.termX(i))
		}
	}
	slow.addDD(fast)
	sum := slow.value()
	if p.config.reduction == ReductionSum {
		return []int{}, []float64{sum.float()}
	}
	return []int{}, []float64{xDiv(sum, xOf(ddF(float64(len(p.z))))).float()}
}

// termX is element i's loss, extended-range, for any z (limits and masking rules of bceTerm).
func (p *bceProblem) termX(i int) xdd {
	return xMul(xOf(ddF(p.at(p.w, i))), bceTerm(p.z[i], p.y[i], p.at(p.pw, i)))
}

// termFast is element i's loss w (pw y softplus(-z) + (1 - y) softplus(z)) with the one-pass exp and
// log1p (relative error about 2^-68, expfast.go), in plain double-double, as terms of one sign: with
// t = softplus(-|z|) = log1p(exp(-|z|)) and softplus(|z|) = |z| + t, the loss is
// w (K t + c |z|) with K = pw y + (1 - y) and c = 1 - y for z > 0, pw y otherwise. It reports
// false, and the caller takes the extended-range path, where that would not do: z not finite or
// |z| > -expFastMin (t nears the subnormal range), or a non-zero result outside [2^-960, 2^1000] (an
// intermediate may have lost digits below the normal range, or the sum may overflow).
func (p *bceProblem) termFast(i int) (doubleDouble, bool) {
	z, y := p.z[i], p.y[i]
	a := math.Abs(z)
	if !(a <= -expFastMin) {
		return doubleDouble{}, false
	}
	t := log1pDDFast(expFast(doubleDouble{-a, 0}))
	h, l := twoSumFinite(1, -y)
	omy := doubleDouble{h, l} // 1 - y, exact
	var v doubleDouble
	if p.pw == nil { // K = 1
		c := omy
		if z <= 0 {
			c = doubleDouble{y, 0}
		}
		ph, pl := twoProd(c.hi, a) // c |z| <= 600: no overflow
		v = ddAddSameSign(t, doubleDouble{ph, pl + c.lo*a})
	} else {
		h, l := twoProd(p.at(p.pw, i), y)
		pwy := doubleDouble{h, l}
		c := omy
		if z <= 0 {
			c = pwy
		}
		v = ddAddSameSign(ddMul(ddAddSameSign(pwy, omy), t), ddMulF(c, a))
	}
	if p.w != nil {
		v = ddMulF(v, p.at(p.w, i))
	}
	if v.hi != 0 && !(v.hi >= 0x1p-960 && v.hi <= 0x1p1000) {
		return doubleDouble{}, false
	}
	return v, true
}

// BCEWithLogitsGrad returns the gradient of BCEWithLogits (same inputs and options) with respect to
// z, in z's shape:
//
//	d l / d z = w ((1 - y) sigmoid(z) - pw y sigmoid(-z))   (= w (sigmoid(z) - y) for pw = 1),
//
// divided by the number of elements for mean. z = +inf gives w (1 - y); z = -inf gives -w pw y;
// NaN propagates.
func BCEWithLogitsGrad[T Float](z, y Tensor[T], opts ...Option) (Tensor[T], error) {
	const fn = "binary_cross_entropy_with_logits_grad"
	p, err := newBCEShapes(fn, z, y, opts)
	if err != nil {
		return Tensor[T]{}, err
	}
	if err := checkProbs(fn, "y", y.Data, y.Shape); err != nil {
		return Tensor[T]{}, err
	}
	p.data()
	out := make([]float64, len(p.z))
	scale := ddF(1)
	if p.config.reduction == ReductionMean {
		scale = ddF(float64(len(p.z)))
	}
	for i := range out {
		zi, yi := p.z[i], p.y[i]
		a := ddMulF(ddF(yi), p.at(p.pw, i))
		g := ddSub(ddMul(oneMinus(yi), sigmoidDD(zi)), ddMul(a, sigmoidDD(-zi)))
		if math.IsNaN(zi) {
			g = doubleDouble{math.NaN(), 0}
		}
		out[i] = times(xOf(divDD(ddMulF(g, p.at(p.w, i)), scale)), p.up.at(i)).float()
	}
	return outTensor[T](p.shape, out), nil
}

// SigmoidFocalLoss returns the RetinaNet sigmoid focal loss (torchvision.ops.sigmoid_focal_loss),
// elementwise over z and targets y of the same shape:
//
//	ce      = y softplus(-z) + (1 - y) softplus(z)
//	1 - p_t = y sigmoid(-z) + (1 - y) sigmoid(z)
//	loss    = ce (1 - p_t)^gamma (alpha y + (1 - alpha)(1 - y)),
//
// the last factor only when alpha is given; 0^0 = 1.
//
// Options: WithAlpha (default 0.25, in [0, 1]) or WithoutAlpha, WithGamma (default 2, finite,
// >= 0), WithReduction (default none; mean divides by the number of elements). Errors:
// ErrInvalidShape (z of rank 0 or above 8), ErrShapeMismatch, ErrInvalidProbability (a target
// outside [0, 1] or NaN), ErrInvalidArgument (alpha, gamma, reduction). Limits at z = +-inf are
// those of BCEWithLogits (0 for the matching target).
func SigmoidFocalLoss[T Float](z, y Tensor[T], opts ...Option) (Tensor[T], error) {
	p, err := newBCE("sigmoid_focal_loss", z, y, opts)
	if err != nil {
		return Tensor[T]{}, err
	}
	p.data()
	vals := make([]xdd, len(p.z))
	for i := range vals {
		zi, yi := p.z[i], p.y[i]
		if math.IsNaN(zi) {
			vals[i] = xOf(doubleDouble{math.NaN(), 0})
			continue
		}
		ce := bceTerm(zi, yi, 1)
		omp := ddAdd(mulDD(ddF(yi), sigmoidDD(-zi)), mulDD(oneMinus(yi), sigmoidDD(zi)))
		l := xMul(focalFactor(omp, p.config.gamma), ce)
		if p.config.alphaOn {
			a := p.config.alpha
			coef := ddAdd(ddMulF(ddF(yi), a), ddMul(oneMinus(a), oneMinus(yi)))
			l = xMul(xOf(coef), l)
		}
		vals[i] = l
	}
	shape, out := reduce(vals, p.config.reduction, p.shape, nil)
	return outTensor[T](shape, out), nil
}

// SigmoidMSEGrad returns the gradient of the squared error (y - sigmoid(z))^2 / 2 with respect to
// z, elementwise over tensors of the same (any) shape:
//
//	d/dz (y - p)^2 / 2 = (p - y) p (1 - p),   p = sigmoid(z), 1 - p = sigmoid(-z).
//
// Errors: ErrInvalidShape (rank above 8), ErrShapeMismatch, ErrInvalidProbability (a target outside
// [0, 1] or NaN). z = +-inf gives 0; NaN propagates.
func SigmoidMSEGrad[T Float](z, y Tensor[T], opts ...Option) (Tensor[T], error) {
	const fn = "sigmoid_mse_grad"
	c, err := configure[T](fn, opts)
	if err != nil {
		return Tensor[T]{}, err
	}
	c.reduction = ReductionNone // the loss output is elementwise: grad_output has z's shape
	if err := checkTensor(fn, "z", z.Shape, len(z.Data), 0, maxRank); err != nil {
		return Tensor[T]{}, err
	}
	if err := checkTensor(fn, "y", y.Shape, len(y.Data), 0, maxRank); err != nil {
		return Tensor[T]{}, err
	}
	if !sameShape(z.Shape, y.Shape) {
		return Tensor[T]{}, newError(ErrShapeMismatch, fn, "y has shape %v but z has shape %v", y.Shape, z.Shape)
	}
	u, err := c.upstreamFor(fn, z.Shape)
	if err != nil {
		return Tensor[T]{}, err
	}
	zs, ys := toF64(z.Data), toF64(y.Data)
	if err := checkProbs(fn, "y", ys, y.Shape); err != nil {
		return Tensor[T]{}, err
	}
	out := make([]float64, len(zs))
	for i, zi := range zs {
		if math.IsNaN(zi) {
			out[i] = math.NaN()
			continue
		}
		pv, q := sigmoidDD(zi), sigmoidDD(-zi)
		out[i] = times(xOf(ddMul(ddMul(ddAddF(pv, -ys[i]), pv), q)), u.at(i)).float()
	}
	return outTensor[T](z.Shape, out), nil
}

// FocalLoss returns the softmax focal loss of the seed document 000, for logits [N, C] and class
// targets [N]:
//
//	p_t = softmax(logits_n)_{y_n},  nll = -log p_t,  FL_n = alpha_{y_n} (1 - p_t)^gamma nll,
//
// with alpha_y = 1 when alpha is absent and 0^0 = 1; nll = (a - x_y) + log1p(s) and
// 1 - p_t = sum_{j != y} softmax_j are evaluated without cancellation. The mean divides by N (not
// by the sum of alpha).
//
// Options: WithGamma (default 2, finite, >= 0), WithClassAlpha ([C], finite, >= 0), WithReduction
// (default mean). Errors: ErrInvalidShape (logits not rank 2 or C = 0), ErrShapeMismatch (target
// length or alpha shape), ErrIndexOutOfRange (a target outside [0, C)), ErrInvalidArgument (gamma,
// alpha, reduction). A -inf target logit gives +inf; NaN logits give NaN for that row.
func FocalLoss[T Float](logits Tensor[T], target []int, opts ...Option) (Tensor[T], error) {
	const fn = "focal_loss"
	prob, err := newFocal[T](fn, logits, target, opts)
	if err != nil {
		return Tensor[T]{}, err
	}
	if err := prob.checkTargets(fn, target); err != nil {
		return Tensor[T]{}, err
	}
	c, alpha, gamma := prob.c, prob.alpha, prob.c.gamma
	n, k := logits.Shape[0], logits.Shape[1]
	xs := toF64(logits.Data)
	vals := make([]xdd, n)
	for i, y := range target {
		r := analyzeRow(xs, i*k, 1, k)
		nll := r.nll(y)
		if math.IsNaN(nll.hi) {
			vals[i] = xOf(nll)
			continue
		}
		a := 1.0
		if alpha != nil {
			a = alpha[y]
		}
		vals[i] = xMul(xOf(ddF(a)), xMul(focalFactor(r.oneMinusSoftmax(y), gamma), r.nllX(y, xs[i*k+y])))
	}
	shape, out := reduce(vals, c.reduction, []int{n}, nil)
	return outTensor[T](shape, out), nil
}
