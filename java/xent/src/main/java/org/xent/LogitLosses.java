package org.xent;

import static org.xent.SoftmaxCrossEntropyCall.call;
import static org.xent.Float32.asFloat32;
import static org.xent.Float32.roundWeights;
import static org.xent.Float32.toFloat;
import static org.xent.Float32.widen;

/**
 * Losses from logits: softmax cross-entropy, binary cross-entropy with logits, the focal loss and
 * the sigmoid focal loss (Python: {@code xent.logit_losses}).
 * The conventions of every public class of the package are in its package documentation.
 */
public final class LogitLosses {
    private LogitLosses() {
    }

    /**
     * Softmax cross-entropy with class-index targets, per position (reduction none). With
     * {@code lp = log_softmax} over axis 1 of logits [N, C, d1..dk] and y the target of a position,
     * {@code loss = -sum_c w_c q_c lp_c}, where {@code q_c = (1 - eps)[c = y] + eps / C} (uniform) or
     * {@code (1 - eps)[c = y] + eps / (C - 1) [c != y]} (off_target); ignored positions (target =
     * ignore_index) give 0.
     *
     * @param logits  row-major logits
     * @param shape   [N, C, d1..dk], rank 2 to 8, C &gt;= 1
     * @param target  class indices, row-major [N, d1..dk]
     * @param options weight, ignore_index, label smoothing and its mode
     * @return one loss per position, row-major [N, d1..dk]
     * @throws XentException {@code invalid_shape}, {@code shape_mismatch}, {@code index_out_of_range},
     *                       {@code invalid_argument}
     */
    public static double[] softmaxCrossEntropyUnreduced(double[] logits, int[] shape, int[] target,
                                                        SoftmaxCrossEntropyOptions options) {
        Check.notNull(target, "target");
        Check.notNull(options, "options");
        return LogitLossKernels.softmaxCrossEntropy(call(logits, shape, target, null, options)).values();
    }

    /**
     * Softmax cross-entropy with class-index targets, reduced: sum of the position losses, or their sum
     * divided by {@code sum over non-ignored positions of w_y} (mean; 0/0 = NaN when all are ignored).
     *
     * @param logits    row-major logits [N, C, d1..dk]
     * @param shape     the logits' shape
     * @param target    class indices [N, d1..dk]
     * @param options   weight, ignore_index, label smoothing and its mode
     * @param reduction SUM or MEAN
     * @return the reduced loss
     */
    public static double softmaxCrossEntropy(double[] logits, int[] shape, int[] target,
                                             SoftmaxCrossEntropyOptions options, Reduction reduction) {
        Check.reduced(reduction, "softmaxCrossEntropy");
        Check.notNull(target, "target");
        Check.notNull(options, "options");
        return LogitLossKernels.softmaxCrossEntropy(call(logits, shape, target, null, options))
                .reduce(reduction);
    }

    /**
     * {@link #softmaxCrossEntropy(double[], int[], int[], SoftmaxCrossEntropyOptions, Reduction)} for [N, C]
     * logits and the default options: {@code mean_n (a_n - x[n, y_n] + log1p(s_n))}.
     *
     * @param logits    N rows of C logits
     * @param target    N class indices
     * @param reduction SUM or MEAN
     * @return the reduced loss
     */
    public static double softmaxCrossEntropy(double[][] logits, int[] target, Reduction reduction) {
        return softmaxCrossEntropy(Check.flatten(logits, "logits"), Check.shape2(logits), target,
                SoftmaxCrossEntropyOptions.defaults(), reduction);
    }

    /**
     * Softmax cross-entropy with probability targets (same shape as the logits), per position:
     * {@code t' = (1 - eps) t + eps / C} (uniform) or {@code (1 - eps) t + eps / (C - 1) (1 - t)} (off_target),
     * {@code loss = -sum_c w_c t'_c lp_c}. ignore_index has no effect.
     *
     * @param logits  row-major logits [N, C, d1..dk]
     * @param shape   the logits' shape
     * @param target  class probabilities, the logits' shape, each in [0, 1]
     * @param options weight, label smoothing and its mode
     * @return one loss per position [N, d1..dk]
     * @throws XentException {@code invalid_shape}, {@code shape_mismatch}, {@code invalid_probability},
     *                       {@code invalid_argument}
     */
    public static double[] softmaxCrossEntropyUnreduced(double[] logits, int[] shape, double[] target,
                                                        SoftmaxCrossEntropyOptions options) {
        Check.notNull(target, "target");
        Check.notNull(options, "options");
        return LogitLossKernels.softmaxCrossEntropy(call(logits, shape, null, target, options)).values();
    }

    /**
     * Softmax cross-entropy with probability targets, reduced: the sum, or the sum divided by the number
     * of positions N * d1 * ... * dk (mean), weights or not.
     *
     * @param logits    row-major logits
     * @param shape     the logits' shape
     * @param target    class probabilities, the logits' shape
     * @param options   weight, label smoothing and its mode
     * @param reduction SUM or MEAN
     * @return the reduced loss
     */
    public static double softmaxCrossEntropy(double[] logits, int[] shape, double[] target,
                                             SoftmaxCrossEntropyOptions options, Reduction reduction) {
        Check.reduced(reduction, "softmaxCrossEntropy");
        Check.notNull(target, "target");
        Check.notNull(options, "options");
        return LogitLossKernels.softmaxCrossEntropy(call(logits, shape, null, target, options))
                .reduce(reduction);
    }

    /**
     * Float32 softmax cross-entropy with class-index targets, per position; options rounded to float.
     *
     * @param logits  row-major logits
     * @param shape   the logits' shape
     * @param target  class indices
     * @param options the options
     * @return one loss per position, each rounded once to float
     */
    public static float[] softmaxCrossEntropyUnreduced(float[] logits, int[] shape, int[] target,
                                                       SoftmaxCrossEntropyOptions options) {
        Check.notNull(options, "options");
        Check.notNull(target, "target");
        SoftmaxCrossEntropyCall g = call(logits, shape, target, null, options);
        double[] fast = Float32Kernels.softmaxCrossEntropyIfFast(g);
        return Check.toFloat(fast != null ? fast : LogitLossKernels.softmaxCrossEntropy(g).values());
    }

    /**
     * Float32 softmax cross-entropy with class-index targets, reduced; options rounded to float.
     *
     * @param logits    row-major logits
     * @param shape     the logits' shape
     * @param target    class indices
     * @param options   the options
     * @param reduction SUM or MEAN
     * @return the reduced loss rounded once to float
     */
    public static float softmaxCrossEntropy(float[] logits, int[] shape, int[] target,
                                            SoftmaxCrossEntropyOptions options, Reduction reduction) {
        Check.reduced(reduction, "softmaxCrossEntropy");
        Check.notNull(options, "options");
        Check.notNull(target, "target");
        SoftmaxCrossEntropyCall g = call(logits, shape, target, null, options);
        double fast = Float32Kernels.softmaxCrossEntropy(g, reduction);
        return toFloat(!Double.isNaN(fast) ? fast : LogitLossKernels.softmaxCrossEntropy(g).reduce(reduction));
    }

    /**
     * Float32 softmax cross-entropy with probability targets, per position; options rounded to float.
     *
     * @param logits  row-major logits
     * @param shape   the logits' shape
     * @param target  class probabilities
     * @param options the options
     * @return one loss per position, each rounded once to float
     */
    public static float[] softmaxCrossEntropyUnreduced(float[] logits, int[] shape, float[] target,
                                                       SoftmaxCrossEntropyOptions options) {
        Check.notNull(options, "options");
        return Check.toFloat(LogitLossKernels.softmaxCrossEntropy(
                call(logits, shape, null, widen(target, "target"), options)).values());
    }

    /**
     * Float32 softmax cross-entropy with probability targets, reduced; options rounded to float.
     *
     * @param logits    row-major logits
     * @param shape     the logits' shape
     * @param target    class probabilities
     * @param options   the options
     * @param reduction SUM or MEAN
     * @return the reduced loss rounded once to float
     */
    public static float softmaxCrossEntropy(float[] logits, int[] shape, float[] target,
                                            SoftmaxCrossEntropyOptions options, Reduction reduction) {
        Check.reduced(reduction, "softmaxCrossEntropy");
        Check.notNull(options, "options");
        return toFloat(LogitLossKernels.softmaxCrossEntropy(
                call(logits, shape, null, widen(target, "target"), options))
                .reduce(reduction));
    }

    /**
     * Binary cross-entropy from logits, elementwise:
     * {@code l = w (pw y softplus(-z) + (1 - y) softplus(z))}, w = pw = 1 when absent; weight and pos_weight
     * have z's shape or shape [C] with C the last dimension (broadcast along the last axis).
     *
     * @param z         row-major logits
     * @param shape     z's shape, rank 1 to 8 (y has the same shape)
     * @param y         targets in [0, 1]
     * @param weight    w, or null
     * @param posWeight pw, or null
     * @return l, one per element
     * @throws XentException {@code invalid_shape}, {@code shape_mismatch}, {@code invalid_probability},
     *                       {@code invalid_argument}
     */
    public static double[] binaryCrossEntropyWithLogitsUnreduced(double[] z, int[] shape, double[] y,
                                                                 double[] weight, double[] posWeight) {
        return LogitLossKernels.bceWithLogits(z, shape, y, null, weight, posWeight).values();
    }

    /**
     * Binary cross-entropy from logits, reduced (sum, or mean over numel(z)).
     *
     * @param z         row-major logits
     * @param shape     z's shape
     * @param y         targets in [0, 1]
     * @param weight    w, or null
     * @param posWeight pw, or null
     * @param reduction SUM or MEAN
     * @return the reduced loss
     */
    public static double binaryCrossEntropyWithLogits(double[] z, int[] shape, double[] y, double[] weight,
                                                      double[] posWeight, Reduction reduction) {
        Check.reduced(reduction, "binaryCrossEntropyWithLogits");
        return LogitLossKernels.bceWithLogitsReduced(z, shape, y, null, weight, posWeight, reduction);
    }

    /**
     * Float32 {@link #binaryCrossEntropyWithLogitsUnreduced}; weights rounded to float.
     *
     * @param z         row-major logits
     * @param shape     z's shape
     * @param y         targets
     * @param weight    w, or null
     * @param posWeight pw, or null
     * @return l, each rounded once to float
     */
    public static float[] binaryCrossEntropyWithLogitsUnreduced(float[] z, int[] shape, float[] y,
                                                                double[] weight, double[] posWeight) {
        if (weight == null && posWeight == null) {
            LogitLossKernels.checkLogitPair(z, z == null ? 0 : z.length, shape, y, y == null ? 0 : y.length, null);
            double[] fast = Float32Kernels.bceWithLogits(z, y);
            if (fast != null) {
                return Check.toFloat(fast);
            }
        }
        return Check.toFloat(LogitLossKernels.bceWithLogits(widen(z, "z"), shape, widen(y, "y"), null, roundWeights(weight),
                roundWeights(posWeight)).values());
    }

    /**
     * Float32 {@link #binaryCrossEntropyWithLogits}; weights rounded to float.
     *
     * @param z         row-major logits
     * @param shape     z's shape
     * @param y         targets
     * @param weight    w, or null
     * @param posWeight pw, or null
     * @param reduction SUM or MEAN
     * @return the reduced loss rounded once to float
     */
    public static float binaryCrossEntropyWithLogits(float[] z, int[] shape, float[] y, double[] weight,
                                                     double[] posWeight, Reduction reduction) {
        Check.reduced(reduction, "binaryCrossEntropyWithLogits");
        if (weight == null && posWeight == null) {
            int n = LogitLossKernels.checkLogitPair(z, z == null ? 0 : z.length, shape, y, y == null ? 0 : y.length, null);
            double sum = n == 0 ? Double.NaN : Float32Kernels.bceWithLogitsSum(z, y);
            if (!Double.isNaN(sum)) {
                return toFloat(reduction == Reduction.MEAN ? sum / n : sum);
            }
        }
        return toFloat(LogitLossKernels.bceWithLogitsReduced(widen(z, "z"), shape, widen(y, "y"), null, roundWeights(weight),
                roundWeights(posWeight), reduction));
    }

    /**
     * Softmax focal loss per row (seed document 000): {@code p_t = softmax(x_n)_{y_n}},
     * {@code FL_n = alpha_{y_n} (1 - p_t)^gamma (-log p_t)}, alpha = 1 when absent, 0^0 = 1; evaluated with
     * {@code -log p_t = (a - x_y) + log1p(s)} and {@code 1 - p_t} formed without cancellation.
     *
     * @param logits row-major [N, C] logits
     * @param shape  {N, C}, C &gt;= 1
     * @param target N class indices in [0, C)
     * @param gamma  the focusing parameter, finite and &gt;= 0 (default 2)
     * @param alpha  per-class weights [C], finite and &gt;= 0, or null
     * @return FL, length N
     * @throws XentException {@code invalid_shape}, {@code shape_mismatch}, {@code index_out_of_range},
     *                       {@code invalid_argument}
     */
    public static double[] focalLossUnreduced(double[] logits, int[] shape, int[] target, double gamma, double[] alpha) {
        return LogitLossKernels.focalLoss(logits, shape, target, gamma, alpha).values();
    }

    /**
     * Softmax focal loss reduced: the sum, or the sum divided by N (not by the sum of alpha).
     *
     * @param logits    row-major [N, C] logits
     * @param shape     {N, C}
     * @param target    N class indices
     * @param gamma     the focusing parameter
     * @param alpha     per-class weights, or null
     * @param reduction SUM or MEAN
     * @return the reduced loss
     */
    public static double focalLoss(double[] logits, int[] shape, int[] target, double gamma, double[] alpha,
                                   Reduction reduction) {
        Check.reduced(reduction, "focalLoss");
        return LogitLossKernels.focalLoss(logits, shape, target, gamma, alpha).reduce(reduction);
    }

    /**
     * {@link #focalLoss(double[], int[], int[], double, double[], Reduction)} for a [N, C] matrix.
     *
     * @param logits    N rows of C logits
     * @param target    N class indices
     * @param gamma     the focusing parameter
     * @param alpha     per-class weights, or null
     * @param reduction SUM or MEAN
     * @return the reduced loss
     */
    public static double focalLoss(double[][] logits, int[] target, double gamma, double[] alpha, Reduction reduction) {
        return focalLoss(Check.flatten(logits, "logits"), Check.shape2(logits), target, gamma, alpha, reduction);
    }

    /**
     * Float32 {@link #focalLossUnreduced}; gamma and alpha rounded to float.
     *
     * @param logits row-major [N, C]
     * @param shape  {N, C}
     * @param target N class indices
     * @param gamma  the focusing parameter
     * @param alpha  per-class weights, or null
     * @return FL, each rounded once to float
     */
    public static float[] focalLossUnreduced(float[] logits, int[] shape, int[] target, double gamma, double[] alpha) {
        return Check.toFloat(LogitLossKernels.focalLoss(widen(logits, "logits"), shape, target, asFloat32(gamma), roundWeights(alpha)).values());
    }

    /**
     * Float32 {@link #focalLoss(double[], int[], int[], double, double[], Reduction)}.
     *
     * @param logits    row-major [N, C]
     * @param shape     {N, C}
     * @param target    N class indices
     * @param gamma     the focusing parameter
     * @param alpha     per-class weights, or null
     * @param reduction SUM or MEAN
     * @return the reduced loss rounded once to float
     */
    public static float focalLoss(float[] logits, int[] shape, int[] target, double gamma, double[] alpha,
                                  Reduction reduction) {
        Check.reduced(reduction, "focalLoss");
        return toFloat(LogitLossKernels.focalLoss(widen(logits, "logits"), shape, target, asFloat32(gamma), roundWeights(alpha)).reduce(reduction));
    }

    /**
     * Sigmoid focal loss (RetinaNet, torchvision), elementwise:
     * {@code ce = y softplus(-z) + (1 - y) softplus(z)}, {@code 1 - p_t = y sigmoid(-z) + (1 - y) sigmoid(z)},
     * {@code loss = ce (1 - p_t)^gamma}, times {@code alpha y + (1 - alpha)(1 - y)} when alpha is not null.
     *
     * @param z     row-major logits
     * @param shape z's shape, rank 1 to 8 (y has the same shape)
     * @param y     targets in [0, 1]
     * @param alpha in [0, 1], or null to disable the weighting (default 0.25)
     * @param gamma finite, &gt;= 0 (default 2)
     * @return the loss per element
     * @throws XentException {@code invalid_shape}, {@code shape_mismatch}, {@code invalid_probability},
     *                       {@code invalid_argument}
     */
    public static double[] sigmoidFocalLossUnreduced(double[] z, int[] shape, double[] y, Double alpha, double gamma) {
        return LogitLossKernels.sigmoidFocalLoss(z, shape, y, null, alpha, gamma).values();
    }

    /**
     * Sigmoid focal loss reduced: the sum, or the mean over numel(z).
     *
     * @param z         row-major logits
     * @param shape     z's shape
     * @param y         targets in [0, 1]
     * @param alpha     in [0, 1], or null
     * @param gamma     finite, &gt;= 0
     * @param reduction SUM or MEAN
     * @return the reduced loss
     */
    public static double sigmoidFocalLoss(double[] z, int[] shape, double[] y, Double alpha, double gamma,
                                          Reduction reduction) {
        Check.reduced(reduction, "sigmoidFocalLoss");
        return LogitLossKernels.sigmoidFocalLoss(z, shape, y, null, alpha, gamma).reduce(reduction);
    }

    /**
     * Float32 {@link #sigmoidFocalLossUnreduced}; alpha and gamma rounded to float.
     *
     * @param z     row-major logits
     * @param shape z's shape
     * @param y     targets
     * @param alpha in [0, 1], or null
     * @param gamma finite, &gt;= 0
     * @return the loss per element, rounded once to float
     */
    public static float[] sigmoidFocalLossUnreduced(float[] z, int[] shape, float[] y, Double alpha, double gamma) {
        return Check.toFloat(LogitLossKernels.sigmoidFocalLoss(widen(z, "z"), shape, widen(y, "y"), null,
                alpha == null ? null : asFloat32(alpha), asFloat32(gamma)).values());
    }

    /**
     * Float32 {@link #sigmoidFocalLoss(double[], int[], double[], Double, double, Reduction)}.
     *
     * @param z         row-major logits
     * @param shape     z's shape
     * @param y         targets
     * @param alpha     in [0, 1], or null
     * @param gamma     finite, &gt;= 0
     * @param reduction SUM or MEAN
     * @return the reduced loss rounded once to float
     */
    public static float sigmoidFocalLoss(float[] z, int[] shape, float[] y, Double alpha, double gamma,
                                         Reduction reduction) {
        Check.reduced(reduction, "sigmoidFocalLoss");
        return toFloat(LogitLossKernels.sigmoidFocalLoss(widen(z, "z"), shape, widen(y, "y"), null,
                alpha == null ? null : asFloat32(alpha), asFloat32(gamma)).reduce(reduction));
    }
}
