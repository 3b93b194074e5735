package org.xent;

/**
 * Products and complements the losses share, in double-double: a coefficient times a value where a
 * zero coefficient masks the value (0 log 0 = 0), and 1 - x formed without rounding.
 */
final class Terms {
    private Terms() {
    }

    /** coef * value, where a zero coefficient masks any value except NaN (0 log 0 = 0). */
    static DoubleDouble term(DoubleDouble coef, DoubleDouble value) {
        if (coef.isZero() && !Double.isNaN(value.hi)) {
            return DoubleDouble.of(0.0);
        }
        return coef.copy().mul(value);
    }

    /** {@link #term(DoubleDouble, DoubleDouble)} with extended exponent range: the product cannot overflow. */
    static ExtendedDouble term(ExtendedDouble coef, ExtendedDouble value) {
        if (coef.isZero() && !Double.isNaN(value.hi)) {
            return ExtendedDouble.ZERO;
        }
        return coef.mul(value);
    }

    static DoubleDouble oneMinus(double x) {
        return DoubleDouble.of(1.0).add(-x);
    }
}
