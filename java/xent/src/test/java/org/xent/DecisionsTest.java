package org.xent;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.Map;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The lead's decisions D1-D6 (DECISIONS.md, spec/xent.yaml version 2): error precedence, ignored
 * positions with NaN logits, the gradient of a mean over nothing, a zero coefficient times infinity,
 * nll_from_probs checking every probability, and rank limits of elementwise functions. Values that
 * the spec fixes exactly (0, NaN, +inf) are asserted here; everything else is judged by the vectors.
 */
class DecisionsTest {
    private static final double NAN = Double.NaN;
    private static final double INF = Double.POSITIVE_INFINITY;

    static int[] s(int... dims) {
        return dims;
    }

    static Tensor f64(int[] shape, double... v) {
        return Tensor.ofFloats("float64", shape, v);
    }

    static Tensor i64(int[] shape, long... v) {
        return Tensor.ofInts(shape, v);
    }

    /** A tensor of the given shape filled with v. */
    static Tensor fill(double v, int... shape) {
        int n = 1;
        for (int d : shape) {
            n *= d;
        }
        double[] data = new double[n];
        java.util.Arrays.fill(data, v);
        return f64(shape, data);
    }

    /** A map from alternating names and values (values may be null). */
    @SuppressWarnings("unchecked")
    static <V> Map<String, V> map(Object... kv) {
        Map<String, V> m = new HashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], (V) kv[i + 1]);
        }
        return m;
    }

    static Tensor call(String function, Map<String, Object> params, Map<String, Tensor> inputs) {
        return Catalogue.call(function, "float64", params, inputs);
    }

    static void assertKind(ErrorKind kind, Runnable r) {
        XentException e = assertThrows(XentException.class, r::run);
        assertEquals(kind, e.kind(), e.getMessage());
    }

    // ------------------------------------------------------------ D1: error precedence

    static Arguments c(String why, ErrorKind kind, String function, Map<String, Object> params, Map<String, Tensor> inputs) {
        return Arguments.of(why, kind, function, params, inputs);
    }

    static Stream<Arguments> precedence() {
        Tensor logits22 = fill(0, 2, 2);
        Tensor z23 = fill(0, 2, 3);
        Tensor rank9 = fill(0, 1, 1, 1, 1, 1, 1, 1, 1, 1); // one above the limit (issue 19: was rank 6)
        return Stream.of(
                // the examples of DECISIONS.md
                c("zero classes with an index target", ErrorKind.INVALID_SHAPE, "softmax_cross_entropy", map(),
                        map("logits", f64(s(2, 0)), "target", i64(s(2), 5, 7))),
                c("zero classes with an index target (focal)", ErrorKind.INVALID_SHAPE, "focal_loss", map(),
                        map("logits", f64(s(2, 0)), "target", i64(s(2), 5, 7))),
                c("zero classes with a target (nll)", ErrorKind.INVALID_SHAPE, "nll_from_probs", map(),
                        map("probs", f64(s(2, 0)), "target", i64(s(2), 3, 3))),
                c("cross_entropy p = [], q = [1]", ErrorKind.INVALID_SHAPE, "cross_entropy", map(),
                        map("p", f64(s(0)), "q", f64(s(1), 1))),
                c("kl_divergence p = [1], q = []", ErrorKind.INVALID_SHAPE, "kl_divergence", map(),
                        map("p", f64(s(1), 1), "q", f64(s(0)))),
                c("BCE with logits weight [nan, 1] for z [2, 3]", ErrorKind.SHAPE_MISMATCH, "binary_cross_entropy_with_logits",
                        map("weight", f64(s(2), NAN, 1)), map("z", z23, "y", z23)),
                // step 1: scalar and enum parameters before any tensor
                c("label_smoothing 2 before logits of rank 1", ErrorKind.INVALID_ARGUMENT, "softmax_cross_entropy",
                        map("label_smoothing", "0x1p+1"), map("logits", f64(s(2), 0, 0), "target", i64(s(0)))),
                c("unknown label_smoothing_mode before C = 0", ErrorKind.INVALID_ARGUMENT, "softmax_cross_entropy_grad",
                        map("label_smoothing_mode", "bogus"), map("logits", f64(s(2, 0)), "target", i64(s(2), 0, 0))),
                c("unknown reduction before an out-of-range target", ErrorKind.INVALID_ARGUMENT, "softmax_cross_entropy",
                        map("reduction", "avg"), map("logits", logits22, "target", i64(s(2), 0, 9))),
                c("NaN label_smoothing before rank 9", ErrorKind.INVALID_ARGUMENT, "softmax_cross_entropy_grad",
                        map("label_smoothing", "nan"), map("logits", rank9, "target", i64(s(1, 1, 1, 1, 1), 0))),
                c("unknown base before an empty p", ErrorKind.INVALID_ARGUMENT, "entropy", map("base", "10"),
                        map("p", f64(s(0)))),
                c("epsilon 2 before p = [], q = [1]", ErrorKind.INVALID_ARGUMENT, "cross_entropy", map("epsilon", "0x1p+1"),
                        map("p", f64(s(0)), "q", f64(s(1), 1))),
                c("unknown base before mismatched lengths", ErrorKind.INVALID_ARGUMENT, "kl_divergence", map("base", "10"),
                        map("p", f64(s(1), 1), "q", f64(s(2), 1, 0))),
                c("epsilon -1 before probs of rank 3", ErrorKind.INVALID_ARGUMENT, "nll_from_probs", map("epsilon", "-0x1p+0"),
                        map("probs", fill(0.5, 1, 1, 1), "target", i64(s(1), 0))),
                c("epsilon 1/2 before rank 9", ErrorKind.INVALID_ARGUMENT, "binary_cross_entropy", map("epsilon", "0x1p-1"),
                        map("y", rank9, "p", rank9)),
                c("unknown reduction before t of rank 1", ErrorKind.INVALID_ARGUMENT, "categorical_cross_entropy",
                        map("reduction", "x"), map("t", f64(s(1), 1), "p", f64(s(1), 1))),
                c("negative gamma before a wrong alpha shape", ErrorKind.INVALID_ARGUMENT, "focal_loss",
                        map("gamma", "-0x1p+0", "alpha", f64(s(3), 1, 1, 1)), map("logits", logits22, "target", i64(s(2), 0, 1))),
                c("alpha 2 before z of rank 0", ErrorKind.INVALID_ARGUMENT, "sigmoid_focal_loss", map("alpha", "0x1p+1"),
                        map("z", f64(s(), 0), "y", f64(s(), 0))),
                c("NaN gamma before a shape mismatch", ErrorKind.INVALID_ARGUMENT, "sigmoid_focal_loss", map("gamma", "nan"),
                        map("z", fill(0, 2), "y", fill(0, 3))),
                c("unknown reduction before z of rank 0", ErrorKind.INVALID_ARGUMENT, "binary_cross_entropy_with_logits_grad",
                        map("reduction", "x"), map("z", f64(s(), 0), "y", f64(s(), 0))),
                // step 2: every input's rank and class count before shapes are compared
                c("y of rank 9 against p of rank 1", ErrorKind.INVALID_SHAPE, "binary_cross_entropy", map(),
                        map("y", rank9, "p", fill(0, 1))),
                c("y of rank 9 against z of rank 1", ErrorKind.INVALID_SHAPE, "binary_cross_entropy_with_logits", map(),
                        map("z", fill(0, 1), "y", rank9)),
                c("y of rank 9 against z of rank 1 (sigmoid_mse_grad)", ErrorKind.INVALID_SHAPE, "sigmoid_mse_grad", map(),
                        map("z", fill(0, 1), "y", rank9)),
                c("t with C = 0 against p of another shape", ErrorKind.INVALID_SHAPE, "categorical_cross_entropy", map(),
                        map("t", f64(s(2, 0)), "p", fill(0.5, 3, 2))),
                c("target of rank 2 before alpha of a wrong shape", ErrorKind.INVALID_SHAPE, "focal_loss",
                        map("alpha", f64(s(3), 1, 1, 1)), map("logits", logits22, "target", i64(s(2, 1), 0, 1))),
                // step 3: shapes before values
                c("pos_weight of a wrong shape after a NaN weight", ErrorKind.SHAPE_MISMATCH, "binary_cross_entropy_with_logits_grad",
                        map("weight", f64(s(3), NAN, 1, 1), "pos_weight", f64(s(2), 1, 1)), map("z", z23, "y", z23)),
                c("alpha of a wrong shape holding NaN", ErrorKind.SHAPE_MISMATCH, "focal_loss",
                        map("alpha", f64(s(3), NAN, 1, 1)), map("logits", logits22, "target", i64(s(2), 0, 9))),
                c("weight of a wrong shape before an out-of-range target", ErrorKind.SHAPE_MISMATCH, "softmax_cross_entropy",
                        map("weight", f64(s(3), 1, 1, 1)), map("logits", logits22, "target", i64(s(2), 0, 9))),
                // step 4: parameter values, then indices, then probabilities
                c("NaN weight before an out-of-range target", ErrorKind.INVALID_ARGUMENT, "softmax_cross_entropy",
                        map("weight", f64(s(2), NAN, 1)), map("logits", logits22, "target", i64(s(2), 0, 9))),
                c("off_target with C = 1 before an out-of-range target", ErrorKind.INVALID_ARGUMENT, "softmax_cross_entropy",
                        map("label_smoothing_mode", "off_target", "label_smoothing", "0x1p-1"),
                        map("logits", fill(0, 2, 1), "target", i64(s(2), 0, 3))),
                c("negative weight before a bad probability target", ErrorKind.INVALID_ARGUMENT, "softmax_cross_entropy_grad",
                        map("weight", f64(s(2), -1, 1)), map("logits", logits22, "target", f64(s(2, 2), 1.5, 0, 0, 1))),
                c("negative alpha entry before an out-of-range target", ErrorKind.INVALID_ARGUMENT, "focal_loss",
                        map("alpha", f64(s(2), -1, 1)), map("logits", logits22, "target", i64(s(2), 0, 9))),
                c("infinite pos_weight before a bad target", ErrorKind.INVALID_ARGUMENT, "binary_cross_entropy_with_logits",
                        map("pos_weight", f64(s(3), INF, 1, 1)), map("z", z23, "y", fill(2, 2, 3))),
                c("out-of-range target before a bad probability", ErrorKind.INDEX_OUT_OF_RANGE, "nll_from_probs", map(),
                        map("probs", f64(s(2, 2), NAN, 0, 0, 1), "target", i64(s(2), 0, 2))));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("precedence")
    void errorPrecedenceThroughTheCatalogue(String why, ErrorKind kind, String function, Map<String, Object> params,
                                            Map<String, Tensor> inputs) {
        assertKind(kind, () -> call(function, params, inputs));
    }

    /** The typed API checks in the same order as the catalogue. */
    static Stream<Arguments> typedPrecedence() {
        double[] none = new double[0];
        return Stream.of(
                Arguments.of("epsilon 2 before p = []", ErrorKind.INVALID_ARGUMENT,
                        (Runnable) () -> Information.crossEntropy(none, new double[] {1}, LogBase.E, 2.0)),
                Arguments.of("p = [] before the lengths", ErrorKind.INVALID_SHAPE,
                        (Runnable) () -> Information.crossEntropy(none, new double[] {1}, LogBase.E, 0.0)),
                Arguments.of("null base before q = []", ErrorKind.INVALID_ARGUMENT,
                        (Runnable) () -> Information.klDivergence(new double[] {1}, none, null)),
                Arguments.of("epsilon -1 before C = 0", ErrorKind.INVALID_ARGUMENT,
                        (Runnable) () -> ProbabilityLosses.nllFromProbsUnreduced(none, new int[] {1, 0}, new int[] {5}, -1)),
                Arguments.of("C = 0 before the target", ErrorKind.INVALID_SHAPE,
                        (Runnable) () -> ProbabilityLosses.nllFromProbsUnreduced(none, new int[] {1, 0}, new int[] {5}, 0.1)),
                Arguments.of("epsilon 1/2 before the lengths", ErrorKind.INVALID_ARGUMENT,
                        (Runnable) () -> ProbabilityLosses.binaryCrossEntropyUnreduced(new double[] {1}, none, 0.5)),
                Arguments.of("gamma -1 before rank 1", ErrorKind.INVALID_ARGUMENT,
                        (Runnable) () -> LogitLosses.focalLossUnreduced(new double[] {0}, new int[] {1}, new int[] {0}, -1, null)),
                Arguments.of("alpha 2 before a mismatch", ErrorKind.INVALID_ARGUMENT,
                        (Runnable) () -> LogitLosses.sigmoidFocalLossUnreduced(new double[] {0}, new int[] {1}, none, 2.0, 2)),
                Arguments.of("label_smoothing 2 before rank 1", ErrorKind.INVALID_ARGUMENT,
                        (Runnable) () -> LogitLosses.softmaxCrossEntropyUnreduced(new double[] {0}, new int[] {1}, new int[] {0},
                                new SoftmaxCrossEntropyOptions().labelSmoothing(2))),
                Arguments.of("weight [nan, 1] for z [2, 3]", ErrorKind.SHAPE_MISMATCH,
                        (Runnable) () -> LogitLosses.binaryCrossEntropyWithLogitsUnreduced(new double[6], new int[] {2, 3},
                                new double[6], new double[] {NAN, 1}, null)),
                Arguments.of("pos_weight shape before weight values (grad)", ErrorKind.SHAPE_MISMATCH,
                        (Runnable) () -> Gradients.binaryCrossEntropyWithLogitsGrad(new double[6], new int[] {2, 3},
                                new double[6], new double[] {NAN, 1, 1}, new double[] {1, 1}, Reduction.MEAN)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("typedPrecedence")
    void errorPrecedenceOfTheTypedApi(String why, ErrorKind kind, Runnable call) {
        assertKind(kind, call);
    }

    // ------------------------------------------------------------ D2: ignored positions contribute nothing

    @ParameterizedTest
    @ValueSource(doubles = {Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY})
    void ignoredPositionsContributeNothingWhateverTheirLogits(double bad) {
        int[] shape = {2, 3};
        double[] logits = {1, 2, 3, bad, 0, bad};
        int[] target = {2, -100};
        SoftmaxCrossEntropyOptions o = SoftmaxCrossEntropyOptions.defaults();
        double[] per = LogitLosses.softmaxCrossEntropyUnreduced(logits, shape, target, o);
        assertEquals(0.0, per[1]);
        double first = LogitLosses.softmaxCrossEntropyUnreduced(new double[] {1, 2, 3}, new int[] {1, 3}, new int[] {2}, o)[0];
        assertEquals(first, per[0]);
        assertEquals(first, LogitLosses.softmaxCrossEntropy(logits, shape, target, o, Reduction.SUM));
        assertEquals(first, LogitLosses.softmaxCrossEntropy(logits, shape, target, o, Reduction.MEAN));
        double[] g = Gradients.softmaxCrossEntropyGrad(logits, shape, target, o, Reduction.MEAN);
        assertArrayEquals(new double[] {0, 0, 0}, java.util.Arrays.copyOfRange(g, 3, 6));
        // with label smoothing the per-class path (not the one-pass one) skips the position too
        SoftmaxCrossEntropyOptions smooth = new SoftmaxCrossEntropyOptions().labelSmoothing(0.25);
        assertEquals(0.0, LogitLosses.softmaxCrossEntropyUnreduced(logits, shape, target, smooth)[1]);
        assertTrue(Double.isFinite(LogitLosses.softmaxCrossEntropy(logits, shape, target, smooth, Reduction.MEAN)));
    }

    @Test
    void nanInANonIgnoredPositionStillPropagates() {
        double[] logits = {1, NAN, 3, 0, 0, 0};
        double[] per = LogitLosses.softmaxCrossEntropyUnreduced(logits, new int[] {2, 3}, new int[] {0, -100},
                SoftmaxCrossEntropyOptions.defaults());
        assertTrue(Double.isNaN(per[0]));
        assertEquals(0.0, per[1]);
    }

    // ------------------------------------------------------------ D3: gradient of a mean over a zero denominator

    static Stream<Arguments> zeroDenominators() {
        return Stream.of(
                Arguments.of("all positions ignored", new int[] {-100, -100}, null),
                Arguments.of("weights of the non-ignored positions sum to 0", new int[] {0, -100}, new double[] {0, 1, 1}));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("zeroDenominators")
    void meanGradientOverAZeroDenominatorIsNanEverywhere(String why, int[] target, double[] weight) {
        SoftmaxCrossEntropyOptions o = new SoftmaxCrossEntropyOptions().weight(weight);
        double[] g = Gradients.softmaxCrossEntropyGrad(new double[] {1, 2, 3, 4, 5, 6}, new int[] {2, 3}, target, o,
                Reduction.MEAN);
        assertEquals(6, g.length);
        for (double v : g) {
            assertTrue(Double.isNaN(v), why + ": " + java.util.Arrays.toString(g));
        }
        // sum is not divided: ignored rows stay 0
        double[] sum = Gradients.softmaxCrossEntropyGrad(new double[] {1, 2, 3, 4, 5, 6}, new int[] {2, 3}, target, o,
                Reduction.SUM);
        assertEquals(0.0, sum[3]);
    }

    @Test
    void meanGradientOfNoPositionsStaysEmpty() {
        assertEquals(0, Gradients.softmaxCrossEntropyGrad(new double[0], new int[] {0, 3}, new int[0],
                SoftmaxCrossEntropyOptions.defaults(), Reduction.MEAN).length);
        // N = 2 with a zero spatial axis: empty too
        assertEquals(0, Gradients.softmaxCrossEntropyGrad(new double[0], new int[] {2, 3, 0}, new int[0],
                SoftmaxCrossEntropyOptions.defaults(), Reduction.MEAN).length);
    }

    // ------------------------------------------------------------ D4: zero coefficient times infinity

    static Stream<Arguments> zeroTimesInfinity() {
        return Stream.of(
                Arguments.of("BCE with logits, weight 0 at z = +inf, y = 0", (Supplier<double[]>) () ->
                        LogitLosses.binaryCrossEntropyWithLogitsUnreduced(new double[] {INF, 1}, new int[] {2},
                                new double[] {0, 0}, new double[] {0, 1}, null)),
                Arguments.of("BCE with logits, pos_weight 0 at z = -inf, y = 1", (Supplier<double[]>) () ->
                        LogitLosses.binaryCrossEntropyWithLogitsUnreduced(new double[] {-INF, 1}, new int[] {2},
                                new double[] {1, 0}, null, new double[] {0, 1})),
                Arguments.of("focal_loss, alpha_y = 0 at a -inf target logit", (Supplier<double[]>) () ->
                        LogitLosses.focalLossUnreduced(new double[] {-INF, 0, 0, 1}, new int[] {2, 2}, new int[] {0, 1},
                                2.0, new double[] {0, 1})),
                Arguments.of("sigmoid_focal_loss, alpha 0 with y = 1 at z = -inf", (Supplier<double[]>) () ->
                        LogitLosses.sigmoidFocalLossUnreduced(new double[] {-INF, 1}, new int[] {2}, new double[] {1, 0},
                                0.0, 2.0)),
                Arguments.of("sigmoid_focal_loss, alpha 1 with y = 0 at z = +inf", (Supplier<double[]>) () ->
                        LogitLosses.sigmoidFocalLossUnreduced(new double[] {INF, 1}, new int[] {2}, new double[] {0, 0},
                                1.0, 2.0)),
                Arguments.of("softmax CE, class weight 0 at a -inf target logit", (Supplier<double[]>) () ->
                        LogitLosses.softmaxCrossEntropyUnreduced(new double[] {-INF, 0, 0, 1}, new int[] {2, 2}, new int[] {0, 1},
                                new SoftmaxCrossEntropyOptions().weight(new double[] {0, 1}))),
                Arguments.of("softmax CE, target mass 0 at a -inf logit", (Supplier<double[]>) () ->
                        LogitLosses.softmaxCrossEntropyUnreduced(new double[] {-INF, 0, 0, 1}, new int[] {2, 2},
                                new double[] {0, 1, 0, 1}, SoftmaxCrossEntropyOptions.defaults())));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("zeroTimesInfinity")
    void zeroCoefficientTimesInfinityContributesZero(String why, Supplier<double[]> perElement) {
        assertEquals(0.0, perElement.get()[0], why);
    }

    @Test
    void zeroCoefficientNeverMasksNan() {
        double[] l = LogitLosses.binaryCrossEntropyWithLogitsUnreduced(new double[] {NAN}, new int[] {1}, new double[] {1},
                new double[] {0}, null);
        assertTrue(Double.isNaN(l[0]));
        double[] g = Gradients.binaryCrossEntropyWithLogitsGrad(new double[] {NAN}, new int[] {1}, new double[] {1},
                new double[] {0}, null, Reduction.SUM);
        assertTrue(Double.isNaN(g[0]));
    }

    // ------------------------------------------------------------ D5: nll_from_probs checks every probability

    @ParameterizedTest
    @ValueSource(doubles = {1.5, -0.25, Double.NaN, Double.POSITIVE_INFINITY})
    void nllFromProbsChecksNonTargetProbabilities(double bad) {
        double[] probs = {0.5, bad, 1, 0};
        assertKind(ErrorKind.INVALID_PROBABILITY,
                () -> ProbabilityLosses.nllFromProbsUnreduced(probs, new int[] {2, 2}, new int[] {0, 0}, 1e-15));
        assertKind(ErrorKind.INVALID_PROBABILITY, () -> call("nll_from_probs", map(),
                map("probs", f64(s(2, 2), probs), "target", i64(s(2), 0, 0))));
    }

    // ------------------------------------------------------------ D6: rank limits of elementwise functions

    static Stream<Arguments> elementwise() {
        return Stream.of(
                Arguments.of("sigmoid", new String[] {"z"}), Arguments.of("log_sigmoid", new String[] {"z"}),
                Arguments.of("softplus", new String[] {"z"}), Arguments.of("binary_cross_entropy", new String[] {"y", "p"}),
                Arguments.of("sigmoid_mse_grad", new String[] {"z", "y"}),
                Arguments.of("binary_cross_entropy_with_logits", new String[] {"z", "y"}),
                Arguments.of("binary_cross_entropy_with_logits_grad", new String[] {"z", "y"}),
                Arguments.of("sigmoid_focal_loss", new String[] {"z", "y"}));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("elementwise")
    void rankNineIsInvalidShapeAndRankEightComputes(String function, String[] names) {
        Map<String, Tensor> nine = new HashMap<>();
        Map<String, Tensor> eight = new HashMap<>();
        for (String n : names) {
            nine.put(n, fill(0.5, 1, 1, 1, 1, 1, 1, 1, 1, 1));
            eight.put(n, fill(0.5, 1, 1, 1, 1, 1, 1, 1, 2));
        }
        assertKind(ErrorKind.INVALID_SHAPE, () -> call(function, map(), nine));
        Tensor out = call(function, map(), eight);
        assertTrue(out.values().length >= 1);
    }
}
