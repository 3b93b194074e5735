package org.xent;

/**
 * Geometry and validated arguments of one softmax_cross_entropy (or gradient) call: the logits (float64,
 * or float32 widened one row at a time), class-index or probability targets, weights, ignore_index and
 * label smoothing, checked in the spec's error precedence (D1) when the call is built; the loss and its
 * gradient ({@link LogitLossKernels}, {@link GradientKernels}) read rows, target masses and the mean's denominator from it.
 */
final class SoftmaxCrossEntropyCall {
    /** The options of {@link SoftmaxCrossEntropyOptions} as one call sees them (float parameters already in the dtype). */
    static final class Args {
        double[] weight;
        int ignoreIndex = -100;
        /** No target value is ignored (ignore_index absent); ignoreIndex is then unused. */
        boolean ignoreNone;
        double labelSmoothing;
        LabelSmoothingMode mode = LabelSmoothingMode.UNIFORM;
        double logitScale = 1.0;
        /** The cap when capOn (NaN otherwise). */
        double softcap = Double.NaN;
        boolean capOn;
        double zLoss;
        EmptyMean emptyMean = EmptyMean.NAN;
        /** The class mask: C values or one per logit (null: every class included). */
        boolean[] where;
        SoftmaxCrossEntropyResult result = SoftmaxCrossEntropyResult.LOSS;
        /** The gradient's upstream gradient (null: all ones) and the reduction that gives it its shape. */
        double[] gradOutput;
        Reduction gradReduction = Reduction.NONE;
    }

    /**
     * Checks the large-model parameters on their own (step 1 of the error precedence): logit_scale finite
     * and &gt; 0, softcap (when set) finite and &gt; 0, z_loss finite and &gt;= 0, empty_mean given.
     */
    static void checkLargeModel(double logitScale, boolean capOn, double softcap, double zLoss, EmptyMean emptyMean) {
        if (!(logitScale > 0) || logitScale == Double.POSITIVE_INFINITY) {
            throw Check.err(ErrorKind.INVALID_ARGUMENT, "logit_scale must be finite and > 0; got " + logitScale);
        }
        if (capOn && (!(softcap > 0) || softcap == Double.POSITIVE_INFINITY)) {
            throw Check.err(ErrorKind.INVALID_ARGUMENT, "softcap must be finite and > 0 (or absent for no cap); got " + softcap);
        }
        if (!(zLoss >= 0) || zLoss == Double.POSITIVE_INFINITY) {
            throw Check.err(ErrorKind.INVALID_ARGUMENT, "z_loss must be finite and >= 0; got " + zLoss);
        }
        Check.notNull(emptyMean, "empty_mean");
    }

    /** The class mask, or null when there is none or every value is true (a mask of all true is no mask). */
    private static boolean[] effectiveMask(boolean[] where) {
        if (where != null) {
            for (boolean b : where) {
                if (!b) {
                    return where;
                }
            }
        }
        return null;
    }

    static void checkLabelSmoothing(double eps) {
        if (!(eps >= 0.0 && eps <= 1.0)) {
            throw Check.err(ErrorKind.INVALID_ARGUMENT, "label_smoothing must be in [0, 1]; got " + eps);
        }
    }

    /** One float64 call of the public API; exactly one of index and prob (the targets) is non-null. */
    static SoftmaxCrossEntropyCall call(double[] logits, int[] shape, int[] index, double[] prob,
                                        SoftmaxCrossEntropyOptions options) {
        return new SoftmaxCrossEntropyCall(logits, shape, index, prob, null, options.toArgs(false));
    }

    /** One float32 call of the public API: its options' float parameters are rounded to float first. */
    static SoftmaxCrossEntropyCall call(float[] logits, int[] shape, int[] index, double[] prob,
                                        SoftmaxCrossEntropyOptions options) {
        return new SoftmaxCrossEntropyCall(logits, shape, index, prob, null, options.toArgs(true));
    }

    /** One float64 gradient call with its upstream gradient (null: all ones). */
    static SoftmaxCrossEntropyCall gradCall(double[] logits, int[] shape, int[] index, double[] prob,
                                            SoftmaxCrossEntropyOptions options, Reduction reduction, double[] gradOutput) {
        return new SoftmaxCrossEntropyCall(logits, shape, index, prob, null, withUpstream(options.toArgs(false),
                reduction, gradOutput));
    }

    /** One float32 gradient call with its upstream gradient (float32 values widened exactly, or null). */
    static SoftmaxCrossEntropyCall gradCall(float[] logits, int[] shape, int[] index, double[] prob,
                                            SoftmaxCrossEntropyOptions options, Reduction reduction, double[] gradOutput) {
        return new SoftmaxCrossEntropyCall(logits, shape, index, prob, null, withUpstream(options.toArgs(true),
                reduction, gradOutput));
    }

    private static Args withUpstream(Args a, Reduction reduction, double[] gradOutput) {
        Check.notNull(reduction, "reduction");
        a.gradOutput = gradOutput;
        a.gradReduction = reduction;
        return a;
    }

    /** float64 logits (with logit_scale or softcap: the high parts of x''), or null when {@link #logits32} holds float32 ones. */
    final double[] logits;
    final float[] logits32;
    /** With logit_scale or softcap: the low parts of x'' and dx''/dx per element; null otherwise. */
    final double[] lo;
    final double[] deriv;
    final double zLoss;
    final EmptyMean emptyMean;
    /** One row of float32 logits widened to double (reused: no copy of the whole tensor). */
    private final double[] rowBuf;
    final int nRows;
    final int c;
    final int spatial;
    final int[] index;
    final double[] prob;
    final double[] w;
    final int ignoreIndex;
    final boolean ignoreNone;
    final double eps;
    final LabelSmoothingMode mode;
    /** The gradient's upstream gradient (shape checked with the other shapes, step 3). */
    final Upstream upstream;
    /** The class mask (C values, or one per logit), null when every class is included. */
    final boolean[] where;
    final SoftmaxCrossEntropyResult result;
    /** A row with the excluded classes' logits (and low parts) replaced by -inf (0): the mask applied. */
    private final double[] maskedRow;
    private final double[] maskedLo;

    SoftmaxCrossEntropyCall(double[] logits, int[] shape, int[] index, double[] prob, int[] targetShape, Args args) {
        this(Check.notNullLength(logits, "logits"), logits, null, shape, index, prob, targetShape, args);
    }

    /** float32 logits, widened one row at a time as the rows are loaded. */
    SoftmaxCrossEntropyCall(float[] logits, int[] shape, int[] index, double[] prob, int[] targetShape, Args args) {
        this(Check.notNullLength(logits, "logits"), null, logits, shape, index, prob, targetShape, args);
    }

    private SoftmaxCrossEntropyCall(int length, double[] logits, float[] logits32, int[] shape, int[] index, double[] prob,
                int[] targetShape, Args args) {
        Check.notNull(args, "options");
        Check.notNull(args.mode, "label_smoothing_mode");
        checkLabelSmoothing(args.labelSmoothing);
        checkLargeModel(args.logitScale, args.capOn, args.softcap, args.zLoss, args.emptyMean);
        Check.notNull(args.result, "result");
        Check.notNull(shape, "logits shape");
        Check.rank(shape, 2, Check.MAX_RANK, "logits");
        Check.dataLength(length, shape, "logits");
        if (shape[1] == 0) {
            throw Check.err(ErrorKind.INVALID_SHAPE, "logits must have at least one class (axis 1); got shape "
                    + Check.shapeString(shape));
        }
        if (args.logitScale != 1.0 || args.capOn) {
            LargeModelLogits x = LargeModelLogits.of(logits, logits32, args.logitScale, args.softcap);
            this.logits = x.hi;
            this.logits32 = null;
            this.lo = x.lo;
            this.deriv = x.deriv;
        } else {
            this.logits = logits;
            this.logits32 = logits32;
            this.lo = null;
            this.deriv = null;
        }
        this.zLoss = args.zLoss;
        this.emptyMean = args.emptyMean;
        nRows = shape[0];
        c = shape[1];
        rowBuf = this.logits32 == null ? null : new double[c];
        int s = 1;
        for (int i = 2; i < shape.length; i++) {
            s *= shape[i];
        }
        spatial = s;
        int positions = nRows * spatial;
        if (index != null) {
            int[] expect = new int[shape.length - 1];
            expect[0] = shape[0];
            System.arraycopy(shape, 2, expect, 1, shape.length - 2);
            if (targetShape != null) {
                Check.sameShape(targetShape, "target", expect, "logits without axis 1");
            }
            if (index.length != positions) {
                throw Check.err(ErrorKind.SHAPE_MISMATCH, "target has " + index.length
                        + " class indices but logits of shape " + Check.shapeString(shape) + " have "
                        + positions + " positions (target shape must be " + Check.shapeString(expect) + ")");
            }
        } else {
            Check.notNull(prob, "target");
            if (targetShape != null) {
                Check.sameShape(targetShape, "target", shape, "logits");
            }
            if (prob.length != length) {
                throw Check.err(ErrorKind.SHAPE_MISMATCH, "probability target has " + prob.length
                        + " values but logits have " + length + " (shape " + Check.shapeString(shape) + ")");
            }
        }
        if (args.weight != null && args.weight.length != c) {
            throw Check.err(ErrorKind.SHAPE_MISMATCH, "weight must have shape [" + c + "] (one per class); got length "
                    + args.weight.length);
        }
        if (args.where != null && args.where.length != c && args.where.length != length) {
            throw Check.err(ErrorKind.SHAPE_MISMATCH, "where must have shape [" + c + "] or the logits' shape "
                    + Check.shapeString(shape) + "; got " + args.where.length + " values");
        }
        upstream = Upstream.of(args.gradOutput, args.gradReduction, positions);
        if (args.weight != null) {
            Check.weights(args.weight, "weight");
        }
        if (args.mode == LabelSmoothingMode.OFF_TARGET && c == 1 && args.labelSmoothing > 0) {
            throw Check.err(ErrorKind.INVALID_ARGUMENT,
                    "label_smoothing_mode off_target needs at least 2 classes when label_smoothing > 0");
        }
        if (index != null) {
            for (int p = 0; p < positions; p++) {
                int y = index[p];
                if (!(y == args.ignoreIndex && !args.ignoreNone) && (y < 0 || y >= c)) {
                    throw Check.err(ErrorKind.INDEX_OUT_OF_RANGE, "target[" + p + "] = " + y + " is outside [0, "
                            + c + ") and " + (args.ignoreNone ? "no index is ignored" : "is not ignore_index (" + args.ignoreIndex + ")"));
                }
            }
        } else {
            Check.probabilities(prob, "target");
        }
        this.index = index;
        this.prob = prob;
        this.w = args.weight;
        this.ignoreIndex = args.ignoreIndex;
        this.ignoreNone = args.ignoreNone;
        this.eps = args.labelSmoothing;
        this.mode = args.mode;
        this.where = effectiveMask(args.where);
        this.result = args.result;
        maskedRow = where == null ? null : new double[c];
        maskedLo = where == null || lo == null ? null : new double[c];
    }

    /** Whether class cls takes part in position pos (the mask). */
    boolean included(int pos, int cls) {
        if (where == null) {
            return true;
        }
        return where.length == c ? where[cls] : where[offset(pos) + cls * spatial];
    }

    /** Whether position pos has no included class (loss 0, gradient 0, lse -inf; it still counts in the mean). */
    boolean noneIncluded(int pos) {
        if (where == null) {
            return false;
        }
        for (int j = 0; j < c; j++) {
            if (included(pos, j)) {
                return false;
            }
        }
        return true;
    }

    int positions() {
        return nRows * spatial;
    }

    /** Loads position pos's row into r: fully, or lean ({@link Row#loadLean}) when only nll is needed. */
    Row load(Row r, int pos, boolean lean) {
        int off = offset(pos);
        if (where != null) {
            // an excluded class is -inf whatever its logit holds (NaN and inf included: never read)
            for (int j = 0; j < c; j++) {
                boolean in = included(pos, j);
                int at = off + j * spatial;
                maskedRow[j] = !in ? Double.NEGATIVE_INFINITY : logits32 != null ? logits32[at] : logits[at];
                if (maskedLo != null) {
                    maskedLo[j] = in ? lo[at] : 0.0;
                }
            }
            return r.load(maskedRow, maskedLo, 0, 1);
        }
        if (lo != null) {
            return r.load(logits, lo, off, spatial);
        }
        if (logits32 == null) {
            return lean ? r.loadLean(logits, off, spatial) : r.load(logits, off, spatial);
        }
        for (int j = 0; j < c; j++) {
            rowBuf[j] = logits32[off + j * spatial];
        }
        return lean ? r.loadLean(rowBuf, 0, 1) : r.load(rowBuf, 0, 1);
    }

    int offset(int pos) {
        int n = pos / spatial;
        int s = pos % spatial;
        return n * c * spatial + s;
    }

    boolean ignored(int pos) {
        return index != null && !ignoreNone && index[pos] == ignoreIndex;
    }

    double weight(int cls) {
        return w == null ? 1.0 : w[cls];
    }

    /** m_c = w_c q_c (index targets) or w_c t'_c (probability targets). */
    DoubleDouble[] mass(int pos) {
        return mass(pos, 0);
    }

    /** m_c times 2^k. */
    DoubleDouble[] mass(int pos, int k) {
        DoubleDouble[] q = smoothedTarget(pos, k);
        for (int j = 0; j < c; j++) {
            q[j].mul(weight(j));
        }
        return q;
    }

    /**
     * The power of two k by which the gradient scales the masses so that eps / C does not underflow
     * (0 unless eps &lt; {@link #TINY_EPS}; 0 too when a weight above 2^20 could make 2^k m_c overflow).
     */
    int gradScale() {
        if (!(eps > 0 && eps < TINY_EPS)) {
            return 0;
        }
        for (int j = 0; j < c; j++) {
            if (weight(j) > 0x1p20) {
                return 0;
            }
        }
        return TINY_EPS_SCALE;
    }

    /**
     * Below this label smoothing, eps / C can underflow: the loss then forms the smoothed target
     * scaled by 2^{@value #TINY_EPS_SCALE} and the masses with their own exponent ({@link #massX}).
     */
    static final double TINY_EPS = 0x1p-900;
    static final int TINY_EPS_SCALE = 1000;

    /** m_c as {@link ExtendedDouble}: exact even when eps / C underflows or w_c q_c overflows. */
    ExtendedDouble[] massX(int pos) {
        int k = eps > 0 && eps < TINY_EPS ? TINY_EPS_SCALE : 0;
        DoubleDouble[] q = smoothedTarget(pos, k);
        ExtendedDouble[] m = new ExtendedDouble[c];
        for (int j = 0; j < c; j++) {
            ExtendedDouble qj = ExtendedDouble.of(q[j].hi, q[j].lo, -k);
            m[j] = w == null ? qj : qj.mul(ExtendedDouble.of(w[j]));
        }
        return m;
    }

    /**
     * The smoothed target q_c (index targets) or t'_c (probability targets), times 2^k; 0 for an excluded
     * class (its mass is dropped, whatever it is).
     */
    private DoubleDouble[] smoothedTarget(int pos, int k) {
        DoubleDouble[] q = unmaskedTarget(pos, k);
        for (int j = 0; where != null && j < c; j++) {
            if (!included(pos, j)) {
                q[j] = DoubleDouble.of(0.0);
            }
        }
        return q;
    }

    private DoubleDouble[] unmaskedTarget(int pos, int k) {
        DoubleDouble[] q = new DoubleDouble[c];
        DoubleDouble oneMinusEps = scaled(Terms.oneMinus(eps), k);
        double epsK = Math.scalb(eps, k);
        if (index != null) {
            int y = index[pos];
            DoubleDouble share;
            if (eps == 0.0) {
                share = DoubleDouble.of(0.0);
            } else if (mode == LabelSmoothingMode.UNIFORM) {
                share = DoubleDouble.of(epsK).div(c);
            } else {
                share = DoubleDouble.of(epsK).div(c - 1);
            }
            for (int j = 0; j < c; j++) {
                if (j == y) {
                    q[j] = mode == LabelSmoothingMode.UNIFORM ? oneMinusEps.copy().add(share) : oneMinusEps.copy();
                } else {
                    q[j] = share.copy();
                }
            }
        } else {
            int off = offset(pos);
            DoubleDouble share = null;
            if (eps != 0.0 && mode == LabelSmoothingMode.UNIFORM) {
                share = DoubleDouble.of(epsK).div(c);
            }
            for (int j = 0; j < c; j++) {
                double t = prob[off + j * spatial];
                if (eps == 0.0) {
                    q[j] = scaled(DoubleDouble.of(t), k);
                } else if (mode == LabelSmoothingMode.UNIFORM) {
                    q[j] = oneMinusEps.copy().mul(t).add(share);
                } else {
                    q[j] = oneMinusEps.copy().mul(t).add(Terms.oneMinus(t).mul(epsK).div(c - 1));
                }
            }
        }
        return q;
    }

    private static DoubleDouble scaled(DoubleDouble x, int k) {
        return k == 0 ? x : new DoubleDouble(Math.scalb(x.hi, k), Math.scalb(x.lo, k));
    }

    /** Whether the call has none of the large-model options (the float32 kernels apply only then). */
    boolean plain() {
        return lo == null && zLoss == 0.0 && emptyMean == EmptyMean.NAN && where == null
                && result == SoftmaxCrossEntropyResult.LOSS;
    }

    /** K: the number of non-ignored positions (the z-loss terms' mean divides by it). */
    int kept() {
        int k = 0;
        for (int p = 0; p < positions(); p++) {
            if (!ignored(p)) {
                k++;
            }
        }
        return k;
    }

    /** num / den, or 0 when den is 0 and empty_mean is zero. */
    ExtendedDouble quotient(ExtendedDouble num, ExtendedDouble den) {
        return den.isZero() && emptyMean == EmptyMean.ZERO ? ExtendedDouble.ZERO : num.div(den);
    }

    /** N positions, or the sum of w_y over the non-ignored positions (which may exceed the double range). */
    ExtendedDouble denominator() {
        if (index == null) {
            return ExtendedDouble.of(positions());
        }
        ExtendedDouble acc = ExtendedDouble.ZERO;
        for (int p = 0; p < positions(); p++) {
            if (!ignored(p)) {
                acc = acc.add(ExtendedDouble.of(weight(index[p])));
            }
        }
        return acc;
    }
}
