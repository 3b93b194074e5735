package org.xent;

import java.math.BigDecimal;
import java.math.MathContext;

/**
 * exp(x) for x in [-708, 0] as an unevaluated pair hi + lo with a relative error near 2^-66, in
 * pure Java arithmetic (the same bits on every JVM) and without allocation: the kernel of the one-pass
 * loss paths, where the sum of exponentials must carry more than double precision but
 * {@link DoubleDoubleMath#exp(double)} (about 2^-95, hundreds of nanoseconds) is far more than needed.
 *
 * <p>Method (Tang's table-driven exp): x = (64 m + j) ln2/64 + r with |r| &lt;= ln2/128, r formed exactly as a
 * double-double (an FMA-split product and Sterbenz's lemma); exp(x) = 2^m T_j (1 + q) with T_j = 2^(j/64) stored as a double-double and
 * q = expm1(r) by its degree-7 Taylor polynomial (truncation below 2^-75). The product T_j (1 + q) is
 * formed as hi + lo by an FMA and TwoSum, q itself as q + ql, so only the roundings inside the
 * polynomial's tail (below 2^-66 relative to the result) remain.
 */
final class TableExp {
    /** The smallest argument with a normal result (below, exp is left to {@link Libm#exp(double)}). */
    static final double MIN_ARG = -708.0;

    private static final int N = 64;
    /** Adding 1.5 2^52 rounds a double of magnitude below 2^51 to an integer (ties to even). */
    private static final double SHIFTER = 0x1.8p52;
    private static final long SHIFTER_BITS = Double.doubleToRawLongBits(SHIFTER);
    private static final double INV_LN2_N = N / 0x1.62e42fefa39efp-1;
    private static final double LN2_N_HI = 0x1.62e42fefa39efp-1 / N;
    private static final double LN2_N_LO = 0x1.abc9e3b39803fp-56 / N;
    private static final double[] T_HI = new double[N];
    private static final double[] T_LO = new double[N];

    static {
        // T_j = 2^(j/64) to 40 digits by Newton's method on y^64 = 2^j, from the double pow as a start
        MathContext mc = new MathContext(40);
        for (int j = 0; j < N; j++) {
            BigDecimal target = BigDecimal.valueOf(2).pow(j);
            BigDecimal y = new BigDecimal(Math.pow(2.0, j / (double) N));
            for (int it = 0; it < 3; it++) {
                BigDecimal f = y.pow(N, mc).subtract(target, mc);
                y = y.subtract(f.divide(y.pow(N - 1, mc).multiply(BigDecimal.valueOf(N), mc), mc), mc);
            }
            T_HI[j] = y.doubleValue();
            T_LO[j] = y.subtract(new BigDecimal(T_HI[j]), mc).doubleValue();
        }
    }

    /** The high part of the last result. */
    double hi;
    /** The low part of the last result. */
    double lo;

    /**
     * Sets {@link #hi} + {@link #lo} to exp(x).
     *
     * @param x an argument in [{@link #MIN_ARG}, 0]
     */
    void set(double x) {
        // kd = rint(x 64/ln2) by the shifter, whose sum's last bits hold it (cheaper than Math.rint and a cast)
        double t = x * INV_LN2_N + SHIFTER;
        double kd = t - SHIFTER;
        int k = (int) (Double.doubleToRawLongBits(t) - SHIFTER_BITS);
        // r = x - k ln2/64 as rh + rl: k H exactly as p + pe, x - p exact (Sterbenz: |x - p| <= ln2/128 <= |p| / 2)
        double p0 = kd * LN2_N_HI;
        double pe0 = Math.fma(kd, LN2_N_HI, -p0);
        double d = x - p0;
        double rh = d - pe0;
        double rl = ((d - rh) - pe0) - kd * LN2_N_LO;
        int j = k & (N - 1);
        int m = k >> 6;
        // q + ql = expm1(rh + rl): the polynomial's tail is far below rh, so q = rh + tail by Fast2Sum
        double tail = rh * rh * (0.5 + rh * (1.0 / 6 + rh * (1.0 / 24 + rh * (1.0 / 120 + rh * (1.0 / 720 + rh * (1.0 / 5040))))));
        double q = rh + tail;
        double ql = ((rh - q) + tail) + rl * (1.0 + q);
        double th = T_HI[j];
        double p = th * q;
        double pe = Math.fma(th, q, -p);
        double s = th + p;
        double se = (th - s) + p; // Fast2Sum: |th| >= |p|
        double scale = Double.longBitsToDouble((long) (m + 1023) << 52);
        hi = s * scale;
        lo = (se + pe + th * ql + T_LO[j] * (1.0 + q)) * scale;
    }
}
