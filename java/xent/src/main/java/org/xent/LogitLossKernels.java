package org.xent;

import static org.xent.PrimitiveKernels.sigmoidDD;
import static org.xent.PrimitiveKernels.softplusDD;
import static org.xent.PrimitiveKernels.softplusX;
import static org.xent.PrimitiveKernels.SOFTPLUS_TINY_ARG;
import static org.xent.Terms.oneMinus;
import static org.xent.Terms.term;

/**
 * Losses from logits: softmax cross-entropy (through {@link SoftmaxCrossEntropyCall}), BCE with
 * logits, the focal loss and the sigmoid focal loss, per element unrounded ({@link Losses}); the
 * argument checks the gradients share are here too.
 */
final class LogitLossKernels {
    private LogitLossKernels() {
    }

    static Losses softmaxCrossEntropy(SoftmaxCrossEntropyCall g) {
        switch (g.result) {
            case LSE:
                return lsePerPosition(g);
            case Z_LOSS:
                return zLossPart(g);
            default:
                return crossEntropy(g);
        }
    }

    /**
     * result lse: lse(x'') of every position (ignored ones included), over the included classes: +inf for
     * one or more +inf logits, -inf for all -inf or no included class, NaN for a NaN logit. Not reduced.
     */
    private static Losses lsePerPosition(SoftmaxCrossEntropyCall g) {
        ExtendedDouble[] per = new ExtendedDouble[g.positions()];
        Row r = new Row(g.c);
        for (int p = 0; p < per.length; p++) {
            if (g.noneIncluded(p)) {
                per[p] = ExtendedDouble.of(Double.NEGATIVE_INFINITY);
                continue;
            }
            g.load(r, p, false);
            per[p] = switch (r.status) {
                case Row.FINITE, Row.ONE_POSINF -> r.lseX();
                case Row.MULTI_POSINF -> ExtendedDouble.of(Double.POSITIVE_INFINITY);
                case Row.ALL_NEGINF -> ExtendedDouble.of(Double.NEGATIVE_INFINITY);
                default -> ExtendedDouble.of(Double.NaN);
            };
        }
        return new Losses(per, ExtendedDouble.of(1.0), null, g);
    }

    /**
     * result z_loss: the z-loss terms alone, reduced like the loss (mean over the K non-ignored positions,
     * empty_mean for K = 0); with z_loss = 0 no term exists: zeros, and a mean of 0 even for K = 0.
     */
    private static Losses zLossPart(SoftmaxCrossEntropyCall g) {
        ExtendedDouble[] z = new ExtendedDouble[g.positions()];
        if (g.zLoss == 0.0) {
            java.util.Arrays.fill(z, ExtendedDouble.ZERO);
            return new Losses(z, ExtendedDouble.of(1.0));
        }
        Row r = new Row(g.c);
        for (int p = 0; p < z.length; p++) {
            z[p] = zTerm(g, r, p);
        }
        return new Losses(z, ExtendedDouble.of(g.kept()), null, g);
    }

    /**
     * Position p's z-loss term z lse^2 (0 when ignored or with no included class, NaN for a NaN logit), lse
     * as logsumexp gives it: +inf for two +inf or all -inf included logits too (specVersion 4).
     */
    private static ExtendedDouble zTerm(SoftmaxCrossEntropyCall g, Row r, int p) {
        if (g.ignored(p) || g.noneIncluded(p)) {
            return ExtendedDouble.ZERO;
        }
        g.load(r, p, false);
        if (r.status == Row.MULTI_POSINF || r.status == Row.ALL_NEGINF) {
            return ExtendedDouble.of(Double.POSITIVE_INFINITY);
        }
        if (!r.usable()) {
            return ExtendedDouble.of(Double.NaN);
        }
        ExtendedDouble lse = r.lseX();
        return ExtendedDouble.of(g.zLoss).mul(lse.mul(lse));
    }

    private static Losses crossEntropy(SoftmaxCrossEntropyCall g) {
        int positions = g.positions();
        ExtendedDouble[] per = new ExtendedDouble[positions];
        // the z-loss terms z lse^2 (null when z_loss = 0: no term exists, not 0 * inf)
        ExtendedDouble[] zPer = g.zLoss > 0 ? new ExtendedDouble[positions] : null;
        Row r = new Row(g.c);
        // class-index targets without smoothing: the loss is w_y (-log_softmax_y), one lean pass per row
        boolean lean = g.index != null && g.eps == 0.0 && zPer == null && g.where == null;
        // float64 contiguous rows of plain logits: first the certified fast row, the exact path where it declines
        CertifiedSoftmaxRow fast = lean && g.logits32 == null && g.lo == null && g.spatial == 1
                && g.c <= CertifiedSoftmaxRow.MAX_ROW ? new CertifiedSoftmaxRow(g.c) : null;
        for (int p = 0; p < positions; p++) {
            if (g.ignored(p) || g.noneIncluded(p)) {
                per[p] = ExtendedDouble.ZERO;
                if (zPer != null) {
                    zPer[p] = ExtendedDouble.ZERO;
                }
                continue;
            }
            if (fast != null) {
                DoubleDouble nll = fast.nll(g.logits, g.offset(p), g.index[p]);
                if (nll != null) {
                    double w = g.weight(g.index[p]);
                    per[p] = w == 0.0 ? ExtendedDouble.ZERO : ExtendedDouble.of(w).mul(ExtendedDouble.of(nll));
                    continue;
                }
            }
            g.load(r, p, lean);
            if (!r.usable()) {
                per[p] = ExtendedDouble.of(Double.NaN);
                if (zPer != null) {
                    zPer[p] = per[p];
                }
                continue;
            }
            if (zPer != null) {
                ExtendedDouble lse = r.lseX();
                zPer[p] = ExtendedDouble.of(g.zLoss).mul(lse.mul(lse));
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
        return zPer == null && g.emptyMean == EmptyMean.NAN ? new Losses(per, g.denominator())
                : new Losses(per, g.denominator(), zPer, g);
    }

    /** Index into a weight of shape [numel] or [C] (C = last dimension). */
    static double bcast(double[] w, int i, int last) {
        if (w == null) {
            return 1.0;
        }
        return w.length == last && w.length != 0 ? w[i % last] : w[i];
    }

    static int checkLogitPair(double[] z, int[] zShape, double[] y, int[] yShape) {
        return checkLogitPair(z, z == null ? 0 : z.length, zShape, y, y == null ? 0 : y.length, yShape);
    }

    /** The shape checks of a (z, y) pair of either dtype (the arrays only tested for null); returns numel. */
    static int checkLogitPair(Object z, int zLength, int[] zShape, Object y, int yLength, int[] yShape) {
        Check.notNull(zShape, "z shape");
        Check.rank(zShape, 1, Check.MAX_RANK, "z");
        if (yShape != null) {
            Check.rank(yShape, 1, Check.MAX_RANK, "y");
        }
        Check.notNull(z, "z");
        int n = Check.dataLength(zLength, zShape, "z");
        if (yShape != null) {
            Check.sameShape(zShape, "z", yShape, "y");
        }
        Check.notNull(y, "y");
        if (yLength != n) {
            throw Check.err(ErrorKind.SHAPE_MISMATCH, "y has " + yLength + " values but z of shape "
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
    static int checkBceWithLogits(double[] z, int[] zShape, double[] y, int[] yShape, double[] weight,
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
     * binary_cross_entropy_with_logits reduced (SUM or MEAN). Without weights it takes the certified
     * float64 blocks ({@link CertifiedBceWithLogits}, each declined block by the one-pass path
     * {@link #bceWithLogitsSum}); with weights, or when that path meets a non-finite value or some
     * |z_i| &gt; {@link PrimitiveKernels#SOFTPLUS_TINY_ARG}, the general per-element path (extended exponents, one rounding).
     */
    static double bceWithLogitsReduced(double[] z, int[] zShape, double[] y, int[] yShape, double[] weight,
                                       double[] posWeight, Reduction reduction) {
        int n = checkBceWithLogits(z, zShape, y, yShape, weight, posWeight);
        if (weight == null && posWeight == null) {
            DoubleDouble sum = new CertifiedBceWithLogits().sum(z, y);
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
     * some |z_i| exceeds {@link PrimitiveKernels#SOFTPLUS_TINY_ARG} (the general path then forms exp(-|z_i|) with its own
     * exponent, so that subnormal-range losses are summed before they are rounded), or the sum overflows.
     */
    static DoubleDouble bceWithLogitsSum(double[] z, double[] y) {
        return bceWithLogitsSum(z, y, 0, z.length);
    }

    /** {@link #bceWithLogitsSum(double[], double[])} over the elements [from, to) (a block the certified path declined). */
    static DoubleDouble bceWithLogitsSum(double[] z, double[] y, int from, int to) {
        Log1pExp t = new Log1pExp();
        double hi = 0.0;
        double lo = 0.0;
        for (int i = from; i < to; i++) {
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


    /** Below this, (1 - p_t)^gamma is formed with its own exponent (a subnormal power loses its digits). */
    private static final double FOCAL_TINY = 0x1p-960;

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

    /**
     * The focal modulating factor (1 - p_t)^gamma from 1 - p_t = omp (a double-double), corrected to
     * first order for omp's low part. When the power falls below {@link #FOCAL_TINY} it is formed as
     * m^gamma 2^(e gamma) from omp = m 2^e, so that e.g. (1e-161)^2 keeps 53 bits (fuzz, seed 11).
     */
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

    /** focal_loss's and focal_loss_grad's checks of gamma, ranks, C = 0 and shapes (steps 1 to 3); returns C. */
    static int checkFocalShapes(double[] logits, int[] shape, int[] target, double gamma, double[] alpha) {
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
        return c;
    }

    /** focal_loss's value checks (step 4): alpha finite and non-negative, every target a class. */
    static void checkFocalValues(int[] target, int c, double[] alpha) {
        if (alpha != null) {
            Check.weights(alpha, "alpha");
        }
        for (int n = 0; n < target.length; n++) {
            if (target[n] < 0 || target[n] >= c) {
                throw Check.err(ErrorKind.INDEX_OUT_OF_RANGE, "target[" + n + "] = " + target[n]
                        + " is outside [0, " + c + ")");
            }
        }
    }

    /** 1 - p_t of a usable row for target y, without cancellation (normalised). */
    static DoubleDouble oneMinusPt(Row r, int y) {
        DoubleDouble omp;
        if (r.status == Row.ONE_POSINF) {
            omp = DoubleDouble.of(y == r.k ? 0.0 : 1.0);
        } else if (y == r.k) {
            omp = r.oneMinusProbAtMax();
        } else {
            // 1 - e_y / (1 + s) = (1 + sum_{i != k, y} e_i) / (1 + s): no cancellation
            DoubleDouble num = DoubleDouble.of(1.0);
            for (int i = 0; i < r.n; i++) {
                if (i != r.k && i != y) {
                    num.add(r.e[i]);
                    num.lo += r.el[i];
                }
            }
            omp = num.div(r.onePlusS());
        }
        return omp.norm();
    }

    static Losses focalLoss(double[] logits, int[] shape, int[] target, double gamma, double[] alpha) {
        int c = checkFocalShapes(logits, shape, target, gamma, alpha);
        checkFocalValues(target, c, alpha);
        int nRows = shape[0];
        ExtendedDouble[] per = new ExtendedDouble[nRows];
        Row r = new Row(c);
        for (int n = 0; n < nRows; n++) {
            r.load(logits, n * c, 1);
            if (!r.usable()) {
                per[n] = ExtendedDouble.of(Double.NaN);
                continue;
            }
            int y = target[n];
            ExtendedDouble nll = r.nllX(y);
            DoubleDouble omp = oneMinusPt(r, y);
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
}
