package org.xent;

import java.util.OptionalInt;

/**
 * The binary64 kernels of {@link LogProbabilityLosses}: nll_loss and kl_div term by term, each term an
 * {@link ExtendedDouble} (exact products and double-double logarithms, exponentials with their own
 * exponent), summed without overflow and rounded once.
 */
final class LogProbabilityLossKernels {
    private LogProbabilityLossKernels() {
    }

    /** A checked nll_loss call: the loss of every position and the mean's denominator (the sum of w_y over kept positions). */
    record Nll(ExtendedDouble[] terms, ExtendedDouble denominator) {
    }

    /**
     * nll_loss's terms -w_y x[n, y, d...], checked in the spec's precedence (D1): input rank and C = 0, then
     * the target's length and the weight's, then weight values, then class indices.
     */
    static Nll nll(double[] input, int[] shape, int[] target, double[] weight, OptionalInt ignoreIndex) {
        Check.notNull(input, "input");
        Check.notNull(shape, "input shape");
        Check.notNull(target, "target");
        Check.notNull(ignoreIndex, "ignore_index (OptionalInt.empty() for none)");
        Check.rank(shape, 1, Check.MAX_RANK, "input");
        Check.dataLength(input.length, shape, "input");
        int classes = shape.length == 1 ? shape[0] : shape[1];
        if (classes == 0) {
            throw Check.err(ErrorKind.INVALID_SHAPE, "input must have at least one class; got shape " + Check.shapeString(shape));
        }
        int spatial = 1;
        for (int i = 2; i < shape.length; i++) {
            spatial *= shape[i];
        }
        int positions = shape.length == 1 ? 1 : shape[0] * spatial;
        if (target.length != positions) {
            throw Check.err(ErrorKind.SHAPE_MISMATCH, "target has " + target.length + " class indices but input of shape "
                    + Check.shapeString(shape) + " has " + positions + " positions");
        }
        if (weight != null && weight.length != classes) {
            throw Check.err(ErrorKind.SHAPE_MISMATCH, "weight must have shape [" + classes + "] (one per class); got length "
                    + weight.length);
        }
        if (weight != null) {
            Check.weights(weight, "weight");
        }
        checkIndices(target, classes, ignoreIndex);
        ExtendedDouble[] terms = new ExtendedDouble[positions];
        ExtendedDouble den = ExtendedDouble.ZERO;
        for (int p = 0; p < positions; p++) {
            int y = target[p];
            if (ignored(y, ignoreIndex)) {
                terms[p] = ExtendedDouble.ZERO; // whatever the input holds there, NaN included (D2)
                continue;
            }
            double w = weight == null ? 1.0 : weight[y];
            double x = input[(p / spatial * classes + y) * spatial + p % spatial];
            terms[p] = w == 0.0 && !Double.isNaN(x) ? ExtendedDouble.ZERO // a zero weight masks an infinite x (D4)
                    : ExtendedDouble.of(w).mul(ExtendedDouble.of(-x));
            den = den.add(ExtendedDouble.of(w));
        }
        return new Nll(terms, den);
    }

    static boolean ignored(int y, OptionalInt ignoreIndex) {
        return ignoreIndex.isPresent() && y == ignoreIndex.getAsInt();
    }

    /** Every target in [0, C) unless it is the ignored index: index_out_of_range otherwise. */
    static void checkIndices(int[] target, int classes, OptionalInt ignoreIndex) {
        for (int p = 0; p < target.length; p++) {
            int y = target[p];
            if (!ignored(y, ignoreIndex) && (y < 0 || y >= classes)) {
                throw Check.err(ErrorKind.INDEX_OUT_OF_RANGE, "target[" + p + "] = " + y + " is outside [0, " + classes
                        + ") and " + (ignoreIndex.isPresent() ? "is not ignore_index (" + ignoreIndex.getAsInt() + ")"
                        : "no index is ignored"));
            }
        }
    }

    /** kl_div's terms, input and target of one shape (rank 0 to 8). */
    static ExtendedDouble[] kl(double[] input, double[] target, int[] shape, boolean logTarget) {
        Check.notNull(input, "input");
        Check.notNull(target, "target");
        Check.notNull(shape, "shape");
        Check.rank(shape, 0, Check.MAX_RANK, "input");
        Check.dataLength(input.length, shape, "input");
        Check.dataLength(target.length, shape, "target");
        ExtendedDouble[] terms = new ExtendedDouble[input.length];
        for (int i = 0; i < terms.length; i++) {
            terms[i] = logTarget ? logTargetTerm(target[i], input[i]) : term(target[i], input[i]);
        }
        return terms;
    }

    /** t (log t - x): 0 for t = 0 (xlogy, even at an infinite x), NaN for t &lt; 0 or a NaN. */
    static ExtendedDouble term(double t, double x) {
        if (Double.isNaN(t) || Double.isNaN(x) || t < 0) {
            return ExtendedDouble.of(Double.NaN);
        }
        if (t == 0.0) {
            return ExtendedDouble.ZERO; // a zero coefficient contributes 0, even times an infinite log t - x
        }
        if (t == Double.POSITIVE_INFINITY || Double.isInfinite(x)) {
            return ExtendedDouble.of(t * (StrictMath.log(t) - x)); // the limit; inf - inf = NaN (t = x = +inf)
        }
        DoubleDouble d = DoubleDoubleMath.log(DoubleDouble.of(t)).sub(DoubleDouble.of(x));
        return ExtendedDouble.of(t).mul(ExtendedDouble.of(d));
    }

    /** Beyond this |t|, exp(t) (t - x) is far outside the double range unless t = x: a power of two stands for exp(t). */
    private static final double EXP_FAR = 1e5;

    /** exp(t) (t - x): 0 for t = -inf (the probability exp(t) is 0), NaN for a NaN. */
    static ExtendedDouble logTargetTerm(double t, double x) {
        if (Double.isNaN(t) || Double.isNaN(x)) {
            return ExtendedDouble.of(Double.NaN);
        }
        if (t == Double.NEGATIVE_INFINITY) {
            return ExtendedDouble.ZERO; // a zero coefficient exp(-inf) contributes 0
        }
        if (Double.isInfinite(t) || Double.isInfinite(x)) {
            return ExtendedDouble.of(StrictMath.exp(t) * (t - x)); // the limit; inf - inf = NaN (t = x = +inf)
        }
        DoubleDouble d = DoubleDouble.of(t).add(-x);
        if (!d.isFinite()) {
            // |t - x| beyond the double range needs |t| near the largest double: exp(t) overflows the
            // product (t > 0) or makes it 0 with the sign of t - x (t < 0)
            return ExtendedDouble.of(t > 0 ? d.hi : Math.copySign(0.0, d.hi));
        }
        ExtendedDouble e = t > EXP_FAR ? ExtendedDouble.of(1.0, 0.0, 1 << 20) : DoubleDoubleMath.expX(t);
        return e.mul(ExtendedDouble.of(d));
    }

    /** The sum of the terms, divided by den when den is not null, rounded once. */
    static double reduce(ExtendedDouble[] terms, ExtendedDouble den) {
        ExtendedDouble s = ExtendedDouble.ZERO;
        for (ExtendedDouble t : terms) {
            s = s.add(t);
        }
        return den == null ? s.value() : s.div(den).value();
    }

    static double[] values(ExtendedDouble[] terms) {
        double[] out = new double[terms.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = terms[i].value();
        }
        return out;
    }
}
