package xent

import "math"

// A certified float64 log-sum-exp for the rows of softmax cross-entropy (DECISIONS E6 (b)): one
// float64 pass per element with error-free transformations where they matter, a rigorous bound on
// the error of the row's L = log1p(s), and the caller's test of that bound against the row's own
// tolerance; a row that fails it takes finiteLSE (double-double throughout). No math.FMA: without
// GOAMD64=v3 each one is a call behind a CPU check, and every step below is exact or rounded as
// stated without it.
//
// Per element, with a = max_i x_i and u = 2^-53:
//   - the shift x_i - a = h + l exactly (Fast2Sum, the operand of larger magnitude first: x_i when
//     x_i < -|a|, else -a; a branch that rarely changes its way), h clamped at lseFastMin (with
//     l = 0): a clamped term (true value in [0, e^-600], -inf logits included) is taken as about
//     e^-600, an absolute error below 2^-865 each;
//   - exp(h + l) = 2^k T_j (1 + q) with n = rint(h 1024/ln2) = 1024 k + j (|h 1024/ln2 - n| <= 1/2 +
//     2^-32, the product's rounding and 1024/ln2's included), T_j = 2^(j/1024) as hi (1 + rho) from
//     exp2Tab10 (hi + hi rho within 2^-104 of it), r = ((h - n C1) - n C2) + l with C1 + C2 = ln2/1024
//     to 2^-98 (C1 = ln2Hi/1024 has 32 bits: n C1 is exact for |n| < 2^21, and h - n C1 too, by
//     Sterbenz; n C2 < 2^-25 rounds by 2^-78; the last two steps round by u |r| each), so
//     |r| <= (1/2 + 2^-32) ln2/1024 < 2^-11.52 and r is within 2^-63.5 of h + l - n ln2/1024;
//     q = r + r^2 (1/2 + r/6 + r^2/24) (truncation below 1.01 r^5/120 < 2^-64.5, evaluation below
//     u |q| + 3 u r^2 < 2^-64.4);
//   - the term is split into b = hi 2^k (exact: k added to hi's exponent bits; 2^k >= 2^-866 since
//     h >= -600) and
//     c = b (q + rho) (two roundings: 2^-64.5 b; |c| <= 2^-11.5 b; 2^-1074 absolute if subnormal).
//     So b + c is within 2^-63.5 + 2^-64.5 + 2^-64.4 + 2^-64.5 + 2^-104 < 2^-62 of exp(x_i - a);
//   - S += b by Fast2Sum (S starts at 1, so S >= 1 >= b: the error err is exact, |err| <= u S), and
//     err + c added plainly in blocks of lseBlock elements (error below (lseBlock + 1) u of their
//     absolute sum), the blocks' sums in double-double (TwoSum).
// Every element is summed, the maximum's own term exactly 1; then s = (S - 2) + small (S >= 2: the
// subtraction is exact). With sum |c| <= 2^-11.5 s and sum |err| <= n u (2 + s):
// |s' - s| <= (2^-62 + 33 u 2^-11.5) s + n 2^-865 + 33 n u^2 (2 + s), and L = log1pDD(s') (2^-95
// relative) is within E_L = (lseRelErr s + n lseAbsErr) / (1 + s) + 66 n u^2 + lseLogErr L of
// log1p(s) (the derivative of log1p is 1 / (1 + s) <= 1). Since s / (1 + s) <= log1p(s) = L, the
// relative part is below 2^-59 L: far inside the accurate bound u (2 |nll| + 4 kappa) >= 2 u nll >=
// 2 u L (kappa >= 0). Rows whose L is tiny against the absolute parts (a top logit some 25 above the
// rest, clamped or subnormal terms) fail the caller's test and take finiteLSE.

const (
	lseFastMin = -600
	lseBlock   = 32
	// lseRelErr bounds the relative error of s: 2^-62 for the terms plus (lseBlock + 1) u 2^-11.5
	// = 2^-59.46 for the plain sums of their small parts, rounded up.
	lseRelErr = 0x1p-59
	// lseAbsErr bounds the absolute error of s per element from a clamped term (2^-865) or a
	// subnormal c (2^-1074), rounded up.
	lseAbsErr = 0x1p-864
	// lseErrErr bounds the absolute error of L per element from the plain sums of the Fast2Sum
	// errors: 2 (lseBlock + 1) u^2, rounded up.
	lseErrErr = 0x1p-99
	// lseLogErr bounds the relative error of L from log1pDD and the double-double sums (2^-95 and
	// a few 2^-104).
	lseLogErr = 0x1p-94
	// expSplitK = 1024/ln2; expSplitC1 + expSplitC2 = ln2/1024 to 2^-98 (Cody and Waite, dd.go's
	// ln2Hi and ln2Mid).
	expSplitBits = 10
	expSplitK    = (1 << expSplitBits) / math.Ln2
	expSplitC1   = ln2Hi / (1 << expSplitBits)
	expSplitC2   = ln2Mid / (1 << expSplitBits)
)

// exp2Tab10[j] holds 2^(j/1024) as hi and rho = lo / hi (hi + lo the double-double value);
// exp2Bits10[j] the bits of hi (sce32fast.go's expF32Tab).
var (
	exp2Tab10  [1 << expSplitBits]struct{ hi, rho float64 }
	exp2Bits10 [1 << expSplitBits]uint64
)

func init() {
	for j := range exp2Tab10 {
		t := expDD(ddScale(ddMulF(ddLn2, float64(j)), -expSplitBits))
		exp2Tab10[j].hi, exp2Tab10[j].rho = t.hi, t.lo/t.hi
		exp2Bits10[j] = math.Float64bits(t.hi)
	}
}

// lseFast returns a = max_i row_i and L = log1p(s), s = sum_{i != k} exp(row_i - a), with errL, a
// bound on |L - log1p(s)|: false when a value is NaN or +inf, or every value is -inf (the caller
// takes finiteLSE or analyze).
func lseFast(row []float64) (a float64, L doubleDouble, errL float64, ok bool) {
	if len(row) == 0 {
		return 0, doubleDouble{}, 0, false
	}
	a = rowMax(row)
	L, errL, _, ok = lseFastNext(row, a, row)
	return a, L, errL, ok
}

// lseFastNext is lseFast for a row whose maximum a is known; it reads next (as long as row: the
// following row, or row itself) in the same pass and returns its maximum, so that the next row's
// values come from memory while this row's exponentials are computed (a separate pass for the
// maximum waits for them: a third of the time on [4096, 1000]).
func lseFastNext(row []float64, a float64, next []float64) (L doubleDouble, errL, nextMax float64, ok bool) {
	// A NaN, +inf (inf - inf) or all -inf (-inf + inf) makes a shift NaN, and the sum with it.
	s, nextMax := expSumSplit(row, a, next)
	if s.hi-s.hi != 0 {
		return doubleDouble{}, 0, nextMax, false
	}
	L = log1pDD(s)
	n := float64(len(row))
	errL = ((lseRelErr*s.hi+n*lseAbsErr)/(1+s.hi)+n*lseErrErr)*(1+0x1p-50) + lseLogErr*L.hi
	return L, errL, nextMax, true
}

// expSumSplit returns s = sum_i exp(row_i - a) - 1 as a double-double (see the file's comment for
// the error; the maximum a's own term is 1), and the maximum of next (as rowMax). A NaN shift makes
// s NaN.
func expSumSplit(row []float64, a float64, next []float64) (doubleDouble, float64) {
	S := 1.0
	var sh, sl float64 // the small parts' sum
	negA := -a
	small := -math.Abs(a) // x >= small (and x <= a) means |x| <= |a|
	next = next[:len(row)]
	nextMax := next[0]
	for start := 0; start < len(row); start += lseBlock {
		var c float64 // the block's small parts
		end := min(start+lseBlock, len(row))
		ahead := next[start:end]
		for i, x := range row[start:end] {
			if v := ahead[i]; v > nextMax {
				nextMax = v
			}
			h := x + negA
			var l float64 // h + l = x - a exactly: Fast2Sum with the larger operand first
			if x >= small {
				l = x - (h - negA) // |x| <= |a|
			} else {
				l = negA - (h - x) // |x| > |a|
			}
			if h < lseFastMin { // false for NaN: it goes on into S
				h, l = lseFastMin, 0
			}
			t := h*expSplitK + shifter
			n := t - shifter
			r := ((h - n*expSplitC1) - n*expSplitC2) + l
			q := r*r*((r*(1.0/24)+1.0/6)*r+0.5) + r
			ni := int64(math.Float64bits(t)) - shifterBits
			tab := &exp2Tab10[ni&(1<<expSplitBits-1)]
			b := math.Float64frombits(math.Float64bits(tab.hi) + uint64(ni>>expSplitBits)<<52) // hi 2^k, k >= -866
			s1 := S + b
			c += (b - (s1 - S)) + b*(q+tab.rho)
			S = s1
		}
		t, e := twoSumFinite(sh, c)
		sh, sl = t, sl+e
	}
	return ddAdd(ddF(S-2), doubleDouble{sh, sl}), nextMax
}

// rowMax returns the largest value of a non-empty row, NaNs aside (a row of NaNs gives NaN when the
// first value is one; the callers' sums see every NaN anyway). Two running maxima: a single one would
// make each comparison wait for the last update.
func rowMax[T Float](row []T) T {
	m0, m1 := row[0], row[0]
	i := 1
	for ; i+1 < len(row); i += 2 {
		if v := row[i]; v > m0 {
			m0 = v
		}
		if v := row[i+1]; v > m1 {
			m1 = v
		}
	}
	if i < len(row) && row[i] > m0 {
		m0 = row[i]
	}
	return max(m0, m1)
}
