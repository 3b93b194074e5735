package org.xent;

/**
 * One-pass float64 paths for float32 data: softmax cross-entropy with class-index targets and no label
 * smoothing, and binary cross-entropy with logits without weights, the two losses of the benchmark
 * workload. They read the float arrays as they are (no widened copy) and allocate nothing per element.
 *
 * <p>Why plain float64 is enough here. Every value of a float32 problem is exact in double; exp and log1p
 * below are evaluated to a relative error under 2^-37 (each function states its budget), differences
 * of float32 values are rounded once (2^-53 relative, so exp(x_c - a) gains a relative error of at most
 * |x_c - a| 2^-53 &lt;= 2^-43 for the terms above 2^-1000 that count), and the loss is a sum of
 * NON-NEGATIVE terms (log1p(s) + (a - x_y), or m + log1p(exp(-|z|))), so no step cancels and every
 * relative error carries through to the result unamplified. Sums are compensated (Neumaier) across rows
 * and plain over at most one row (at most 2^20 non-negative terms: below 2^-33 relative). The float64
 * value is therefore within about 2^-36 of the exact loss, relative, and its one rounding to float is
 * within 0.5 ulp + 2^-12 ulp of it, inside the spec's {@code accurate} bound u (2 |y| + 4 kappa) with
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

    /** Adding 1.5 2^52 rounds a double of magnitude below 2^51 to an integer, held in the sum's low bits. */
    private static final double SHIFTER = 0x1.8p52;
    private static final long SHIFTER_BITS = Double.doubleToRawLongBits(SHIFTER);

    private static final int EXP_N = 64;
    private static final double INV_LN2_N = EXP_N / 0x1.62e42fefa39efp-1;
    private static final double LN2_N = 0x1.62e42fefa39efp-1 / EXP_N;
    /** 2^(j/64), rounded (StrictMath: the same on every JVM). */
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
     * exp(x) for x &lt;= 0 to a relative error below 2^-42, 0 below {@link #EXP_MIN_ARG} (or for NaN). With
     * n = rint(64 x / ln2) (|n| &lt; 2^16), r = fl(x - n H) by one FMA against H = fl(ln2/64): the FMA's
     * rounding is 2^-53 |r| and H's own error |n| |ln2/64 - H| &lt; 2^16 2^-60 = 2^-44 absolute, so r is
     * within 2^-44 + 2^-53 |r| of x - n ln2/64 and |r| &lt;= ln2/128 + 2^-44 &lt; 0.00542;
     * exp(x) = 2^(n div 64) 2^((n mod 64)/64) exp(r) with exp(r) by its degree-4 Taylor polynomial
     * (truncation r^5/120 &lt; 2^-44.6, evaluation about 2^-52), the table entry within 2^-53 and one
     * rounding of the product: in all below 2^-43.1 + 2^-50.
     */
    static double expNeg(double x) {
        if (!(x >= EXP_MIN_ARG)) {
            return 0.0;
        }
        // n = rint(x 64/ln2) by the shifter: its last bits hold n (cheaper than Math.rint and (long))
        double t = Math.fma(x, INV_LN2_N, SHIFTER);
        double n = t - SHIFTER;
        long ni = Double.doubleToRawLongBits(t) - SHIFTER_BITS;
        double r = Math.fma(-n, LN2_N, x);
        double p = Math.fma(r, Math.fma(r, Math.fma(r, Math.fma(r, 1.0 / 24, 1.0 / 6), 1.0 / 2), 1.0), 1.0);
        // the scale 2^(ni >> 6) >= 2^-1022 is added to the exponent bits: T_j p in [1, 2) stays normal
        return Double.longBitsToDouble(Double.doubleToRawLongBits(EXP_TABLE[(int) ni & (EXP_N - 1)] * p) + ((ni >> 6) << 52));
    }

    /**
     * log1p(e) for e in [0, 1] to a relative error below 2^-37: with c = i/64 the nearest node,
     * log1p(e) = log1p(c) + log1p(d), d = (e - c) / (1 + c), |d| &lt;= 1/128 (e - c exact by Sterbenz's
     * lemma, the division by a rounded reciprocal: 2^-52 |d|), log1p(d) by its degree-5 Taylor polynomial
     * (truncation d^6/6 &lt;= 2^-37.6 |d|, and |log1p(d)| &gt;= 0.99 |d|); for i &gt;= 1
     * log1p(c) &gt;= 2^-6.1 &gt; 2 |log1p(d)|, so the final sum does not cancel; for i = 0 d = e exactly.
     */
    static double log1pUnit(double e) {
        double t = Math.fma(e, LOG1P_N, SHIFTER); // the nearest node i/64 (ties to even: either is nearest)
        int i = (int) (Double.doubleToRawLongBits(t) - SHIFTER_BITS);
        double d = (e - (t - SHIFTER) * (1.0 / LOG1P_N)) * INV_TABLE[i];
        return Math.fma(d, Math.fma(d, Math.fma(d, Math.fma(d, Math.fma(d, 1.0 / 5, -1.0 / 4), 1.0 / 3), -1.0 / 2), 1.0),
                LOG1P_TABLE[i]);
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
            double s = sumExp(x, off, k, stride, a) + sumExp(x, k + stride, end, stride, a);
            int y = g.index[pos];
            per[pos] = g.weight(y) * (StrictMath.log1p(s) + (a - x[off + y * stride]));
        }
        return per;
    }

    /**
     * sum of exp(x_i - a) over i = from, from + stride, ... below to (all x_i &lt;= a); contiguous logits
     * (stride 1, the [N, C] case) take a loop of their own, which the JIT compiles much better.
     */
    private static double sumExp(float[] x, int from, int to, int stride, double a) {
        if (stride == 1) {
            return sumExp(x, from, to, a);
        }
        double s = 0.0;
        for (int i = from; i < to; i += stride) {
            s += expNeg(x[i] - a);
        }
        return s;
    }

    /** sumExp over contiguous logits, in two partial sums (the additions of a single chain would wait for each other). */
    private static double sumExp(float[] x, int from, int to, double a) {
        double s0 = 0.0;
        double s1 = 0.0;
        int i = from;
        for (; i + 1 < to; i += 2) {
            s0 += expNeg(x[i] - a);
            s1 += expNeg(x[i + 1] - a);
        }
        if (i < to) {
            s0 += expNeg(x[i] - a);
        }
        return s0 + s1;
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
            // two partial sums per block (as in sumExp); a NaN (non-finite z) reaches them and is seen here
            double s0 = 0.0;
            double s1 = 0.0;
            int i = start;
            for (; i + 1 < end; i += 2) {
                s0 += bceWithLogits(z, y, i);
                s1 += bceWithLogits(z, y, i + 1);
            }
            if (i < end) {
                s0 += bceWithLogits(z, y, i);
            }
            double s = s0 + s1;
            if (Double.isNaN(s)) {
                return Double.NaN;
            }
            total.add(s);
        }
        return total.value();
    }

    /** l_i of BCE with logits (no weights) per element in float64; null when a z is not finite. */
    static double[] bceWithLogits(float[] z, float[] y) {
        double[] per = new double[z.length];
        for (int i = 0; i < z.length; i++) {
            double l = bceWithLogits(z, y, i);
            if (Double.isNaN(l)) {
                return null;
            }
            per[i] = l;
        }
        return per;
    }

    /**
     * l = y softplus(-z) + (1 - y) softplus(z) = (1 - y) max(z, 0) + y max(-z, 0) + log1p(exp(-|z|)), three
     * non-negative terms (max(z, 0) = (z + |z|) / 2 and max(-z, 0) = |z| - max(z, 0) exactly: no branch
     * on the sign); NaN for a non-finite z. A y outside [0, 1] (or NaN) is invalid_probability, the only
     * value check of the unweighted loss, so checking it here keeps the spec's precedence.
     */
    private static double bceWithLogits(float[] z, float[] y, int i) {
        float yf = y[i];
        if (!(yf >= 0f && yf <= 1f)) {
            throw Check.err(ErrorKind.INVALID_PROBABILITY, "y[" + i + "] = " + (double) yf + " is not a probability in [0, 1]");
        }
        double zi = z[i];
        double a = Math.abs(zi);
        if (!(a <= Float.MAX_VALUE)) {
            return Double.NaN;
        }
        double pos = 0.5 * (zi + a);
        double yd = yf;
        return ((1.0 - yd) * pos + yd * (a - pos)) + log1pUnit(expNeg(-a));
    }
}
