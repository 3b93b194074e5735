package org.xent;

/**
 * Per-element losses kept unrounded plus the mean's denominator. Both carry their own exponent
 * ({@link XD}), so a mean whose intermediate sums exceed the double range (weighted losses near
 * 0x1.fp+1023) is still formed exactly and rounded once.
 */
final class Losses {
    final XD[] per;
    final XD denominator;

    Losses(XD[] per, XD denominator) {
        this.per = per;
        this.denominator = denominator;
    }

    Losses(DoubleDouble[] per, DoubleDouble denominator) {
        this(extend(per), XD.of(denominator));
    }

    private static XD[] extend(DoubleDouble[] per) {
        XD[] out = new XD[per.length];
        for (int i = 0; i < per.length; i++) {
            out[i] = XD.of(per[i]);
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

    XD sum() {
        XD acc = XD.ZERO;
        for (XD l : per) {
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
