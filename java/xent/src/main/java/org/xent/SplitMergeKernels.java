package org.xent;

/**
 * The merge primitives of split computations (issue 18): online-softmax states, partial log-sum-exps and
 * the cross-entropy from per-shard statistics. Every result is the exact value rounded once: powers
 * b^(t) are formed with an extended exponent from the exact difference t (TwoSum), sums in
 * {@link ExtendedDouble}.
 */
final class SplitMergeKernels {
    private SplitMergeKernels() {
    }

    private static final ExtendedDouble LN2 = ExtendedDouble.of(DoubleDoubleMath.LN2_HI, DoubleDoubleMath.LN2_LO, 0);
    /** Below this t, 2^t is below 2^-100000: zero for every use here. */
    private static final double POW2_MIN_ARG = -1e5;

    /** b^(th + tl) for th + tl &lt;= 0 (a TwoSum pair), with its own exponent (relative error near 2^-88). */
    static ExtendedDouble pow(LogBase base, double th, double tl) {
        if (th == Double.NEGATIVE_INFINITY) {
            return ExtendedDouble.ZERO;
        }
        if (base == LogBase.E) {
            ExtendedDouble x = DoubleDoubleMath.expX(th);
            return tl == 0.0 ? x : x.mul(ExtendedDouble.of(DoubleDouble.of(1.0).add(tl)));
        }
        if (th < POW2_MIN_ARG) {
            return ExtendedDouble.ZERO;
        }
        double n = Math.rint(th);
        DoubleDouble r = DoubleDouble.of(th - n).add(tl).mul(new DoubleDouble(DoubleDoubleMath.LN2_HI, DoubleDoubleMath.LN2_LO));
        DoubleDouble e = DoubleDoubleMath.exp(r.hi);
        e.add(e.hi * r.lo);
        return ExtendedDouble.of(e.hi, e.lo, (int) n);
    }

    /** b^(x - a) for x &lt;= a, both finite: the difference taken exactly. */
    private static ExtendedDouble powDiff(LogBase base, double x, double a) {
        double th = x - a;
        if (th == Double.NEGATIVE_INFINITY) {
            return ExtendedDouble.ZERO; // a - x beyond the double range: below any result's rounding
        }
        return pow(base, th, DoubleDouble.twoSumErr(x, -a, th));
    }

    /** Checks a tensor of rank 1 to 8 against its data; returns the number of columns (the product of shape[1..]). */
    static int columns(double[] x, int[] shape, String name) {
        Check.notNull(x, name);
        Check.notNull(shape, name + " shape");
        Check.rank(shape, 1, Check.MAX_RANK, name);
        Check.dataLength(x.length, shape, name);
        int cols = 1;
        for (int i = 1; i < shape.length; i++) {
            cols *= shape[i];
        }
        return cols;
    }

    /**
     * The merged state [M..., D...] of online_softmax_merge (M first, then D, each column's values at
     * column j). A state whose m_i equals M contributes d_i exactly; one with b^(m_i - M) = 0 exactly (m_i =
     * -inf &lt; M, or M = +inf with m_i finite) contributes 0 whatever d_i; NaN anywhere in a column gives NaN.
     */
    static double[] onlineSoftmaxMerge(double[] m, int[] mShape, double[] d, int[] dShape, LogBase base) {
        Check.notNull(base, "base");
        int cols = columns(m, mShape, "m");
        columns(d, dShape, "d");
        Check.sameShape(mShape, "m", dShape, "d");
        for (int i = 0; i < d.length; i++) {
            if (d[i] < 0) {
                throw Check.err(ErrorKind.INVALID_ARGUMENT, "d[" + i + "] = " + d[i]
                        + " is no running sum (a sum of exponentials is >= 0)");
            }
        }
        int k = mShape[0];
        double[] out = new double[2 * cols];
        for (int j = 0; j < cols; j++) {
            double mx = Double.NEGATIVE_INFINITY;
            boolean nan = false;
            for (int i = 0; i < k; i++) {
                double mi = m[i * cols + j];
                nan |= Double.isNaN(mi) || Double.isNaN(d[i * cols + j]);
                mx = Math.max(mx, mi);
            }
            if (nan) {
                out[j] = Double.NaN;
                out[cols + j] = Double.NaN;
                continue;
            }
            ExtendedDouble sum = ExtendedDouble.ZERO;
            for (int i = 0; i < k; i++) {
                double mi = m[i * cols + j];
                double di = d[i * cols + j];
                if (mi == mx) {
                    sum = sum.add(ExtendedDouble.of(di));
                } else if (mi != Double.NEGATIVE_INFINITY && mx != Double.POSITIVE_INFINITY && di != 0.0) {
                    // an overflowed partial sum (+inf) times a positive factor is +inf however small the factor
                    sum = sum.add(di == Double.POSITIVE_INFINITY ? ExtendedDouble.of(di)
                            : ExtendedDouble.of(di).mul(powDiff(base, mi, mx)));
                }
            }
            out[j] = mx;
            out[cols + j] = sum.value();
        }
        return out;
    }

    /**
     * log_b sum_i b^(x[i * cols + j]) over i &lt; k with its own exponent: NaN for a NaN, +inf for a +inf,
     * -inf when every entry is -inf (or k = 0); otherwise a + log1p(s) / ln b, a the maximum, s the sum of
     * the other terms b^(x_i - a).
     */
    static ExtendedDouble mergeColumn(double[] x, int k, int cols, int j, LogBase base) {
        double a = Double.NEGATIVE_INFINITY;
        int at = -1;
        boolean nan = false;
        boolean posInf = false;
        for (int i = 0; i < k; i++) {
            double v = x[i * cols + j];
            if (Double.isNaN(v)) {
                nan = true;
            } else if (v == Double.POSITIVE_INFINITY) {
                posInf = true;
            } else if (v > a) {
                a = v;
                at = i;
            }
        }
        if (nan || posInf || at < 0) {
            return ExtendedDouble.of(nan ? Double.NaN : posInf ? Double.POSITIVE_INFINITY : Double.NEGATIVE_INFINITY);
        }
        ExtendedDouble s = ExtendedDouble.ZERO;
        for (int i = 0; i < k; i++) {
            double v = x[i * cols + j];
            if (i != at && v != Double.NEGATIVE_INFINITY) {
                s = s.add(powDiff(base, v, a));
            }
        }
        ExtendedDouble l;
        if (s.isZero() || s.e < -900) {
            l = s; // log1p(s) = s to 2^-900 relative
        } else {
            l = ExtendedDouble.of(DoubleDoubleMath.log1p(new DoubleDouble(Math.scalb(s.hi, s.e), Math.scalb(s.lo, s.e)).norm()));
        }
        if (base == LogBase.TWO) {
            l = l.div(LN2);
        }
        return ExtendedDouble.of(a).add(l);
    }

    static double[] lseMerge(double[] lse, int[] shape, LogBase base) {
        Check.notNull(base, "base");
        int cols = columns(lse, shape, "lse");
        double[] out = new double[cols];
        for (int j = 0; j < cols; j++) {
            out[j] = mergeColumn(lse, shape[0], cols, j, base).value();
        }
        return out;
    }

    /**
     * The validated arguments of cross_entropy_from_shards: S shards of N positions. Ranks are the caller's
     * (the flat API has none); the checks here follow the error precedence from step 1.
     */
    static Losses crossEntropyFromShards(double[] shardLse, double[] shardLogitSum, double[] targetLogit, int[] target,
                                         long[] shardSize, SoftmaxCrossEntropyCall.Args a) {
        SoftmaxCrossEntropyCall.checkLabelSmoothing(a.labelSmoothing);
        Check.notNull(a.mode, "label_smoothing_mode");
        Check.notNull(a.emptyMean, "empty_mean");
        if (a.logitScale != 1.0 || a.capOn || a.zLoss != 0.0 || a.where != null
                || a.result != SoftmaxCrossEntropyResult.LOSS) {
            throw Check.err(ErrorKind.INVALID_ARGUMENT, "cross_entropy_from_shards takes weight, ignore_index, "
                    + "label smoothing and empty_mean only (no logit_scale, softcap, z_loss, where or result)");
        }
        Check.notNull(shardSize, "shard_size");
        Check.notNull(target, "target");
        Check.notNull(shardLse, "shard_lse");
        Check.notNull(shardLogitSum, "shard_logit_sum");
        Check.notNull(targetLogit, "target_logit");
        int shards = shardSize.length;
        int n = target.length;
        long classes = 0;
        boolean any = false;
        for (long size : shardSize) {
            classes += size;
            any |= size != 0;
        }
        if (!any) {
            throw Check.err(ErrorKind.INVALID_SHAPE, "cross_entropy_from_shards needs at least one class: shard_size "
                    + java.util.Arrays.toString(shardSize) + " holds none");
        }
        if (shardLse.length != (long) shards * n || shardLogitSum.length != shardLse.length) {
            throw Check.err(ErrorKind.SHAPE_MISMATCH, "shard_lse and shard_logit_sum must have shape [" + shards + ", "
                    + n + "] (S shards, N positions); got " + shardLse.length + " and " + shardLogitSum.length + " values");
        }
        if (targetLogit.length != n) {
            throw Check.err(ErrorKind.SHAPE_MISMATCH, "target_logit must have shape [" + n + "]; got " + targetLogit.length
                    + " values");
        }
        if (a.weight != null && a.weight.length != classes) {
            throw Check.err(ErrorKind.SHAPE_MISMATCH, "weight must have shape [" + classes
                    + "] (C = the sum of shard_size); got " + a.weight.length + " values");
        }
        for (int s = 0; s < shards; s++) {
            if (shardSize[s] < 0) {
                throw Check.err(ErrorKind.INVALID_ARGUMENT, "shard_size[" + s + "] = " + shardSize[s] + " is negative");
            }
        }
        if (a.weight != null) {
            Check.weights(a.weight, "weight");
        }
        if (a.mode == LabelSmoothingMode.OFF_TARGET && classes == 1 && a.labelSmoothing > 0) {
            throw Check.err(ErrorKind.INVALID_ARGUMENT,
                    "label_smoothing_mode off_target needs at least 2 classes when label_smoothing > 0");
        }
        for (int p = 0; p < n; p++) {
            int y = target[p];
            if (!(y == a.ignoreIndex && !a.ignoreNone) && (y < 0 || y >= classes)) {
                throw Check.err(ErrorKind.INDEX_OUT_OF_RANGE, "target[" + p + "] = " + y + " is outside [0, " + classes
                        + ") and " + (a.ignoreNone ? "no index is ignored" : "is not ignore_index (" + a.ignoreIndex + ")"));
            }
        }
        return new ShardLoss(shardLse, shardLogitSum, targetLogit, target, shards, classes, a).losses();
    }

    /** The loss of each position from its shard statistics (the spec's combination rule, exact). */
    private static final class ShardLoss {
        private final double[] lse;
        private final double[] logitSum;
        private final double[] targetLogit;
        private final int[] target;
        private final int shards;
        private final long classes;
        private final SoftmaxCrossEntropyCall.Args a;
        private final ExtendedDouble totalWeight;

        ShardLoss(double[] lse, double[] logitSum, double[] targetLogit, int[] target, int shards, long classes,
                  SoftmaxCrossEntropyCall.Args a) {
            this.lse = lse;
            this.logitSum = logitSum;
            this.targetLogit = targetLogit;
            this.target = target;
            this.shards = shards;
            this.classes = classes;
            this.a = a;
            ExtendedDouble w = ExtendedDouble.of((double) classes);
            if (a.weight != null) {
                w = ExtendedDouble.ZERO;
                for (double v : a.weight) {
                    w = w.add(ExtendedDouble.of(v));
                }
            }
            totalWeight = w;
        }

        boolean ignored(int p) {
            return !a.ignoreNone && target[p] == a.ignoreIndex;
        }

        double weight(int cls) {
            return a.weight == null ? 1.0 : a.weight[cls];
        }

        Losses losses() {
            int n = target.length;
            ExtendedDouble[] per = new ExtendedDouble[n];
            ExtendedDouble denominator = ExtendedDouble.ZERO;
            for (int p = 0; p < n; p++) {
                if (ignored(p)) {
                    per[p] = ExtendedDouble.ZERO;
                    continue;
                }
                denominator = denominator.add(ExtendedDouble.of(weight(target[p])));
                per[p] = loss(p);
            }
            return new Losses(per, denominator, a.emptyMean);
        }

        /** (1 - eps) w_y (L - x_y) + the smoothing term, each term 0 when its coefficient is (D4, NaN kept). */
        private ExtendedDouble loss(int p) {
            int n = target.length;
            int y = target[p];
            double eps = a.labelSmoothing;
            ExtendedDouble wy = ExtendedDouble.of(weight(y));
            ExtendedDouble xy = ExtendedDouble.of(targetLogit[p]);
            ExtendedDouble l = mergeColumn(lse, shards, n, p, LogBase.E);
            ExtendedDouble t = ExtendedDouble.ZERO;
            for (int s = 0; s < shards; s++) {
                t = Ieee.add(t, ExtendedDouble.of(logitSum[s * n + p]));
            }
            ExtendedDouble ce = Ieee.term(ExtendedDouble.of(Terms.oneMinus(eps)).mul(wy), Ieee.add(l, Ieee.neg(xy)));
            if (eps == 0.0) {
                return ce;
            }
            ExtendedDouble smooth;
            if (a.mode == LabelSmoothingMode.UNIFORM) {
                ExtendedDouble coef = ExtendedDouble.of(eps).div(ExtendedDouble.of((double) classes));
                smooth = Ieee.term(coef, Ieee.add(Ieee.term(totalWeight, l), Ieee.neg(t)));
            } else {
                ExtendedDouble coef = ExtendedDouble.of(eps).div(ExtendedDouble.of((double) (classes - 1)));
                ExtendedDouble rest = Ieee.add(totalWeight, Ieee.neg(wy));
                ExtendedDouble others = Ieee.add(t, Ieee.neg(Ieee.term(wy, xy)));
                smooth = Ieee.term(coef, Ieee.add(Ieee.term(rest, l), Ieee.neg(others)));
            }
            return Ieee.add(ce, smooth);
        }
    }
}
