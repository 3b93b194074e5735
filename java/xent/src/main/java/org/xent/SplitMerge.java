package org.xent;

/**
 * Split and merge (issue 18): merging online-softmax states and partial log-sum-exps of the partitions of
 * a row (base e or 2), and softmax cross-entropy from the per-shard statistics a vocabulary-parallel
 * implementation exchanges (Python: {@code xent.split_merge}). Tensors are flat row-major arrays plus a
 * shape whose axis 0 runs over the K partitions (S shards). Each result is the exact value rounded once.
 * The conventions of every public class of the package are in its package documentation.
 */
public final class SplitMerge {
    private SplitMerge() {
    }

    /**
     * Merges K online-softmax states (m_i, d_i), d_i = sum over the partition of b^(x - m_i), along axis 0:
     * M = max m_i and D = sum_i d_i b^(m_i - M); a state with m_i = M contributes d_i exactly, one whose factor
     * is exactly 0 contributes 0; NaN in a column gives NaN; K = 0 gives (-inf, 0).
     *
     * @param m     running maxima [K, d1..dk] (rank 1 to 8)
     * @param d     running sums, m's shape, each &gt;= 0 (or NaN)
     * @param shape the shape of m and d
     * @param base  {@link LogBase#E} or {@link LogBase#TWO}: the base of the states' exponentials
     * @return [2, d1..dk]: the merged maxima, then the merged sums
     * @throws XentException invalid_shape (rank), invalid_argument (d_i &lt; 0)
     */
    public static double[] onlineSoftmaxMerge(double[] m, double[] d, int[] shape, LogBase base) {
        return SplitMergeKernels.onlineSoftmaxMerge(m, shape, d, shape, base);
    }

    /**
     * Float32 {@link #onlineSoftmaxMerge(double[], double[], int[], LogBase)}.
     *
     * @param m     running maxima
     * @param d     running sums
     * @param shape their shape
     * @param base  the base
     * @return the merged state, each value rounded once to float
     */
    public static float[] onlineSoftmaxMerge(float[] m, float[] d, int[] shape, LogBase base) {
        return Check.toFloat(SplitMergeKernels.onlineSoftmaxMerge(Float32.widen(m, "m"), shape, Float32.widen(d, "d"),
                shape, base));
    }

    /**
     * Merges K partial log-sum-exps along axis 0: log_b sum_i b^(lse_i) (NaN for a NaN, +inf for a +inf,
     * -inf when all are -inf or K = 0).
     *
     * @param lse   partial log-sum-exps [K, d1..dk] (rank 1 to 8)
     * @param shape lse's shape
     * @param base  {@link LogBase#E} or {@link LogBase#TWO}
     * @return [d1..dk] (one value for a vector)
     */
    public static double[] lseMerge(double[] lse, int[] shape, LogBase base) {
        return SplitMergeKernels.lseMerge(lse, shape, base);
    }

    /**
     * Float32 {@link #lseMerge(double[], int[], LogBase)}.
     *
     * @param lse   partial log-sum-exps
     * @param shape lse's shape
     * @param base  the base
     * @return the merged values, each rounded once to float
     */
    public static float[] lseMerge(float[] lse, int[] shape, LogBase base) {
        return Check.toFloat(SplitMergeKernels.lseMerge(Float32.widen(lse, "lse"), shape, base));
    }

    /**
     * Softmax cross-entropy of class-index targets from per-shard statistics, one loss per position: with
     * L = log sum_s exp(shard_lse[s]), T = sum_s shard_logit_sum[s] and W = sum_c w_c, the loss is
     * {@code (1 - eps) w_y (L - x_y) + (eps / C) (W L - T)} (uniform) or
     * {@code (1 - eps) w_y (L - x_y) + (eps / (C - 1)) ((W - w_y) L - (T - w_y x_y))} (off_target);
     * ignored positions give 0.
     *
     * @param shardLse      per-shard log-sum-exps [S, N]
     * @param shardLogitSum per-shard weighted logit sums [S, N]
     * @param targetLogit   the target's logit per position [N]
     * @param target        class indices [N] in [0, C), C = sum of shard_size
     * @param shardSize     the number of classes of each shard [S], each &gt;= 0
     * @param options       weight [C], ignore_index, label smoothing and its mode, empty_mean (the large-model
     *                      options must keep their defaults)
     * @return one loss per position
     */
    public static double[] crossEntropyFromShardsUnreduced(double[] shardLse, double[] shardLogitSum,
                                                           double[] targetLogit, int[] target, long[] shardSize,
                                                           SoftmaxCrossEntropyOptions options) {
        Check.notNull(options, "options");
        return SplitMergeKernels.crossEntropyFromShards(shardLse, shardLogitSum, targetLogit, target, shardSize,
                options.toArgs(false)).values();
    }

    /**
     * {@link #crossEntropyFromShardsUnreduced} reduced: the sum, or the mean over the sum of w_y of the
     * non-ignored positions (a zero denominator: IEEE division, or 0 with empty_mean zero).
     *
     * @param shardLse      per-shard log-sum-exps [S, N]
     * @param shardLogitSum per-shard weighted logit sums [S, N]
     * @param targetLogit   the target's logit per position [N]
     * @param target        class indices [N]
     * @param shardSize     the number of classes of each shard [S]
     * @param options       as for the unreduced form
     * @param reduction     SUM or MEAN
     * @return the reduced loss
     */
    public static double crossEntropyFromShards(double[] shardLse, double[] shardLogitSum, double[] targetLogit,
                                                int[] target, long[] shardSize, SoftmaxCrossEntropyOptions options,
                                                Reduction reduction) {
        Check.reduced(reduction, "crossEntropyFromShards");
        Check.notNull(options, "options");
        return SplitMergeKernels.crossEntropyFromShards(shardLse, shardLogitSum, targetLogit, target, shardSize,
                options.toArgs(false)).reduce(reduction);
    }

    /**
     * Float32 {@link #crossEntropyFromShardsUnreduced}: the options' float parameters rounded to float.
     *
     * @param shardLse      per-shard log-sum-exps [S, N]
     * @param shardLogitSum per-shard weighted logit sums [S, N]
     * @param targetLogit   the target's logit per position [N]
     * @param target        class indices [N]
     * @param shardSize     the number of classes of each shard [S]
     * @param options       as for the float64 form
     * @return one loss per position, each rounded once to float
     */
    public static float[] crossEntropyFromShardsUnreduced(float[] shardLse, float[] shardLogitSum, float[] targetLogit,
                                                          int[] target, long[] shardSize, SoftmaxCrossEntropyOptions options) {
        Check.notNull(options, "options");
        return Check.toFloat(crossEntropyFromShardsUnreduced(Float32.widen(shardLse, "shard_lse"),
                Float32.widen(shardLogitSum, "shard_logit_sum"), Float32.widen(targetLogit, "target_logit"), target,
                shardSize, options.float32()));
    }

    /**
     * Float32 {@link #crossEntropyFromShards(double[], double[], double[], int[], long[], SoftmaxCrossEntropyOptions, Reduction)}.
     *
     * @param shardLse      per-shard log-sum-exps [S, N]
     * @param shardLogitSum per-shard weighted logit sums [S, N]
     * @param targetLogit   the target's logit per position [N]
     * @param target        class indices [N]
     * @param shardSize     the number of classes of each shard [S]
     * @param options       as for the float64 form
     * @param reduction     SUM or MEAN
     * @return the reduced loss rounded once to float
     */
    public static float crossEntropyFromShards(float[] shardLse, float[] shardLogitSum, float[] targetLogit,
                                               int[] target, long[] shardSize, SoftmaxCrossEntropyOptions options,
                                               Reduction reduction) {
        Check.notNull(options, "options");
        return (float) crossEntropyFromShards(Float32.widen(shardLse, "shard_lse"),
                Float32.widen(shardLogitSum, "shard_logit_sum"), Float32.widen(targetLogit, "target_logit"), target,
                shardSize, options.float32(), reduction);
    }
}
