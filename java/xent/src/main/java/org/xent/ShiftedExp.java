package org.xent;

/**
 * exp(x_i - a) for a block of doubles x_i &lt;= a as pairs hi_i + lo_i = exp(x_i - a) (1 + eps_i) with
 * |eps_i| &lt;= {@link #REL_ERR} = 2^-54 while exp(x_i - a) &gt;= 2^-1022.5, and 0 below (an absolute error
 * under {@link #ABS_ERR} = 2^-1021 per term); a term with x_i = a is exactly 1. Small loops of plain
 * arithmetic and FMAs (no table, no call, no branch) that C2 compiles to vector instructions, and one
 * scalar pass that builds the powers of two 2^k_i from their bits (the JDK 17 compiler vectorizes
 * neither that nor a single loop of it all). The kernel of the certified float64 rows
 * ({@link CertifiedSoftmaxRow}).
 *
 * <p>Method and proof of the bound, with u = 2^-53. (1) The shift: d = fl(x - a), dl = (x - a) - d
 * exactly (TwoSum). (2) k = rint(d / ln2) from one FMA d * (1/ln2) + 1.5 2^52 (the sum's last bits hold
 * k). Where k &lt; -1022 (d &lt; -708.7: exp(x - a) &lt; 2^-1022.5) the power 2^k is taken as 0 and the
 * term is 0 (so too for d &lt; -2^51 ln2, beyond the shifter; or NaN there, or for -inf: the caller then
 * declines the row); else k &gt;= -1022,
 * |d| &lt; 709, |dl| &lt;= u |d| &lt; 2^-43 and |d - k ln2| &lt;= ln2/2 + 2^-42. (3) r1 = d - k H with
 * H = ln2 rounded (53 bits, last bit 2^-53) by one FMA is EXACT: for k = 0 it is d; otherwise |d| &gt; 1/4,
 * so d and k H are multiples of 2^-54 and so is r1, with |r1| &lt; 1/2 &lt; 2^53 2^-54. c = fl(dl - k Lo)
 * (Lo = ln2 - H rounded; |c| &lt; 2^-42, rounding &lt; 2^-95) and r + rl = r1 + c exactly (TwoSum):
 * x - a - k ln2 = r + rl + delta with |delta| &lt; 2^-95 + 1022 |ln2 - H - Lo| &lt; 2^-94, |r| &lt;= 0.3467,
 * |rl| &lt;= u |r|. (4) exp(r + rl) = 1 + r + r^2 Phi(r) + rl e^r + O(rl^2) with
 * Phi(r) = sum_{j &gt;= 2} r^(j-2) / j!. The kernel forms tail = fl(h P + fl(rl + rl r)) with h = fl(r r)
 * and P = Phi's Taylor polynomial to r^11/13! in FMA Horner form, then q + ql = r + tail and
 * e + el = 1 + q exactly (Fast2Sum twice: |tail| &lt; |r| and |q| &lt; 1), and the low part fl(el + ql).
 * Absolute errors: truncation |r|^14 / 14! / (1 - |r| / 15) &lt; 0.039 u; the coefficients' roundings
 * r^2 sum_j |r|^(j-2) u / j! &lt; 0.008 u; Horner's roundings in P, |P^ - P| &lt;= u (0.5634 + 0.3467 0.182
 * + 0.1202 0.0448 + ...) &lt; 0.64 u, times r^2 &lt;= 0.1202: 0.077 u; h's rounding u r^2 |P| &lt; 0.068 u;
 * tail's rounding u |tail| &lt; 0.068 u; rl (e^r - 1 - r) &lt; u 0.3467 0.0677 &lt; 0.024 u; the low part's
 * rounding, rl^2 and delta: below 2^-88. In all &lt; 0.284 u absolute, and exp(r) &gt;= e^-0.3467 &gt; 0.707,
 * so the relative error is below 0.41 u &lt; 2^-54. (5) 2^k (-1022 &lt;= k &lt;= 0) scales the parts exactly
 * where the products are normal; hi 2^k (at k = -1022) and lo 2^k may round to the subnormal grid:
 * 2^-1075 absolute, within {@link #ABS_ERR}. {@code ShiftedExpTest} measures the bound against
 * {@link DoubleDoubleMath#exp}. A term with d = 0 (x_i = a) is exactly 1: k = 0, r = rl = tail = 0.
 */
final class ShiftedExp {
    private ShiftedExp() {
    }

    /** The proved relative error bound of one term (class comment). */
    static final double REL_ERR = 0x1p-54;
    /** The absolute error allowed a term below 2^-1022.5 (taken as 0) or with a subnormal part (class comment). */
    static final double ABS_ERR = 0x1p-1021;
    /** Adding 1.5 2^52 rounds a double of magnitude below 2^51 to an integer (ties to even), held in the low bits. */
    private static final double SHIFTER = 0x1.8p52;
    /** The bits of SHIFTER less the exponent bias: bits(SHIFTER + k) - this = k + 1023. */
    private static final long SHIFTER_BITS_LESS_BIAS = Double.doubleToRawLongBits(SHIFTER) - 1023;
    private static final double INV_LN2 = 0x1.71547652b82fep0;
    private static final double LN2_HI = DoubleDoubleMath.LN2_HI;
    private static final double LN2_LO = DoubleDoubleMath.LN2_LO;

    /**
     * hi[i] + lo[i] = exp(x[off + i] - a) for i &lt; n, every x[off + i] &lt;= a (class comment; x may be hi
     * itself with off 0); scratch
     * holds the powers of two afterwards. A NaN x gives NaN; -inf, or a difference below -2^51 ln2,
     * gives 0 or NaN.
     */
    static void terms(double[] x, int off, int n, double a, double[] hi, double[] lo, double[] scratch) {
        // small loops over the row's own copy: C2 (JDK 17) vectorizes each of them, but not one loop of it
        // all, nor a loop that reads x at an offset and writes two arrays (they might overlap)
        if (x != hi || off != 0) {
            System.arraycopy(x, off, hi, 0, n);
        }
        shift(n, a, hi, lo);
        roundAndReduce(n, hi, lo, scratch);
        renormalize(n, hi, lo);
        expReduced(n, hi, lo);
        powersOfTwo(n, scratch);
        scale(n, hi, lo, scratch);
    }

    /** In place: x[i] becomes d[i], and dl[i] = x[i] - a - d[i] exactly (TwoSum). */
    private static void shift(int n, double a, double[] x, double[] dl) {
        double na = -a;
        for (int i = 0; i < n; i++) {
            double v = x[i];
            double d = v + na;
            double bv = d - v;
            dl[i] = (v - (d - bv)) + (na - bv);
            x[i] = d;
        }
    }

    /**
     * In place: (d, dl) becomes (r1, c) with r1 = d - k H exact and c = fl(dl - k Lo), k = rint(d / ln2)
     * and shifted[i] = 1.5 2^52 + k.
     */
    private static void roundAndReduce(int n, double[] d, double[] dl, double[] shifted) {
        for (int i = 0; i < n; i++) {
            double di = d[i];
            double t = Math.fma(di, INV_LN2, SHIFTER);
            double mk = SHIFTER - t;
            d[i] = Math.fma(mk, LN2_HI, di);
            dl[i] = Math.fma(mk, LN2_LO, dl[i]);
            shifted[i] = t;
        }
    }

    /** In place: (r1, c) becomes (r, rl) with r + rl = r1 + c exactly (TwoSum). */
    private static void renormalize(int n, double[] r1, double[] c) {
        for (int i = 0; i < n; i++) {
            double a = r1[i];
            double b = c[i];
            double r = a + b;
            double br = r - a;
            c[i] = (a - (r - br)) + (b - br);
            r1[i] = r;
        }
    }

    /** In place: (r, rl) becomes (e, el) = exp(r + rl) (class comment, step 4). */
    private static void expReduced(int n, double[] r, double[] rl) {
        for (int i = 0; i < n; i++) {
            double ri = r[i];
            double rli = rl[i];
            double p = Math.fma(ri, 1.0 / 6227020800.0, 1.0 / 479001600.0);
            p = Math.fma(ri, p, 1.0 / 39916800.0);
            p = Math.fma(ri, p, 1.0 / 3628800.0);
            p = Math.fma(ri, p, 1.0 / 362880.0);
            p = Math.fma(ri, p, 1.0 / 40320.0);
            p = Math.fma(ri, p, 1.0 / 5040.0);
            p = Math.fma(ri, p, 1.0 / 720.0);
            p = Math.fma(ri, p, 1.0 / 120.0);
            p = Math.fma(ri, p, 1.0 / 24.0);
            p = Math.fma(ri, p, 1.0 / 6.0);
            p = Math.fma(ri, p, 0.5);
            double tail = Math.fma(ri * ri, p, Math.fma(rli, ri, rli));
            double q = ri + tail;
            double ql = (ri - q) + tail;
            double e = 1.0 + q;
            double el = (1.0 - e) + q;
            r[i] = e;
            rl[i] = el + ql;
        }
    }

    /**
     * In place: 1.5 2^52 + k becomes 2^k for -1022 &lt;= k &lt;= 0, by its bits, and 0 for every other value
     * (k &lt; -1022; a shift d below -2^51 ln2 or -inf, where the sum is no such number: near d = -1.5 2^52 ln2
     * it is a small double whose bits, less the constant, wrap around to any long). A scalar loop.
     */
    private static void powersOfTwo(int n, double[] shifted) {
        for (int i = 0; i < n; i++) {
            long biased = Double.doubleToRawLongBits(shifted[i]) - SHIFTER_BITS_LESS_BIAS;
            shifted[i] = biased > 0 && biased <= 1023 ? Double.longBitsToDouble(biased << 52) : 0.0;
        }
    }

    /** hi[i] and lo[i] times 2^k_i. */
    private static void scale(int n, double[] hi, double[] lo, double[] powers) {
        for (int i = 0; i < n; i++) {
            double s = powers[i];
            hi[i] *= s;
            lo[i] *= s;
        }
    }
}
