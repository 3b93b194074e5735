package xent

import "math"

// Cross-entropy from the per-shard statistics of a vocabulary-parallel implementation (issue 18):
// flash-attention's tensor-parallel cross_entropy all-gathers each rank's log-sum-exp and
// all-reduces its smoothing sums; Megatron-LM's vocab_parallel_cross_entropy all-reduces the
// maximum, the sum of exponentials and the target logit. The combination rule is checked piece by
// piece: the smoothing share is eps / C with C the TOTAL number of classes (the sum of the shard
// sizes), never a shard's own size.

// shardsProblem is a validated cross_entropy_from_shards call.
type shardsProblem struct {
	c          config
	s, n, k    int       // shards, positions, classes (C = sum of shard_size)
	lse, sums  []float64 // [S, N]
	xy         []float64 // [N]
	target     []int
	w          []float64    // nil: every w_c = 1
	wSum       doubleDouble // W = sum_c w_c
	share      xdd          // eps / C or eps / (C - 1) (unused when eps = 0)
	oneMinusEp doubleDouble
}

// CrossEntropyFromShards returns softmax cross-entropy with class-index targets from per-shard
// statistics: shard s holds shard_size[s] consecutive classes (C = sum of shard_size; a shard may
// be empty: size 0, lse -inf, logit sum 0), shardLSE[s, n] = log sum_{c in s} exp(x[n, c]),
// shardLogitSum[s, n] = sum_{c in s} w_c x[n, c] (w_c = 1 without weight) and targetLogit[n] =
// x[n, y_n]. With L = the log-sum-exp of column n of shardLSE (LSEMerge), T = sum_s
// shardLogitSum[s, n], W = sum_c w_c and eps the label smoothing, a non-ignored position's loss is
//
//	uniform:    (1 - eps) w_y (L - x_y) + (eps / C) (W L - T)
//	off_target: (1 - eps) w_y (L - x_y) + (eps / (C - 1)) ((W - w_y) L - (T - w_y x_y)),
//
// exact, rounded once (with eps = 0 the second term is absent and shardLogitSum is not read).
// Coefficients exactly 0 give 0 even against an infinity (D4), never against NaN. Options:
// WithWeight ([C]), WithIgnoreIndex / WithoutIgnoreIndex (ignored positions: 0, whatever their
// statistics hold: D2), WithLabelSmoothing, WithSmoothingMode, WithReduction (mean divides by the sum
// of w_y over the non-ignored positions), WithEmptyMean (D3).
//
// Errors, in this order: ErrInvalidArgument (options); ErrInvalidShape (shardLSE or shardLogitSum
// not rank 2, targetLogit, target or shardSize not rank 1; S = 0 or every shard empty);
// ErrShapeMismatch (shardLogitSum not shardLSE's [S, N], targetLogit or target not [N], shardSize not
// [S], weight not [C]); ErrInvalidArgument (a negative shard size, then a weight entry, then
// off_target with C = 1 and eps > 0); ErrIndexOutOfRange (a target outside [0, C)).
func CrossEntropyFromShards[T Float](shardLSE, shardLogitSum, targetLogit Tensor[T], target, shardSize Tensor[int], opts ...Option) (Tensor[T], error) {
	p, err := newShards(shardLSE, shardLogitSum, targetLogit, target, shardSize, opts)
	if err != nil {
		return Tensor[T]{}, err
	}
	vals := make([]xdd, p.n)
	var den xacc
	for n := range vals {
		if y := p.target[n]; !p.c.ignores(y) {
			vals[n] = p.positionLoss(n)
			den.addDD(ddF(p.weight(y)))
		}
	}
	d := den.value()
	if p.c.reduction == ReductionMean && d.m.hi == 0 && p.c.emptyMean == EmptyMeanZero {
		return outTensor[T]([]int{}, []float64{0}), nil
	}
	shape, out := reduce(vals, p.c.reduction, []int{p.n}, &d)
	return outTensor[T](shape, out), nil
}

func newShards[T Float](shardLSE, shardLogitSum, targetLogit Tensor[T], target, shardSize Tensor[int], opts []Option) (*shardsProblem, error) {
	const fn = "cross_entropy_from_shards"
	c, err := configure[T](fn, opts)
	if err != nil {
		return nil, err
	}
	for _, t := range []struct {
		name  string
		shape []int
		n     int
		rank  int
	}{{"shard_lse", shardLSE.Shape, len(shardLSE.Data), 2}, {"shard_logit_sum", shardLogitSum.Shape, len(shardLogitSum.Data), 2},
		{"target_logit", targetLogit.Shape, len(targetLogit.Data), 1}, {"target", target.Shape, len(target.Data), 1},
		{"shard_size", shardSize.Shape, len(shardSize.Data), 1}} {
		if err := checkTensor(fn, t.name, t.shape, t.n, t.rank, t.rank); err != nil {
			return nil, err
		}
	}
	p := &shardsProblem{c: c, s: shardLSE.Shape[0], n: shardLSE.Shape[1], target: target.Data}
	empty := true
	for _, v := range shardSize.Data {
		empty = empty && v == 0
		switch { // C = the sum as given (negative entries included: step 4 rejects them), saturated
		case v > 0:
			p.k = min(p.k, math.MaxInt-v) + v
		case v < 0:
			p.k = max(p.k, math.MinInt-v) + v
		}
	}
	if p.s == 0 || empty {
		return nil, newError(ErrInvalidShape, fn, "no classes: %d shards of sizes %v", p.s, shardSize.Data)
	}
	switch {
	case !sameShape(shardLogitSum.Shape, shardLSE.Shape):
		return nil, newError(ErrShapeMismatch, fn, "shard_logit_sum has shape %v but shard_lse %v", shardLogitSum.Shape, shardLSE.Shape)
	case targetLogit.Shape[0] != p.n:
		return nil, newError(ErrShapeMismatch, fn, "target_logit has shape %v; want [%d]", targetLogit.Shape, p.n)
	case target.Shape[0] != p.n:
		return nil, newError(ErrShapeMismatch, fn, "target has shape %v; want [%d]", target.Shape, p.n)
	case shardSize.Shape[0] != p.s:
		return nil, newError(ErrShapeMismatch, fn, "shard_size has shape %v; want [%d]", shardSize.Shape, p.s)
	case c.weight != nil && (!sameShape(c.weightShape, []int{p.k}) || len(c.weight) != p.k):
		return nil, newError(ErrShapeMismatch, fn, "weight has shape %v; want [%d] (C = the sum of shard_size)", c.weightShape, p.k)
	}
	for s, v := range shardSize.Data {
		if v < 0 {
			return nil, newError(ErrInvalidArgument, fn, "shard_size[%d] = %d is negative", s, v)
		}
	}
	if c.weight != nil {
		p.w = roundParams[T](c.weight)
		if err := checkNonNegFinite(fn, "weight", p.w); err != nil {
			return nil, err
		}
	}
	eps := c.labelSmoothing
	if c.smoothingMode == SmoothOffTarget && p.k == 1 && eps > 0 {
		return nil, newError(ErrInvalidArgument, fn, "off_target label smoothing needs at least 2 classes (C = 1, label_smoothing = %v)", eps)
	}
	for i, y := range p.target {
		if !c.ignores(y) && (y < 0 || y >= p.k) {
			return nil, indexError(fn, c, i, target.Shape, y, p.k)
		}
	}
	p.lse, p.sums, p.xy = viewF64(shardLSE.Data), viewF64(shardLogitSum.Data), viewF64(targetLogit.Data)
	p.wSum, p.oneMinusEp = ddF(float64(p.k)), oneMinus(eps) // W = C without weight (never a loop over C)
	if p.w != nil {
		var W acc
		for _, w := range p.w {
			W.add(w)
		}
		p.wSum = W.value()
	}
	if eps > 0 {
		div := float64(p.k)
		if c.smoothingMode == SmoothOffTarget {
			div = float64(p.k - 1)
		}
		// extended-range: eps / C of a tiny (subnormal) eps is positive, never 0 (0 would mask an
		// infinite inner term that eps / C > 0 multiplies)
		p.share = xdd{ddDiv(ddF(math.Ldexp(eps, 600)), ddF(div)), -600}
	}
	return p, nil
}

func (p *shardsProblem) weight(c int) float64 {
	if p.w == nil {
		return 1
	}
	return p.w[c]
}

// positionLoss returns the loss of the non-ignored position n (see CrossEntropyFromShards).
func (p *shardsProblem) positionLoss(n int) xdd {
	wy := p.weight(p.target[n])
	xy := xOf(ddF(p.xy[n]))
	L := lseMergeColumn(p.lse, mergeGeometry{k: p.s, cols: p.n}, n, false)
	var gap xacc // L - x_y
	gap.add(L)
	gap.add(xOf(ddF(-p.xy[n])))
	var loss xacc
	loss.add(xMul(xOf(ddMulF(p.oneMinusEp, wy)), gap.value()))
	if p.c.labelSmoothing == 0 {
		return loss.value()
	}
	var T acc
	for s := 0; s < p.s; s++ {
		T.add(p.sums[s*p.n+n])
	}
	var inner xacc // W L - T, or (W - w_y) L - (T - w_y x_y)
	coef := p.wSum
	if p.c.smoothingMode == SmoothOffTarget {
		coef = ddAddF(p.wSum, -wy)
		inner.add(xMul(xOf(ddF(wy)), xy))
	}
	inner.add(xMul(xOf(coef), L))
	inner.add(xOf(T.value().neg()))
	loss.add(xMul(p.share, inner.value())) // eps / C > 0: an infinity or NaN passes as it is
	return loss.value()
}
