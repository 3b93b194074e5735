package org.xent;

import java.util.function.UnaryOperator;

/**
 * The two 16-bit floating-point formats of the spec, their values held as bit patterns in a
 * {@code short}: {@link #FLOAT16} (IEEE binary16: precision 11, normal exponents -14..15, largest finite
 * 65504, subnormals down to 2^-24) and {@link #BFLOAT16} (float32's upper half: precision 8, float32's
 * exponent range, subnormals down to 2^-133).
 *
 * <p>The conversions are written once for both formats: {@link #toDouble} is exact (every 16-bit value
 * is a double), {@link #fromDouble} rounds once to nearest, ties to even, with gradual underflow and
 * overflow to infinity, never through float32; a NaN stays a quiet NaN of the same sign.
 *
 * <p>Every function has a 16-bit form through the same widening path: widen the inputs exactly
 * ({@link #widen}), round the float parameters to the format ({@link #round}, {@link #roundAll}), run
 * the double overload, and round its result once ({@link #narrow}); {@link #apply} does the three steps
 * for a function of one array. The spec's mixed contract ({@code output_dtype} float32, what autocast
 * runs) casts the double result to {@code float} instead: one rounding as well. {@link Catalogue} runs
 * any function this way for the dtypes {@code "float16"} and {@code "bfloat16"}. This meets the spec's
 * {@code accurate} level: the double result is within a few double ulps (about 2^-50 relative) of the
 * exact value, so after the final rounding the error is at most half a 16-bit ulp plus a negligible
 * fraction.
 */
public enum SixteenBit {
    /** IEEE 754 binary16 ({@code "float16"}): 5 exponent bits, 10 fraction bits. */
    FLOAT16("float16", 10, 15),
    /** bfloat16 ({@code "bfloat16"}): 8 exponent bits, 7 fraction bits. */
    BFLOAT16("bfloat16", 7, 127);

    private static final int SIGN = 0x8000;

    private final String dtype;
    private final int fracBits;
    /** The exponent bias, which is also the largest normal exponent emax. */
    private final int bias;

    SixteenBit(String dtype, int fracBits, int bias) {
        this.dtype = dtype;
        this.fracBits = fracBits;
        this.bias = bias;
    }

    /**
     * The format of a dtype name.
     *
     * @param dtype a dtype name
     * @return the format, or null when dtype is not {@code "float16"} or {@code "bfloat16"}
     */
    public static SixteenBit of(String dtype) {
        for (SixteenBit f : values()) {
            if (f.dtype.equals(dtype)) {
                return f;
            }
        }
        return null;
    }

    /**
     * The spec's dtype name.
     *
     * @return {@code "float16"} or {@code "bfloat16"}
     */
    public String dtype() {
        return dtype;
    }

    /**
     * The significand's precision in bits.
     *
     * @return 11 or 8
     */
    public int precision() {
        return fracBits + 1;
    }

    /**
     * The smallest normal exponent.
     *
     * @return -14 or -126
     */
    public int minExponent() {
        return 1 - bias;
    }

    /**
     * The largest normal exponent.
     *
     * @return 15 or 127
     */
    public int maxExponent() {
        return bias;
    }

    private int infBits() {
        return ((1 << (15 - fracBits)) - 1) << fracBits;
    }

    private int fracMask() {
        return (1 << fracBits) - 1;
    }

    private int quietBit() {
        return 1 << (fracBits - 1);
    }

    /**
     * Whether a bit pattern is a NaN of this format.
     *
     * @param bits the pattern
     * @return true for a NaN (all exponent bits set, a non-zero fraction)
     */
    public boolean isNaN(short bits) {
        return (bits & infBits()) == infBits() && (bits & fracMask()) != 0;
    }

    /**
     * Rounds a double once to this format: to nearest, ties to even, with gradual underflow (subnormals)
     * and overflow to infinity (float16: from 65520 in magnitude); -0 stays -0; a NaN stays a NaN with
     * its sign and leading payload bits, the quiet bit set.
     *
     * <p>Why it is exact: with e = max(floor(log2 |v|), emin), |v| * 2^(fracBits - e) is a double computed
     * exactly (a power-of-two scaling into the normal range), the format's values near |v| are the integers
     * times 2^(e - fracBits), and {@link Math#rint} rounds to the nearest integer r, ties to even, exactly.
     * The pattern (e + bias - 1) * 2^fracBits + r then covers a subnormal (e = emin: the exponent field is
     * r's carry), a normal value and a round-up into the next binade alike.
     *
     * @param v the value
     * @return the bit pattern of the rounded value
     */
    public short fromDouble(double v) {
        long raw = Double.doubleToRawLongBits(v);
        int sign = raw < 0 ? SIGN : 0;
        if (Double.isNaN(v)) {
            int payload = (int) ((raw & 0xFFFFFFFFFFFFFL) >>> (52 - fracBits)) & fracMask();
            return (short) (sign | infBits() | quietBit() | payload);
        }
        double a = Math.abs(v);
        if (a == 0) {
            return (short) sign;
        }
        int e = Math.max(Math.getExponent(a), minExponent());
        if (e > bias) { // |v| >= 2^(emax + 1), or infinite
            return (short) (sign | infBits());
        }
        long r = (long) Math.rint(Math.scalb(a, fracBits - e));
        long bits = ((long) (e + bias - 1) << fracBits) + r;
        return (short) (sign | (int) Math.min(bits, infBits()));
    }

    /**
     * The value of a bit pattern, exactly (a NaN keeps its sign and payload).
     *
     * @param bits the pattern
     * @return its value as a double
     */
    public double toDouble(short bits) {
        int b = bits & 0xFFFF;
        int exp = (b & infBits()) >>> fracBits;
        int frac = b & fracMask();
        boolean negative = (b & SIGN) != 0;
        if ((b & infBits()) == infBits() && frac != 0) {
            long nan = 0x7FF0000000000000L | ((long) frac << (52 - fracBits)) | (negative ? Long.MIN_VALUE : 0);
            return Double.longBitsToDouble(nan);
        }
        double v;
        if ((b & infBits()) == infBits()) {
            v = Double.POSITIVE_INFINITY;
        } else if (exp == 0) {
            v = Math.scalb((double) frac, minExponent() - fracBits);
        } else {
            v = Math.scalb((double) ((1 << fracBits) | frac), exp - bias - fracBits);
        }
        return negative ? -v : v;
    }

    /**
     * A double rounded once to this format, as a double: the value a float parameter (epsilon, a
     * weight) takes in a call of this dtype.
     *
     * @param v the value
     * @return the nearest value of the format
     */
    public double round(double v) {
        return toDouble(fromDouble(v));
    }

    /**
     * {@link #round} applied to each value of an optional vector (weights, alpha); null stays null.
     *
     * @param v the values, or null
     * @return a new array of rounded values, or null
     */
    public double[] roundAll(double[] v) {
        if (v == null) {
            return null;
        }
        double[] r = new double[v.length];
        for (int i = 0; i < v.length; i++) {
            r[i] = round(v[i]);
        }
        return r;
    }

    /**
     * Bit patterns widened exactly to doubles.
     *
     * @param bits the patterns (not null)
     * @return their values
     */
    public double[] widen(short[] bits) {
        Check.notNull(bits, "input");
        double[] v = new double[bits.length];
        for (int i = 0; i < bits.length; i++) {
            v[i] = toDouble(bits[i]);
        }
        return v;
    }

    /**
     * Doubles rounded once each to this format.
     *
     * @param v the values
     * @return their bit patterns
     */
    public short[] narrow(double[] v) {
        short[] bits = new short[v.length];
        for (int i = 0; i < v.length; i++) {
            bits[i] = fromDouble(v[i]);
        }
        return bits;
    }

    /**
     * Runs a double function of one array on 16-bit input: widen, compute, round once. For example
     * {@code SixteenBit.BFLOAT16.apply(Primitives::softmax, logits)}.
     *
     * @param f    the double overload
     * @param bits the input's bit patterns
     * @return the result's bit patterns
     */
    public short[] apply(UnaryOperator<double[]> f, short[] bits) {
        return narrow(f.apply(widen(bits)));
    }
}
