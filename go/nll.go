package xent

import (
	"math"
	"strconv"
)

// WithoutIgnoreIndex makes SoftmaxCrossEntropy, its gradient and NLLLoss ignore no target value:
// every class index must then be in [0, C), -100 included (the specification's ignore_index = null;
// ONNX's NegativeLogLikelihoodLoss and SoftmaxCrossEntropyLoss without the ignore_index attribute).
// Leaving the option out keeps PyTorch's default -100; WithIgnoreIndex sets another value.
func WithoutIgnoreIndex() Option {
	return func(c *config) { c.set |= optIgnoreIndex; c.ignoreNone = true }
}

// indexError is the ErrIndexOutOfRange error of the class index y at flat position i of a target
// of shape shape, for C classes.
func indexError(fn string, c config, i int, shape []int, y, classes int) error {
	ignored := "no index is ignored"
	if !c.ignoreNone {
		ignored = "it is not ignore_index (" + strconv.Itoa(c.ignoreIndex) + ")"
	}
	return newError(ErrIndexOutOfRange, fn, "target%s = %d is outside [0, %d) and %s", indexString(i, shape), y, classes, ignored)
}

// nllProblem is a validated nll_loss call: input [N, C, d1..dk] read as float64, or [C] (one
// position); D = d1...dk positions per sample; position p = (n, r) reads class c at n*C*D + c*D + r.
type nllProblem struct {
	c        config
	x        []float64
	classes  int
	d        int
	posShape []int
	w        []float64
	target   []int
}

// NLLLoss returns the negative log-likelihood loss of log-probabilities against class indices:
// PyTorch's F.nll_loss and ONNX's NegativeLogLikelihoodLoss. input holds log-probabilities (any
// float: they are not checked to be <= 0 or normalised) of shape [N, C, d1..dk] (rank 2 to 8), or
// [C] for a single sample whose target is a scalar (rank 0); target has the positions' shape
// [N, d1..dk]. For a position whose target y is not ignored,
//
//	loss = -w_y input[n, y, d1..dk]     (w_y = 1 without WithWeight),
//
// an ignored position has loss 0 whatever its input holds, NaN included (D2), and the mean is the
// sum of losses divided by the sum of w_y over the non-ignored positions (NaN when all are ignored,
// +-inf when their weights sum to 0 and some loss is not 0). A zero weight masks an infinite
// log-probability (loss 0, D4); NaN is never masked.
//
// Options: WithWeight ([C], finite, >= 0), WithIgnoreIndex (default -100) or WithoutIgnoreIndex,
// WithReduction (default mean; none gives the target's shape). Errors, in the specification's
// order: ErrInvalidArgument (an unknown reduction or an option nll_loss does not take),
// ErrInvalidShape (input rank 0 or above 8, C = 0), ErrShapeMismatch (target or weight shape),
// ErrInvalidArgument (a weight negative or non-finite), ErrIndexOutOfRange (a target outside
// [0, C) that is not ignored).
//
// Each loss -w_y x is a single product, rounded once; sums and means are formed in extended-range
// double-double and rounded once.
func NLLLoss[T Float](input Tensor[T], target Tensor[int], opts ...Option) (Tensor[T], error) {
	p, err := newNLL(input, target, opts)
	if err != nil {
		return Tensor[T]{}, err
	}
	shape, out := p.loss()
	return outTensor[T](shape, out), nil
}

// newNLL checks an nll_loss call in the specification's error precedence (D1).
func newNLL[T Float](input Tensor[T], target Tensor[int], opts []Option) (*nllProblem, error) {
	const fn = "nll_loss"
	c, err := configure[T](fn, opts)
	if err != nil {
		return nil, err
	}
	if err := checkTensor(fn, "input", input.Shape, len(input.Data), 1, maxRank); err != nil {
		return nil, err
	}
	p := &nllProblem{c: c, d: 1, posShape: []int{}}
	if len(input.Shape) == 1 {
		p.classes = input.Shape[0]
	} else {
		p.classes = input.Shape[1]
		p.posShape = append([]int{input.Shape[0]}, input.Shape[2:]...)
		p.d = numel(input.Shape[2:])
	}
	if p.classes == 0 {
		return nil, newError(ErrInvalidShape, fn, "input has shape %v: the number of classes must be non-zero", input.Shape)
	}
	if err := checkTensor(fn, "target", target.Shape, len(target.Data), 0, math.MaxInt); err != nil {
		return nil, err
	}
	if !sameShape(target.Shape, p.posShape) {
		return nil, newError(ErrShapeMismatch, fn, "target has shape %v but input %v needs %v (input's shape without the class axis)", target.Shape, input.Shape, p.posShape)
	}
	if c.weight != nil {
		if !sameShape(c.weightShape, []int{p.classes}) || len(c.weight) != p.classes {
			return nil, newError(ErrShapeMismatch, fn, "weight has shape %v but there are %d classes (want [%d])", c.weightShape, p.classes, p.classes)
		}
		p.w = roundParams[T](c.weight)
		if err := checkNonNegFinite(fn, "weight", p.w); err != nil {
			return nil, err
		}
	}
	for i, y := range target.Data {
		if !c.ignores(y) && (y < 0 || y >= p.classes) {
			return nil, indexError(fn, c, i, target.Shape, y, p.classes)
		}
	}
	p.target = target.Data
	p.x = viewF64(input.Data)
	return p, nil
}

func (p *nllProblem) weight(y int) float64 {
	if p.w == nil {
		return 1
	}
	return p.w[y]
}

// loss returns the reduced losses: -w_y x_y per position, exact until the final rounding (the
// product w_y x_y of two float64 is exact in double-double; xMul masks an infinite x_y when w_y = 0).
func (p *nllProblem) loss() ([]int, []float64) {
	vals := make([]xdd, len(p.target))
	var den xacc
	for pos, y := range p.target {
		if p.c.ignores(y) {
			continue // loss 0, out of the mean's denominator, whatever x holds (D2)
		}
		n, r := pos/p.d, pos%p.d
		x := p.x[(n*p.classes+y)*p.d+r]
		w := p.weight(y)
		vals[pos] = xMul(xOf(ddF(w)), xOf(ddF(-x)))
		den.addDD(ddF(w))
	}
	d := den.value()
	return reduce(vals, p.c.reduction, p.posShape, &d)
}
