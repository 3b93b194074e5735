package org.xent;

/**
 * Per-element losses kept unrounded plus the mean's denominator. Both carry their own exponent
 * ({@link ExtendedDouble}), so a mean whose intermediate sums exceed the double range (weighted losses near
 * 0x1.fp+1023) is still formed exactly and rounded once.
 */
final class Losses {
    final ExtendedDouble[] per;
    final ExtendedDouble denominator;
    /** softmax_cross_entropy's z-loss terms (null: none) and its call (null: IEEE means), issue 17. */
    private final ExtendedDouble[] zPer;
    private final SoftmaxCrossEntropyCall call;

    Losses(ExtendedDouble[] per, ExtendedDouble denominator) {
        this(per, denominator, null, null);
    }

    /**
     * Cross-entropies per, z-loss terms zPer (null: none) and the call's empty_mean: the mean divides the
     * cross-entropies by denominator and the z-loss terms by the number of non-ignored positions, each
     * quotient 0 for a zero denominator under empty_mean zero (the spec's choice, as Liger-Kernel and
     * flash-attention).
     */
    Losses(ExtendedDouble[] per, ExtendedDouble denominator, ExtendedDouble[] zPer, SoftmaxCrossEntropyCall call) {
        this.per = zPer == null ? per : plus(per, zPer);
        this.denominator = denominator;
        this.zPer = zPer;
        this.call = call;
        this.ceSum = zPer == null ? null : sum(per);
    }

    /** With z-loss terms: the sum of the cross-entropies alone (per holds both parts). */
    private final ExtendedDouble ceSum;

    private static ExtendedDouble[] plus(ExtendedDouble[] a, ExtendedDouble[] b) {
        ExtendedDouble[] out = new ExtendedDouble[a.length];
        for (int i = 0; i < a.length; i++) {
            out[i] = a[i].add(b[i]);
        }
        return out;
    }

    /** Losses whose mean over a zero denominator follows empty_mean (IEEE division, or 0). */
    Losses(ExtendedDouble[] per, ExtendedDouble denominator, EmptyMean emptyMean) {
        this.per = per;
        this.denominator = denominator;
        this.zPer = null;
        this.call = null;
        this.ceSum = null;
        this.emptyMean = emptyMean;
    }

    /** The empty_mean of a call without a {@link SoftmaxCrossEntropyCall} (null: IEEE division). */
    private EmptyMean emptyMean;

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
        return sum(per);
    }

    private static ExtendedDouble sum(ExtendedDouble[] values) {
        ExtendedDouble acc = ExtendedDouble.ZERO;
        for (ExtendedDouble l : values) {
            acc = acc.add(l);
        }
        return acc;
    }

    private double mean() {
        if (call == null) {
            return denominator.isZero() && emptyMean == EmptyMean.ZERO ? 0.0 : sum().div(denominator).value();
        }
        if (zPer == null) {
            return call.quotient(sum(), denominator).value();
        }
        return call.quotient(ceSum, denominator).add(call.quotient(sum(zPer), ExtendedDouble.of(call.kept()))).value();
    }

    double reduce(Reduction r) {
        if (call != null && call.result == SoftmaxCrossEntropyResult.LSE) {
            throw new XentException(ErrorKind.INVALID_ARGUMENT, "result lse is one value per position, never reduced:"
                    + " use the unreduced entry point");
        }
        switch (r) {
            case SUM:
                return sum().value();
            case MEAN:
                return mean();
            default:
                throw new XentException(ErrorKind.INVALID_ARGUMENT, "reduction NONE does not reduce");
        }
    }
}
