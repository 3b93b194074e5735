package org.xent;

/**
 * The computations behind {@link CrossEntropy}, in binary64 on flat row-major arrays. Inputs are
 * validated here; every public entry point (double and float) ends up in one of these methods.
 */
final class Impl {
    static final double LN2_HI = 0x1.62e42fefa39efp-1;
    static final double LN2_LO = 0x1.abc9e3b39803fp-56;

    private Impl() {
    }

    // ------------------------------------------------------------------ helpers

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

    static DoubleDouble toBase(DoubleDouble nats, LogBase base) {
        if (base == LogBase.TWO) {
            return nats.div(new DoubleDouble(LN2_HI, LN2_LO));
        }
        return nats;
    }

    static Row row(double[] x, String name) {
        Check.nonEmpty(x, name);
        return new Row(x.length).load(x, 0, 1);
    }

    // ------------------------------------------------------------------ primitives over a vector

    static double logsumexp(double[] x) {
        Row r = row(x, "x");
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
        Row r = row(x, "x");
        double[] out = new double[x.length];
        if (r.status != Row.FINITE && r.status != Row.ONE_POSINF) {
            java.util.Arrays.fill(out, Double.NaN);
            return out;
        }
        for (int i = 0; i < out.length; i++) {
            out[i] = r.prob(i).value();
        }
        return out;
    }

    static double[] logSoftmax(double[] x) {
        Row r = row(x, "x");
        double[] out = new double[x.length];
        if (r.status != Row.FINITE && r.status != Row.ONE_POSINF) {
            java.util.Arrays.fill(out, Double.NaN);
            return out;
        }
        for (int i = 0; i < out.length; i++) {
            out[i] = i == r.k && r.lx != null ? -r.lx.value() : -r.nll(i).value();
        }
        return out;
    }

    // ------------------------------------------------------------------ elementwise logistic functions

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

    static double sigmoid(double z) {
        return sigmoidDD(z).value();
    }

    static double softplus(double z) {
        return softplusDD(z).value();
    }

    static double logSigmoid(double z) {
        return -softplusDD(-z).value();
    }

    // ------------------------------------------------------------------ information theory

    // Every entry point checks in the spec's error precedence (D1): scalar parameters, then ranks and
    // empty axes, then shape agreement, then values (tensor parameters, indices, probabilities).

    static double entropy(double[] p, LogBase base) {
        Check.notNull(base, "base");
        Check.nonEmpty(p, "p");
        Check.probabilities(p, "p");
        DoubleDouble acc = new DoubleDouble();
        for (double pi : p) {
            if (pi > 0) {
                acc.add(DoubleDouble.of(pi).mul(-Libm.log(pi)));
            }
        }
        return toBase(acc, base).value();
    }

    static double crossEntropy(double[] p, double[] q, LogBase base, double epsilon) {
        Check.notNull(base, "base");
        Check.inClosedUnit(epsilon, "epsilon");
        Check.nonEmpty(p, "p");
        Check.nonEmpty(q, "q");
        Check.sameLength(p, "p", q, "q");
        Check.probabilities(p, "p");
        Check.probabilities(q, "q");
        int n = p.length;
        DoubleDouble acc = new DoubleDouble();
        if (epsilon == 0.0) {
            for (int i = 0; i < n; i++) {
                if (p[i] > 0) {
                    acc.add(DoubleDoubleMath.log(DoubleDouble.of(q[i])).mul(-p[i]));
                }
            }
        } else {
            // q'_i = a_i / S with a_i = q_i + eps, S = sum_j a_j; -log q'_i = log1p((S - a_i) / a_i).
            DoubleDouble[] ai = new DoubleDouble[n];
            DoubleDouble total = new DoubleDouble();
            for (int i = 0; i < n; i++) {
                ai[i] = DoubleDouble.of(q[i]).add(epsilon);
                total.add(ai[i]);
            }
            for (int i = 0; i < n; i++) {
                if (p[i] > 0) {
                    DoubleDouble rest = total.copy().sub(ai[i]);
                    DoubleDouble ratio = rest.copy().div(ai[i]).norm();
                    DoubleDouble t;
                    if (ratio.hi > 0x1p1000) {
                        // a_i is tiny (a subnormal epsilon): the ratio would overflow, and
                        // log(S - a_i) - log(a_i) has no cancellation at this size.
                        t = DoubleDoubleMath.log(rest).sub(DoubleDoubleMath.log(ai[i]));
                    } else {
                        t = DoubleDoubleMath.log1p(ratio);
                    }
                    acc.add(t.mul(p[i]));
                }
            }
        }
        return toBase(acc, base).value();
    }

    static double klDivergence(double[] p, double[] q, LogBase base) {
        Check.notNull(base, "base");
        Check.nonEmpty(p, "p");
        Check.nonEmpty(q, "q");
        Check.sameLength(p, "p", q, "q");
        Check.probabilities(p, "p");
        Check.probabilities(q, "q");
        DoubleDouble acc = new DoubleDouble();
        for (int i = 0; i < p.length; i++) {
            double pi = p[i];
            double qi = q[i];
            if (!(pi > 0)) {
                continue;
            }
            if (qi == 0.0) {
                acc.add(Double.POSITIVE_INFINITY);
                continue;
            }
            if (pi == qi) {
                continue;
            }
            // The terms p log(p/q) have both signs and their sum may cancel, so each log ratio is formed
            // as a double-double (a rounded quotient or log would be amplified by that cancellation).
            DoubleDouble lr;
            if (pi >= 0.5 * qi && pi <= 2.0 * qi) {
                // p - q is exact (Sterbenz): log(p/q) = log1p((p - q)/q)
                lr = DoubleDoubleMath.log1p(DoubleDouble.of(pi - qi).div(qi));
            } else {
                DoubleDouble r = DoubleDouble.of(pi).div(qi);
                if (Double.isFinite(r.hi) && r.hi >= 0x1p-1000 && r.hi <= 0x1p1000) {
                    lr = DoubleDoubleMath.log(r);
                } else {
                    lr = DoubleDoubleMath.log(DoubleDouble.of(pi)).sub(DoubleDoubleMath.log(DoubleDouble.of(qi)));
                }
            }
            acc.add(lr.mul(pi));
        }
        return toBase(acc, base).value();
    }

    // ------------------------------------------------------------------ losses from probabilities

    static Losses nllFromProbs(double[] probs, int[] shape, int[] target, double epsilon) {
        Check.inClosedUnit(epsilon, "epsilon");
        Check.notNull(shape, "probs shape");
        Check.rank(shape, 2, 2, "probs");
        Check.data(probs, shape, "probs");
        int nRows = shape[0];
        int c = shape[1];
        if (c == 0) {
            throw Check.err(ErrorKind.INVALID_SHAPE, "probs must have at least one class; got shape "
                    + Check.shapeString(shape));
        }
        Check.notNull(target, "target");
        if (target.length != nRows) {
            throw Check.err(ErrorKind.SHAPE_MISMATCH, "target has length " + target.length
                    + " but probs has " + nRows + " rows (shape " + Check.shapeString(shape) + ")");
        }
        for (int n = 0; n < nRows; n++) {
            if (target[n] < 0 || target[n] >= c) {
                throw Check.err(ErrorKind.INDEX_OUT_OF_RANGE, "target[" + n + "] = " + target[n]
                        + " is outside [0, " + c + ")");
            }
        }
        Check.probabilities(probs, "probs");
        DoubleDouble[] per = new DoubleDouble[nRows];
        for (int n = 0; n < nRows; n++) {
            double p = Math.max(probs[n * c + target[n]], epsilon);
            per[n] = DoubleDouble.of(-Libm.log(p));
        }
        return new Losses(per, DoubleDouble.of(nRows));
    }

    static Losses categoricalCrossEntropy(double[] t, int[] tShape, double[] p, int[] pShape) {
        Check.notNull(tShape, "t shape");
        Check.notNull(pShape, "p shape");
        Check.rank(tShape, 2, 2, "t");
        Check.rank(pShape, 2, 2, "p");
        Check.data(t, tShape, "t");
        Check.data(p, pShape, "p");
        if (tShape[1] == 0 || pShape[1] == 0) {
            throw Check.err(ErrorKind.INVALID_SHAPE, "t and p must have at least one class; got shapes "
                    + Check.shapeString(tShape) + " and " + Check.shapeString(pShape));
        }
        Check.sameShape(tShape, "t", pShape, "p");
        Check.probabilities(t, "t");
        Check.probabilities(p, "p");
        int nRows = tShape[0];
        int c = tShape[1];
        DoubleDouble[] per = new DoubleDouble[nRows];
        for (int n = 0; n < nRows; n++) {
            DoubleDouble acc = new DoubleDouble();
            for (int j = 0; j < c; j++) {
                double tj = t[n * c + j];
                if (tj > 0) {
                    acc.add(DoubleDouble.of(tj).mul(-Libm.log(p[n * c + j])));
                }
            }
            per[n] = acc;
        }
        return new Losses(per, DoubleDouble.of(nRows));
    }

    static void checkBceEpsilon(double epsilon) {
        if (!(epsilon >= 0.0 && epsilon < 0.5)) {
            throw Check.err(ErrorKind.INVALID_ARGUMENT, "epsilon must be in [0, 0.5); got " + epsilon);
        }
    }

    static Losses binaryCrossEntropy(double[] y, double[] p, double epsilon) {
        checkBceEpsilon(epsilon);
        Check.notNull(y, "y");
        Check.notNull(p, "p");
        Check.sameLength(y, "y", p, "p");
        Check.probabilities(y, "y");
        Check.probabilities(p, "p");
        DoubleDouble[] per = new DoubleDouble[y.length];
        // the logs as double-doubles: a rounded log's half-ulp would be a good part of the final error
        DoubleDouble logEps = epsilon > 0 ? DoubleDoubleMath.log(DoubleDouble.of(epsilon)) : DoubleDouble.of(Double.NEGATIVE_INFINITY);
        DoubleDouble log1mEps = DoubleDoubleMath.log1p(DoubleDouble.of(-epsilon));
        for (int i = 0; i < y.length; i++) {
            double pi = p[i];
            DoubleDouble lp;
            DoubleDouble l1p;
            if (pi < epsilon) {
                lp = logEps;
                l1p = log1mEps;
            } else if (pi >= 0.5 && 1.0 - pi < epsilon) {
                // p > 1 - epsilon exactly (1 - p is exact for p >= 1/2): 1 - p' = epsilon
                lp = log1mEps;
                l1p = logEps;
            } else {
                lp = DoubleDoubleMath.log(DoubleDouble.of(pi));
                l1p = pi < 0.5 ? DoubleDoubleMath.log1p(DoubleDouble.of(-pi)) : DoubleDoubleMath.log(DoubleDouble.of(1.0 - pi));
            }
            per[i] = term(DoubleDouble.of(y[i]), lp.copy().neg()).add(term(oneMinus(y[i]), l1p.copy().neg()));
        }
        return new Losses(per, DoubleDouble.of(y.length));
    }

    // ------------------------------------------------------------------ losses from logits

    static boolean usable(Row r) {
        return r.status == Row.FINITE || r.status == Row.ONE_POSINF;
    }

    static Losses softmaxCrossEntropy(SoftmaxCrossEntropyCall g) {
        int positions = g.positions();
        ExtendedDouble[] per = new ExtendedDouble[positions];
        Row r = new Row(g.c);
        // class-index targets without smoothing: the loss is w_y (-log_softmax_y), one lean pass per row
        boolean lean = g.index != null && g.eps == 0.0;
        for (int p = 0; p < positions; p++) {
            if (g.ignored(p)) {
                per[p] = ExtendedDouble.ZERO;
                continue;
            }
            g.load(r, p, lean);
            if (!usable(r)) {
                per[p] = ExtendedDouble.of(Double.NaN);
                continue;
            }
            if (lean) {
                double w = g.weight(g.index[p]);
                per[p] = w == 0.0 ? ExtendedDouble.ZERO : ExtendedDouble.of(w).mul(r.nllX(g.index[p]));
                continue;
            }
            ExtendedDouble[] m = g.massX(p);
            ExtendedDouble acc = ExtendedDouble.ZERO;
            for (int j = 0; j < g.c; j++) {
                if (!m[j].isZero()) {
                    acc = acc.add(m[j].mul(r.nllX(j)));
                }
            }
            per[p] = acc;
        }
        return new Losses(per, g.denominator());
    }

    /**
     * g_c M - m_c for a row whose logits all lie within 1/2 of the maximum or are -inf, where the usual
     * form cancels (label smoothing 1 on nearly uniform logits). With e_k = 1 + f_k, f_k = expm1(d_k) for
     * the A finite logits, e_k = 0 for the masked (-inf) ones (not 1 + (-1), which would cancel),
     * F = sum f_k, S = A + F and M = sum m_j:
     * g_c M - m_c = ((M - A m_c) + f_c M - m_c F) / S for a finite c, and -m_c for a masked c.
     * The small terms f_c M and m_c F carry their own relative accuracy, so the error scales with the
     * logits' spread rather than with u. M - A m_c = sum_{finite j} (m_j - r) - A (m_c - r)
     * + sum_{masked j} m_j is formed from the differences to a reference mass r, one the classes share
     * (index targets give every class but the target the same mass), so equal masses cancel exactly.
     */
    static final class NearlyUniform {
        private final DoubleDouble[] f;
        private final boolean[] masked;
        private final DoubleDouble mTotal;
        private final DoubleDouble ref;
        private final DoubleDouble delta = new DoubleDouble();
        private final DoubleDouble fSum = new DoubleDouble();
        private final DoubleDouble s;
        private final double finite;

        NearlyUniform(Row r, DoubleDouble[] m, DoubleDouble mTotal) {
            int c = r.n;
            f = new DoubleDouble[c];
            masked = new boolean[c];
            ref = commonMass(m);
            int a = 0;
            for (int i = 0; i < c; i++) {
                if (r.d[i] == Double.NEGATIVE_INFINITY) {
                    masked[i] = true;
                    delta.add(m[i]);
                    continue;
                }
                a++;
                f[i] = i == r.k ? DoubleDouble.of(0.0) : r.expm1(i);
                fSum.add(f[i]);
                delta.add(m[i].copy().sub(ref));
            }
            finite = a;
            this.mTotal = mTotal;
            s = DoubleDouble.of(finite).add(fSum);
        }

        /**
         * A mass that at least two of the first three classes share when there is one (index targets
         * give every class but the target the same mass), else m_0.
         */
        static DoubleDouble commonMass(DoubleDouble[] m) {
            if (m.length >= 3 && !sameMass(m[0], m[1]) && sameMass(m[1], m[2])) {
                return m[1];
            }
            return m[0];
        }

        private static boolean sameMass(DoubleDouble x, DoubleDouble y) {
            return x.hi == y.hi && x.lo == y.lo;
        }

        DoubleDouble grad(int j, DoubleDouble mj) {
            if (masked[j]) {
                return mj.copy().neg(); // g_j = 0
            }
            DoubleDouble num = delta.copy().sub(mj.copy().sub(ref).mul(finite)); // M - A m_j
            num = DoubleDouble.of(num.hi).add(num.lo);
            num.add(f[j].copy().mul(mTotal)).sub(mj.copy().mul(fSum));
            return num.div(s);
        }
    }

    static double[] softmaxCrossEntropyGrad(SoftmaxCrossEntropyCall g, Reduction reduction) {
        Check.notNull(reduction, "reduction");
        int positions = g.positions();
        double[] out = new double[g.positions() * g.c];
        ExtendedDouble denom = reduction == Reduction.MEAN ? g.denominator() : null;
        int scale = g.gradScale();
        if (denom != null && denom.isZero()) {
            java.util.Arrays.fill(out, Double.NaN);
            return out;
        }
        Row r = new Row(g.c);
        for (int p = 0; p < positions; p++) {
            int off = g.offset(p);
            if (g.ignored(p)) {
                continue;
            }
            g.load(r, p, false);
            if (!usable(r)) {
                for (int j = 0; j < g.c; j++) {
                    out[off + j * g.spatial] = Double.NaN;
                }
                continue;
            }
            DoubleDouble[] m = g.mass(p, scale);
            DoubleDouble total = new DoubleDouble();
            DoubleDouble rest = new DoubleDouble();
            for (int j = 0; j < g.c; j++) {
                total.add(m[j]);
                if (j != r.k) {
                    rest.add(m[j]);
                }
            }
            NearlyUniform nu = r.nearlyUniform() ? new NearlyUniform(r, m, total) : null;
            for (int j = 0; j < g.c; j++) {
                DoubleDouble gj;
                if (nu != null) {
                    gj = nu.grad(j, m[j]);
                } else if (j == r.k) {
                    if (r.status == Row.ONE_POSINF) {
                        gj = rest.copy();
                    } else {
                        // g_k M - m_k = (sum_{i != k} m_i - m_k s) / (1 + s)
                        gj = rest.copy().sub(m[j].copy().mul(new DoubleDouble(r.sHi, r.sLo))).div(r.onePlusS());
                    }
                } else {
                    gj = r.prob(j).mul(total).sub(m[j]);
                }
                ExtendedDouble gx = ExtendedDouble.of(gj.hi, gj.lo, -scale);
                out[off + j * g.spatial] = (denom == null ? gx : gx.div(denom)).value();
            }
        }
        return out;
    }

    /** Index into a weight of shape [numel] or [C] (C = last dimension). */
    static double bcast(double[] w, int i, int last) {
        if (w == null) {
            return 1.0;
        }
        return w.length == last && w.length != 0 ? w[i % last] : w[i];
    }

    static int checkLogitPair(double[] z, int[] zShape, double[] y, int[] yShape) {
        Check.notNull(zShape, "z shape");
        Check.rank(zShape, 1, 5, "z");
        if (yShape != null) {
            Check.rank(yShape, 1, 5, "y");
        }
        int n = Check.data(z, zShape, "z");
        if (yShape != null) {
            Check.sameShape(zShape, "z", yShape, "y");
        }
        Check.notNull(y, "y");
        if (y.length != n) {
            throw Check.err(ErrorKind.SHAPE_MISMATCH, "y has " + y.length + " values but z of shape "
                    + Check.shapeString(zShape) + " has " + n);
        }
        return n;
    }

    static void checkBroadcastShape(double[] w, int n, int[] zShape, String name) {
        if (w == null) {
            return;
        }
        int last = zShape[zShape.length - 1];
        if (w.length != n && w.length != last) {
            throw Check.err(ErrorKind.SHAPE_MISMATCH, name + " must have z's shape " + Check.shapeString(zShape)
                    + " or [" + last + "]; got " + w.length + " values");
        }
    }

    /** The checks of BCE with logits and its gradient: shapes of both weights before their values (D1). */
    private static int checkBceWithLogits(double[] z, int[] zShape, double[] y, int[] yShape, double[] weight,
                                          double[] posWeight) {
        int n = checkLogitPair(z, zShape, y, yShape);
        checkBroadcastShape(weight, n, zShape, "weight");
        checkBroadcastShape(posWeight, n, zShape, "pos_weight");
        if (weight != null) {
            Check.weights(weight, "weight");
        }
        if (posWeight != null) {
            Check.weights(posWeight, "pos_weight");
        }
        Check.probabilities(y, "y");
        return n;
    }

    /**
     * binary_cross_entropy_with_logits reduced (SUM or MEAN). Without weights it takes the one-pass
     * path {@link #bceWithLogitsSum}; with weights, or when that path meets a non-finite value or some
     * |z_i| &gt; {@link #SOFTPLUS_TINY_ARG}, the general per-element path (extended exponents, one rounding).
     */
    static double bceWithLogitsReduced(double[] z, int[] zShape, double[] y, int[] yShape, double[] weight,
                                       double[] posWeight, Reduction reduction) {
        int n = checkBceWithLogits(z, zShape, y, yShape, weight, posWeight);
        if (weight == null && posWeight == null) {
            DoubleDouble sum = bceWithLogitsSum(z, y);
            if (sum != null) {
                return (reduction == Reduction.MEAN ? sum.div(n) : sum).value();
            }
        }
        return bceWithLogits(z, zShape, y, yShape, weight, posWeight).reduce(reduction);
    }

    /**
     * sum_i l_i with l_i = y_i softplus(-z_i) + (1 - y_i) softplus(z_i) = m_i + log1p(exp(-|z_i|)), where
     * m_i = (1 - y_i) z_i for z_i &gt;= 0 and y_i (-z_i) otherwise: two non-negative terms, each formed
     * as a double-double ({@link Log1pExp}), summed in double-double. Null when some z_i is not finite,
     * some |z_i| exceeds {@link #SOFTPLUS_TINY_ARG} (the general path then forms exp(-|z_i|) with its own
     * exponent, so that subnormal-range losses are summed before they are rounded), or the sum overflows.
     */
    static DoubleDouble bceWithLogitsSum(double[] z, double[] y) {
        Log1pExp t = new Log1pExp();
        double hi = 0.0;
        double lo = 0.0;
        for (int i = 0; i < z.length; i++) {
            double zi = z[i];
            if (!(Math.abs(zi) <= SOFTPLUS_TINY_ARG)) {
                return null; // not finite, or a loss term exp(-|z_i|) that may fall below the normal range
            }
            double yi = y[i];
            double mh;
            double ml;
            if (zi >= 0) {
                double c = 1.0 - yi;
                double cl = DoubleDouble.twoSumErr(1.0, -yi, c);
                mh = c * zi;
                ml = Math.fma(c, zi, -mh) + cl * zi;
            } else {
                mh = yi * -zi;
                ml = Math.fma(yi, -zi, -mh);
            }
            t.set(-Math.abs(zi));
            double s1 = hi + mh;
            lo += DoubleDouble.twoSumErr(hi, mh, s1) + ml;
            double s2 = s1 + t.hi;
            lo += DoubleDouble.twoSumErr(s1, t.hi, s2) + t.lo;
            hi = s2;
        }
        return Double.isFinite(hi) ? new DoubleDouble(hi, lo) : null;
    }

    static Losses bceWithLogits(double[] z, int[] zShape, double[] y, int[] yShape, double[] weight, double[] posWeight) {
        int n = checkBceWithLogits(z, zShape, y, yShape, weight, posWeight);
        int last = zShape[zShape.length - 1];
        ExtendedDouble[] per = new ExtendedDouble[n];
        for (int i = 0; i < n; i++) {
            double zi = z[i];
            double yi = y[i];
            ExtendedDouble pos = ExtendedDouble.of(yi).mul(ExtendedDouble.of(bcast(posWeight, i, last)));
            ExtendedDouble l = term(pos, softplusX(-zi)).add(term(ExtendedDouble.of(oneMinus(yi)), softplusX(zi)));
            per[i] = term(ExtendedDouble.of(bcast(weight, i, last)), l);
        }
        return new Losses(per, ExtendedDouble.of(n));
    }

    static double[] bceWithLogitsGrad(double[] z, int[] zShape, double[] y, int[] yShape, double[] weight,
                                      double[] posWeight, Reduction reduction) {
        Check.notNull(reduction, "reduction");
        int n = checkBceWithLogits(z, zShape, y, yShape, weight, posWeight);
        int last = zShape[zShape.length - 1];
        double[] out = new double[n];
        for (int i = 0; i < n; i++) {
            double zi = z[i];
            if (Double.isNaN(zi)) {
                out[i] = Double.NaN;
                continue;
            }
            double yi = y[i];
            DoubleDouble a = oneMinus(yi).mul(sigmoidDD(zi));
            DoubleDouble b = DoubleDouble.of(yi).mul(bcast(posWeight, i, last)).mul(sigmoidDD(-zi));
            DoubleDouble gi = a.sub(b).mul(bcast(weight, i, last));
            if (reduction == Reduction.MEAN) {
                gi.div(n);
            }
            out[i] = gi.value();
        }
        return out;
    }

    /** Below this, (1 - p_t)^gamma is formed with its own exponent (a subnormal power loses its digits). */
    private static final double FOCAL_TINY = 0x1p-960;

    /**
     * The focal modulating factor (1 - p_t)^gamma from 1 - p_t = omp (a double-double), corrected to
     * first order for omp's low part. When the power falls below {@link #FOCAL_TINY} it is formed as
     * m^gamma 2^(e gamma) from omp = m 2^e, so that e.g. (1e-161)^2 keeps 53 bits (fuzz, seed 11).
     */
    /**
     * x^gamma as a double-double for x &gt; 0 (a double-double) whose power is normal: exact products for
     * gamma 1 and 2, else exp(gamma log x) with both functions in double-double (a rounded pow's
     * half-ulp or more would otherwise be a good part of the loss's error).
     */
    static DoubleDouble powDD(DoubleDouble x, double gamma) {
        if (gamma == 1.0) {
            return x.copy();
        }
        if (gamma == 2.0) {
            return x.copy().mul(x);
        }
        DoubleDouble l = DoubleDoubleMath.log(x).mul(gamma);
        DoubleDouble e = DoubleDoubleMath.exp(l.hi);
        return e.add(e.hi * l.lo);
    }

    static ExtendedDouble focalFactor(DoubleDouble omp, double gamma) {
        if (!(omp.hi > 0) || gamma == 0.0 || !Double.isFinite(omp.hi)) {
            return ExtendedDouble.of(Libm.pow(omp.hi, gamma));
        }
        double ph = Libm.pow(omp.hi, gamma);
        double rel = gamma * (omp.lo / omp.hi);
        if (ph >= FOCAL_TINY) {
            return ExtendedDouble.of(powDD(omp, gamma));
        }
        ExtendedDouble o = ExtendedDouble.of(omp.hi, 0.0, 0);
        double eg = o.e * gamma;
        double whole = Math.floor(eg);
        if (!(Math.abs(whole) < 0x1p30)) {
            return ExtendedDouble.of(ph); // far below any double
        }
        double m = Libm.pow(o.hi, gamma) * Libm.pow(2.0, eg - whole);
        return ExtendedDouble.of(m, m * rel, (int) whole);
    }

    static Losses focalLoss(double[] logits, int[] shape, int[] target, double gamma, double[] alpha) {
        Check.gamma(gamma);
        Check.notNull(shape, "logits shape");
        Check.rank(shape, 2, 2, "logits");
        Check.data(logits, shape, "logits");
        int nRows = shape[0];
        int c = shape[1];
        if (c == 0) {
            throw Check.err(ErrorKind.INVALID_SHAPE, "logits must have at least one class; got shape "
                    + Check.shapeString(shape));
        }
        Check.notNull(target, "target");
        if (target.length != nRows) {
            throw Check.err(ErrorKind.SHAPE_MISMATCH, "target has length " + target.length + " but logits have "
                    + nRows + " rows (shape " + Check.shapeString(shape) + ")");
        }
        if (alpha != null && alpha.length != c) {
            throw Check.err(ErrorKind.SHAPE_MISMATCH, "alpha must have shape [" + c + "]; got length " + alpha.length);
        }
        if (alpha != null) {
            Check.weights(alpha, "alpha");
        }
        for (int n = 0; n < nRows; n++) {
            if (target[n] < 0 || target[n] >= c) {
                throw Check.err(ErrorKind.INDEX_OUT_OF_RANGE, "target[" + n + "] = " + target[n]
                        + " is outside [0, " + c + ")");
            }
        }
        ExtendedDouble[] per = new ExtendedDouble[nRows];
        Row r = new Row(c);
        for (int n = 0; n < nRows; n++) {
            r.load(logits, n * c, 1);
            if (!usable(r)) {
                per[n] = ExtendedDouble.of(Double.NaN);
                continue;
            }
            int y = target[n];
            ExtendedDouble nll = r.nllX(y);
            DoubleDouble omp; // 1 - p_t
            if (r.status == Row.ONE_POSINF) {
                omp = DoubleDouble.of(y == r.k ? 0.0 : 1.0);
            } else if (y == r.k) {
                omp = r.oneMinusProbAtMax();
            } else {
                // 1 - e_y / (1 + s) = (1 + sum_{i != k, y} e_i) / (1 + s): no cancellation
                DoubleDouble num = DoubleDouble.of(1.0);
                for (int i = 0; i < c; i++) {
                    if (i != r.k && i != y) {
                        num.add(r.e[i]);
                        num.lo += r.el[i];
                    }
                }
                omp = num.div(r.onePlusS());
            }
            omp.norm();
            double a = alpha == null ? 1.0 : alpha[y];
            per[n] = term(ExtendedDouble.of(a), term(focalFactor(omp, gamma), nll));
        }
        return new Losses(per, ExtendedDouble.of(nRows));
    }

    static void checkSigmoidFocalScalars(Double alpha, double gamma) {
        if (alpha != null && !(alpha >= 0.0 && alpha <= 1.0)) {
            throw Check.err(ErrorKind.INVALID_ARGUMENT, "alpha must be in [0, 1] or null; got " + alpha);
        }
        Check.gamma(gamma);
    }

    static Losses sigmoidFocalLoss(double[] z, int[] zShape, double[] y, int[] yShape, Double alpha, double gamma) {
        checkSigmoidFocalScalars(alpha, gamma);
        int n = checkLogitPair(z, zShape, y, yShape);
        Check.probabilities(y, "y");
        ExtendedDouble[] per = new ExtendedDouble[n];
        for (int i = 0; i < n; i++) {
            double zi = z[i];
            double yi = y[i];
            DoubleDouble cy = DoubleDouble.of(yi);
            DoubleDouble c1y = oneMinus(yi);
            DoubleDouble ce = term(cy, softplusDD(-zi)).add(term(c1y, softplusDD(zi)));
            DoubleDouble omp = term(cy, sigmoidDD(-zi)).add(term(c1y, sigmoidDD(zi))).norm();
            ExtendedDouble l = term(focalFactor(omp, gamma), ExtendedDouble.of(ce));
            if (alpha != null) {
                DoubleDouble wa = cy.copy().mul(alpha).add(c1y.copy().mul(oneMinus(alpha)));
                l = term(ExtendedDouble.of(wa), l);
            }
            per[i] = l;
        }
        return new Losses(per, ExtendedDouble.of(n));
    }

    static double[] sigmoidMseGrad(double[] z, double[] y) {
        Check.notNull(z, "z");
        Check.notNull(y, "y");
        Check.sameLength(z, "z", y, "y");
        Check.probabilities(y, "y");
        double[] out = new double[z.length];
        for (int i = 0; i < z.length; i++) {
            double zi = z[i];
            if (Double.isNaN(zi)) {
                out[i] = Double.NaN;
                continue;
            }
            double yi = y[i];
            DoubleDouble p = sigmoidDD(zi);
            DoubleDouble q = sigmoidDD(-zi);
            // p - y = (1 - y) p - y (1 - p), exact for y in {0, 1}
            DoubleDouble diff = oneMinus(yi).mul(p).sub(DoubleDouble.of(yi).mul(q));
            out[i] = diff.mul(p).mul(q).value();
        }
        return out;
    }
}
