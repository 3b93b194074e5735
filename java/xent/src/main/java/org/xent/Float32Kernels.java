package org.xent;

/**
 * One-pass float64 paths for float32 data: softmax cross-entropy with class-index targets and no label
 * smoothing, and binary cross-entropy with logits without weights, the two losses of the benchmark
 * workload. They read the float arrays as they are (no widened copy) and allocate nothing per element.
 *
 * <p>Why plain float64 is enough here. Every value of a float32 problem is exact in double; exp and log1p
 * below are evaluated to a relative error under 2^-46 (each function states its budget), differences
 * of float32 values are rounded once (2^-53 relative, so exp(x_c - a) gains a relative error of at most
 * |x_c - a| 2^-53 &lt;= 2^-43 for the terms above 2^-1000 that count), and the loss is a sum of
 * NON-NEGATIVE terms (log1p(s) + (a - x_y), or m + log1p(exp(-|z|))), so no step cancels and every
 * relative error carries through to the result unamplified. Sums are compensated (Neumaier) across rows
 * and plain over at most one row (at most 2^20 non-negative terms: below 2^-33 relative). The float64
 * value is therefore within about 2^-30 of the exact loss, relative, and its one rounding to float is
 * within 0.5 ulp + 2^-6 ulp of it, inside the spec's {@code accurate} bound u (2 |y| + 4 kappa) with
 * u = 2^-24. Terms below 2^-1000 (exp(x) for x &lt; -708) are dropped: the absolute error that leaves is
 * below C 2^-1000 times the largest float weight, far under float32's smallest subnormal 2^-149.
 * Non-finite data return null: the caller then takes the double-double path, which handles the limits
 * exactly. {@code Float32KernelsTest} measures both functions against {@link DoubleDoubleMath}.
 */
final class Float32Kernels {
    private Float32Kernels() {
    }

    /** Below this argument exp(x) &lt; 2^-1021 is dropped (the class comment bounds the effect). */
    static final double EXP_MIN_ARG = -708.0;

    private static final int EXP_N = 32;
    private static final double INV_LN2_N = EXP_N / 0x1.62e42fefa39efp-1;
    private static final double LN2_N_HI = 0x1.62e42fefa39efp-1 / EXP_N;
    private static final double LN2_N_LO = 0x1.abc9e3b39803fp-56 / EXP_N;
    /** 2^(j/32), rounded (StrictMath: the same on every JVM). */
    private static final double[] EXP_TABLE = new double[EXP_N];

    private static final int LOG1P_N = 64;
    /** log(1 + i/64) and 1 / (1 + i/64), rounded. */
    private static final double[] LOG1P_TABLE = new double[LOG1P_N + 1];
    private static final double[] INV_TABLE = new double[LOG1P_N + 1];

    static {
        for (int j = 0; j < EXP_N; j++) {
            EXP_TABLE[j] = StrictMath.pow(2.0, j / (double) EXP_N);
        }
        for (int i = 0; i <= LOG1P_N; i++) {
            double c = i / (double) LOG1P_N;
            LOG1P_TABLE[i] = StrictMath.log1p(c);
            INV_TABLE[i] = 1.0 / (1.0 + c);
        }
    }

    /**
     * exp(x) for x &lt;= 0 (or NaN) to a relative error below 2^-48, 0 below {@link #EXP_MIN_ARG}. With
     * n = rint(32 x / ln2), r = x - n ln2/32 by two FMAs against ln2/32 as a double-double (error below
     * 2^-52 |r| + 2^-90), |r| &lt;= ln2/64 + 2^-40 &lt; 0.01084; exp(x) = 2^(n div 32) 2^((n mod 32)/32) exp(r), exp(r)
     * by its degree-5 Taylor polynomial (truncation r^6/720 &lt; 2^-48.7, evaluation about 2^-52), the table
     * entry within 2^-53 and one rounding of the product: in all below 2^-48.
     */
    static double expNeg(double x) {
        if (x < EXP_MIN_ARG) {
            return 0.0;
        }
        double n = Math.rint(x * INV_LN2_N);
        double r = Math.fma(-n, LN2_N_HI, x);
        r = Math.fma(-n, LN2_N_LO, r);
        double p = 1.0 + r * (1.0 + r * (1.0 / 2 + r * (1.0 / 6 + r * (1.0 / 24 + r * (1.0 / 120)))));
        long ni = (long) n;
        // the scale 2^(ni >> 5) >= 2^-1022 is added to the exponent bits: T_j p in [1, 2) stays normal
        return Double.longBitsToDouble(Double.doubleToRawLongBits(EXP_TABLE[(int) ni & (EXP_N - 1)] * p) + ((ni >> 5) << 52));
    }

    /**
     * log1p(e) for e in [0, 1] to a relative error below 2^-49: with c = i/64 the nearest node,
     * log1p(e) = log1p(c) + log1p(d), d = (e - c) / (1 + c), |d| &lt;= 1/128 (e - c exact by Sterbenz's
     * lemma, the division by a rounded reciprocal: 2^-52 |d|), log1p(d) by its degree-7 Taylor polynomial
     * (truncation d^8/8 &lt; 2^-59 |d|); for i &gt;= 1 log1p(c) &gt;= 2^-6.1 &gt; 2 |log1p(d)|, so the final sum does
     * not cancel; for i = 0 d = e exactly.
     */
    static double log1pUnit(double e) {
        int i = (int) (e * LOG1P_N + 0.5);
        double d = (e - i / (double) LOG1P_N) * INV_TABLE[i];
        return LOG1P_TABLE[i] + d * (1.0 + d * (-1.0 / 2 + d * (1.0 / 3 + d * (-1.0 / 4 + d * (1.0 / 5
                + d * (-1.0 / 6 + d * (1.0 / 7)))))));
    }

    /** Neumaier's compensated sum of doubles. */
    static final class Sum {
        private double s;
        private double c;

        void add(double v) {
            double t = s + v;
            c += Math.abs(s) >= Math.abs(v) ? (s - t) + v : (v - t) + s;
            s = t;
        }

        double value() {
            return s + c;
        }
    }

    /**
     * Per-position losses w_y (-log softmax(x)_y) of a validated call with float32 logits, class-index
     * targets and no label smoothing (ignored positions 0); null when a logit is not finite.
     */
    private static double[] softmaxCrossEntropy(SoftmaxCrossEntropyCall g) {
        float[] x = g.logits32;
        int c = g.c;
        int stride = g.spatial;
        double[] per = new double[g.positions()];
        for (int pos = 0; pos < per.length; pos++) {
            if (g.ignored(pos)) {
                continue;
            }
            int off = g.offset(pos);
            int end = off + c * stride;
            int k = off;
            float max = x[off];
            boolean finite = true;
            for (int i = off; i < end; i += stride) {
                float v = x[i];
                finite &= Math.abs(v) <= Float.MAX_VALUE;
                if (v > max) {
                    max = v;
                    k = i;
                }
            }
            if (!finite) {
                return null;
            }
            double a = max;
            // s = sum over c != k of exp(x_c - a): the max's own term (exactly 1) stays out of the sum
            double s = 0.0;
            for (int i = off; i < k; i += stride) {
                s += expNeg(x[i] - a);
            }
            for (int i = k + stride; i < end; i += stride) {
                s += expNeg(x[i] - a);
            }
            int y = g.index[pos];
            per[pos] = g.weight(y) * (StrictMath.log1p(s) + (a - x[off + y * stride]));
        }
        return per;
    }

    /**
     * The per-position losses of a validated float32 call when this path applies (class-index targets,
     * no label smoothing, finite logits), else null.
     */
    static double[] softmaxCrossEntropyIfFast(SoftmaxCrossEntropyCall g) {
        return g.index != null && g.eps == 0.0 && g.logits32 != null ? softmaxCrossEntropy(g) : null;
    }

    /**
     * The reduced loss (SUM, or MEAN over the sum of w_y) of a validated float32 call; NaN when this path
     * does not apply (see {@link #softmaxCrossEntropyIfFast}) or the mean's denominator is 0 (the general
     * path then gives the spec's answer).
     */
    static double softmaxCrossEntropy(SoftmaxCrossEntropyCall g, Reduction reduction) {
        double[] per = softmaxCrossEntropyIfFast(g);
        if (per == null) {
            return Double.NaN;
        }
        Sum total = new Sum();
        Sum denominator = new Sum();
        for (int pos = 0; pos < per.length; pos++) {
            total.add(per[pos]);
            if (!g.ignored(pos)) {
                denominator.add(g.weight(g.index[pos]));
            }
        }
        if (reduction == Reduction.SUM) {
            return total.value();
        }
        double d = denominator.value();
        return d == 0.0 ? Double.NaN : total.value() / d;
    }

    /** sum_i l_i of BCE with logits (no weights) in float64, checking y; NaN when a z is not finite. */
    static double bceWithLogitsSum(float[] z, float[] y) {
        Sum total = new Sum();
        final int block = 1024;
        for (int start = 0; start < z.length; start += block) {
            int end = Math.min(z.length, start + block);
            double s = 0.0;
            for (int i = start; i < end; i++) {
                double l = bceWithLogits(z[i], y, i);
                if (Double.isNaN(l)) {
                    return Double.NaN;
                }
                s += l;
            }
            total.add(s);
        }
        return total.value();
    }

    /** l_i of BCE with logits (no weights) per element in float64; null when a z is not finite. */
    static double[] bceWithLogits(float[] z, float[] y) {
        double[] per = new double[z.length];
        for (int i = 0; i < z.length; i++) {
            double l = bceWithLogits(z[i], y, i);
            if (Double.isNaN(l)) {
                return null;
            }
            per[i] = l;
        }
        return per;
    }

    /**
     * l = y softplus(-z) + (1 - y) softplus(z) = m + log1p(exp(-|z|)), m = (1 - y) z for z &gt;= 0 and
     * y (-z) otherwise (both terms non-negative); NaN for a non-finite z. A y outside [0, 1] (or NaN) is
     * invalid_probability, the only value check of the unweighted loss, so checking it here keeps the
     * spec's precedence.
     */
    private static double bceWithLogits(float zf, float[] y, int i) {
        float yf = y[i];
        if (!(yf >= 0f && yf <= 1f)) {
            throw Check.err(ErrorKind.INVALID_PROBABILITY, "y[" + i + "] = " + (double) yf + " is not a probability in [0, 1]");
        }
        double z = zf;
        double a = Math.abs(z);
        if (!(a <= Float.MAX_VALUE)) {
            return Double.NaN;
        }
        double m = z >= 0 ? (1.0 - yf) * z : yf * a;
        return m + log1pUnit(expNeg(-a));
    }
}
