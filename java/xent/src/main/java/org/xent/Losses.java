package org.xent;

/**
 * Per-element losses kept unrounded plus the mean's denominator. Both carry their own exponent
 * ({@link ExtendedDouble}), so a mean whose intermediate sums exceed the double range (weighted losses near
 * 0x1.fp+1023) is still formed exactly and rounded once.
 */
final class Losses {
    final ExtendedDouble[] per;
    final ExtendedDouble denominator;

    Losses(ExtendedDouble[] per, ExtendedDouble denominator) {
        this.per = per;
        this.denominator = denominator;
    }

    Losses(DoubleDouble[] per, DoubleDouble denominator) {
        this(extend(per), ExtendedDouble.of(denominator));
    }

    private static ExtendedDouble[] extend(DoubleDouble[] per) {
        ExtendedDouble[] out = new ExtendedDouble[per.length];
        for (int i = 0; i < per.length; i++) {
            out[i] = ExtendedDouble.of(per[i]);
        }
        return out;
    }

    double[] values() {
        double[] out = new double[per.length];
        for (int i = 0; i < per.length; i++) {
            out[i] = per[i].value();
        }
        return out;
    }

    ExtendedDouble sum() {
        ExtendedDouble acc = ExtendedDouble.ZERO;
        for (ExtendedDouble l : per) {
            acc = acc.add(l);
        }
        return acc;
    }

    double reduce(Reduction r) {
        switch (r) {
            case SUM:
                return sum().value();
            case MEAN:
                return sum().div(denominator).value();
            default:
                throw new XentException(ErrorKind.INVALID_ARGUMENT, "reduction NONE does not reduce");
        }
    }
}
