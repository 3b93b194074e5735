package org.xent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The float32 one-pass paths: their exp and log1p within the budgets their comments prove (measured
 * against the double-double routines), and their losses within 2^-30 (relative) of the double-double
 * path's on random problems, with weights, ignored positions and spatial dimensions.
 */
class Float32KernelsTest {
    private static double relErr(double got, DoubleDouble want) {
        return Math.abs((got - want.hi) - want.lo) / Math.abs(want.hi);
    }

    /** exp of one value through {@link Float32Kernels#expNegInPlace}. */
    private static double expNeg(double x) {
        double[] v = {x};
        Float32Kernels.expNegInPlace(v, 1);
        return v[0];
    }

    @Test
    void expNegWithinItsBudget() {
        Random rnd = new Random(1);
        double worst = 0;
        double[] x = new double[200_000];
        for (int i = 0; i < x.length; i++) {
            // half the samples near 0, half over the whole range
            x[i] = i % 2 == 0 ? -rnd.nextDouble() : Float32Kernels.EXP_MIN_ARG * rnd.nextDouble();
        }
        double[] e = x.clone();
        Float32Kernels.expNegInPlace(e, e.length);
        for (int i = 0; i < x.length; i++) {
            worst = Math.max(worst, relErr(e[i], DoubleDoubleMath.exp(x[i])));
        }
        assertTrue(worst < 0x1.6a09e667f3bcdp-37, "worst relative error " + worst); // 2^-36.5
        assertEquals(1.0, expNeg(0.0));
        assertEquals(1.0, expNeg(-0.0));
        assertTrue(relErr(expNeg(Float32Kernels.EXP_MIN_ARG), DoubleDoubleMath.exp(Float32Kernels.EXP_MIN_ARG)) < 0x1p-36);
    }

    /** The shifted form also for positive differences up to 709 (softmax CE shifts by the target's logit). */
    @Test
    void expShiftedWithinItsBudgetAbove() {
        Random rnd = new Random(11);
        double[] d = new double[100_000];
        for (int i = 0; i < d.length; i++) {
            d[i] = i % 2 == 0 ? rnd.nextDouble() : 709.0 * rnd.nextDouble();
        }
        double a = -3.5;
        double[] e = new double[d.length];
        for (int i = 0; i < d.length; i++) {
            e[i] = d[i] + a; // the reference below takes the same rounded difference (d[i] + a) - a
        }
        Float32Kernels.expShiftedInPlace(e, e.length, a);
        double worst = 0;
        for (int i = 0; i < d.length; i++) {
            worst = Math.max(worst, relErr(e[i], DoubleDoubleMath.exp((d[i] + a) - a)));
        }
        assertTrue(worst < 0x1.6a09e667f3bcdp-37, "worst relative error " + worst);
        double[] inf = {Double.POSITIVE_INFINITY, 800.0};
        Float32Kernels.expShiftedInPlace(inf, 2, 0.0);
        assertEquals(Double.POSITIVE_INFINITY, inf[0]);
        assertEquals(Double.POSITIVE_INFINITY, inf[1]);
    }

    @Test
    void expNegClampsArgumentsBelowItsRange() {
        double floor = expNeg(Float32Kernels.EXP_MIN_ARG);
        assertTrue(floor > 0 && floor < 0x1p-1021);
        assertEquals(floor, expNeg(Math.nextDown(Float32Kernels.EXP_MIN_ARG)));
        assertEquals(floor, expNeg(Double.NEGATIVE_INFINITY));
        assertTrue(Double.isNaN(expNeg(Double.NaN)));
    }

    @Test
    void log1pWithinItsBudget() {
        Random rnd = new Random(2);
        double[] e = new double[200_001];
        for (int i = 0; i < e.length; i++) {
            // a grid over [0, 1], random points, and tiny arguments
            e[i] = i <= 1024 ? i / 1024.0 : i % 3 == 0 ? Math.scalb(rnd.nextDouble(), -rnd.nextInt(60)) : rnd.nextDouble();
        }
        double[] l = e.clone();
        Float32Kernels.log1pInPlace(l, l.length);
        double worst = 0;
        for (int i = 1; i < e.length; i++) {
            worst = Math.max(worst, relErr(l[i], DoubleDoubleMath.log1p(DoubleDouble.of(e[i]))));
        }
        assertTrue(worst < 0x1p-41, "worst relative error " + worst);
        assertEquals(0.0, l[0]);
    }

    private static float[] logits(Random rnd, int n, double scale) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) (scale * rnd.nextGaussian());
        }
        return x;
    }

    /** Scales of the logits from tiny to wide (differences up to hundreds: terms far below 2^-53). */
    @ParameterizedTest
    @ValueSource(doubles = {1e-30, 1e-3, 1.0, 4.0, 60.0, 300.0})
    void softmaxCrossEntropyMatchesTheDoubleDoublePath(double scale) {
        Random rnd = new Random(Double.hashCode(scale));
        int[] shape = {7, 13, 3};
        float[] x = logits(rnd, 7 * 13 * 3, scale);
        int[] target = new int[7 * 3];
        for (int p = 0; p < target.length; p++) {
            target[p] = p % 5 == 4 ? -100 : rnd.nextInt(13);
        }
        double[] w = new double[13];
        for (int c = 0; c < 13; c++) {
            w[c] = c == 3 ? 0.0 : 0.25 + rnd.nextDouble();
        }
        SoftmaxCrossEntropyOptions o = SoftmaxCrossEntropyOptions.defaults().weight(w);
        SoftmaxCrossEntropyCall g = SoftmaxCrossEntropyCall.call(x, shape, target, null, o);
        double[] fast = Float32Kernels.softmaxCrossEntropyIfFast(g);
        Losses exact = LogitLossKernels.softmaxCrossEntropy(g);
        for (int p = 0; p < fast.length; p++) {
            ExtendedDouble want = exact.per[p];
            assertTrue(Math.abs(fast[p] - want.value()) <= 0x1p-30 * Math.abs(want.value()),
                    "position " + p + ": " + fast[p] + " vs " + want.value());
        }
        for (Reduction r : new Reduction[] {Reduction.SUM, Reduction.MEAN}) {
            double want = exact.reduce(r);
            double got = Float32Kernels.softmaxCrossEntropy(g, r);
            assertTrue(Math.abs(got - want) <= 0x1p-30 * Math.abs(want), r + ": " + got + " vs " + want);
        }
    }

    /** A float32 softmax CE call on [3, 3] logits with default options. */
    private static SoftmaxCrossEntropyCall sceCall(float[] x, int[] target) {
        return SoftmaxCrossEntropyCall.call(x, new int[] {3, 3}, target, null, SoftmaxCrossEntropyOptions.defaults());
    }

    /**
     * The fast float32 path's per-position losses against the double-double path's: within 2^-30 relative
     * plus {@code absolute}, and (with {@code sameFloat}) the same float once rounded. Returns the fast ones.
     */
    private static double[] assertFastMatchesExact(SoftmaxCrossEntropyCall g, double absolute, boolean sameFloat) {
        double[] fast = Float32Kernels.softmaxCrossEntropyIfFast(g);
        Losses exact = LogitLossKernels.softmaxCrossEntropy(g);
        for (int p = 0; p < fast.length; p++) {
            double want = exact.per[p].value();
            assertTrue(Math.abs(fast[p] - want) <= 0x1p-30 * want + absolute,
                    "position " + p + ": " + fast[p] + " vs " + want);
            if (sameFloat) {
                assertEquals((float) want, (float) fast[p], "position " + p);
            }
        }
        return fast;
    }

    /**
     * The target at a maximum: its own term is left out and s summed directly (s = S - 1 would lose a
     * loss near e^-30 entirely); a second maximum's term 1 stays in s; the target below the maximum.
     */
    @Test
    void softmaxCrossEntropyTargetAtTheMaximumKeepsASmallLoss() {
        float[] x = {0f, -30f, -30f, 5f, 5f, -1f, 2f, 7f, -3f};
        double[] fast = assertFastMatchesExact(sceCall(x, new int[] {0, 0, 0}), 0.0, false);
        assertTrue(fast[0] > 1e-13 && fast[0] < 1e-12, "log1p(2 e^-30) = " + fast[0]);
    }

    /** Logits spanning more than 709: the sum shifted by the target overflows, the row shifts by its maximum. */
    @Test
    void softmaxCrossEntropyRowsBeyondTheExpRangeShiftByTheMaximum() {
        float[] x = {0f, 800f, -5f, 800f, 3e4f, 1f, -2e4f, 0.5f, 2e4f};
        for (int y = 0; y < 3; y++) {
            // terms below exp(-708) are taken as exp(-708): an absolute C 2^-1021 (class comment)
            assertFastMatchesExact(sceCall(x, new int[] {y, y, y}), 3 * 0x1p-1021, true);
        }
    }

    /** A -inf logit other than the target's is a term below 2^-1021: the same float loss as the general path. */
    @Test
    void softmaxCrossEntropyNegativeInfiniteLogitIsANegligibleTerm() {
        float ninf = Float.NEGATIVE_INFINITY;
        float[] x = {0f, ninf, 1f, 2f, ninf, ninf, ninf, -3f, ninf};
        int[] target = {2, 0, 1};
        SoftmaxCrossEntropyCall g = sceCall(x, target);
        assertFastMatchesExact(g, 3 * 0x1p-1021, true);
        assertEquals((float) LogitLossKernels.softmaxCrossEntropy(g).reduce(Reduction.MEAN),
                LogitLosses.softmaxCrossEntropy(x, new int[] {3, 3}, target, SoftmaxCrossEntropyOptions.defaults(),
                        Reduction.MEAN));
    }

    @Test
    void softmaxCrossEntropyLeavesNonFiniteLogitsAndSmoothingToTheGeneralPath() {
        int[] shape = {2, 3};
        int[] target = {0, 1};
        for (float bad : new float[] {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY}) {
            float[] x = {0f, 1f, 2f, 3f, bad, 5f};
            assertNull(Float32Kernels.softmaxCrossEntropyIfFast(
                    SoftmaxCrossEntropyCall.call(x, shape, target, null, SoftmaxCrossEntropyOptions.defaults())));
            float got = LogitLosses.softmaxCrossEntropy(x, shape, target, SoftmaxCrossEntropyOptions.defaults(),
                    Reduction.SUM);
            double want = LogitLossKernels.softmaxCrossEntropy(SoftmaxCrossEntropyCall.call(x, shape, target, null,
                    SoftmaxCrossEntropyOptions.defaults())).reduce(Reduction.SUM);
            assertEquals((float) want, got);
        }
        SoftmaxCrossEntropyOptions smoothed = SoftmaxCrossEntropyOptions.defaults().labelSmoothing(0.1);
        assertNull(Float32Kernels.softmaxCrossEntropyIfFast(
                SoftmaxCrossEntropyCall.call(new float[] {0f, 1f}, new int[] {1, 2}, new int[] {0}, null, smoothed)));
    }

    @Test
    void softmaxCrossEntropyLeavesRowsBeyondItsSumBoundToTheGeneralPath() {
        for (int c : new int[] {Float32Kernels.MAX_ROW, Float32Kernels.MAX_ROW + 1}) {
            SoftmaxCrossEntropyCall g = SoftmaxCrossEntropyCall.call(new float[c], new int[] {1, c}, new int[] {0},
                    null, SoftmaxCrossEntropyOptions.defaults());
            assertEquals(c <= Float32Kernels.MAX_ROW, Float32Kernels.softmaxCrossEntropyIfFast(g) != null);
        }
    }

    @Test
    void softmaxCrossEntropyMeanOverNothingIsTheGeneralPathsAnswer() {
        SoftmaxCrossEntropyOptions o = SoftmaxCrossEntropyOptions.defaults();
        SoftmaxCrossEntropyCall g = SoftmaxCrossEntropyCall.call(new float[] {0f, 1f}, new int[] {1, 2},
                new int[] {-100}, null, o);
        assertTrue(Double.isNaN(Float32Kernels.softmaxCrossEntropy(g, Reduction.MEAN)));
        assertEquals((float) LogitLossKernels.softmaxCrossEntropy(g).reduce(Reduction.MEAN),
                LogitLosses.softmaxCrossEntropy(new float[] {0f, 1f}, new int[] {1, 2}, new int[] {-100}, o,
                        Reduction.MEAN));
    }

    @ParameterizedTest
    @ValueSource(doubles = {1e-30, 1e-3, 1.0, 4.0, 60.0, 300.0, 1e30})
    void bceWithLogitsMatchesTheDoubleDoublePath(double scale) {
        Random rnd = new Random(Double.hashCode(scale) + 1);
        int n = 3000;
        float[] z = logits(rnd, n, scale);
        float[] y = new float[n];
        for (int i = 0; i < n; i++) {
            y[i] = i % 7 == 0 ? 1f : i % 11 == 0 ? 0f : rnd.nextFloat();
        }
        double[] zd = Check.toDouble(z);
        double[] yd = Check.toDouble(y);
        Losses exact = LogitLossKernels.bceWithLogits(zd, new int[] {n}, yd, null, null, null);
        double[] fast = Float32Kernels.bceWithLogits(z, y);
        for (int i = 0; i < n; i++) {
            double want = exact.per[i].value();
            // exp(-|z|) for |z| > 708 is taken as exp(-708) < 2^-1021: an absolute 2^-1021 besides 2^-30
            assertTrue(Math.abs(fast[i] - want) <= 0x1p-30 * Math.abs(want) + 0x1p-1021, i + ": " + fast[i] + " vs " + want);
        }
        double want = exact.reduce(Reduction.SUM);
        double got = Float32Kernels.bceWithLogitsSum(z, y);
        assertTrue(Math.abs(got - want) <= 0x1p-30 * Math.abs(want), got + " vs " + want);
    }

    @Test
    void bceWithLogitsChecksTargetsAndLeavesNonFiniteLogitsToTheGeneralPath() {
        XentException e = assertThrows(XentException.class, () -> LogitLosses.binaryCrossEntropyWithLogits(
                new float[] {0f, 1f}, new int[] {2}, new float[] {0.5f, 1.5f}, null, null, Reduction.SUM));
        assertEquals(ErrorKind.INVALID_PROBABILITY, e.kind());
        for (float bad : new float[] {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY}) {
            float[] z = {0.5f, bad};
            float[] y = {0.25f, 0.75f};
            assertNull(Float32Kernels.bceWithLogits(z, y));
            assertTrue(Double.isNaN(Float32Kernels.bceWithLogitsSum(z, y)));
            double want = LogitLossKernels.bceWithLogitsReduced(Check.toDouble(z), new int[] {2}, Check.toDouble(y),
                    null, null, null, Reduction.MEAN);
            assertEquals((float) want, LogitLosses.binaryCrossEntropyWithLogits(z, new int[] {2}, y, null, null,
                    Reduction.MEAN));
        }
    }
}
