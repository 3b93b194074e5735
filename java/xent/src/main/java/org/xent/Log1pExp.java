package org.xent;

/**
 * log1p(exp(x)) for finite x &lt;= 0 (the softplus tail) as an unevaluated pair hi + lo with a relative
 * error near 2^-60, without allocation. e = exp(x) comes from {@link ExpDD}; for e &lt; 2^-8 the series
 * e - e^2/2 + e^3/3 - ... - e^8/8 (next term below 2^-64 relative); otherwise t0 = log(1 + e) is corrected
 * by one exact Newton step t = t0 + log1p(delta), delta = (1 + e) exp(-t0) - 1, whose cancellation
 * (exp(-t0) - 1 against e exp(-t0)) is exact by Sterbenz's lemma. Because delta carries all of t0's
 * error, t0 may come from the {@link Math#log(double)} intrinsic: its last bits never reach the result.
 */
final class Log1pExp {
    private static final double SERIES_MAX = 0x1p-8;

    private final ExpDD ex = new ExpDD();
    /** The high part of the last result. */
    double hi;
    /** The low part of the last result. */
    double lo;

    /**
     * Sets {@link #hi} + {@link #lo} to log1p(exp(x)).
     *
     * @param x a finite argument &lt;= 0
     */
    void set(double x) {
        double eh;
        double el;
        if (x >= ExpDD.MIN_ARG) {
            ex.set(x);
            eh = ex.hi;
            el = ex.lo;
        } else {
            eh = Fm.exp(x);
            el = 0.0;
        }
        if (eh < SERIES_MAX) {
            // e - e^2/2 with e^2 exact, then e^3 (1/3 - e/4 + ... - e^5/8): the first omitted term is below 2^-64 e
            double e2 = eh * eh;
            double e2l = Math.fma(eh, eh, -e2);
            double rest = e2 * eh * (1.0 / 3 - eh * (0.25 - eh * (0.2 - eh * (1.0 / 6 - eh * (1.0 / 7 - eh * 0.125)))));
            hi = eh;
            lo = el * (1.0 - eh) - 0.5 * e2 - 0.5 * e2l + rest;
            return;
        }
        double t0 = Math.log(1.0 + eh);
        ex.set(-t0);
        double wh = ex.hi;
        double wl = ex.lo;
        double p = eh * wh;
        double pe = Math.fma(eh, wh, -p);
        double delta = ((wh - 1.0) + p) + (pe + wl + eh * wl + el * wh);
        hi = t0;
        lo = delta - 0.5 * delta * delta;
    }
}
