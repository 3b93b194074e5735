package org.xent;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Fused linear cross-entropy (issue 18). Expected values come from the spec's definition: the loss is
 * softmax_cross_entropy of the exact logits (chosen here to be doubles, including a dot product that
 * cancels to 1 exactly), the gradients chain that loss's gradient through the product, D2 and D3.
 */
class LinearCrossEntropyTest {
    // hidden [2, 3], linear_weight [3, 3]: row 0 of the logits is [1, 2, 0] exactly (1e16 - 1e16 cancels)
    private static final double[] H = {1e16, 1, -1e16, 0.5, -2, 1};
    private static final int[] HS = {2, 3};
    private static final double[] W = {1, 1, 1, 1, 2, 1, 0, 0.25, 0};
    private static final int[] WS = {3, 3};
    private static final double[] B = {0.5, -1, 2};
    private static final int[] Y = {1, 2};

    /** The exact logits hidden @ W^T + b. */
    private static final double[] Z = {1 + 0.5, 2 - 1, 0.25 + 2, -0.5 + 0.5, -2.5 - 1, -0.5 + 2};

    private static SoftmaxCrossEntropyOptions opts() {
        return new SoftmaxCrossEntropyOptions().labelSmoothing(0.125).zLoss(0.0625);
    }

    @Test
    void lossIsTheCrossEntropyOfTheExactLogits() {
        double[] want = LogitLosses.softmaxCrossEntropyUnreduced(Z, new int[] {2, 3}, Y, opts());
        assertArrayEquals(want, LinearCrossEntropy.linearCrossEntropyUnreduced(H, HS, W, WS, Y, B, opts()));
        assertEquals(LogitLosses.softmaxCrossEntropy(Z, new int[] {2, 3}, Y, opts(), Reduction.MEAN),
                LinearCrossEntropy.linearCrossEntropy(H, HS, W, WS, Y, B, opts(), Reduction.MEAN));
    }

    /** H = 0 without a bias: every logit is 0, the loss log C. */
    @Test
    void emptyHiddenGivesLogC() {
        double[] l = LinearCrossEntropy.linearCrossEntropyUnreduced(new double[0], new int[] {2, 0}, new double[0],
                new int[] {3, 0}, Y, null, new SoftmaxCrossEntropyOptions());
        assertEquals(Math.log(3), l[0], Math.ulp(Math.log(3)));
    }

    /** wrt linear_bias is G summed over the positions, wrt hidden G @ W (exact inputs here: a few ulps). */
    @ParameterizedTest
    @EnumSource(Reduction.class)
    void gradientsChainTheLogitsGradient(Reduction r) {
        double[] v = r == Reduction.NONE ? new double[] {2, -0.5} : new double[] {3};
        double[] g = Gradients.softmaxCrossEntropyGrad(Z, new int[] {2, 3}, Y, opts(), r, v);
        double[] bias = LinearCrossEntropy.linearCrossEntropyGrad(H, HS, W, WS, Y, B, opts(), r, LinearWrt.LINEAR_BIAS, v);
        double[] hidden = LinearCrossEntropy.linearCrossEntropyGrad(H, HS, W, WS, Y, B, opts(), r, LinearWrt.HIDDEN, v);
        for (int j = 0; j < 3; j++) {
            double want = g[j] + g[3 + j];
            assertEquals(want, bias[j], 2 * Math.ulp(want), "bias " + j);
        }
        for (int i = 0; i < 2; i++) {
            for (int k = 0; k < 3; k++) {
                double want = g[3 * i] * W[k] + g[3 * i + 1] * W[3 + k] + g[3 * i + 2] * W[6 + k];
                assertEquals(want, hidden[3 * i + k], 4 * Math.ulp(want) + 1e-300, "hidden " + i + "," + k);
            }
        }
    }

    /** An ignored row is never read (D2): NaN there changes nothing, its hidden gradient is 0. */
    @Test
    void ignoredRowIsNeverRead() {
        double[] h = H.clone();
        h[3] = Double.NaN;
        int[] y = {1, -100};
        double[] loss = LinearCrossEntropy.linearCrossEntropyUnreduced(h, HS, W, WS, y, B, opts());
        assertEquals(0.0, loss[1]);
        assertEquals(LinearCrossEntropy.linearCrossEntropyUnreduced(H, HS, W, WS, y, B, opts())[0], loss[0]);
        double[] gh = LinearCrossEntropy.linearCrossEntropyGrad(h, HS, W, WS, y, B, opts(), Reduction.SUM,
                LinearWrt.HIDDEN, null);
        assertArrayEquals(new double[] {0, 0, 0}, java.util.Arrays.copyOfRange(gh, 3, 6));
        double[] gw = LinearCrossEntropy.linearCrossEntropyGrad(h, HS, W, WS, y, B, opts(), Reduction.SUM,
                LinearWrt.LINEAR_WEIGHT, null);
        for (double x : gw) {
            assertTrue(Double.isFinite(x));
        }
    }

    /** D3: a mean over no target weight is NaN in every element (N = 0 too), 0 with empty_mean zero. */
    @Test
    void emptyMean() {
        int[] y = {-100, -100};
        double[] gw = LinearCrossEntropy.linearCrossEntropyGrad(H, HS, W, WS, y, B, opts(), Reduction.MEAN,
                LinearWrt.LINEAR_WEIGHT, null);
        for (double x : gw) {
            assertTrue(Double.isNaN(x));
        }
        assertArrayEquals(new double[9], LinearCrossEntropy.linearCrossEntropyGrad(H, HS, W, WS, y, B,
                opts().emptyMean(EmptyMean.ZERO), Reduction.MEAN, LinearWrt.LINEAR_WEIGHT, null));
    }

    /** The float32 overloads: inputs widened, float parameters rounded to float, each result rounded once. */
    @Test
    void float32OverloadsRoundOnce() {
        float[] h = {1.5f, -2f, 0.25f, 3f, 1f, -0.5f};
        float[] w = {1f, 0.5f, -1f, 2f, 0f, 1f, -0.25f, 4f, 1f};
        float[] b = {0.1f, 0f, -0.3f};
        SoftmaxCrossEntropyOptions o = new SoftmaxCrossEntropyOptions().labelSmoothing(0.1).zLoss(0.001);
        SoftmaxCrossEntropyOptions rounded = new SoftmaxCrossEntropyOptions().labelSmoothing((float) 0.1).zLoss((float) 0.001);
        double[] hd = Check.toDouble(h);
        double[] wd = Check.toDouble(w);
        double[] bd = Check.toDouble(b);
        assertArrayEquals(Check.toFloat(LinearCrossEntropy.linearCrossEntropyUnreduced(hd, HS, wd, WS, Y, bd, rounded)),
                LinearCrossEntropy.linearCrossEntropyUnreduced(h, HS, w, WS, Y, b, o));
        assertEquals((float) LinearCrossEntropy.linearCrossEntropy(hd, HS, wd, WS, Y, bd, rounded, Reduction.MEAN),
                LinearCrossEntropy.linearCrossEntropy(h, HS, w, WS, Y, b, o, Reduction.MEAN));
        assertArrayEquals(Check.toFloat(LinearCrossEntropy.linearCrossEntropyGrad(hd, HS, wd, WS, Y, bd, rounded,
                Reduction.NONE, LinearWrt.LINEAR_WEIGHT, new double[] {2, -1})),
                LinearCrossEntropy.linearCrossEntropyGrad(h, HS, w, WS, Y, b, o, Reduction.NONE, LinearWrt.LINEAR_WEIGHT,
                        new float[] {2, -1}));
    }

    @Test
    void errorPrecedence() {
        assertKind(ErrorKind.INVALID_SHAPE, () -> LinearCrossEntropy.linearCrossEntropyUnreduced(H, HS, new double[0],
                new int[] {0, 3}, Y, null, opts()));
        assertKind(ErrorKind.SHAPE_MISMATCH, () -> LinearCrossEntropy.linearCrossEntropyUnreduced(H, HS, W, WS, Y,
                new double[2], opts().weight(new double[] {-1, 1, 1})));
        // wrt linear_bias without a bias comes before the weight values and the targets (step 4)
        assertKind(ErrorKind.INVALID_ARGUMENT, () -> LinearCrossEntropy.linearCrossEntropyGrad(H, HS, W, WS,
                new int[] {1, 7}, null, opts(), Reduction.SUM, LinearWrt.LINEAR_BIAS, null));
        assertKind(ErrorKind.SHAPE_MISMATCH, () -> LinearCrossEntropy.linearCrossEntropyGrad(H, HS, W, WS,
                new int[] {1, 7}, null, opts(), Reduction.SUM, LinearWrt.LINEAR_BIAS, new double[2]));
        assertKind(ErrorKind.INDEX_OUT_OF_RANGE, () -> LinearCrossEntropy.linearCrossEntropyGrad(H, HS, W, WS,
                new int[] {1, 7}, B, opts(), Reduction.SUM, LinearWrt.LINEAR_BIAS, null));
    }

    private static void assertKind(ErrorKind kind, Runnable r) {
        XentException e = assertThrows(XentException.class, r::run);
        assertEquals(kind, e.kind(), e.getMessage());
    }
}
