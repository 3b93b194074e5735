package org.xent;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.OptionalInt;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * nll_loss (PyTorch's F.nll_loss: -w_y input[n, y], the mean divided by the sum of w_y over the kept
 * positions) and kl_div (PyTorch's F.kl_div: target (log target - input), or exp(target) (target - input)
 * with log_target). The inputs are chosen so that every expected value is exact by that definition
 * (small dyadic products and quotients; target 1 or log target 0), or is the correctly rounded constant
 * ln 2 (Math.log(2) is within 1 ulp; 2 ln 2 is compared in ulps).
 */
class LogProbabilityLossesTest {
    private static final double INF = Double.POSITIVE_INFINITY;
    private static final double NAN = Double.NaN;
    private static final OptionalInt NO_IGNORE = OptionalInt.empty();
    private static final OptionalInt DEFAULT = OptionalInt.of(-100);
    /** log-probabilities [2, 3]. */
    private static final double[] LOGP = {-1, -2, -3, -0.5, -0.25, -4};
    private static final int[] S23 = {2, 3};
    private static final double[] W = {1, 2, 0.5};

    private static void assertKind(ErrorKind kind, Runnable r) {
        XentException e = assertThrows(XentException.class, r::run);
        assertEquals(kind, e.kind(), e.getMessage());
    }

    static Stream<Arguments> nllCases() {
        return Stream.of(
                Arguments.of("none", LOGP, S23, new int[] {0, 2}, null, DEFAULT, new double[] {1, 4}, 5.0, 2.5),
                Arguments.of("weighted", LOGP, S23, new int[] {0, 2}, W, DEFAULT, new double[] {1, 2}, 3.0, 2.0),
                Arguments.of("ignored -100", LOGP, S23, new int[] {-100, 1}, null, DEFAULT, new double[] {0, 0.25}, 0.25, 0.25),
                Arguments.of("ignored 2", LOGP, S23, new int[] {2, 1}, W, OptionalInt.of(2), new double[] {0, 0.5}, 0.5, 0.25),
                Arguments.of("none ignored", LOGP, S23, new int[] {2, 1}, null, NO_IGNORE, new double[] {3, 0.25}, 3.25, 1.625),
                Arguments.of("all ignored", LOGP, S23, new int[] {-100, -100}, null, DEFAULT, new double[] {0, 0}, 0.0, NAN),
                Arguments.of("[C], one sample", new double[] {-1, -2, -3}, new int[] {3}, new int[] {1}, W, DEFAULT,
                        new double[] {4}, 4.0, 2.0),
                // [N = 1, C = 2, d = 2]: class c at spatial position r is element 2c + r
                Arguments.of("K-dim", new double[] {-1, -2, -3, -4}, new int[] {1, 2, 2}, new int[] {1, 0}, null, DEFAULT,
                        new double[] {3, 2}, 5.0, 2.5),
                Arguments.of("rank 8", new double[] {-1, -2, -3, -4}, new int[] {1, 2, 1, 1, 1, 1, 1, 2}, new int[] {1, 0},
                        null, DEFAULT, new double[] {3, 2}, 5.0, 2.5),
                Arguments.of("empty batch", new double[0], new int[] {0, 3}, new int[0], null, DEFAULT, new double[0], 0.0, NAN),
                // D2: an ignored position is 0 whatever it holds; D4: a zero weight masks -inf, never NaN
                Arguments.of("ignored NaN", new double[] {NAN, NAN, -1, -1}, new int[] {2, 2}, new int[] {-100, 0}, null,
                        DEFAULT, new double[] {0, 1}, 1.0, 1.0),
                Arguments.of("zero weight masks -inf", new double[] {-INF, 0, -1, -1}, new int[] {2, 2}, new int[] {0, 1},
                        new double[] {0, 1}, DEFAULT, new double[] {0, 1}, 1.0, 1.0),
                Arguments.of("zero weight keeps NaN", new double[] {NAN, 0, -1, -1}, new int[] {2, 2}, new int[] {0, 1},
                        new double[] {0, 1}, DEFAULT, new double[] {NAN, 1}, NAN, NAN),
                Arguments.of("-inf log-probability", new double[] {-INF, 0, 0, 0}, new int[] {2, 2}, new int[] {0, 1}, null,
                        DEFAULT, new double[] {INF, 0}, INF, INF));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("nllCases")
    void nllLoss(String name, double[] input, int[] shape, int[] target, double[] w, OptionalInt ignore,
            double[] none, double sum, double mean) {
        assertArrayEquals(none, LogProbabilityLosses.nllLossUnreduced(input, shape, target, w, ignore));
        assertEquals(sum, LogProbabilityLosses.nllLoss(input, shape, target, w, ignore, Reduction.SUM));
        assertEquals(mean, LogProbabilityLosses.nllLoss(input, shape, target, w, ignore, Reduction.MEAN));
        float[] in32 = Check.toFloat(input);
        assertArrayEquals(Check.toFloat(none), LogProbabilityLosses.nllLossUnreduced(in32, shape, target, w, ignore));
        assertEquals((float) mean, LogProbabilityLosses.nllLoss(in32, shape, target, w, ignore, Reduction.MEAN));
    }

    @Test
    void nllLossRoundsTheExactProductOnce() {
        float x = -(1 + 0x1p-23f); // 3 x needs 26 bits
        float[] got = LogProbabilityLosses.nllLossUnreduced(new float[] {x}, new int[] {1, 1}, new int[] {0},
                new double[] {3}, DEFAULT);
        assertEquals((float) (-3.0 * x), got[0]);
        double max = Double.MAX_VALUE; // the sum overflows, the mean does not
        assertEquals(max, LogProbabilityLosses.nllLoss(new double[] {-max, -max}, new int[] {2, 1}, new int[] {0, 0},
                new double[] {4}, DEFAULT, Reduction.MEAN));
    }

    static Stream<Arguments> nllErrors() {
        int[] rank9 = {1, 1, 1, 1, 1, 1, 1, 1, 1};
        return Stream.of(
                Arguments.of("reduction NONE before rank", ErrorKind.INVALID_ARGUMENT, (Runnable) () ->
                        LogProbabilityLosses.nllLoss(new double[] {-1}, new int[0], new int[] {0}, null, DEFAULT, Reduction.NONE)),
                Arguments.of("rank 0", ErrorKind.INVALID_SHAPE, (Runnable) () ->
                        LogProbabilityLosses.nllLossUnreduced(new double[] {-1}, new int[0], new int[] {0}, null, DEFAULT)),
                Arguments.of("rank 9", ErrorKind.INVALID_SHAPE, (Runnable) () ->
                        LogProbabilityLosses.nllLossUnreduced(new double[] {-1}, rank9, new int[] {0}, null, DEFAULT)),
                Arguments.of("C = 0 before target length", ErrorKind.INVALID_SHAPE, (Runnable) () ->
                        LogProbabilityLosses.nllLossUnreduced(new double[0], new int[] {2, 0}, new int[] {0}, null, DEFAULT)),
                Arguments.of("target length", ErrorKind.SHAPE_MISMATCH, (Runnable) () ->
                        LogProbabilityLosses.nllLossUnreduced(LOGP, S23, new int[] {0}, null, DEFAULT)),
                Arguments.of("weight length before value", ErrorKind.SHAPE_MISMATCH, (Runnable) () ->
                        LogProbabilityLosses.nllLossUnreduced(LOGP, S23, new int[] {0, 0}, new double[] {-1, 1}, DEFAULT)),
                Arguments.of("weight value before index", ErrorKind.INVALID_ARGUMENT, (Runnable) () ->
                        LogProbabilityLosses.nllLossUnreduced(LOGP, S23, new int[] {0, 9}, new double[] {NAN, 1, 1}, DEFAULT)),
                Arguments.of("index", ErrorKind.INDEX_OUT_OF_RANGE, (Runnable) () ->
                        LogProbabilityLosses.nllLossUnreduced(LOGP, S23, new int[] {0, 3}, null, DEFAULT)),
                Arguments.of("-100 with no ignored index", ErrorKind.INDEX_OUT_OF_RANGE, (Runnable) () ->
                        LogProbabilityLosses.nllLossUnreduced(LOGP, S23, new int[] {0, -100}, null, NO_IGNORE)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("nllErrors")
    void nllLossErrors(String name, ErrorKind kind, Runnable call) {
        assertKind(kind, call);
    }

    static Stream<Arguments> klCases() {
        return Stream.of(
                Arguments.of("target 1: -input", new double[] {-1, -2, -3, -4}, new double[] {1, 1, 1, 1}, new int[] {2, 2},
                        false, new double[] {1, 2, 3, 4}, 10.0, 2.5, 5.0),
                Arguments.of("batchmean of a scalar is the sum", new double[] {-3}, new double[] {1}, new int[0], false,
                        new double[] {3}, 3.0, 3.0, 3.0),
                Arguments.of("empty batch", new double[0], new double[0], new int[] {0, 3}, false, new double[0], 0.0, NAN, NAN),
                Arguments.of("target 0 is 0 at any input", new double[] {-1, -INF, INF}, new double[] {0, 0, 0}, new int[] {3},
                        false, new double[] {0, 0, 0}, 0.0, 0.0, 0.0),
                Arguments.of("target < 0 is NaN", new double[] {-1, -1}, new double[] {-0.5, -INF}, new int[] {2}, false,
                        new double[] {NAN, NAN}, NAN, NAN, NAN),
                Arguments.of("NaN propagates", new double[] {NAN, 0}, new double[] {0, NAN}, new int[] {2}, false,
                        new double[] {NAN, NAN}, NAN, NAN, NAN),
                Arguments.of("infinite input or target: the limit", new double[] {-INF, INF, 0, INF}, new double[] {0.5, 0.5, INF, INF},
                        new int[] {4}, false, new double[] {INF, -INF, INF, NAN}, NAN, NAN, NAN),
                Arguments.of("log_target: exp(0) (0 - input)", new double[] {-1, 2}, new double[] {0, 0}, new int[] {1, 2}, true,
                        new double[] {1, -2}, -1.0, -0.5, -1.0),
                Arguments.of("log_target: target -inf is 0", new double[] {-1, INF}, new double[] {-INF, -INF}, new int[] {2}, true,
                        new double[] {0, 0}, 0.0, 0.0, 0.0),
                Arguments.of("log_target: t = x is 0 where exp(t) overflows", new double[] {1000}, new double[] {1000}, new int[] {1},
                        true, new double[] {0}, 0.0, 0.0, 0.0),
                Arguments.of("log_target: limits", new double[] {-INF, INF, 0}, new double[] {0, 0, INF}, new int[] {3}, true,
                        new double[] {INF, -INF, INF}, NAN, NAN, NAN));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("klCases")
    void klDiv(String name, double[] input, double[] target, int[] shape, boolean logTarget, double[] none, double sum,
            double mean, double batchmean) {
        assertArrayEquals(none, LogProbabilityLosses.klDivUnreduced(input, target, shape, logTarget));
        assertEquals(sum, LogProbabilityLosses.klDiv(input, target, shape, KlDivReduction.SUM, logTarget));
        assertEquals(mean, LogProbabilityLosses.klDiv(input, target, shape, KlDivReduction.MEAN, logTarget));
        assertEquals(batchmean, LogProbabilityLosses.klDiv(input, target, shape, KlDivReduction.BATCHMEAN, logTarget));
        assertArrayEquals(Check.toFloat(none), LogProbabilityLosses.klDivUnreduced(Check.toFloat(input), Check.toFloat(target),
                shape, logTarget));
    }

    @Test
    void klDivTwoLnTwo() {
        double got = LogProbabilityLosses.klDivUnreduced(new double[] {0}, new double[] {2}, new int[] {1}, false)[0];
        double want = 2 * Math.log(2);
        assertEquals(want, got, Math.ulp(want));
    }

    /**
     * Small by cancellation: target 0.5, input = -ln 2 rounded gives 0.5 (ln 2 rounded - ln 2), minus half
     * the low part of ln 2 in double-double (0x1.abc9e3b39803fp-56, the standard constant); a binary64
     * evaluation gives 0.
     */
    @Test
    void klDivKeepsACancellingTerm() {
        double got = LogProbabilityLosses.klDivUnreduced(new double[] {-Math.log(2)}, new double[] {0.5}, new int[] {1}, false)[0];
        double want = -0x1.abc9e3b39803fp-57;
        assertEquals(want, got, Math.ulp(want));
    }

    /** exp(710) 2^-43, beyond the double range before the product: compared with exp(709) e 2^-43 in ulps. */
    @Test
    void klDivLogTargetExtendedRange() {
        double got = LogProbabilityLosses.klDiv(new double[] {710 - 0x1p-43}, new double[] {710}, new int[] {1},
                KlDivReduction.SUM, true);
        double want = StrictMath.exp(709) * Math.E * 0x1p-43;
        assertEquals(want, got, 4 * Math.ulp(want));
    }

    static Stream<Arguments> klErrors() {
        int[] rank9 = {1, 1, 1, 1, 1, 1, 1, 1, 1};
        double[] one = {1};
        return Stream.of(
                Arguments.of("NONE to the reduced form", ErrorKind.INVALID_ARGUMENT, (Supplier<Object>) () ->
                        LogProbabilityLosses.klDiv(one, one, rank9, KlDivReduction.NONE, false)),
                Arguments.of("unknown reduction name", ErrorKind.INVALID_ARGUMENT, (Supplier<Object>) () ->
                        KlDivReduction.fromSpec("batch_mean")),
                Arguments.of("batchmean is no Reduction", ErrorKind.INVALID_ARGUMENT, (Supplier<Object>) () ->
                        Reduction.fromSpec("batchmean")),
                Arguments.of("rank 9", ErrorKind.INVALID_SHAPE, (Supplier<Object>) () ->
                        LogProbabilityLosses.klDivUnreduced(one, one, rank9, false)),
                Arguments.of("target length", ErrorKind.SHAPE_MISMATCH, (Supplier<Object>) () ->
                        LogProbabilityLosses.klDivUnreduced(one, new double[] {1, 1}, new int[] {1}, false)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("klErrors")
    void klDivErrors(String name, ErrorKind kind, Supplier<Object> call) {
        assertKind(kind, call::get);
    }

    /** Every function that takes ignore_index can ignore none: softmax_cross_entropy counts target -100 as an index. */
    @Test
    void softmaxCrossEntropyWithoutIgnoreIndex() {
        double[] logits = {0, 0, 0, 0}; // [2, 2]: each position's loss is ln 2
        SoftmaxCrossEntropyOptions o = new SoftmaxCrossEntropyOptions().ignoreIndex(1).ignoreIndex(NO_IGNORE);
        assertEquals(NO_IGNORE, o.ignoredIndex());
        double sum = LogitLosses.softmaxCrossEntropy(logits, new int[] {2, 2}, new int[] {0, 1}, o, Reduction.SUM);
        assertEquals(2 * Math.log(2), sum, Math.ulp(sum));
        double[] grad = Gradients.softmaxCrossEntropyGrad(logits, new int[] {2, 2}, new int[] {0, 1}, o, Reduction.SUM);
        assertArrayEquals(new double[] {-0.5, 0.5, 0.5, -0.5}, grad);
        assertKind(ErrorKind.INDEX_OUT_OF_RANGE, () -> LogitLosses.softmaxCrossEntropy(logits, new int[] {2, 2},
                new int[] {0, -100}, o, Reduction.SUM));
        assertKind(ErrorKind.INDEX_OUT_OF_RANGE, () -> LogitLosses.softmaxCrossEntropy(Check.toFloat(logits), new int[] {2, 2},
                new int[] {0, -100}, o, Reduction.MEAN));
        assertEquals(OptionalInt.of(-100), new SoftmaxCrossEntropyOptions().ignoredIndex());
    }
}
