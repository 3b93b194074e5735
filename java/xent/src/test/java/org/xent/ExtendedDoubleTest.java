package org.xent;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** {@link ExtendedDouble}: a pair whose high part cancelled keeps its exponent (log_softmax_grad vectors 1103, 1107). */
class ExtendedDoubleTest {
    @ParameterizedTest
    @CsvSource({"0, 0x1p-80, 5, 0x1p-75", "0x1p-60, -0x1p-52, 10, -0x1.fep-43", "0, -0x1.8p-1000, -20, -0x1.8p-1020"})
    void aPairWithACancelledHighPartKeepsItsExponent(String hi, String lo, int e, String want) {
        assertEquals(parse(want),
                ExtendedDouble.of(parse(hi), parse(lo), e).value());
    }

    @ParameterizedTest
    @CsvSource({"0x1p+0, -0x1p+0, 0x1p-70"})
    void aSumThatCancelsKeepsTheRemainder(String a, String b, String rest) {
        ExtendedDouble x = ExtendedDouble.of(parse(a), parse(rest), 3).add(ExtendedDouble.of(parse(b), 0.0, 3));
        assertEquals(parse(rest) * 8, x.value());
    }

    private static double parse(String s) {
        return "0".equals(s) ? 0.0 : Double.parseDouble(s);
    }
}
