package org.xent;

/**
 * A double-double with its own binary exponent: value = (hi + lo) * 2^e with hi in [1, 2) (or hi zero,
 * infinite or NaN and e = 0). Used where a product or a sum of finite losses can exceed the double
 * range although the quantity finally returned (a mean) does not: a weighted loss of 2 * 0x1.fp+1023
 * summed over a batch, or a - x_i for logits spanning more than the double range. Immutable.
 */
final class ExtendedDouble {
    static final ExtendedDouble ZERO = new ExtendedDouble(0.0, 0.0, 0);

    final double hi;
    final double lo;
    final int e;

    private ExtendedDouble(double hi, double lo, int e) {
        this.hi = hi;
        this.lo = lo;
        this.e = e;
    }

    /** (hi + lo) * 2^e, normalised so that the high part lies in [1, 2). */
    static ExtendedDouble of(double hi, double lo, int e) {
        if (lo != 0.0 && Double.isFinite(hi) && Double.isFinite(lo)) {
            // renormalise first: after a cancellation lo may exceed hi (or hi be 0), and the exponent is hi's
            double s = hi + lo;
            if (Double.isFinite(s)) {
                lo = DoubleDouble.twoSumErr(hi, lo, s);
                hi = s;
            }
        }
        if (hi == 0.0 || !Double.isFinite(hi)) {
            return hi == 0.0 && lo == 0.0 ? ZERO : new ExtendedDouble(Double.isFinite(hi) ? hi + lo : hi, 0.0, 0);
        }
        if (Math.abs(hi) < Double.MIN_NORMAL) {
            return of(Math.scalb(hi, 128), Math.scalb(lo, 128), e - 128);
        }
        int x = Math.getExponent(hi);
        return new ExtendedDouble(Math.scalb(hi, -x), Math.scalb(lo, -x), e + x);
    }

    static ExtendedDouble of(DoubleDouble d) {
        return of(d.hi, d.lo, 0);
    }

    static ExtendedDouble of(double x) {
        return of(x, 0.0, 0);
    }

    boolean isZero() {
        return hi == 0.0;
    }

    DoubleDouble mantissa() {
        return new DoubleDouble(hi, lo);
    }

    ExtendedDouble mul(ExtendedDouble b) {
        DoubleDouble p = mantissa().mul(b.mantissa());
        return Double.isFinite(p.hi) && p.hi != 0.0 ? of(p.hi, p.lo, e + b.e) : of(p.hi, p.lo, 0);
    }

    ExtendedDouble div(ExtendedDouble b) {
        DoubleDouble q = mantissa().div(b.mantissa());
        return Double.isFinite(q.hi) && q.hi != 0.0 ? of(q.hi, q.lo, e - b.e) : of(q.hi, q.lo, 0);
    }

    /** The sum; the smaller operand is scaled to the larger one's exponent (its lost bits are below 2^-1000 of the sum). */
    ExtendedDouble add(ExtendedDouble b) {
        if (b.isZero()) {
            return this;
        }
        if (isZero()) {
            return b;
        }
        if (!Double.isFinite(hi) || !Double.isFinite(b.hi)) {
            return of(hi + b.hi);
        }
        int top = Math.max(e, b.e);
        DoubleDouble s = new DoubleDouble(Math.scalb(hi, e - top), Math.scalb(lo, e - top));
        s.add(new DoubleDouble(Math.scalb(b.hi, b.e - top), Math.scalb(b.lo, b.e - top)));
        return of(s.hi, s.lo, top);
    }

    /** Rounded once to double: +-inf when the magnitude exceeds the double range. */
    double value() {
        if (!Double.isFinite(hi) || hi == 0.0) {
            return hi;
        }
        if (e > Double.MAX_EXPONENT) {
            return Math.copySign(Double.POSITIVE_INFINITY, hi);
        }
        if (e < Double.MIN_EXPONENT) {
            // subnormal or zero result: round hi to the subnormal grid, then correct by one step where
            // the remainder (hi's rounding error plus lo, exact up to lo's rounding) exceeds half a step
            // (scaling the rounded hi + lo could round twice)
            double r = Math.scalb(hi, e);
            double rem = (hi - Math.scalb(r, -e)) + lo;
            double half = Math.scalb(1.0, -1075 - e); // half a subnormal step, in hi's units
            if (rem > half) {
                r = Math.nextUp(r);
            } else if (rem < -half) {
                r = Math.nextDown(r);
            }
            return r;
        }
        return new DoubleDouble(Math.scalb(hi, e), Math.scalb(lo, e)).value();
    }
}
