package org.xent;

/**
 * softmax, log-softmax and log-sum-exp over a vector (the {@link Row} kernel), and the elementwise
 * logistic functions sigmoid, softplus and log-sigmoid, in binary64; the double-double forms are
 * shared with the losses and gradients built on them.
 */
final class PrimitiveKernels {
    private PrimitiveKernels() {
    }

    static Row row(double[] x, String name) {
        Check.nonEmpty(x, name);
        return new Row(x.length).load(x, 0, 1);
    }

    static double logsumexp(double[] x) {
        return lse(row(x, "x"));
    }

    /** The log-sum-exp of a loaded row (also one slice of a tensor along an axis: {@link AlongAxis}). */
    static double lse(Row r) {
        switch (r.status) {
            case Row.NAN:
                return Double.NaN;
            case Row.ONE_POSINF:
            case Row.MULTI_POSINF:
                return Double.POSITIVE_INFINITY;
            case Row.ALL_NEGINF:
                return Double.NEGATIVE_INFINITY;
            default:
                // a tiny L (all terms below the normal range) is added to a with its own exponent, rounded once
                return r.lx != null ? ExtendedDouble.of(r.a).add(r.lx).value() : DoubleDouble.of(r.a).add(r.lse1p()).value();
        }
    }

    static double[] softmax(double[] x) {
        return perEntry(x, SOFTMAX);
    }

    static double[] logSoftmax(double[] x) {
        return perEntry(x, LOG_SOFTMAX);
    }

    /** One output of a row's analysis at entry i, for a row with a limit (FINITE or ONE_POSINF). */
    interface RowEntry {
        double at(Row r, int i);
    }

    static final RowEntry SOFTMAX = (r, i) -> r.prob(i).value();
    static final RowEntry LOG_SOFTMAX = (r, i) -> i == r.k && r.lx != null ? -r.lx.value() : -r.nll(i).value();

    /** Entry i of a loaded row; NaN when the row has no limit (NaN, two +inf, all -inf). */
    static double entry(Row r, int i, RowEntry entry) {
        return r.status == Row.FINITE || r.status == Row.ONE_POSINF ? entry.at(r, i) : Double.NaN;
    }

    /** Every entry of a row. */
    private static double[] perEntry(double[] x, RowEntry entry) {
        Row r = row(x, "x");
        double[] out = new double[x.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = entry(r, i, entry);
        }
        return out;
    }

    /** softplus(z) = max(z, 0) + log1p(exp(-|z|)). */
    static DoubleDouble softplusDD(double z) {
        if (Double.isNaN(z)) {
            return DoubleDouble.of(Double.NaN);
        }
        if (z == Double.POSITIVE_INFINITY) {
            return DoubleDouble.of(Double.POSITIVE_INFINITY);
        }
        if (z == Double.NEGATIVE_INFINITY) {
            return DoubleDouble.of(0.0);
        }
        DoubleDouble t = DoubleDoubleMath.log1p(DoubleDoubleMath.exp(-Math.abs(z)));
        return z > 0 ? DoubleDouble.of(z).add(t) : t;
    }

    /** sigmoid(z) = 1 / (1 + exp(-z)) for z >= 0, exp(z) / (1 + exp(z)) for z < 0. */
    static DoubleDouble sigmoidDD(double z) {
        if (Double.isNaN(z)) {
            return DoubleDouble.of(Double.NaN);
        }
        if (z >= 0) {
            DoubleDouble e = DoubleDoubleMath.exp(-z);
            return DoubleDouble.of(1.0).div(DoubleDouble.of(1.0).add(e));
        }
        DoubleDouble e = DoubleDoubleMath.exp(z);
        return e.copy().div(DoubleDouble.of(1.0).add(e));
    }

    /** Beyond this |z|, softplus(-|z|) = exp(-|z|) &lt; 2^-1009 is formed with its own exponent ({@link #softplusX}). */
    static final double SOFTPLUS_TINY_ARG = 700.0;

    /**
     * softplus(z) with an extended exponent: for z &lt; -{@link #SOFTPLUS_TINY_ARG} it is exp(z) (log1p(e) = e
     * to 2^-1009 relative), formed as 2^k exp(r) ({@link DoubleDoubleMath#expX}) so that losses in or below the
     * subnormal range add up before the result is rounded; for z &gt; 700 it is z (the tail exp(-z) is
     * below 2^-1018 of it); otherwise {@link #softplusDD}.
     */
    static ExtendedDouble softplusX(double z) {
        if (Double.isFinite(z) && Math.abs(z) > SOFTPLUS_TINY_ARG) {
            return z > 0 ? ExtendedDouble.of(z) : DoubleDoubleMath.expX(z);
        }
        return ExtendedDouble.of(softplusDD(z));
    }

    /**
     * sigmoid(z) with its own exponent: below -{@link #SOFTPLUS_TINY_ARG} it is exp(z) (1 - exp(z) + ...) = exp(z)
     * to 2^-1009 relative, formed by {@link DoubleDoubleMath#expX} so that a subnormal-range value keeps its digits.
     */
    static ExtendedDouble sigmoidX(double z) {
        if (z < -SOFTPLUS_TINY_ARG && z != Double.NEGATIVE_INFINITY) {
            return DoubleDoubleMath.expX(z);
        }
        return ExtendedDouble.of(sigmoidDD(z));
    }

    static double sigmoid(double z) {
        return sigmoidDD(z).value();
    }

    static double softplus(double z) {
        return softplusDD(z).value();
    }

    static double logSigmoid(double z) {
        return -softplusDD(-z).value();
    }
}
