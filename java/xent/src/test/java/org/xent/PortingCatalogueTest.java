package org.xent;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.xent.DecisionsTest.f64;
import static org.xent.DecisionsTest.i64;
import static org.xent.DecisionsTest.map;
import static org.xent.DecisionsTest.s;

import java.util.HashMap;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The issue-19 parameters through {@link Catalogue} as requests carry them: ignore_index null (no index
 * ignored) versus absent (-100), axis, log_target as a Boolean, and the error precedence of nll_loss,
 * kl_div and the axis functions (D1). Expected values are exact by the definitions (see
 * {@link LogProbabilityLossesTest}).
 */
class PortingCatalogueTest {
    private static Map<String, Object> params(Object... kv) {
        Map<String, Object> m = new HashMap<>(); // null values allowed: a parameter given as null
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], kv[i + 1]);
        }
        return m;
    }

    private static Tensor call(String fn, Map<String, Object> params, Map<String, Tensor> inputs) {
        return Catalogue.call(fn, "float64", params, inputs);
    }

    @Test
    void ignoreIndexNullIgnoresNothingAbsentIgnoresMinus100() {
        Tensor logp = f64(s(2, 2), -1, -2, -3, -4);
        Tensor target = i64(s(2), 1, -100);
        Map<String, Tensor> in = map("input", logp, "target", target);
        assertArrayEquals(new double[] {2, 0}, call("nll_loss", params("reduction", "none"), in).values());
        XentException e = assertThrows(XentException.class,
                () -> call("nll_loss", params("reduction", "none", "ignore_index", null), in));
        assertEquals(ErrorKind.INDEX_OUT_OF_RANGE, e.kind());
        Map<String, Tensor> sce = map("logits", f64(s(2, 2), 0, 0, 0, 0), "target", i64(s(2), 1, 1));
        double all = call("softmax_cross_entropy", params("ignore_index", null, "reduction", "sum"), sce).values()[0];
        double one = call("softmax_cross_entropy", params("ignore_index", 1L, "reduction", "sum"), sce).values()[0];
        assertEquals(2 * Math.log(2), all, Math.ulp(all));
        assertEquals(0.0, one);
        Tensor grad = call("softmax_cross_entropy_grad", params("ignore_index", null, "reduction", "sum"), sce);
        assertArrayEquals(new double[] {0.5, -0.5, 0.5, -0.5}, grad.values());
    }

    @Test
    void nllLossShapes() {
        Tensor vector = call("nll_loss", params("reduction", "none"), map("input", f64(s(3), -1, -2, -3), "target", i64(s(), 2)));
        assertArrayEquals(new int[0], vector.shape());
        assertArrayEquals(new double[] {3}, vector.values());
        Tensor kdim = call("nll_loss", params("reduction", "none"),
                map("input", f64(s(1, 2, 2), -1, -2, -3, -4), "target", i64(s(1, 2), 1, 0)));
        assertArrayEquals(new int[] {1, 2}, kdim.shape());
        assertArrayEquals(new double[] {3, 2}, kdim.values());
    }

    @Test
    void axisAndLogTarget() {
        Tensor x = f64(s(2, 2), 0, 0, 1, 1);
        Tensor lse = call("logsumexp", params("axis", 0L), map("x", x));
        assertArrayEquals(new int[] {2}, lse.shape());
        assertArrayEquals(AlongAxis.logsumexp(x.values(), x.shape(), 0), lse.values());
        Tensor sm = call("softmax", params(), map("x", x));
        assertArrayEquals(new double[] {0.5, 0.5, 0.5, 0.5}, sm.values());
        Tensor kl = call("kl_div", params("log_target", true, "reduction", "batchmean"),
                map("input", f64(s(2, 1), -1, -3), "target", f64(s(2, 1), 0, 0)));
        assertArrayEquals(new double[] {2}, kl.values()); // (1 + 3) / 2
        assertThrows(IllegalArgumentException.class, () -> call("kl_div", params("log_target", "true"),
                map("input", f64(s(1), 0), "target", f64(s(1), 1))));
    }

    static Stream<Arguments> precedence() {
        Tensor x23 = f64(s(2, 3), 0, 0, 0, 0, 0, 0);
        Tensor rank9 = f64(s(1, 1, 1, 1, 1, 1, 1, 1, 1), 0);
        return Stream.of(
                Arguments.of("axis range after rank", "softmax", params("axis", 5L), map("x", rank9), ErrorKind.INVALID_SHAPE),
                Arguments.of("axis out of range", "log_softmax", params("axis", -3L), map("x", x23), ErrorKind.INVALID_ARGUMENT),
                Arguments.of("axis beyond int", "logsumexp", params("axis", 1L << 40), map("x", x23), ErrorKind.INVALID_ARGUMENT),
                Arguments.of("empty axis", "logsumexp", params("axis", 1L), map("x", f64(s(2, 0))), ErrorKind.INVALID_SHAPE),
                Arguments.of("nll reduction first", "nll_loss", params("reduction", "batchmean"),
                        map("input", f64(s(), 0), "target", i64(s(), 0)), ErrorKind.INVALID_ARGUMENT),
                Arguments.of("nll rank 0", "nll_loss", params(), map("input", f64(s(), 0), "target", i64(s(), 0)),
                        ErrorKind.INVALID_SHAPE),
                Arguments.of("nll C = 0 before target shape", "nll_loss", params(),
                        map("input", f64(s(2, 0)), "target", i64(s(1), 0)), ErrorKind.INVALID_SHAPE),
                Arguments.of("nll target shape before weight value", "nll_loss", params("weight", f64(s(3), -1, 1, 1)),
                        map("input", x23, "target", i64(s(3), 0, 0, 0)), ErrorKind.SHAPE_MISMATCH),
                Arguments.of("nll weight shape", "nll_loss", params("weight", f64(s(2), 1, 1)),
                        map("input", x23, "target", i64(s(2), 0, 0)), ErrorKind.SHAPE_MISMATCH),
                Arguments.of("nll weight value before index", "nll_loss", params("weight", f64(s(3), Double.NaN, 1, 1)),
                        map("input", x23, "target", i64(s(2), 0, 7)), ErrorKind.INVALID_ARGUMENT),
                Arguments.of("nll index beyond int", "nll_loss", params(), map("input", x23, "target", i64(s(2), 0, 1L << 40)),
                        ErrorKind.INDEX_OUT_OF_RANGE),
                Arguments.of("kl reduction first", "kl_div", params("reduction", "avg"), map("input", rank9, "target", x23),
                        ErrorKind.INVALID_ARGUMENT),
                Arguments.of("kl rank before mismatch", "kl_div", params(), map("input", x23, "target", rank9),
                        ErrorKind.INVALID_SHAPE),
                Arguments.of("kl mismatch", "kl_div", params(), map("input", x23, "target", f64(s(3, 2), 0, 0, 0, 0, 0, 0)),
                        ErrorKind.SHAPE_MISMATCH));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("precedence")
    void errorPrecedence(String name, String fn, Map<String, Object> params, Map<String, Tensor> inputs, ErrorKind kind) {
        XentException e = assertThrows(XentException.class, () -> call(fn, params, inputs));
        assertEquals(kind, e.kind(), e.getMessage());
    }
}
