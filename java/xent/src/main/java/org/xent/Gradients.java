package org.xent;

import static org.xent.SoftmaxCrossEntropyCall.call;
import static org.xent.Float32.roundWeights;
import static org.xent.Float32.widen;

/**
 * Gradients with respect to the logits: of softmax cross-entropy, of binary cross-entropy with logits
 * and of the squared error of a sigmoid (Python: {@code xent.grads}).
 * The conventions of every public class of the package are in its package documentation.
 */
public final class Gradients {
    private Gradients() {
    }

    /**
     * Gradient of softmax cross-entropy (class-index targets) with respect to the logits: with
     * {@code m_c = w_c q_c} and {@code g = softmax} over axis 1, {@code d loss / d x_c = g_c sum_j m_j - m_c};
     * ignored positions give 0; multiplied by 1 for NONE and SUM, divided by the mean's denominator for
     * MEAN (a zero denominator gives NaN everywhere).
     *
     * @param logits    row-major logits [N, C, d1..dk]
     * @param shape     the logits' shape
     * @param target    class indices [N, d1..dk]
     * @param options   weight, ignore_index, label smoothing and its mode
     * @param reduction the loss's reduction (NONE, SUM or MEAN)
     * @return the gradient, the logits' shape
     * @throws XentException as {@link LogitLosses#softmaxCrossEntropyUnreduced(double[], int[], int[], SoftmaxCrossEntropyOptions)}
     */
    public static double[] softmaxCrossEntropyGrad(double[] logits, int[] shape, int[] target,
                                                   SoftmaxCrossEntropyOptions options, Reduction reduction) {
        Check.notNull(target, "target");
        Check.notNull(options, "options");
        return GradientKernels.softmaxCrossEntropyGrad(call(logits, shape, target, null, options),
                reduction);
    }

    /**
     * Gradient of softmax cross-entropy with probability targets: {@code g_c sum_j m_j - m_c} with
     * {@code m_c = w_c t'_c}; divided by the number of positions for MEAN.
     *
     * @param logits    row-major logits
     * @param shape     the logits' shape
     * @param target    class probabilities, the logits' shape
     * @param options   weight, label smoothing and its mode
     * @param reduction NONE, SUM or MEAN
     * @return the gradient, the logits' shape
     */
    public static double[] softmaxCrossEntropyGrad(double[] logits, int[] shape, double[] target,
                                                   SoftmaxCrossEntropyOptions options, Reduction reduction) {
        Check.notNull(target, "target");
        Check.notNull(options, "options");
        return GradientKernels.softmaxCrossEntropyGrad(call(logits, shape, null, target, options),
                reduction);
    }

    /**
     * Float32 {@link #softmaxCrossEntropyGrad(double[], int[], int[], SoftmaxCrossEntropyOptions, Reduction)}.
     *
     * @param logits    row-major logits
     * @param shape     the logits' shape
     * @param target    class indices
     * @param options   the options (rounded to float)
     * @param reduction NONE, SUM or MEAN
     * @return the gradient, each element rounded once to float
     */
    public static float[] softmaxCrossEntropyGrad(float[] logits, int[] shape, int[] target,
                                                  SoftmaxCrossEntropyOptions options, Reduction reduction) {
        Check.notNull(target, "target");
        Check.notNull(options, "options");
        return Check.toFloat(GradientKernels.softmaxCrossEntropyGrad(
                call(logits, shape, target, null, options), reduction));
    }

    /**
     * Float32 {@link #softmaxCrossEntropyGrad(double[], int[], double[], SoftmaxCrossEntropyOptions, Reduction)}.
     *
     * @param logits    row-major logits
     * @param shape     the logits' shape
     * @param target    class probabilities
     * @param options   the options (rounded to float)
     * @param reduction NONE, SUM or MEAN
     * @return the gradient, each element rounded once to float
     */
    public static float[] softmaxCrossEntropyGrad(float[] logits, int[] shape, float[] target,
                                                  SoftmaxCrossEntropyOptions options, Reduction reduction) {
        Check.notNull(options, "options");
        return Check.toFloat(GradientKernels.softmaxCrossEntropyGrad(
                call(logits, shape, null, widen(target, "target"), options),
                reduction));
    }

    /**
     * Gradient of binary cross-entropy from logits with respect to z:
     * {@code w ((1 - y) sigmoid(z) - pw y sigmoid(-z))} (= {@code w (sigmoid(z) - y)} for pw = 1),
     * divided by numel(z) for MEAN.
     *
     * @param z         row-major logits
     * @param shape     z's shape
     * @param y         targets in [0, 1]
     * @param weight    w, or null
     * @param posWeight pw, or null
     * @param reduction NONE, SUM or MEAN
     * @return the gradient, z's shape
     */
    public static double[] binaryCrossEntropyWithLogitsGrad(double[] z, int[] shape, double[] y, double[] weight,
                                                            double[] posWeight, Reduction reduction) {
        return GradientKernels.bceWithLogitsGrad(z, shape, y, null, weight, posWeight, reduction);
    }

    /**
     * Float32 {@link #binaryCrossEntropyWithLogitsGrad(double[], int[], double[], double[], double[], Reduction)}.
     *
     * @param z         row-major logits
     * @param shape     z's shape
     * @param y         targets
     * @param weight    w, or null (rounded to float)
     * @param posWeight pw, or null (rounded to float)
     * @param reduction NONE, SUM or MEAN
     * @return the gradient, each element rounded once to float
     */
    public static float[] binaryCrossEntropyWithLogitsGrad(float[] z, int[] shape, float[] y, double[] weight,
                                                           double[] posWeight, Reduction reduction) {
        return Check.toFloat(GradientKernels.bceWithLogitsGrad(widen(z, "z"), shape, widen(y, "y"), null, roundWeights(weight),
                roundWeights(posWeight), reduction));
    }

    /**
     * Gradient of the squared error {@code (y - sigmoid(z))^2 / 2} with respect to z, elementwise:
     * {@code (p - y) p (1 - p)} with {@code p = sigmoid(z)} and {@code 1 - p = sigmoid(-z)}.
     *
     * @param z the logits (any shape, flat)
     * @param y the targets in [0, 1], same length
     * @return the gradient per element
     * @throws XentException {@code shape_mismatch}, {@code invalid_probability}
     */
    public static double[] sigmoidMseGrad(double[] z, double[] y) {
        return GradientKernels.sigmoidMseGrad(z, y);
    }

    /**
     * Float32 {@link #sigmoidMseGrad(double[], double[])}.
     *
     * @param z the logits
     * @param y the targets
     * @return the gradient per element, rounded once to float
     */
    public static float[] sigmoidMseGrad(float[] z, float[] y) {
        return Check.toFloat(GradientKernels.sigmoidMseGrad(widen(z, "z"), widen(y, "y")));
    }
}
