package org.xent;

import static org.xent.Float32.asFloat32;
import static org.xent.Float32.toFloat;
import static org.xent.Float32.widen;

/**
 * Losses from probabilities: the clamped negative log-likelihood ({@code nll_from_probs}),
 * categorical cross-entropy and binary cross-entropy (Python: {@code xent.prob_losses}).
 * The conventions of every public class of the package are in its package documentation.
 */
public final class ProbabilityLosses {
    private ProbabilityLosses() {
    }

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
        return ProbabilityLossKernels.nllFromProbs(probs, shape, target, epsilon).values();
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
        return ProbabilityLossKernels.nllFromProbs(probs, shape, target, epsilon).reduce(reduction);
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
        return ProbabilityLossKernels.categoricalCrossEntropy(t, shape, p, shape).values();
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
        return ProbabilityLossKernels.categoricalCrossEntropy(t, shape, p, shape).reduce(reduction);
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
        return ProbabilityLossKernels.categoricalCrossEntropy(Check.flatten(t, "t"), Check.shape2(t),
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
        return ProbabilityLossKernels.binaryCrossEntropy(y, p, epsilon).values();
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
        return ProbabilityLossKernels.binaryCrossEntropy(y, p, epsilon).reduce(reduction);
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
}
