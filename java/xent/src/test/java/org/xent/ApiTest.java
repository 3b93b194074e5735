package org.xent;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Tests of the typed API that need no golden value: error kinds and messages, the special values the
 * spec defines exactly, identities between functions, and float32 = double rounded once.
 * Numeric accuracy is judged against the golden vectors in {@link VectorsTest}.
 */
class ApiTest {

    private static void assertKind(ErrorKind kind, Runnable r) {
        XentException e = assertThrows(XentException.class, r::run);
        assertEquals(kind, e.kind(), e.getMessage());
        assertTrue(e.getMessage() != null && !e.getMessage().isEmpty());
    }

    private static double relErr(double got, double want) {
        return Math.abs(got - want) / Math.abs(want);
    }

    // ------------------------------------------------------------ seed entry points

    @Test
    void seedSoftmaxIsADistribution() {
        double[] p = CrossEntropy.softmax(new double[] {2.0, 1.0, 0.1});
        double s = 0;
        for (double v : p) {
            assertTrue(v > 0 && v < 1);
            s += v;
        }
        assertEquals(1.0, s, 4 * Math.ulp(1.0));
        assertTrue(p[0] > p[1] && p[1] > p[2]);
    }

    @Test
    void seedCrossEntropyLossIsMinusLogOfTheTargetProbability() {
        double[] p = {0.7, 0.2, 0.1};
        assertEquals(-Math.log(0.7), CrossEntropy.crossEntropyLoss(p, 0), 2 * Math.ulp(-Math.log(0.7)));
        // the clamp: -log(max(0, 1e-15))
        assertEquals(-Math.log(1e-15), CrossEntropy.crossEntropyLoss(new double[] {1.0, 0.0}, 1),
                2 * Math.ulp(-Math.log(1e-15)));
    }

    @Test
    void seedExampleAgreesWithSoftmaxCrossEntropy() {
        double[] logits = {2.0, 1.0, 0.1};
        double viaProbs = CrossEntropy.crossEntropyLoss(CrossEntropy.softmax(logits), 0);
        double fromLogits = LogitLosses.softmaxCrossEntropy(new double[][] {logits}, new int[] {0}, Reduction.MEAN);
        assertTrue(relErr(viaProbs, fromLogits) < 1e-15, viaProbs + " vs " + fromLogits);
        assertEquals(fromLogits, Primitives.logsumexp(logits) - 2.0, 4 * Math.ulp(fromLogits));
    }

    @Test
    void seedEntryPointsRejectBadInput() {
        assertKind(ErrorKind.INVALID_SHAPE, () -> Primitives.softmax(new double[0]));
        assertKind(ErrorKind.INVALID_ARGUMENT, () -> Primitives.softmax((double[]) null));
        assertKind(ErrorKind.INDEX_OUT_OF_RANGE, () -> CrossEntropy.crossEntropyLoss(new double[] {0.5, 0.5}, 2));
        assertKind(ErrorKind.INDEX_OUT_OF_RANGE, () -> CrossEntropy.crossEntropyLoss(new double[] {0.5, 0.5}, -1));
        assertKind(ErrorKind.INVALID_PROBABILITY, () -> CrossEntropy.crossEntropyLoss(new double[] {1.5, 0.5}, 0));
        assertKind(ErrorKind.INVALID_SHAPE, () -> CrossEntropy.crossEntropyLoss(new double[0], 0));
    }

    // ------------------------------------------------------------ special values (exact by the spec)

    @Test
    void softmaxSpecialValues() {
        double inf = Double.POSITIVE_INFINITY;
        assertArrayEquals(new double[] {0, 1, 0}, Primitives.softmax(new double[] {1, inf, -inf}));
        double[] masked = Primitives.softmax(new double[] {-inf, 0, 0});
        assertEquals(0.0, masked[0]);
        assertEquals(0.5, masked[1]);
        for (double[] x : new double[][] {{inf, inf}, {-inf, -inf}, {0, Double.NaN}}) {
            for (double v : Primitives.softmax(x)) {
                assertTrue(Double.isNaN(v));
            }
        }
        assertArrayEquals(new double[] {1.0}, Primitives.softmax(new double[] {-3.25}));
    }

    @Test
    void logSoftmaxAndLogsumexpSpecialValues() {
        double inf = Double.POSITIVE_INFINITY;
        assertArrayEquals(new double[] {-inf, 0.0, -inf}, Primitives.logSoftmax(new double[] {1, inf, 2}), 0.0);
        assertEquals(-inf, Primitives.logSoftmax(new double[] {-inf, 0})[0]);
        assertEquals(inf, Primitives.logsumexp(new double[] {inf, -inf}));
        assertEquals(-inf, Primitives.logsumexp(new double[] {-inf, -inf}));
        assertTrue(Double.isNaN(Primitives.logsumexp(new double[] {inf, Double.NaN})));
        assertEquals(7.5, Primitives.logsumexp(new double[] {7.5}));
        assertEquals(0.0, Primitives.logSoftmax(new double[] {7.5})[0], 0.0);
    }

    @Test
    void dominantLogitKeepsItsTinyLoss() {
        // CE([50, 0], 0) = log1p(exp(-50)) > 0; the max-shift form returns exactly 0.
        double ce = LogitLosses.softmaxCrossEntropy(new double[][] {{50, 0}}, new int[] {0}, Reduction.SUM);
        assertTrue(ce > 0);
        assertTrue(relErr(ce, Math.exp(-50)) < 1e-15);
        assertTrue(Primitives.logSoftmax(new double[] {50, 0})[0] < 0);
    }

    @Test
    void logisticSpecialValues() {
        double inf = Double.POSITIVE_INFINITY;
        assertEquals(1.0, Primitives.sigmoid(inf));
        assertEquals(0.0, Primitives.sigmoid(-inf));
        assertEquals(0.5, Primitives.sigmoid(0.0));
        assertEquals(inf, Primitives.softplus(inf));
        assertEquals(0.0, Primitives.softplus(-inf));
        assertEquals(0.0, Primitives.logSigmoid(inf), 0.0); // -0 by the spec; +0 and -0 compare equal
        assertEquals(-inf, Primitives.logSigmoid(-inf));
        assertTrue(Double.isNaN(Primitives.sigmoid(Double.NaN)));
        assertEquals(0, Primitives.sigmoid(new double[0]).length);
    }

    @Test
    void informationSpecialValues() {
        assertEquals(0.0, Information.entropy(new double[] {0, 1, 0}));
        double[] p = {0.2, 0.3, 0.5};
        assertEquals(0.0, Information.klDivergence(p, p));
        assertEquals(Double.POSITIVE_INFINITY, Information.crossEntropy(new double[] {0.5, 0.5}, new double[] {1, 0}));
        assertEquals(Double.POSITIVE_INFINITY, Information.klDivergence(new double[] {0.5, 0.5}, new double[] {1, 0}));
        // terms with p_i = 0 contribute 0 whatever q_i
        assertEquals(0.0, Information.crossEntropy(new double[] {0, 1}, new double[] {0, 1}));
    }

    @Test
    void informationIdentities() {
        Random rnd = new Random(7);
        for (int t = 0; t < 200; t++) {
            int n = 2 + rnd.nextInt(20);
            double[] p = dist(rnd, n);
            double[] q = dist(rnd, n);
            double h = Information.entropy(p);
            double hpq = Information.crossEntropy(p, q);
            double kl = Information.klDivergence(p, q);
            assertTrue(kl >= -1e-15);
            assertEquals(hpq, h + kl, 1e-13 * hpq);
            assertEquals(h / Math.log(2), Information.entropy(p, LogBase.TWO), 1e-14 * h);
        }
    }

    private static double[] dist(Random rnd, int n) {
        double[] p = new double[n];
        double s = 0;
        for (int i = 0; i < n; i++) {
            p[i] = rnd.nextDouble() + 1e-3;
            s += p[i];
        }
        for (int i = 0; i < n; i++) {
            p[i] /= s;
        }
        return p;
    }

    // ------------------------------------------------------------ losses

    @Test
    void softmaxCrossEntropyIgnoreIndexAndWeights() {
        double[] logits = {1, 2, 3, 0.5, -1, 2};
        int[] shape = {2, 3};
        SoftmaxCrossEntropyOptions o = new SoftmaxCrossEntropyOptions().ignoreIndex(7);
        double[] per = LogitLosses.softmaxCrossEntropyUnreduced(logits, shape, new int[] {2, 7}, o);
        assertEquals(0.0, per[1]);
        assertEquals(per[0], LogitLosses.softmaxCrossEntropy(logits, shape, new int[] {2, 7}, o, Reduction.MEAN));
        // all ignored: 0 / 0
        assertTrue(Double.isNaN(LogitLosses.softmaxCrossEntropy(logits, shape, new int[] {7, 7}, o, Reduction.MEAN)));
        assertEquals(0.0, LogitLosses.softmaxCrossEntropy(logits, shape, new int[] {7, 7}, o, Reduction.SUM));
        // weighted mean divides by the sum of the target weights
        SoftmaxCrossEntropyOptions w = new SoftmaxCrossEntropyOptions().weight(new double[] {1, 2, 4});
        double[] pw = LogitLosses.softmaxCrossEntropyUnreduced(logits, shape, new int[] {2, 1}, w);
        double mean = LogitLosses.softmaxCrossEntropy(logits, shape, new int[] {2, 1}, w, Reduction.MEAN);
        assertEquals((pw[0] + pw[1]) / 6.0, mean, 4 * Math.ulp(mean));
    }

    @Test
    void labelSmoothingOneHotTargetsMatchIndexTargets() {
        double[] logits = {1, 2, 3, 0.5, -1, 2};
        int[] shape = {2, 3};
        double[] onehot = {0, 0, 1, 1, 0, 0};
        for (LabelSmoothingMode m : LabelSmoothingMode.values()) {
            SoftmaxCrossEntropyOptions o = new SoftmaxCrossEntropyOptions().labelSmoothing(0.1).labelSmoothingMode(m);
            double a = LogitLosses.softmaxCrossEntropy(logits, shape, new int[] {2, 0}, o, Reduction.SUM);
            double b = LogitLosses.softmaxCrossEntropy(logits, shape, onehot, o, Reduction.SUM);
            assertEquals(a, b, 4 * Math.ulp(a), m.toString());
        }
    }

    @Test
    void gradientMatchesFiniteDifferences() {
        double[] logits = {0.3, -1.2, 2.0, 0.7, 0.1, -0.4};
        int[] shape = {2, 3};
        int[] target = {2, 1};
        SoftmaxCrossEntropyOptions o = new SoftmaxCrossEntropyOptions().labelSmoothing(0.2).weight(new double[] {1, 0.5, 2});
        double[] g = Gradients.softmaxCrossEntropyGrad(logits, shape, target, o, Reduction.MEAN);
        double h = 1e-6;
        for (int i = 0; i < logits.length; i++) {
            double[] up = logits.clone();
            double[] dn = logits.clone();
            up[i] += h;
            dn[i] -= h;
            double fd = (LogitLosses.softmaxCrossEntropy(up, shape, target, o, Reduction.MEAN)
                    - LogitLosses.softmaxCrossEntropy(dn, shape, target, o, Reduction.MEAN)) / (2 * h);
            assertEquals(fd, g[i], 1e-8, "d/dx" + i);
        }
        double[] z = {-2.0, 0.3, 4.0};
        double[] y = {0.0, 0.4, 1.0};
        double[] gb = Gradients.binaryCrossEntropyWithLogitsGrad(z, new int[] {3}, y, null, new double[] {2.0, 0.5, 3.0},
                Reduction.SUM);
        for (int i = 0; i < z.length; i++) {
            double[] up = z.clone();
            double[] dn = z.clone();
            up[i] += h;
            dn[i] -= h;
            double fd = (LogitLosses.binaryCrossEntropyWithLogits(up, new int[] {3}, y, null, new double[] {2.0, 0.5, 3.0}, Reduction.SUM)
                    - LogitLosses.binaryCrossEntropyWithLogits(dn, new int[] {3}, y, null, new double[] {2.0, 0.5, 3.0}, Reduction.SUM))
                    / (2 * h);
            assertEquals(fd, gb[i], 1e-8, "d/dz" + i);
        }
    }

    @Test
    void bceWithLogitsLimits() {
        double inf = Double.POSITIVE_INFINITY;
        double[] l = LogitLosses.binaryCrossEntropyWithLogitsUnreduced(new double[] {inf, inf, -inf, -inf},
                new int[] {4}, new double[] {1, 0, 0, 1}, null, null);
        assertArrayEquals(new double[] {0, inf, 0, inf}, l);
        assertTrue(Double.isNaN(LogitLosses.binaryCrossEntropyWithLogits(new double[0], new int[] {0}, new double[0],
                null, null, Reduction.MEAN)));
    }

    @Test
    void focalLossWithGammaZeroIsCrossEntropy() {
        double[] logits = {1, 2, 3, 0.5, -1, 2};
        int[] shape = {2, 3};
        int[] t = {0, 2};
        double fl = LogitLosses.focalLoss(logits, shape, t, 0.0, null, Reduction.MEAN);
        double ce = LogitLosses.softmaxCrossEntropy(logits, shape, t, SoftmaxCrossEntropyOptions.defaults(), Reduction.MEAN);
        assertEquals(ce, fl, 2 * Math.ulp(ce));
    }

    @Test
    void reductionNoneIsRejectedByTheScalarForm() {
        assertKind(ErrorKind.INVALID_ARGUMENT, () -> ProbabilityLosses.binaryCrossEntropy(new double[] {1}, new double[] {0.5},
                1e-15, Reduction.NONE));
        assertKind(ErrorKind.INVALID_ARGUMENT, () -> Reduction.fromSpec("avg"));
        assertKind(ErrorKind.INVALID_ARGUMENT, () -> LogBase.fromSpec("10"));
    }

    // ------------------------------------------------------------ errors of each kind

    @Test
    void errorKinds() {
        int[] s23 = {2, 3};
        double[] l6 = new double[6];
        SoftmaxCrossEntropyOptions d = SoftmaxCrossEntropyOptions.defaults();
        assertKind(ErrorKind.INVALID_SHAPE, () -> LogitLosses.softmaxCrossEntropy(new double[3], new int[] {3}, new int[3], d, Reduction.MEAN));
        assertKind(ErrorKind.INVALID_SHAPE, () -> LogitLosses.softmaxCrossEntropy(new double[0], new int[] {2, 0}, new int[2], d, Reduction.MEAN));
        assertKind(ErrorKind.SHAPE_MISMATCH, () -> LogitLosses.softmaxCrossEntropy(l6, s23, new int[3], d, Reduction.MEAN));
        assertKind(ErrorKind.SHAPE_MISMATCH, () -> LogitLosses.softmaxCrossEntropy(l6, s23, new int[2],
                new SoftmaxCrossEntropyOptions().weight(new double[2]), Reduction.MEAN));
        assertKind(ErrorKind.INDEX_OUT_OF_RANGE, () -> LogitLosses.softmaxCrossEntropy(l6, s23, new int[] {0, 3}, d, Reduction.MEAN));
        assertKind(ErrorKind.INVALID_PROBABILITY, () -> LogitLosses.softmaxCrossEntropy(l6, s23,
                new double[] {0, 0, 1, 0, 0, -0.5}, d, Reduction.MEAN));
        assertKind(ErrorKind.INVALID_ARGUMENT, () -> LogitLosses.softmaxCrossEntropy(l6, s23, new int[2],
                new SoftmaxCrossEntropyOptions().labelSmoothing(-0.1), Reduction.MEAN));
        assertKind(ErrorKind.INVALID_ARGUMENT, () -> LogitLosses.softmaxCrossEntropy(l6, s23, new int[2],
                new SoftmaxCrossEntropyOptions().weight(new double[] {1, -1, 1}), Reduction.MEAN));
        assertKind(ErrorKind.INVALID_ARGUMENT, () -> LogitLosses.softmaxCrossEntropy(new double[2], new int[] {2, 1}, new int[2],
                new SoftmaxCrossEntropyOptions().labelSmoothing(0.1).labelSmoothingMode(LabelSmoothingMode.OFF_TARGET),
                Reduction.MEAN));
        assertKind(ErrorKind.INVALID_ARGUMENT, () -> ProbabilityLosses.binaryCrossEntropy(new double[] {1}, new double[] {0.5}, 0.5, Reduction.MEAN));
        assertKind(ErrorKind.INVALID_PROBABILITY, () -> ProbabilityLosses.binaryCrossEntropy(new double[] {Double.NaN}, new double[] {0.5}, 0, Reduction.MEAN));
        assertKind(ErrorKind.SHAPE_MISMATCH, () -> Information.crossEntropy(new double[] {1}, new double[] {0.5, 0.5}));
        assertKind(ErrorKind.INVALID_ARGUMENT, () -> Information.crossEntropy(new double[] {1}, new double[] {1}, LogBase.E, 2));
        assertKind(ErrorKind.INVALID_ARGUMENT, () -> LogitLosses.focalLoss(l6, s23, new int[2], -1, null, Reduction.MEAN));
        assertKind(ErrorKind.SHAPE_MISMATCH, () -> LogitLosses.focalLoss(l6, s23, new int[2], 2, new double[2], Reduction.MEAN));
        assertKind(ErrorKind.INVALID_ARGUMENT, () -> LogitLosses.sigmoidFocalLoss(new double[1], new int[] {1}, new double[1], -1.0, 2, Reduction.SUM));
        assertKind(ErrorKind.SHAPE_MISMATCH, () -> LogitLosses.binaryCrossEntropyWithLogits(l6, s23, new double[6],
                new double[2], null, Reduction.MEAN));
        assertKind(ErrorKind.INVALID_SHAPE, () -> LogitLosses.binaryCrossEntropyWithLogits(new double[1], new int[0], new double[1],
                null, null, Reduction.MEAN));
        assertKind(ErrorKind.INVALID_PROBABILITY, () -> Gradients.sigmoidMseGrad(new double[] {0}, new double[] {2}));
        assertKind(ErrorKind.INVALID_SHAPE, () -> LogitLosses.focalLoss(new double[][] {{1, 2}, {3}}, new int[2], 2, null, Reduction.MEAN));
    }

    @Test
    void catalogueChecksShapesTheFlatApiCannotSee() {
        Tensor z = Tensor.ofFloats("float64", new int[] {2, 3}, new double[6]);
        Tensor y = Tensor.ofFloats("float64", new int[] {3, 2}, new double[6]);
        XentException e = assertThrows(XentException.class,
                () -> Catalogue.call("sigmoid_mse_grad", "float64", Map.of(), Map.of("z", z, "y", y)));
        assertEquals(ErrorKind.SHAPE_MISMATCH, e.kind());
        assertThrows(IllegalArgumentException.class, () -> Catalogue.call("nope", "float64", Map.of(), Map.of()));
        assertThrows(IllegalArgumentException.class, () -> Catalogue.call("softmax", "float16", Map.of(), Map.of()));
        assertThrows(IllegalArgumentException.class, () -> Catalogue.call("softmax", "float64", Map.of(), Map.of()));
    }

    // ------------------------------------------------------------ float32 = double evaluation rounded once

    @ParameterizedTest
    @ValueSource(longs = {1, 2, 3})
    void float32IsTheDoubleResultRoundedOnce(long seed) {
        Random rnd = new Random(seed);
        for (int t = 0; t < 50; t++) {
            int n = 1 + rnd.nextInt(30);
            float[] xf = new float[n];
            double[] xd = new double[n];
            for (int i = 0; i < n; i++) {
                xf[i] = (float) (rnd.nextGaussian() * 10);
                xd[i] = xf[i];
            }
            assertEquals((float) Primitives.logsumexp(xd), Primitives.logsumexp(xf));
            float[] sf = Primitives.softmax(xf);
            double[] sd = Primitives.softmax(xd);
            float[] lf = Primitives.logSoftmax(xf);
            double[] ld = Primitives.logSoftmax(xd);
            for (int i = 0; i < n; i++) {
                assertEquals((float) sd[i], sf[i]);
                assertEquals((float) ld[i], lf[i]);
                assertEquals((float) Primitives.softplus(xd[i]), Primitives.softplus(xf[i]));
            }
        }
    }

    @Test
    void catalogueDeclaresEveryFunctionOfTheSpec() throws Exception {
        String spec = java.nio.file.Files.readString(Vectors.repoRoot().resolve("spec").resolve("xent.yaml"));
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("(?m)^  ([a-z_0-9]+):\\s*$").matcher(
                spec.substring(spec.indexOf("\nfunctions:")));
        java.util.Set<String> declared = new java.util.TreeSet<>();
        while (m.find()) {
            declared.add(m.group(1));
        }
        assertEquals(declared, new java.util.TreeSet<>(Catalogue.FUNCTIONS));
    }
}
