package org.xent;

/** Per-element losses kept unrounded (double-double) plus the mean's denominator. */
final class Losses {
    final DD[] per;
    final DD denominator;

    Losses(DD[] per, DD denominator) {
        this.per = per;
        this.denominator = denominator;
    }

    double[] values() {
        double[] out = new double[per.length];
        for (int i = 0; i < per.length; i++) {
            out[i] = per[i].value();
        }
        return out;
    }

    DD sum() {
        DD acc = new DD();
        for (DD l : per) {
            acc.add(l);
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
