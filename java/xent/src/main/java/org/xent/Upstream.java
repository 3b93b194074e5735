package org.xent;

/**
 * The upstream gradient {@code grad_output} of a gradient function (issue 17, E4): the result is the
 * vector-Jacobian product sum over outputs o of grad_output[o] * d output[o] / d input. Its shape is the
 * loss output's: the per-position (or per-element) shape for reduction none, a scalar for sum and mean;
 * null means all ones (the gradient itself). Products are ordinary IEEE products (NaN and infinities
 * propagate; 0 * inf is NaN), each rounded once.
 */
final class Upstream {
    private final double[] values;
    private final boolean scalar;

    private Upstream(double[] values, boolean scalar) {
        this.values = values;
        this.scalar = scalar;
    }

    /** No upstream gradient: all ones. */
    static final Upstream ONES = new Upstream(null, true);

    /**
     * grad_output of a loss with a reduction: {@code outputs} values for NONE, one (a scalar) for SUM and MEAN;
     * null is {@link #ONES}.
     *
     * @throws XentException shape_mismatch when the length is not the loss output's
     */
    static Upstream of(double[] gradOutput, Reduction reduction, int outputs) {
        return of(gradOutput, reduction == Reduction.NONE ? outputs : -1);
    }

    /** grad_output of {@code outputs} values (-1: a scalar); null is {@link #ONES}. */
    static Upstream of(double[] gradOutput, int outputs) {
        if (gradOutput == null) {
            return ONES;
        }
        int expected = outputs < 0 ? 1 : outputs;
        if (gradOutput.length != expected) {
            throw Check.err(ErrorKind.SHAPE_MISMATCH, "grad_output must have the loss output's shape ("
                    + (outputs < 0 ? "a scalar" : outputs + " values") + "); got " + gradOutput.length + " values");
        }
        return new Upstream(gradOutput, outputs < 0);
    }

    /** The upstream value of output o (1 without grad_output). */
    double at(int o) {
        return values == null ? 1.0 : values[scalar ? 0 : o];
    }

    /** gradient * grad_output[o], rounded once. */
    double times(ExtendedDouble gradient, int o) {
        return product(gradient, at(o));
    }

    /** gradient * grad_output[o], rounded once. */
    double times(DoubleDouble gradient, int o) {
        return product(ExtendedDouble.of(gradient), at(o));
    }

    /** x * g rounded once; IEEE semantics for NaN and infinities (a nonzero x keeps its sign however small). */
    static double product(ExtendedDouble x, double g) {
        if (g == 1.0) {
            return x.value();
        }
        if (Double.isFinite(g) && Double.isFinite(x.hi)) {
            return x.mul(ExtendedDouble.of(g)).value();
        }
        double sign = x.isZero() ? 0.0 : Double.isFinite(x.hi) ? Math.copySign(1.0, x.hi) : x.hi;
        return sign * g;
    }
}
