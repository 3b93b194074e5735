package xent

import "math"

// divDD returns num / den following IEEE rules for zero and non-finite operands.
func divDD(num, den doubleDouble) doubleDouble {
	if !isFinite(num.hi) || !isFinite(den.hi) || den.hi == 0 {
		return doubleDouble{num.hi / den.hi, 0}
	}
	return ddDiv(num, den)
}

// mulDD returns c * v where a zero coefficient c masks an infinite v (the specification's
// "a term whose coefficient is exactly 0 contributes 0"); NaN is never masked.
func mulDD(c, v doubleDouble) doubleDouble {
	if c.hi == 0 && !math.IsNaN(v.hi) {
		return doubleDouble{}
	}
	if !isFinite(c.hi) || !isFinite(v.hi) {
		return doubleDouble{c.hi * v.hi, 0}
	}
	return ddMul(c, v)
}

// addDD adds two double-double values following IEEE rules for non-finite operands.
func addDD(a, b doubleDouble) doubleDouble {
	if !isFinite(a.hi) || !isFinite(b.hi) {
		return doubleDouble{a.hi + b.hi, 0}
	}
	return ddAdd(a, b)
}

// oneMinus returns 1 - y as an exact double-double.
func oneMinus(y float64) doubleDouble {
	h, l := twoSum(1, -y)
	return doubleDouble{h, l}
}

// reduce applies a reduction to per-element values of the given shape. The mean divides by den
// (the number of elements when den is nil). It returns the output shape and values. The values
// are extended-range (xdd): a sum or mean whose intermediate sum exceeds float64's range is still
// formed without overflow when the result is finite.
func reduce(vals []xdd, red Reduction, shape []int, den *xdd) ([]int, []float64) {
	switch red {
	case ReductionNone:
		out := make([]float64, len(vals))
		for i, v := range vals {
			out[i] = v.float()
		}
		return shape, out
	}
	var s xacc
	for _, v := range vals {
		s.add(v)
	}
	sum := s.value()
	if red == ReductionSum {
		return []int{}, []float64{sum.float()}
	}
	d := xOf(ddF(float64(len(vals))))
	if den != nil {
		d = *den
	}
	return []int{}, []float64{xDiv(sum, d).float()}
}
