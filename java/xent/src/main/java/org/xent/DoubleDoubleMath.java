package org.xent;

/**
 * exp and log1p to about 100 bits (double-double), for the places where the last half-ulp of an
 * elementary function would otherwise be amplified (powers in the focal losses, products of sigmoids)
 * or would dominate the final error. Built on {@link DoubleDouble}; results are deterministic on every JVM.
 */
final class DoubleDoubleMath {
    static final double LN2_HI = 0x1.62e42fefa39efp-1;
    static final double LN2_LO = 0x1.abc9e3b39803fp-56;
    /** Below this argument exp is subnormal-bound: plain exp, whose absolute error is below one subnormal. */
    private static final double EXP_MIN_NORMAL_ARG = -708.0;
    private static final double EXP_MAX_ARG = 709.782712893384;
    private static final int SQUARINGS = 10;

    private DoubleDoubleMath() {
    }

    /** exp(x) as a double-double (relative error about 2^-95 for normal results). */
    static DoubleDouble exp(double x) {
        if (!(x > EXP_MIN_NORMAL_ARG) || x >= EXP_MAX_ARG) {
            // NaN, -inf, underflow to subnormal or zero, overflow: no low part needed
            return DoubleDouble.of(Libm.exp(x));
        }
        if (x == 0.0) {
            return DoubleDouble.of(1.0);
        }
        double k = Math.rint(x / LN2_HI);
        // r = x - k ln2, in double-double
        double p = k * LN2_HI;
        double pe = Math.fma(k, LN2_HI, -p);
        DoubleDouble r = DoubleDouble.of(x).add(-p).add(-pe).add(-k * LN2_LO).norm();
        DoubleDouble e = DoubleDouble.of(1.0).add(expm1Reduced(r)).norm();
        int ki = (int) k;
        return new DoubleDouble(Math.scalb(e.hi, ki), Math.scalb(e.lo, ki));
    }

    /** Below this argument {@link #expX} returns zero: exp(x) &lt; 2^-144000, no sum of weighted losses reaches the double range. */
    private static final double EXPX_MIN_ARG = -1e5;

    /**
     * exp(x) for finite x &lt;= 0 with an extended exponent ({@link ExtendedDouble}): 2^k exp(r), x = k ln2 + r, the
     * power of two kept apart, so that a result in or below the subnormal range keeps its digits
     * (relative error about 2^-88 for x &gt;= -1e5; below that, zero).
     */
    static ExtendedDouble expX(double x) {
        if (x < EXPX_MIN_ARG) {
            return ExtendedDouble.ZERO;
        }
        if (x == 0.0) {
            return ExtendedDouble.of(1.0);
        }
        double k = Math.rint(x / LN2_HI);
        double p = k * LN2_HI;
        double pe = Math.fma(k, LN2_HI, -p);
        DoubleDouble r = DoubleDouble.of(x).add(-p).add(-pe).add(-k * LN2_LO).norm();
        DoubleDouble e = DoubleDouble.of(1.0).add(expm1Reduced(r)).norm();
        return ExtendedDouble.of(e.hi, e.lo, (int) k);
    }

    /** expm1(r) for |r| &lt;= ln2/2 (a normalised double-double), with relative accuracy. */
    private static DoubleDouble expm1Reduced(DoubleDouble r) {
        // s = r / 2^SQUARINGS (exact), expm1(s) by its Taylor series
        DoubleDouble s = new DoubleDouble(Math.scalb(r.hi, -SQUARINGS), Math.scalb(r.lo, -SQUARINGS));
        DoubleDouble term = s.copy();
        DoubleDouble sum = s.copy();
        for (int n = 2; n <= 10; n++) {
            term.mul(s).div(n);
            sum.add(term);
            if (Math.abs(term.hi) < 1e-36 * Math.abs(sum.hi)) {
                break;
            }
        }
        // expm1(2t) = 2 expm1(t) + expm1(t)^2, SQUARINGS times
        for (int i = 0; i < SQUARINGS; i++) {
            DoubleDouble sq = sum.copy().mul(sum);
            sum.hi *= 2;
            sum.lo *= 2;
            sum.add(sq);
        }
        return sum;
    }

    /**
     * log1p(t) for t &gt; -1 given as a double-double: log1p, then one Newton step on exp. (The callers on
     * the hot paths pass t &gt;= 0; t &lt; 0 serves {@link #log}.)
     */
    static DoubleDouble log1p(DoubleDouble t) {
        DoubleDouble tt = t.copy().norm();
        double x = tt.hi;
        if (!(x > -1.0) || x == 0.0 || !Double.isFinite(x)) {
            return DoubleDouble.of(Libm.log1p(x));
        }
        if (Math.abs(x) < 0x1p-60) {
            // log1p(t) = t - t^2/2 + ..., t^2/2 below 2^-60 |t|
            return new DoubleDouble(x, tt.lo - 0.5 * x * x);
        }
        double y0 = Libm.log1p(x);
        if (Math.abs(x) < 0.25) {
            // y = y0 + (t - expm1(y0)) / exp(y0), with expm1(y0) kept to its own relative accuracy: formed
            // as (1 + t) - exp(y0), the difference would carry an absolute error near 2^-106, which is
            // a whole ulp of y when t is near 2^-53
            DoubleDouble em = expm1Reduced(DoubleDouble.of(y0));
            DoubleDouble num = tt.copy().sub(em).norm();
            return new DoubleDouble(y0, num.hi / (1.0 + em.hi)).norm();
        }
        DoubleDouble e = exp(y0);
        // y = y0 + ((1 + t) - exp(y0)) / exp(y0)
        DoubleDouble num = DoubleDouble.of(1.0).add(tt).sub(e).norm();
        return new DoubleDouble(y0, num.hi / e.hi).norm();
    }

    /**
     * log(y) for finite y &gt; 0 given as a double-double (relative error about 2^-100, also near y = 1):
     * log1p(y - 1) near 1, else y = m 2^k with m in [1/sqrt 2, sqrt 2), log1p(m - 1) + k ln 2, where
     * m - 1 is exact (Sterbenz).
     */
    static DoubleDouble log(DoubleDouble y) {
        DoubleDouble yy = y.copy().norm();
        double h = yy.hi;
        if (!(h > 0) || !Double.isFinite(h)) {
            return DoubleDouble.of(Libm.log(h));
        }
        if (h >= 0.7 && h <= 1.42) {
            return log1p(DoubleDouble.of(h - 1.0).add(yy.lo));
        }
        int k = 0;
        if (h < 0x1p-1000) {
            // subnormal or nearly so: bring into the normal range first (exact)
            h = Math.scalb(h, 128);
            yy.lo = Math.scalb(yy.lo, 128);
            k = -128;
        }
        int e = Math.getExponent(h);
        double m = Math.scalb(h, -e);
        if (m > 1.4142135623730951) {
            m *= 0.5;
            e++;
        }
        k += e;
        DoubleDouble l = log1p(DoubleDouble.of(m - 1.0).add(Math.scalb(yy.lo, -e)));
        return l.add(new DoubleDouble(LN2_HI, LN2_LO).mul(k));
    }
}
