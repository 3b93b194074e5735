package org.xent;

import static org.xent.LogitLossKernels.checkBceWithLogits;
import static org.xent.LogitLossKernels.bcast;
import static org.xent.PrimitiveKernels.sigmoidDD;
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
            g.load(r, p, false);
            // with z-loss and a +inf logit (no cap) lse = +inf: 2 z L g_c is inf * 0 or inf - inf (spec: NaN)
            if (!r.usable() || (zOn && r.status == Row.ONE_POSINF)) {
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
                } else {
                    gj = r.prob(j).mul(total).sub(m[j]);
                }
                ExtendedDouble gx = ExtendedDouble.of(gj.hi, gj.lo, -scale);
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
                out[off + j * g.spatial] = gx.value();
            }
        }
        return out;
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
