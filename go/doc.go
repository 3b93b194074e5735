// Package xent is the Go reference implementation of the xent catalogue: softmax, log-softmax,
// log-sum-exp, the elementwise logistic functions, entropy, cross-entropy and Kullback-Leibler
// divergence, the classification losses built on them (from probabilities and from logits), and the
// gradients of the logit losses. The normative definitions are in spec/xent.yaml of the xent
// repository; every exported function's doc comment repeats its formula.
//
// # Accuracy
//
// Every function is evaluated with the accurate forms of the xent accuracy note: with a = max_i x_i
// attained at k and s = sum_{i != k} exp(x_i - a) (Blanchard, Higham and Higham 2021),
//
//	lse(x)          = a + log1p(s)
//	log_softmax_j   = (x_j - a) - log1p(s)
//	softmax_j       = exp(x_j - a) / (1 + s)
//
// where the shift x_j - a is taken exactly (TwoSum) and its rounding error is folded back with a
// fused multiply-add; sums are compensated (Neumaier) and carried in double-double where a final
// rounding would otherwise be doubled. Elementary functions (exp, log, log1p, expm1) are evaluated in
// double-double precision by this package, so the result of a function is, in all but ill-conditioned
// cases, within about half an ulp of the exact value. float32 inputs are computed in float64 (and
// double-double) from the float32 values and rounded once to float32 at the end.
//
// # Generic dtypes
//
// The catalogue functions are generic over [Float] (float32 or float64). Scalar parameters passed as
// options (epsilon, label smoothing, gamma, alpha, weights) are float64 values; for float32 inputs they
// are first rounded to the nearest float32, as the specification requires ("1e-15 means the dtype's
// nearest value").
//
// # Errors
//
// Functions that can fail on bad input return (value, error). Every error wraps one of the sentinel
// values [ErrInvalidShape], [ErrShapeMismatch], [ErrIndexOutOfRange], [ErrInvalidProbability] and
// [ErrInvalidArgument] (test with errors.Is), and its message names the argument, index or shape at
// fault. No function panics on bad input. When several kinds apply, the first failing step of the
// specification's precedence decides: options on their own ([ErrInvalidArgument]: an option the
// function does not take, an enum value, a scalar outside its domain; [CheckOptions] runs this step
// alone), then ranks, zero class counts and empty vectors ([ErrInvalidShape]; a rank above 5 for the
// elementwise functions too), then shapes that must agree ([ErrShapeMismatch]), then values: weights
// and alphas ([ErrInvalidArgument]), class indices ([ErrIndexOutOfRange]), probabilities
// ([ErrInvalidProbability]).
//
// # Special values
//
// NaN inputs propagate; infinite inputs give the mathematical limit where one exists and NaN where
// none does; a term whose coefficient is exactly 0 (a weight, pos_weight or alpha of 0, a zero
// target mass) contributes 0 even when the term it multiplies is infinite (but NaN is never masked).
// Positions whose target is ignore_index contribute nothing whatever their logits hold, and the
// gradient of a mean whose denominator is 0 is NaN everywhere. Each function's comment lists its
// special values.
//
// The two entry points of the seed document, [Softmax] and [CrossEntropyLoss], keep their simple
// signatures; their comments give their contracts on bad input.
package xent
