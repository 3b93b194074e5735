package xent

import "math"

// Fused linear cross-entropy (issue 18): softmax cross-entropy of the logits
// z = hidden @ linear_weight^T + linear_bias with the logits EXACT, as PyTorch's
// F.linear_cross_entropy (2.x), Apple's cut-cross-entropy and Liger-Kernel's fused linear
// cross-entropy specify their kernels: the linear layer followed by cross-entropy. Each logit is an
// exact dot product: the products h_k w_ck are exact double-doubles (TwoProd, by FMA; float32 and
// 16-bit products are even exact in float64) and their compensated sum keeps about 2^-100 of
// sum_k |h_k w_ck| + |b_c|, the logit's condition, so the loss and its gradients meet accurate.

// Wrt selects the input LinearCrossEntropyGrad differentiates with respect to.
type Wrt string

// The wrt values of the specification.
const (
	WrtHidden       Wrt = "hidden"        // d loss / d hidden, shape [N, H] (the default)
	WrtLinearWeight Wrt = "linear_weight" // d loss / d linear_weight, shape [C, H]
	WrtLinearBias   Wrt = "linear_bias"   // d loss / d linear_bias, shape [C] (needs WithLinearBias)
)

// WithLinearBias sets the bias of LinearCrossEntropy's linear layer, shape [C] (else
// ErrShapeMismatch): data, any floats. Without it the logits have no bias.
func WithLinearBias(b Tensor[float64]) Option {
	return func(c *config) {
		c.set |= optLinearBias
		c.bias, c.biasShape = b.Data, append([]int{}, b.Shape...)
		if c.bias == nil {
			c.bias = []float64{}
		}
	}
}

// WithWrt sets the input LinearCrossEntropyGrad differentiates with respect to (default WrtHidden);
// an unknown value is ErrInvalidArgument (step 1), WrtLinearBias without a bias ErrInvalidArgument
// (step 4).
func WithWrt(w Wrt) Option { return func(c *config) { c.set |= optWrt; c.wrt = w } }

// ddLogits are double-double logits hi + lo ([N, C], row-major).
type ddLogits struct{ hi, lo []float64 }

// withExact passes exact logits to newSCE (an internal option: it sets no option bit).
func withExact(z *ddLogits) Option { return func(c *config) { c.exact = z } }

// linearProblem is a validated linear cross-entropy: hidden [N, H], linear_weight [C, H], the bias
// (nil: none) as float64, and the softmax cross-entropy problem on the exact logits.
type linearProblem struct {
	n, c, h int
	hid, w  []float64
	bias    []float64
	sce     *sceProblem
}

// newLinear checks the inputs in the precedence's order (options; ranks and C = 0; H, target's
// length, the bias' shape, then softmax_cross_entropy's own checks on the logits' shape [N, C]),
// forms the exact logits (an ignored position's hidden row is never read: its logits are 0) and
// the softmax cross-entropy problem on them.
func newLinear[T Float](fn string, hidden, linearWeight Tensor[T], target Tensor[int], opts []Option) (*linearProblem, error) {
	c, err := configure[T](fn, opts)
	if err != nil {
		return nil, err
	}
	if err := checkTensor(fn, "hidden", hidden.Shape, len(hidden.Data), 2, 2); err != nil {
		return nil, err
	}
	if err := checkTensor(fn, "linear_weight", linearWeight.Shape, len(linearWeight.Data), 2, 2); err != nil {
		return nil, err
	}
	if err := checkTensor(fn, "target", target.Shape, len(target.Data), 1, 1); err != nil {
		return nil, err
	}
	p := &linearProblem{n: hidden.Shape[0], h: hidden.Shape[1], c: linearWeight.Shape[0]}
	if p.c == 0 {
		return nil, newError(ErrInvalidShape, fn, "linear_weight has shape %v: the number of classes (axis 0) must be non-zero", linearWeight.Shape)
	}
	switch {
	case linearWeight.Shape[1] != p.h:
		return nil, newError(ErrShapeMismatch, fn, "linear_weight has shape %v but hidden %v: their H (axis 1) differ", linearWeight.Shape, hidden.Shape)
	case target.Shape[0] != p.n:
		return nil, newError(ErrShapeMismatch, fn, "target has length %d but hidden has %d rows", target.Shape[0], p.n)
	case c.bias != nil && (!sameShape(c.biasShape, []int{p.c}) || len(c.bias) != p.c):
		return nil, newError(ErrShapeMismatch, fn, "linear_bias has shape %v; want [%d]", c.biasShape, p.c)
	}
	p.hid, p.w, p.bias = viewF64(hidden.Data), viewF64(linearWeight.Data), c.bias
	z := p.logits(c, target.Data)
	shape := []int{p.n, p.c}
	placeholder := Tensor[T]{Shape: shape, Data: make([]T, p.n*p.c)} // the shape only: z holds the logits
	opts = append(append([]Option(nil), opts...), withExact(z))
	if p.sce, err = newSCE[T](fn, placeholder, true, target.Data, target.Shape, nil, nil, opts); err != nil {
		return nil, err
	}
	return p, nil
}

// logits returns the exact logits of every position (0 for an ignored position, whose hidden row
// is not read). The targets' range is checked later (newSCE): an out-of-range target's row is
// computed all the same.
func (p *linearProblem) logits(c config, target []int) *ddLogits {
	z := &ddLogits{hi: make([]float64, p.n*p.c), lo: make([]float64, p.n*p.c)}
	for n := 0; n < p.n; n++ {
		if c.ignores(target[n]) {
			continue
		}
		for k := 0; k < p.c; k++ {
			v := p.dot(n, k)
			z.hi[n*p.c+k], z.lo[n*p.c+k] = v.hi, v.lo
		}
	}
	return z
}

// dot returns the logit z[n, c] = sum_k hidden[n, k] linear_weight[c, k] + bias[c]: exact products,
// a compensated sum, and IEEE rules for non-finite inputs (a NaN factor or 0 * inf gives NaN; +inf
// and -inf terms together give NaN; otherwise an infinite term gives its infinity).
func (p *linearProblem) dot(n, c int) doubleDouble {
	var s acc
	var posInf, negInf, nan bool
	term := func(a, b float64) {
		v := a * b
		switch {
		case math.IsNaN(v):
			nan = true
		case math.IsInf(v, 1) && (math.IsInf(a, 0) || math.IsInf(b, 0)):
			posInf = true
		case math.IsInf(v, -1) && (math.IsInf(a, 0) || math.IsInf(b, 0)):
			negInf = true
		default:
			h, l := twoProd(a, b)
			s.addDD(doubleDouble{h, l})
		}
	}
	for k := 0; k < p.h; k++ {
		term(p.hid[n*p.h+k], p.w[c*p.h+k])
	}
	if p.bias != nil {
		term(p.bias[c], 1)
	}
	switch {
	case nan || (posInf && negInf):
		return doubleDouble{math.NaN(), 0}
	case posInf:
		return doubleDouble{math.Inf(1), 0}
	case negInf:
		return doubleDouble{math.Inf(-1), 0}
	}
	return s.value()
}

// LinearCrossEntropy returns softmax_cross_entropy of the logits z = hidden @ linear_weight^T +
// linear_bias (hidden [N, H], linear_weight [C, H], class-index targets [N]) with z EXACT, never
// rounded (H = 0 gives z = the bias, or 0), followed by SoftmaxCrossEntropy's definition with the same
// options: WithLinearBias ([C], data), WithWeight, WithIgnoreIndex / WithoutIgnoreIndex,
// WithLabelSmoothing, WithSmoothingMode, WithReduction, WithLogitScale, WithSoftcap, WithZLoss,
// WithEmptyMean. The names follow PyTorch 2.x's F.linear_cross_entropy (input, linear_weight,
// target, linear_bias, weight); Apple's cut-cross-entropy (linear_cross_entropy(e, c, targets, bias,
// softcap)) caps after the bias, as here. An ignored position's hidden row is never read (D2).
//
// Errors, in this order: ErrInvalidArgument (options), ErrInvalidShape (hidden or linear_weight not
// rank 2, target not rank 1, C = 0), ErrShapeMismatch (H, target's length, linear_bias, weight),
// ErrInvalidArgument (weight values; off_target with C = 1), ErrIndexOutOfRange.
func LinearCrossEntropy[T Float](hidden, linearWeight Tensor[T], target Tensor[int], opts ...Option) (Tensor[T], error) {
	p, err := newLinear("linear_cross_entropy", hidden, linearWeight, target, opts)
	if err != nil {
		return Tensor[T]{}, err
	}
	shape, out := p.sce.loss()
	return outTensor[T](shape, out), nil
}

// LinearCrossEntropyGrad returns the gradient of LinearCrossEntropy (same inputs and options) with
// respect to hidden (WithWrt(WrtHidden), the default: shape [N, H]), linear_weight ([C, H]) or
// linear_bias ([C]), under WithGradOutput (shape [N] for reduction none, [] otherwise). With
// G = d loss / d z (SoftmaxCrossEntropyGrad's on the exact logits, times grad_output, kept exact):
//
//	d hidden[n, k] = sum_c G[n, c] linear_weight[c, k]
//	d linear_weight[c, k] = sum_n G[n, c] hidden[n, k]
//	d linear_bias[c] = sum_n G[n, c]
//
// each sum exact, rounded once; products by IEEE rules (0 * inf = NaN). An ignored position
// contributes nothing (its hidden gradient row is 0 and its hidden row is never read: D2). A mean
// whose denominator is 0 gives NaN everywhere under empty_mean nan (D3, N = 0 included).
func LinearCrossEntropyGrad[T Float](hidden, linearWeight Tensor[T], target Tensor[int], opts ...Option) (Tensor[T], error) {
	p, err := newLinear("linear_cross_entropy_grad", hidden, linearWeight, target, opts)
	if err != nil {
		return Tensor[T]{}, err
	}
	var shape []int
	switch p.sce.c.wrt {
	case WrtLinearWeight:
		shape = []int{p.c, p.h}
	case WrtLinearBias:
		shape = []int{p.c}
	default:
		shape = []int{p.n, p.h}
	}
	out := make([]float64, numel(shape))
	if p.sce.gradAllNaN() {
		for i := range out {
			out[i] = math.NaN()
		}
		return outTensor[T](shape, out), nil
	}
	sums := make([]xacc, len(out))
	p.sce.gradEach(func(i int, g xdd) {
		n, c := i/p.c, i%p.c
		switch p.sce.c.wrt {
		case WrtLinearWeight:
			for k := 0; k < p.h; k++ {
				sums[c*p.h+k].add(times(g, p.hid[n*p.h+k]))
			}
		case WrtLinearBias:
			sums[c].add(g)
		default:
			for k := 0; k < p.h; k++ {
				sums[n*p.h+k].add(times(g, p.w[c*p.h+k]))
			}
		}
	})
	for i := range out {
		out[i] = sums[i].value().float()
	}
	return outTensor[T](shape, out), nil
}
