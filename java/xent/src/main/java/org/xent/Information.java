package org.xent;

import static org.xent.Float32.asFloat32;
import static org.xent.Float32.toFloat;
import static org.xent.Float32.widen;

/**
 * Information theory over discrete distributions: entropy, cross-entropy and KL divergence in a
 * chosen {@link LogBase} (Python: {@code xent.information}).
 * The conventions of every public class of the package are in its package documentation.
 */
public final class Information {
    private Information() {
    }

    /**
     * Shannon entropy in nats: {@code H(p) = -sum_i p_i log(p_i)}, with 0 log 0 = 0. The distribution is
     * used as given (not renormalised).
     *
     * @param p the distribution, length n &gt;= 1, each p_i in [0, 1]
     * @return H(p)
     * @throws XentException {@code invalid_shape} (empty), {@code invalid_probability}
     */
    public static double entropy(double[] p) {
        return InformationKernels.entropy(p, LogBase.E);
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
        return InformationKernels.entropy(p, base);
    }

    /**
     * Float32 {@link #entropy(double[], LogBase)}.
     *
     * @param p    the distribution
     * @param base the base
     * @return H(p) rounded once to float
     */
    public static float entropy(float[] p, LogBase base) {
        return toFloat(InformationKernels.entropy(widen(p, "p"), base));
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
        return InformationKernels.crossEntropy(p, q, LogBase.E, 0.0);
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
        return InformationKernels.crossEntropy(p, q, base, epsilon);
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
        return toFloat(InformationKernels.crossEntropy(widen(p, "p"), widen(q, "q"), base, asFloat32(epsilon)));
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
        return InformationKernels.klDivergence(p, q, LogBase.E);
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
        return InformationKernels.klDivergence(p, q, base);
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
        return toFloat(InformationKernels.klDivergence(widen(p, "p"), widen(q, "q"), base));
    }
}
