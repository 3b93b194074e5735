package xent

import "math"

// The class mask `where` and the extra outputs `result` of SoftmaxCrossEntropy (issue 17).

// SCEResult selects what SoftmaxCrossEntropy returns (WithResult).
type SCEResult string

// The result values of the specification.
const (
	// ResultLoss: the loss (the default).
	ResultLoss SCEResult = "loss"
	// ResultZLoss: the z-loss part alone, reduced like the loss (none: per position, ignored ones 0;
	// sum; mean: divided by the number of non-ignored positions K). Liger-Kernel's return_z_loss,
	// flash-attention's z_losses.
	ResultZLoss SCEResult = "z_loss"
	// ResultLSE: the per-position log-sum-exp of the scaled, capped and masked logits, shape
	// [N, d1..dk], every position including ignored ones, the reduction not applied (Apple's
	// cut-cross-entropy return_lse).
	ResultLSE SCEResult = "lse"
)

// WithResult selects SoftmaxCrossEntropy's output (default ResultLoss); an unknown value is
// ErrInvalidArgument.
func WithResult(r SCEResult) Option { return func(c *config) { c.set |= optResult; c.result = r } }

// WithWhere sets the class mask of SoftmaxCrossEntropy and its gradient (optax's where), of shape [C]
// (broadcast over the positions) or the logits' full shape, else ErrShapeMismatch (true: the class is
// included). A class whose mask is false is left out of its position: it is
// excluded from the log-sum-exp (as if its logit were -inf, whatever it holds, NaN and infinities
// included), its target mass is dropped and its gradient is exactly 0. A position with no included
// class has loss 0 and gradient 0 but still counts in the mean's denominator. Label smoothing's C
// stays the number of classes; the z-loss uses the masked log-sum-exp.
func WithWhere(mask Tensor[bool]) Option {
	return func(c *config) {
		c.set |= optWhere
		c.where, c.whereShape = mask.Data, append([]int{}, mask.Shape...)
		if c.where == nil {
			c.where = []bool{} // an empty mask is not "absent"
		}
	}
}

// checkWhere checks the mask's shape against the logits' (step 3).
func (p *sceProblem) checkWhere() error {
	w := p.c.where
	if w == nil {
		return nil
	}
	if len(w) == numel(p.c.whereShape) && (sameShape(p.c.whereShape, []int{p.k}) || sameShape(p.c.whereShape, p.shape)) {
		p.whereClasses = sameShape(p.c.whereShape, []int{p.k})
		return nil
	}
	return newError(ErrShapeMismatch, p.fn, "where has shape %v; want [%d] or the logits' shape %v", p.c.whereShape, p.k, p.shape)
}

// included reports whether class c of position pos is included by the mask.
func (p *sceProblem) included(pos, c int) bool {
	w := p.c.where
	if w == nil {
		return true
	}
	if p.whereClasses {
		return w[c]
	}
	n, r := pos/p.d, pos%p.d
	return w[n*p.k*p.d+c*p.d+r]
}

// applyWhere gives every excluded class the logit -inf (after the scale and the cap, so that a cap
// does not map it to -c), derivative 0, and records the positions with no included class.
func (p *sceProblem) applyWhere() {
	if p.c.where == nil {
		return
	}
	x := append([]float64(nil), p.values()...) // never the caller's data
	p.empty = make([]bool, p.positions())
	for pos := range p.empty {
		n, r := pos/p.d, pos%p.d
		any := false
		for c := 0; c < p.k; c++ {
			i := n*p.k*p.d + c*p.d + r
			if p.included(pos, c) {
				any = true
				continue
			}
			x[i] = math.Inf(-1)
			if p.lo != nil {
				p.lo[i] = 0
			}
			if p.deriv != nil {
				p.deriv[i] = 0
			}
		}
		p.empty[pos] = !any
	}
	p.logits = x
}

// dropMasked sets the masses of position pos's excluded classes to 0.
func (p *sceProblem) dropMasked(pos int, m []doubleDouble) {
	if p.c.where == nil || m == nil {
		return
	}
	for c := range m {
		if !p.included(pos, c) {
			m[c] = doubleDouble{}
		}
	}
}

// lseOutput returns the per-position log-sum-exp (ResultLSE): -inf for a position with no included
// class.
func (p *sceProblem) lseOutput() ([]int, []float64) {
	out := make([]float64, p.positions())
	for pos := range out {
		if p.empty != nil && p.empty[pos] {
			out[pos] = math.Inf(-1)
			continue
		}
		out[pos] = p.row(pos).lseX().float()
	}
	return p.posShape, out
}

// output returns what WithResult selects: the loss, the z-loss part or the per-position lse.
func (p *sceProblem) output() ([]int, []float64) {
	switch p.c.result {
	case ResultLSE:
		return p.lseOutput()
	case ResultZLoss:
		return p.zLossOutput()
	}
	return p.loss()
}

// zLossOutput returns the z-loss part alone (ResultZLoss), reduced like the loss: per position
// (ignored positions and positions with no included class 0), summed, or divided by the number of
// non-ignored positions K (empty_mean deciding K = 0). All zeros when z_loss is 0.
func (p *sceProblem) zLossOutput() ([]int, []float64) {
	vals := make([]xdd, p.positions())
	if p.c.zLoss > 0 {
		for pos := range vals {
			if !p.excluded(pos) && (p.idx == nil || !p.c.ignores(p.idx[pos])) {
				vals[pos] = p.zTerm(p.row(pos))
			}
		}
	}
	if p.c.reduction != ReductionMean {
		return reduce(vals, p.c.reduction, p.posShape, nil)
	}
	if p.c.zLoss == 0 {
		return []int{}, []float64{0} // no term exists: the mean is 0, even when K = 0
	}
	var s xacc
	for _, v := range vals {
		s.add(v)
	}
	return []int{}, []float64{p.quotient(s.value(), xOf(ddF(float64(p.kept())))).float()}
}
