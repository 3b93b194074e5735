package org.xent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@link CertifiedSoftmaxRow}: a row it accepts is within a quarter of the row's {@code accurate}
 * tolerance u (2 L + 4 kappa) of the exact path's -log softmax_y ({@link Row}), the rows of the
 * benchmark's kind are all accepted (the fast path is really taken), and the rows it must decline (a
 * non-finite logit, a loss far below its summation error) come back null; the public entry point gives
 * the exact path's value for both kinds.
 */
class CertifiedSoftmaxRowTest {
    private static final double U = 0x1p-53;

    /** The row's kappa = sum_i |p_i - [i = y]| |x_i| (in double: it only scales the bound). */
    private static double kappa(Row r, double[] x, int off, int c, int y) {
        double kappa = 0.0;
        for (int i = 0; i < c; i++) {
            kappa += Math.abs(r.prob(i).value() - (i == y ? 1.0 : 0.0)) * Math.abs(x[off + i]);
        }
        return kappa;
    }

    private static void assertWithinAQuarterOfTheTolerance(DoubleDouble got, double[] x, int off, int c, int y) {
        Row r = new Row(c);
        r.load(x, off, 1);
        ExtendedDouble want = r.nllX(y);
        double kappa = kappa(r, x, off, c, y);
        double err = Math.abs(ExtendedDouble.of(got).add(want.mul(ExtendedDouble.of(-1.0))).value());
        double quarter = 0.25 * U * (2.0 * want.value() + 4.0 * kappa);
        assertTrue(err <= quarter, "row at " + off + ": error " + err + " > T/4 = " + quarter);
    }

    @ParameterizedTest
    @CsvSource({"1000, 2.0", "1000, 0.01", "1000, 30.0", "7, 1.0", "2, 0.5", "33, 300.0", "4096, 1.0", "1, 1.0",
            "100, 1e-20", "50, 1e12"})
    void acceptedRowsAreWithinAQuarterOfTheirTolerance(int c, double scale) {
        Random rnd = new Random(c * 31L + Double.hashCode(scale));
        int rows = 64;
        double[] x = new double[rows * c];
        for (int i = 0; i < x.length; i++) {
            x[i] = scale * rnd.nextGaussian() + (i % 3 == 0 ? 0.0 : 5.0);
        }
        CertifiedSoftmaxRow kernel = new CertifiedSoftmaxRow(c);
        int accepted = 0;
        for (int n = 0; n < rows; n++) {
            int y = rnd.nextInt(c);
            DoubleDouble got = kernel.nll(x, n * c, y);
            if (got != null) {
                accepted++;
                assertWithinAQuarterOfTheTolerance(got, x, n * c, c, y);
            }
        }
        assertTrue(accepted > 0, "no row accepted");
    }

    @Test
    void theBenchmarksRowsAreAllAccepted() {
        int c = 1000;
        Random rnd = new Random(20240607L);
        double[] x = new double[c];
        CertifiedSoftmaxRow kernel = new CertifiedSoftmaxRow(c);
        for (int n = 0; n < 200; n++) {
            for (int i = 0; i < c; i++) {
                x[i] = 2.0 * rnd.nextGaussian();
            }
            int y = rnd.nextInt(c);
            DoubleDouble got = kernel.nll(x, 0, y);
            assertNotNull(got, "row " + n);
            assertWithinAQuarterOfTheTolerance(got, x, 0, c, y);
        }
    }

    @Test
    void tiesAndWideRowsAndTheTargetAtTheMaximum() {
        double[][] rows = {
            {3.0, 3.0, 1.0},          // two maxima: s counts the second one's 1
            {0.0, -800.0, -0.5, -2000.0}, // terms below 2^-1022.5 are 0
            {1e10, 1e10 - 1e6, 1e10},     // a term far below the range: 0
            {0.0, -4.682486076126019E15, -1.0}, // the exp kernel's shifter sum near 0 there: the term is 0
            {-5.0, -5.0, -5.0, -5.0},
        };
        for (double[] x : rows) {
            CertifiedSoftmaxRow kernel = new CertifiedSoftmaxRow(x.length);
            for (int y = 0; y < x.length; y++) {
                DoubleDouble got = kernel.nll(x, 0, y);
                assertNotNull(got, java.util.Arrays.toString(x) + " y = " + y);
                assertWithinAQuarterOfTheTolerance(got, x, 0, x.length, y);
            }
        }
    }

    @Test
    void declinesNonFiniteRowsAndLossesBelowTheirSummationError() {
        double inf = Double.POSITIVE_INFINITY;
        // NaN, +inf, -inf (a NaN term), a - x_i overflowing, a shift beyond the exp kernel's range reduction
        double[][] rows = {{0.0, Double.NaN, 1.0}, {Double.NaN, 0.0, 1.0}, {0.0, inf, 1.0}, {0.0, -inf, 1.0},
            {1e308, -1e308, 0.0}, {1e300, 1e300 - 1e285, 1e300}};
        for (double[] x : rows) {
            assertNull(new CertifiedSoftmaxRow(3).nll(x, 0, 0), java.util.Arrays.toString(x));
        }
        // L = log1p(e^-40) ~ 2^-57.7 with x_y = 0: its tolerance (u (2 L + 4 * 40 e^-40)) is below the grid sum's
        // a-priori error (about 2^-99): the exact path must take the row
        double[] tiny = {0.0, -40.0};
        assertNull(new CertifiedSoftmaxRow(2).nll(tiny, 0, 0));
        assertNotNull(new CertifiedSoftmaxRow(2).nll(tiny, 0, 1));
    }

    @Test
    void theEntryPointGivesTheExactPathsLossForAcceptedAndDeclinedRows() {
        // rows 0 and 2 are accepted, row 1 declined (tiny loss), row 3 has a -inf logit (declined), row 4 is ignored
        double[] x = {0.5, 2.0, -1.0, 0.0, -40.0, -40.0, 3.0, 1.0, 2.5, Double.NEGATIVE_INFINITY, 1.0, 0.0, 9.0, 9.0, 9.0};
        int[] shape = {5, 3};
        int[] target = {1, 0, 2, 1, -100};
        SoftmaxCrossEntropyOptions o = SoftmaxCrossEntropyOptions.defaults().weight(new double[] {0.5, 2.0, 1.0});
        double[] got = LogitLosses.softmaxCrossEntropyUnreduced(x, shape, target, o);
        double[] w = {0.5, 2.0, 1.0};
        for (int n = 0; n < 4; n++) {
            Row r = new Row(3);
            r.load(x, 3 * n, 1);
            double want = ExtendedDouble.of(w[target[n]]).mul(r.nllX(target[n])).value();
            // one rounding of a value within a quarter of the tolerance: the same double or a neighbour
            assertTrue(Math.abs(got[n] - want) <= Math.ulp(want), "row " + n + ": " + got[n] + " vs " + want);
        }
        assertEquals(0.0, got[4]);
        CertifiedSoftmaxRow kernel = new CertifiedSoftmaxRow(3);
        assertNotNull(kernel.nll(x, 0, 1));
        assertNull(kernel.nll(x, 3, 0));
        assertNotNull(kernel.nll(x, 6, 2));
        assertNull(kernel.nll(x, 9, 1));
    }
}
