package org.xent;

/**
 * The float64 fast path of the sum of binary cross-entropy with logits without weights:
 * l_i = m_i + f_i with m_i = (1 - y_i) max(z_i, 0) + y_i max(-z_i, 0) and f_i = log1p(exp(-|z_i|)), both
 * non-negative, summed over blocks of {@link #BLOCK} elements in float64 pairs with a rigorous error
 * bound E per block; a block whose E exceeds a quarter of its {@code accurate} tolerance is summed again on
 * the exact path ({@link LogitLossKernels#bceWithLogitsSum(double[], double[], int, int)}), DECISIONS E6 (b).
 *
 * <p>The bound, u = 2^-53. (1) t_i = exp(-|z_i|) by {@link ShiftedExp}: relative error below 2^-54 plus
 * 2^-1021 absolute. (2) f_i = log1p(t) = 2 atanh(U), U = t / (2 + t) &lt;= 1/3: 2 + t = s + sl exactly up
 * to 2^-103 (Fast2Sum); with rec = fl(1 / s), uh = fl(th rec) (within 2.5u of U) and ul = fl(res rec),
 * res = fl(fl(fma(-uh, s, th) - uh sl) + tl) (within 3u of t - uh (s + sl)), so uh + ul = U within
 * 2^-97 U. Then f = 2 (uh + ul) + 2 W Phi(V), W = U^3, V = U^2 &lt;= 1/9, Phi(V) = sum_{j &gt;= 1}
 * V^(j-1) / (2j + 1) in [1/3, 0.3486]. The kernel takes w = fl(v fl(uh + 3 ul)) with v = fl(uh^2): w is
 * within 1.5u of W (uh^2 (uh + 3 ul) = U^3 (1 + O(u^2))), v within 5.5u of V; q = Phi's first 16 terms
 * in FMA Horner form at v: truncation (1/9)^16 / 35 / (8/9) &lt; 0.47 u Phi, Horner's roundings and the
 * coefficients' below 1.63 u Phi, |Phi'| &lt;= 0.236 turns v's error into below 0.45 u Phi: q within
 * 2.55 u of Phi(V). The correction 2 w q, at most 2 U^3 0.3486 &lt;= 0.0387 f (f &gt;= 2U), is within 4.05 u
 * of its value: 0.157 u f; the FMA that adds 2 ul rounds by at most 0.02 u f; the renormalisation is
 * exact. t's error moves f by at most as much relatively (t f'(t) = t / (1 + t) &lt;= f): 2^-54 f = 0.5 u f,
 * and 2^-1021. In all |f^ - f| &lt;= 0.68 u f + 2^-1021 &lt; {@link #LOG1P_REL_ERR} f + 2^-1021,
 * LOG1P_REL_ERR = 0.875 u. {@code CertifiedBceWithLogitsTest} measures it against double-double.
 * (3) m_i is exact as a pair (mh, ml) up to 3u^2 m: one of max(z, 0), max(-z, 0) is 0, 1 - y is formed
 * by TwoSum and each product's error by an FMA; l = m + f as a pair by TwoSum, the low parts added within
 * 3u^2 l: 2^-100 l in all.
 * (4) The block's sum on a grid G = 2^(e - 51), 2^(e-1) &lt;= the block's plain sum (1 + 2^-40) &lt; 2^e:
 * the high parts (lh + 1.5 2^(e+1)) - 1.5 2^(e+1) are multiples of G whose partial sums stay below
 * 2^53 G, so their sum is exact in any order; the rests (each below G) are summed plainly, within
 * (n^2 + n) u G. (5) The block's tolerance is T = u (2 sum l_i + 4 sum kappa_i) with
 * kappa_i = |z_i| |sigmoid(z_i) - y_i| + |z_i| y_i &gt;= |z_i| max(y_i, sigmoid(z_i)) &gt;= |z_i| max(y_i, t_i / 2)
 * (triangle inequality; sigmoid(z) &gt;= t / 2 for every z); a block is accepted when
 * E = LOG1P_REL_ERR sum f + 2^-100 sum l + (n^2 + n) u G + n 2^-1021 (times 1 + 2^-40) is at most T / 4
 * computed from lower bounds. The mean's tolerance is the mean of its blocks', and the rest of T covers
 * its one rounding.
 */
final class CertifiedBceWithLogits {
    /** Elements per block (a block's buffers stay in the first-level cache). */
    static final int BLOCK = 1024;
    /** The proved relative error bound of f_i, apart from 2^-1021 absolute (class comment, step 2). */
    static final double LOG1P_REL_ERR = 0x1.cp-54;
    private static final double U = 0x1p-53;

    private final double[] zb = new double[BLOCK];
    private final double[] yb = new double[BLOCK];
    private final double[] hi = new double[BLOCK];
    private final double[] lo = new double[BLOCK];
    private final double[] scratch = new double[BLOCK];

    /**
     * sum_i l_i of validated z and y (targets in [0, 1]) as a double-double within a quarter of the
     * sum's {@code accurate} tolerance, block by block; null when a block declined by its bound is also
     * refused by the exact one-pass sum (a non-finite z, or |z| &gt; {@link PrimitiveKernels#SOFTPLUS_TINY_ARG}).
     */
    DoubleDouble sum(double[] z, double[] y) {
        DoubleDouble total = DoubleDouble.of(0.0);
        for (int start = 0; start < z.length; start += BLOCK) {
            int n = Math.min(BLOCK, z.length - start);
            DoubleDouble block = block(z, y, start, n);
            if (block == null) {
                block = LogitLossKernels.bceWithLogitsSum(z, y, start, start + n);
                if (block == null) {
                    return null;
                }
            }
            total.add(block);
        }
        return Double.isFinite(total.hi) ? total : null;
    }

    /** The sum of the block [start, start + n) when its bound allows, else null. */
    DoubleDouble block(double[] z, double[] y, int start, int n) {
        System.arraycopy(z, start, zb, 0, n);
        System.arraycopy(y, start, yb, 0, n);
        negativeAbs(n, zb, scratch);
        ShiftedExp.terms(scratch, 0, n, 0.0, hi, lo, scratch);
        double kappa = kappaLow(n, zb, yb, hi, scratch);
        log1p(n, hi, lo);
        double fSum = ChainSum.of(hi, n);
        mPairs(n, zb, yb);
        lPairs(n, zb, yb, hi, lo);
        double plain = ChainSum.of(zb, n);
        if (!(plain <= Double.MAX_VALUE)) {
            return null; // NaN (a non-finite z) or overflow
        }
        int e = Math.getExponent(plain * (1.0 + 0x1p-40)) + 1;
        double grid = Math.scalb(1.0, e - 51);
        gridSplit(n, Math.scalb(1.5, e + 1), zb, yb);
        double high = ChainSum.of(zb, n);
        double rest = ChainSum.of(yb, n);
        DoubleDouble s = DoubleDouble.of(high).add(rest);
        double err = (LOG1P_REL_ERR * fSum + 0x1p-100 * plain + ((double) n * n + n) * U * grid + n * ShiftedExp.ABS_ERR)
                * (1.0 + 0x1p-40);
        double lossLow = plain * (1.0 - 0x1p-40) - err;
        double bound = 0.25 * U * (2.0 * lossLow + 4.0 * kappa * (1.0 - 0x1p-40));
        return err <= bound ? s : null;
    }

    /** neg[i] = -|z[i]|. */
    private static void negativeAbs(int n, double[] z, double[] neg) {
        for (int i = 0; i < n; i++) {
            neg[i] = -Math.abs(z[i]);
        }
    }

    /** sum_i |z_i| max(y_i, t_i / 2), the lower bound of sum kappa_i (step 5). */
    private static double kappaLow(int n, double[] z, double[] y, double[] t, double[] scratch) {
        for (int i = 0; i < n; i++) {
            scratch[i] = Math.abs(z[i]) * Math.max(y[i], 0.5 * t[i]);
        }
        return ChainSum.of(scratch, n);
    }

    /** In place: t = th + tl becomes f = log1p(t) as a renormalised pair (step 2). */
    static void log1p(int n, double[] th, double[] tl) {
        for (int i = 0; i < n; i++) {
            double h = th[i];
            double s = 2.0 + h;
            double sl = ((2.0 - s) + h) + tl[i];
            double rec = 1.0 / s;
            double uh = h * rec;
            double res = (Math.fma(-uh, s, h) - uh * sl) + tl[i];
            th[i] = uh;
            tl[i] = res * rec;
        }
        for (int i = 0; i < n; i++) {
            double uh = th[i];
            double ul = tl[i];
            double v = uh * uh;
            double q = Math.fma(v, 1.0 / 33, 1.0 / 31);
            q = Math.fma(v, q, 1.0 / 29);
            q = Math.fma(v, q, 1.0 / 27);
            q = Math.fma(v, q, 1.0 / 25);
            q = Math.fma(v, q, 1.0 / 23);
            q = Math.fma(v, q, 1.0 / 21);
            q = Math.fma(v, q, 1.0 / 19);
            q = Math.fma(v, q, 1.0 / 17);
            q = Math.fma(v, q, 1.0 / 15);
            q = Math.fma(v, q, 1.0 / 13);
            q = Math.fma(v, q, 1.0 / 11);
            q = Math.fma(v, q, 1.0 / 9);
            q = Math.fma(v, q, 1.0 / 7);
            q = Math.fma(v, q, 1.0 / 5);
            q = Math.fma(v, q, 1.0 / 3);
            double w = v * Math.fma(3.0, ul, uh);
            double fh = 2.0 * uh;
            double fl = Math.fma(2.0 * w, q, 2.0 * ul);
            double f = fh + fl;
            th[i] = f;
            tl[i] = (fh - f) + fl;
        }
    }

    /**
     * In place: z and y become m's pair (mh, ml), m = c p + y q with p = max(z, 0), q = max(-z, 0) (one of
     * them 0) and c + cl = 1 - y exactly (step 3).
     */
    private static void mPairs(int n, double[] zb, double[] yb) {
        for (int i = 0; i < n; i++) {
            double z = zb[i];
            double y = yb[i];
            double a = Math.abs(z);
            double p = 0.5 * (z + a);
            double q = a - p;
            double c = 1.0 - y;
            double bv = c - 1.0;
            double cl = (1.0 - (c - bv)) + (-y - bv);
            double cp = c * p;
            double yq = y * q;
            zb[i] = cp + yq;
            yb[i] = (Math.fma(c, p, -cp) + Math.fma(y, q, -yq)) + cl * p;
        }
    }

    /** In place: (mh, ml) in zb, yb becomes l = m + f's pair, f in (hi, lo). */
    private static void lPairs(int n, double[] zb, double[] yb, double[] hi, double[] lo) {
        for (int i = 0; i < n; i++) {
            double mh = zb[i];
            double fh = hi[i];
            double lh = mh + fh;
            double bl = lh - mh;
            double e = (mh - (lh - bl)) + (fh - bl);
            zb[i] = lh;
            yb[i] = (e + yb[i]) + lo[i];
        }
    }

    /** In place: lh becomes its grid part g = (lh + shifter) - shifter and ll the rest (lh - g) + ll (step 4). */
    private static void gridSplit(int n, double shifter, double[] zb, double[] yb) {
        for (int i = 0; i < n; i++) {
            double h = zb[i];
            double g = (h + shifter) - shifter;
            zb[i] = g;
            yb[i] += h - g;
        }
    }
}
