package org.xent;

import static org.xent.Terms.oneMinus;
import static org.xent.Terms.term;

/**
 * Losses from probabilities: nll_from_probs, categorical and binary cross-entropy, per element
 * unrounded ({@link Losses}) so that a reduction rounds once.
 */
final class ProbabilityLossKernels {
    private ProbabilityLossKernels() {
    }

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
}
