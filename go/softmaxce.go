package xent

import "math"

// sceProblem is a validated softmax-cross-entropy problem: logits [N, C, d1..dk] with D = d1...dk
// positions per sample; position p = (n, r) reads class c at n*C*D + c*D + r.
type sceProblem struct {
	fn       string
	c        config
	logits   []float64 // the logits as float64, converted on first use (see values)
	convert  func() []float64
	scratch  lseRow         // row's buffer
	massBuf  []doubleDouble // masses' buffer
	shape    []int
	n, k, d  int
	posShape []int // [N, d1..dk]
	w        []float64
	eps      float64
	oneMinus doubleDouble // 1 - eps
	share    doubleDouble // eps / C (uniform) or eps / (C - 1) (off_target); 0 when eps = 0
	shareX   xdd          // share, extended-range: e < 0 when eps is so small that share underflows
	idx      []int
	probs    []float64
	lo       []float64 // with logit_scale or softcap: the low parts of xc (logits holds the high parts)
	deriv    []float64 // with logit_scale or softcap: dxc/dx per element
	up       upstream  // the gradient's grad_output
	empty    []bool    // with where: the positions with no included class
	// whereClasses: the mask has shape [C] (broadcast over the positions), not the logits' shape
	whereClasses bool
	// rowMax: the maximum a of the contiguous row at off, read by lseFastNext ahead of its turn
	rowMax struct {
		off int
		a   float64
		set bool
	}
}

// excluded reports whether position pos has no class left by the mask (loss and gradient 0).
func (p *sceProblem) excluded(pos int) bool { return p.empty != nil && p.empty[pos] }

// logitAt returns the logit of class c at position pos.
func (p *sceProblem) logitAt(pos, c int) float64 {
	n, r := pos/p.d, pos%p.d
	return p.values()[n*p.k*p.d+c*p.d+r]
}

// values returns the logits as float64 (a float32 fast path reads the caller's data instead).
func (p *sceProblem) values() []float64 {
	if p.logits == nil {
		p.logits = p.convert()
	}
	return p.logits
}

func (p *sceProblem) positions() int { return p.n * p.d }

// row analyses position pos's logits into a buffer reused from call to call (valid until the next
// call).
func (p *sceProblem) row(pos int) *lseRow {
	n, r := pos/p.d, pos%p.d
	p.scratch.analyzeLo(p.values(), p.lo, n*p.k*p.d+r, p.d, p.k)
	return &p.scratch
}

func (p *sceProblem) weight(c int) float64 {
	if p.w == nil {
		return 1
	}
	return p.w[c]
}

// masses returns m_c = w_c q_c for position pos (nil when the position is ignored).
// The slice is a buffer reused from call to call (valid until the next call).
func (p *sceProblem) masses(pos int) []doubleDouble {
	m := p.massesWith(pos, p.oneMinus, p.share)
	p.dropMasked(pos, m)
	return m
}

// massesWith is masses with 1 - eps and the share given: both scaled by 2^k, it returns the masses
// scaled by 2^k (see gradScale).
func (p *sceProblem) massesWith(pos int, oneMinusEps, share doubleDouble) []doubleDouble {
	p.massBuf = reuse(p.massBuf, p.k)
	m := p.massBuf
	if p.idx != nil {
		y := p.idx[pos]
		if p.c.ignores(y) {
			return nil
		}
		for c := range m {
			var q doubleDouble
			switch {
			case c == y && p.c.smoothingMode == SmoothUniform:
				q = ddAdd(oneMinusEps, share)
			case c == y:
				q = oneMinusEps
			default:
				q = share
			}
			m[c] = ddMulF(q, p.weight(c))
		}
		return m
	}
	n, r := pos/p.d, pos%p.d
	for c := range m {
		t := p.probs[n*p.k*p.d+c*p.d+r]
		var q doubleDouble
		if p.c.smoothingMode == SmoothUniform {
			q = ddAdd(ddMulF(oneMinusEps, t), share)
		} else {
			q = ddAdd(ddMulF(oneMinusEps, t), ddMul(share, oneMinus(t)))
		}
		m[c] = ddMulF(q, p.weight(c))
	}
	return m
}

// massX returns the mass m_c of position pos (mc, as masses computed it) extended-range: when the
// smoothing share underflows (shareX.e < 0), the share's part of m_c is formed from shareX; the loss
// then keeps a positive value where the masses' double-double would round it to 0.
func (p *sceProblem) massX(pos, c int, mc doubleDouble) xdd {
	if p.shareX.e == 0 {
		return xOf(mc)
	}
	w := xOf(ddF(p.weight(c)))
	if p.idx != nil {
		if c == p.idx[pos] {
			return xOf(mc) // 1 - eps (+ share): the share is far below its precision
		}
		return xMul(w, p.shareX)
	}
	n, r := pos/p.d, pos%p.d
	t := p.probs[n*p.k*p.d+c*p.d+r]
	var q xacc
	q.add(xOf(ddMulF(p.oneMinus, t)))
	if p.c.smoothingMode == SmoothUniform {
		q.add(p.shareX)
	} else {
		q.add(xMul(p.shareX, xOf(oneMinus(t))))
	}
	return xMul(w, q.value())
}

// newSCE validates the inputs of softmax_cross_entropy (and its gradient). One of idx and
// probs is used, as index says (idxShape and probsShape are the targets' shapes).
func newSCE[T Float](fn string, logits Tensor[T], index bool, idx []int, idxShape []int, probs []T, probsShape []int, opts []Option) (*sceProblem, error) {
	c, err := configure[T](fn, opts)
	if err != nil {
		return nil, err
	}
	if err := checkTensor(fn, "logits", logits.Shape, len(logits.Data), 2, maxRank); err != nil {
		return nil, err
	}
	p := &sceProblem{fn: fn, c: c, shape: logits.Shape, n: logits.Shape[0], k: logits.Shape[1], d: 1}
	if p.k == 0 {
		return nil, newError(ErrInvalidShape, fn, "logits has shape %v: the number of classes (axis 1) must be non-zero", logits.Shape)
	}
	for _, v := range logits.Shape[2:] {
		p.d *= v
	}
	p.posShape = append([]int{p.n}, logits.Shape[2:]...)
	if index {
		if err := checkTensor(fn, "target", idxShape, len(idx), 0, math.MaxInt); err != nil {
			return nil, err
		}
		if !sameShape(idxShape, p.posShape) {
			return nil, newError(ErrShapeMismatch, fn, "index target has shape %v but logits %v need %v (logits' shape without axis 1)", idxShape, logits.Shape, p.posShape)
		}
	} else {
		if err := checkTensor(fn, "target", probsShape, len(probs), 0, math.MaxInt); err != nil {
			return nil, err
		}
		if !sameShape(probsShape, logits.Shape) {
			return nil, newError(ErrShapeMismatch, fn, "probability target has shape %v but logits have shape %v", probsShape, logits.Shape)
		}
	}
	if c.set&optWeight != 0 && c.weight != nil {
		if !sameShape(c.weightShape, []int{p.k}) || len(c.weight) != p.k {
			return nil, newError(ErrShapeMismatch, fn, "weight has shape %v but there are %d classes (want [%d])", c.weightShape, p.k, p.k)
		}
		p.w = roundParams[T](c.weight)
	}
	if err := p.checkWhere(); err != nil {
		return nil, err
	}
	if p.up, err = c.upstreamFor(fn, p.posShape); err != nil {
		return nil, err
	}
	if c.wrt == WrtLinearBias && c.bias == nil {
		return nil, newError(ErrInvalidArgument, fn, "wrt linear_bias needs a linear_bias (it is null)")
	}
	if err := checkNonNegFinite(fn, "weight", p.w); err != nil {
		return nil, err
	}
	p.eps = c.labelSmoothing
	if c.smoothingMode == SmoothOffTarget && p.k == 1 && p.eps > 0 {
		return nil, newError(ErrInvalidArgument, fn, "off_target label smoothing needs at least 2 classes (C = 1, label_smoothing = %v)", c.labelSmoothing)
	}
	p.oneMinus = oneMinus(p.eps)
	if p.eps > 0 {
		div := float64(p.k)
		if c.smoothingMode == SmoothOffTarget {
			div = float64(p.k - 1)
		}
		p.share = ddDiv(ddF(p.eps), ddF(div))
		p.shareX = xOf(p.share)
		if p.eps < 0x1p-900 { // eps / C would lose bits in (or below) the subnormal range
			p.shareX = xdd{ddDiv(ddF(math.Ldexp(p.eps, 600)), ddF(div)), -600}
		}
	}
	if index {
		p.idx = idx
		if p.idx == nil {
			p.idx = []int{}
		}
		for i, y := range p.idx {
			if !c.ignores(y) && (y < 0 || y >= p.k) {
				return nil, indexError(fn, c, i, idxShape, y, p.k)
			}
		}
	} else {
		p.probs = toF64(probs)
		if err := checkProbs(fn, "target", p.probs, probsShape); err != nil {
			return nil, err
		}
	}
	p.convert = func() []float64 { return viewF64(logits.Data) } // the logits are only read
	if c.exact != nil {                                          // linear_cross_entropy: the exact logits as double-doubles
		hi := c.exact.hi
		p.convert, p.lo = func() []float64 { return hi }, c.exact.lo
	}
	if c.largeModel() {
		p.transform(p.convert())
	}
	p.applyWhere()
	return p, nil
}

// denominator returns the mean's denominator: the sum of w_y over non-ignored positions for index
// targets, the number of positions for probability targets.
func (p *sceProblem) denominator() xdd {
	if p.idx == nil {
		return xOf(ddF(float64(p.positions())))
	}
	var s xacc
	for _, y := range p.idx {
		if !p.c.ignores(y) {
			s.addDD(ddF(p.weight(y)))
		}
	}
	return s.value()
}

func (p *sceProblem) loss() ([]int, []float64) {
	vals := make([]xdd, p.positions())
	var zVals []xdd // the z-loss terms (nil when z_loss = 0: no term exists)
	if p.c.zLoss > 0 {
		zVals = make([]xdd, p.positions())
	}
	for pos := range vals {
		if p.excluded(pos) {
			continue // no class left: loss 0 (its z-loss term too)
		}
		if zVals != nil && (p.idx == nil || !p.c.ignores(p.idx[pos])) {
			zVals[pos] = p.zTerm(p.row(pos))
		}
		if p.idx != nil && p.eps == 0 {
			vals[pos] = p.targetLoss(pos)
			continue
		}
		m := p.masses(pos)
		if m == nil {
			continue
		}
		r := p.row(pos)
		var s xacc
		for c, mc := range m {
			if !p.included(pos, c) {
				continue // its mass is dropped
			}
			mx := p.massX(pos, c, mc)
			if mx.m.hi == 0 && (r.kind == rowFinite || r.kind == rowOneInf) {
				continue // a zero mass masks the class, even an infinite nll (mulDD)
			}
			s.add(xMul(mx, r.nllX(c, p.logitAt(pos, c))))
		}
		vals[pos] = s.value()
	}
	return p.reduceLoss(vals, zVals)
}

// reduceLoss reduces the cross-entropies vals and the z-loss terms zVals (nil: none). For mean each
// part has its own denominator (the spec's choice, as Liger-Kernel and flash-attention): the usual
// one for the cross-entropy, the number of non-ignored positions K for the z-loss terms.
func (p *sceProblem) reduceLoss(vals, zVals []xdd) ([]int, []float64) {
	den := p.denominator()
	if zVals == nil && p.c.emptyMean == EmptyMeanNaN {
		return reduce(vals, p.c.reduction, p.posShape, &den)
	}
	if p.c.reduction != ReductionMean {
		for i, z := range zVals {
			var s xacc
			s.add(vals[i])
			s.add(z)
			vals[i] = s.value()
		}
		return reduce(vals, p.c.reduction, p.posShape, &den)
	}
	var ce, zs xacc
	for _, v := range vals {
		ce.add(v)
	}
	var mean xacc
	mean.add(p.quotient(ce.value(), den))
	if zVals != nil {
		for _, z := range zVals {
			zs.add(z)
		}
		mean.add(p.quotient(zs.value(), xOf(ddF(float64(p.kept())))))
	}
	return []int{}, []float64{mean.value().float()}
}

// targetLoss is the loss of position pos for index targets without label smoothing, where only the
// target class y has a mass (w_y): w_y nll_y, without forming the zero masses of the other classes
// (their terms are 0, or NaN exactly where nll_y is NaN too).
func (p *sceProblem) targetLoss(pos int) xdd {
	y := p.idx[pos]
	if p.c.ignores(y) || !p.included(pos, y) {
		return xdd{} // ignored, or the target's mass is dropped by the mask
	}
	w := p.weight(y)
	n, rr := pos/p.d, pos%p.d
	if p.lo == nil { // double-double logits (p.lo) need the row's shifts with their low parts
		if a, L, ok := p.targetLSE(n*p.k*p.d+rr, p.logitAt(pos, y)); ok {
			h, l := twoSum(a, -p.logitAt(pos, y))
			return xMul(xOf(ddF(w)), xOf(ddAdd(L, doubleDouble{h, l}))) // nll_y = L - d_y, as lseRow.nll
		}
	}
	r := p.row(pos)
	if w == 0 && (r.kind == rowFinite || r.kind == rowOneInf) {
		return xdd{} // a zero mass masks the class, even an infinite nll (mulDD)
	}
	return xMul(xOf(ddF(w)), r.nllX(y, p.logitAt(pos, y)))
}

// targetLSE returns a and L of the row at off (see finiteLSE) for the loss of the target logit xy:
// from lseFast when the row is contiguous and lseFast's bound on L is within a quarter of the row's
// tolerance (E6: the loss w (L + (a - xy)) has tolerance u (2 |loss| + 4 kappa) >= 2 u w nll with
// u = 2^-53 (2^-24 for float32), kappa >= 0; the double-double steps after it add 2^-100 nll),
// else from finiteLSE; false when the row has a value that is not finite (the caller analyzes
// it). An infinite nll (xy = -inf) is left to the caller's masking rules.
func (p *sceProblem) targetLSE(off int, xy float64) (a float64, L doubleDouble, ok bool) {
	if p.d == 1 {
		x := p.values()
		row, next := x[off:off+p.k], x[off:off+p.k]
		if off+2*p.k <= len(x) {
			next = x[off+p.k : off+2*p.k]
		}
		a = p.rowMax.a
		if p.rowMax.off != off || !p.rowMax.set {
			a = rowMax(row)
		}
		L, errL, nextMax, ok := lseFastNext(row, a, next)
		p.rowMax.off, p.rowMax.a, p.rowMax.set = off+p.k, nextMax, true
		nll := (L.hi + (a - xy)) * (1 - 0x1p-50) // a lower bound: a - xy >= 0 is rounded once
		if ok && nll-nll == 0 && errL+0x1p-100*nll <= 0x1p-54*nll {
			return a, L, true
		}
	}
	return finiteLSE(p.values(), off, p.d, p.k)
}

// gradScale returns the power of two k by which the gradient scales the masses, with 1 - eps and
// eps / C scaled by 2^k, so that eps / C does not underflow when label smoothing is tiny (or
// subnormal): 0 unless the share underflows (shareX.e < 0), and small enough that no scaled mass
// w_c 2^k exceeds 2^620 (fuzz finding of the Java implementation, softmax_cross_entropy_grad).
func (p *sceProblem) gradScale() (k int, oneMinusEps, share doubleDouble) {
	if p.shareX.e == 0 {
		return 0, p.oneMinus, p.share
	}
	maxW := 1.0
	for c := 0; c < p.k; c++ {
		maxW = max(maxW, p.weight(c))
	}
	k = min(-p.shareX.e, 620-expOf(maxW))
	if k <= 0 {
		return 0, p.oneMinus, p.share
	}
	div := float64(p.k)
	if p.c.smoothingMode == SmoothOffTarget {
		div = float64(p.k - 1)
	}
	return k, ddScale(p.oneMinus, k), ddDiv(ddF(math.Ldexp(p.eps, k)), ddF(div))
}

func (p *sceProblem) grad() []float64 {
	out := make([]float64, len(p.values()))
	p.gradEach(func(i int, g xdd) { out[i] = g.float() })
	return out
}

// gradAllNaN reports D3's case: a mean whose denominator (either, with a z-loss) is 0 under
// empty_mean nan, where every element of the gradient is NaN.
func (p *sceProblem) gradAllNaN() bool {
	if p.c.reduction != ReductionMean || p.c.emptyMean != EmptyMeanNaN {
		return false
	}
	return p.denominator().m.hi == 0 || (p.c.zLoss > 0 && p.kept() == 0)
}

// gradEach calls emit(i, g) with the gradient of every element i that is not exactly 0 (ignored
// positions, positions with no class left by the mask and, under empty_mean zero, parts over a zero
// denominator are skipped), g exact to double-double precision before its single rounding.
func (p *sceProblem) gradEach(emit func(i int, g xdd)) {
	nan := xOf(doubleDouble{math.NaN(), 0})
	if p.gradAllNaN() {
		for i := range p.values() {
			emit(i, nan)
		}
		return
	}
	ceScale, zScale := xOf(ddF(1)), xOf(ddF(1))
	ceOn, zOn := true, p.c.zLoss > 0 // the parts present (a part over a zero denominator with empty_mean zero is 0)
	if p.c.reduction == ReductionMean {
		ceScale, zScale = p.denominator(), xOf(ddF(float64(p.kept())))
		ceOn, zOn = ceScale.m.hi != 0, zOn && zScale.m.hi != 0 // empty_mean zero (nan: gradAllNaN)
	}
	k, oneMinusEps, share := p.gradScale()
	for pos := 0; pos < p.positions(); pos++ {
		n, rr := pos/p.d, pos%p.d
		m := p.massesWith(pos, oneMinusEps, share)
		if m == nil || p.excluded(pos) {
			continue // ignored, or no class left by the mask: gradient 0
		}
		p.dropMasked(pos, m)
		r := p.row(pos)
		if zOn && r.kind == rowOneInf {
			// lse = +inf (no cap): 2 z L g_c is inf * 0 or inf - inf in every class (spec: NaN)
			for c := 0; c < p.k; c++ {
				if p.included(pos, c) {
					emit(n*p.k*p.d+c*p.d+rr, nan)
				}
			}
			continue
		}
		u := p.up.at(pos)
		var zCoef doubleDouble // 2 z lse(xc): the z-loss term's gradient is zCoef g_c
		if zOn {
			zCoef = ddMulF(r.lse(), 2*p.c.zLoss)
		}
		set := func(c int, v doubleDouble) {
			if !p.included(pos, c) {
				return // an excluded class: exactly 0, even in a NaN row of the included ones
			}
			i := n*p.k*p.d + c*p.d + rr
			var sum xacc
			if ceOn {
				sum.add(xDiv(xdd{v, -k}, ceScale))
			}
			if zOn {
				sum.add(xDiv(xOf(mulDD(r.softmax(c), zCoef)), zScale))
			}
			g := sum.value()
			if p.deriv != nil {
				g = xMul(xOf(ddF(p.deriv[i])), g) // the chain rule through the scale and the cap
			}
			emit(i, times(g, u))
		}
		if r.nearUniform() {
			gradNearUniform(r, m, set)
		} else {
			gradSpread(r, m, set)
		}
	}
}

// gradSpread sets grad_c = g_c M - m_c as g_c R_c - m_c (1 - g_c) with R_c = sum_{j != c} m_j: two
// terms of one sign each, accurate unless they nearly cancel, which needs g_c close to m_c / M.
func gradSpread(r *lseRow, m []doubleDouble, set func(int, doubleDouble)) {
	var tot acc
	big := 0
	for c, mc := range m {
		tot.addDD(mc)
		if mc.hi > m[big].hi {
			big = c
		}
	}
	var rb acc
	for c, mc := range m {
		if c != big {
			rb.addDD(mc)
		}
	}
	M := tot.value()
	for c, mc := range m {
		R := rb.value()
		if c != big {
			R = ddSub(M, mc)
		}
		g := r.softmax(c)
		if math.IsNaN(g.hi) {
			set(c, g)
			continue
		}
		set(c, ddSub(ddMul(g, R), ddMul(mc, r.oneMinusSoftmax(c))))
	}
}

// gradNearUniform is the gradient of a row whose logits all lie within 1/2 of the maximum (or are
// -inf), where g_c M - m_c cancels when the target is close to uniform (label smoothing 1) and even
// the rounding of exp(d_k) is too large for the spec's bound (which shrinks with |x_k|). With
// e_k = 1 + f_k, f_k = expm1(d_k) for the A finite logits, e_k = 0 for the masked (-inf) ones,
// F = sum f_k, S = A + F and M = sum m_j:
//
//	grad_c = N_c / S,   N_c = (M - A m_c) + f_c M - m_c F   (finite c),   N_c = -m_c S   (masked c),
//
// where M - A m_c = sum_{finite j} (m_j - r) - A (m_c - r) + sum_{masked j} m_j is formed from the
// differences to a reference mass r, the most common one, so that equal masses cancel exactly.
func gradNearUniform(r *lseRow, m []doubleDouble, set func(int, doubleDouble)) {
	ref := commonMass(m)
	f := make([]doubleDouble, len(m))
	masked := make([]bool, len(m))
	var fs, ms, ds acc
	finite := 0.0
	for c, mc := range m {
		ms.addDD(mc)
		if masked[c] = math.IsInf(r.d[c].hi, -1); masked[c] {
			ds.addDD(mc)
			continue
		}
		finite++
		if c != r.k {
			f[c] = expm1DD(r.d[c])
		}
		fs.addDD(f[c])
		ds.addDD(ddSub(mc, ref))
	}
	F, M, delta := fs.value(), ms.value(), ds.value()
	S := ddAddF(F, finite)
	for c, mc := range m {
		if masked[c] {
			set(c, doubleDouble{-mc.hi, -mc.lo}) // g_c = 0
			continue
		}
		d := ddSub(delta, ddMulF(ddSub(mc, ref), finite)) // M - A m_c
		n := ddAdd(d, ddSub(ddMul(f[c], M), ddMul(mc, F)))
		set(c, ddDiv(n, S))
	}
}

// commonMass returns a mass that at least two of the first three classes share when there is one
// (index targets give every class but the target the same mass), else m[0].
func commonMass(m []doubleDouble) doubleDouble {
	if len(m) >= 3 && m[0] != m[1] && m[1] == m[2] {
		return m[1]
	}
	return m[0]
}

// SoftmaxCrossEntropy returns the cross-entropy of softmax(logits) over the class axis (axis 1)
// against class-index targets, with PyTorch's documented semantics (F.cross_entropy).
//
// logits has shape [N, C, d1..dk] (rank 2 to 8) and target the shape [N, d1..dk] of the positions.
// With lp = log_softmax over axis 1 (computed as (x_c - a) - log1p(s)) and, for a position whose
// target y is not ignore_index, the smoothed target
//
//	uniform:    q_c = (1 - eps) [c = y] + eps / C
//	off_target: q_c = (1 - eps) [c = y] + eps / (C - 1) [c != y]
//
// the loss is -sum_c w_c q_c lp_c (terms with q_c = 0 contribute 0, even an infinite -lp_c);
// ignored positions have loss 0 whatever their logits hold, NaN and infinities included (D2).
// The mean is the sum of losses divided by the sum of w_y over non-ignored positions (IEEE division:
// NaN when everything is ignored).
//
// Options: WithWeight ([C], finite, >= 0), WithIgnoreIndex (default -100) or WithoutIgnoreIndex
// (no index ignored), WithLabelSmoothing (default 0, in [0, 1]), WithSmoothingMode (default
// SmoothUniform), WithReduction (default mean; none gives shape [N, d1..dk]).
//
// Large-model options (issue 17), in this order: WithLogitScale s (x' = s x, default 1), WithSoftcap c
// (xc = c tanh(x' / c), default none: Gemma 2), the cross-entropy above on xc, and WithZLoss z (each
// non-ignored position adds z lse(xc)^2, unweighted: PaLM; the mean divides these terms by the number of
// non-ignored positions, the cross-entropies by their usual denominator). WithEmptyMean(EmptyMeanZero)
// makes a mean part whose denominator is 0 equal 0 (its gradient too) instead of NaN. A cap maps +-inf
// to +-c. Errors: ErrInvalidShape (logits rank, C = 0), ErrShapeMismatch
// (target or weight shape), ErrIndexOutOfRange (a target outside [0, C) that is not ignore_index),
// ErrInvalidArgument (bad smoothing, weight or enum; logit_scale or softcap not finite and > 0, z_loss
// not finite and >= 0; off_target with C = 1 and eps > 0).
//
// Special values: a NaN logit makes its position's loss NaN; a row with exactly one +inf at k has
// the limit loss (0 when all the target mass is on k, +inf otherwise); two or more +inf, or all
// -inf, give NaN for that position.
func SoftmaxCrossEntropy[T Float](logits Tensor[T], target Tensor[int], opts ...Option) (Tensor[T], error) {
	p, err := newSCE[T]("softmax_cross_entropy", logits, true, target.Data, target.Shape, nil, nil, opts)
	if err != nil {
		return Tensor[T]{}, err
	}
	if isFloat32[T]() && !p.c.largeModel() && p.c.zLoss == 0 && p.c.emptyMean == EmptyMeanNaN &&
		p.c.where == nil && p.c.result == ResultLoss {
		if shape, out, ok := lossFast(p, logits.Data); ok {
			return outTensor[T](shape, out), nil
		}
	}
	shape, out := p.output()
	return outTensor[T](shape, out), nil
}

// SoftmaxCrossEntropyProbs is SoftmaxCrossEntropy with class-probability targets of the logits'
// shape [N, C, d1..dk]: with t' = (1 - eps) t + eps / C (uniform) or
// t' = (1 - eps) t + eps / (C - 1) (1 - t) (off_target), the loss of a position is
// -sum_c w_c t'_c lp_c; the mean divides by the number of positions N d1...dk, weights or not;
// WithIgnoreIndex has no effect. A target value outside [0, 1] or NaN is an ErrInvalidProbability
// error; the other options and errors are those of SoftmaxCrossEntropy.
func SoftmaxCrossEntropyProbs[T Float](logits, target Tensor[T], opts ...Option) (Tensor[T], error) {
	p, err := newSCE[T]("softmax_cross_entropy", logits, false, nil, nil, target.Data, target.Shape, opts)
	if err != nil {
		return Tensor[T]{}, err
	}
	shape, out := p.output()
	return outTensor[T](shape, out), nil
}

// SoftmaxCrossEntropyGrad returns the gradient of SoftmaxCrossEntropy (same inputs and options)
// with respect to the logits, in the logits' shape. For a position with target masses
// m_c = w_c q_c and g = softmax over the class axis,
//
//	d loss / d x_c = g_c sum_j m_j - m_c,
//
// evaluated without cancellation as g_c sum_{j != c} m_j - m_c (1 - g_c). Ignored positions have
// gradient 0, whatever their logits hold (D2). The result is the gradient of the reduced loss:
// divided by the mean's denominator for mean; when that denominator is 0 every element is NaN,
// ignored positions included (D3: each is its gradient times 1/0). A single +inf logit at k gives g = onehot(k);
// -inf logits give g_c = 0; NaN logits, two or more +inf, or all -inf give NaN for the position.
// With the large-model options the gradient with respect to xc gains 2 z lse(xc) g_c (divided by the
// number of non-ignored positions for mean) and is multiplied by dxc/dx = s / cosh^2(s x / c) (s
// without a cap; 0 for an infinite logit under a cap). With z_loss > 0 and no cap, a position with a
// +inf logit (lse = +inf) has gradient NaN in every class.
func SoftmaxCrossEntropyGrad[T Float](logits Tensor[T], target Tensor[int], opts ...Option) (Tensor[T], error) {
	p, err := newSCE[T]("softmax_cross_entropy_grad", logits, true, target.Data, target.Shape, nil, nil, opts)
	if err != nil {
		return Tensor[T]{}, err
	}
	return outTensor[T](logits.Shape, p.grad()), nil
}

// SoftmaxCrossEntropyProbsGrad is SoftmaxCrossEntropyGrad for probability targets (see
// SoftmaxCrossEntropyProbs): d loss / d x_c = g_c sum_j m_j - m_c with m_c = w_c t'_c, divided by the
// number of positions for mean.
func SoftmaxCrossEntropyProbsGrad[T Float](logits, target Tensor[T], opts ...Option) (Tensor[T], error) {
	p, err := newSCE[T]("softmax_cross_entropy_grad", logits, false, nil, nil, target.Data, target.Shape, opts)
	if err != nil {
		return Tensor[T]{}, err
	}
	return outTensor[T](logits.Shape, p.grad()), nil
}
