package org.xent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/**
 * {@link ShiftedExp}: every term within its proved bound (relative 2^-54, or 2^-1021 absolute where
 * exp(x - a) &lt; 2^-1022.5) against double-double exp of the exact difference x - a, over random and
 * edge arguments: near 0, at the reduction's half-way points k ln2 / 2, around the range's end, and for
 * large and small shifts a whose difference x - a rounds.
 */
class ShiftedExpTest {
    /** exp(x - a) with its own exponent, from the exact difference d + dl (TwoSum): within 2^-86 relative. */
    private static ExtendedDouble exact(double x, double a) {
        double d = x - a;
        double dl = DoubleDouble.twoSumErr(x, -a, d);
        ExtendedDouble e = DoubleDoubleMath.expX(d);
        return e.mul(ExtendedDouble.of(DoubleDouble.of(1.0).add(dl).add(0.5 * dl * dl)));
    }

    private static double[] terms(double[] x, double a) {
        int n = x.length;
        double[] hi = new double[n];
        double[] lo = new double[n];
        ShiftedExp.terms(x, 0, n, a, hi, lo, new double[n]);
        double[] out = new double[2 * n];
        for (int i = 0; i < n; i++) {
            out[2 * i] = hi[i];
            out[2 * i + 1] = lo[i];
        }
        return out;
    }

    /**
     * Asserts the bound for every x[i] &lt;= a: relative 2^-54, plus {@link ShiftedExp#ABS_ERR} for results
     * below 2^-959 (whose low part is subnormal); returns the worst relative error seen above 2^-960.
     */
    private static double check(double[] x, double a) {
        double[] got = terms(x, a);
        double worst = 0.0;
        for (int i = 0; i < x.length; i++) {
            ExtendedDouble want = exact(x[i], a);
            ExtendedDouble err = ExtendedDouble.of(got[2 * i], got[2 * i + 1], 0).add(want.mul(ExtendedDouble.of(-1.0)));
            double absErr = Math.abs(err.value());
            if (want.e >= -960) {
                double rel = Math.abs(err.div(want).value());
                worst = Math.max(worst, rel);
                assertTrue(rel <= ShiftedExp.REL_ERR, "x = " + x[i] + ", a = " + a + ": relative error " + rel);
            } else {
                // near the subnormal range the low part (and at 2^-1022 the high part) rounds to 2^-1074
                double bound = ShiftedExp.REL_ERR * Math.abs(want.value()) + ShiftedExp.ABS_ERR;
                assertTrue(absErr <= bound, "x = " + x[i] + ", a = " + a + ": absolute error " + absErr);
            }
        }
        return worst;
    }

    @ParameterizedTest
    @ValueSource(doubles = {0.0, 1.0, -3.5, 17.25, 1e6, -1e9, 0x1p40, 1e-300})
    void randomArgumentsWithinTheBound(double a) {
        Random rnd = new Random(Double.hashCode(a));
        double[] x = new double[100_000];
        for (int i = 0; i < x.length; i++) {
            double d = switch (i % 4) {
                case 0 -> -rnd.nextDouble();                   // the terms that dominate a sum
                case 1 -> -709.0 * rnd.nextDouble();           // the whole normal range
                case 2 -> -Math.scalb(rnd.nextDouble(), -rnd.nextInt(60)); // tiny shifts
                default -> -30.0 * rnd.nextDouble();
            };
            x[i] = a + d; // rounded: x - a then differs from d, and the low part dl matters
        }
        double worst = check(x, a);
        // the proof gives 0.41 u; a kernel that dropped dl or a polynomial term would exceed it
        assertTrue(worst < 0x1.8p-54, "worst " + worst);
    }

    @Test
    void reductionHalfWayPointsAndRangeEnds() {
        double ln2 = Math.log(2.0);
        double[] x = new double[4 * 1030 + 8];
        int n = 0;
        for (int k = 0; k < 1030; k++) {
            double half = -(k + 0.5) * ln2;
            x[n++] = half;
            x[n++] = Math.nextUp(half);
            x[n++] = Math.nextDown(half);
            x[n++] = -k * ln2;
        }
        double[] ends = {-708.0, -708.39, -708.4, -708.7, -708.75, -709.0, -745.0, -746.0};
        for (double e : ends) {
            x[n++] = e;
        }
        for (int i = 0; i < x.length; i++) {
            x[i] = Math.min(x[i], 0.0);
        }
        check(x, 0.0);
    }

    /**
     * Shifts near -1.5 2^52 ln2, where the shifter's sum is a small double (of either sign) whose bits wrap
     * around: every term must be 0 or NaN (the row kernels decline NaN), never a garbage power of two.
     */
    @Test
    void shiftsWhereTheShiftersSumIsSmallGiveNoGarbage() {
        double centre = -Math.rint(0x1.8p52 / 0x1.71547652b82fep0);
        double[] x = new double[4001];
        for (int i = 0; i < x.length; i++) {
            x[i] = centre + (i - 2000);
        }
        double[] got = terms(x, 0.0);
        for (int i = 0; i < x.length; i++) {
            double t = got[2 * i] + got[2 * i + 1];
            assertTrue(t == 0.0 || Double.isNaN(t), "x = " + x[i] + ": " + t);
        }
    }

    @Test
    void theMaximumsTermIsExactlyOne() {
        double[] a = {0.0, -0.0, 1.5, -1e300, 1e300, 0x1p-1074};
        for (double ai : a) {
            double[] got = terms(new double[] {ai, ai}, ai);
            assertEquals(1.0, got[0]);
            assertEquals(0.0, got[1]);
        }
    }

    @Test
    void termsFarBelowTheRangeAreZeroAndNanStaysNan() {
        double[] got = terms(new double[] {-800.0, -1e10, Double.NaN, 0.0}, 0.0);
        assertEquals(0.0, got[0] + got[1]);
        assertEquals(0.0, got[2] + got[3]);
        assertTrue(Double.isNaN(got[4] + got[5]));
        assertEquals(1.0, got[6]);
        // -inf, or a shift beyond the shifter's range (|d| > 2^51 ln2): 0 or NaN (the row kernel declines a
        // NaN row; a 0 term is within the bound)
        double[] far = terms(new double[] {Double.NEGATIVE_INFINITY, -1e300}, 0.0);
        for (int i = 0; i < 2; i++) {
            double t = far[2 * i] + far[2 * i + 1];
            assertTrue(t == 0.0 || Double.isNaN(t), "term " + i + ": " + t);
        }
    }
}
