package org.xent;

/**
 * Fused linear cross-entropy (issue 18; Python: {@code xent.linear}): softmax cross-entropy of the logits
 * {@code z = hidden @ linear_weight^T + linear_bias} with class-index targets, and its gradient with
 * respect to hidden, linear_weight or linear_bias. The golden values take the logits exact; here each
 * logit is a compensated dot product (FMA-exact products, float32 and 16-bit products exact in double,
 * summed in double-double) rounded once to double, then the float64 cross-entropy and its gradient run
 * on it, and the chain rule sums exact products the same way: one rounding per result beyond the logits'.
 * An ignored position's hidden row is never read (D2). hidden is [N, H] and linear_weight [C, H], flat
 * row-major; {@code options} are softmax_cross_entropy's (class weight, ignore_index, label smoothing,
 * logit_scale, softcap, z_loss, empty_mean; where and result must keep their defaults).
 * The conventions of every public class of the package are in its package documentation.
 */
public final class LinearCrossEntropy {
    private LinearCrossEntropy() {
    }

    /**
     * One loss per position.
     *
     * @param hidden       [N, H]
     * @param hiddenShape  {N, H}
     * @param linearWeight [C, H]
     * @param weightShape  {C, H}
     * @param target       class indices [N]
     * @param linearBias   [C], or null
     * @param options      the cross-entropy's options
     * @return [N] losses
     * @throws XentException in the spec's error precedence
     */
    public static double[] linearCrossEntropyUnreduced(double[] hidden, int[] hiddenShape, double[] linearWeight,
                                                       int[] weightShape, int[] target, double[] linearBias,
                                                       SoftmaxCrossEntropyOptions options) {
        Logits z = Logits.of(hidden, hiddenShape, linearWeight, weightShape, target, linearBias, options, null);
        return LogitLosses.softmaxCrossEntropyUnreduced(z.values, z.shape(), target, options);
    }

    /**
     * The loss reduced (SUM, or MEAN over the sum of w_y of the non-ignored positions plus the z-loss mean).
     *
     * @param hidden       [N, H]
     * @param hiddenShape  {N, H}
     * @param linearWeight [C, H]
     * @param weightShape  {C, H}
     * @param target       class indices [N]
     * @param linearBias   [C], or null
     * @param options      the cross-entropy's options
     * @param reduction    SUM or MEAN
     * @return the reduced loss
     */
    public static double linearCrossEntropy(double[] hidden, int[] hiddenShape, double[] linearWeight,
                                            int[] weightShape, int[] target, double[] linearBias,
                                            SoftmaxCrossEntropyOptions options, Reduction reduction) {
        Check.reduced(reduction, "linearCrossEntropy");
        Logits z = Logits.of(hidden, hiddenShape, linearWeight, weightShape, target, linearBias, options, null);
        return LogitLosses.softmaxCrossEntropy(z.values, z.shape(), target, options, reduction);
    }

    /**
     * The gradient with respect to wrt, under an upstream gradient: with G = grad_output times
     * d loss / d z (softmax_cross_entropy_grad's on the logits; ignored positions 0), hidden: G @ linear_weight,
     * linear_weight: G^T @ hidden (ignored rows left out), linear_bias: G summed over the positions. A mean over
     * a zero denominator gives NaN everywhere (D3, N = 0 included) unless empty_mean is zero.
     *
     * @param hidden       [N, H]
     * @param hiddenShape  {N, H}
     * @param linearWeight [C, H]
     * @param weightShape  {C, H}
     * @param target       class indices [N]
     * @param linearBias   [C], or null (then wrt must not be LINEAR_BIAS)
     * @param options      the cross-entropy's options
     * @param reduction    NONE, SUM or MEAN
     * @param wrt          the input differentiated
     * @param gradOutput   [N] for NONE, one value for SUM and MEAN, or null (ones)
     * @return the gradient, wrt's shape
     */
    public static double[] linearCrossEntropyGrad(double[] hidden, int[] hiddenShape, double[] linearWeight,
                                                  int[] weightShape, int[] target, double[] linearBias,
                                                  SoftmaxCrossEntropyOptions options, Reduction reduction,
                                                  LinearWrt wrt, double[] gradOutput) {
        Check.notNull(reduction, "reduction");
        Check.notNull(wrt, "wrt");
        Logits z = Logits.of(hidden, hiddenShape, linearWeight, weightShape, target, linearBias, options,
                () -> {
                    Upstream.of(gradOutput, reduction, hiddenShape[0]); // step 3, after the other shapes
                    if (wrt == LinearWrt.LINEAR_BIAS && linearBias == null) {
                        throw Check.err(ErrorKind.INVALID_ARGUMENT, "wrt linear_bias needs a linear_bias (it is null)");
                    }
                });
        double[] g = Gradients.softmaxCrossEntropyGrad(z.values, z.shape(), target, options, reduction, gradOutput);
        double[] out = z.chain(g, wrt);
        if (reduction == Reduction.MEAN && options.emptyMean() == EmptyMean.NAN && z.noTargetWeight(target, options)) {
            java.util.Arrays.fill(out, Double.NaN); // D3: the loss is NaN, so is every gradient element (N = 0 too)
        }
        return out;
    }

    /**
     * Float32 {@link #linearCrossEntropyUnreduced}: the float parameters of the options rounded to float.
     *
     * @param hidden       [N, H]
     * @param hiddenShape  {N, H}
     * @param linearWeight [C, H]
     * @param weightShape  {C, H}
     * @param target       class indices [N]
     * @param linearBias   [C], or null
     * @param options      the cross-entropy's options
     * @return [N] losses, each rounded once to float
     */
    public static float[] linearCrossEntropyUnreduced(float[] hidden, int[] hiddenShape, float[] linearWeight,
                                                      int[] weightShape, int[] target, float[] linearBias,
                                                      SoftmaxCrossEntropyOptions options) {
        Check.notNull(options, "options");
        return Check.toFloat(linearCrossEntropyUnreduced(Float32.widen(hidden, "hidden"), hiddenShape,
                Float32.widen(linearWeight, "linear_weight"), weightShape, target, Float32.widenOrNull(linearBias), options.float32()));
    }

    /**
     * Float32 {@link #linearCrossEntropy(double[], int[], double[], int[], int[], double[], SoftmaxCrossEntropyOptions, Reduction)}.
     *
     * @param hidden       [N, H]
     * @param hiddenShape  {N, H}
     * @param linearWeight [C, H]
     * @param weightShape  {C, H}
     * @param target       class indices [N]
     * @param linearBias   [C], or null
     * @param options      the cross-entropy's options
     * @param reduction    SUM or MEAN
     * @return the reduced loss rounded once to float
     */
    public static float linearCrossEntropy(float[] hidden, int[] hiddenShape, float[] linearWeight, int[] weightShape,
                                           int[] target, float[] linearBias, SoftmaxCrossEntropyOptions options,
                                           Reduction reduction) {
        Check.notNull(options, "options");
        return (float) linearCrossEntropy(Float32.widen(hidden, "hidden"), hiddenShape,
                Float32.widen(linearWeight, "linear_weight"), weightShape, target, Float32.widenOrNull(linearBias),
                options.float32(), reduction);
    }

    /**
     * Float32 {@link #linearCrossEntropyGrad(double[], int[], double[], int[], int[], double[], SoftmaxCrossEntropyOptions, Reduction, LinearWrt, double[])}.
     *
     * @param hidden       [N, H]
     * @param hiddenShape  {N, H}
     * @param linearWeight [C, H]
     * @param weightShape  {C, H}
     * @param target       class indices [N]
     * @param linearBias   [C], or null
     * @param options      the cross-entropy's options
     * @param reduction    NONE, SUM or MEAN
     * @param wrt          the input differentiated
     * @param gradOutput   the upstream gradient, or null
     * @return the gradient, each element rounded once to float
     */
    public static float[] linearCrossEntropyGrad(float[] hidden, int[] hiddenShape, float[] linearWeight,
                                                 int[] weightShape, int[] target, float[] linearBias,
                                                 SoftmaxCrossEntropyOptions options, Reduction reduction,
                                                 LinearWrt wrt, float[] gradOutput) {
        Check.notNull(options, "options");
        return Check.toFloat(linearCrossEntropyGrad(Float32.widen(hidden, "hidden"), hiddenShape,
                Float32.widen(linearWeight, "linear_weight"), weightShape, target, Float32.widenOrNull(linearBias),
                options.float32(), reduction, wrt, Float32.widenOrNull(gradOutput)));
    }

    /** The checked inputs and the logits, compensated dot products rounded once to double. */
    private static final class Logits {
        final double[] hidden;
        final double[] w;
        final int n;
        final int h;
        final int c;
        final boolean[] kept;
        final double[] values;

        private Logits(double[] hidden, double[] w, int n, int h, int c, boolean[] kept, double[] bias) {
            this.hidden = hidden;
            this.w = w;
            this.n = n;
            this.h = h;
            this.c = c;
            this.kept = kept;
            values = new double[n * c];
            double[] zero = new double[h];
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < c; j++) {
                    // an ignored row is never read (D2): its logits are the bias alone
                    values[i * c + j] = dot(kept[i] ? hidden : zero, kept[i] ? i * h : 0, 1, w, j * h, 1, h,
                            bias == null ? 0.0 : bias[j]);
                }
            }
        }

        int[] shape() {
            return new int[] {n, c};
        }

        /** Whether the mean's denominator, the sum of w_y over the kept positions, is 0 (no kept position too). */
        boolean noTargetWeight(int[] target, SoftmaxCrossEntropyOptions options) {
            double[] weight = options.weight();
            for (int i = 0; i < n; i++) {
                if (kept[i] && (weight == null || weight[target[i]] != 0.0)) {
                    return false;
                }
            }
            return true;
        }

        /**
         * The spec's checks through step 3 (and the gradient's extra checks, run after the shapes), then the
         * logits; the cross-entropy's own checks of the options, weights and targets follow in its call.
         */
        static Logits of(double[] hidden, int[] hiddenShape, double[] w, int[] wShape, int[] target, double[] bias,
                         SoftmaxCrossEntropyOptions options, Runnable gradChecks) {
            Check.notNull(options, "options");
            SoftmaxCrossEntropyCall.Args a = options.toArgs(false);
            SoftmaxCrossEntropyCall.checkLabelSmoothing(a.labelSmoothing);
            Check.notNull(a.mode, "label_smoothing_mode");
            SoftmaxCrossEntropyCall.checkLargeModel(a.logitScale, a.capOn, a.softcap, a.zLoss, a.emptyMean);
            if (a.where != null || a.result != SoftmaxCrossEntropyResult.LOSS) {
                throw Check.err(ErrorKind.INVALID_ARGUMENT, "linear_cross_entropy has no where or result option");
            }
            Check.notNull(hiddenShape, "hidden shape");
            Check.notNull(wShape, "linear_weight shape");
            Check.rank(hiddenShape, 2, 2, "hidden");
            Check.rank(wShape, 2, 2, "linear_weight");
            Check.notNull(target, "target");
            Check.data(hidden, hiddenShape, "hidden");
            Check.data(w, wShape, "linear_weight");
            if (wShape[0] == 0) {
                throw Check.err(ErrorKind.INVALID_SHAPE, "linear_weight must have at least one row (C = 0)");
            }
            int n = hiddenShape[0];
            int h = hiddenShape[1];
            int c = wShape[0];
            if (wShape[1] != h) {
                throw Check.err(ErrorKind.SHAPE_MISMATCH, "linear_weight has H = " + wShape[1] + " but hidden has H = " + h);
            }
            if (target.length != n) {
                throw Check.err(ErrorKind.SHAPE_MISMATCH, "target has " + target.length + " values but hidden has "
                        + n + " rows");
            }
            if (bias != null && bias.length != c) {
                throw Check.err(ErrorKind.SHAPE_MISMATCH, "linear_bias must have shape [" + c + "]; got " + bias.length
                        + " values");
            }
            if (a.weight != null && a.weight.length != c) {
                throw Check.err(ErrorKind.SHAPE_MISMATCH, "weight must have shape [" + c + "]; got " + a.weight.length
                        + " values");
            }
            if (gradChecks != null) {
                gradChecks.run();
            }
            boolean[] kept = new boolean[n];
            for (int i = 0; i < n; i++) {
                kept[i] = a.ignoreNone || target[i] != a.ignoreIndex;
            }
            return new Logits(hidden, w, n, h, c, kept, bias);
        }

        /** d loss / d wrt from G = d loss / d z (ignored rows 0, never multiplied). */
        double[] chain(double[] g, LinearWrt wrt) {
            switch (wrt) {
                case HIDDEN: {
                    double[] out = new double[n * h];
                    for (int i = 0; i < n; i++) {
                        for (int k = 0; kept[i] && k < h; k++) {
                            out[i * h + k] = dot(g, i * c, 1, w, k, h, c, 0.0);
                        }
                    }
                    return out;
                }
                case LINEAR_WEIGHT: {
                    double[] out = new double[c * h];
                    double[][] rows = keptRows(g);
                    for (int j = 0; j < c; j++) {
                        for (int k = 0; k < h; k++) {
                            out[j * h + k] = dot(rows[0], j, c, rows[1], k, h, rows[0].length / Math.max(c, 1), 0.0);
                        }
                    }
                    return out;
                }
                default: {
                    double[] out = new double[c];
                    double[][] rows = keptRows(g);
                    double[] ones = new double[rows[0].length / Math.max(c, 1)];
                    java.util.Arrays.fill(ones, 1.0);
                    for (int j = 0; j < c; j++) {
                        out[j] = dot(rows[0], j, c, ones, 0, 1, ones.length, 0.0);
                    }
                    return out;
                }
            }
        }

        /** G's and hidden's kept rows (an ignored position is left out of the sums over n: D2). */
        private double[][] keptRows(double[] g) {
            int m = 0;
            for (boolean k : kept) {
                m += k ? 1 : 0;
            }
            double[] gk = new double[m * c];
            double[] hk = new double[m * h];
            int r = 0;
            for (int i = 0; i < n; i++) {
                if (kept[i]) {
                    System.arraycopy(g, i * c, gk, r * c, c);
                    System.arraycopy(hidden, i * h, hk, r * h, h);
                    r++;
                }
            }
            return new double[][] {gk, hk};
        }
    }

    /**
     * sum_{k &lt; len} a[ao + k * as] b[bo + k * bs] + extra, exact products summed in double-double and rounded
     * once; with a non-finite product (or extra) the IEEE sum of the plain products (NaN, 0 * inf, inf - inf).
     */
    static double dot(double[] a, int ao, int as, double[] b, int bo, int bs, int len, double extra) {
        DoubleDouble acc = DoubleDouble.of(extra);
        double plain = extra;
        boolean finite = Double.isFinite(extra);
        for (int k = 0; k < len; k++) {
            double x = a[ao + k * as];
            double y = b[bo + k * bs];
            double p = x * y;
            plain += p;
            if (!Double.isFinite(p)) {
                finite = false; // NaN, 0 * inf or an infinite factor: IEEE arithmetic decides
            } else if (finite) {
                acc.add(p);
                acc.lo += Math.fma(x, y, -p);
            }
        }
        return finite ? acc.norm().value() : plain;
    }
}
