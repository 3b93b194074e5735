package org.xent;

import static org.xent.LogitLossKernels.checkBceWithLogits;
import static org.xent.LogitLossKernels.bcast;
import static org.xent.PrimitiveKernels.sigmoidX;
import static org.xent.Terms.oneMinus;

/**
 * GradientKernels of the losses from logits with respect to the logits: softmax cross-entropy, BCE with
 * logits and sigmoid followed by squared error, each element rounded once.
 */
final class GradientKernels {
    private GradientKernels() {
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
        Upstream up = g.upstream;
        double[] out = new double[g.positions() * g.c];
        ExtendedDouble denom = reduction == Reduction.MEAN ? g.denominator() : null;
        int scale = g.gradScale();
        // the z-loss part's coefficient: 1 (none, sum) or 1 / K (mean); null when it is absent
        boolean zOn = g.zLoss > 0;
        ExtendedDouble zDenom = zOn && reduction == Reduction.MEAN ? ExtendedDouble.of(g.kept()) : null;
        boolean ceOn = true;
        if ((denom != null && denom.isZero()) || (zDenom != null && zDenom.isZero())) {
            if (g.emptyMean == EmptyMean.NAN) {
                java.util.Arrays.fill(out, Double.NaN);
                return out;
            }
            ceOn = !denom.isZero(); // empty_mean zero: a part over a zero denominator contributes 0
            zOn = zOn && !zDenom.isZero();
        }
        Row r = new Row(g.c);
        for (int p = 0; p < positions; p++) {
            int off = g.offset(p);
            if (g.ignored(p)) {
                continue;
            }
            if (g.noneIncluded(p)) { // loss 0 whatever the logits: gradient exactly 0, grad_output not read
                continue;
            }
            g.load(r, p, false);
            // with z-loss and a +inf logit (no cap) lse = +inf: 2 z L g_c is inf * 0 or inf - inf (spec: NaN)
            if (!r.usable() || (zOn && r.status == Row.ONE_POSINF)) {
                for (int j = 0; j < g.c; j++) { // an excluded class keeps its exact 0
                    out[off + j * g.spatial] = g.included(p, j) ? Double.NaN : 0.0;
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
            // 2 z lse(x''): the z-loss term's gradient is that times softmax_j
            ExtendedDouble zCoef = zOn ? r.lseX().mul(ExtendedDouble.of(2 * g.zLoss)) : null;
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
                } else if (r.d[j] < Row.TINY_ARG && r.d[j] != Double.NEGATIVE_INFINITY && m[j].isZero()) {
                    gj = null; // g_j M alone, with g_j's own exponent: a subnormal-range gradient keeps its digits
                } else {
                    gj = r.prob(j).mul(total).sub(m[j]);
                }
                ExtendedDouble gx = gj != null ? ExtendedDouble.of(gj.hi, gj.lo, -scale)
                        : r.probX(j).mul(ExtendedDouble.of(total.hi, total.lo, -scale));
                if (denom != null) {
                    gx = gx.div(denom);
                }
                if (!ceOn) {
                    gx = ExtendedDouble.ZERO;
                }
                if (zCoef != null) {
                    ExtendedDouble zj = zCoef.mul(ExtendedDouble.of(r.prob(j)));
                    gx = gx.add(zDenom == null ? zj : zj.div(zDenom));
                }
                if (g.deriv != null) { // the chain rule through the scale and the cap
                    gx = gx.mul(ExtendedDouble.of(g.deriv[off + j * g.spatial]));
                }
                // an excluded class is exactly 0 whatever grad_output holds there (not read, as an ignored position)
                out[off + j * g.spatial] = g.included(p, j) ? up.times(gx, p) : 0.0;
            }
        }
        return out;
    }

    static double[] bceWithLogitsGrad(double[] z, int[] zShape, double[] y, int[] yShape, double[] weight,
                                      double[] posWeight, Reduction reduction, double[] gradOutput) {
        Check.notNull(reduction, "reduction");
        int n = checkBceWithLogits(z, zShape, y, yShape, weight, posWeight);
        Upstream up = Upstream.of(gradOutput, reduction, n);
        int last = zShape[zShape.length - 1];
        double[] out = new double[n];
        for (int i = 0; i < n; i++) {
            double zi = z[i];
            if (Double.isNaN(zi)) {
                out[i] = Double.NaN;
                continue;
            }
            double yi = y[i];
            // sigmoid with its own exponent: a gradient in the subnormal range keeps its digits
            ExtendedDouble a = Ieee.term(ExtendedDouble.of(oneMinus(yi)), sigmoidX(zi));
            ExtendedDouble b = Ieee.term(ExtendedDouble.of(DoubleDouble.of(yi).mul(bcast(posWeight, i, last))),
                    sigmoidX(-zi));
            ExtendedDouble gi = Ieee.term(ExtendedDouble.of(bcast(weight, i, last)), a.add(Ieee.neg(b)));
            if (reduction == Reduction.MEAN) {
                gi = gi.div(ExtendedDouble.of(n));
            }
            out[i] = up.times(gi, i);
        }
        return out;
    }

    static double[] sigmoidMseGrad(double[] z, double[] y, double[] gradOutput) {
        Check.notNull(z, "z");
        Check.notNull(y, "y");
        Check.sameLength(z, "z", y, "y");
        Upstream up = Upstream.of(gradOutput, z.length);
        Check.probabilities(y, "y");
        double[] out = new double[z.length];
        for (int i = 0; i < z.length; i++) {
            double zi = z[i];
            if (Double.isNaN(zi)) {
                out[i] = Double.NaN;
                continue;
            }
            double yi = y[i];
            ExtendedDouble p = sigmoidX(zi);
            ExtendedDouble q = sigmoidX(-zi);
            // p - y = (1 - y) p - y (1 - p), exact for y in {0, 1}
            ExtendedDouble diff = Ieee.term(ExtendedDouble.of(oneMinus(yi)), p).add(Ieee.neg(Ieee.term(ExtendedDouble.of(yi), q)));
            out[i] = up.times(Ieee.mul(Ieee.mul(diff, p), q), i);
        }
        return out;
    }

    /**
     * The vector-Jacobian product of softmax (log=false: g_j (v_j - sum_i g_i v_i)) or of log_softmax
     * (log=true: v_j - g_j sum_i v_i) along one loaded row, g = softmax: written to out[off + j * stride].
     * With every v finite the sums and products are double-doubles and each result is rounded once;
     * otherwise (an infinite or NaN v, or a row with a +inf logit) the formula in plain IEEE arithmetic, so
     * that infinities and NaN propagate as ordinary products do. A row without a softmax (a NaN logit, two
     * +inf, all -inf) gives NaN.
     */
    static void rowVjp(Row r, double[] v, double[] out, int off, int stride, boolean log) {
        int n = r.n;
        if (!r.usable()) {
            for (int j = 0; j < n; j++) {
                out[off + j * stride] = Double.NaN;
            }
            return;
        }
        boolean finite = true; // a row with one +inf has the exact g = onehot(k): the exact path too
        for (int j = 0; finite && j < n; j++) {
            finite = Double.isFinite(v[off + j * stride]);
        }
        if (!finite) {
            // IEEE rules on the exact values: a g_i whose double underflows is still > 0, so it times an
            // infinity is that infinity (not 0 * inf = NaN); an exactly 0 g_i times inf or NaN is NaN
            double acc = 0.0;
            for (int i = 0; i < n; i++) {
                double vi = v[off + i * stride];
                acc += log ? vi : times(r, i, vi);
            }
            for (int j = 0; j < n; j++) {
                double vj = v[off + j * stride];
                out[off + j * stride] = log ? vj - times(r, j, acc) : times(r, j, vj - acc);
            }
            return;
        }
        if (!log && r.status == Row.FINITE) {
            softmaxRowVjp(r, v, out, off, stride);
            return;
        }
        // softmax: v_j - s = (v_j - r) - sum_i g_i (v_i - r) with r = v_k and the differences exact (TwoSum),
        // so that a constant v gives exactly 0 and a nearly constant one keeps its digits; g_i with its own
        // exponent, so that subnormal-range probabilities and results keep theirs
        double ref = log ? 0.0 : v[off + r.k * stride];
        ExtendedDouble[] g = new ExtendedDouble[n];
        ExtendedDouble[] dv = new ExtendedDouble[n];
        ExtendedDouble acc = ExtendedDouble.ZERO;
        for (int i = 0; i < n; i++) {
            g[i] = r.probX(i);
            dv[i] = ExtendedDouble.of(DoubleDouble.of(v[off + i * stride]).add(-ref));
            acc = acc.add(log ? dv[i] : g[i].mul(dv[i]));
        }
        ExtendedDouble minusAcc = acc.mul(ExtendedDouble.of(-1.0));
        for (int j = 0; j < n; j++) {
            ExtendedDouble res = log ? dv[j].add(g[j].mul(minusAcc)) : g[j].mul(dv[j].add(minusAcc));
            out[off + j * stride] = res.value();
        }
    }

    /**
     * softmax's VJP on a FINITE row with finite v, from the unnormalised weights w_i = e_i (softmax_i =
     * w_i / D, D = 1 + s): out_j = w_j ((v_j - r) D - sum_i w_i (v_i - r)) / D^2 with r = v_k and the
     * differences exact. No quotient comes before the subtraction, so exact data cancel exactly (equal
     * logits and v = [1, 2, 3] give the exact 0 in the middle, not a residue of the rounded 1/3); w_i with
     * its own exponent, as for {@link Row#probX}.
     */
    private static void softmaxRowVjp(Row r, double[] v, double[] out, int off, int stride) {
        int n = r.n;
        double ref = v[off + r.k * stride];
        ExtendedDouble[] w = new ExtendedDouble[n];
        ExtendedDouble[] dv = new ExtendedDouble[n];
        ExtendedDouble acc = ExtendedDouble.ZERO;
        for (int i = 0; i < n; i++) {
            w[i] = r.weightX(i);
            dv[i] = ExtendedDouble.of(DoubleDouble.of(v[off + i * stride]).add(-ref));
            acc = acc.add(w[i].mul(dv[i]));
        }
        ExtendedDouble denominator = ExtendedDouble.of(r.onePlusS());
        ExtendedDouble squared = denominator.mul(denominator);
        ExtendedDouble minusAcc = acc.mul(ExtendedDouble.of(-1.0));
        for (int j = 0; j < n; j++) {
            out[off + j * stride] = w[j].mul(dv[j].mul(denominator).add(minusAcc)).div(squared).value();
        }
    }

    /** softmax_i * y with IEEE rules on the exact softmax_i (positive however small, or exactly 0). */
    private static double times(Row r, int i, double y) {
        if (Double.isFinite(y)) {
            return r.prob(i).value() * y;
        }
        return r.positive(i) ? y : 0.0 * y;
    }

    /**
     * d focal_loss / d logits: with q = 1 - p_t, l = -log p_t and B = q^gamma (q + gamma p_t l), the
     * gradient is -alpha_y B at the target and alpha_y (p_c / q) B elsewhere (the chain rule through
     * p_t = softmax_y; every factor non-negative, no cancellation). At q = 0 every entry is 0, the limit of
     * the formula (p_c &lt;= q); p_t l is 0 where p_t is 0 (a +inf logit elsewhere). MEAN divides by N.
     */
    static double[] focalLossGrad(double[] logits, int[] shape, int[] target, double gamma, double[] alpha,
                                  Reduction reduction, double[] gradOutput) {
        Check.notNull(reduction, "reduction");
        int c = LogitLossKernels.checkFocalShapes(logits, shape, target, gamma, alpha);
        int nRows = shape[0];
        Upstream up = Upstream.of(gradOutput, reduction, nRows);
        LogitLossKernels.checkFocalValues(target, c, alpha);
        double[] out = new double[logits.length];
        Row r = new Row(c);
        ExtendedDouble count = ExtendedDouble.of(nRows);
        for (int n = 0; n < nRows; n++) {
            r.load(logits, n * c, 1);
            int off = n * c;
            if (!r.usable()) {
                java.util.Arrays.fill(out, off, off + c, Double.NaN);
                continue;
            }
            int y = target[n];
            DoubleDouble q = LogitLossKernels.oneMinusPt(r, y);
            ExtendedDouble a = ExtendedDouble.of(alpha == null ? 1.0 : alpha[y]);
            ExtendedDouble b = ExtendedDouble.ZERO;
            if (!q.isZero()) {
                DoubleDouble pt = r.prob(y);
                ExtendedDouble ptl = pt.isZero() ? ExtendedDouble.ZERO : ExtendedDouble.of(pt).mul(r.nllX(y));
                ExtendedDouble inner = ExtendedDouble.of(q).add(ExtendedDouble.of(gamma).mul(ptl));
                b = LogitLossKernels.focalFactor(q, gamma).mul(inner);
            }
            for (int j = 0; j < c; j++) {
                ExtendedDouble gj;
                if (b.isZero()) {
                    gj = ExtendedDouble.ZERO;
                } else if (j == y) {
                    gj = a.mul(b).mul(ExtendedDouble.of(-1.0));
                } else {
                    DoubleDouble pj = r.prob(j);
                    gj = pj.isZero() ? ExtendedDouble.ZERO
                            : a.mul(ExtendedDouble.of(pj).div(ExtendedDouble.of(q))).mul(b);
                }
                if (reduction == Reduction.MEAN) {
                    gj = gj.div(count);
                }
                out[off + j] = up.times(gj, n);
            }
        }
        return out;
    }

    /**
     * d binary_cross_entropy / d p: -(y / p - (1 - y) / (1 - p)) where epsilon &lt;= p &lt;= 1 - epsilon
     * (the clamp's bounds included), 0 strictly outside; a term whose coefficient (y or 1 - y) is exactly 0
     * contributes 0; p = 0 with y &gt; 0 (epsilon 0) gives -inf, p = 1 with y &lt; 1 gives +inf. Each
     * quotient carries its own exponent (y / p for a subnormal p exceeds the double range before a mean).
     */
    static double[] binaryCrossEntropyGrad(double[] y, double[] p, double epsilon, Reduction reduction,
                                           double[] gradOutput) {
        ProbabilityLossKernels.checkBceEpsilon(epsilon);
        Check.notNull(reduction, "reduction");
        Check.notNull(y, "y");
        Check.notNull(p, "p");
        Check.sameLength(y, "y", p, "p");
        int n = y.length;
        Upstream up = Upstream.of(gradOutput, reduction, n);
        Check.probabilities(y, "y");
        Check.probabilities(p, "p");
        ExtendedDouble count = ExtendedDouble.of(n);
        double[] out = new double[n];
        for (int i = 0; i < n; i++) {
            double pi = p[i];
            double yi = y[i];
            // 1 - p is exact for p >= 1/2: p > 1 - epsilon exactly
            boolean clipped = pi < epsilon || (pi >= 0.5 && 1.0 - pi < epsilon);
            ExtendedDouble gi = ExtendedDouble.ZERO;
            if (!clipped) {
                gi = quotient(oneMinus(yi), oneMinus(pi)).add(quotient(DoubleDouble.of(-yi), DoubleDouble.of(pi)));
            }
            if (reduction == Reduction.MEAN) {
                gi = gi.div(count);
            }
            out[i] = up.times(gi, i);
        }
        return out;
    }

    /** num / den for num, den &gt;= 0 up to num's sign: 0 when num is 0, +-inf when only den is 0. */
    private static ExtendedDouble quotient(DoubleDouble num, DoubleDouble den) {
        if (num.isZero()) {
            return ExtendedDouble.ZERO;
        }
        if (den.isZero()) {
            return ExtendedDouble.of(Math.copySign(Double.POSITIVE_INFINITY, num.hi));
        }
        return ExtendedDouble.of(num).div(ExtendedDouble.of(den));
    }
}
