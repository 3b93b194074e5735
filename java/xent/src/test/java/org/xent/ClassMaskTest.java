package org.xent;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * softmax_cross_entropy's class mask {@code where} and its extra outputs {@code result} (issue 17,
 * specVersion 4). Expected values come from the spec's definitions: an excluded class is a -inf logit whose
 * mass is dropped, a mask of all true is no mask, a position with no included class has loss 0 and counts
 * in the mean, lse is the log-sum-exp of the included logits, the z-loss part is z lse^2.
 */
class ClassMaskTest {
    private static final double NAN = Double.NaN;
    private static final double NEG_INF = Double.NEGATIVE_INFINITY;
    private static final double[] X = {2, -1, 0.5, 3, 0.25, -4, 1.5, 1.5, 7};
    private static final int[] SHAPE = {3, 3};
    private static final int[] Y = {0, 2, 1};

    private static SoftmaxCrossEntropyOptions opts() {
        return new SoftmaxCrossEntropyOptions();
    }

    private static double[] loss(double[] x, int[] y, SoftmaxCrossEntropyOptions o) {
        return LogitLosses.softmaxCrossEntropyUnreduced(x, SHAPE, y, o);
    }

    /** X with class 1 replaced by v in every row. */
    private static double[] withClass1(double v) {
        double[] x = X.clone();
        for (int n = 0; n < 3; n++) {
            x[3 * n + 1] = v;
        }
        return x;
    }

    @ParameterizedTest
    @ValueSource(doubles = {0.0, 0.1})
    void allTrueIsNoMask(double eps) {
        boolean[] all = {true, true, true};
        assertArrayEquals(loss(X, Y, opts().labelSmoothing(eps)), loss(X, Y, opts().labelSmoothing(eps).where(all)));
    }

    /** An excluded class (target elsewhere, no smoothing) is a -inf logit whatever it holds, NaN and inf included. */
    @ParameterizedTest
    @ValueSource(doubles = {NAN, Double.POSITIVE_INFINITY, NEG_INF, 100.0})
    void excludedClassIsMinusInfinity(double held) {
        boolean[] mask = {true, false, true};
        int[] y = {0, 2, 0};
        double[] want = loss(withClass1(NEG_INF), y, opts());
        assertArrayEquals(want, loss(withClass1(held), y, opts().where(mask)));
        double[] g = Gradients.softmaxCrossEntropyGrad(withClass1(held), SHAPE, y, opts().where(mask), Reduction.SUM);
        assertArrayEquals(Gradients.softmaxCrossEntropyGrad(withClass1(NEG_INF), SHAPE, y, opts(), Reduction.SUM), g);
        for (int n = 0; n < 3; n++) {
            assertEquals(0.0, g[3 * n + 1]); // an excluded class's gradient is exactly 0
        }
    }

    /** A target on an excluded class drops its mass: loss 0 and gradient 0 without smoothing. */
    @Test
    void excludedTargetDropsItsMass() {
        boolean[] mask = {true, false, true};
        double[] l = loss(X, new int[] {1, 1, 1}, opts().where(mask));
        assertArrayEquals(new double[3], l);
        assertArrayEquals(new double[9], Gradients.softmaxCrossEntropyGrad(X, SHAPE, new int[] {1, 1, 1},
                opts().where(mask), Reduction.NONE));
    }

    /** Label smoothing keeps C = 3: an included class gets eps / 3 of the mass, an excluded one none. */
    @Test
    void smoothingKeepsTheClassCount() {
        boolean[] mask = {true, false, true};
        double eps = 0.25;
        double[] l = loss(X, new int[] {1, 1, 1}, opts().labelSmoothing(eps).where(mask));
        double[] lsm = AlongAxis.logSoftmax(withClass1(NEG_INF), SHAPE, 1);
        for (int n = 0; n < 3; n++) {
            double want = -(eps / 3) * (lsm[3 * n] + lsm[3 * n + 2]);
            assertEquals(want, l[n], 4 * Math.ulp(want));
        }
    }

    /** The logits' full shape masks per position; a position with no included class has loss 0 and counts in the mean. */
    @ParameterizedTest
    @EnumSource(value = Reduction.class, names = {"SUM", "MEAN"})
    void noIncludedClassCountsInTheMean(Reduction r) {
        boolean[] mask = {true, true, true, false, false, false, true, true, true};
        double[] per = loss(X, Y, opts().where(mask));
        assertEquals(0.0, per[1]);
        double[] plain = loss(X, Y, opts());
        assertEquals(plain[0], per[0]);
        assertEquals(plain[2], per[2]);
        double want = (plain[0] + plain[2]) / (r == Reduction.MEAN ? 3 : 1);
        double got = LogitLosses.softmaxCrossEntropy(X, SHAPE, Y, opts().where(mask), r);
        assertEquals(want, got, 2 * Math.ulp(want));
        double[] g = Gradients.softmaxCrossEntropyGrad(X, SHAPE, Y, opts().where(mask).zLoss(0.5), r);
        assertArrayEquals(new double[3], java.util.Arrays.copyOfRange(g, 3, 6));
    }

    /** Every included logit -inf: NaN at the included classes, an exact 0 at the excluded one (spec). */
    @Test
    void allIncludedMinusInfinityKeepsTheExcludedZero() {
        double[] x = {NEG_INF, NEG_INF, 5, 0, 1, 2};
        double[] g = Gradients.softmaxCrossEntropyGrad(x, new int[] {2, 3}, new int[] {0, 1},
                opts().where(new boolean[] {true, true, false}), Reduction.NONE);
        assertTrue(Double.isNaN(g[0]) && Double.isNaN(g[1]));
        assertEquals(0.0, g[2]);
        assertEquals(0.0, g[5]);
    }

    /** An excluded class and a position with no included class stay exactly 0 under an infinite or NaN grad_output. */
    @Test
    void excludedClassesDoNotReadTheUpstreamGradient() {
        boolean[] mask = {true, false, true, false, false, false, true, true, true};
        double[] g = Gradients.softmaxCrossEntropyGrad(X, SHAPE, Y, opts().where(mask), Reduction.NONE,
                new double[] {Double.POSITIVE_INFINITY, NAN, 1});
        assertEquals(0.0, g[1]);
        assertArrayEquals(new double[3], java.util.Arrays.copyOfRange(g, 3, 6));
        assertTrue(Double.isInfinite(g[0]) && Double.isInfinite(g[2]));
    }

    @Test
    void maskShapeIsCheckedAfterTheWeight() {
        assertKind(ErrorKind.SHAPE_MISMATCH, () -> loss(X, Y, opts().where(new boolean[2])));
        Map<String, Object> params = new HashMap<>();
        params.put("where", Tensor.ofBools(new int[] {1, 3}, new boolean[] {true, false, true}));
        params.put("weight", Tensor.ofFloats("float64", new int[] {3}, new double[] {-1, 1, 1}));
        Map<String, Tensor> inputs = Map.of("logits", Tensor.ofFloats("float64", SHAPE, X),
                "target", Tensor.ofInts(new int[] {3}, new long[] {0, 1, 2}));
        assertKind(ErrorKind.SHAPE_MISMATCH, () -> Catalogue.call("softmax_cross_entropy", "float64", params, inputs));
        params.put("where", Tensor.ofBools(new int[] {3}, new boolean[] {true, false, true}));
        assertKind(ErrorKind.INVALID_ARGUMENT, () -> Catalogue.call("softmax_cross_entropy", "float64", params, inputs));
    }

    /** result lse: the log-sum-exp of every position's included logits, ignored ones too, never reduced. */
    @ParameterizedTest
    @ValueSource(strings = {"none", "sum", "mean"})
    void resultLse(String reduction) {
        Map<String, Object> params = new HashMap<>();
        params.put("result", "lse");
        params.put("reduction", reduction);
        params.put("where", Tensor.ofBools(SHAPE, new boolean[] {true, false, true, false, false, false, true, true, true}));
        Map<String, Tensor> inputs = Map.of("logits", Tensor.ofFloats("float64", SHAPE, withClass1(NAN)),
                "target", Tensor.ofInts(new int[] {3}, new long[] {-100, 0, 1}));
        Tensor got = Catalogue.call("softmax_cross_entropy", "float64", params, inputs);
        assertArrayEquals(new int[] {3}, got.shape());
        double[] lse = AlongAxis.logsumexp(new double[] {2, 0.5}, new int[] {2}, 0);
        assertEquals(lse[0], got.values()[0]);
        assertEquals(NEG_INF, got.values()[1]);
        assertTrue(Double.isNaN(got.values()[2]));
        assertKind(ErrorKind.INVALID_ARGUMENT, () -> LogitLosses.softmaxCrossEntropy(X, SHAPE, Y,
                opts().result(SoftmaxCrossEntropyResult.LSE), Reduction.SUM));
    }

    /** result z_loss: z lse^2 per kept position (0 when ignored), sum, mean over K; z_loss 0 gives zeros. */
    @Test
    void resultZLoss() {
        double z = 0.25;
        int[] y = {0, -100, 1};
        SoftmaxCrossEntropyOptions o = opts().zLoss(z).result(SoftmaxCrossEntropyResult.Z_LOSS);
        double[] per = LogitLosses.softmaxCrossEntropyUnreduced(X, SHAPE, y, o);
        double[] lse = AlongAxis.logsumexp(X, SHAPE, 1);
        for (int n : new int[] {0, 2}) {
            double want = z * lse[n] * lse[n];
            assertEquals(want, per[n], 4 * Math.ulp(want));
        }
        assertEquals(0.0, per[1]);
        double mean = LogitLosses.softmaxCrossEntropy(X, SHAPE, y, o, Reduction.MEAN);
        assertEquals((per[0] + per[2]) / 2, mean, 2 * Math.ulp(mean));
        int[] none = {-100, -100, -100};
        assertTrue(Double.isNaN(LogitLosses.softmaxCrossEntropy(X, SHAPE, none, o, Reduction.MEAN)));
        assertEquals(0.0, LogitLosses.softmaxCrossEntropy(X, SHAPE, none, o.emptyMean(EmptyMean.ZERO), Reduction.MEAN));
        SoftmaxCrossEntropyOptions off = opts().result(SoftmaxCrossEntropyResult.Z_LOSS);
        assertEquals(0.0, LogitLosses.softmaxCrossEntropy(X, SHAPE, none, off, Reduction.MEAN));
        assertArrayEquals(new double[3], LogitLosses.softmaxCrossEntropyUnreduced(X, SHAPE, Y, off));
    }

    /**
     * result z_loss of special rows (spec, specVersion 4): z lse^2 with lse as logsumexp gives it, +inf for
     * one +inf, two +inf and all -inf (vectors 8824-8825); NaN for a NaN logit.
     */
    @Test
    void resultZLossSpecialValues() {
        double inf = Double.POSITIVE_INFINITY;
        double[] x = {inf, 0, 1, inf, inf, 1, NEG_INF, NEG_INF, NEG_INF};
        double[] z = LogitLosses.softmaxCrossEntropyUnreduced(x, SHAPE, new int[] {0, 0, 0},
                opts().zLoss(0.5).result(SoftmaxCrossEntropyResult.Z_LOSS));
        assertEquals(inf, z[0]);
        assertEquals(inf, z[1]);
        assertEquals(inf, z[2]);
        double[] nan = {Double.NaN, 0, 1, 0, 1, 2, 0, 1, 2};
        assertTrue(Double.isNaN(LogitLosses.softmaxCrossEntropyUnreduced(nan, SHAPE, new int[] {0, 0, 0},
                opts().zLoss(0.5).result(SoftmaxCrossEntropyResult.Z_LOSS))[0]));
    }

    @Test
    void unknownResultIsInvalidArgumentFirst() {
        Map<String, Object> params = new HashMap<>();
        params.put("result", "logits");
        Map<String, Tensor> inputs = Map.of("logits", Tensor.ofFloats("float64", new int[] {3}, new double[3]),
                "target", Tensor.ofInts(new int[] {3}, new long[] {0, 1, 2}));
        assertKind(ErrorKind.INVALID_ARGUMENT, () -> Catalogue.call("softmax_cross_entropy", "float64", params, inputs));
    }

    private static void assertKind(ErrorKind kind, Runnable r) {
        XentException e = assertThrows(XentException.class, r::run);
        assertEquals(kind, e.kind(), e.getMessage());
    }
}
