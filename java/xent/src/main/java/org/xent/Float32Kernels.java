package org.xent;

/**
 * One-pass float64 paths for float32 data: softmax cross-entropy with class-index targets and no label
 * smoothing, and binary cross-entropy with logits without weights, the two losses of the benchmark
 * workload. They read the float arrays as they are (no widened copy) and allocate one buffer per call
 * (a row, or a block of 1024 elements), nothing per element.
 *
 * <p>Why plain float64 is enough here. Every value of a float32 problem is exact in double; exp and log1p
 * below are evaluated to a relative error under 2^-36.5 (each function states its budget), differences
 * of float32 values are rounded once (2^-53 relative, so exp(x_c - a) gains a relative error of at most
 * |x_c - a| 2^-53 &lt;= 2^-43 for the terms above 2^-1000 that count), and the loss is a sum of
 * NON-NEGATIVE terms (log1p(s) + (a - x_y), or m + log1p(exp(-|z|))), so no step cancels and every
 * relative error carries through to the result unamplified. Sums are compensated (Neumaier) across rows
 * and plain over at most one row (at most 2^20 non-negative terms: below 2^-33 relative). Softmax CE
 * shifts by the target's own logit: L = -log softmax(x)_y = log1p(s) with s = sum_{j != y} exp(x_j - x_y),
 * a sum of non-negative terms (some may exceed 1: up to e^709), so s is within 2^-32.9 relative, and
 * log1p(s) within 2^-32.9 s / (1 + s) &lt;= 2^-32.9 L (log1p(s) &gt;= s / (1 + s)), plus log1p's own ulp;
 * a row whose s overflows (logits spanning more than 709) shifts by its maximum a instead,
 * L = (a - x_y) + log1p(s_a) with s_a summed without the maximum's term (two non-negative parts). The
 * float64 value is therefore within 2^-32 of the exact loss, relative, and its one rounding to float is
 * within 0.5 ulp + 2^-8 ulp
 * of it, inside the spec's {@code accurate} bound u (2 |y| + 4 kappa) with
 * u = 2^-24. Terms below 2^-1021 (exp(x) for x &lt; -708) are taken as exp(-708) &lt; 2^-1021: the absolute
 * error that leaves is below C 2^-1021 times the largest float weight, far under float32's smallest
 * subnormal 2^-149.
 * A NaN, a non-finite target logit, a +inf softmax logit or an infinite BCE logit return null (they
 * reach the sums as NaN, or are checked): the caller then takes the double-double path, which handles the
 * limits exactly. A -inf softmax logit (not the target's) is a term below 2^-1021, like any logit more
 * than 708 below the target's: within the bounds above, and 0 once rounded to float. {@code Float32KernelsTest} measures both functions against {@link DoubleDoubleMath}.
 */
final class Float32Kernels {
    private Float32Kernels() {
    }

    /** Below this argument exp(x) &lt; 2^-1021 is replaced by exp(EXP_MIN_ARG) (the class comment bounds the effect). */
    static final double EXP_MIN_ARG = -708.0;

    /**
     * Replaces each x &lt;= 0 (or NaN) of x[0..n) by exp(x) to a relative error below 2^-36.5, x below
     * {@link #EXP_MIN_ARG} (and -inf) by exp(EXP_MIN_ARG). No table and no integer step: plain multiplies
     * and FMAs, a loop the JIT compiles to vector instructions (three times faster than a table-driven exp
     * per element). Method: r = max(x, -708) / 2^14 (exact) lies in [-0.0433, 0]; p_0 = exp(r) by its
     * degree-7 Taylor polynomial in FMA Horner form (truncation r^8/8! &lt; 2^-51.6, evaluation within
     * 2^-52.5, so |eps_0| &lt; 2^-51); then 14 squarings p_{k+1} = fl(p_k^2), each doubling the relative
     * error and adding a rounding of 2^-53: eps_14 &lt;= 2^14 eps_0 + (2^14 - 1) 2^-53 &lt; 2^-36.7 (second
     * order terms are below 2^-70). Every p_k stays normal: p_13 = exp(x)^(1/2) &gt;= 2^-511.
     */
    static void expNegInPlace(double[] x, int n) {
        expShiftedInPlace(x, n, 0.0);
    }

    /**
     * {@link #expNegInPlace(double[], int)} of x[i] - a, the shift taken in the same loop (for float data
     * x[i] - a is exact in double), also for 0 &lt; x[i] - a &lt;= 709: then r = (x[i] - a) / 2^14 lies in
     * (0, 0.0433] and the same proof holds (the truncation r^8 e^r / 8!, every p_k normal up to e^709); a
     * difference above about 709.78 (or +inf) gives +inf, a NaN gives NaN.
     */
    static void expShiftedInPlace(double[] x, int n, double a) {
        for (int i = 0; i < n; i++) {
            double r = Math.max(x[i] - a, EXP_MIN_ARG) * 0x1p-14;
            double p = Math.fma(r, Math.fma(r, Math.fma(r, Math.fma(r, Math.fma(r, Math.fma(r,
                    Math.fma(r, 1.0 / 5040, 1.0 / 720), 1.0 / 120), 1.0 / 24), 1.0 / 6), 0.5), 1.0), 1.0);
            // exp(x) = exp(x / 2^14)^(2^14): 14 squarings, written out (no inner loop in the vectorized body)
            p *= p;
            p *= p;
            p *= p;
            p *= p;
            p *= p;
            p *= p;
            p *= p;
            p *= p;
            p *= p;
            p *= p;
            p *= p;
            p *= p;
            p *= p;
            p *= p;
            x[i] = p;
        }
    }

    /**
     * Replaces each e in [0, 1] (or NaN) of e[0..n) by log1p(e) to a relative error below 2^-41, in plain
     * arithmetic that the JIT vectorizes like {@link #expNegInPlace}: log1p(e) = 2 atanh(u) with
     * u = e / (2 + e) in [0, 1/3] (two roundings: u within 2^-52 relative), 2 atanh(u) = 2u (1 + v/3 +
     * v^2/5 + ... ) with v = u^2 &lt;= 1/9, the series to v^11/23 in FMA Horner form (the rest is below
     * (1/9)^12 / 25 / (1 - 1/9) &lt; 2^-42.5 relative, the evaluation within 2^-52.5); so about 2^-42.5 +
     * 2^-50 in all.
     */
    static void log1pInPlace(double[] e, int n) {
        for (int i = 0; i < n; i++) {
            double u = e[i] / (2.0 + e[i]);
            double v = u * u;
            double q = Math.fma(v, Math.fma(v, Math.fma(v, Math.fma(v, Math.fma(v, Math.fma(v, Math.fma(v, Math.fma(v,
                    Math.fma(v, Math.fma(v, Math.fma(v, 1.0 / 23, 1.0 / 21), 1.0 / 19), 1.0 / 17), 1.0 / 15), 1.0 / 13),
                    1.0 / 11), 1.0 / 9), 1.0 / 7), 1.0 / 5), 1.0 / 3), 1.0);
            e[i] = 2.0 * u * q;
        }
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

    /** The longest row of the softmax CE path: its plain row sum stays within 2^-33 (class comment). */
    static final int MAX_ROW = 1 << 20;

    /**
     * Per-position losses w_y (-log softmax(x)_y) of a validated call with float32 logits, class-index
     * targets and no label smoothing (ignored positions 0); null when a logit is not finite.
     */
    private static double[] softmaxCrossEntropy(SoftmaxCrossEntropyCall g) {
        float[] x = g.logits32;
        int c = g.c;
        int stride = g.spatial;
        double[] per = new double[g.positions()];
        double[] e = new double[c];
        for (int pos = 0; pos < per.length; pos++) {
            if (g.ignored(pos)) {
                continue;
            }
            int off = g.offset(pos);
            int y = g.index[pos];
            double loss = shiftedByTarget(x, off, stride, y, e);
            if (Double.isNaN(loss)) {
                return null; // a logit is not finite
            }
            per[pos] = g.weight(y) * loss;
        }
        return per;
    }

    /**
     * -log softmax(x)_y of one row as log1p(sum_{j != y} exp(x_j - x_y)) (class comment), or by the
     * maximum's shift when that sum overflows; NaN when a logit is not finite. e is the row's buffer.
     */
    private static double shiftedByTarget(float[] x, int off, int stride, int y, double[] e) {
        int c = e.length;
        widen(x, off, stride, e);
        double xy = e[y];
        if (!(Math.abs(xy) <= Double.MAX_VALUE)) {
            return Double.NaN; // the general path's limits
        }
        expShiftedInPlace(e, c, xy); // NaN for a NaN logit, +inf for +inf
        e[y] = 0.0;
        double s = ChainSum.of(e, c);
        if (s <= Double.MAX_VALUE || Double.isNaN(s)) {
            return StrictMath.log1p(s);
        }
        // some x_j - x_y above 709 (or +inf): shift by the maximum a, s_a without the maximum's term (exactly 1)
        float max = widenAndMax(x, off, stride, e);
        if (max == Float.POSITIVE_INFINITY) {
            return Double.NaN; // the general path's limits
        }
        double a = max;
        expShiftedInPlace(e, c, a);
        boolean yIsMax = xy == a;
        if (yIsMax) {
            e[y] = 0.0;
            return StrictMath.log1p(ChainSum.of(e, c));
        }
        e[indexOf(x, off, stride, c, max)] = 0.0;
        return StrictMath.log1p(ChainSum.of(e, c)) + (a - xy);
    }

    /** The first j with x[off + j stride] == v. */
    private static int indexOf(float[] x, int off, int stride, int c, float v) {
        int j = 0;
        while (x[off + j * stride] != v) {
            j++;
        }
        return j;
    }

    /** e[j] = x[off + j stride] for the row's C classes, widened (a scalar loop: C2 does not vectorize it). */
    private static void widen(float[] x, int off, int stride, double[] e) {
        if (stride == 1) {
            for (int j = 0; j < e.length; j++) {
                e[j] = x[off + j];
            }
            return;
        }
        for (int j = 0; j < e.length; j++) {
            e[j] = x[off + j * stride];
        }
    }

    /**
     * e[j] = x[off + j stride] for the row's C classes, widened, and their largest value (NaNs skipped
     * unless the first is NaN), in one pass over the floats (a scalar loop: C2 vectorizes neither the
     * widening nor the maximum).
     */
    private static float widenAndMax(float[] x, int off, int stride, double[] e) {
        float max = x[off];
        for (int j = 0; j < e.length; j++) {
            float v = x[off + j * stride];
            e[j] = v;
            if (v > max) {
                max = v;
            }
        }
        return max;
    }

    /**
     * The per-position losses of a validated float32 call when this path applies (class-index targets,
     * no label smoothing, at most {@link #MAX_ROW} classes, finite logits), else null.
     */
    static double[] softmaxCrossEntropyIfFast(SoftmaxCrossEntropyCall g) {
        return g.index != null && g.eps == 0.0 && g.logits32 != null && g.c <= MAX_ROW && g.plain() ? softmaxCrossEntropy(g) : null;
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

    /** Elements per block of the BCE loops (their buffer). */
    private static final int BLOCK = 1024;

    /** sum_i l_i of BCE with logits (no weights) in float64, checking y; NaN when a z is not finite. */
    static double bceWithLogitsSum(float[] z, float[] y) {
        Sum total = new Sum();
        double[] l = new double[BLOCK];
        double[] zd = new double[BLOCK];
        double[] yd = new double[BLOCK];
        for (int start = 0; start < z.length; start += BLOCK) {
            int n = Math.min(BLOCK, z.length - start);
            bceWithLogits(z, y, start, n, l, zd, yd);
            double s = ChainSum.of(l, n); // a NaN (non-finite z) reaches the sum and is seen here
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
        double[] l = new double[BLOCK];
        double[] zd = new double[BLOCK];
        double[] yd = new double[BLOCK];
        for (int start = 0; start < z.length; start += BLOCK) {
            int n = Math.min(BLOCK, z.length - start);
            bceWithLogits(z, y, start, n, l, zd, yd);
            for (int i = 0; i < n; i++) {
                if (Double.isNaN(l[i])) {
                    return null;
                }
            }
            System.arraycopy(l, 0, per, start, n);
        }
        return per;
    }

    /**
     * l[i] = l_{start + i}, i &lt; n: l = y softplus(-z) + (1 - y) softplus(z) = (1 - y) max(z, 0) +
     * y max(-z, 0) + log1p(exp(-|z|)), three non-negative terms (max(z, 0) = (z + |z|) / 2 and
     * max(-z, 0) = |z| - max(z, 0) exactly: no branch on the sign); NaN for a non-finite z (|z| - max(z, 0)
     * or max(z, 0) is then inf - inf or NaN). A y outside [0, 1] (or NaN) is invalid_probability, the only
     * value check of the unweighted loss, so checking it here keeps the spec's precedence.
     */
    private static void bceWithLogits(float[] z, float[] y, int start, int n, double[] l, double[] zd, double[] yd) {
        // one scalar pass checks y and widens both (C2 vectorizes no float-to-double conversion); the rest
        // are loops over doubles that it vectorizes
        for (int i = 0; i < n; i++) {
            float yf = y[start + i];
            if (!(yf >= 0f && yf <= 1f)) {
                throw Check.err(ErrorKind.INVALID_PROBABILITY, "y[" + (start + i) + "] = " + (double) yf
                        + " is not a probability in [0, 1]");
            }
            yd[i] = yf;
            zd[i] = z[start + i];
        }
        for (int i = 0; i < n; i++) {
            l[i] = -Math.abs(zd[i]);
        }
        expNegInPlace(l, n);
        log1pInPlace(l, n);
        for (int i = 0; i < n; i++) {
            double zi = zd[i];
            double a = Math.abs(zi);
            double pos = 0.5 * (zi + a);
            double yi = yd[i];
            l[i] = ((1.0 - yi) * pos + yi * (a - pos)) + l[i];
        }
    }
}
