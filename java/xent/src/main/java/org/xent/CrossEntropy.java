package org.xent;

/**
 * The xent catalogue (spec/xent.yaml, version 1): softmax, log-sum-exp, logistic functions, entropies and
 * cross-entropy losses with their gradients.
 *
 * <p>It keeps the two entry points of the seed document 002 ({@link #softmax(double[])} and
 * {@link #crossEntropyLoss(double[], int)}), written anew to be accurate, and builds the whole catalogue
 * around them.
 *
 * <p>Conventions:
 * <ul>
 *   <li>{@code double} arrays are float64 inputs; {@code float} overloads take float32 inputs, compute in
 *       double from them and round each result once to float. Float parameters (epsilon, label smoothing,
 *       gamma, alpha, weights) of a float overload are first rounded to float, as the spec treats them as
 *       values of the dtype.</li>
 *   <li>Tensors of any rank are flat row-major arrays plus an {@code int[]} shape; {@code double[][]}
 *       overloads are offered for the common [N, C] case.</li>
 *   <li>A loss with a {@code reduction} is returned as a {@code double} by the method taking a
 *       {@link Reduction} ({@code SUM} or {@code MEAN}), and per element (reduction none) by the method
 *       whose name ends in {@code Unreduced}.</li>
 *   <li>Bad input raises {@link XentException} with the spec's {@link ErrorKind}.</li>
 *   <li>Accuracy: the Blanchard-Higham-Higham log1p form with an exact shift, double-double
 *       (compensated) sums and FMA-exact products, so that each result is within a few ulps of the exact
 *       value times its condition number (the spec's {@code accurate} level). Elementary functions are
 *       {@link StrictMath}'s, so results are the same on every JVM.</li>
 * </ul>
 */
public final class CrossEntropy {
    private static final double DEFAULT_EPSILON = 1e-15;

    private CrossEntropy() {
    }

    /** A float32 result: computed in double, rounded once here. */
    private static float toFloat(double x) {
        return (float) x;
    }

    /** A float parameter of a float32 overload, as the dtype's value (the spec treats parameters so). */
    private static double asFloat32(double x) {
        return (float) x;
    }

    /** float32 input widened to double (exact), null rejected with the argument's name. */
    private static double[] widen(float[] x, String name) {
        Check.notNull(x, name);
        return Check.toDouble(x);
    }

    private static double[] roundWeights(double[] w) {
        if (w == null) {
            return null;
        }
        double[] r = new double[w.length];
        for (int i = 0; i < w.length; i++) {
            r[i] = (float) w[i];
        }
        return r;
    }

    /** One float64 softmax cross-entropy call; exactly one of index and prob (the targets) is non-null. */
    private static SoftmaxCrossEntropyCall call(double[] logits, int[] shape, int[] index, double[] prob,
                                                SoftmaxCrossEntropyOptions options) {
        return new SoftmaxCrossEntropyCall(logits, shape, index, prob, null, options.toArgs(false));
    }

    /** One float32 call: its options' float parameters are rounded to float first. */
    private static SoftmaxCrossEntropyCall call(float[] logits, int[] shape, int[] index, double[] prob,
                                                SoftmaxCrossEntropyOptions options) {
        return new SoftmaxCrossEntropyCall(logits, shape, index, prob, null, options.toArgs(true));
    }

    // =================================================================== seed entry points (document 002)

    /**
     * Softmax of a logit vector (seed document 002's entry point):
     * {@code softmax(x)_j = exp(x_j) / sum_i exp(x_i)}, evaluated as {@code exp(x_j - a) / (1 + s)} with
     * {@code a = max x} at k and {@code s = sum_{i != k} exp(x_i - a)}.
     * Special values: any NaN gives all NaN; exactly one +inf at k gives onehot(k); two or more +inf, or
     * all -inf, give all NaN; a -inf entry gives exactly 0.
     *
     * @param logits x, length n &gt;= 1
     * @return the probabilities, length n
     * @throws XentException {@code invalid_shape} when x is empty
     */
    public static double[] softmax(double[] logits) {
        return Primitives.softmax(logits);
    }

    /**
     * Float32 {@link #softmax(double[])}: computed in double, each output rounded once to float.
     *
     * @param logits x, length n &gt;= 1
     * @return the probabilities, length n
     */
    public static float[] softmax(float[] logits) {
        return Check.toFloat(Primitives.softmax(widen(logits, "logits")));
    }

    /**
     * Negative log-likelihood of one sample from predicted probabilities, clamped (seed document 002's
     * entry point): {@code -log(max(p[trueClassIndex], 1e-15))}, in nats. This is {@code nll_from_probs}
     * for one row with the default epsilon.
     *
     * @param predictedProbs the probabilities of the C classes, each in [0, 1]
     * @param trueClassIndex the target class, in [0, C)
     * @return the loss, at most 34.538776394910684
     * @throws XentException {@code invalid_shape} (no class), {@code index_out_of_range},
     *                       {@code invalid_probability}
     */
    public static double crossEntropyLoss(double[] predictedProbs, int trueClassIndex) {
        Check.notNull(predictedProbs, "predictedProbs");
        return ProbabilityLosses.nllFromProbs(predictedProbs, new int[] {1, predictedProbs.length},
                new int[] {trueClassIndex}, DEFAULT_EPSILON).per[0].value();
    }

    // =================================================================== primitives over a vector

    /**
     * Log-sum-exp: {@code lse(x) = log(sum_i exp(x_i)) = a + log1p(s)}, a = max x at k,
     * {@code s = sum_{i != k} exp(x_i - a)} (Blanchard, Higham and Higham 2021).
     * Any NaN gives NaN; otherwise any +inf gives +inf; all -inf gives -inf.
     *
     * @param x the vector, length n &gt;= 1
     * @return lse(x)
     * @throws XentException {@code invalid_shape} when x is empty
     */
    public static double logsumexp(double[] x) {
        return Primitives.logsumexp(x);
    }

    /**
     * Float32 {@link #logsumexp(double[])}.
     *
     * @param x the vector, length n &gt;= 1
     * @return lse(x) rounded once to float
     */
    public static float logsumexp(float[] x) {
        return toFloat(Primitives.logsumexp(widen(x, "x")));
    }

    /**
     * Log-softmax: {@code log_softmax(x)_j = x_j - lse(x) = (x_j - a) - log1p(s)}.
     * Any NaN gives all NaN; one +inf at k gives 0 at k and -inf elsewhere; two or more +inf, or all
     * -inf, give all NaN; a -inf entry gives -inf.
     *
     * @param x the logits, length n &gt;= 1
     * @return the log-probabilities, length n
     * @throws XentException {@code invalid_shape} when x is empty
     */
    public static double[] logSoftmax(double[] x) {
        return Primitives.logSoftmax(x);
    }

    /**
     * Float32 {@link #logSoftmax(double[])}.
     *
     * @param x the logits, length n &gt;= 1
     * @return the log-probabilities, each rounded once to float
     */
    public static float[] logSoftmax(float[] x) {
        return Check.toFloat(Primitives.logSoftmax(widen(x, "x")));
    }

    // =================================================================== elementwise logistic functions

    /**
     * Logistic function: {@code sigmoid(z) = 1 / (1 + exp(-z))}, as {@code exp(z) / (1 + exp(z))} for z &lt; 0.
     * sigmoid(+inf) = 1, sigmoid(-inf) = 0, NaN gives NaN.
     *
     * @param z the logit
     * @return sigmoid(z)
     */
    public static double sigmoid(double z) {
        return Primitives.sigmoid(z);
    }

    /**
     * Float32 {@link #sigmoid(double)}.
     *
     * @param z the logit
     * @return sigmoid(z) rounded once to float
     */
    public static float sigmoid(float z) {
        return toFloat(Primitives.sigmoid(z));
    }

    /**
     * Elementwise {@link #sigmoid(double)} over a tensor of any shape (flat, row-major).
     *
     * @param z the logits (may be empty)
     * @return sigmoid of each element
     */
    public static double[] sigmoid(double[] z) {
        Check.notNull(z, "z");
        double[] out = new double[z.length];
        for (int i = 0; i < z.length; i++) {
            out[i] = Primitives.sigmoid(z[i]);
        }
        return out;
    }

    /**
     * Float32 elementwise {@link #sigmoid(double)}.
     *
     * @param z the logits (may be empty)
     * @return sigmoid of each element, rounded once to float
     */
    public static float[] sigmoid(float[] z) {
        return Check.toFloat(sigmoid(widen(z, "z")));
    }

    /**
     * Log of the logistic function: {@code log_sigmoid(z) = -softplus(-z) = -log(1 + exp(-z))}.
     * log_sigmoid(+inf) = -0, log_sigmoid(-inf) = -inf, NaN gives NaN.
     *
     * @param z the logit
     * @return log_sigmoid(z)
     */
    public static double logSigmoid(double z) {
        return Primitives.logSigmoid(z);
    }

    /**
     * Float32 {@link #logSigmoid(double)}.
     *
     * @param z the logit
     * @return log_sigmoid(z) rounded once to float
     */
    public static float logSigmoid(float z) {
        return toFloat(Primitives.logSigmoid(z));
    }

    /**
     * Elementwise {@link #logSigmoid(double)} over a tensor of any shape.
     *
     * @param z the logits (may be empty)
     * @return log_sigmoid of each element
     */
    public static double[] logSigmoid(double[] z) {
        Check.notNull(z, "z");
        double[] out = new double[z.length];
        for (int i = 0; i < z.length; i++) {
            out[i] = Primitives.logSigmoid(z[i]);
        }
        return out;
    }

    /**
     * Float32 elementwise {@link #logSigmoid(double)}.
     *
     * @param z the logits (may be empty)
     * @return log_sigmoid of each element, rounded once to float
     */
    public static float[] logSigmoid(float[] z) {
        return Check.toFloat(logSigmoid(widen(z, "z")));
    }

    /**
     * Softplus: {@code softplus(z) = log(1 + exp(z)) = max(z, 0) + log1p(exp(-|z|))}.
     * softplus(+inf) = +inf, softplus(-inf) = 0, NaN gives NaN.
     *
     * @param z the logit
     * @return softplus(z)
     */
    public static double softplus(double z) {
        return Primitives.softplus(z);
    }

    /**
     * Float32 {@link #softplus(double)}.
     *
     * @param z the logit
     * @return softplus(z) rounded once to float
     */
    public static float softplus(float z) {
        return toFloat(Primitives.softplus(z));
    }

    /**
     * Elementwise {@link #softplus(double)} over a tensor of any shape.
     *
     * @param z the logits (may be empty)
     * @return softplus of each element
     */
    public static double[] softplus(double[] z) {
        Check.notNull(z, "z");
        double[] out = new double[z.length];
        for (int i = 0; i < z.length; i++) {
            out[i] = Primitives.softplus(z[i]);
        }
        return out;
    }

    /**
     * Float32 elementwise {@link #softplus(double)}.
     *
     * @param z the logits (may be empty)
     * @return softplus of each element, rounded once to float
     */
    public static float[] softplus(float[] z) {
        return Check.toFloat(softplus(widen(z, "z")));
    }

    // =================================================================== information theory

    /**
     * Shannon entropy in nats: {@code H(p) = -sum_i p_i log(p_i)}, with 0 log 0 = 0. The distribution is
     * used as given (not renormalised).
     *
     * @param p the distribution, length n &gt;= 1, each p_i in [0, 1]
     * @return H(p)
     * @throws XentException {@code invalid_shape} (empty), {@code invalid_probability}
     */
    public static double entropy(double[] p) {
        return Information.entropy(p, LogBase.E);
    }

    /**
     * Shannon entropy in the given base: {@code H(p) = -sum_i p_i log(p_i) / log(base)}, 0 log 0 = 0.
     *
     * @param p    the distribution, length n &gt;= 1, each p_i in [0, 1]
     * @param base {@link LogBase#E} (nats) or {@link LogBase#TWO} (bits)
     * @return H(p)
     * @throws XentException {@code invalid_shape}, {@code invalid_probability}, {@code invalid_argument}
     */
    public static double entropy(double[] p, LogBase base) {
        return Information.entropy(p, base);
    }

    /**
     * Float32 {@link #entropy(double[], LogBase)}.
     *
     * @param p    the distribution
     * @param base the base
     * @return H(p) rounded once to float
     */
    public static float entropy(float[] p, LogBase base) {
        return toFloat(Information.entropy(widen(p, "p"), base));
    }

    /**
     * Cross-entropy in nats, epsilon 0: {@code H(p, q) = -sum_{i: p_i > 0} p_i log(q_i)}.
     * p_i &gt; 0 with q_i = 0 gives +inf.
     *
     * @param p the true distribution, each in [0, 1]
     * @param q the predicted distribution, same length, each in [0, 1]
     * @return H(p, q)
     * @throws XentException {@code invalid_shape}, {@code shape_mismatch}, {@code invalid_probability}
     */
    public static double crossEntropy(double[] p, double[] q) {
        return Information.crossEntropy(p, q, LogBase.E, 0.0);
    }

    /**
     * Cross-entropy with base and epsilon: with epsilon = 0, {@code H = -sum_{i: p_i > 0} p_i log(q_i) / log(base)};
     * with epsilon &gt; 0 (seed document 000), {@code q'_i = (q_i + eps) / sum_j (q_j + eps)} and
     * {@code H = -sum_{i: p_i > 0} p_i log(q'_i) / log(base)}.
     *
     * @param p       the true distribution, each in [0, 1]
     * @param q       the predicted distribution, same length, each in [0, 1]
     * @param base    {@link LogBase#E} or {@link LogBase#TWO}
     * @param epsilon in [0, 1]
     * @return H(p, q)
     * @throws XentException {@code invalid_shape}, {@code shape_mismatch}, {@code invalid_probability},
     *                       {@code invalid_argument}
     */
    public static double crossEntropy(double[] p, double[] q, LogBase base, double epsilon) {
        return Information.crossEntropy(p, q, base, epsilon);
    }

    /**
     * Float32 {@link #crossEntropy(double[], double[], LogBase, double)}; epsilon is rounded to float first.
     *
     * @param p       the true distribution
     * @param q       the predicted distribution
     * @param base    the base
     * @param epsilon in [0, 1]
     * @return H(p, q) rounded once to float
     */
    public static float crossEntropy(float[] p, float[] q, LogBase base, double epsilon) {
        return toFloat(Information.crossEntropy(widen(p, "p"), widen(q, "q"), base, asFloat32(epsilon)));
    }

    /**
     * Kullback-Leibler divergence in nats: {@code KL(p || q) = sum_{i: p_i > 0} p_i log(p_i / q_i)}.
     * p_i &gt; 0 with q_i = 0 gives +inf; KL(p || p) = 0 exactly.
     *
     * @param p the first distribution, each in [0, 1]
     * @param q the second distribution, same length, each in [0, 1]
     * @return KL(p || q)
     * @throws XentException {@code invalid_shape}, {@code shape_mismatch}, {@code invalid_probability}
     */
    public static double klDivergence(double[] p, double[] q) {
        return Information.klDivergence(p, q, LogBase.E);
    }

    /**
     * Kullback-Leibler divergence in the given base: {@code sum_{i: p_i > 0} p_i log(p_i / q_i) / log(base)}.
     *
     * @param p    the first distribution
     * @param q    the second distribution
     * @param base {@link LogBase#E} or {@link LogBase#TWO}
     * @return KL(p || q)
     * @throws XentException {@code invalid_shape}, {@code shape_mismatch}, {@code invalid_probability},
     *                       {@code invalid_argument}
     */
    public static double klDivergence(double[] p, double[] q, LogBase base) {
        return Information.klDivergence(p, q, base);
    }

    /**
     * Float32 {@link #klDivergence(double[], double[], LogBase)}.
     *
     * @param p    the first distribution
     * @param q    the second distribution
     * @param base the base
     * @return KL(p || q) rounded once to float
     */
    public static float klDivergence(float[] p, float[] q, LogBase base) {
        return toFloat(Information.klDivergence(widen(p, "p"), widen(q, "q"), base));
    }

    // =================================================================== losses from probabilities

    /**
     * Clamped negative log-likelihood, per sample: {@code l_n = -log(max(probs[n, target_n], epsilon))}.
     *
     * @param probs   row-major [N, C] probabilities, each in [0, 1]
     * @param shape   {N, C}, C &gt;= 1
     * @param target  N class indices in [0, C)
     * @param epsilon the clamp, in [0, 1] (the seed's is 1e-15)
     * @return l, length N
     * @throws XentException {@code invalid_shape}, {@code shape_mismatch}, {@code index_out_of_range},
     *                       {@code invalid_probability}, {@code invalid_argument}
     */
    public static double[] nllFromProbsUnreduced(double[] probs, int[] shape, int[] target, double epsilon) {
        return ProbabilityLosses.nllFromProbs(probs, shape, target, epsilon).values();
    }

    /**
     * Clamped negative log-likelihood, reduced: sum or mean over n of {@code -log(max(probs[n, target_n], epsilon))}.
     * The mean of N = 0 rows is NaN.
     *
     * @param probs     row-major [N, C] probabilities
     * @param shape     {N, C}
     * @param target    N class indices
     * @param epsilon   the clamp, in [0, 1]
     * @param reduction {@link Reduction#SUM} or {@link Reduction#MEAN}
     * @return the reduced loss
     * @throws XentException as {@link #nllFromProbsUnreduced}; {@code invalid_argument} for NONE
     */
    public static double nllFromProbs(double[] probs, int[] shape, int[] target, double epsilon, Reduction reduction) {
        Check.reduced(reduction, "nllFromProbs");
        return ProbabilityLosses.nllFromProbs(probs, shape, target, epsilon).reduce(reduction);
    }

    /**
     * {@link #nllFromProbs(double[], int[], int[], double, Reduction)} for a [N, C] matrix.
     *
     * @param probs     N rows of C probabilities (N &gt;= 1)
     * @param target    N class indices
     * @param epsilon   the clamp
     * @param reduction SUM or MEAN
     * @return the reduced loss
     */
    public static double nllFromProbs(double[][] probs, int[] target, double epsilon, Reduction reduction) {
        return nllFromProbs(Check.flatten(probs, "probs"), Check.shape2(probs), target, epsilon, reduction);
    }

    /**
     * Float32 {@link #nllFromProbsUnreduced(double[], int[], int[], double)}; epsilon rounded to float.
     *
     * @param probs   row-major [N, C]
     * @param shape   {N, C}
     * @param target  N class indices
     * @param epsilon the clamp
     * @return l, length N, each rounded once to float
     */
    public static float[] nllFromProbsUnreduced(float[] probs, int[] shape, int[] target, double epsilon) {
        return Check.toFloat(nllFromProbsUnreduced(widen(probs, "probs"), shape, target, asFloat32(epsilon)));
    }

    /**
     * Float32 {@link #nllFromProbs(double[], int[], int[], double, Reduction)}; epsilon rounded to float.
     *
     * @param probs     row-major [N, C]
     * @param shape     {N, C}
     * @param target    N class indices
     * @param epsilon   the clamp
     * @param reduction SUM or MEAN
     * @return the reduced loss rounded once to float
     */
    public static float nllFromProbs(float[] probs, int[] shape, int[] target, double epsilon, Reduction reduction) {
        return toFloat(nllFromProbs(widen(probs, "probs"), shape, target, asFloat32(epsilon), reduction));
    }

    /**
     * Categorical cross-entropy per row: {@code l_n = -sum_{c: t[n,c] > 0} t[n,c] log(p[n,c])}, no clamp.
     *
     * @param t     row-major [N, C] targets, each in [0, 1]
     * @param p     row-major [N, C] predicted probabilities, each in [0, 1]
     * @param shape {N, C} of both, C &gt;= 1
     * @return l, length N
     * @throws XentException {@code invalid_shape}, {@code shape_mismatch}, {@code invalid_probability}
     */
    public static double[] categoricalCrossEntropyUnreduced(double[] t, double[] p, int[] shape) {
        return ProbabilityLosses.categoricalCrossEntropy(t, shape, p, shape).values();
    }

    /**
     * Categorical cross-entropy reduced over rows (sum, or mean over N).
     *
     * @param t         row-major [N, C] targets
     * @param p         row-major [N, C] probabilities
     * @param shape     {N, C}
     * @param reduction SUM or MEAN
     * @return the reduced loss
     */
    public static double categoricalCrossEntropy(double[] t, double[] p, int[] shape, Reduction reduction) {
        Check.reduced(reduction, "categoricalCrossEntropy");
        return ProbabilityLosses.categoricalCrossEntropy(t, shape, p, shape).reduce(reduction);
    }

    /**
     * {@link #categoricalCrossEntropy(double[], double[], int[], Reduction)} for [N, C] matrices.
     *
     * @param t         N rows of C targets
     * @param p         N rows of C probabilities
     * @param reduction SUM or MEAN
     * @return the reduced loss
     */
    public static double categoricalCrossEntropy(double[][] t, double[][] p, Reduction reduction) {
        Check.reduced(reduction, "categoricalCrossEntropy");
        return ProbabilityLosses.categoricalCrossEntropy(Check.flatten(t, "t"), Check.shape2(t),
                Check.flatten(p, "p"), Check.shape2(p)).reduce(reduction);
    }

    /**
     * Float32 {@link #categoricalCrossEntropyUnreduced(double[], double[], int[])}.
     *
     * @param t     row-major [N, C] targets
     * @param p     row-major [N, C] probabilities
     * @param shape {N, C}
     * @return l, each rounded once to float
     */
    public static float[] categoricalCrossEntropyUnreduced(float[] t, float[] p, int[] shape) {
        return Check.toFloat(categoricalCrossEntropyUnreduced(widen(t, "t"), widen(p, "p"), shape));
    }

    /**
     * Float32 {@link #categoricalCrossEntropy(double[], double[], int[], Reduction)}.
     *
     * @param t         row-major [N, C] targets
     * @param p         row-major [N, C] probabilities
     * @param shape     {N, C}
     * @param reduction SUM or MEAN
     * @return the reduced loss rounded once to float
     */
    public static float categoricalCrossEntropy(float[] t, float[] p, int[] shape, Reduction reduction) {
        return toFloat(categoricalCrossEntropy(widen(t, "t"), widen(p, "p"), shape, reduction));
    }

    /**
     * Binary cross-entropy from probabilities, elementwise:
     * {@code p' = min(max(p, eps), 1 - eps)} (1 - eps exact), {@code l = -(y log p' + (1 - y) log(1 - p'))},
     * zero-coefficient terms contributing 0. epsilon = 0 disables the clip.
     *
     * @param y       targets in [0, 1] (any shape, flat)
     * @param p       probabilities in [0, 1], same length
     * @param epsilon the clip, in [0, 0.5) (the seed's is 1e-15)
     * @return l, one per element
     * @throws XentException {@code shape_mismatch}, {@code invalid_probability}, {@code invalid_argument}
     */
    public static double[] binaryCrossEntropyUnreduced(double[] y, double[] p, double epsilon) {
        return ProbabilityLosses.binaryCrossEntropy(y, p, epsilon).values();
    }

    /**
     * Binary cross-entropy from probabilities, reduced (sum, or mean over the number of elements).
     *
     * @param y         targets in [0, 1]
     * @param p         probabilities in [0, 1]
     * @param epsilon   the clip, in [0, 0.5)
     * @param reduction SUM or MEAN
     * @return the reduced loss; the mean of no element is NaN
     */
    public static double binaryCrossEntropy(double[] y, double[] p, double epsilon, Reduction reduction) {
        Check.reduced(reduction, "binaryCrossEntropy");
        return ProbabilityLosses.binaryCrossEntropy(y, p, epsilon).reduce(reduction);
    }

    /**
     * Float32 {@link #binaryCrossEntropyUnreduced(double[], double[], double)}; epsilon rounded to float.
     *
     * @param y       targets
     * @param p       probabilities
     * @param epsilon the clip
     * @return l, each rounded once to float
     */
    public static float[] binaryCrossEntropyUnreduced(float[] y, float[] p, double epsilon) {
        return Check.toFloat(binaryCrossEntropyUnreduced(widen(y, "y"), widen(p, "p"), asFloat32(epsilon)));
    }

    /**
     * Float32 {@link #binaryCrossEntropy(double[], double[], double, Reduction)}; epsilon rounded to float.
     *
     * @param y         targets
     * @param p         probabilities
     * @param epsilon   the clip
     * @param reduction SUM or MEAN
     * @return the reduced loss rounded once to float
     */
    public static float binaryCrossEntropy(float[] y, float[] p, double epsilon, Reduction reduction) {
        return toFloat(binaryCrossEntropy(widen(y, "y"), widen(p, "p"), asFloat32(epsilon), reduction));
    }

    // =================================================================== losses from logits

    /**
     * Softmax cross-entropy with class-index targets, per position (reduction none). With
     * {@code lp = log_softmax} over axis 1 of logits [N, C, d1..dk] and y the target of a position,
     * {@code loss = -sum_c w_c q_c lp_c}, where {@code q_c = (1 - eps)[c = y] + eps / C} (uniform) or
     * {@code (1 - eps)[c = y] + eps / (C - 1) [c != y]} (off_target); ignored positions (target =
     * ignore_index) give 0.
     *
     * @param logits  row-major logits
     * @param shape   [N, C, d1..dk], rank 2 to 5, C &gt;= 1
     * @param target  class indices, row-major [N, d1..dk]
     * @param options weight, ignore_index, label smoothing and its mode
     * @return one loss per position, row-major [N, d1..dk]
     * @throws XentException {@code invalid_shape}, {@code shape_mismatch}, {@code index_out_of_range},
     *                       {@code invalid_argument}
     */
    public static double[] softmaxCrossEntropyUnreduced(double[] logits, int[] shape, int[] target,
                                                        SoftmaxCrossEntropyOptions options) {
        Check.notNull(target, "target");
        Check.notNull(options, "options");
        return LogitLosses.softmaxCrossEntropy(call(logits, shape, target, null, options)).values();
    }

    /**
     * Softmax cross-entropy with class-index targets, reduced: sum of the position losses, or their sum
     * divided by {@code sum over non-ignored positions of w_y} (mean; 0/0 = NaN when all are ignored).
     *
     * @param logits    row-major logits [N, C, d1..dk]
     * @param shape     the logits' shape
     * @param target    class indices [N, d1..dk]
     * @param options   weight, ignore_index, label smoothing and its mode
     * @param reduction SUM or MEAN
     * @return the reduced loss
     */
    public static double softmaxCrossEntropy(double[] logits, int[] shape, int[] target,
                                             SoftmaxCrossEntropyOptions options, Reduction reduction) {
        Check.reduced(reduction, "softmaxCrossEntropy");
        Check.notNull(target, "target");
        Check.notNull(options, "options");
        return LogitLosses.softmaxCrossEntropy(call(logits, shape, target, null, options))
                .reduce(reduction);
    }

    /**
     * {@link #softmaxCrossEntropy(double[], int[], int[], SoftmaxCrossEntropyOptions, Reduction)} for [N, C]
     * logits and the default options: {@code mean_n (a_n - x[n, y_n] + log1p(s_n))}.
     *
     * @param logits    N rows of C logits
     * @param target    N class indices
     * @param reduction SUM or MEAN
     * @return the reduced loss
     */
    public static double softmaxCrossEntropy(double[][] logits, int[] target, Reduction reduction) {
        return softmaxCrossEntropy(Check.flatten(logits, "logits"), Check.shape2(logits), target,
                SoftmaxCrossEntropyOptions.defaults(), reduction);
    }

    /**
     * Softmax cross-entropy with probability targets (same shape as the logits), per position:
     * {@code t' = (1 - eps) t + eps / C} (uniform) or {@code (1 - eps) t + eps / (C - 1) (1 - t)} (off_target),
     * {@code loss = -sum_c w_c t'_c lp_c}. ignore_index has no effect.
     *
     * @param logits  row-major logits [N, C, d1..dk]
     * @param shape   the logits' shape
     * @param target  class probabilities, the logits' shape, each in [0, 1]
     * @param options weight, label smoothing and its mode
     * @return one loss per position [N, d1..dk]
     * @throws XentException {@code invalid_shape}, {@code shape_mismatch}, {@code invalid_probability},
     *                       {@code invalid_argument}
     */
    public static double[] softmaxCrossEntropyUnreduced(double[] logits, int[] shape, double[] target,
                                                        SoftmaxCrossEntropyOptions options) {
        Check.notNull(target, "target");
        Check.notNull(options, "options");
        return LogitLosses.softmaxCrossEntropy(call(logits, shape, null, target, options)).values();
    }

    /**
     * Softmax cross-entropy with probability targets, reduced: the sum, or the sum divided by the number
     * of positions N * d1 * ... * dk (mean), weights or not.
     *
     * @param logits    row-major logits
     * @param shape     the logits' shape
     * @param target    class probabilities, the logits' shape
     * @param options   weight, label smoothing and its mode
     * @param reduction SUM or MEAN
     * @return the reduced loss
     */
    public static double softmaxCrossEntropy(double[] logits, int[] shape, double[] target,
                                             SoftmaxCrossEntropyOptions options, Reduction reduction) {
        Check.reduced(reduction, "softmaxCrossEntropy");
        Check.notNull(target, "target");
        Check.notNull(options, "options");
        return LogitLosses.softmaxCrossEntropy(call(logits, shape, null, target, options))
                .reduce(reduction);
    }

    /**
     * Float32 softmax cross-entropy with class-index targets, per position; options rounded to float.
     *
     * @param logits  row-major logits
     * @param shape   the logits' shape
     * @param target  class indices
     * @param options the options
     * @return one loss per position, each rounded once to float
     */
    public static float[] softmaxCrossEntropyUnreduced(float[] logits, int[] shape, int[] target,
                                                       SoftmaxCrossEntropyOptions options) {
        Check.notNull(options, "options");
        Check.notNull(target, "target");
        return Check.toFloat(LogitLosses.softmaxCrossEntropy(
                call(logits, shape, target, null, options)).values());
    }

    /**
     * Float32 softmax cross-entropy with class-index targets, reduced; options rounded to float.
     *
     * @param logits    row-major logits
     * @param shape     the logits' shape
     * @param target    class indices
     * @param options   the options
     * @param reduction SUM or MEAN
     * @return the reduced loss rounded once to float
     */
    public static float softmaxCrossEntropy(float[] logits, int[] shape, int[] target,
                                            SoftmaxCrossEntropyOptions options, Reduction reduction) {
        Check.reduced(reduction, "softmaxCrossEntropy");
        Check.notNull(options, "options");
        Check.notNull(target, "target");
        return toFloat(LogitLosses.softmaxCrossEntropy(
                call(logits, shape, target, null, options)).reduce(reduction));
    }

    /**
     * Float32 softmax cross-entropy with probability targets, per position; options rounded to float.
     *
     * @param logits  row-major logits
     * @param shape   the logits' shape
     * @param target  class probabilities
     * @param options the options
     * @return one loss per position, each rounded once to float
     */
    public static float[] softmaxCrossEntropyUnreduced(float[] logits, int[] shape, float[] target,
                                                       SoftmaxCrossEntropyOptions options) {
        Check.notNull(options, "options");
        return Check.toFloat(LogitLosses.softmaxCrossEntropy(
                call(logits, shape, null, widen(target, "target"), options)).values());
    }

    /**
     * Float32 softmax cross-entropy with probability targets, reduced; options rounded to float.
     *
     * @param logits    row-major logits
     * @param shape     the logits' shape
     * @param target    class probabilities
     * @param options   the options
     * @param reduction SUM or MEAN
     * @return the reduced loss rounded once to float
     */
    public static float softmaxCrossEntropy(float[] logits, int[] shape, float[] target,
                                            SoftmaxCrossEntropyOptions options, Reduction reduction) {
        Check.reduced(reduction, "softmaxCrossEntropy");
        Check.notNull(options, "options");
        return toFloat(LogitLosses.softmaxCrossEntropy(
                call(logits, shape, null, widen(target, "target"), options))
                .reduce(reduction));
    }

    /**
     * Gradient of softmax cross-entropy (class-index targets) with respect to the logits: with
     * {@code m_c = w_c q_c} and {@code g = softmax} over axis 1, {@code d loss / d x_c = g_c sum_j m_j - m_c};
     * ignored positions give 0; multiplied by 1 for NONE and SUM, divided by the mean's denominator for
     * MEAN (a zero denominator gives NaN everywhere).
     *
     * @param logits    row-major logits [N, C, d1..dk]
     * @param shape     the logits' shape
     * @param target    class indices [N, d1..dk]
     * @param options   weight, ignore_index, label smoothing and its mode
     * @param reduction the loss's reduction (NONE, SUM or MEAN)
     * @return the gradient, the logits' shape
     * @throws XentException as {@link #softmaxCrossEntropyUnreduced(double[], int[], int[], SoftmaxCrossEntropyOptions)}
     */
    public static double[] softmaxCrossEntropyGrad(double[] logits, int[] shape, int[] target,
                                                   SoftmaxCrossEntropyOptions options, Reduction reduction) {
        Check.notNull(target, "target");
        Check.notNull(options, "options");
        return Gradients.softmaxCrossEntropyGrad(call(logits, shape, target, null, options),
                reduction);
    }

    /**
     * Gradient of softmax cross-entropy with probability targets: {@code g_c sum_j m_j - m_c} with
     * {@code m_c = w_c t'_c}; divided by the number of positions for MEAN.
     *
     * @param logits    row-major logits
     * @param shape     the logits' shape
     * @param target    class probabilities, the logits' shape
     * @param options   weight, label smoothing and its mode
     * @param reduction NONE, SUM or MEAN
     * @return the gradient, the logits' shape
     */
    public static double[] softmaxCrossEntropyGrad(double[] logits, int[] shape, double[] target,
                                                   SoftmaxCrossEntropyOptions options, Reduction reduction) {
        Check.notNull(target, "target");
        Check.notNull(options, "options");
        return Gradients.softmaxCrossEntropyGrad(call(logits, shape, null, target, options),
                reduction);
    }

    /**
     * Float32 {@link #softmaxCrossEntropyGrad(double[], int[], int[], SoftmaxCrossEntropyOptions, Reduction)}.
     *
     * @param logits    row-major logits
     * @param shape     the logits' shape
     * @param target    class indices
     * @param options   the options (rounded to float)
     * @param reduction NONE, SUM or MEAN
     * @return the gradient, each element rounded once to float
     */
    public static float[] softmaxCrossEntropyGrad(float[] logits, int[] shape, int[] target,
                                                  SoftmaxCrossEntropyOptions options, Reduction reduction) {
        Check.notNull(target, "target");
        Check.notNull(options, "options");
        return Check.toFloat(Gradients.softmaxCrossEntropyGrad(
                call(logits, shape, target, null, options), reduction));
    }

    /**
     * Float32 {@link #softmaxCrossEntropyGrad(double[], int[], double[], SoftmaxCrossEntropyOptions, Reduction)}.
     *
     * @param logits    row-major logits
     * @param shape     the logits' shape
     * @param target    class probabilities
     * @param options   the options (rounded to float)
     * @param reduction NONE, SUM or MEAN
     * @return the gradient, each element rounded once to float
     */
    public static float[] softmaxCrossEntropyGrad(float[] logits, int[] shape, float[] target,
                                                  SoftmaxCrossEntropyOptions options, Reduction reduction) {
        Check.notNull(options, "options");
        return Check.toFloat(Gradients.softmaxCrossEntropyGrad(
                call(logits, shape, null, widen(target, "target"), options),
                reduction));
    }

    /**
     * Binary cross-entropy from logits, elementwise:
     * {@code l = w (pw y softplus(-z) + (1 - y) softplus(z))}, w = pw = 1 when absent; weight and pos_weight
     * have z's shape or shape [C] with C the last dimension (broadcast along the last axis).
     *
     * @param z         row-major logits
     * @param shape     z's shape, rank 1 to 5 (y has the same shape)
     * @param y         targets in [0, 1]
     * @param weight    w, or null
     * @param posWeight pw, or null
     * @return l, one per element
     * @throws XentException {@code invalid_shape}, {@code shape_mismatch}, {@code invalid_probability},
     *                       {@code invalid_argument}
     */
    public static double[] binaryCrossEntropyWithLogitsUnreduced(double[] z, int[] shape, double[] y,
                                                                 double[] weight, double[] posWeight) {
        return LogitLosses.bceWithLogits(z, shape, y, null, weight, posWeight).values();
    }

    /**
     * Binary cross-entropy from logits, reduced (sum, or mean over numel(z)).
     *
     * @param z         row-major logits
     * @param shape     z's shape
     * @param y         targets in [0, 1]
     * @param weight    w, or null
     * @param posWeight pw, or null
     * @param reduction SUM or MEAN
     * @return the reduced loss
     */
    public static double binaryCrossEntropyWithLogits(double[] z, int[] shape, double[] y, double[] weight,
                                                      double[] posWeight, Reduction reduction) {
        Check.reduced(reduction, "binaryCrossEntropyWithLogits");
        return LogitLosses.bceWithLogitsReduced(z, shape, y, null, weight, posWeight, reduction);
    }

    /**
     * Float32 {@link #binaryCrossEntropyWithLogitsUnreduced}; weights rounded to float.
     *
     * @param z         row-major logits
     * @param shape     z's shape
     * @param y         targets
     * @param weight    w, or null
     * @param posWeight pw, or null
     * @return l, each rounded once to float
     */
    public static float[] binaryCrossEntropyWithLogitsUnreduced(float[] z, int[] shape, float[] y,
                                                                double[] weight, double[] posWeight) {
        return Check.toFloat(LogitLosses.bceWithLogits(widen(z, "z"), shape, widen(y, "y"), null, roundWeights(weight),
                roundWeights(posWeight)).values());
    }

    /**
     * Float32 {@link #binaryCrossEntropyWithLogits}; weights rounded to float.
     *
     * @param z         row-major logits
     * @param shape     z's shape
     * @param y         targets
     * @param weight    w, or null
     * @param posWeight pw, or null
     * @param reduction SUM or MEAN
     * @return the reduced loss rounded once to float
     */
    public static float binaryCrossEntropyWithLogits(float[] z, int[] shape, float[] y, double[] weight,
                                                     double[] posWeight, Reduction reduction) {
        Check.reduced(reduction, "binaryCrossEntropyWithLogits");
        return toFloat(LogitLosses.bceWithLogitsReduced(widen(z, "z"), shape, widen(y, "y"), null, roundWeights(weight),
                roundWeights(posWeight), reduction));
    }

    /**
     * Gradient of binary cross-entropy from logits with respect to z:
     * {@code w ((1 - y) sigmoid(z) - pw y sigmoid(-z))} (= {@code w (sigmoid(z) - y)} for pw = 1),
     * divided by numel(z) for MEAN.
     *
     * @param z         row-major logits
     * @param shape     z's shape
     * @param y         targets in [0, 1]
     * @param weight    w, or null
     * @param posWeight pw, or null
     * @param reduction NONE, SUM or MEAN
     * @return the gradient, z's shape
     */
    public static double[] binaryCrossEntropyWithLogitsGrad(double[] z, int[] shape, double[] y, double[] weight,
                                                            double[] posWeight, Reduction reduction) {
        return Gradients.bceWithLogitsGrad(z, shape, y, null, weight, posWeight, reduction);
    }

    /**
     * Float32 {@link #binaryCrossEntropyWithLogitsGrad(double[], int[], double[], double[], double[], Reduction)}.
     *
     * @param z         row-major logits
     * @param shape     z's shape
     * @param y         targets
     * @param weight    w, or null (rounded to float)
     * @param posWeight pw, or null (rounded to float)
     * @param reduction NONE, SUM or MEAN
     * @return the gradient, each element rounded once to float
     */
    public static float[] binaryCrossEntropyWithLogitsGrad(float[] z, int[] shape, float[] y, double[] weight,
                                                           double[] posWeight, Reduction reduction) {
        return Check.toFloat(Gradients.bceWithLogitsGrad(widen(z, "z"), shape, widen(y, "y"), null, roundWeights(weight),
                roundWeights(posWeight), reduction));
    }

    /**
     * Softmax focal loss per row (seed document 000): {@code p_t = softmax(x_n)_{y_n}},
     * {@code FL_n = alpha_{y_n} (1 - p_t)^gamma (-log p_t)}, alpha = 1 when absent, 0^0 = 1; evaluated with
     * {@code -log p_t = (a - x_y) + log1p(s)} and {@code 1 - p_t} formed without cancellation.
     *
     * @param logits row-major [N, C] logits
     * @param shape  {N, C}, C &gt;= 1
     * @param target N class indices in [0, C)
     * @param gamma  the focusing parameter, finite and &gt;= 0 (default 2)
     * @param alpha  per-class weights [C], finite and &gt;= 0, or null
     * @return FL, length N
     * @throws XentException {@code invalid_shape}, {@code shape_mismatch}, {@code index_out_of_range},
     *                       {@code invalid_argument}
     */
    public static double[] focalLossUnreduced(double[] logits, int[] shape, int[] target, double gamma, double[] alpha) {
        return LogitLosses.focalLoss(logits, shape, target, gamma, alpha).values();
    }

    /**
     * Softmax focal loss reduced: the sum, or the sum divided by N (not by the sum of alpha).
     *
     * @param logits    row-major [N, C] logits
     * @param shape     {N, C}
     * @param target    N class indices
     * @param gamma     the focusing parameter
     * @param alpha     per-class weights, or null
     * @param reduction SUM or MEAN
     * @return the reduced loss
     */
    public static double focalLoss(double[] logits, int[] shape, int[] target, double gamma, double[] alpha,
                                   Reduction reduction) {
        Check.reduced(reduction, "focalLoss");
        return LogitLosses.focalLoss(logits, shape, target, gamma, alpha).reduce(reduction);
    }

    /**
     * {@link #focalLoss(double[], int[], int[], double, double[], Reduction)} for a [N, C] matrix.
     *
     * @param logits    N rows of C logits
     * @param target    N class indices
     * @param gamma     the focusing parameter
     * @param alpha     per-class weights, or null
     * @param reduction SUM or MEAN
     * @return the reduced loss
     */
    public static double focalLoss(double[][] logits, int[] target, double gamma, double[] alpha, Reduction reduction) {
        return focalLoss(Check.flatten(logits, "logits"), Check.shape2(logits), target, gamma, alpha, reduction);
    }

    /**
     * Float32 {@link #focalLossUnreduced}; gamma and alpha rounded to float.
     *
     * @param logits row-major [N, C]
     * @param shape  {N, C}
     * @param target N class indices
     * @param gamma  the focusing parameter
     * @param alpha  per-class weights, or null
     * @return FL, each rounded once to float
     */
    public static float[] focalLossUnreduced(float[] logits, int[] shape, int[] target, double gamma, double[] alpha) {
        return Check.toFloat(LogitLosses.focalLoss(widen(logits, "logits"), shape, target, asFloat32(gamma), roundWeights(alpha)).values());
    }

    /**
     * Float32 {@link #focalLoss(double[], int[], int[], double, double[], Reduction)}.
     *
     * @param logits    row-major [N, C]
     * @param shape     {N, C}
     * @param target    N class indices
     * @param gamma     the focusing parameter
     * @param alpha     per-class weights, or null
     * @param reduction SUM or MEAN
     * @return the reduced loss rounded once to float
     */
    public static float focalLoss(float[] logits, int[] shape, int[] target, double gamma, double[] alpha,
                                  Reduction reduction) {
        Check.reduced(reduction, "focalLoss");
        return toFloat(LogitLosses.focalLoss(widen(logits, "logits"), shape, target, asFloat32(gamma), roundWeights(alpha)).reduce(reduction));
    }

    /**
     * Sigmoid focal loss (RetinaNet, torchvision), elementwise:
     * {@code ce = y softplus(-z) + (1 - y) softplus(z)}, {@code 1 - p_t = y sigmoid(-z) + (1 - y) sigmoid(z)},
     * {@code loss = ce (1 - p_t)^gamma}, times {@code alpha y + (1 - alpha)(1 - y)} when alpha is not null.
     *
     * @param z     row-major logits
     * @param shape z's shape, rank 1 to 5 (y has the same shape)
     * @param y     targets in [0, 1]
     * @param alpha in [0, 1], or null to disable the weighting (default 0.25)
     * @param gamma finite, &gt;= 0 (default 2)
     * @return the loss per element
     * @throws XentException {@code invalid_shape}, {@code shape_mismatch}, {@code invalid_probability},
     *                       {@code invalid_argument}
     */
    public static double[] sigmoidFocalLossUnreduced(double[] z, int[] shape, double[] y, Double alpha, double gamma) {
        return LogitLosses.sigmoidFocalLoss(z, shape, y, null, alpha, gamma).values();
    }

    /**
     * Sigmoid focal loss reduced: the sum, or the mean over numel(z).
     *
     * @param z         row-major logits
     * @param shape     z's shape
     * @param y         targets in [0, 1]
     * @param alpha     in [0, 1], or null
     * @param gamma     finite, &gt;= 0
     * @param reduction SUM or MEAN
     * @return the reduced loss
     */
    public static double sigmoidFocalLoss(double[] z, int[] shape, double[] y, Double alpha, double gamma,
                                          Reduction reduction) {
        Check.reduced(reduction, "sigmoidFocalLoss");
        return LogitLosses.sigmoidFocalLoss(z, shape, y, null, alpha, gamma).reduce(reduction);
    }

    /**
     * Float32 {@link #sigmoidFocalLossUnreduced}; alpha and gamma rounded to float.
     *
     * @param z     row-major logits
     * @param shape z's shape
     * @param y     targets
     * @param alpha in [0, 1], or null
     * @param gamma finite, &gt;= 0
     * @return the loss per element, rounded once to float
     */
    public static float[] sigmoidFocalLossUnreduced(float[] z, int[] shape, float[] y, Double alpha, double gamma) {
        return Check.toFloat(LogitLosses.sigmoidFocalLoss(widen(z, "z"), shape, widen(y, "y"), null,
                alpha == null ? null : asFloat32(alpha), asFloat32(gamma)).values());
    }

    /**
     * Float32 {@link #sigmoidFocalLoss(double[], int[], double[], Double, double, Reduction)}.
     *
     * @param z         row-major logits
     * @param shape     z's shape
     * @param y         targets
     * @param alpha     in [0, 1], or null
     * @param gamma     finite, &gt;= 0
     * @param reduction SUM or MEAN
     * @return the reduced loss rounded once to float
     */
    public static float sigmoidFocalLoss(float[] z, int[] shape, float[] y, Double alpha, double gamma,
                                         Reduction reduction) {
        Check.reduced(reduction, "sigmoidFocalLoss");
        return toFloat(LogitLosses.sigmoidFocalLoss(widen(z, "z"), shape, widen(y, "y"), null,
                alpha == null ? null : asFloat32(alpha), asFloat32(gamma)).reduce(reduction));
    }

    /**
     * Gradient of the squared error {@code (y - sigmoid(z))^2 / 2} with respect to z, elementwise:
     * {@code (p - y) p (1 - p)} with {@code p = sigmoid(z)} and {@code 1 - p = sigmoid(-z)}.
     *
     * @param z the logits (any shape, flat)
     * @param y the targets in [0, 1], same length
     * @return the gradient per element
     * @throws XentException {@code shape_mismatch}, {@code invalid_probability}
     */
    public static double[] sigmoidMseGrad(double[] z, double[] y) {
        return Gradients.sigmoidMseGrad(z, y);
    }

    /**
     * Float32 {@link #sigmoidMseGrad(double[], double[])}.
     *
     * @param z the logits
     * @param y the targets
     * @return the gradient per element, rounded once to float
     */
    public static float[] sigmoidMseGrad(float[] z, float[] y) {
        return Check.toFloat(Gradients.sigmoidMseGrad(widen(z, "z"), widen(y, "y")));
    }
}
