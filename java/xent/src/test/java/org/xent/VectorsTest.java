package org.xent;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.PrintWriter;
import java.math.BigDecimal;
import java.math.MathContext;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Library-mode conformance: every test of every vectors/*.json file, one JUnit test per tcId, judged at
 * the spec's {@code accurate} level with the per-output bound stored in the vector:
 * {@code |got - exact| <= bounds.accurate}, exact read as a BigDecimal; NaN and infinities compare
 * exactly; error tests check the exception's kind. The measured error per function (max ulp, and max
 * |err| / bound) is printed at the end and written to target/vector-errors.txt.
 */
class VectorsTest {
    /** function/dtype -> {max ulp, max err/bound, outputs}. */
    private static final Map<String, double[]> STATS = new TreeMap<>();
    /** function/dtype -> the tcId with the largest err/bound. */
    private static final Map<String, String> WORST = new TreeMap<>();

    /** One argument set per test of every vector file: (name, id, function, dtype, group params, test). */
    static Stream<Arguments> vectors() throws IOException {
        List<Path> files = Vectors.files();
        if (files.isEmpty()) {
            return Stream.of(Arguments.of("no vector files in " + Vectors.dir(), null, null, null, null, null));
        }
        List<Arguments> out = new ArrayList<>();
        for (Path f : files) {
            JsonNode root = Vectors.MAPPER.readTree(f.toFile());
            String function = root.get("function").asText();
            String dtype = root.get("dtype").asText();
            for (JsonNode group : root.get("testGroups")) {
                Map<String, Object> params = Vectors.params(group.get("params"));
                for (JsonNode t : group.get("tests")) {
                    int tcId = t.get("tcId").asInt();
                    String comment = t.path("comment").asText("");
                    String id = function + "/" + dtype + " tcId " + tcId;
                    out.add(Arguments.of(id + (comment.isEmpty() ? "" : ": " + comment), id, function, dtype, params, t));
                }
            }
        }
        return out.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("vectors")
    void goldenVector(String name, String id, String function, String dtype, Map<String, Object> params, JsonNode t) {
        Assumptions.assumeTrue(id != null, name);
        check(id, function, dtype, params, t);
    }

    static void check(String id, String function, String dtype, Map<String, Object> params, JsonNode t) {
        Map<String, Tensor> inputs = Vectors.inputs(t.get("inputs"));
        String result = t.get("result").asText();
        if ("error".equals(result)) {
            String kind = t.get("error").asText();
            XentException e = assertThrows(XentException.class,
                    () -> Catalogue.call(function, dtype, params, inputs),
                    id + ": expected error " + kind);
            assertEquals(kind, e.kind().specName(), id + ": error kind (message: " + e.getMessage() + ")");
            return;
        }
        Tensor got = Catalogue.call(function, dtype, params, inputs);
        Tensor expected = Vectors.tensor(t.get("expected"));
        assertArrayEquals(expected.shape(), got.shape(), id + ": output shape");
        assertEquals(expected.values().length, got.values().length, id + ": output size");
        JsonNode exact = t.get("exact");
        JsonNode bounds = t.get("bounds").get("accurate");
        assertEquals(expected.dtype(), got.dtype(), id + ": output dtype (float32 under output_dtype float32)");
        boolean f32 = !"float64".equals(got.dtype()); // 16-bit values are float32 values too
        SixteenBit half = SixteenBit.of(got.dtype());
        StringBuilder failures = new StringBuilder();
        double maxUlp = 0;
        double maxRatio = 0;
        for (int i = 0; i < got.values().length; i++) {
            double g = got.values()[i];
            double e = expected.values()[i];
            if (f32 && !Double.isNaN(g) && g != (double) (float) g) {
                failures.append(String.format("[%d] %s is not a float32 value%n", i, g));
                continue;
            }
            if (half != null && !Double.isNaN(g) && g != half.round(g)) {
                failures.append(String.format("[%d] %s is not a %s value%n", i, g, half.dtype()));
                continue;
            }
            if (Double.isNaN(e) || Double.isInfinite(e)) {
                boolean ok = Double.isNaN(e) ? Double.isNaN(g) : g == e;
                if (!ok) {
                    failures.append(String.format("[%d] got %s, expected %s%n", i, hex(g, f32), hex(e, f32)));
                }
                continue;
            }
            if (!Double.isFinite(g)) {
                failures.append(String.format("[%d] got %s, expected %s (exact %s)%n", i, hex(g, f32), hex(e, f32),
                        exact.get(i).asText()));
                continue;
            }
            BigDecimal ex = parseExact(exact.get(i).asText());
            double bound = Catalogue.parseFloat(bounds.get(i).asText());
            BigDecimal err = new BigDecimal(g).subtract(ex).abs();
            double ulp = half != null ? halfUlp(half, ex) : ulpOf(ex, e, f32);
            double errUlp = err.divide(new BigDecimal(ulp), MathContext.DECIMAL64).doubleValue();
            double ratio = bound > 0 ? err.doubleValue() / bound : (err.signum() == 0 ? 0 : Double.POSITIVE_INFINITY);
            if (ex.signum() != 0) {
                maxUlp = Math.max(maxUlp, errUlp);
            }
            maxRatio = Math.max(maxRatio, ratio);
            if (err.compareTo(new BigDecimal(bound)) > 0) {
                failures.append(String.format("[%d] got %s, expected %s, exact %s: error %.3g ulp, %.3g x the accurate bound %s%n",
                        i, hex(g, f32), hex(e, f32), exact.get(i).asText(), errUlp, ratio, bounds.get(i).asText()));
            }
        }
        record(function + " " + dtype, maxUlp, maxRatio, got.values().length, id);
        if (failures.length() > 0) {
            fail(id + ": outputs outside the accurate bound:\n" + failures);
        }
    }

    /**
     * The exact value as a BigDecimal. Exponents beyond BigDecimal's range (values astronomically far
     * below the smallest subnormal) are clamped to 1e-100000 in magnitude, which changes no comparison
     * with a bound of at least one subnormal.
     */
    static BigDecimal parseExact(String s) {
        int e = s.indexOf('e') >= 0 ? s.indexOf('e') : s.indexOf('E');
        if (e < 0) {
            return new BigDecimal(s);
        }
        java.math.BigInteger exp = new java.math.BigInteger(s.substring(e + 1).replace("+", ""));
        if (exp.compareTo(java.math.BigInteger.valueOf(-100000)) >= 0
                && exp.compareTo(java.math.BigInteger.valueOf(100000)) <= 0) {
            return new BigDecimal(s);
        }
        if (exp.signum() > 0) {
            throw new IllegalArgumentException("exact value beyond any float: " + s);
        }
        return new BigDecimal(s.substring(0, e)).scaleByPowerOfTen(-100000);
    }

    /** ulp of the exact value in the dtype (from the exponent of the exact value, not of its rounding). */
    static double ulpOf(BigDecimal exact, double expected, boolean f32) {
        double a = Math.abs(exact.doubleValue());
        if (a == 0) {
            return f32 ? Math.ulp(0f) : Math.ulp(0.0);
        }
        if (f32) {
            float fa = (float) a;
            if (new BigDecimal(fa).compareTo(exact.abs()) > 0 && Float.isFinite(fa)) {
                fa = Math.nextDown(fa);
            }
            return Float.isInfinite(fa) ? Math.ulp(Float.MAX_VALUE) : Math.ulp(fa);
        }
        if (Double.isInfinite(a)) {
            return Math.ulp(Double.MAX_VALUE);
        }
        if (new BigDecimal(a).compareTo(exact.abs()) > 0) {
            a = Math.nextDown(a);
        }
        return Math.ulp(a);
    }

    /** ulp of the exact value in a 16-bit dtype: 2^(max(floor(log2 |exact|), emin) - (precision - 1)). */
    static double halfUlp(SixteenBit half, BigDecimal exact) {
        double a = Math.abs(exact.doubleValue());
        int e = a == 0 ? half.minExponent() : Math.max(Math.getExponent(a), half.minExponent());
        return Math.scalb(1.0, Math.min(e, half.maxExponent()) - (half.precision() - 1));
    }

    static String hex(double v, boolean f32) {
        return Catalogue.formatFloat(v, f32);
    }

    private static synchronized void record(String key, double ulp, double ratio, int n, String id) {
        double[] s = STATS.computeIfAbsent(key, k -> new double[3]);
        if (ratio > s[1] || !WORST.containsKey(key)) {
            WORST.put(key, id.substring(id.indexOf(" tcId ") + 1));
        }
        s[0] = Math.max(s[0], ulp);
        s[1] = Math.max(s[1], ratio);
        s[2] += n;
    }

    @AfterAll
    static void report() throws IOException {
        if (STATS.isEmpty()) {
            return;
        }
        StringBuilder sb = new StringBuilder();
        sb.append(String.format("%-48s %14s %14s %9s  %s%n", "function dtype", "max ulp", "max err/bound", "outputs",
                "worst err/bound at"));
        for (Map.Entry<String, double[]> e : STATS.entrySet()) {
            double[] s = e.getValue();
            sb.append(String.format("%-48s %14.4g %14.4g %9d  %s%n", e.getKey(), s[0], s[1], (long) s[2],
                    WORST.get(e.getKey())));
        }
        System.out.print("Measured error against the golden vectors (valid tests, finite outputs):\n" + sb);
        Path target = Paths.get("target");
        if (Files.isDirectory(target)) {
            try (PrintWriter w = new PrintWriter(Files.newBufferedWriter(target.resolve("vector-errors.txt"),
                    StandardCharsets.UTF_8))) {
                w.print(sb);
            }
        }
    }
}
