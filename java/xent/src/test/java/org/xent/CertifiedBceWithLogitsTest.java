package org.xent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@link CertifiedBceWithLogits}: its log1p(exp(-|z|)) within the proved bound against double-double
 * routines; an accepted block within a quarter of its {@code accurate} tolerance of the exact one-pass sum;
 * the benchmark's blocks all accepted; a block whose bound is too large (losses log 2 with tiny kappa)
 * declined and summed on the exact path; non-finite logits left to the general path.
 */
class CertifiedBceWithLogitsTest {
    private static final double U = 0x1p-53;

    @Test
    void softplusTailWithinItsBound() {
        Random rnd = new Random(7);
        int n = 200_000;
        double[] negAbs = new double[n];
        for (int i = 0; i < n; i++) {
            negAbs[i] = switch (i % 4) {
                case 0 -> -rnd.nextDouble();
                case 1 -> -745.0 * rnd.nextDouble();
                case 2 -> -Math.scalb(rnd.nextDouble(), -rnd.nextInt(60));
                default -> -40.0 * rnd.nextDouble();
            };
        }
        negAbs[0] = 0.0;
        double[] hi = new double[n];
        double[] lo = new double[n];
        ShiftedExp.terms(negAbs, 0, n, 0.0, hi, lo, new double[n]);
        CertifiedBceWithLogits.log1p(n, hi, lo);
        double worst = 0.0;
        for (int i = 0; i < n; i++) {
            ExtendedDouble t = DoubleDoubleMath.expX(negAbs[i]);
            // log1p(t) = t (1 - t/2 + ...) for tiny t; double-double log1p above the subnormal range
            ExtendedDouble want = t.e < -900 ? t : ExtendedDouble.of(DoubleDoubleMath.log1p(
                    new DoubleDouble(Math.scalb(t.hi, t.e), Math.scalb(t.lo, t.e))));
            double err = Math.abs(ExtendedDouble.of(hi[i], lo[i], 0).add(want.mul(ExtendedDouble.of(-1.0))).value());
            double f = want.value();
            assertTrue(err <= CertifiedBceWithLogits.LOG1P_REL_ERR * f + ShiftedExp.ABS_ERR,
                    "z = " + negAbs[i] + ": error " + err + " for " + f);
            if (f > 0x1p-900) {
                worst = Math.max(worst, err / f);
            }
        }
        // the proof gives 0.68 u; dropping the correction's low part or t's would exceed it
        assertTrue(worst < 0.7 * U, "worst " + worst / U + " u");
    }

    /** The exact sum and the sum of kappa_i = |z_i| |sigmoid(z_i) - y_i| + |z_i| y_i over [from, to). */
    private static double[] exactAndKappa(double[] z, double[] y, int from, int to) {
        double kappa = 0.0;
        for (int i = from; i < to; i++) {
            double sig = 1.0 / (1.0 + Math.exp(-z[i]));
            kappa += Math.abs(z[i]) * (Math.abs(sig - y[i]) + y[i]);
        }
        double[] zs = java.util.Arrays.copyOfRange(z, from, to);
        double[] ys = java.util.Arrays.copyOfRange(y, from, to);
        // the general path (extended exponents): the one-pass sum refuses |z| > 700
        return new double[] {LogitLossKernels.bceWithLogits(zs, new int[] {to - from}, ys, null, null, null).sum().value(),
            kappa};
    }

    @ParameterizedTest
    @ValueSource(doubles = {2.0, 0.5, 30.0, 300.0})
    void acceptedBlocksAreWithinAQuarterOfTheirTolerance(double scale) {
        Random rnd = new Random(Double.hashCode(scale));
        int n = 5 * CertifiedBceWithLogits.BLOCK + 77;
        double[] z = new double[n];
        double[] y = new double[n];
        for (int i = 0; i < n; i++) {
            z[i] = scale * rnd.nextGaussian();
            y[i] = i % 5 == 0 ? 1.0 : i % 7 == 0 ? 0.0 : rnd.nextDouble();
        }
        CertifiedBceWithLogits kernel = new CertifiedBceWithLogits();
        int accepted = 0;
        for (int start = 0; start < n; start += CertifiedBceWithLogits.BLOCK) {
            int len = Math.min(CertifiedBceWithLogits.BLOCK, n - start);
            DoubleDouble got = kernel.block(z, y, start, len);
            if (got != null) {
                accepted++;
                double[] want = exactAndKappa(z, y, start, start + len);
                double quarter = 0.25 * U * (2.0 * want[0] + 4.0 * want[1]);
                assertTrue(Math.abs(got.value() - want[0]) <= quarter, "block at " + start + ": " + got.value()
                        + " vs " + want[0]);
            }
        }
        assertTrue(accepted > 0);
    }

    @Test
    void theBenchmarksBlocksAreAllAccepted() {
        Random rnd = new Random(20240607L);
        int n = 20 * CertifiedBceWithLogits.BLOCK;
        double[] z = new double[n];
        double[] y = new double[n];
        for (int i = 0; i < n; i++) {
            z[i] = 2.0 * rnd.nextGaussian();
            y[i] = rnd.nextDouble();
        }
        CertifiedBceWithLogits kernel = new CertifiedBceWithLogits();
        for (int start = 0; start < n; start += CertifiedBceWithLogits.BLOCK) {
            assertNotNull(kernel.block(z, y, start, CertifiedBceWithLogits.BLOCK), "block at " + start);
        }
    }

    @Test
    void aDeclinedBlockIsSummedOnTheExactPath() {
        // z = 0, y = 0: every loss is log 2 with kappa_i = 0; 0.875 u sum f exceeds u sum l / 2, so the block
        // is declined whatever its sum; the second block (the benchmark's kind) is accepted
        int n = 2 * CertifiedBceWithLogits.BLOCK;
        double[] z = new double[n];
        double[] y = new double[n];
        Random rnd = new Random(3);
        for (int i = CertifiedBceWithLogits.BLOCK; i < n; i++) {
            z[i] = 2.0 * rnd.nextGaussian();
            y[i] = rnd.nextDouble();
        }
        CertifiedBceWithLogits kernel = new CertifiedBceWithLogits();
        assertNull(kernel.block(z, y, 0, CertifiedBceWithLogits.BLOCK));
        assertNotNull(kernel.block(z, y, CertifiedBceWithLogits.BLOCK, CertifiedBceWithLogits.BLOCK));
        DoubleDouble exactFirst = LogitLossKernels.bceWithLogitsSum(z, y, 0, CertifiedBceWithLogits.BLOCK);
        DoubleDouble whole = kernel.sum(z, y);
        DoubleDouble second = kernel.block(z, y, CertifiedBceWithLogits.BLOCK, CertifiedBceWithLogits.BLOCK);
        assertEquals(exactFirst.copy().add(second).value(), whole.value());
        double mean = LogitLosses.binaryCrossEntropyWithLogits(z, new int[] {n}, y, null, null, Reduction.MEAN);
        double want = LogitLossKernels.bceWithLogits(z, new int[] {n}, y, null, null, null).reduce(Reduction.MEAN);
        assertTrue(Math.abs(mean - want) <= Math.ulp(want), mean + " vs " + want);
    }

    @Test
    void nonFiniteLogitsGoToTheGeneralPath() {
        for (double bad : new double[] {Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY}) {
            double[] z = {0.5, bad, -1.0};
            double[] y = {0.25, 1.0, 0.0};
            assertNull(new CertifiedBceWithLogits().sum(z, y));
            double got = LogitLosses.binaryCrossEntropyWithLogits(z, new int[] {3}, y, null, null, Reduction.SUM);
            double want = LogitLossKernels.bceWithLogits(z, new int[] {3}, y, null, null, null).reduce(Reduction.SUM);
            assertEquals(want, got, "z = " + bad);
        }
    }
}
