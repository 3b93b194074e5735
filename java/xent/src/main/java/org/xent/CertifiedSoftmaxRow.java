package org.xent;

/**
 * The float64 fast path of softmax cross-entropy for one contiguous row of logits and a class index y:
 * L = -log softmax(x)_y = (a - x_y) + log1p(s) with a = max_i x_i and s = sum_{i : x_i &lt; a or a second
 * maximum} exp(x_i - a), formed in float64 pairs with a rigorous error bound E, and returned only when
 * E is within a quarter of the row's {@code accurate} tolerance (DECISIONS E6 (b)); otherwise null, and
 * the caller recomputes the row on the exact path ({@link Row}). Buffers for one row length, reused.
 *
 * <p>The bound, u = 2^-53. (1) The terms e_i = exp(x_i - a) come from {@link ShiftedExp}, each within
 * 2^-54 e_i (its proof), plus 2^-1074 absolute where 2^k lo or 2^k hi is subnormal; a maximum's term is
 * exactly 1. (2) s is summed on a fixed grid G = 2^(b - 52), 2^b &gt; C (b &gt;= 3): the high parts
 * g_i = (e_i + 1.5 2^b) - 1.5 2^b are multiples of G whose partial sums stay below 2^(b+1) &lt; 2^53 G,
 * so their sum is exact in any order; the rests (e_i - g_i) + 2^k lo_i, each below G in magnitude,
 * are summed plainly, within (C^2 + C) u G (each rest's rounding and the sum's); the sum of the high
 * parts includes 1 for the maximum and (Sum g - 1) is exact. So |s^ - s| &lt;= E_s = 2^-54 s^ + (C^2 + C) u G +
 * C 2^-1073, times 1 + 2^-20 for s &lt;= s^ + E_s and this bound's own roundings. (3) log1p by {@link DoubleDoubleMath#log1p} (relative error about 2^-93;
 * 2^-88 allowed, with the double-double additions) at s^; |log1p(s^) - log1p(s)| &lt;= E_s / (1 + min(s, s^)).
 * (4) a - x_y is exact as a TwoSum pair (a - x_y &lt; 709). So E = E_s /
 * (1 + max(0, s^ - E_s)) + 2^-88 L^. (5) The row's tolerance (spec/xent.yaml) is T = u (2 L + 4 kappa)
 * with kappa = |x_y| (1 - p_y) + sum_{i != y} p_i |x_i| &gt;= |x_y| (1 - p_y) =: kappa_lb; the row is
 * accepted when E &lt;= T_lb / 4 for lower bounds L_lb = L^ (1 - 2^-50) - E and kappa_lb (computed with
 * 2^-50 margins). The rest of T covers the rounding of the row's loss or of the mean (at most u/2
 * relative), whose tolerance is the mean of its rows' (weights multiply loss and tolerance alike).
 */
final class CertifiedSoftmaxRow {
    /** The longest row (the grid sum's bound grows as C^3; 2^20 keeps it below 2^-45). */
    static final int MAX_ROW = 1 << 20;
    private static final double U = 0x1p-53;

    private final int c;
    private final double[] hi;
    private final double[] lo;
    private final double[] scratch;
    /** 1.5 2^b: adding and subtracting it rounds a term in [0, 2] to the grid G = 2^(b - 52). */
    private final double gridShifter;
    /** The a-priori absolute error of the grid sum and of the terms below exp(-708) (step 2). */
    private final double sumErr;

    /**
     * Buffers for rows of c logits.
     *
     * @param c the row length, 1 to {@link #MAX_ROW}
     */
    CertifiedSoftmaxRow(int c) {
        this.c = c;
        hi = new double[c];
        lo = new double[c];
        scratch = new double[c];
        int b = Math.max(3, 64 - Long.numberOfLeadingZeros(c));
        gridShifter = Math.scalb(1.5, b);
        double grid = Math.scalb(1.0, b - 52);
        sumErr = ((double) (c - 1) * (c + 1)) * U * grid * 1.01 + (c - 1) * ShiftedExp.ABS_ERR;
    }

    /**
     * -log softmax(x)_y of the row x[off .. off + c) as a double-double within a quarter of the row's
     * tolerance, or null: some logit is not finite (or a - x_i overflows), or the bound E (class comment)
     * is not small enough.
     */
    DoubleDouble nll(double[] x, int off, int y) {
        // the row's own copy first: System.arraycopy streams it from memory faster than a scalar loop
        System.arraycopy(x, off, hi, 0, c);
        double a = max(hi);
        double xy = hi[y];
        if (!(Math.abs(a) <= Double.MAX_VALUE) || !(xy > Double.NEGATIVE_INFINITY)) {
            return null; // NaN or +inf, or an infinite loss (the exact path's answers)
        }
        ShiftedExp.terms(hi, 0, c, a, hi, lo, scratch);
        double ey = hi[y] + lo[y];
        gridSplit();
        double high = ChainSum.of(hi, c);
        double rest = ChainSum.of(lo, c);
        if (!Double.isFinite(rest)) {
            return null; // a logit NaN, or an intermediate beyond the double range
        }
        // s = (sum of high parts - 1) + rests: the first difference exact (multiples of the grid, below 2^53 G)
        DoubleDouble s = DoubleDouble.of(high - 1.0).add(rest).norm();
        double sHat = s.hi;
        double errS = (ShiftedExp.REL_ERR * sHat + sumErr) * (1.0 + 0x1p-20);
        DoubleDouble shift = DoubleDouble.of(a).add(-xy);
        DoubleDouble loss = DoubleDoubleMath.log1p(s).add(shift).norm();
        double lossHat = loss.hi;
        double err = errS / (1.0 + Math.max(0.0, sHat - errS)) + 0x1p-88 * lossHat;
        double lossLow = lossHat * (1.0 - 0x1p-50) - err;
        double bound = 0.25 * U * (2.0 * lossLow + 4.0 * kappaLow(xy, a, ey, sHat, errS));
        return err <= bound ? loss : null;
    }

    /**
     * A lower bound of |x_y| (1 - p_y): 1 - p_y = s / (1 + s) when x_y is a maximum, else 1 - e_y / (1 + s)
     * with e_y within 2^-50 of its computed value ey (2^-50 margins cover this function's roundings).
     */
    private static double kappaLow(double xy, double a, double ey, double sHat, double errS) {
        double sLow = Math.max(0.0, sHat - errS);
        double oneMinusPy = xy == a ? sLow / (1.0 + sHat + errS)
                : Math.max(0.0, 1.0 - ey * (1.0 + 0x1p-50) / (1.0 + sLow));
        return Math.abs(xy) * oneMinusPy * (1.0 - 0x1p-50);
    }

    /** In place: hi[i] + lo[i] becomes g_i (on the grid) and the rest (hi[i] - g_i) + lo[i] (step 2). */
    private void gridSplit() {
        double b = gridShifter;
        for (int i = 0; i < c; i++) {
            double e = hi[i];
            double g = (e + b) - b;
            hi[i] = g;
            lo[i] += e - g;
        }
    }

    /** The largest of v[0 .. c), NaNs skipped (v[0] NaN: NaN); a scalar loop (C2 vectorizes no max reduction). */
    private double max(double[] v) {
        double m = v[0];
        for (int i = 1; i < c; i++) {
            double e = v[i];
            if (e > m) {
                m = e;
            }
        }
        return m;
    }
}
