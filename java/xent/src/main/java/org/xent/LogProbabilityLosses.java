package org.xent;

import static org.xent.Float32.roundWeights;
import static org.xent.Float32.toFloat;
import static org.xent.Float32.widen;

import java.util.OptionalInt;

/**
 * Losses of log-probabilities, in the forms PyTorch and ONNX define them (Python: {@code xent.porting}):
 * {@code nll_loss} (PyTorch's {@code F.nll_loss}, ONNX's NegativeLogLikelihoodLoss) and {@code kl_div}
 * (PyTorch's {@code F.kl_div}). Neither range-checks its log-probabilities. The conventions of every
 * public class of the package are in its package documentation.
 */
public final class LogProbabilityLosses {
    private LogProbabilityLosses() {
    }

    /** PyTorch's default ignore_index. */
    private static final OptionalInt DEFAULT_IGNORE = OptionalInt.of(-100);

    /**
     * Negative log-likelihood per position: {@code -w_y input[n, y, d1..dk]} for a target y that is not
     * ignored, exactly 0 for an ignored one whatever its input holds (NaN included, D2). A zero weight
     * masks an infinite log-probability (D4); NaN is never masked. Each loss is the exact product rounded
     * once.
     *
     * @param input       log-probabilities, shape [N, C, d1..dk] (rank 2 to 8) or [C] (one sample)
     * @param shape       input's shape
     * @param target      class indices, one per position (N d1...dk of them, or one for [C])
     * @param weight      per-class weights [C], finite and &gt;= 0, or null
     * @param ignoreIndex the ignored target value, or {@link OptionalInt#empty()} to ignore none (ONNX
     *                    without the attribute); PyTorch's default is -100
     * @return the losses, shape [N, d1..dk] (one value for [C])
     * @throws XentException {@code invalid_shape} (rank, C = 0), {@code shape_mismatch} (target or weight
     *                       length), {@code invalid_argument} (a weight negative or not finite),
     *                       {@code index_out_of_range} (a target outside [0, C) that is not ignored)
     */
    public static double[] nllLossUnreduced(double[] input, int[] shape, int[] target, double[] weight,
            OptionalInt ignoreIndex) {
        return LogProbabilityLossKernels.values(LogProbabilityLossKernels.nll(input, shape, target, weight, ignoreIndex).terms());
    }

    /**
     * Negative log-likelihood reduced: the sum of {@link #nllLossUnreduced}, or (MEAN) that sum divided by
     * the sum of {@code w_y} over the positions not ignored (NaN when all are ignored).
     *
     * @param input       log-probabilities, [N, C, d1..dk] or [C]
     * @param shape       input's shape
     * @param target      class indices, one per position
     * @param weight      per-class weights [C], or null
     * @param ignoreIndex the ignored target value, or empty to ignore none
     * @param reduction   SUM or MEAN
     * @return the reduced loss
     * @throws XentException {@code invalid_argument} for reduction NONE (first), then as {@link #nllLossUnreduced}
     */
    public static double nllLoss(double[] input, int[] shape, int[] target, double[] weight, OptionalInt ignoreIndex,
            Reduction reduction) {
        Check.reduced(reduction, "nllLoss");
        LogProbabilityLossKernels.Nll nll = LogProbabilityLossKernels.nll(input, shape, target, weight, ignoreIndex);
        return LogProbabilityLossKernels.reduce(nll.terms(), reduction == Reduction.MEAN ? nll.denominator() : null);
    }

    /**
     * {@link #nllLoss(double[], int[], int[], double[], OptionalInt, Reduction)} with no weights and PyTorch's
     * ignore_index -100.
     *
     * @param input     log-probabilities, [N, C, d1..dk] or [C]
     * @param shape     input's shape
     * @param target    class indices, one per position
     * @param reduction SUM or MEAN
     * @return the reduced loss
     */
    public static double nllLoss(double[] input, int[] shape, int[] target, Reduction reduction) {
        return nllLoss(input, shape, target, null, DEFAULT_IGNORE, reduction);
    }

    /**
     * Float32 {@link #nllLossUnreduced(double[], int[], int[], double[], OptionalInt)}: weights rounded to
     * float first, each loss rounded once to float.
     *
     * @param input       log-probabilities, [N, C, d1..dk] or [C]
     * @param shape       input's shape
     * @param target      class indices, one per position
     * @param weight      per-class weights [C], or null
     * @param ignoreIndex the ignored target value, or empty to ignore none
     * @return the losses
     */
    public static float[] nllLossUnreduced(float[] input, int[] shape, int[] target, double[] weight,
            OptionalInt ignoreIndex) {
        return Check.toFloat(nllLossUnreduced(widen(input, "input"), shape, target, roundWeights(weight), ignoreIndex));
    }

    /**
     * Float32 {@link #nllLoss(double[], int[], int[], double[], OptionalInt, Reduction)}.
     *
     * @param input       log-probabilities, [N, C, d1..dk] or [C]
     * @param shape       input's shape
     * @param target      class indices, one per position
     * @param weight      per-class weights [C], or null
     * @param ignoreIndex the ignored target value, or empty to ignore none
     * @param reduction   SUM or MEAN
     * @return the reduced loss, rounded once to float
     */
    public static float nllLoss(float[] input, int[] shape, int[] target, double[] weight, OptionalInt ignoreIndex,
            Reduction reduction) {
        Check.reduced(reduction, "nllLoss");
        return toFloat(nllLoss(widen(input, "input"), shape, target, roundWeights(weight), ignoreIndex, reduction));
    }

    /**
     * PyTorch's {@code F.kl_div(input, target, reduction='none', log_target)} per element, input = log q:
     * {@code target (log target - input)}, 0 where target = 0 (even at an infinite input) and NaN where
     * target &lt; 0 (no error); with logTarget, {@code exp(target) (target - input)}, 0 where target = -inf.
     * Each term is evaluated in double-double (exp(target) with its own exponent) and rounded once.
     *
     * @param input     log-probabilities, any shape of rank 0 to 8
     * @param target    probabilities (or log-probabilities with logTarget), input's shape
     * @param shape     the shape
     * @param logTarget whether target holds log-probabilities
     * @return the terms, input's shape
     * @throws XentException {@code invalid_shape} (rank above 8), {@code shape_mismatch} (a length that
     *                       does not fill the shape)
     */
    public static double[] klDivUnreduced(double[] input, double[] target, int[] shape, boolean logTarget) {
        return LogProbabilityLossKernels.values(LogProbabilityLossKernels.kl(input, target, shape, logTarget));
    }

    /**
     * PyTorch's {@code F.kl_div} reduced: the sum of {@link #klDivUnreduced}, divided by the number of
     * elements (MEAN, PyTorch's default) or by the first dimension (BATCHMEAN: the divergence per sample;
     * the sum for a rank-0 input).
     *
     * @param input     log-probabilities, rank 0 to 8
     * @param target    probabilities (or log-probabilities), input's shape
     * @param shape     the shape
     * @param reduction SUM, MEAN or BATCHMEAN
     * @param logTarget whether target holds log-probabilities
     * @return the reduced divergence
     * @throws XentException {@code invalid_argument} for reduction NONE (first), then as {@link #klDivUnreduced}
     */
    public static double klDiv(double[] input, double[] target, int[] shape, KlDivReduction reduction, boolean logTarget) {
        Check.notNull(reduction, "reduction");
        if (reduction == KlDivReduction.NONE) {
            throw Check.err(ErrorKind.INVALID_ARGUMENT, "klDiv with reduction NONE has one term per element; call klDivUnreduced");
        }
        ExtendedDouble[] terms = LogProbabilityLossKernels.kl(input, target, shape, logTarget);
        ExtendedDouble den = switch (reduction) {
            case MEAN -> ExtendedDouble.of(terms.length);
            case BATCHMEAN -> shape.length == 0 ? null : ExtendedDouble.of(shape[0]);
            default -> null;
        };
        return LogProbabilityLossKernels.reduce(terms, den);
    }

    /**
     * Float32 {@link #klDivUnreduced(double[], double[], int[], boolean)}.
     *
     * @param input     log-probabilities, rank 0 to 8
     * @param target    input's shape
     * @param shape     the shape
     * @param logTarget whether target holds log-probabilities
     * @return the terms, each rounded once to float
     */
    public static float[] klDivUnreduced(float[] input, float[] target, int[] shape, boolean logTarget) {
        return Check.toFloat(klDivUnreduced(widen(input, "input"), widen(target, "target"), shape, logTarget));
    }

    /**
     * Float32 {@link #klDiv(double[], double[], int[], KlDivReduction, boolean)}.
     *
     * @param input     log-probabilities, rank 0 to 8
     * @param target    input's shape
     * @param shape     the shape
     * @param reduction SUM, MEAN or BATCHMEAN
     * @param logTarget whether target holds log-probabilities
     * @return the reduced divergence, rounded once to float
     */
    public static float klDiv(float[] input, float[] target, int[] shape, KlDivReduction reduction, boolean logTarget) {
        Check.notNull(reduction, "reduction");
        return toFloat(klDiv(widen(input, "input"), widen(target, "target"), shape, reduction, logTarget));
    }
}
