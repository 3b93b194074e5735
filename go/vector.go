package xent

import "math"

// LogSumExp returns log(sum_i exp(x_i)), computed as a + log1p(s) with a = max_i x_i attained at k
// and s = sum_{i != k} exp(x_i - a) (Blanchard, Higham and Higham 2021).
//
// Special values: any NaN gives NaN; otherwise any +inf gives +inf; all -inf gives -inf; -inf
// entries contribute nothing. An empty x is an ErrInvalidShape error.
func LogSumExp[T Float](x []T) (T, error) {
	if len(x) == 0 {
		return T(math.NaN()), newError(ErrInvalidShape, "logsumexp", "x must be non-empty")
	}
	xs := toF64(x)
	r := analyzeRow(xs, 0, 1, len(xs))
	return T(r.lseX().float()), nil
}

// Softmax returns softmax(logits)_j = exp(logits_j) / sum_i exp(logits_i), computed as
// exp(logits_j - a) / (1 + s) with a = max_i logits_i (the seed's max subtraction), the shift taken
// exactly, and s the compensated sum of the non-maximal exponentials; the result is within about
// half an ulp of the exact value.
//
// Contract (the seed's simple entry point): Softmax never fails and never panics. An empty logits
// gives an empty (non-nil) result; use SoftmaxChecked to get an ErrInvalidShape error instead. Any
// NaN gives all NaN; exactly one +inf at k gives the one-hot vector at k (the limit); two or more
// +inf, or all -inf, give all NaN; a -inf entry gets exactly 0.
func Softmax(logits []float64) []float64 {
	out, err := SoftmaxChecked(logits)
	if err != nil {
		return []float64{}
	}
	return out
}

// SoftmaxChecked is Softmax for float32 or float64 input that reports an empty x as an
// ErrInvalidShape error: softmax(x)_j = exp(x_j) / sum_i exp(x_i) = exp(x_j - a) / (1 + s), with the
// special values of Softmax.
func SoftmaxChecked[T Float](x []T) ([]T, error) {
	if len(x) == 0 {
		return nil, newError(ErrInvalidShape, "softmax", "x must be non-empty")
	}
	xs := toF64(x)
	r := analyzeRow(xs, 0, 1, len(xs))
	out := make([]T, len(x))
	for j := range out {
		out[j] = T(r.softmax(j).float())
	}
	return out, nil
}

// LogSoftmax returns log_softmax(x)_j = x_j - lse(x), computed as (x_j - a) - log1p(s), which keeps
// the relative accuracy of the dominant entry's small negative value (it may round to -0).
//
// Special values: any NaN gives all NaN; exactly one +inf at k gives 0 at k and -inf elsewhere; two
// or more +inf, or all -inf, give all NaN; a -inf entry gives -inf. An empty x is an ErrInvalidShape
// error.
func LogSoftmax[T Float](x []T) ([]T, error) {
	if len(x) == 0 {
		return nil, newError(ErrInvalidShape, "log_softmax", "x must be non-empty")
	}
	xs := toF64(x)
	r := analyzeRow(xs, 0, 1, len(xs))
	out := make([]T, len(x))
	for j := range out {
		out[j] = T(r.logSoftmax(j).float())
	}
	return out, nil
}
