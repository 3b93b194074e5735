package org.xent;

/**
 * exp and log1p to about 100 bits (double-double), for the places where the last half-ulp of an
 * elementary function would otherwise be amplified (powers in the focal losses, products of sigmoids)
 * or would dominate the final error. Built on {@link DD}; results are deterministic on every JVM.
 */
final class Fdd {
    private static final double LN2_HI = Impl.LN2_HI;
    private static final double LN2_LO = Impl.LN2_LO;
    /** Below this argument exp is subnormal-bound: plain exp, whose absolute error is below one subnormal. */
    private static final double EXP_MIN_NORMAL_ARG = -708.0;
    private static final double EXP_MAX_ARG = 709.782712893384;
    private static final int SQUARINGS = 10;

    private Fdd() {
    }

    /** exp(x) as a double-double (relative error about 2^-95 for normal results). */
    static DD exp(double x) {
        if (!(x > EXP_MIN_NORMAL_ARG) || x >= EXP_MAX_ARG) {
            // NaN, -inf, underflow to subnormal or zero, overflow: no low part needed
            return DD.of(Fm.exp(x));
        }
        if (x == 0.0) {
            return DD.of(1.0);
        }
        double k = Math.rint(x / LN2_HI);
        // r = x - k ln2, in double-double
        double p = k * LN2_HI;
        double pe = Math.fma(k, LN2_HI, -p);
        DD r = DD.of(x).add(-p).add(-pe).add(-k * LN2_LO).norm();
        // s = r / 2^SQUARINGS (exact), expm1(s) by its Taylor series
        DD s = new DD(Math.scalb(r.hi, -SQUARINGS), Math.scalb(r.lo, -SQUARINGS));
        DD term = s.copy();
        DD sum = s.copy();
        for (int n = 2; n <= 10; n++) {
            term.mul(s).div(n);
            sum.add(term);
            if (Math.abs(term.hi) < 1e-36 * Math.abs(sum.hi)) {
                break;
            }
        }
        // expm1(2t) = 2 expm1(t) + expm1(t)^2, SQUARINGS times
        for (int i = 0; i < SQUARINGS; i++) {
            DD sq = sum.copy().mul(sum);
            sum.hi *= 2;
            sum.lo *= 2;
            sum.add(sq);
        }
        DD e = DD.of(1.0).add(sum).norm();
        int ki = (int) k;
        return new DD(Math.scalb(e.hi, ki), Math.scalb(e.lo, ki));
    }

    /** log1p(t) for t &gt;= 0 given as a double-double: log1p, then one Newton step on exp. */
    static DD log1p(DD t) {
        DD tt = t.copy().norm();
        double x = tt.hi;
        if (!(x > 0) || !Double.isFinite(x)) {
            return DD.of(Fm.log1p(x));
        }
        if (x < 0x1p-60) {
            // log1p(t) = t - t^2/2 + ..., t^2/2 below 2^-60 t
            return new DD(x, tt.lo - 0.5 * x * x);
        }
        double y0 = Fm.log1p(x);
        DD e = exp(y0);
        // y = y0 + ((1 + t) - exp(y0)) / exp(y0)
        DD num = DD.of(1.0).add(tt).sub(e).norm();
        return new DD(y0, num.hi / e.hi).norm();
    }
}
