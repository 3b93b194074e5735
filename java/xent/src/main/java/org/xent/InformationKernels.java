package org.xent;

/**
 * Entropy, cross-entropy and KL divergence of probability vectors, in nats or bits.
 *
 * Every entry point here and in the loss classes checks in the spec's error precedence (D1):
 * scalar parameters, then ranks and empty axes, then shape agreement, then values (tensor
 * parameters, indices, probabilities).
 */
final class InformationKernels {
    private InformationKernels() {
    }

    static DoubleDouble toBase(DoubleDouble nats, LogBase base) {
        if (base == LogBase.TWO) {
            return nats.div(new DoubleDouble(DoubleDoubleMath.LN2_HI, DoubleDoubleMath.LN2_LO));
        }
        return nats;
    }

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
        checkDistributions(p, q);
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

    /** p and q in the spec's precedence: shapes (non-empty, same length) before values (probabilities). */
    private static void checkDistributions(double[] p, double[] q) {
        Check.nonEmpty(p, "p");
        Check.nonEmpty(q, "q");
        Check.sameLength(p, "p", q, "q");
        Check.probabilities(p, "p");
        Check.probabilities(q, "q");
    }

    static double klDivergence(double[] p, double[] q, LogBase base) {
        Check.notNull(base, "base");
        checkDistributions(p, q);
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
}
