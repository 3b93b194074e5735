package org.xent;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.xent.DecisionsTest.i64;
import static org.xent.DecisionsTest.map;
import static org.xent.DecisionsTest.s;

import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@link Catalogue} at float16 and bfloat16: the double computation on the 16-bit values rounded once
 * to the dtype (or to float32 under output_dtype float32), float parameters given or default rounded to
 * the dtype, and output_dtype checked at step 1 of the precedence.
 */
class SixteenBitCatalogueTest {

    private static Tensor t(String dtype, int[] shape, double... v) {
        return Tensor.ofFloats(dtype, shape, v);
    }

    private static Map<String, Tensor> logits(String dtype) {
        return Map.of("x", t(dtype, s(3), 2, 1, 0x1.998p-4));
    }

    /** Each output is the dtype's rounding of the float64 call on the same (exact) values. */
    @ParameterizedTest
    @EnumSource(SixteenBit.class)
    void roundsTheDoubleResultOnce(SixteenBit f) {
        Tensor want = Catalogue.call("log_softmax", "float64", Map.of(), logits("float64"));
        Tensor got = Catalogue.call("log_softmax", f.dtype(), Map.of(), logits(f.dtype()));
        assertEquals(f.dtype(), got.dtype());
        for (int i = 0; i < 3; i++) {
            assertEquals(f.fromDouble(want.values()[i]), f.fromDouble(got.values()[i]));
            assertEquals(f.round(got.values()[i]), got.values()[i], "a value of the dtype");
        }
    }

    /** output_dtype float32: the same 16-bit inputs, the float64 result rounded once to float32. */
    @ParameterizedTest
    @EnumSource(SixteenBit.class)
    void mixedContractAnswersFloat32(SixteenBit f) {
        Tensor want = Catalogue.call("softmax", "float64", Map.of(), logits("float64"));
        Tensor got = Catalogue.call("softmax", f.dtype(), map("output_dtype", "float32"), logits(f.dtype()));
        assertEquals("float32", got.dtype());
        for (int i = 0; i < 3; i++) {
            assertEquals((float) want.values()[i], (float) got.values()[i]);
            assertEquals((double) (float) got.values()[i], got.values()[i], "a float32 value");
        }
        Tensor same = Catalogue.call("softmax", f.dtype(), map("output_dtype", "same"), logits(f.dtype()));
        assertEquals(f.dtype(), same.dtype());
    }

    /** output_dtype float32 needs 16-bit inputs; an unknown value is invalid: step 1, before the rank error. */
    @ParameterizedTest
    @ValueSource(strings = {"float64", "float32"})
    void mixedContractNeeds16BitInputs(String dtype) {
        Map<String, Tensor> rank0 = Map.of("x", t(dtype, s(), 1));
        XentException e = assertThrows(XentException.class,
                () -> Catalogue.call("logsumexp", dtype, map("output_dtype", "float32"), rank0));
        assertEquals(ErrorKind.INVALID_ARGUMENT, e.kind());
        e = assertThrows(XentException.class,
                () -> Catalogue.call("logsumexp", "float16", map("output_dtype", "float16"), Map.of("x", t("float16", s(), 1))));
        assertEquals(ErrorKind.INVALID_ARGUMENT, e.kind());
        assertThrows(IllegalArgumentException.class, () -> Catalogue.call("sigmoid", "float16",
                map("output_dtype", "float32"), Map.of("z", t("float16", s(), 1))), "sigmoid takes no output_dtype");
    }

    /** A float parameter is a value of the dtype: 0.49999 is float16's 0.5, outside BCE's [0, 0.5). */
    @ParameterizedTest
    @ValueSource(strings = {"float16", "bfloat16"})
    void floatParametersAreRoundedToTheDtype(String dtype) {
        Map<String, Tensor> in = Map.of("y", t(dtype, s(1), 1), "p", t(dtype, s(1), 0.5));
        Catalogue.call("binary_cross_entropy", "float64", map("epsilon", 0.49999), Map.of("y", t("float64", s(1), 1),
                "p", t("float64", s(1), 0.5)));
        XentException e = assertThrows(XentException.class,
                () -> Catalogue.call("binary_cross_entropy", dtype, map("epsilon", 0.49999), in));
        assertEquals(ErrorKind.INVALID_ARGUMENT, e.kind());
    }

    /** The default epsilon 1e-15 is 0 in float16 (below half its smallest subnormal): p = 0 gives inf. */
    @org.junit.jupiter.api.Test
    void defaultParametersAreRoundedToTheDtype() {
        Map<String, Tensor> in = Map.of("probs", t("float16", s(1, 2), 0, 1), "target", i64(s(1), 0));
        Tensor got = Catalogue.call("nll_from_probs", "float16", Map.of(), in);
        assertArrayEquals(new double[] {Double.POSITIVE_INFINITY}, got.values());
    }
}
