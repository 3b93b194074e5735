package org.xent;

/**
 * The scaled and capped logits of softmax_cross_entropy's large-model options (issue 17):
 * {@code x'' = c tanh(s x / c)} (or {@code s x} without a cap) as double-doubles {@code hi + lo}, and the
 * derivatives {@code dx''/dx = s / cosh^2(s x / c)}. The low parts matter where the cap saturates: there
 * the loss' condition number ({@code |dx''/dx| |x| = |x'| / cosh^2(x'/c)}) is far below {@code |x''|}, so
 * rounding x'' to double would exceed the spec's bound; {@link Row} folds them into its shifts.
 * Special values (spec): with a cap +-inf maps to +-c with derivative 0; without one +-inf and NaN stay.
 */
final class LargeModelLogits {
    /** Below this |t|, tanh t = t (1 - t^2 / 3) to 2^-80 relative, and 1 / cosh^2 t = 1 - t^2 (to 2^-80). */
    private static final double TANH_SERIES = 0x1p-20;
    /** Above this |t|, 1 - tanh t &lt; 2 e^-80 &lt; 2^-115: tanh t = 1 in double-double. */
    private static final double TANH_ONE = 40.0;

    final double[] hi;
    final double[] lo;
    final double[] deriv;

    LargeModelLogits(int n) {
        hi = new double[n];
        lo = new double[n];
        deriv = new double[n];
    }

    /** x'' of every logit (float32 logits widened exactly); cap NaN for none. */
    static LargeModelLogits of(double[] x, float[] x32, double scale, double cap) {
        int n = x != null ? x.length : x32.length;
        LargeModelLogits out = new LargeModelLogits(n);
        for (int i = 0; i < n; i++) {
            out.set(i, x != null ? x[i] : x32[i], scale, cap);
        }
        return out;
    }

    private void set(int i, double v, double s, double cap) {
        double h = s * v;
        double l = Double.isFinite(h) ? Math.fma(s, v, -h) : 0.0;
        deriv[i] = s;
        if (!Double.isNaN(cap) && !Double.isNaN(h)) {
            if (Double.isInfinite(h)) {
                h = Math.copySign(cap, h);
                l = 0.0;
                deriv[i] = 0.0;
            } else {
                DoubleDouble t = new DoubleDouble(h, l).div(new DoubleDouble(cap, 0.0));
                boolean neg = t.hi < 0;
                if (neg) {
                    t.neg();
                }
                DoubleDouble[] ts = tanhSech2(t);
                DoubleDouble xc = ts[0].mul(cap);
                if (neg) {
                    xc.neg();
                }
                h = xc.hi;
                l = xc.lo;
                deriv[i] = s * ts[1].value();
            }
        }
        hi[i] = h;
        lo[i] = l;
    }

    /**
     * tanh t and 1 / cosh^2 t for t &gt;= 0: with E = exp(-2t), tanh t = (1 - E) / (1 + E) and
     * 1 / cosh^2 t = 4E / (1 + E)^2 (no cancellation beyond 1 - E, whose absolute error 2^-104 is below
     * 2^-84 of 1 - E for t &gt;= 2^-20); below 2^-20 the series.
     */
    static DoubleDouble[] tanhSech2(DoubleDouble t) {
        if (t.hi < TANH_SERIES) {
            DoubleDouble t2 = t.copy().mul(t);
            DoubleDouble th = t.copy().mul(DoubleDouble.of(1.0).sub(t2.copy().div(3.0)));
            return new DoubleDouble[] {th, DoubleDouble.of(1.0).sub(t2)};
        }
        if (t.hi > TANH_ONE) {
            return new DoubleDouble[] {DoubleDouble.of(1.0), DoubleDouble.of(4.0 * Math.exp(-2.0 * t.hi))};
        }
        // E = exp(-2 t.hi) (1 - 2 t.lo): the first-order term of the low part (its square is below 2^-95)
        DoubleDouble e = DoubleDoubleMath.exp(-2.0 * t.hi);
        e.add(e.copy().mul(-2.0 * t.lo));
        DoubleDouble onePlus = DoubleDouble.of(1.0).add(e);
        DoubleDouble th = DoubleDouble.of(1.0).sub(e).div(onePlus);
        DoubleDouble sech2 = e.copy().mul(4.0).div(onePlus.copy().mul(onePlus));
        return new DoubleDouble[] {th, sech2};
    }
}
