package org.xent;

/**
 * Sums and products of exact values ({@link ExtendedDouble}) with IEEE rules for the non-finite ones:
 * NaN propagates, +inf + -inf is NaN, 0 * inf is NaN, except in {@link #term} where an exactly zero
 * coefficient contributes 0 to whatever infinite value it multiplies (D4; NaN is never masked).
 */
final class Ieee {
    private Ieee() {
    }

    static ExtendedDouble add(ExtendedDouble a, ExtendedDouble b) {
        return a.add(b); // ExtendedDouble adds non-finite operands by IEEE addition
    }

    static ExtendedDouble neg(ExtendedDouble a) {
        return mul(a, ExtendedDouble.of(-1.0));
    }

    /** a * b; with a non-finite operand the IEEE product (a finite operand stands for its sign, or 0). */
    static ExtendedDouble mul(ExtendedDouble a, ExtendedDouble b) {
        if (Double.isFinite(a.hi) && Double.isFinite(b.hi)) {
            return a.mul(b);
        }
        return ExtendedDouble.of(representative(a) * representative(b));
    }

    /** coef * value, 0 when coef is exactly 0 and value is not NaN (D4). */
    static ExtendedDouble term(ExtendedDouble coef, ExtendedDouble value) {
        if (coef.isZero() && !Double.isNaN(value.hi)) {
            return ExtendedDouble.ZERO;
        }
        return mul(coef, value);
    }

    private static double representative(ExtendedDouble x) {
        return x.isZero() ? 0.0 : Double.isFinite(x.hi) ? Math.copySign(1.0, x.hi) : x.hi;
    }
}
