// Package xent is the Go reference implementation of the xent catalogue: softmax, log-softmax,
// log-sum-exp, the elementwise logistic functions, entropy, cross-entropy and Kullback-Leibler
// divergence, the classification losses built on them (from probabilities and from logits), and the
// gradients of the logit losses; for ports from PyTorch and ONNX also NLLLoss and KLDiv on
// log-probabilities and the row functions along an axis of a tensor (SoftmaxTensor,
// LogSoftmaxTensor, LogSumExpTensor). For large-model training (issues 17 and 18): gradients under an
// upstream gradient ([WithGradOutput]; [SoftmaxGrad], [LogSoftmaxGrad], [FocalLossGrad],
// [BinaryCrossEntropyGrad]), a class mask and extra outputs of SoftmaxCrossEntropy ([WithWhere],
// [WithResult]), the merge primitives of split softmax ([OnlineSoftmaxMerge], [LSEMerge]),
// cross-entropy from vocabulary-parallel statistics ([CrossEntropyFromShards]) and fused linear
// cross-entropy on exact logits ([LinearCrossEntropy], [LinearCrossEntropyGrad]). The normative
// definitions are in spec/xent.yaml of the xent repository; every exported function's doc comment
// repeats its formula.
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
// # 16-bit dtypes
//
// [Float16] (IEEE binary16) and [BFloat16] values are bit patterns (uint16). [Float16From] and
// [BFloat16From] round a float64 once (to nearest, ties to even, with subnormals and overflow to
// +-inf; never through float32), and their Float64 methods widen exactly. Every function has a 16-bit
// form through the same three steps, written once rather than per function:
//
//	loss, err := xent.Narrow[xent.BFloat16](xent.SoftmaxCrossEntropy(xent.Widen(logits), target,
//		xent.WithLabelSmoothing(0.1), xent.WithDtype[xent.BFloat16]()))
//
// [Widen] (or [WidenSlice], or a value's Float64 method) widens the inputs exactly to float64,
// [WithDtype] makes the float parameters (given or default, weights included) values of the 16-bit
// format, and [Narrow] ([NarrowSlice], [NarrowScalar]) rounds the float64 result once. Narrow[float32]
// is the specification's mixed contract (output_dtype float32, what autocast runs): 16-bit inputs, a
// float32 result rounded once. This meets the `accurate` tolerance: the float64 result is within a
// few float64 ulps (about 2^-50 relative) of the exact value, so after the final rounding the error
// is at most half a 16-bit (or float32) ulp plus a negligible fraction.
//
// # Errors
//
// Functions that can fail on bad input return (value, error). Every error wraps one of the sentinel
// values [ErrInvalidShape], [ErrShapeMismatch], [ErrIndexOutOfRange], [ErrInvalidProbability] and
// [ErrInvalidArgument] (test with errors.Is), and its message names the argument, index or shape at
// fault. No function panics on bad input. When several kinds apply, the first failing step of the
// specification's precedence decides: options on their own ([ErrInvalidArgument]: an option the
// function does not take, an enum value, a scalar outside its domain; [CheckOptions] runs this step
// alone), then ranks, zero class counts and empty vectors ([ErrInvalidShape]; a rank above 8 for the
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
