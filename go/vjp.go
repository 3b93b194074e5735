package xent

import "math"

// Gradients under an upstream gradient (issue 17): every gradient function returns the
// vector-Jacobian product sum_o u_o d output_o / d input for an upstream gradient u of the loss
// output's shape (per position or element for reduction none, a scalar for sum and mean; absent: all
// ones). u is data: any float, NaN and infinities included, multiplied by ordinary IEEE products,
// except that an ignored position's gradient is exactly 0 without reading its u (PyTorch's
// nll_loss_backward skips ignored positions). Liger-Kernel issues #968, #678 and #1298 document the
// bug this guards against: reduction none's gradient scaled by u[0] for every token.

// WithGradOutput sets the upstream gradient u (grad_output) of SoftmaxCrossEntropyGrad,
// BCEWithLogitsGrad, SigmoidMSEGrad, FocalLossGrad and BinaryCrossEntropyGrad: its shape is the loss
// output's (the positions' or elements' shape for reduction none, a scalar, shape [], for sum and
// mean), else ErrShapeMismatch. Without it u is all ones (the plain gradient).
func WithGradOutput(u Tensor[float64]) Option {
	return func(c *config) {
		c.set |= optGradOutput
		c.gradOut, c.gradOutShape = u.Data, append([]int{}, u.Shape...)
		if c.gradOut == nil {
			c.gradOut = []float64{} // an empty tensor is not "absent"
		}
	}
}

// upstream is a validated upstream gradient: v nil means all ones; a scalar applies to every output.
type upstream struct {
	v      []float64
	scalar bool
}

// at returns the upstream gradient of output i.
func (u upstream) at(i int) float64 {
	switch {
	case u.v == nil:
		return 1
	case u.scalar:
		return u.v[0]
	}
	return u.v[i]
}

// upstreamFor checks c's grad_output against the loss output's shape (lossShape for reduction
// none, [] otherwise): a data length that differs from its shape's product is ErrInvalidShape, a
// shape that differs ErrShapeMismatch (step 3 of the precedence).
func (c *config) upstreamFor(fn string, lossShape []int) (upstream, error) {
	if c.gradOut == nil {
		return upstream{}, nil
	}
	if err := checkTensor(fn, "grad_output", c.gradOutShape, len(c.gradOut), 0, maxRank); err != nil {
		return upstream{}, err
	}
	want := lossShape
	if c.reduction != ReductionNone {
		want = []int{}
	}
	if !sameShape(c.gradOutShape, want) {
		return upstream{}, newError(ErrShapeMismatch, fn, "grad_output has shape %v but the loss output has shape %v", c.gradOutShape, want)
	}
	return upstream{v: c.gradOut, scalar: len(want) == 0}, nil
}

// times returns g u rounded once from the exact product, with IEEE rules for zeros and
// non-finite factors (0 * inf = NaN: u is data, and NaN is never masked).
func times(g xdd, u float64) xdd {
	if u == 1 {
		return g
	}
	if !isFinite(u) || u == 0 || !isFinite(g.m.hi) || g.m.hi == 0 {
		return xOf(doubleDouble{g.m.hi * u, 0})
	}
	return xMul(g, xOf(ddF(u)))
}

// newAxisPair checks x, its upstream gradient v (x's shape) and the axis of softmax_grad or
// log_softmax_grad in the precedence's order: options; ranks (x 1 to 8; v's data length) and an
// empty axis; v's shape; the axis' range (a shape-dependent argument rule, step 4).
func newAxisPair[T Float](fn string, x, v Tensor[T], opts []Option) (axisGeometry, error) {
	c, err := configure[T](fn, opts)
	if err != nil {
		return axisGeometry{}, err
	}
	if err := checkTensor(fn, "x", x.Shape, len(x.Data), 1, maxRank); err != nil {
		return axisGeometry{}, err
	}
	if err := checkTensor(fn, "grad_output", v.Shape, len(v.Data), 1, maxRank); err != nil {
		return axisGeometry{}, err
	}
	r, a := len(x.Shape), c.axis
	if a < 0 {
		a += r
	}
	if a >= 0 && a < r && x.Shape[a] == 0 {
		return axisGeometry{}, newError(ErrInvalidShape, fn, "x has shape %v: axis %d is empty", x.Shape, c.axis)
	}
	if !sameShape(x.Shape, v.Shape) {
		return axisGeometry{}, newError(ErrShapeMismatch, fn, "grad_output has shape %v but x has shape %v", v.Shape, x.Shape)
	}
	if a < 0 || a >= r {
		return axisGeometry{}, newError(ErrInvalidArgument, fn, "axis %d is outside [%d, %d) for x of shape %v", c.axis, -r, r, x.Shape)
	}
	return axisGeometry{axis: a, outer: numel(x.Shape[:a]), n: x.Shape[a], inner: numel(x.Shape[a+1:])}, nil
}

// SoftmaxGrad returns the vector-Jacobian product of softmax along an axis of x (rank 1 to 8;
// WithAxis, default -1) with the upstream gradient v of x's shape (PyTorch's _softmax_backward_data):
//
//	out_j = g_j (v_j - sum_i g_i v_i),   g = softmax(x) along the axis.
//
// g and the sum are double-double and the difference is formed before the single rounding. Special
// values: softmax's (a NaN, two +inf or all -inf in x give NaN along the slice; one +inf gives
// g = onehot), then IEEE arithmetic (0 * inf = NaN: a -inf logit with an infinite v_j gives NaN).
// Errors: ErrInvalidArgument (an option; the axis outside [-r, r), step 4), ErrInvalidShape (rank;
// an empty axis), ErrShapeMismatch (v's shape differs from x's).
func SoftmaxGrad[T Float](x, v Tensor[T], opts ...Option) (Tensor[T], error) {
	g, err := newAxisPair("softmax_grad", x, v, opts)
	if err != nil {
		return Tensor[T]{}, err
	}
	vs, xs := viewF64(v.Data), viewF64(x.Data)
	return axisVJP(x, g, func(r *lseRow, off, stride int, out []float64) {
		xr, vr := make([]float64, g.n), make([]float64, g.n)
		for i := range vr {
			xr[i], vr[i] = xs[off+i*stride], vs[off+i*stride]
		}
		softmaxVJPRow(r, xr, vr, out)
	}), nil
}

// softmaxVJPRow sets out_j = g_j (v_j - s), s = sum_i g_i v_i, for one row x with upstream v. With a
// finite v it is formed around a reference ref = v_k (k the row's maximum) as
// g_j ((v_j - ref) - sum_i g_i (v_i - ref)):
// the differences are exact double-doubles, so a nearly constant v (where v_j - s cancels) keeps its
// digits and a constant v gives exactly 0 (v is scaled by 1/4 first where a difference would
// overflow). An infinite or NaN v takes IEEE arithmetic on the exact g (softmaxVJPSpecial).
func softmaxVJPRow(r *lseRow, x, v, out []float64) {
	ref, scale := v[0], 0
	if r.k >= 0 && r.k < len(v) {
		ref = v[r.k] // the dominant class': its term (v_k - ref) E is exactly 0
	}
	for _, vi := range v {
		if !isFinite(vi) {
			softmaxVJPSpecial(r, x, v, out)
			return
		}
		if !isFinite(vi - ref) {
			scale = 2
		}
	}
	if scale != 0 {
		ref = math.Ldexp(ref, -scale)
		v = mapF(v, func(vi float64) float64 { return math.Ldexp(vi, -scale) })
	}
	diff := func(vi float64) xdd { h, l := twoSum(vi, -ref); return xOf(doubleDouble{h, l}) }
	E, e := rowWeights(r)
	var t xacc // T = sum_i e_i (v_i - ref)
	for i, vi := range v {
		t.add(xMul(e(i), diff(vi)))
	}
	T := t.value()
	T.m = T.m.neg()
	for j, vj := range v {
		// v_j - s = N_j / E with N_j = (v_j - ref) E - T = sum_i e_i (v_j - v_i): no quotient is
		// formed before the subtraction, so exact data cancel exactly (equal logits, integer v)
		var n xacc
		n.add(xMul(diff(vj), E))
		n.add(T)
		g := xDiv(xDiv(xMul(e(j), n.value()), E), E)
		g.e += scale
		out[j] = g.float()
	}
}

// rowWeights returns the analysed row's softmax as e_i / E: E = sum_i e_i = 1 + s and e_i =
// exp(x_i - a) extended-range (an entry below float64's normal range keeps its digits as m 2^n);
// a row with one +inf gives the one-hot limit (E = 1), a row without a softmax NaN.
func rowWeights(r *lseRow) (xdd, func(int) xdd) {
	switch r.kind {
	case rowFinite:
		return xOf(ddAddF(r.s, 1)), func(i int) xdd {
			switch d := r.d[i]; {
			case i == r.k:
				return xOf(ddF(1))
			case math.IsInf(d.hi, -1):
				return xdd{}
			case d.hi >= -tinyShift:
				return xOf(r.e[i])
			default:
				return powX(d, false)
			}
		}
	case rowOneInf:
		return xOf(ddF(1)), func(i int) xdd {
			if i == r.k {
				return xOf(ddF(1))
			}
			return xdd{}
		}
	}
	nan := xOf(doubleDouble{math.NaN(), 0})
	return nan, func(int) xdd { return nan }
}

// softmaxX returns softmax_i = e_i / E extended-range (see rowWeights), so that a product with a
// large upstream gradient is exact before its rounding.
func softmaxX(r *lseRow, i int) xdd {
	E, e := rowWeights(r)
	return xDiv(e(i), E)
}

// softmaxVJPSpecial is softmaxVJPRow for a v holding an infinity or NaN: s and the results are
// infinite or NaN, and only whether each exact g_i is 0 or positive matters (a g_i that underflows
// float64 is still positive: g_i * inf = inf, not 0 * inf = NaN).
func softmaxVJPSpecial(r *lseRow, x, v, out []float64) {
	S := 0.0
	for i, vi := range v {
		if !isFinite(vi) {
			S += gSign(r, x, i) * vi // finite terms cannot change an infinite or NaN sum
		}
	}
	for j, vj := range v {
		out[j] = gSign(r, x, j) * (vj - S)
	}
}

// gSign returns 1 where the exact softmax_i is positive, 0 where it is exactly 0 (a -inf logit, or
// beside a single +inf), NaN for a row without a softmax (NaN, two +inf, all -inf).
func gSign(r *lseRow, x []float64, i int) float64 {
	return gSignAt(r, func(i int) float64 { return x[i] }, i)
}

// gSignAt is gSign with the row's logits read through x.
func gSignAt(r *lseRow, x func(int) float64, i int) float64 {
	switch r.kind {
	case rowOneInf:
		if i == r.k {
			return 1
		}
		return 0
	case rowFinite:
		if math.IsInf(x(i), -1) {
			return 0
		}
		return 1
	}
	return math.NaN()
}

func mapF(x []float64, f func(float64) float64) []float64 {
	out := make([]float64, len(x))
	for i, v := range x {
		out[i] = f(v)
	}
	return out
}

// LogSoftmaxGrad returns the vector-Jacobian product of log_softmax along an axis of x (rank 1 to
// 8; WithAxis, default -1) with the upstream gradient v of x's shape (PyTorch's
// _log_softmax_backward_data):
//
//	out_j = v_j - g_j sum_i v_i,   g = softmax(x) along the axis,
//
// in double-double, rounded once. Special values and errors as SoftmaxGrad.
func LogSoftmaxGrad[T Float](x, v Tensor[T], opts ...Option) (Tensor[T], error) {
	g, err := newAxisPair("log_softmax_grad", x, v, opts)
	if err != nil {
		return Tensor[T]{}, err
	}
	vs, xs := viewF64(v.Data), viewF64(x.Data)
	return axisVJP(x, g, func(r *lseRow, off, stride int, out []float64) {
		var s xacc // extended-range: a sum of finite v beyond float64's range stays finite
		for i := 0; i < g.n; i++ {
			s.add(xOf(ddF(vs[off+i*stride])))
		}
		V := s.value()
		V.m = V.m.neg()
		for j := 0; j < g.n; j++ {
			vj := vs[off+j*stride]
			if !isFinite(V.m.hi) { // IEEE on the exact g_j: only whether it is 0 or positive matters
				row := func(i int) float64 { return xs[off+i*stride] }
				out[j] = vj + gSignAt(r, row, j)*V.m.hi
				continue
			}
			var d xacc // v_j - g_j S, the product exact before the subtraction
			d.add(xOf(ddF(vj)))
			d.add(xMul(softmaxX(r, j), V))
			out[j] = d.value().float()
		}
	}), nil
}

// axisVJP calls slice(row, offset, stride, out) for every slice of x along g's axis and scatters
// out (the slice's results) into a tensor of x's shape.
func axisVJP[T Float](x Tensor[T], g axisGeometry, slice func(r *lseRow, off, stride int, out []float64)) Tensor[T] {
	res := make([]T, len(x.Data))
	buf := make([]float64, g.n)
	alongAxis(viewF64(x.Data), g, func(s int, r *lseRow) {
		off := g.offset(s)
		slice(r, off, g.inner, buf)
		for j, v := range buf {
			res[off+j*g.inner] = T(v)
		}
	})
	return Tensor[T]{Shape: append([]int(nil), x.Shape...), Data: res}
}

// mulIEEE returns a b in double-double with IEEE rules for zeros and non-finite factors (unlike
// mulDD, a zero factor does not mask an infinity: 0 * inf = NaN).
func mulIEEE(a, b doubleDouble) doubleDouble {
	if !isFinite(a.hi) || !isFinite(b.hi) {
		return doubleDouble{a.hi * b.hi, 0}
	}
	return ddMul(a, b)
}

// FocalLossGrad returns the gradient of FocalLoss (same inputs and options, plus WithGradOutput)
// with respect to the logits [N, C]. With p = p_t = softmax_y, nll = -log p and
// r = nll / (1 - p) (-> 1 as p -> 1),
//
//	d FL / d x_c = alpha_y (1 - p)^gamma (1 + gamma p r) ([c != y] g_c - [c = y] (1 - p)),
//
// (the derivative of alpha_y (1 - p)^gamma nll through p's softmax), whose factors have one sign
// each: no cancellation. Limits: p = 1 (1 - p = 0) gives 0 for gamma > 0 (the limit of the formula,
// also for gamma < 1) and alpha_y times CE's gradient for gamma = 0; p = 0 gives gamma p r = 0.
// The mean divides by N. A NaN logit gives NaN for its row. Errors as FocalLoss, then
// ErrShapeMismatch for grad_output (shape [N] for reduction none, [] otherwise).
func FocalLossGrad[T Float](logits Tensor[T], target []int, opts ...Option) (Tensor[T], error) {
	const fn = "focal_loss_grad"
	prob, err := newFocal[T](fn, logits, target, opts)
	if err != nil {
		return Tensor[T]{}, err
	}
	n, k := logits.Shape[0], logits.Shape[1]
	u, err := prob.c.upstreamFor(fn, []int{n})
	if err != nil {
		return Tensor[T]{}, err
	}
	if err := prob.checkTargets(fn, target); err != nil {
		return Tensor[T]{}, err
	}
	xs := toF64(logits.Data)
	out := make([]float64, len(xs))
	scale := xOf(ddF(1))
	if prob.c.reduction == ReductionMean {
		scale = xOf(ddF(float64(n)))
	}
	for i, y := range target {
		r := analyzeRow(xs, i*k, 1, k)
		coef := prob.focalGradCoef(&r, y)
		for c := 0; c < k; c++ {
			var dir doubleDouble // [c != y] g_c - [c = y] (1 - p)
			if c == y {
				dir = r.oneMinusSoftmax(y).neg()
			} else {
				dir = r.softmax(c)
			}
			g := xDiv(xMul(coef, xOf(dir)), scale)
			if math.IsNaN(coef.m.hi) || math.IsNaN(dir.hi) {
				g = xOf(doubleDouble{math.NaN(), 0})
			}
			out[i*k+c] = times(g, u.at(i)).float()
		}
	}
	return outTensor[T](logits.Shape, out), nil
}

// focalProblem holds focal loss' validated options: alpha (nil: alpha_y = 1) and gamma.
type focalProblem struct {
	c     config
	alpha []float64
	k     int
}

// newFocal checks focal_loss(_grad)'s options, logits' rank, target's length and alpha (the
// precedence up to alpha's values); the targets' range is checked by checkTargets.
func newFocal[T Float](fn string, logits Tensor[T], target []int, opts []Option) (*focalProblem, error) {
	c, err := configure[T](fn, opts)
	if err != nil {
		return nil, err
	}
	if err := checkRank2(fn, "logits", logits.Shape, len(logits.Data)); err != nil {
		return nil, err
	}
	n, k := logits.Shape[0], logits.Shape[1]
	if len(target) != n {
		return nil, newError(ErrShapeMismatch, fn, "target has length %d but logits have %d rows (shape %v)", len(target), n, logits.Shape)
	}
	p := &focalProblem{c: c, k: k}
	if c.classAlpha != nil {
		if !sameShape(c.classAlphaShape, []int{k}) || len(c.classAlpha) != k {
			return nil, newError(ErrShapeMismatch, fn, "alpha has shape %v but there are %d classes (want [%d])", c.classAlphaShape, k, k)
		}
		p.alpha = roundParams[T](c.classAlpha)
	}
	return p, nil
}

// checkTargets checks alpha's values (step 4, invalid_argument) and then the targets' range.
func (p *focalProblem) checkTargets(fn string, target []int) error {
	if err := checkNonNegFinite(fn, "alpha", p.alpha); err != nil {
		return err
	}
	for i, y := range target {
		if y < 0 || y >= p.k {
			return newError(ErrIndexOutOfRange, fn, "target[%d] = %d is outside [0, %d)", i, y, p.k)
		}
	}
	return nil
}

// focalGradCoef returns alpha_y (1 - p)^gamma (1 + gamma p r) of the analysed row (NaN for a NaN
// row), extended-range.
func (p *focalProblem) focalGradCoef(r *lseRow, y int) xdd {
	pt, omp := r.softmax(y), r.oneMinusSoftmax(y)
	if math.IsNaN(pt.hi) || math.IsNaN(omp.hi) {
		return xOf(doubleDouble{math.NaN(), 0})
	}
	gamma := p.c.gamma
	var inner doubleDouble // 1 + gamma p r
	switch {
	case gamma == 0, pt.hi == 0:
		inner = ddF(1)
	case omp.hi == 0:
		inner = ddAddF(ddMulF(pt, gamma), 1) // r = 1: the limit as p -> 1
	default:
		ratio := ddDiv(r.nll(y), omp)
		inner = ddAddF(ddMulF(ddMul(pt, ratio), gamma), 1)
	}
	a := 1.0
	if p.alpha != nil {
		a = p.alpha[y]
	}
	return xMul(xOf(ddF(a)), xMul(focalFactor(omp, gamma), xOf(inner)))
}

// BinaryCrossEntropyGrad returns the gradient of BinaryCrossEntropy (same inputs and options, plus
// WithGradOutput) with respect to p, in p's shape:
//
//	d l / d p = -(y / p - (1 - y) / (1 - p)) = (p - y) / (p (1 - p))   for epsilon <= p <= 1 - epsilon,
//
// and 0 strictly outside the clip (the gradient passes through a clamp at its bounds, as PyTorch's
// clamp backward). Terms with a zero coefficient (y = 0 or y = 1) contribute 0; with epsilon 0,
// p = 0 and y > 0 give -inf, p = 1 and y < 1 give +inf. PyTorch's own BCE backward,
// (p - y) / max(p (1 - p), 1e-12), is another formula. The mean divides by the number of elements.
// Errors as BinaryCrossEntropy, then ErrShapeMismatch for grad_output (p's shape for reduction none,
// [] otherwise) after the shapes of y and p.
func BinaryCrossEntropyGrad[T Float](y, p Tensor[T], opts ...Option) (Tensor[T], error) {
	const fn = "binary_cross_entropy_grad"
	c, err := configure[T](fn, opts)
	if err != nil {
		return Tensor[T]{}, err
	}
	if err := checkTargetsAndProbs(fn, y, p); err != nil {
		return Tensor[T]{}, err
	}
	u, err := c.upstreamFor(fn, p.Shape)
	if err != nil {
		return Tensor[T]{}, err
	}
	ys, ps := toF64(y.Data), toF64(p.Data)
	if err := checkProbs(fn, "y", ys, y.Shape); err != nil {
		return Tensor[T]{}, err
	}
	if err := checkProbs(fn, "p", ps, p.Shape); err != nil {
		return Tensor[T]{}, err
	}
	scale := xOf(ddF(1))
	if c.reduction == ReductionMean {
		scale = xOf(ddF(float64(len(ps))))
	}
	out := make([]float64, len(ps))
	for i := range ps {
		g := xDiv(bceGradElem(ys[i], ps[i], c.epsilon), scale)
		out[i] = times(g, u.at(i)).float()
	}
	return outTensor[T](p.Shape, out), nil
}

// bceGradElem returns d l / d p of one element (see BinaryCrossEntropyGrad), extended-range: 0
// outside the clip, (p - y) / (p (1 - p)) inside (p - y exact, no cancellation; for a p below 2^-900
// the quotient is formed from p 2^600, so that -y / p beyond float64's range is not NaN and a mean
// may bring it back), the zero-coefficient rules at p = 0 and p = 1 (epsilon 0).
func bceGradElem(y, p, eps float64) xdd {
	omp := oneMinus(p) // exact
	if p < eps || ddSub(omp, ddF(eps)).hi < 0 {
		return xdd{}
	}
	if p > 0 && p < 1 {
		h, l := twoSum(p, -y)
		if p < 0x1p-900 {
			return xdd{ddDiv(doubleDouble{h, l}, ddMul(ddF(math.Ldexp(p, 600)), omp)), 600}
		}
		return xOf(ddDiv(doubleDouble{h, l}, ddMul(ddF(p), omp)))
	}
	// p = 0 or p = 1 (epsilon 0): -y / p + (1 - y) / (1 - p), a zero coefficient masking its term
	var s acc
	if y != 0 {
		s.add(-y / math.Abs(p)) // p = -0 is 0: -y / 0 = -inf
	}
	if oy := oneMinus(y); oy.hi != 0 {
		s.add(oy.hi / omp.hi)
	}
	return xOf(s.value())
}
