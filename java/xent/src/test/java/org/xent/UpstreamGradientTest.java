package org.xent;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.Map;
import java.util.function.BiFunction;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Gradients under an upstream gradient (issue 17, specVersion 4): grad_output of the gradient functions
 * and the vector-Jacobian products softmax_grad, log_softmax_grad, focal_loss_grad and
 * binary_cross_entropy_grad. Expected values come from identities of the spec's definitions (grad_output
 * of ones is no grad_output, a power-of-two scalar scales exactly, the per-position product, gamma 0 is
 * alpha times the cross-entropy gradient) and from its special values; golden values are in {@link VectorsTest}.
 */
class UpstreamGradientTest {
    private static final double[] X = {2, -1, 0.5, 3, 0.25, -4, 1.5, 1.5, 7};
    private static final int[] SHAPE = {3, 3};
    private static final int[] Y = {0, 2, 1};
    private static final double NAN = Double.NaN;
    private static final double INF = Double.POSITIVE_INFINITY;

    /** One gradient function of the catalogue on X under a reduction, with a grad_output (null: none). */
    private interface Grad extends BiFunction<Reduction, double[], double[]> {
    }

    private static Stream<Arguments> gradients() {
        double[] z = {2, -1, 0.5, 3, 0.25, -4, 1.5, 1.5, 7};
        double[] y = {1, 0, 0.25, 0.5, 1, 0, 0.75, 0.125, 1};
        double[] p = {0.5, 0.25, 0.125, 0.75, 0.5, 0.0625, 0.375, 0.875, 0.5};
        SoftmaxCrossEntropyOptions o = new SoftmaxCrossEntropyOptions().labelSmoothing(0.1).zLoss(0.01);
        return Stream.of(
                Arguments.of("softmax_cross_entropy_grad", 3,
                        (Grad) (r, v) -> Gradients.softmaxCrossEntropyGrad(X, SHAPE, Y, o, r, v)),
                Arguments.of("binary_cross_entropy_with_logits_grad", 9,
                        (Grad) (r, v) -> Gradients.binaryCrossEntropyWithLogitsGrad(z, SHAPE, y, null, null, r, v)),
                Arguments.of("focal_loss_grad", 3,
                        (Grad) (r, v) -> Gradients.focalLossGrad(X, SHAPE, Y, 1.5, new double[] {0.25, 1, 2}, r, v)),
                Arguments.of("binary_cross_entropy_grad", 9,
                        (Grad) (r, v) -> Gradients.binaryCrossEntropyGrad(y, p, 1e-7, r, v)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("gradients")
    void onesAreNoUpstreamGradient(String name, int outputs, Grad g) {
        double[] ones = new double[outputs];
        java.util.Arrays.fill(ones, 1.0);
        for (Reduction r : Reduction.values()) {
            double[] v = r == Reduction.NONE ? ones : new double[] {1.0};
            assertArrayEquals(g.apply(r, null), g.apply(r, v), r.toString());
        }
    }

    /** A power-of-two scalar grad_output scales sum and mean exactly. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("gradients")
    void scalarScalesSumAndMean(String name, int outputs, Grad g) {
        for (Reduction r : new Reduction[] {Reduction.SUM, Reduction.MEAN}) {
            double[] plain = g.apply(r, null);
            double[] scaled = g.apply(r, new double[] {-0.25});
            for (int i = 0; i < plain.length; i++) {
                assertEquals(-0.25 * plain[i], scaled[i], r + " element " + i);
            }
        }
    }

    /** Reduction none multiplies each output's gradient by its own grad_output (not by grad_output[0], Liger #968). */
    @ParameterizedTest(name = "{0}")
    @MethodSource("gradients")
    void perOutputProduct(String name, int outputs, Grad g) {
        double[] v = new double[outputs];
        for (int i = 0; i < outputs; i++) {
            v[i] = 0.5 + 0.25 * i;
        }
        double[] plain = g.apply(Reduction.NONE, null);
        double[] got = g.apply(Reduction.NONE, v);
        int per = plain.length / outputs;
        for (int i = 0; i < plain.length; i++) {
            double want = plain[i] * v[outputs == plain.length ? i : i / per];
            assertEquals(want, got[i], Math.ulp(want), "element " + i); // one rounding apart
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("gradients")
    void wrongShapeIsShapeMismatch(String name, int outputs, Grad g) {
        assertKind(ErrorKind.SHAPE_MISMATCH, () -> g.apply(Reduction.NONE, new double[outputs + 1]));
        assertKind(ErrorKind.SHAPE_MISMATCH, () -> g.apply(Reduction.SUM, new double[2]));
    }

    /** NaN and infinities in grad_output are ordinary IEEE products: a zero gradient times inf is NaN. */
    @Test
    void ieeeProducts() {
        double[] z = {INF, 0, 1};
        double[] y = {1, 0.5, 0.5};
        double[] plain = Gradients.binaryCrossEntropyWithLogitsGrad(z, new int[] {3}, y, null, null, Reduction.NONE, null);
        assertEquals(0.0, plain[0]);
        double[] got = Gradients.binaryCrossEntropyWithLogitsGrad(z, new int[] {3}, y, null, null, Reduction.NONE,
                new double[] {INF, NAN, -INF});
        assertTrue(Double.isNaN(got[0]), "0 * inf");
        assertTrue(Double.isNaN(got[1]), "NaN propagates");
        assertEquals(Double.NEGATIVE_INFINITY, got[2]);
    }

    /** An ignored position's gradient is exactly 0 without reading its grad_output (D2 extended). */
    @Test
    void ignoredPositionIgnoresItsUpstreamGradient() {
        double[] g = Gradients.softmaxCrossEntropyGrad(X, SHAPE, new int[] {0, -100, 1},
                new SoftmaxCrossEntropyOptions(), Reduction.NONE, new double[] {1, NAN, INF});
        for (int c = 0; c < 3; c++) {
            assertEquals(0.0, g[3 + c]);
            assertTrue(Double.isInfinite(g[6 + c]));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"float64", "float32", "float16", "bfloat16"})
    void catalogueChecksTheShapeBeforeTheTargets(String dtype) {
        Map<String, Object> params = new HashMap<>();
        params.put("reduction", "none");
        params.put("grad_output", Tensor.ofFloats(dtype, new int[] {2}, new double[] {1, 1}));
        Map<String, Tensor> inputs = Map.of("logits", Tensor.ofFloats(dtype, new int[] {3, 2}, new double[6]),
                "target", Tensor.ofInts(new int[] {3}, new long[] {0, 7, 1}));
        assertKind(ErrorKind.SHAPE_MISMATCH, () -> Catalogue.call("softmax_cross_entropy_grad", dtype, params, inputs));
        params.put("grad_output", Tensor.ofFloats(dtype, new int[] {3}, new double[] {1, 1, 1}));
        assertKind(ErrorKind.INDEX_OUT_OF_RANGE, () -> Catalogue.call("softmax_cross_entropy_grad", dtype, params, inputs));
    }

    /** sum(v * softmax) through log_softmax: softmax_grad(x, v) = log_softmax_grad(x, softmax(x) * v). */
    @Test
    void softmaxGradIsLogSoftmaxGradOfTheWeightedUpstream() {
        double[] v = {0.3, -1.5, 2.0, 1.0, 1.0, 1.0, -3, 0.125, 5};
        double[] g = AlongAxis.softmax(X, SHAPE, 1);
        double[] gv = new double[9];
        for (int i = 0; i < 9; i++) {
            gv[i] = g[i] * v[i];
        }
        double[] want = Gradients.logSoftmaxGrad(X, SHAPE, 1, gv);
        double[] got = Gradients.softmaxGrad(X, SHAPE, 1, v);
        for (int i = 0; i < 9; i++) {
            assertEquals(want[i], got[i], 1e-15 * (Math.abs(v[i]) + 1), "element " + i);
        }
    }

    /** A constant upstream gradient along the axis gives exactly 0 (the Jacobian's rows sum to 0), any axis. */
    @ParameterizedTest
    @ValueSource(ints = {0, 1, -1})
    void constantUpstreamGivesExactlyZero(int axis) {
        double[] v = {0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1};
        assertArrayEquals(new double[9], Gradients.softmaxGrad(X, SHAPE, axis, v));
    }

    /** Special values (spec): a single +inf logit with finite v gives 0; a NaN logit a NaN row; NaN in v a NaN row. */
    @Test
    void equalLogitsCancelExactly() {
        // softmax = 1/3 each and v = [1, 2, 3]: the middle entry g (v_1 - sum g_i v_i) is exactly 0; with a
        // rounded 1/3 before the subtraction it was a residue of 2e-33 (vector softmax_grad tcId 19)
        double[] got = Gradients.softmaxGrad(new double[] {0.5, 0.5, 0.5}, new int[] {3}, 0, new double[] {1, 2, 3});
        assertEquals(0.0, got[1]);
        assertEquals(-got[0], got[2]);
    }

    @Test
    void vjpSpecialValues() {
        double[] x = {INF, 1, 2, NAN, 0, 0, 1, 2, 3};
        double[] v = {1, 2, 3, 1, 2, 3, 1, NAN, 3};
        double[] sm = Gradients.softmaxGrad(x, SHAPE, -1, v);
        assertArrayEquals(new double[] {0, 0, 0, NAN, NAN, NAN, NAN, NAN, NAN}, sm);
        double[] lsm = Gradients.logSoftmaxGrad(x, SHAPE, -1, v);
        assertArrayEquals(new double[] {1 - 6, 2, 3, NAN, NAN, NAN, NAN, NAN, NAN}, lsm);
    }

    /**
     * Fuzz finds (seed 18): a probability whose double underflows (e^-746) is still &gt; 0, so it times an
     * infinite upstream gradient is infinite, not 0 * inf = NaN (oracle: [NaN, -inf, -inf, -inf] for both).
     */
    @Test
    void underflowingProbabilityTimesInfinity() {
        double[] x = {0, 0, 0, 746};
        double[] v = {INF, 0, 0, 0};
        double[] want = {NAN, -INF, -INF, -INF};
        assertArrayEquals(want, Gradients.softmaxGrad(x, new int[] {4}, -1, v));
        assertArrayEquals(want, Gradients.logSoftmaxGrad(x, new int[] {4}, -1, v));
    }

    /** Subnormal-range probabilities keep their digits (oracle, fuzz seed 18: -0x0.000000000000ap-1022). */
    @Test
    void subnormalProbabilitiesKeepTheirDigits() {
        double[] x = {0, -0x1.748p+9, -0x1.748p+9};
        double[] g = Gradients.logSoftmaxGrad(x, new int[] {3}, -1, new double[] {18, 0, 0});
        assertEquals(-0x0.000000000000ap-1022, g[1]);
        assertEquals(-0x0.000000000000ap-1022, g[2]);
    }

    /** A row with one +inf and finite v: out_k = v_k - sum v exactly (a tiny v elsewhere is not lost). */
    @Test
    void singleInfinityIsExact() {
        double tiny = 0x1.66fbfb96b113ap-133;
        double[] g = Gradients.logSoftmaxGrad(new double[] {0, INF, 0}, new int[] {3}, -1, new double[] {0, 1, tiny});
        assertArrayEquals(new double[] {0, -tiny, tiny}, g);
    }

    /**
     * Gradients in the subnormal range keep their digits (fuzz seed 22): sigmoid(-740) = e^-740 / (1 + e^-740)
     * and p^2 (1 - p) at z = -370 are 0x0.0000000000055p-1022 (mpmath at 60 digits, rounded once), as is
     * softmax_1 of the logits [0, -740].
     */
    @Test
    void subnormalGradientsKeepTheirDigits() {
        double want = 0x0.0000000000055p-1022;
        assertEquals(want, Gradients.binaryCrossEntropyWithLogitsGrad(new double[] {-740}, new int[] {1},
                new double[] {0}, null, null, Reduction.NONE, null)[0]);
        assertEquals(want, Gradients.sigmoidMseGrad(new double[] {-370}, new double[] {0}, null)[0]);
        assertEquals(want, Gradients.softmaxCrossEntropyGrad(new double[] {0, -740}, new int[] {1, 2}, new int[] {0},
                new SoftmaxCrossEntropyOptions(), Reduction.NONE)[1]);
    }

    /** softmax_grad's step order: ranks and an empty axis, then grad_output's shape, then the axis' range. */
    @Test
    void vjpErrorPrecedence() {
        assertKind(ErrorKind.SHAPE_MISMATCH, () -> Gradients.softmaxGrad(X, SHAPE, 5, new double[8]));
        assertKind(ErrorKind.INVALID_ARGUMENT, () -> Gradients.softmaxGrad(X, SHAPE, 5, new double[9]));
        assertKind(ErrorKind.INVALID_SHAPE, () -> Gradients.logSoftmaxGrad(new double[0], new int[] {2, 0}, 1, new double[1]));
    }

    /** gamma 0: alpha_y times the cross-entropy's gradient (spec). */
    @ParameterizedTest
    @EnumSource(Reduction.class)
    void focalGammaZeroIsWeightedCrossEntropyGradient(Reduction r) {
        double[] alpha = {0.5, 2, 0.25};
        double[] focal = Gradients.focalLossGrad(X, SHAPE, Y, 0.0, alpha, r, null);
        double[] ce = Gradients.softmaxCrossEntropyGrad(X, SHAPE, Y, new SoftmaxCrossEntropyOptions(), Reduction.NONE);
        for (int i = 0; i < 9; i++) {
            double want = alpha[Y[i / 3]] * ce[i] / (r == Reduction.MEAN ? 3 : 1);
            assertEquals(want, focal[i], 2 * Math.ulp(want), "element " + i);
        }
    }

    /** p_t = 1 exactly (the other classes -inf) gives 0 for every gamma, gamma &lt; 1 included (the formula's limit). */
    @ParameterizedTest
    @ValueSource(doubles = {0.0, 0.25, 1.0, 2.0})
    void focalCertainRowIsZero(double gamma) {
        double[] x = {Double.NEGATIVE_INFINITY, 3, Double.NEGATIVE_INFINITY};
        assertArrayEquals(new double[3], Gradients.focalLossGrad(x, new int[] {1, 3}, new int[] {1}, gamma, null,
                Reduction.SUM, null));
    }

    /** A -inf target logit: the limit alpha (g_c - [c = y]); a +inf elsewhere: alpha (onehot(k) - onehot(y)). */
    @Test
    void focalLimits() {
        double[] x = {Double.NEGATIVE_INFINITY, 0, 0, 1, INF, 2};
        double[] g = Gradients.focalLossGrad(x, new int[] {2, 3}, new int[] {0, 0}, 2.0, null, Reduction.SUM, null);
        assertArrayEquals(new double[] {-1, 0.5, 0.5, -1, 1, 0}, g);
    }

    /** binary_cross_entropy_grad's clip: 0 strictly outside, the formula at the bounds, and the spec's epsilon-0 values. */
    @Test
    void bceGradClip() {
        double eps = 0.125;
        double[] y = {0.5, 0.5, 0.5, 0.5, 0};
        double[] p = {0.0625, 0.125, 0.875, 0.9375, 0.5};
        double[] g = Gradients.binaryCrossEntropyGrad(y, p, eps, Reduction.NONE, null);
        // at p = 1/8: 0.5 / (7/8) - 0.5 / (1/8) = 4/7 - 4; at 7/8: 4 - 4/7; y = 0, p = 1/2: 1 / (1/2) = 2
        assertArrayEquals(new double[] {0, 4.0 / 7 - 4, 4 - 4.0 / 7, 0, 2}, g, 1e-15);
        assertArrayEquals(new double[] {Double.NEGATIVE_INFINITY, 1, INF, -1},
                Gradients.binaryCrossEntropyGrad(new double[] {0.5, 0, 0.5, 1}, new double[] {0, 0, 1, 1}, 0.0,
                        Reduction.NONE, null));
    }

    @Test
    void bceGradChecks() {
        assertKind(ErrorKind.INVALID_ARGUMENT, () -> Gradients.binaryCrossEntropyGrad(new double[1], new double[1], 0.5,
                Reduction.SUM, null));
        assertKind(ErrorKind.SHAPE_MISMATCH, () -> Gradients.binaryCrossEntropyGrad(new double[] {2}, new double[] {0.5},
                0.0, Reduction.NONE, new double[2]));
        assertKind(ErrorKind.INVALID_PROBABILITY, () -> Gradients.binaryCrossEntropyGrad(new double[] {2},
                new double[] {0.5}, 0.0, Reduction.NONE, null));
    }

    private static void assertKind(ErrorKind kind, Runnable r) {
        XentException e = assertThrows(XentException.class, r::run);
        assertEquals(kind, e.kind(), e.getMessage());
    }
}
