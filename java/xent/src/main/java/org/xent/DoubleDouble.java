package org.xent;

/**
 * A small mutable double-double (hi + lo, |lo| <= ulp(hi)/2 after {@link #norm()}) used to carry
 * intermediate results without rounding them: TwoSum for additions (this is Neumaier's compensated
 * summation when used as an accumulator) and FMA-exact products. Non-finite values drop the low part
 * and follow IEEE arithmetic on the high part.
 */
final class DoubleDouble {
    double hi;
    double lo;

    DoubleDouble() {
    }

    DoubleDouble(double hi, double lo) {
        this.hi = hi;
        this.lo = lo;
    }

    static DoubleDouble of(double x) {
        return new DoubleDouble(x, 0.0);
    }

    DoubleDouble copy() {
        return new DoubleDouble(hi, lo);
    }

    boolean isZero() {
        return hi == 0.0 && lo == 0.0;
    }

    boolean isFinite() {
        return Double.isFinite(hi);
    }

    /** Error of the rounded sum s = fl(a + b) (Knuth's TwoSum); a, b and s finite. */
    static double twoSumErr(double a, double b, double s) {
        double bp = s - a;
        double ap = s - bp;
        return (a - ap) + (b - bp);
    }

    DoubleDouble add(double b) {
        double s = hi + b;
        if (!Double.isFinite(s) || !Double.isFinite(hi) || !Double.isFinite(b)) {
            hi = s;
            lo = 0.0;
            return this;
        }
        lo += twoSumErr(hi, b, s);
        hi = s;
        return this;
    }

    DoubleDouble add(DoubleDouble b) {
        add(b.hi);
        if (Double.isFinite(hi)) {
            lo += b.lo;
        }
        return this;
    }

    DoubleDouble sub(DoubleDouble b) {
        add(-b.hi);
        if (Double.isFinite(hi)) {
            lo -= b.lo;
        }
        return this;
    }

    DoubleDouble neg() {
        hi = -hi;
        lo = -lo;
        return this;
    }

    DoubleDouble norm() {
        if (Double.isFinite(hi)) {
            double s = hi + lo;
            if (Double.isFinite(s)) {
                lo = lo - (s - hi);
                hi = s;
            }
        } else {
            lo = 0.0;
        }
        return this;
    }

    DoubleDouble mul(double b) {
        norm();
        double p = hi * b;
        if (!Double.isFinite(p) || !Double.isFinite(hi) || !Double.isFinite(b)) {
            hi = p;
            lo = 0.0;
            return this;
        }
        double e = Math.fma(hi, b, -p) + lo * b;
        hi = p;
        lo = e;
        return this;
    }

    DoubleDouble mul(DoubleDouble b) {
        norm();
        double bh = b.hi;
        double bl = Double.isFinite(bh) ? b.lo : 0.0;
        double p = hi * bh;
        if (!Double.isFinite(p) || !Double.isFinite(hi) || !Double.isFinite(bh)) {
            hi = p;
            lo = 0.0;
            return this;
        }
        double e = Math.fma(hi, bh, -p) + (hi * bl + lo * bh);
        hi = p;
        lo = e;
        return this;
    }

    DoubleDouble div(double b) {
        norm();
        double q = hi / b;
        if (!Double.isFinite(q) || !Double.isFinite(hi) || !Double.isFinite(b) || q == 0.0) {
            hi = q;
            lo = 0.0;
            return this;
        }
        double r = Math.fma(-q, b, hi) + lo;
        hi = q;
        lo = r / b;
        return this;
    }

    DoubleDouble div(DoubleDouble b) {
        norm();
        DoubleDouble bb = b.copy().norm();
        double q = hi / bb.hi;
        if (!Double.isFinite(q) || !Double.isFinite(hi) || !Double.isFinite(bb.hi) || q == 0.0) {
            hi = q;
            lo = 0.0;
            return this;
        }
        double r = Math.fma(-q, bb.hi, hi) + lo - q * bb.lo;
        hi = q;
        lo = r / bb.hi;
        return this;
    }

    /** The value rounded once to double. */
    double value() {
        return Double.isFinite(hi) ? hi + lo : hi;
    }

    @Override
    public String toString() {
        return hi + " + " + lo;
    }
}
