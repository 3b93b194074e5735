package org.xent;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.OptionalDouble;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * softmax_cross_entropy's large-model options (issue 17): logit_scale, softcap, z_loss, empty_mean.
 * Expected values come from identities of the definition (exact power-of-two scaling, the cap as
 * c tanh(x / c), the z-loss term as z logsumexp^2); golden values are in {@link VectorsTest}.
 */
class LargeModelOptionsTest {
    private static final double[] X = {2, -1, 0.5, 3, 0.25, -4, 1.5, 1.5, 7};
    private static final int[] SHAPE = {3, 3};
    private static final int[] Y = {0, 2, 1};

    private static SoftmaxCrossEntropyOptions opts() {
        return new SoftmaxCrossEntropyOptions();
    }

    private static double[] loss(double[] x, int[] y, SoftmaxCrossEntropyOptions o) {
        return LogitLosses.softmaxCrossEntropyUnreduced(x, SHAPE, y, o);
    }

    private static double[] grad(double[] x, int[] y, SoftmaxCrossEntropyOptions o, Reduction r) {
        return Gradients.softmaxCrossEntropyGrad(x, SHAPE, y, o, r);
    }

    private static double[] map(double[] x, UnaryOperator<Double> f) {
        double[] out = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            out[i] = f.apply(x[i]);
        }
        return out;
    }

    private static void assertUlps(double[] want, double[] got, double ulps) {
        assertEquals(want.length, got.length);
        for (int i = 0; i < want.length; i++) {
            assertEquals(want[i], got[i], ulps * Math.ulp(want[i]), "element " + i);
        }
    }

    /** A power-of-two scale is exact: the loss of s x, and s times its gradient, bit for bit. */
    @ParameterizedTest
    @ValueSource(doubles = {0.25, 4.0, 0x1p-10})
    void powerOfTwoScaleIsExact(double s) {
        double[] sx = map(X, v -> s * v);
        assertArrayEquals(loss(sx, Y, opts()), loss(X, Y, opts().logitScale(s)));
        for (Reduction r : new Reduction[] {Reduction.NONE, Reduction.MEAN}) {
            assertArrayEquals(map(grad(sx, Y, opts(), r), v -> s * v), grad(X, Y, opts().logitScale(s), r));
        }
    }

    /** The cap is c tanh(x / c): within Math.tanh's rounding the loss of the capped logits, and the gradient times 1 / cosh^2. */
    @ParameterizedTest
    @ValueSource(doubles = {5.0, 30.0, 0.5})
    void softcapIsTanh(double c) {
        double[] capped = map(X, v -> c * Math.tanh(v / c));
        assertUlps(loss(capped, Y, opts()), loss(X, Y, opts().softcap(c)), 64);
        double[] g = grad(capped, Y, opts(), Reduction.NONE);
        for (int i = 0; i < g.length; i++) {
            g[i] /= Math.pow(Math.cosh(X[i] / c), 2);
        }
        assertUlps(g, grad(X, Y, opts().softcap(c), Reduction.NONE), 64);
    }

    /** Saturated logits keep the exact loss log 2 (double-double x''); +inf maps to +c with derivative 0. */
    @Test
    void saturatedCap() {
        double[] x = {Double.POSITIVE_INFINITY, 1e300, Double.NEGATIVE_INFINITY, -1e300};
        int[] shape = {2, 2};
        SoftmaxCrossEntropyOptions o = opts().softcap(30);
        double[] l = LogitLosses.softmaxCrossEntropyUnreduced(x, shape, new int[] {0, 1}, o);
        assertUlps(new double[] {Math.log(2), Math.log(2)}, l, 1);
        assertArrayEquals(new double[4], Gradients.softmaxCrossEntropyGrad(x, shape, new int[] {0, 1}, o, Reduction.NONE));
    }

    /** z lse^2 per non-ignored position, unweighted; mean: cross-entropies over sum w_y, z terms over K. */
    @Test
    void zLossTermsAndTheirMean() {
        double z = 0x1p-4;
        int[] y = {0, -100, 1};
        double[] w = {1, 4, 0.5};
        double[] base = loss(X, y, opts().weight(w));
        double[] got = loss(X, y, opts().weight(w).zLoss(z));
        double zs = 0;
        double ce = 0;
        double den = 0;
        for (int n = 0; n < 3; n++) {
            double lse = Primitives.logsumexp(new double[] {X[3 * n], X[3 * n + 1], X[3 * n + 2]});
            double want = y[n] == -100 ? 0 : base[n] + z * lse * lse;
            assertEquals(want, got[n], 4 * Math.ulp(want));
            if (y[n] != -100) {
                zs += z * lse * lse;
                ce += base[n];
                den += w[y[n]];
            }
        }
        double mean = LogitLosses.softmaxCrossEntropy(X, SHAPE, y, opts().weight(w).zLoss(z), Reduction.MEAN);
        assertEquals(ce / den + zs / 2, mean, 4 * Math.ulp(mean));
        double[] gz = grad(X, y, opts().weight(w).zLoss(z), Reduction.NONE);
        double[] g0 = grad(X, y, opts().weight(w), Reduction.NONE);
        for (int n = 0; n < 3; n++) {
            double[] row = {X[3 * n], X[3 * n + 1], X[3 * n + 2]};
            double lse = Primitives.logsumexp(row);
            double[] p = Primitives.softmax(row);
            for (int c = 0; c < 3; c++) {
                double want = y[n] == -100 ? 0 : 2 * z * lse * p[c];
                assertEquals(want, gz[3 * n + c] - g0[3 * n + c], 1e-15, "[" + n + ", " + c + "]");
            }
        }
    }

    /** z_loss without a cap and a +inf logit: loss +inf, gradient NaN in every class of that position. */
    @Test
    void zLossWithInfiniteLse() {
        double[] x = {Double.POSITIVE_INFINITY, 1, 2, 0, 1, 2};
        int[] y = {0, 1};
        double[] l = LogitLosses.softmaxCrossEntropyUnreduced(x, new int[] {2, 3}, y, opts().zLoss(1e-3));
        assertEquals(Double.POSITIVE_INFINITY, l[0]);
        assertTrue(Double.isFinite(l[1]));
        double[] g = Gradients.softmaxCrossEntropyGrad(x, new int[] {2, 3}, y, opts().zLoss(1e-3), Reduction.NONE);
        for (int i = 0; i < g.length; i++) {
            assertEquals(i < 3, Double.isNaN(g[i]), "element " + i);
        }
        g = Gradients.softmaxCrossEntropyGrad(x, new int[] {2, 3}, y, opts().zLoss(1e-3).softcap(4), Reduction.NONE);
        assertEquals(0.0, g[0]);
        assertTrue(Double.isFinite(g[1]));
    }

    static Stream<Arguments> emptyMeans() {
        return Stream.of(
                Arguments.of(opts(), true),
                Arguments.of(opts().emptyMean(EmptyMean.NAN).zLoss(1), true),
                Arguments.of(opts().emptyMean(EmptyMean.ZERO), false),
                Arguments.of(opts().emptyMean(EmptyMean.ZERO).zLoss(1).softcap(3), false));
    }

    /** All positions ignored: NaN (default, D3) or 0 and a zero gradient (empty_mean zero). */
    @ParameterizedTest
    @MethodSource("emptyMeans")
    void allIgnoredMean(SoftmaxCrossEntropyOptions o, boolean nan) {
        int[] y = {-100, -100, -100};
        double mean = LogitLosses.softmaxCrossEntropy(X, SHAPE, y, o, Reduction.MEAN);
        assertEquals(nan, Double.isNaN(mean));
        if (!nan) {
            assertEquals(0.0, mean);
        }
        for (double v : grad(X, y, o, Reduction.MEAN)) {
            assertTrue(nan ? Double.isNaN(v) : v == 0.0, "gradient " + v);
        }
        float m32 = LogitLosses.softmaxCrossEntropy(Check.toFloat(X), SHAPE, y, o, Reduction.MEAN);
        assertEquals(nan, Float.isNaN(m32));
    }

    /** Zero class weights on the kept targets: the cross-entropy part is 0, the z-loss part remains. */
    @Test
    void zeroWeightKeepsTheZLossPart() {
        double lse = Primitives.logsumexp(new double[] {X[0], X[1], X[2]});
        double mean = LogitLosses.softmaxCrossEntropy(X, SHAPE, new int[] {0, -100, -100},
                opts().weight(new double[3]).zLoss(1).emptyMean(EmptyMean.ZERO), Reduction.MEAN);
        assertEquals(lse * lse, mean, 2 * Math.ulp(mean));
    }

    static Stream<SoftmaxCrossEntropyOptions> invalid() {
        return Stream.of(opts().logitScale(0), opts().logitScale(-1), opts().logitScale(Double.POSITIVE_INFINITY),
                opts().logitScale(Double.NaN), opts().softcap(0), opts().softcap(-2),
                opts().softcap(Double.POSITIVE_INFINITY), opts().softcap(Double.NaN), opts().zLoss(-0x1p-20),
                opts().zLoss(Double.NaN), opts().zLoss(Double.POSITIVE_INFINITY), opts().emptyMean(null),
                opts().logitScale(1e-50)); // 1e-50 rounds to 0 in float32
    }

    /** Each parameter is checked on its own, at the dtype (float32 here). */
    @ParameterizedTest
    @MethodSource("invalid")
    void invalidParameters(SoftmaxCrossEntropyOptions o) {
        XentException e = assertThrows(XentException.class,
                () -> LogitLosses.softmaxCrossEntropyUnreduced(new float[] {1, 2}, new int[] {1, 2}, new int[] {0}, o));
        assertEquals(ErrorKind.INVALID_ARGUMENT, e.kind(), e.getMessage());
    }

    @Test
    void softcapAbsentAgain() {
        SoftmaxCrossEntropyOptions o = opts().softcap(3).softcap(OptionalDouble.empty());
        assertTrue(o.softcap().isEmpty());
        assertArrayEquals(loss(X, Y, opts()), loss(X, Y, o));
        assertThrows(XentException.class, () -> EmptyMean.fromSpec("none"));
        assertEquals(EmptyMean.ZERO, EmptyMean.fromSpec("zero"));
    }
}
