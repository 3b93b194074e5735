package org.xent;

import java.math.BigInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Hex-float text as the vectors and the adapter protocol write floats, read exactly (DECISIONS.md D9):
 * the text is an integer significand times a power of two and must name a value of the dtype exactly.
 * {@code 0x1.0000000000000001p+0} (a bit too many) or {@code 0x1p-99999} (below the smallest subnormal)
 * is an error, never re-rounded the way {@link Double#parseDouble} would. Decimals are errors too.
 * The special values are exactly {@code inf}, {@code -inf} and {@code nan} (vectors/README.md, D7):
 * {@code +inf}, {@code Infinity}, {@code NaN} or surrounding spaces are errors, so that every port
 * accepts the same texts.
 */
public final class HexFloat {

    private static final Pattern HEX = Pattern.compile("([+-]?)0[xX]([0-9a-fA-F]*)(?:\\.([0-9a-fA-F]*))?(?:[pP]([+-]?[0-9]+))?");

    /** Longest text read: room for a float64 subnormal spelled 0x0.000...1, short enough to bound the work. */
    static final int MAX_TEXT = 1100;

    /** An exponent of more digits is beyond every dtype anyway; it is clamped so that it parses. */
    private static final int MAX_EXPONENT_DIGITS = 12;

    private HexFloat() {
    }

    /**
     * Parses hex-float text exactly as a value of {@code dtype}.
     *
     * @param text  a hex float ({@code 0x1.8p+1}, {@code 0x1.8p1}, {@code 0x3}), or exactly {@code inf}, {@code -inf}, {@code nan}
     * @param dtype {@code "float64"}, {@code "float32"}, {@code "float16"} or {@code "bfloat16"}
     * @return the value (for the narrower dtypes, a value of the dtype held exactly in a double)
     * @throws IllegalArgumentException when the text is not a hex float or names no value of the dtype
     */
    public static double parse(String text, String dtype) {
        int precision;
        int emin;
        int emax;
        if ("float64".equals(dtype)) {
            precision = 53;
            emin = -1022;
            emax = 1023;
        } else if ("float32".equals(dtype)) {
            precision = 24;
            emin = -126;
            emax = 127;
        } else if (SixteenBit.of(dtype) != null) {
            precision = SixteenBit.of(dtype).precision();
            emin = SixteenBit.of(dtype).minExponent();
            emax = SixteenBit.of(dtype).maxExponent();
        } else {
            throw new IllegalArgumentException("unknown float dtype " + Check.quote(dtype)
                    + " (float64, float32, float16 or bfloat16)");
        }
        if (text == null) {
            throw new IllegalArgumentException("expected a hex-float string, got null");
        }
        if (text.length() > MAX_TEXT) {
            throw new IllegalArgumentException("hex float text of " + text.length() + " characters is too long (at most "
                    + MAX_TEXT + ")");
        }
        switch (text) {
            case "inf":
                return Double.POSITIVE_INFINITY;
            case "-inf":
                return Double.NEGATIVE_INFINITY;
            case "nan":
                return Double.NaN;
            default:
                break;
        }
        Matcher m = HEX.matcher(text);
        String whole = m.matches() ? m.group(2) : "";
        String fraction = m.matches() && m.group(3) != null ? m.group(3) : "";
        if (whole.isEmpty() && fraction.isEmpty()) {
            throw new IllegalArgumentException("not a hex float: " + shortText(text) + " (write e.g. 0x1.8p+1, inf, -inf, nan)");
        }
        boolean negative = "-".equals(m.group(1));
        BigInteger significand = new BigInteger(whole + fraction, 16);
        if (significand.signum() == 0) {
            return negative ? -0.0 : 0.0;
        }
        long power = exponent(m.group(4)) - 4L * fraction.length();
        int trailing = significand.getLowestSetBit();
        significand = significand.shiftRight(trailing);
        power += trailing;
        int bits = significand.bitLength();
        long top = power + bits - 1;
        if (bits > precision || top > emax || power < emin - precision + 1) {
            throw new IllegalArgumentException("hex float " + shortText(text) + " is not exactly representable in " + dtype
                    + " (" + (top > emax ? "beyond the largest finite value" : bits > precision
                    ? bits + " significant bits, the dtype has " + precision : "below the smallest subnormal") + ")");
        }
        double v = Math.scalb(significand.doubleValue(), (int) power); // exact: checked representable above
        return negative ? -v : v;
    }

    private static long exponent(String digits) {
        if (digits == null) {
            return 0;
        }
        boolean neg = digits.startsWith("-");
        String d = digits.startsWith("-") || digits.startsWith("+") ? digits.substring(1) : digits;
        String clamped = d.length() > MAX_EXPONENT_DIGITS ? "9".repeat(MAX_EXPONENT_DIGITS) : d;
        long e = Long.parseLong(clamped);
        return neg ? -e : e;
    }

    private static String shortText(String s) {
        String q = "'" + s + "'";
        return q.length() <= 60 ? q : q.substring(0, 57) + "...";
    }
}
