package xent

import (
	"math"
	"slices"
)

// The large-model options of SoftmaxCrossEntropy (issue 17): logit_scale s, softcap c, z_loss z and
// empty_mean. The scaled and capped logits xc = c tanh(s x / c) are formed as double-doubles
// (hi + lo): the row analysis takes the shifts xc_i - xc_k with the low parts, so that the loss
// does not carry the rounding of xc to float64, which exceeds the loss' condition number where the
// cap saturates (|dxc/dx| x = x' / cosh^2(x' / c) is far below |xc| there).

// largeModel reports whether the logits are transformed (a scale other than 1, or a cap).
func (c *config) largeModel() bool { return c.logitScale != 1 || c.capOn }

// tanhSmall: below this |t|, tanh(t) = t and 1 / cosh^2(t) = 1 in double-double (t^2 / 3 < 2^-120).
const tanhSmall = 0x1p-60

// capLogit returns c tanh(t) with t = x' / c (x' = s x as a double-double) as a double-double, and
// dxc/dx' = 1 / cosh^2(t) = 4F / (1 + F)^2 with F = exp(-2|t|); tanh|t| = -G / (2 + G) with
// G = expm1(-2|t|): neither cancels.
func capLogit(xp doubleDouble, c float64) (doubleDouble, float64) {
	if math.Abs(xp.hi) > 41*c { // saturated; x' / c may overflow for a tiny (subnormal) cap
		v := ddF(math.Copysign(c, xp.hi))
		return v, 4 * math.Exp(-2*(math.Abs(xp.hi)/c))
	}
	t := ddDiv(xp, ddF(c))
	neg := t.hi < 0
	if neg {
		t = t.neg()
	}
	var th doubleDouble
	sech2 := 1.0
	switch {
	case t.hi < tanhSmall:
		th = t
	case t.hi > 40: // 1 - tanh t < 2e^-80 < 2^-115: tanh t = 1, 1 / cosh^2 t < 2^-113
		th = ddF(1)
		sech2 = 4 * math.Exp(-2*t.hi)
	default:
		m2t := ddScale(t, 1).neg()
		g := expm1DD(m2t)
		th = ddDiv(g.neg(), ddAddF(g, 2))
		f := expDD(m2t)
		f1 := ddAddF(f, 1)
		sech2 = ddDiv(ddScale(f, 2), ddMul(f1, f1)).float()
	}
	v := ddMulF(th, c)
	if neg {
		v = v.neg()
	}
	return v, sech2
}

// transform replaces the problem's logits by xc = cap(s x): hi parts in p.logits, low parts in
// p.lo and the derivatives dxc/dx in p.deriv. Special values (spec): with a cap +-inf maps to
// +-c with derivative 0; without one s x keeps +-inf; NaN stays NaN.
func (p *sceProblem) transform(x []float64) {
	s, c := p.c.logitScale, p.c.softcap
	hi := make([]float64, len(x))
	in := p.lo // double-double logits (linear_cross_entropy's exact ones): their low parts
	p.lo = make([]float64, len(x))
	p.deriv = make([]float64, len(x))
	for i, v := range x {
		h, l := twoProd(s, v)
		if in != nil && isFinite(h) {
			l += s * in[i] // below 2^-100 |s x|: its rounding is far beneath double-double precision
		}
		if !isFinite(h) {
			h, l = s*v, 0 // an infinity or NaN (or a product past float64's range)
		}
		p.deriv[i] = s
		switch {
		case !p.c.capOn:
		case math.IsNaN(h):
		case math.IsInf(h, 0):
			h = math.Copysign(c, h)
			p.deriv[i] = 0
		default:
			xc, sech2 := capLogit(doubleDouble{h, l}, c)
			h, l = xc.hi, xc.lo
			p.deriv[i] = s * sech2
		}
		hi[i], p.lo[i] = h, l
	}
	p.logits = hi
	if !slices.ContainsFunc(p.lo, func(l float64) bool { return l != 0 }) {
		p.lo = nil // exact float64 logits (a power-of-two scale, no cap): the paths of plain logits
	}
}

// kept returns the number of non-ignored positions (K: the z-loss terms' mean divides by it).
func (p *sceProblem) kept() int {
	if p.idx == nil {
		return p.positions()
	}
	k := 0
	for _, y := range p.idx {
		if !p.c.ignores(y) {
			k++
		}
	}
	return k
}

// zTerm returns z lse(xc)^2 of the analysed row with lse as logsumexp gives it: +inf for +inf
// logits (one or more) and for a row of -inf (spec 197b241, vectors 8824-8825), NaN for a NaN logit.
func (p *sceProblem) zTerm(r *lseRow) xdd {
	L := r.lseX()
	return xMul(xOf(ddF(p.c.zLoss)), xMul(L, L))
}

// quotient returns num / den, or 0 when den is 0 and empty_mean is zero.
func (p *sceProblem) quotient(num, den xdd) xdd {
	if den.m.hi == 0 && p.c.emptyMean == EmptyMeanZero {
		return xdd{}
	}
	return xDiv(num, den)
}
