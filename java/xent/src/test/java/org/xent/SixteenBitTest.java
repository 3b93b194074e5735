package org.xent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The 16-bit conversions over all 65536 bit patterns of both formats: decoding against fixed points and
 * the format's spacing, the round trip, the rounding of every midpoint between neighbours and of the
 * doubles just above and below it (a conversion through float32 rounds those twice and fails), and
 * random doubles against a nearest-value search in the table of all decoded values.
 */
class SixteenBitTest {

    /** The largest finite pattern of a format. */
    private static int maxBits(SixteenBit f) {
        return f == SixteenBit.FLOAT16 ? 0x7BFF : 0x7F7F;
    }

    /** The exponent of the format's ulp at a non-negative value v. */
    private static int ulpExponent(SixteenBit f, double v) {
        int e = v == 0 ? f.minExponent() : Math.max(Math.getExponent(v), f.minExponent());
        return e - (f.precision() - 1);
    }

    @ParameterizedTest
    @CsvSource({
        "FLOAT16, 0x3C00, 0x1p0", "FLOAT16, 0xC000, -0x1p1", "FLOAT16, 0x3555, 0x1.554p-2",
        "FLOAT16, 0x0001, 0x1p-24", "FLOAT16, 0x03FF, 0x1.ff8p-15", "FLOAT16, 0x0400, 0x1p-14",
        "FLOAT16, 0x7BFF, 0x1.ffcp15",
        "BFLOAT16, 0x3F80, 0x1p0", "BFLOAT16, 0xC000, -0x1p1", "BFLOAT16, 0x3EAB, 0x1.56p-2",
        "BFLOAT16, 0x0001, 0x1p-133", "BFLOAT16, 0x007F, 0x1.fcp-127", "BFLOAT16, 0x0080, 0x1p-126",
        "BFLOAT16, 0x7F7F, 0x1.fep127",
    })
    void decodesFixedPoints(SixteenBit f, String bits, String value) {
        short b = (short) Integer.parseInt(bits.substring(2), 16);
        assertEquals(Double.parseDouble(value), f.toDouble(b));
    }

    @ParameterizedTest
    @EnumSource(SixteenBit.class)
    void decodesSpecials(SixteenBit f) {
        int inf = maxBits(f) + 1;
        assertEquals(Double.POSITIVE_INFINITY, f.toDouble((short) inf));
        assertEquals(Double.NEGATIVE_INFINITY, f.toDouble((short) (inf | 0x8000)));
        assertEquals(Double.doubleToRawLongBits(-0.0), Double.doubleToRawLongBits(f.toDouble((short) 0x8000)));
        assertTrue(Double.isNaN(f.toDouble((short) (inf + 1))));
    }

    /** Every bfloat16 value is float32's upper half: an independent decoding. */
    @Test
    void bfloat16DecodesAsFloat32UpperHalf() {
        for (int b = 0; b <= 0xFFFF; b++) {
            double got = SixteenBit.BFLOAT16.toDouble((short) b);
            float want = Float.intBitsToFloat(b << 16);
            if (Float.isNaN(want) ? !Double.isNaN(got) : Double.compare(got, want) != 0) {
                fail(String.format("%#06x: got %s, want %s", b, Double.toHexString(got), Float.toHexString(want)));
            }
        }
    }

    /** Positive finite patterns decode to increasing values spaced by the format's ulp; negatives mirror them. */
    @ParameterizedTest
    @EnumSource(SixteenBit.class)
    void decodesWithTheFormatsSpacing(SixteenBit f) {
        for (int b = 0; b < maxBits(f); b++) {
            double v = f.toDouble((short) b);
            double next = f.toDouble((short) (b + 1));
            if (next - v != Math.scalb(1.0, ulpExponent(f, v))) {
                fail(String.format("%s %#06x: %s then %s", f, b, Double.toHexString(v), Double.toHexString(next)));
            }
            if (Double.compare(f.toDouble((short) (b | 0x8000)), -v) != 0) {
                fail(String.format("%s %#06x: the negative pattern is not -%s", f, b | 0x8000, v));
            }
        }
    }

    /** fromDouble(toDouble(b)) == b for every pattern; a signalling NaN comes back quiet, sign and payload kept. */
    @ParameterizedTest
    @EnumSource(SixteenBit.class)
    void roundTripsAllPatterns(SixteenBit f) {
        int quiet = 1 << (f.precision() - 2);
        for (int b = 0; b <= 0xFFFF; b++) {
            int want = f.isNaN((short) b) ? b | quiet : b;
            int got = f.fromDouble(f.toDouble((short) b)) & 0xFFFF;
            if (got != want) {
                fail(String.format("%s %#06x -> %s -> %#06x", f, b, f.toDouble((short) b), got));
            }
        }
    }

    /**
     * Between neighbours b and b + 1 (from 0 and the smallest subnormal to the largest finite value and
     * the overflow threshold above it) the midpoint rounds to the even pattern, the doubles just above and
     * just below it round up and down; likewise for the negatives.
     */
    @ParameterizedTest
    @EnumSource(SixteenBit.class)
    void roundsMidpointsToEven(SixteenBit f) {
        for (int b = 0; b <= maxBits(f); b++) {
            double lo = f.toDouble((short) b);
            double mid = lo + Math.scalb(1.0, ulpExponent(f, lo) - 1); // exact: one bit more than the format
            int even = b % 2 == 0 ? b : b + 1; // past the largest finite (odd) pattern: infinity
            for (int sign : new int[] {0, 0x8000}) {
                double s = sign == 0 ? 1 : -1;
                check(f, s * mid, sign | even);
                check(f, s * Math.nextUp(mid), sign | (b + 1));
                check(f, s * Math.nextDown(mid), sign | b);
            }
        }
    }

    private static void check(SixteenBit f, double v, int want) {
        int got = f.fromDouble(v) & 0xFFFF;
        if (got != want) {
            fail(String.format("%s: %s rounds to %#06x, want %#06x", f, Double.toHexString(v), got, want));
        }
    }

    @ParameterizedTest
    @CsvSource({
        "FLOAT16, 65520, 0x7C00",           // the overflow threshold: half an ulp above 65504
        "FLOAT16, 0x1.ffdffffffffffp15, 0x7BFF",
        "FLOAT16, -65520, 0xFC00",
        "FLOAT16, 1e300, 0x7C00",
        "FLOAT16, 0x1.fffffffffffffp1023, 0x7C00",
        "FLOAT16, -Infinity, 0xFC00",
        "FLOAT16, 4.9e-324, 0x0000",
        "FLOAT16, -4.9e-324, 0x8000",
        "FLOAT16, 0x1p-25, 0x0000",         // half the smallest subnormal ties to 0
        "FLOAT16, 0x1.8p-24, 0x0002",       // one and a half ties to 2
        "BFLOAT16, 0x1.ffp127, 0x7F80",     // (2 - 2^-8) 2^127: bfloat16's overflow threshold
        "BFLOAT16, 0x1.fffffep127, 0x7F80", // float32's largest value
        "BFLOAT16, 0x1.fefffffffffffp127, 0x7F7F",
    })
    void overflowsAndUnderflows(SixteenBit f, double v, String bits) {
        assertEquals(Integer.parseInt(bits.substring(2), 16), f.fromDouble(v) & 0xFFFF);
    }

    @ParameterizedTest
    @EnumSource(SixteenBit.class)
    void keepsNaNsQuietWithTheirSign(SixteenBit f) {
        for (long raw : new long[] {0x7FF8000000000000L, 0x7FF0000000000001L, 0xFFF8000000000000L}) {
            short b = f.fromDouble(Double.longBitsToDouble(raw));
            assertTrue(f.isNaN(b), Long.toHexString(raw));
            assertTrue((b & (1 << (f.precision() - 2))) != 0, "quiet bit");
            assertEquals(raw < 0, b < 0, "sign");
            assertTrue(Double.isNaN(f.toDouble(b)));
        }
        assertFalse(f.isNaN((short) (maxBits(f) + 1)));
    }

    /** Random doubles (all exponents, and the format's range densely) against the nearest table value. */
    @ParameterizedTest
    @EnumSource(SixteenBit.class)
    void roundsRandomDoublesToTheNearestValue(SixteenBit f) {
        double[] table = new double[maxBits(f) + 1];
        for (int b = 0; b < table.length; b++) {
            table[b] = f.toDouble((short) b);
        }
        double overflow = table[table.length - 1] + Math.scalb(1.0, ulpExponent(f, table[table.length - 1]) - 1);
        Random random = new Random(16);
        for (int i = 0; i < 200_000; i++) {
            double v = i % 2 == 0 ? Double.longBitsToDouble(random.nextLong())
                    : Math.scalb(random.nextDouble(), f.minExponent() - f.precision() + random.nextInt(f.maxExponent()
                            - f.minExponent() + f.precision() + 2)) * (random.nextBoolean() ? 1 : -1);
            if (Double.isNaN(v) || Double.isInfinite(v)) {
                continue;
            }
            check(f, v, nearest(table, overflow, v));
        }
    }

    private static int nearest(double[] table, double overflow, double v) {
        double a = Math.abs(v);
        int sign = Double.doubleToRawLongBits(v) < 0 ? 0x8000 : 0;
        if (a >= overflow) {
            return sign | table.length;
        }
        int i = Arrays.binarySearch(table, a);
        if (i >= 0) {
            return sign | i;
        }
        int hi = -i - 1; // table[hi - 1] < a < table[hi]
        if (hi == table.length) {
            return sign | (hi - 1);
        }
        double dlo = a - table[hi - 1];
        double dhi = table[hi] - a;
        return sign | (dlo < dhi || dlo == dhi && (hi - 1) % 2 == 0 ? hi - 1 : hi);
    }

    @Test
    void namesAndWidening() {
        assertEquals(SixteenBit.FLOAT16, SixteenBit.of("float16"));
        assertEquals(SixteenBit.BFLOAT16, SixteenBit.of("bfloat16"));
        assertNull(SixteenBit.of("float32"));
        short[] x = SixteenBit.FLOAT16.narrow(new double[] {1, 0.1, 65520});
        assertEquals(1.0, SixteenBit.FLOAT16.widen(x)[0]);
        assertEquals(0x1.998p-4, SixteenBit.FLOAT16.widen(x)[1]);
        assertEquals(Double.POSITIVE_INFINITY, SixteenBit.FLOAT16.widen(x)[2]);
        assertEquals(0x1.998p-4, SixteenBit.FLOAT16.round(0.1));
        assertNull(SixteenBit.BFLOAT16.roundAll(null));
        double[] w = {0.1};
        assertEquals(0x1.9ap-4, SixteenBit.BFLOAT16.roundAll(w)[0]); // ml_dtypes.bfloat16(0.1) = 0.10009765625
        assertEquals(0.1, w[0], "roundAll copies");
    }

    /**
     * apply widens, runs the double overload and rounds once: softmax of float16 [0, ln 3 rounded] gives
     * the float16 roundings of the double softmax of the widened values.
     */
    @Test
    void applyRunsTheDoubleOverloadOnWidenedValues() {
        SixteenBit f = SixteenBit.FLOAT16;
        short[] x = f.narrow(new double[] {0, Math.log(3)});
        double[] exact = Primitives.softmax(f.widen(x));
        short[] got = f.apply(Primitives::softmax, x);
        for (int i = 0; i < x.length; i++) {
            assertEquals(f.fromDouble(exact[i]), got[i]);
        }
    }
}
