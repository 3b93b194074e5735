package org.xent;

import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * softmax_cross_entropy_grad with label_smoothing 1 on nearly uniform logits, where g_c M - m_c cancels
 * (fuzz finding, seed 11). The problem is well conditioned there (the bound scales with |x_k|), so the
 * answer must be accurate to a few ulps. Expected values: the mpmath oracle at 300 bits, {@code python3 -c
 * "import mpmath as mp; mp.mp.prec = 300; ..."} of softmax(x) - 1/C divided by the weight sum; the
 * first equals the exact value the fuzz run printed.
 */
class NearlyUniformGradTest {
    private static final SoftmaxCrossEntropyOptions UNIFORM_TARGET = SoftmaxCrossEntropyOptions.defaults().labelSmoothing(1.0);

    private static void assertUlps(double want, double got, int ulps) {
        assertTrue(Math.abs(got - want) <= ulps * Math.ulp(want), "got " + Double.toHexString(got)
                + ", want " + Double.toHexString(want));
    }

    @Test
    void twoClassesTinySpread() {
        double[] g = Gradients.softmaxCrossEntropyGrad(new double[] {0, 0x1.4f8b588e368f1p-17}, new int[] {1, 2},
                new int[] {0}, UNIFORM_TARGET, Reduction.MEAN);
        assertUlps(-0x1.4f8b588e2a8cap-19, g[0], 2);
        assertUlps(0x1.4f8b588e2a8cap-19, g[1], 2);
    }

    @Test
    void sixClassesSpreadBelowTheUnitRoundoff() {
        double[] logits = new double[18];
        logits[5] = 0x1.f74d54bbe84dep-102;
        logits[11] = 1;
        logits[17] = 1;
        double[] g = Gradients.softmaxCrossEntropyGrad(logits, new int[] {3, 6}, new int[] {0, 0, 0},
                UNIFORM_TARGET, Reduction.MEAN);
        for (int j = 0; j < 5; j++) {
            assertUlps(-0x1.2a40c9ea9c9ffp-108, g[j], 2);
            assertUlps(-0x1.9546bace3869ep-7, g[6 + j], 2);
        }
        assertUlps(0x1.74d0fc6543c7fp-106, g[5], 2);
        assertUlps(0x1.fa986981c6845p-5, g[11], 2);
    }

    /**
     * Spec case softmax_cross_entropy_grad float64 tcId 83 (fuzz finding, Python seed 11): off_target
     * smoothing 1 with a masked class. The masked class counts as e = 0 (not 1 + (-1)) and the equal
     * masses of the classes other than the target cancel exactly, so the tiny gradients survive.
     * Expected values from vectors/softmax_cross_entropy_grad_float64.json.
     */
    @Test
    void offTargetSmoothingWithAMaskedClass() {
        double[] g = Gradients.softmaxCrossEntropyGrad(
                new double[] {0, 0, 0x1.f348e0f36905cp-670, Double.NEGATIVE_INFINITY}, new int[] {1, 4},
                new int[] {0}, SoftmaxCrossEntropyOptions.defaults().labelSmoothing(1.0)
                        .labelSmoothingMode(LabelSmoothingMode.OFF_TARGET), Reduction.MEAN);
        assertUlps(0x1.5555555555555p-2, g[0], 1);
        assertUlps(-0x1.bbcf00d85d5a7p-673, g[1], 1);
        assertUlps(0x1.bbcf00d85d5a7p-672, g[2], 1);
        assertUlps(-0x1.5555555555555p-2, g[3], 1);
    }
}
