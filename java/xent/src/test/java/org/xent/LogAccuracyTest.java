package org.xent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * The double-double logarithms behind kl_divergence, cross_entropy, binary_cross_entropy and the focal
 * factors: a rounded log (or quotient) would be amplified where the terms of a sum cancel.
 */
class LogAccuracyTest {
    private static void assertUlps(double want, double got, double ulps) {
        assertTrue(Math.abs(got - want) <= ulps * Math.ulp(want), "got " + Double.toHexString(got)
                + ", want " + Double.toHexString(want));
    }

    /** Spec case kl_divergence float64 tcId 1008: p close to q, KL small by cancellation (was 28 ulp). */
    @Test
    void klDivergenceCloseDistributions() {
        double kl = Information.klDivergence(new double[] {0x1.784baa334c7e1p-2, 0x1.43da2ae659c1p-1},
                new double[] {0x1.5e0de5531e8c7p-2, 0x1.50f90d5670b9dp-1});
        assertUlps(0x1.7a3e3a22f6fa9p-10, kl, 1);
    }

    @Test
    void klDivergenceOfADistributionWithItselfIsZero() {
        double[] p = {0.1, 0.2, 0.7};
        assertEquals(0.0, Information.klDivergence(p, p));
    }

    /** log1p(t) near t = 2^-53 keeps its low part t^2/2 to relative accuracy (not an absolute 2^-106). */
    @Test
    void log1pOfATinyArgument() {
        double t = 0x1.2p-53;
        DoubleDouble l = DoubleDoubleMath.log1p(DoubleDouble.of(t));
        assertEquals(t, l.hi);
        assertUlps(-0.5 * t * t, l.lo, 4);
        DoubleDouble m = DoubleDoubleMath.log1p(DoubleDouble.of(-t));
        assertEquals(-t, m.hi);
        assertUlps(-0.5 * t * t, m.lo, 4);
    }

    /** log of a double-double across the scaled and the near-1 ranges, and of a subnormal. */
    @Test
    void logOfDoubleDoubles() {
        assertUlps(Math.log(10.0), DoubleDoubleMath.log(DoubleDouble.of(10.0)).value(), 0.5);
        assertUlps(-Math.log(3.0), DoubleDoubleMath.log(DoubleDouble.of(1.0).div(3.0)).value(), 0.5);
        assertUlps(-744.4400719213812, DoubleDoubleMath.log(DoubleDouble.of(Double.MIN_VALUE)).value(), 0.5);
        assertEquals(0.0, DoubleDoubleMath.log(DoubleDouble.of(1.0)).value());
    }
}
