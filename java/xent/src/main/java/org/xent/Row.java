package org.xent;

/**
 * The log-sum-exp kernel over one row of logits (Blanchard, Higham and Higham 2021, with an exact shift):
 * a = max_i x_i attained first at k, d_i + dl_i = x_i - a exactly (TwoSum), e_i = exp(d_i)(1 + dl_i)
 * kept as the pair (e_i, el_i), s = sum_{i != k} e_i accumulated in double-double, and
 * L = log1p(s) corrected for the low part of s. Every sum it forms has terms of one sign.
 */
final class Row {
    /** All x finite or -inf, at least one finite. */
    static final int FINITE = 0;
    /** Some x is NaN. */
    static final int NAN = 1;
    /** Exactly one +inf (at k) and no NaN. */
    static final int ONE_POSINF = 2;
    /** Two or more +inf and no NaN. */
    static final int MULTI_POSINF = 3;
    /** Every x is -inf. */
    static final int ALL_NEGINF = 4;

    final int n;
    final double[] d;
    final double[] dl;
    final double[] e;
    final double[] el;
    int status;
    int k;
    double a;
    /** s = sum_{i != k} e_i as a normalised double-double. */
    double sHi;
    double sLo;
    /** log1p(s). */
    double lHi;
    double lLo;
    /**
     * log1p(s) with its own exponent when it lies far below the normal range (s &lt; 2^-900, so log1p(s) = s
     * to 2^-900 relative) and some term e_i was formed below the normal range: the terms are then summed
     * before the result is rounded once (rounding each exp(d_i) to the subnormal grid first could be off by
     * several units). Null otherwise (lHi + lLo is then L).
     */
    ExtendedDouble lx;
    /** Sum of the terms with d_i &lt; {@link #TINY_ARG}, with its own exponent; null when there is none. */
    private ExtendedDouble tiny;
    /** Below this d_i, exp(d_i) may fall below the normal range (exp(-708.4) = 2^-1022): formed by {@link DoubleDoubleMath#expX}. */
    static final double TINY_ARG = -708.0;
    /** Where the row was loaded from (for -log_softmax when a - x_i exceeds the double range). */
    private double[] src;
    private int srcOff;
    private int srcStride;
    /** The low parts of the loaded row's logits (double-double logits x_i + lo_i), or null; loLoK is lo at k. */
    private double[] srcLo;
    private double loK;
    private final TableExp ex = new TableExp();

    Row(int n) {
        this.n = n;
        d = new double[n];
        dl = new double[n];
        e = new double[n];
        el = new double[n];
    }

    /**
     * Finds the status, k and a of x[off + i * stride] and resets s and L; true when the row is not
     * FINITE or ONE_POSINF (nothing more to compute).
     */
    private boolean scan(double[] x, int off, int stride) {
        src = x;
        srcOff = off;
        srcStride = stride;
        boolean nan = false;
        int pinf = 0;
        int kinf = -1;
        int kmax = -1;
        double amax = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) {
            double v = x[off + i * stride];
            if (v != v) {
                nan = true;
            } else if (v == Double.POSITIVE_INFINITY) {
                if (pinf++ == 0) {
                    kinf = i;
                }
            } else if (v > amax) {
                amax = v;
                kmax = i;
            }
        }
        sHi = 0.0;
        sLo = 0.0;
        lHi = 0.0;
        lLo = 0.0;
        lx = null;
        tiny = null;
        if (nan) {
            status = NAN;
            k = -1;
            return true;
        }
        if (pinf >= 2) {
            status = MULTI_POSINF;
            k = kinf;
            return true;
        }
        if (pinf == 1) {
            status = ONE_POSINF;
            k = kinf;
            a = Double.POSITIVE_INFINITY;
            return false;
        }
        if (kmax < 0) {
            status = ALL_NEGINF;
            k = -1;
            return true;
        }
        status = FINITE;
        k = kmax;
        a = amax;
        return false;
    }

    /**
     * Loads a row for {@link #nllX(int)} only: a, k, s and L without the per-class arrays, in one pass
     * over the row after the scan, with exp by {@link TableExp} (relative error below 2^-59 per term, far
     * below what the rounded loss can show) and s summed in double-double.
     */
    Row loadLean(double[] x, int off, int stride) {
        srcLo = null;
        loK = 0.0;
        if (scan(x, off, stride) || status == ONE_POSINF) {
            return this;
        }
        double hi = 0.0;
        double lo = 0.0;
        for (int i = 0; i < n; i++) {
            double v = x[off + i * stride];
            double di = v - a;
            if (i == k || di == Double.NEGATIVE_INFINITY) {
                continue;
            }
            double dli = DoubleDouble.twoSumErr(v, -a, di);
            if (di < TINY_ARG) {
                addTiny(di, dli);
                continue;
            }
            double eh;
            double elo;
            if (di >= TableExp.MIN_ARG) {
                ex.set(di);
                eh = ex.hi;
                elo = ex.lo + eh * dli;
            } else {
                eh = Libm.exp(di);
                elo = 0.0;
            }
            double t = hi + eh;
            lo += DoubleDouble.twoSumErr(hi, eh, t) + elo;
            hi = t;
        }
        finish(new DoubleDouble(hi, lo).norm());
        return this;
    }

    /** Loads x[off + i * stride], i < n, and computes a, k, e, s and L. */
    Row load(double[] x, int off, int stride) {
        return load(x, null, off, stride);
    }

    /**
     * {@link #load(double[], int, int)} for the double-double logits x_i + lo_i (lo null: all 0): the maximum is
     * taken on the high parts and each shift d_i + dl_i gains lo_i - lo_k (renormalised, so that dl_i stays
     * below half an ulp of d_i).
     */
    Row load(double[] x, double[] lo, int off, int stride) {
        srcLo = lo;
        loK = 0.0;
        if (scan(x, off, stride)) {
            return this;
        }
        if (lo != null && status == FINITE) {
            loK = lo[off + k * stride];
        }
        if (status == ONE_POSINF) {
            for (int i = 0; i < n; i++) {
                boolean isK = i == k;
                d[i] = isK ? 0.0 : Double.NEGATIVE_INFINITY;
                dl[i] = 0.0;
                e[i] = isK ? 1.0 : 0.0;
                el[i] = 0.0;
            }
            return this;
        }
        DoubleDouble s = new DoubleDouble();
        for (int i = 0; i < n; i++) {
            if (i == k) {
                d[i] = 0.0;
                dl[i] = 0.0;
                e[i] = 1.0;
                el[i] = 0.0;
                continue;
            }
            double v = x[off + i * stride];
            double di = v - a;
            if (di == Double.NEGATIVE_INFINITY) {
                d[i] = Double.NEGATIVE_INFINITY;
                dl[i] = 0.0;
                e[i] = 0.0;
                el[i] = 0.0;
                continue;
            }
            double dli = DoubleDouble.twoSumErr(v, -a, di);
            if (lo != null) {
                double t = dli + (lo[off + i * stride] - loK);
                double nd = di + t;
                dli = DoubleDouble.twoSumErr(di, t, nd);
                di = nd;
            }
            DoubleDouble ed = DoubleDoubleMath.exp(di);
            double ei = ed.hi;
            d[i] = di;
            dl[i] = dli;
            e[i] = ei;
            el[i] = ed.lo + ei * dli;
            if (di < TINY_ARG) {
                addTiny(di, dli);
                continue;
            }
            s.add(ei);
            s.lo += el[i];
        }
        finish(s.norm());
        return this;
    }

    /** Adds exp(d + dl) = 2^k exp(r) (1 + dl), d &lt; {@link #TINY_ARG}, with its own exponent to {@link #tiny}. */
    private void addTiny(double d, double dl) {
        ExtendedDouble t = DoubleDoubleMath.expX(d);
        if (dl != 0.0) {
            t = t.mul(ExtendedDouble.of(DoubleDouble.of(1.0).add(dl)));
        }
        tiny = tiny == null ? t : tiny.add(t);
    }

    /**
     * Sets s and L from the sum s of the ordinary terms (a normalised double-double) and {@link #tiny}: when
     * the whole s is below 2^-900, L = s is kept with its own exponent ({@link #lx}); otherwise the tiny
     * terms (each below 2^-1021, their rounding errors below 2^-170 of s) are added to s.
     */
    private void finish(DoubleDouble s) {
        if (tiny != null) {
            ExtendedDouble sx = tiny.add(ExtendedDouble.of(s.hi, s.lo, 0));
            if (sx.e < -900) {
                lx = sx;
                sHi = sx.value();
                sLo = 0.0;
                lHi = sHi;
                lLo = 0.0;
                return;
            }
            s = new DoubleDouble(Math.scalb(sx.hi, sx.e), Math.scalb(sx.lo, sx.e)).norm();
        }
        sHi = s.hi;
        sLo = s.lo;
        DoubleDouble l = DoubleDoubleMath.log1p(s);
        lHi = l.hi;
        lLo = l.lo;
    }

    /** lse = a + lo_k + L with its own exponent, for a FINITE or ONE_POSINF row (+inf for the latter). */
    ExtendedDouble lseX() {
        if (status == ONE_POSINF) {
            return ExtendedDouble.of(Double.POSITIVE_INFINITY);
        }
        ExtendedDouble l = lx != null ? lx : ExtendedDouble.of(lHi, lLo, 0);
        return l.add(ExtendedDouble.of(a)).add(ExtendedDouble.of(loK));
    }

    /** L = log1p(s) as a double-double. */
    DoubleDouble lse1p() {
        return new DoubleDouble(lHi, lLo);
    }

    /** 1 + s as a double-double. */
    DoubleDouble onePlusS() {
        return DoubleDouble.of(1.0).add(sHi).add(sLo);
    }

    /** -log_softmax_i = (a - x_i) + log1p(s) >= 0, for a FINITE or ONE_POSINF row. */
    DoubleDouble nll(int i) {
        if (i == k) {
            return new DoubleDouble(lHi, lLo);
        }
        if (d[i] == Double.NEGATIVE_INFINITY) {
            return DoubleDouble.of(Double.POSITIVE_INFINITY);
        }
        return new DoubleDouble(lHi, lLo).add(-d[i]).add(-dl[i]);
    }

    /**
     * -log_softmax_i with its own exponent: equal to {@link #nll(int)} except where a - x_i overflows
     * (logits spanning more than the double range), where it is the finite a - x_i + log1p(s).
     */
    ExtendedDouble nllX(int i) {
        if (i == k) {
            return lx != null ? lx : ExtendedDouble.of(lHi, lLo, 0);
        }
        double x = src[srcOff + i * srcStride];
        if (status != FINITE || x == Double.NEGATIVE_INFINITY) {
            return ExtendedDouble.of(Double.POSITIVE_INFINITY);
        }
        if (srcLo != null) {
            return ExtendedDouble.of(nll(i)); // the shifts carry the low parts (bounded logits: no overflow)
        }
        double di = x - a;
        if (di == Double.NEGATIVE_INFINITY) {
            // a - x_i > 0x1.fp+1023: halve both (exact for such magnitudes) and keep the factor 2 in the exponent
            DoubleDouble half = DoubleDouble.of(0.5 * a).add(-0.5 * x).add(0.5 * lHi).add(0.5 * lLo);
            return ExtendedDouble.of(half.hi, half.lo, 1);
        }
        return ExtendedDouble.of(new DoubleDouble(lHi, lLo).add(-di).add(-DoubleDouble.twoSumErr(x, -a, di)));
    }

    /**
     * True for a FINITE row whose logits all lie within 1/2 of the maximum or are -inf (every d_i &gt;= -1/2
     * or d_i = -inf): a masked class has e_i = 0 exactly.
     */
    boolean nearlyUniform() {
        if (status != FINITE) {
            return false;
        }
        for (int i = 0; i < n; i++) {
            if (!(d[i] >= -0.5) && d[i] != Double.NEGATIVE_INFINITY) {
                return false;
            }
        }
        return true;
    }

    /**
     * f_i = e_i - 1 = expm1(d_i + dl_i) without the cancellation of forming e_i first: expm1(d_i) plus
     * the first-order term (1 + expm1(d_i)) dl_i of the exact shift's low part.
     */
    DoubleDouble expm1(int i) {
        double f = Libm.expm1(d[i]);
        return DoubleDouble.of(f).add(dl[i]).add(f * dl[i]);
    }

    /** softmax_i = e_i / (1 + s), for a FINITE or ONE_POSINF row. */
    DoubleDouble prob(int i) {
        if (status == ONE_POSINF) {
            return DoubleDouble.of(i == k ? 1.0 : 0.0);
        }
        if (e[i] == 0.0) {
            return DoubleDouble.of(0.0);
        }
        return new DoubleDouble(e[i], el[i]).div(onePlusS());
    }

    /**
     * softmax_i with its own exponent, for a FINITE or ONE_POSINF row: where exp(d_i) falls below the normal
     * range ({@link #TINY_ARG}) it is formed by {@link DoubleDoubleMath#expX}, so a subnormal-range
     * probability keeps its digits.
     */
    ExtendedDouble probX(int i) {
        if (status != FINITE || !(d[i] < TINY_ARG) || d[i] == Double.NEGATIVE_INFINITY) {
            return ExtendedDouble.of(prob(i));
        }
        return weightX(i).div(ExtendedDouble.of(onePlusS()));
    }

    /**
     * softmax_i's numerator e_i = exp(d_i + dl_i) (softmax_i = e_i / (1 + s), e_k = 1), with its own
     * exponent below {@link #TINY_ARG}, for a FINITE row.
     */
    ExtendedDouble weightX(int i) {
        if (!(d[i] < TINY_ARG) || d[i] == Double.NEGATIVE_INFINITY) {
            return e[i] == 0.0 ? ExtendedDouble.ZERO : ExtendedDouble.of(new DoubleDouble(e[i], el[i]));
        }
        ExtendedDouble t = DoubleDoubleMath.expX(d[i]);
        return dl[i] != 0.0 ? t.mul(ExtendedDouble.of(DoubleDouble.of(1.0).add(dl[i]))) : t;
    }

    /** 1 - softmax_k = s / (1 + s) at the argmax k, for a FINITE row. */
    DoubleDouble oneMinusProbAtMax() {
        return new DoubleDouble(sHi, sLo).div(onePlusS());
    }

    /**
     * Whether the exact softmax_i is &gt; 0 (however small: its double may underflow to 0), for a FINITE or
     * ONE_POSINF row: every logit but -inf in a finite row, only k in a row with one +inf.
     */
    boolean positive(int i) {
        return status == ONE_POSINF ? i == k : src[srcOff + i * srcStride] != Double.NEGATIVE_INFINITY;
    }

    /** Whether the row has a finite log-sum-exp to build on: every logit finite or -inf, or exactly one +inf. */
    boolean usable() {
        return status == FINITE || status == ONE_POSINF;
    }
}
