/**
 * The xent catalogue (spec/xent.yaml): softmax, log-sum-exp, logistic functions, entropies and
 * cross-entropy losses with their gradients, grouped by concept like the Python package:
 * {@link org.xent.Primitives}, {@link org.xent.Information}, {@link org.xent.ProbabilityLosses},
 * {@link org.xent.LogitLosses} and {@link org.xent.Gradients}; for ports from PyTorch and ONNX also
 * {@link org.xent.LogProbabilityLosses} (nll_loss, kl_div) and {@link org.xent.AlongAxis} (the row functions
 * along an axis). Issue 17 adds the vector-Jacobian products to {@link org.xent.Gradients} (softmaxGrad,
 * logSoftmaxGrad, focalLossGrad, binaryCrossEntropyGrad, and the grad_output overloads) and the class mask and
 * extra outputs to {@link org.xent.SoftmaxCrossEntropyOptions} ({@code where}, {@code result}); issue 18 adds
 * {@link org.xent.SplitMerge} (online_softmax_merge, lse_merge, cross_entropy_from_shards) and
 * {@link org.xent.LinearCrossEntropy} (fused linear cross-entropy and its gradient).
 * {@link org.xent.CrossEntropy} keeps the two entry points of the seed document 002.
 *
 * <p>Conventions:
 * <ul>
 *   <li>{@code double} arrays are float64 inputs; {@code float} overloads take float32 inputs, compute in
 *       double from them and round each result once to float. Float parameters (epsilon, label smoothing,
 *       gamma, alpha, weights) of a float overload are first rounded to float, as the spec treats them as
 *       values of the dtype.</li>
 *   <li>float16 and bfloat16 values are {@code short} bit patterns of a {@link org.xent.SixteenBit} format. Every
 *       function has a 16-bit form through one widening path: widen the inputs exactly to double, round the
 *       float parameters to the format ({@code round}), run the double overload, round each result once
 *       ({@code narrow}; {@code apply} does the three for a function of one array), or cast it to
 *       {@code float} for the mixed contract ({@code output_dtype} float32). {@link org.xent.Catalogue} runs
 *       any function so for the dtypes {@code "float16"} and {@code "bfloat16"}.</li>
 *   <li>Tensors of any rank are flat row-major arrays plus an {@code int[]} shape; {@code double[][]}
 *       overloads are offered for the common [N, C] case.</li>
 *   <li>A loss with a {@code reduction} is returned as a {@code double} by the method taking a
 *       {@link org.xent.Reduction} ({@code SUM} or {@code MEAN}), and per element (reduction none) by the
 *       method whose name ends in {@code Unreduced}.</li>
 *   <li>Bad input raises {@link org.xent.XentException} with the spec's {@link org.xent.ErrorKind}.</li>
 *   <li>Accuracy: the Blanchard-Higham-Higham log1p form with an exact shift, double-double
 *       (compensated) sums and FMA-exact products, so that each result is within a few ulps of the exact
 *       value times its condition number (the spec's {@code accurate} level). Elementary functions are
 *       {@link java.lang.StrictMath}'s or the package's own, so results are the same on every JVM.</li>
 * </ul>
 */
package org.xent;
