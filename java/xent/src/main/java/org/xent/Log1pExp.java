package org.xent;

/**
 * log1p(exp(x)) for finite x &lt;= 0 (the softplus tail) as an unevaluated pair hi + lo with a relative
 * error near 2^-60, without allocation. e = exp(x) comes from {@link TableExp}; then v = 1 + e is formed
 * exactly as a pair and log(v) by a table (Tang's method for log): v = c_j (1 + f) with
 * c_j = 1 + j/64 nearest to v, ln(c_j) stored as a double-double, f = (v - c_j) / c_j with
 * |f| &lt;= 1/128 (v - c_j exact by Sterbenz's lemma) and log1p(f) by its degree-10 Taylor polynomial
 * (truncation below 2^-70 relative). For j = 0 this is log1p(e) itself, so small results keep their
 * relative accuracy.
 */
final class Log1pExp {
    private static final int N = 64;
    /** Adding 1.5 2^52 rounds a double of magnitude below 2^51 to an integer (ties to even), held in the low bits. */
    private static final double SHIFTER = 0x1.8p52;
    private static final long SHIFTER_BITS = Double.doubleToRawLongBits(SHIFTER);
    private static final double[] LN_HI = new double[N + 1];
    private static final double[] LN_LO = new double[N + 1];
    /** 1 / c_j rounded: f's high part need not be the rounded quotient, the FMA residual corrects it. */
    private static final double[] INV = new double[N + 1];

    static {
        for (int j = 0; j <= N; j++) {
            INV[j] = 1.0 / (1.0 + j / (double) N);
        }
        for (int j = 1; j <= N; j++) {
            DoubleDouble l = DoubleDoubleMath.log1p(DoubleDouble.of(j / (double) N)).norm();
            LN_HI[j] = l.hi;
            LN_LO[j] = l.lo;
        }
    }

    private final TableExp ex = new TableExp();
    /** The high part of the last result. */
    double hi;
    /** The low part of the last result. */
    double lo;

    /**
     * Sets {@link #hi} + {@link #lo} to log1p(exp(x)).
     *
     * @param x a finite argument &lt;= 0
     */
    void set(double x) {
        double eh;
        double el;
        if (x >= TableExp.MIN_ARG) {
            ex.set(x);
            eh = ex.hi;
            el = ex.lo;
        } else {
            eh = Libm.exp(x);
            el = 0.0;
        }
        double vh = 1.0 + eh;
        double vl = (1.0 - vh) + eh; // exact (Fast2Sum: 1 >= e); v = vh + vl + el
        int j = (int) (Double.doubleToRawLongBits((vh - 1.0) * N + SHIFTER) - SHIFTER_BITS); // rint, by the shifter
        double c = 1.0 + j / (double) N;
        double d = vh - c; // exact: |vh - c| <= 1/128 and both in [1, 2]
        double fh = (d + vl) * INV[j];
        double fl = ((Math.fma(-fh, c, d) + vl) + el) * INV[j];
        double tail = fh * fh * (-0.5 + fh * (1.0 / 3 + fh * (-0.25 + fh * (0.2 + fh * (-1.0 / 6
                + fh * (1.0 / 7 + fh * (-0.125 + fh * (1.0 / 9 + fh * -0.1))))))));
        double s = LN_HI[j] + fh;
        double se = DoubleDouble.twoSumErr(LN_HI[j], fh, s);
        hi = s;
        lo = se + LN_LO[j] + fl * (1.0 - fh) + tail;
    }
}
