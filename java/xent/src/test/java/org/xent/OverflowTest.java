package org.xent;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/**
 * Means whose intermediate sums exceed the double range although the mean does not (fuzz finding,
 * seed 11: the sum-then-divide gave +inf). Expected values are the mpmath oracle's, computed at 400 bits
 * with {@code python3 -c "import mpmath as mp; mp.mp.prec = 400; ..."} from the definitions
 * (softplus(z) = max(z, 0) + log1p(exp(-|z|)), -log_softmax = a - x_i + log1p(s)); the first two equal
 * the expected values printed by {@code xent-conformance fuzz --impl java --seed 11}.
 */
class OverflowTest {
    private static final double MAX = Double.MAX_VALUE;

    @Test
    void weightedSoftmaxCrossEntropyMeanNearMax() {
        double[] logits = new double[24];
        logits[12] = MAX;
        SoftmaxCrossEntropyOptions o = SoftmaxCrossEntropyOptions.defaults().weight(new double[] {1, 2, 1, 1, 1, 1});
        double got = LogitLosses.softmaxCrossEntropy(logits, new int[] {4, 6}, new int[] {0, 0, 1, 0}, o, Reduction.MEAN);
        // (3 log 6 + 2 * MAX) / 5
        assertEquals(0x1.9999999999999p+1022, got);
    }

    @Test
    void logitsSpanningMoreThanTheDoubleRange() {
        double[] logits = {MAX, -MAX, 0, 0, 0, 0, 0, 0};
        double got = LogitLosses.softmaxCrossEntropy(logits, new int[] {4, 2}, new int[] {1, 0, 0, 0},
                SoftmaxCrossEntropyOptions.defaults(), Reduction.MEAN);
        // (2 MAX + 3 log 2) / 4: the per-position loss 2 MAX itself is beyond the double range
        assertEquals(0x1.fffffffffffffp+1022, got);
        assertEquals(Double.POSITIVE_INFINITY, LogitLosses.softmaxCrossEntropyUnreduced(logits, new int[] {4, 2},
                new int[] {1, 0, 0, 0}, SoftmaxCrossEntropyOptions.defaults())[0]);
    }

    @Test
    void bceWithLogitsPosWeightNearMax() {
        double got = LogitLosses.binaryCrossEntropyWithLogits(new double[] {0, -MAX}, new int[] {2},
                new double[] {0, 0.5}, null, new double[] {1, 3}, Reduction.MEAN);
        // (log 2 + 1.5 MAX) / 2
        assertEquals(0x1.7ffffffffffffp+1023, got);
    }

    @Test
    void sigmoidFocalFactorBelowTheNormalRange() {
        // (1 - p_t)^2 = (1.6e-161)^2 is subnormal as a double; the oracle's value is from the fuzz run
        // (xent-conformance fuzz --impl java --function sigmoid_focal_loss --seed 11, element 37)
        double got = LogitLosses.sigmoidFocalLossUnreduced(new double[] {-0x1.8e5ce4b9a0167p+889}, new int[] {1},
                new double[] {0x1.a530ea7c69747p-535}, 0.25, 2.0)[0];
        double want = 0x1.4ca865a6011dbp-714;
        assertEquals(want, got, 2 * Math.ulp(want));
    }

    @Test
    void gradientWithSubnormalLabelSmoothing() {
        // eps / C underflows unless the masses are scaled; the oracle's value is from
        // xent-conformance fuzz --impl java --function softmax_cross_entropy_grad --seed 12 (element 39)
        SoftmaxCrossEntropyOptions o = SoftmaxCrossEntropyOptions.defaults()
                .weight(new double[] {1, 1, 1, 0, 0x1.9p+6}).labelSmoothing(Double.MIN_VALUE);
        double[] g = Gradients.softmaxCrossEntropyGrad(new double[40], new int[] {4, 5, 2},
                new int[] {0, 0, 0, 0, 0, 0, 0, 3}, o, Reduction.MEAN);
        assertEquals(-0x0.0000000000002p-1022, g[39]);
    }

    @Test
    void sigmoidFocalLossSumOfTwoMaxima() {
        double got = LogitLosses.sigmoidFocalLoss(new double[] {-MAX, -MAX}, new int[] {2}, new double[] {1, 1},
                null, 2.0, Reduction.MEAN);
        assertEquals(0x1.fffffffffffffp+1023, got);
    }

    @Test
    void bceWithLogitsSumOfSubnormalLosses() {
        // /tmp/newvec2/binary_cross_entropy_with_logits_float64.json tcId 82 (Go fuzz finding, seed 11): 36 losses
        // softplus(-745) = 0.571... * 2^-1074 each sum to 20.57 * 2^-1074, rounded once to 21 * 2^-1074 (not
        // 36 * 2^-1074 from rounding each loss first). Oracle:
        // python3 -c "from mpmath import mp, mpf, exp, log1p; mp.prec = 200; print(float(36 * log1p(exp(mpf(-745)))).hex())"
        double[] z = new double[36];
        double[] y = new double[36];
        java.util.Arrays.fill(z, -745.0);
        int[] shape = {36};
        assertEquals(0x0.0000000000015p-1022, LogitLosses.binaryCrossEntropyWithLogits(z, shape, y, null, null,
                Reduction.SUM));
        // each element rounds once: 0.571 * 2^-1074 -> 2^-1074; the mean 0.571 * 2^-1074 likewise
        double[] none = LogitLosses.binaryCrossEntropyWithLogitsUnreduced(z, shape, y, null, null);
        for (double l : none) {
            assertEquals(0x0.0000000000001p-1022, l);
        }
        assertEquals(0x0.0000000000001p-1022, LogitLosses.binaryCrossEntropyWithLogits(z, shape, y, null, null,
                Reduction.MEAN));
    }

    @Test
    void logsumexpOfSubnormalTerms() {
        // /tmp/newvec4/logsumexp_float64.json tcId 53 (Java fuzz finding, seed 16): x = [0, -745 (five times)];
        // s = 5 exp(-745) = 2.86 * 2^-1074 summed before rounding, lse = log1p(s) = s rounded once to 3 * 2^-1074
        // (not 5 * 2^-1074 from rounding each exp(-745) to the subnormal grid first). Oracle:
        // python3 -c "from mpmath import mp, mpf, exp, log1p; mp.prec=200; print(float(log1p(5*exp(mpf(-745)))).hex())"
        double[] x = {0.0, -0x1.748p+9, -0x1.748p+9, -0x1.748p+9, -0x1.748p+9, -0x1.748p+9};
        assertEquals(0x0.0000000000003p-1022, Primitives.logsumexp(x));
        // log_softmax at the maximum is -log1p(s), rounded once as well
        assertEquals(-0x0.0000000000003p-1022, Primitives.logSoftmax(x)[0]);
    }
}
