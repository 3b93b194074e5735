package xent

import (
	"math"
	"unsafe"
)

// Softmax cross-entropy rows of float32 logits without a shift (DECISIONS E6 (a): an a-priori
// bound). A float32 logit is exact in float64 and e^x stays within float64's range for |x| <= 708,
// so no maximum is needed: with target y,
//
//	loss = log(sum_i e^x_i) - x_y = log1p(s),  s = N / e_y,  N = sum_{i != y} e^x_i,
//
// in one pass over the row (the target's term is left out of N by splitting the pass at y, so
// nothing cancels). Errors, relative, for a row of n <= maxFastRow classes:
//   - each e^x by expF32 (|x| <= 708): below 2^-37; a logit below -708 (-inf included) is taken as
//     -708, an absolute error below e^-708 < 2^-1021.4 per term;
//   - N in four chains plainly per part (the part before y, the part after), the chains then added,
//     and the parts: a term passes at most n/4 + 6 roundings, (n/4 + 6) u N (u = 2^-53) < 2^-34.9 N;
//   - s = N / e_y: 2^-37 (e_y) + u. The row is taken only when x_y >= sceUnshiftedMinTarget
//     (e_y >= e^-600 = 2^-865.6) and s >= sceUnshiftedMinS: the clamped terms then add at most
//     n 2^-1021.4 / e_y <= 2^-135.8 <= 2^-35.8 s. In all s is within 2^-33.8 s of its exact value;
//   - L = log1pFast(s) (within 2^-45 of log1p of its argument, TestFastKernelsAccuracy): log1p's
//     derivative 1 / (1 + s) and s / (1 + s) <= log1p(s) carry s's relative error into L unamplified,
//     so L is within 2^-33.7 L of the exact loss.
// Rounded to float32 (0.5 ulp <= 2^-24 L) that is inside the accurate bound u (2 L + 4 kappa) with
// u = 2^-24 (and the weighted sum or mean of such losses, all of one sign, too). Every other row (a
// logit above 708 or NaN, a target logit below -600, a tiny or overflowing s) takes the shifted row
// of fast.go.

const (
	// expF32Max bounds |x| for expF32: 2^(x/ln2) then has a normal exponent, -1022 to 1021.
	expF32Max = 708
	// sceUnshiftedMinTarget: a target logit below it leaves the row to the shifted path.
	sceUnshiftedMinTarget = -600
	// sceUnshiftedMinS: a smaller s (a target some 69 above every other logit) leaves the row to
	// the shifted path.
	sceUnshiftedMinS = 0x1p-100
)

// expF32 returns e^x for |x| <= expF32Max to a relative error below 2^-37 (enough for float32
// results, and cheaper than a third degree): with y = fl(x 1024/ln2) (|y| < 2^20: the product and
// the constant's rounding put y within 2^-33 + 708 2^-43 < 2^-32.2 of x 1024/ln2), n = rint(y) by
// the shifter and r = y - n (exact: y and n share y's binade or n is 0; |r| <= 1/2),
// e^x = 2^(n div 1024) T_(n mod 1024) e^(r ln2/1024) up to the factor e^(2^-32.2 ln2/1024), below
// 1 + 2^-42.7; e^(r ln2/1024) by 1 + c1 r + c2 r^2 (c1 = ln2/1024, c2 = c1^2/2, each rounded: u r
// relative; truncation |r c1|^3/6 e^(2 |r c1|) < 2^-37.13 with |r c1| < 2^-11.52; evaluation 2 u);
// T 2^(n div 1024) exact (expF32Tab: T = 2^(j/1024) rounded, within u; see its comment) and the
// product rounded once (u): in all below 2^-37.13 + 2^-42.7 + 4 u < 2^-37. No math.FMA: without
// GOAMD64=v3 each use is a CPU check with a call path, which also spills the callers' loops.
func expF32(x float64) float64 {
	y := x * expSplitK
	t := y + shifter
	r := y - (t - shifter)
	b := math.Float64bits(t)
	p := (r*expF32C2+expF32C1)*r + 1
	return math.Float64frombits(expF32Tab[b&(1<<expSplitBits-1)]+b<<(52-expSplitBits)) * p
}

const (
	expF32C1 = math.Ln2 / (1 << expSplitBits)
	expF32C2 = expF32C1 * expF32C1 / 2
)

// expF32Tab[j] holds the bits of 2^(j/1024) (exp2Bits10) minus j 2^42: t's bits are those of the
// shifter (0x1.8p52, every set bit at or above bit 51) plus n, so t's bits shifted left by 42 are
// n 2^42 = (n div 1024) 2^52 + j 2^42 (mod 2^64), and the sum with expF32Tab[j] is the bits of
// 2^(j/1024) with n div 1024 added to its exponent (in [-1022, 1021] for |x| <= 708: normal), with
// two integer operations fewer than shifting n itself.
var expF32Tab [1 << expSplitBits]uint64

func init() {
	for j := range expF32Tab {
		expF32Tab[j] = exp2Bits10[j] - uint64(j)<<(52-expSplitBits)
	}
}

// sumExpF32 returns sum_i e^x_i over xs (expF32; a value below -expF32Max taken as -expF32Max) in four
// chains, and false when a value is above expF32Max or NaN.
func sumExpF32(xs []float32) (float64, bool) {
	var s0, s1, s2, s3 float64
	bad := false
	i := 0
	if len(xs) >= 4 {
		// the values' bits, to check four values against expF32Max in a few integer steps (as uint32s:
		// a float32 slice need not be 8-byte aligned)
		bits := unsafe.Slice((*uint32)(unsafe.Pointer(&xs[0])), len(xs))
		for ; i+3 < len(xs); i += 4 {
			v := xs[i : i+4 : i+4]
			b := bits[i : i+4 : i+4]
			x0, x1, x2, x3 := float64(v[0]), float64(v[1]), float64(v[2]), float64(v[3])
			if outOfRangeF32(uint64(b[0])|uint64(b[1])<<32)|outOfRangeF32(uint64(b[2])|uint64(b[3])<<32) != 0 {
				x0, x1, x2, x3 = clampExpF32(x0, &bad), clampExpF32(x1, &bad), clampExpF32(x2, &bad), clampExpF32(x3, &bad)
			}
			s0 += expF32(x0)
			s1 += expF32(x1)
			s2 += expF32(x2)
			s3 += expF32(x3)
		}
	}
	for ; i < len(xs); i++ {
		s0 += expF32(clampExpF32(float64(xs[i]), &bad))
	}
	return (s0 + s1) + (s2 + s3), !bad
}

// expF32MaxBits is the bits of float32(expF32Max) in both halves of a uint64.
const expF32MaxBits = 0x44310000 * (1 + 1<<32)

// outOfRangeF32 is not 0 exactly when one of the two float32 values whose bits p holds has a
// magnitude above expF32Max or is NaN: with the signs cleared each half m is below 2^31, and the
// half of expF32MaxBits - m has bit 31 (63) set exactly when m exceeds expF32Max's bits (the low
// half borrows from the high half only then, when the answer is already not 0).
func outOfRangeF32(p uint64) uint64 {
	return (expF32MaxBits - p&0x7fffffff7fffffff) & 0x8000000080000000
}

// clampExpF32 returns x within [-expF32Max, expF32Max]: -expF32Max for a smaller x (its e^x an
// absolute error below 2^-1021.4, see the file's comment), 0 with *bad set for a larger x or NaN.
func clampExpF32(x float64, bad *bool) float64 {
	if math.Abs(x) <= expF32Max {
		return x
	}
	if x < 0 {
		return -expF32Max
	}
	*bad = true
	return 0
}

// sceRowUnshifted returns the loss log(sum_i e^row_i) - row_y of a float32 row (see the file's
// comment), false when the row must take the shifted path.
func sceRowUnshifted(row []float32, y int) (float64, bool) {
	xy := float64(row[y])
	if !(xy >= sceUnshiftedMinTarget && xy <= expF32Max) {
		return 0, false
	}
	n0, ok0 := sumExpF32(row[:y])
	n1, ok1 := sumExpF32(row[y+1:])
	s := (n0 + n1) / expF32(xy)
	if !(ok0 && ok1 && s >= sceUnshiftedMinS && s <= math.MaxFloat64) {
		return 0, false
	}
	return log1pFast(s), true
}
