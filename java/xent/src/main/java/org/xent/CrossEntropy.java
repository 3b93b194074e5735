package org.xent;

/**
 * The two entry points of the seed document 002, {@link #softmax(double[])} and
 * {@link #crossEntropyLoss(double[], int)}, written anew to be accurate. The whole catalogue is in the
 * classes by concept: {@link Primitives}, {@link Information}, {@link ProbabilityLosses},
 * {@link LogitLosses} and {@link Gradients} (conventions in the package documentation).
 */
public final class CrossEntropy {
    private static final double DEFAULT_EPSILON = 1e-15;

    private CrossEntropy() {
    }

    /**
     * Softmax of a logit vector (seed document 002's entry point); the same as
     * {@link Primitives#softmax(double[])}.
     *
     * @param logits x, length n &gt;= 1
     * @return the probabilities, length n
     * @throws XentException {@code invalid_shape} when x is empty
     */
    public static double[] softmax(double[] logits) {
        return Primitives.softmax(logits);
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
        return ProbabilityLossKernels.nllFromProbs(predictedProbs, new int[] {1, predictedProbs.length},
                new int[] {trueClassIndex}, DEFAULT_EPSILON).per[0].value();
    }
}
