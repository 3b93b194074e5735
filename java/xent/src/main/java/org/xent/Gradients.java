package org.xent;

import static org.xent.SoftmaxCrossEntropyCall.gradCall;
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
        return GradientKernels.softmaxCrossEntropyGrad(gradCall(logits, shape, target, null, options,
                reduction, null), reduction);
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
        return GradientKernels.softmaxCrossEntropyGrad(gradCall(logits, shape, null, target, options,
                reduction, null), reduction);
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
                gradCall(logits, shape, target, null, options, reduction, null), reduction));
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
                gradCall(logits, shape, null, widen(target, "target"), options, reduction, null),
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
        return GradientKernels.bceWithLogitsGrad(z, shape, y, null, weight, posWeight, reduction, null);
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
                roundWeights(posWeight), reduction, null));
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
        return GradientKernels.sigmoidMseGrad(z, y, null);
    }

    /**
     * Float32 {@link #sigmoidMseGrad(double[], double[])}.
     *
     * @param z the logits
     * @param y the targets
     * @return the gradient per element, rounded once to float
     */
    public static float[] sigmoidMseGrad(float[] z, float[] y) {
        return Check.toFloat(GradientKernels.sigmoidMseGrad(widen(z, "z"), widen(y, "y"), null));
    }

    // ------------------------------------------------------------------ under an upstream gradient (issue 17)
    // grad_output has the loss output's shape: the per-position (per-element) values for Reduction.NONE, one
    // value (a scalar) for SUM and MEAN; null means all ones (the overloads above). The result is the
    // vector-Jacobian product; a wrong length is shape_mismatch.

    /**
     * {@link #softmaxCrossEntropyGrad(double[], int[], int[], SoftmaxCrossEntropyOptions, Reduction)} under an
     * upstream gradient: position p's gradient times gradOutput[p] (NONE) or times the scalar (SUM, MEAN);
     * an ignored position's gradient is exactly 0 whatever its grad_output holds.
     *
     * @param logits     row-major logits [N, C, d1..dk]
     * @param shape      the logits' shape
     * @param target     class indices [N, d1..dk]
     * @param options    the loss's options
     * @param reduction  NONE, SUM or MEAN
     * @param gradOutput [N, d1..dk] values for NONE, one for SUM and MEAN, or null (all ones)
     * @return the gradient, the logits' shape
     */
    public static double[] softmaxCrossEntropyGrad(double[] logits, int[] shape, int[] target,
                                                   SoftmaxCrossEntropyOptions options, Reduction reduction,
                                                   double[] gradOutput) {
        Check.notNull(target, "target");
        Check.notNull(options, "options");
        return GradientKernels.softmaxCrossEntropyGrad(gradCall(logits, shape, target, null, options, reduction,
                gradOutput), reduction);
    }

    /**
     * Probability targets under an upstream gradient (see the class-index form).
     *
     * @param logits     row-major logits
     * @param shape      the logits' shape
     * @param target     class probabilities, the logits' shape
     * @param options    the loss's options
     * @param reduction  NONE, SUM or MEAN
     * @param gradOutput [N, d1..dk] values for NONE, one for SUM and MEAN, or null
     * @return the gradient, the logits' shape
     */
    public static double[] softmaxCrossEntropyGrad(double[] logits, int[] shape, double[] target,
                                                   SoftmaxCrossEntropyOptions options, Reduction reduction,
                                                   double[] gradOutput) {
        Check.notNull(target, "target");
        Check.notNull(options, "options");
        return GradientKernels.softmaxCrossEntropyGrad(gradCall(logits, shape, null, target, options, reduction,
                gradOutput), reduction);
    }

    /**
     * {@link #binaryCrossEntropyWithLogitsGrad(double[], int[], double[], double[], double[], Reduction)} under
     * an upstream gradient.
     *
     * @param z          row-major logits
     * @param shape      z's shape
     * @param y          targets in [0, 1]
     * @param weight     w, or null
     * @param posWeight  pw, or null
     * @param reduction  NONE, SUM or MEAN
     * @param gradOutput z's number of values for NONE, one for SUM and MEAN, or null
     * @return the gradient, z's shape
     */
    public static double[] binaryCrossEntropyWithLogitsGrad(double[] z, int[] shape, double[] y, double[] weight,
                                                            double[] posWeight, Reduction reduction, double[] gradOutput) {
        return GradientKernels.bceWithLogitsGrad(z, shape, y, null, weight, posWeight, reduction, gradOutput);
    }

    /**
     * {@link #sigmoidMseGrad(double[], double[])} under an upstream gradient of z's shape.
     *
     * @param z          the logits
     * @param y          the targets in [0, 1]
     * @param gradOutput one value per element, or null
     * @return the gradient per element
     */
    public static double[] sigmoidMseGrad(double[] z, double[] y, double[] gradOutput) {
        return GradientKernels.sigmoidMseGrad(z, y, gradOutput);
    }

    /**
     * The vector-Jacobian product of softmax along an axis: {@code g_j (v_j - sum_i g_i v_i)}, g = softmax(x).
     *
     * @param x          row-major input of rank 1 to 8
     * @param shape      x's shape
     * @param axis       the softmax axis (negative counts from the end)
     * @param gradOutput v, x's shape
     * @return the product, x's shape
     * @throws XentException as {@link AlongAxis#softmax(double[], int[], int)}, shape_mismatch for v
     */
    public static double[] softmaxGrad(double[] x, int[] shape, int axis, double[] gradOutput) {
        return AlongAxis.vjp(x, shape, axis, gradOutput, false);
    }

    /**
     * Float32 {@link #softmaxGrad(double[], int[], int, double[])}.
     *
     * @param x          the input
     * @param shape      x's shape
     * @param axis       the axis
     * @param gradOutput v
     * @return the product, each element rounded once to float
     */
    public static float[] softmaxGrad(float[] x, int[] shape, int axis, float[] gradOutput) {
        return Check.toFloat(AlongAxis.vjp(widen(x, "x"), shape, axis, widen(gradOutput, "grad_output"), false));
    }

    /**
     * The vector-Jacobian product of log_softmax along an axis: {@code v_j - g_j sum_i v_i}.
     *
     * @param x          row-major input of rank 1 to 8
     * @param shape      x's shape
     * @param axis       the axis
     * @param gradOutput v, x's shape
     * @return the product, x's shape
     */
    public static double[] logSoftmaxGrad(double[] x, int[] shape, int axis, double[] gradOutput) {
        return AlongAxis.vjp(x, shape, axis, gradOutput, true);
    }

    /**
     * Float32 {@link #logSoftmaxGrad(double[], int[], int, double[])}.
     *
     * @param x          the input
     * @param shape      x's shape
     * @param axis       the axis
     * @param gradOutput v
     * @return the product, each element rounded once to float
     */
    public static float[] logSoftmaxGrad(float[] x, int[] shape, int axis, float[] gradOutput) {
        return Check.toFloat(AlongAxis.vjp(widen(x, "x"), shape, axis, widen(gradOutput, "grad_output"), true));
    }

    /**
     * Gradient of the softmax focal loss with respect to the logits (times the upstream gradient).
     *
     * @param logits     row-major logits [N, C]
     * @param shape      {N, C}
     * @param target     class indices [N]
     * @param gamma      the focusing parameter, finite and &gt;= 0
     * @param alpha      class weights [C], or null
     * @param reduction  NONE, SUM or MEAN (divides by N)
     * @param gradOutput N values for NONE, one for SUM and MEAN, or null
     * @return the gradient [N, C]
     */
    public static double[] focalLossGrad(double[] logits, int[] shape, int[] target, double gamma, double[] alpha,
                                         Reduction reduction, double[] gradOutput) {
        return GradientKernels.focalLossGrad(logits, shape, target, gamma, alpha, reduction, gradOutput);
    }

    /**
     * Float32 {@link #focalLossGrad(double[], int[], int[], double, double[], Reduction, double[])}.
     *
     * @param logits     row-major logits
     * @param shape      {N, C}
     * @param target     class indices
     * @param gamma      rounded to float
     * @param alpha      rounded to float, or null
     * @param reduction  NONE, SUM or MEAN
     * @param gradOutput the upstream gradient, or null
     * @return the gradient, each element rounded once to float
     */
    public static float[] focalLossGrad(float[] logits, int[] shape, int[] target, double gamma, double[] alpha,
                                        Reduction reduction, float[] gradOutput) {
        return Check.toFloat(GradientKernels.focalLossGrad(widen(logits, "logits"), shape, target, (float) gamma,
                roundWeights(alpha), reduction, Float32.widenOrNull(gradOutput)));
    }

    /**
     * Gradient of binary cross-entropy from probabilities with respect to p, through the clip:
     * {@code -(y / p - (1 - y) / (1 - p))} for epsilon &lt;= p &lt;= 1 - epsilon, 0 strictly outside.
     *
     * @param y          targets in [0, 1]
     * @param p          probabilities in [0, 1], y's length
     * @param epsilon    the clip, in [0, 1/2)
     * @param reduction  NONE, SUM or MEAN (divides by the number of elements)
     * @param gradOutput one value per element for NONE, one for SUM and MEAN, or null
     * @return the gradient per element
     */
    public static double[] binaryCrossEntropyGrad(double[] y, double[] p, double epsilon, Reduction reduction,
                                                  double[] gradOutput) {
        return GradientKernels.binaryCrossEntropyGrad(y, p, epsilon, reduction, gradOutput);
    }

    /**
     * Float32 {@link #binaryCrossEntropyGrad(double[], double[], double, Reduction, double[])}.
     *
     * @param y          targets
     * @param p          probabilities
     * @param epsilon    rounded to float
     * @param reduction  NONE, SUM or MEAN
     * @param gradOutput the upstream gradient, or null
     * @return the gradient, each element rounded once to float
     */
    public static float[] binaryCrossEntropyGrad(float[] y, float[] p, double epsilon, Reduction reduction,
                                                 float[] gradOutput) {
        return Check.toFloat(GradientKernels.binaryCrossEntropyGrad(widen(y, "y"), widen(p, "p"), (float) epsilon,
                reduction, Float32.widenOrNull(gradOutput)));
    }
}
