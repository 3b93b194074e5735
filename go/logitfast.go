package xent

import "math"

// The unweighted sum of BCE with logits for float64 data in one pass (DECISIONS E6 (a): an a-priori
// bound). Per element, l = cz + t with cz = (1 - y) max(z, 0) + y max(-z, 0) and
// t = log1p(exp(-|z|)), both non-negative:
//   - cz: with m = max(z, 0) = (z + |z|)/2 and |z| - m (both exact, one of them 0) and 1 - y = h + l1
//     exactly (Fast2Sum, 1 >= y), cz = h m + y (|z| - m) + l1 m: one product is rounded (u cz), l1 m
//     (below u^2 cz) goes to the small parts;
//   - e = exp(-|z|) = eh + el: the split exponential of lsefast.go (2^-62, the shift -|z| exact), its
//     two parts renormalised by Fast2Sum;
//   - t = log1p(e): with i = rint(128 eh) and inv_i = 1/(1 + i/128) rounded to 12 bits, w = 1 + e =
//     wh + wl with wh a multiple of 2^-40 (41 bits) and wl = (1 - wh) + eh exact, d = w inv_i - 1 =
//     dh + dm + dlo: dh = wh inv_i - 1 exact (a 53-bit product, then Sterbenz), dm = wl inv_i (2^-94),
//     dlo = el inv_i; |d| <= 2^-8 + 2^-12 < 2^-7.9; t = -log(inv_i) + log1p(d), the table in
//     double-double (2^-100), log1p(d1 + delta) = d1 - d1^2/2 + d1^3 Q(d1) + delta (1 - d1) with
//     d1 + delta = d (Fast2Sum), Q to d1^5/8 (truncation d^9/9 < 2^-72.5), d1^2/2 rounded once
//     (2^-69.8), the rest in the small parts. For i >= 1, t >= 2^-8.01, so these are 2^-61.8 of t;
//     for i = 0 (e < 2^-8), inv = 1, d1 = eh exactly and every error is relative to e: t is within
//     2^-62 (from e: log1p's derivative is below t / e) + 2^-61.8 + 2^-64.5 < 2^-60.5 of log1p(e).
// The high parts (-log(inv_i) + d1 - d1^2/2 by two Fast2Sums, and h m + y (|z| - m)) go into two
// TwoSum chains; their errors and the small parts (below 2^-16 t + u cz) are added plainly per block
// of bceBlock elements (error below 100 u of their absolute sum: 2^-62 of the sum of t) and the blocks
// in double-double. So every element is within u cz + 2^-60 t of its exact value (with the chains'
// errors, n 2^-98 of the whole sum). Against the element's accurate bound u (2 l + 4 kappa), kappa =
// |sigmoid(z) - y| |z| + y |z| (d l/dz = sigmoid(z) - y, d l/dy = -z): for z > 0, kappa >= sigmoid(z) z
// >= z/2 >= cz/2 (cz = (1 - y) z); for z <= 0, kappa >= y |z| = cz. So a quarter of the bound,
// u (l/2 + kappa) >= u (cz + t/2), holds the error with room to spare (2^-60 t + 2^-59 cz against
// u t/2 + u (sigmoid(|z|) - 1/2) |z|, which is at least 2^-6 u |z| wherever cz is not 0 relative to
// t), and so does the mean, a mean of such elements; the final division and rounding are the
// reduction's.

const (
	bceBlock = 32
	// bceFastMax: beyond it exp(-|z|) nears the range where the split exponential's parts could be
	// subnormal; such elements (and NaN, infinities) take bceTerm.
	bceFastMax = 600
	// bceGrid: adding and subtracting it rounds 1 + e to a multiple of 2^-40.
	bceGrid = 0x1.8p12
)

// log1pTab128[i] holds inv = 1/(1 + i/128) rounded to 12 bits and -log(inv) as hi, lo (logDD), for
// i <= 128 (the rest only lets a mask replace the bounds check). logDD needs dd.go's tables, filled by
// its init, which runs first (files initialise in the order of their names).
var log1pTab128 [256]struct{ inv, hi, lo float64 }

func init() {
	for i := 0; i <= 128; i++ {
		inv := 1 / (1 + float64(i)/128)
		e := math.Ilogb(inv) - 11
		inv = math.Ldexp(math.Round(math.Ldexp(inv, -e)), e)
		l := logDD(ddF(inv)).neg()
		log1pTab128[i].inv, log1pTab128[i].hi, log1pTab128[i].lo = inv, l.hi, l.lo
	}
}

// bceSum64 returns the unweighted sum of BCE with logits over zs and ys (float64) as xdd, checking
// y's values as it goes (checkProbs' error, for the caller that has done every earlier check of the
// precedence). Elements with |z| > bceFastMax or not finite take bceTerm.
func bceSum64(fn string, zs, ys []float64, yShape []int) (xdd, error) {
	var slow xacc
	var s1, s2, sh, sl float64 // the chains of t's and cz's high parts; the small parts' sum
	ys = ys[:len(zs)]
	for start := 0; start < len(zs); start += bceBlock {
		end := min(start+bceBlock, len(zs))
		var c float64 // the block's small parts
		for i, z := range zs[start:end] {
			y := ys[start+i]
			if !(y >= 0 && y <= 1) {
				return xdd{}, checkProbs(fn, "y", ys, yShape) // the first bad y is in this block
			}
			a := math.Abs(z)
			if !(a <= bceFastMax) {
				slow.add(bceTerm(z, y, 1))
				continue
			}
			// e = exp(-a) = b + cb (lsefast.go's split exponential with h = -a, l = 0)
			t := -a*expSplitK + shifter
			n := t - shifter
			r := (-a - n*expSplitC1) - n*expSplitC2
			q := r*r*((r*(1.0/24)+1.0/6)*r+0.5) + r
			ni := int64(math.Float64bits(t)) - shifterBits
			et := &exp2Tab10[ni&(1<<expSplitBits-1)]
			b := et.hi * math.Float64frombits(uint64(ni>>expSplitBits+1023)<<52)
			cb := b * (q + et.rho)
			eh := b + cb
			el := cb - (eh - b)
			// t = log1p(eh + el)
			lt := &log1pTab128[int64(math.Float64bits(eh*128+shifter)-shifterBits)&255]
			wh := ((1 + eh) + bceGrid) - bceGrid
			dh := wh*lt.inv - 1
			dm := ((1 - wh) + eh) * lt.inv
			d1 := dh + dm
			delta := (dm - (d1 - dh)) + el*lt.inv
			half := d1 * d1 * 0.5
			poly := (((((d1*(-1.0/8)+1.0/7)*d1-1.0/6)*d1+1.0/5)*d1-1.0/4)*d1 + 1.0/3) * d1 * d1 * d1
			th := lt.hi + d1
			e1 := d1 - (th - lt.hi)
			th2 := th - half
			e2 := (th - th2) - half
			// cz = h m + y (a - m) + l1 m
			m := 0.5 * (z + a)
			h := 1 - y
			czl := ((1 - h) - y) * m
			cz := h*m + y*(a-m)
			// the two TwoSum chains, and the small parts
			u := s1 + th2
			bb := u - s1
			c += (s1 - (u - bb)) + (th2 - bb)
			s1 = u
			u = s2 + cz
			bb = u - s2
			c += (s2 - (u - bb)) + (cz - bb)
			s2 = u
			c += ((e1 + e2) + (lt.lo + poly + delta*(1-d1))) + czl
		}
		u, e := twoSumFinite(sh, c)
		sh, sl = u, sl+e
	}
	slow.addDD(ddAdd(ddAdd(ddF(s1), ddF(s2)), doubleDouble{sh, sl}))
	return slow.value(), nil
}
