package org.xent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.xent.DecisionsTest.f64;
import static org.xent.DecisionsTest.fill;
import static org.xent.DecisionsTest.i64;
import static org.xent.DecisionsTest.map;
import static org.xent.DecisionsTest.s;

import java.nio.file.Files;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * What {@link Catalogue} checks before the spec's own checks: exact hex floats (D9), the request's
 * names, types, dtypes and data lengths (the adapter's bad_request, D7), and class indices that are
 * never wrapped into Java's int (D8).
 */
class CatalogueTest {

    // ------------------------------------------------------------ D9: hex floats are exact

    @ParameterizedTest
    @CsvSource({
        "0x1.8p+1, float64, 3.0",
        "0x1.8p1, float64, 3.0",
        "0x3, float64, 3.0",
        "-0x0p+0, float64, -0.0",
        "0x1.fffffffffffffp+1023, float64, 1.7976931348623157E308",
        "0x1p-1074, float64, 4.9E-324",
        "0x0.0000000000001p-1022, float64, 4.9E-324",
        "0x1.fffffep+127, float32, 3.4028234663852886E38",
        "0x1p-149, float32, 1.401298464324817E-45",
        "inf, float32, Infinity",
        "-inf, float64, -Infinity",
        "nan, float32, NaN",
        "0x1.ffcp+15, float16, 65504",
        "0x1p-24, float16, 0x1p-24",
        "0x0.004p-14, float16, 0x1p-24",
        "-0x1.554p-2, float16, -0x1.554p-2",
        "0x1.fep+127, bfloat16, 0x1.fep127",
        "0x1p-133, bfloat16, 0x1p-133",
        "inf, bfloat16, Infinity",
    })
    void exactHexFloatsParse(String text, String dtype, double want) {
        assertEquals(want, HexFloat.parse(text, dtype));
        assertEquals(Double.doubleToRawLongBits(want), Double.doubleToRawLongBits(HexFloat.parse(text, dtype)));
    }

    @ParameterizedTest
    @CsvSource({
        "0x1.0000000000000001p+0, float64",
        "0x1.0000000000000001p+0, float32",
        "0x1.000001p+0, float32",
        "0x1.fffffffffffff8p+0, float64",
        "0x1p-99999, float64",
        "0x1p-1075, float64",
        "0x1p-150, float32",
        "0x1.8p-149, float32",
        "0x1p+1024, float64",
        "0x1p+128, float32",
        "0x1p+99999999999999999999, float64",
        "0.5, float64",
        "1e3, float64",
        "0x, float64",
        "0x.p1, float64",
        "'', float64",
        "0x1p+0, float8",
        "0x1.002p+0, float16",  // 12 significant bits: float16 has 11
        "0x1p-25, float16",     // below the smallest subnormal 2^-24
        "0x1.8p-24, float16",
        "0x1p+16, float16",     // beyond 65504
        "0x1.01p+0, bfloat16",  // 9 significant bits: bfloat16 has 8
        "0x1p-134, bfloat16",   // below the smallest subnormal 2^-133
        "0x1p+128, bfloat16",
        "INF, float32",
        "+inf, float64",
        "Infinity, float64",
        "NaN, float32",
        "-nan, float64",
        "' 0x1p+0', float64",
        "'0x1p+0 ', float64",
    })
    void inexactOrMalformedHexFloatsAreRejected(String text, String dtype) {
        assertThrows(IllegalArgumentException.class, () -> HexFloat.parse(text, dtype));
    }

    @Test
    void hugeHexTextIsRejectedWithoutParsing() {
        assertThrows(IllegalArgumentException.class, () -> HexFloat.parse("0x1" + "0".repeat(5000) + "p+0", "float64"));
    }

    // ------------------------------------------------------------ D7: the request itself

    static Arguments bad(String why, String function, String dtype, Map<String, Object> params, Map<String, Tensor> inputs) {
        return Arguments.of(why, function, dtype, params, inputs);
    }

    static Stream<Arguments> badRequests() {
        Tensor x = f64(s(2), 0, 1);
        Tensor logits = fill(0, 1, 2);
        return Stream.of(
                bad("unknown function", "softmaxx", "float64", map(), map("x", x)),
                bad("unsupported dtype", "softmax", "float16", map(), map("x", x)),
                bad("unknown parameter", "softmax", "float64", map("dim", 1L), map("x", x)),
                bad("unknown input", "softmax", "float64", map(), map("x", x, "y", x)),
                bad("missing input", "sigmoid_mse_grad", "float64", map(), map("z", x)),
                bad("a float32 tensor in a float64 call", "softmax", "float64", map(),
                        map("x", Tensor.ofFloats("float32", s(2), new double[] {0, 1}))),
                bad("an int64 tensor for logits", "softmax", "float64", map(), map("x", i64(s(2), 0, 1))),
                bad("float class indices", "focal_loss", "float64", map(), map("logits", logits, "target", f64(s(1), 0))),
                bad("data shorter than the shape", "softmax", "float64", map(), map("x", f64(s(3), 0, 1))),
                bad("data longer than the shape", "softmax", "float64", map(), map("x", f64(s(1), 0, 1))),
                bad("a negative dimension", "softmax", "float64", map(), map("x", f64(s(-1), 0))),
                bad("reduction null", "softmax_cross_entropy", "float64", map("reduction", null),
                        map("logits", logits, "target", i64(s(1), 0))),
                bad("reduction as a number", "softmax_cross_entropy", "float64", map("reduction", 1L),
                        map("logits", logits, "target", i64(s(1), 0))),
                bad("ignore_index 1.5", "softmax_cross_entropy", "float64", map("ignore_index", 1.5),
                        map("logits", logits, "target", i64(s(1), 0))),
                bad("ignore_index as a string", "softmax_cross_entropy", "float64", map("ignore_index", "3"),
                        map("logits", logits, "target", i64(s(1), 0))),
                bad("focal_loss alpha as a scalar", "focal_loss", "float64", map("alpha", "0x1p-2"),
                        map("logits", logits, "target", i64(s(1), 0))),
                bad("gamma null", "focal_loss", "float64", map("gamma", null), map("logits", logits, "target", i64(s(1), 0))),
                bad("label_smoothing as a decimal string", "softmax_cross_entropy", "float64", map("label_smoothing", "0.1"),
                        map("logits", logits, "target", i64(s(1), 0))),
                bad("a weight of another dtype", "softmax_cross_entropy", "float64",
                        map("weight", Tensor.ofFloats("float32", s(2), new double[] {1, 1})),
                        map("logits", logits, "target", i64(s(1), 0))),
                bad("a weight whose data do not fill it", "binary_cross_entropy_with_logits", "float64",
                        map("weight", f64(s(3), 1, 1)), map("z", x, "y", x)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badRequests")
    void malformedRequestsAreIllegalArguments(String why, String function, String dtype, Map<String, Object> params,
                                              Map<String, Tensor> inputs) {
        assertThrows(IllegalArgumentException.class, () -> Catalogue.call(function, dtype, params, inputs), why);
        assertThrows(IllegalArgumentException.class, () -> Catalogue.validate(function, dtype, params, inputs), why);
    }

    /** Every function, input and parameter name of spec/xent.yaml is in {@link Catalogue#SIGNATURES}, in order, and no other. */
    @Test
    void signaturesNameWhatTheSpecNames() throws Exception {
        String spec = Files.readString(Vectors.repoRoot().resolve("spec").resolve("xent.yaml"));
        String[] lines = spec.substring(spec.indexOf("\nfunctions:") + 1).split("\n");
        Map<String, String> declared = new java.util.LinkedHashMap<>();
        String function = null;
        String section = null;
        Pattern top = Pattern.compile("^  ([a-z_0-9]+):\\s*$");
        Pattern key = Pattern.compile("^    (inputs|params):(.*)$");
        Pattern name = Pattern.compile("^      ([a-z_0-9]+):");
        for (String line : lines) {
            Matcher m;
            if ((m = top.matcher(line)).matches()) {
                function = m.group(1);
                section = null;
                declared.put(function + " inputs", "");
                declared.put(function + " params", "");
            } else if (function != null && (m = key.matcher(line)).matches()) {
                section = m.group(2).isBlank() ? function + " " + m.group(1) : null; // "params: {}" has none
            } else if (section != null && (m = name.matcher(line)).find()) {
                declared.merge(section, m.group(1), (a, b) -> a.isEmpty() ? b : a + "," + b);
            } else if (!line.startsWith("      ")) {
                section = null;
            }
        }
        Map<String, String> ours = new java.util.LinkedHashMap<>();
        Catalogue.SIGNATURES.forEach((f, sig) -> {
            ours.put(f + " inputs", String.join(",", sig.inputs().keySet()));
            ours.put(f + " params", String.join(",", sig.params().keySet()));
        });
        assertEquals(declared, ours);
    }

    // ------------------------------------------------------------ D8: class indices are never wrapped

    static Tensor sce(Object ignoreIndex, long... target) {
        Map<String, Object> params = ignoreIndex == null ? map("reduction", "sum") : map("ignore_index", ignoreIndex,
                "reduction", "sum");
        return Catalogue.call("softmax_cross_entropy", "float64", params,
                map("logits", fill(0, target.length, 2), "target", i64(s(target.length), target)));
    }

    @Test
    void ignoreIndexBeyondTheIntRangeIgnoresEqualTargets() {
        double one = sce(null, 0).values()[0]; // log 2
        assertEquals(one, sce(1L << 32, 0, 1L << 32).values()[0]);
        assertEquals(one, sce(Long.MIN_VALUE, 1, Long.MIN_VALUE).values()[0]);
        assertEquals(0.0, sce(Long.MAX_VALUE, Long.MAX_VALUE, Long.MAX_VALUE).values()[0]);
    }

    @ParameterizedTest
    @CsvSource({"-100, 4294967196", "0, 4294967296", "1, -4294967295", "-100, 9223372036854775807",
                "-100, -9223372036854775808", "2147483647, 4294967296"})
    void targetsBeyondTheIntRangeAreOutOfRangeNeverWrapped(long ignoreIndex, long target) {
        XentException e = assertThrows(XentException.class, () -> sce(ignoreIndex, 0, target));
        assertEquals(ErrorKind.INDEX_OUT_OF_RANGE, e.kind(), e.getMessage());
        assertTrue(e.getMessage().contains("= " + target), e.getMessage()); // the real value, not its stand-in
        XentException f = assertThrows(XentException.class, () -> Catalogue.call("nll_from_probs", "float64", map(),
                map("probs", fill(0.5, 2, 2), "target", i64(s(2), 0, target))));
        assertEquals(ErrorKind.INDEX_OUT_OF_RANGE, f.kind(), f.getMessage());
    }
}
