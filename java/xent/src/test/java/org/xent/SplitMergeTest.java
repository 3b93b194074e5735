package org.xent;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Split and merge (issue 18): online_softmax_merge, lse_merge and cross_entropy_from_shards. Expected values
 * come from the spec's definitions (dyadic states whose merge is exact, the special values) and from the
 * identity with the unsplit computation (logsumexp, softmax_cross_entropy of the same logits).
 */
class SplitMergeTest {
    private static final double NAN = Double.NaN;
    private static final double INF = Double.POSITIVE_INFINITY;

    /** Columns: (m, d) states whose merge is exact, and the spec's special values (empty, NaN, +inf, K = 0). */
    private static Stream<Arguments> merges() {
        return Stream.of(
                Arguments.of(LogBase.TWO, new double[] {1, 0}, new double[] {1, 2}, 1.0, 2.0),
                Arguments.of(LogBase.E, new double[] {0, 0}, new double[] {1, 2}, 0.0, 3.0),
                Arguments.of(LogBase.E, new double[] {-INF, 3}, new double[] {0, 1.5}, 3.0, 1.5),
                Arguments.of(LogBase.E, new double[] {-INF, -INF}, new double[] {0, 0}, -INF, 0.0),
                Arguments.of(LogBase.TWO, new double[] {INF, 5}, new double[] {1, 7}, INF, 1.0),
                Arguments.of(LogBase.E, new double[] {NAN, 5}, new double[] {1, 7}, NAN, NAN),
                Arguments.of(LogBase.E, new double[] {4, 5}, new double[] {NAN, 7}, NAN, NAN),
                Arguments.of(LogBase.E, new double[] {0, -2000}, new double[] {1, 1}, 0.0, 1.0),
                Arguments.of(LogBase.E, new double[] {}, new double[] {}, -INF, 0.0));
    }

    @ParameterizedTest
    @MethodSource("merges")
    void onlineSoftmaxMerge(LogBase base, double[] m, double[] d, double wantM, double wantD) {
        double[] out = SplitMerge.onlineSoftmaxMerge(m, d, new int[] {m.length}, base);
        assertArrayEquals(new double[] {wantM, wantD}, out);
    }

    /** The merged state of a split row gives its log-sum-exp: M + log D. */
    @Test
    void mergedStateIsTheRowsLogSumExp() {
        double[] x = {0.5, -3, 7.25, 2, 1, -0.125};
        double[] m = {0.5, 7.25, 1};
        double[] d = new double[3];
        for (int i = 0; i < 3; i++) {
            d[i] = Math.exp(x[2 * i] - m[i]) + Math.exp(x[2 * i + 1] - m[i]);
        }
        double[] out = SplitMerge.onlineSoftmaxMerge(m, d, new int[] {3}, LogBase.E);
        double want = Primitives.logsumexp(x);
        assertEquals(want, out[0] + Math.log(out[1]), 8 * Math.ulp(want));
    }

    @Test
    void negativeRunningSumIsInvalidAfterTheShapes() {
        assertKind(ErrorKind.SHAPE_MISMATCH, () -> SplitMergeKernels.onlineSoftmaxMerge(new double[2], new int[] {2},
                new double[] {-1, 0, 0}, new int[] {3}, LogBase.E));
        assertKind(ErrorKind.INVALID_ARGUMENT, () -> SplitMerge.onlineSoftmaxMerge(new double[2], new double[] {1, -1},
                new int[] {2}, LogBase.E));
        assertKind(ErrorKind.INVALID_SHAPE, () -> SplitMerge.lseMerge(new double[1], new int[0], LogBase.E));
    }

    /** lse_merge of the partial log-sum-exps of a split row is the row's log-sum-exp; the special values per column. */
    @Test
    void lseMerge() {
        double[] x = {0.5, -3, 7.25, 2, 1, -0.125};
        double[] parts = {Primitives.logsumexp(new double[] {0.5, -3}), Primitives.logsumexp(new double[] {7.25, 2}),
            Primitives.logsumexp(new double[] {1, -0.125})};
        double want = Primitives.logsumexp(x);
        assertEquals(want, SplitMerge.lseMerge(parts, new int[] {3}, LogBase.E)[0], 4 * Math.ulp(want));
        // columns: base 2 of [1, 1] is 2; [-inf, -inf] is -inf; NaN wins over +inf; +inf
        double[] cols = {1, -INF, NAN, INF, 1, -INF, INF, 3};
        assertArrayEquals(new double[] {2, -INF, NAN, INF}, SplitMerge.lseMerge(cols, new int[] {2, 4}, LogBase.TWO));
        assertArrayEquals(new double[] {-INF, -INF}, SplitMerge.lseMerge(new double[0], new int[] {0, 2}, LogBase.E));
    }

    /** x [2, 5] split into shards of 2, 0 and 3 classes: the statistics a vocabulary-parallel kernel exchanges. */
    private static final double[] X = {1, 2, 0.5, -1, 3, 4, -2, 0.25, 1.5, 2.5};
    private static final long[] SIZES = {2, 0, 3};

    private static double[][] stats(double[] w, int[] y) {
        int n = 2;
        int c = 5;
        double[] lse = new double[3 * n];
        double[] sums = new double[3 * n];
        double[] targetLogit = new double[n];
        for (int p = 0; p < n; p++) {
            int from = 0;
            for (int s = 0; s < 3; s++) {
                double[] part = java.util.Arrays.copyOfRange(X, p * c + from, p * c + from + (int) SIZES[s]);
                lse[s * n + p] = part.length == 0 ? Double.NEGATIVE_INFINITY : Primitives.logsumexp(part);
                for (int j = 0; j < part.length; j++) {
                    sums[s * n + p] += (w == null ? 1 : w[from + j]) * part[j];
                }
                from += (int) SIZES[s];
            }
            targetLogit[p] = y[p] < 0 ? NAN : X[p * c + y[p]];
        }
        return new double[][] {lse, sums, targetLogit};
    }

    @ParameterizedTest
    @EnumSource(LabelSmoothingMode.class)
    void shardsGiveTheUnsplitCrossEntropy(LabelSmoothingMode mode) {
        double[] w = {0.5, 2, 1, 0.25, 4};
        int[] y = {4, 1};
        double[][] st = stats(w, y);
        SoftmaxCrossEntropyOptions o = new SoftmaxCrossEntropyOptions().weight(w).labelSmoothing(0.25).labelSmoothingMode(mode);
        double[] got = SplitMerge.crossEntropyFromShardsUnreduced(st[0], st[1], st[2], y, SIZES, o);
        double[] want = LogitLosses.softmaxCrossEntropyUnreduced(X, new int[] {2, 5}, y, o);
        for (int p = 0; p < 2; p++) {
            assertEquals(want[p], got[p], 1e-14 * Math.abs(want[p]), "position " + p);
        }
        double mean = SplitMerge.crossEntropyFromShards(st[0], st[1], st[2], y, SIZES, o, Reduction.MEAN);
        double wantMean = LogitLosses.softmaxCrossEntropy(X, new int[] {2, 5}, y, o, Reduction.MEAN);
        assertEquals(wantMean, mean, 1e-14 * wantMean);
    }

    /** An ignored position is 0 whatever its statistics hold (D2); all ignored: mean NaN, or 0 with empty_mean zero. */
    @Test
    void ignoredPositions() {
        int[] y = {-100, 2};
        double[][] st = stats(null, y);
        st[0][0] = NAN;
        SoftmaxCrossEntropyOptions o = new SoftmaxCrossEntropyOptions();
        assertEquals(0.0, SplitMerge.crossEntropyFromShardsUnreduced(st[0], st[1], st[2], y, SIZES, o)[0]);
        int[] none = {-100, -100};
        assertEquals(NAN, SplitMerge.crossEntropyFromShards(st[0], st[1], st[2], none, SIZES, o, Reduction.MEAN));
        assertEquals(0.0, SplitMerge.crossEntropyFromShards(st[0], st[1], st[2], none, SIZES,
                o.emptyMean(EmptyMean.ZERO), Reduction.MEAN));
    }

    /** L = +inf with a finite target logit gives +inf; L = x_y = +inf gives NaN; all shards -inf NaN (spec). */
    @Test
    void shardSpecialValues() {
        double[] lse = {INF, INF, NEG, 0, NEG, NEG};
        double[] sums = {0, 0, 0, 0, 0, 0};
        double[] out = SplitMerge.crossEntropyFromShardsUnreduced(lse, sums, new double[] {1, INF, NEG}, new int[] {0, 0, 0},
                new long[] {1, 2}, new SoftmaxCrossEntropyOptions());
        assertArrayEquals(new double[] {INF, NAN, NAN}, out);
    }

    private static final double NEG = Double.NEGATIVE_INFINITY;

    /** The float32 overloads: inputs widened, label smoothing rounded to float, each result rounded once. */
    @Test
    void shardsFloat32RoundsOnce() {
        int[] y = {4, 1};
        double[][] st = stats(null, y);
        float[][] f = {Check.toFloat(st[0]), Check.toFloat(st[1]), Check.toFloat(st[2])};
        SoftmaxCrossEntropyOptions o = new SoftmaxCrossEntropyOptions().labelSmoothing(0.1);
        SoftmaxCrossEntropyOptions rounded = new SoftmaxCrossEntropyOptions().labelSmoothing((float) 0.1);
        double[][] w = {Check.toDouble(f[0]), Check.toDouble(f[1]), Check.toDouble(f[2])};
        assertArrayEquals(Check.toFloat(SplitMerge.crossEntropyFromShardsUnreduced(w[0], w[1], w[2], y, SIZES, rounded)),
                SplitMerge.crossEntropyFromShardsUnreduced(f[0], f[1], f[2], y, SIZES, o));
        assertEquals((float) SplitMerge.crossEntropyFromShards(w[0], w[1], w[2], y, SIZES, rounded, Reduction.SUM),
                SplitMerge.crossEntropyFromShards(f[0], f[1], f[2], y, SIZES, o, Reduction.SUM));
    }

    @Test
    void shardErrorsInPrecedence() {
        double[][] st = stats(null, new int[] {0, 1});
        SoftmaxCrossEntropyOptions o = new SoftmaxCrossEntropyOptions();
        assertKind(ErrorKind.INVALID_SHAPE, () -> SplitMerge.crossEntropyFromShardsUnreduced(new double[0], new double[0],
                st[2], new int[] {0, 1}, new long[0], o));
        assertKind(ErrorKind.SHAPE_MISMATCH, () -> SplitMerge.crossEntropyFromShardsUnreduced(st[0], st[1], st[2],
                new int[] {0, 1}, SIZES, new SoftmaxCrossEntropyOptions().weight(new double[] {-1, 1})));
        assertKind(ErrorKind.INVALID_ARGUMENT, () -> SplitMerge.crossEntropyFromShardsUnreduced(st[0], st[1], st[2],
                new int[] {0, 9}, new long[] {2, -1, 4}, o));
        assertKind(ErrorKind.INDEX_OUT_OF_RANGE, () -> SplitMerge.crossEntropyFromShardsUnreduced(st[0], st[1], st[2],
                new int[] {0, 5}, SIZES, o));
    }

    private static void assertKind(ErrorKind kind, Runnable r) {
        XentException e = assertThrows(XentException.class, r::run);
        assertEquals(kind, e.kind(), e.getMessage());
    }
}
