package org.xent;

import java.util.OptionalDouble;
import java.util.OptionalInt;

/**
 * Parameters of {@code softmax_cross_entropy} and its gradient, with the spec's defaults:
 * no class weights, {@code ignore_index = -100} ({@link #ignoreIndex(OptionalInt)} for none),
 * {@code label_smoothing = 0},
 * {@code label_smoothing_mode = uniform}, and the large-model options (issue 17) {@code logit_scale = 1},
 * no {@code softcap}, {@code z_loss = 0}, {@code empty_mean = nan}. The reduction is passed to each call. Setters return
 * {@code this}; an instance is not shared between threads while it is being changed.
 */
public final class SoftmaxCrossEntropyOptions {
    private double[] weight;
    private int ignoreIndex = -100;
    private boolean ignoreNone;
    private double labelSmoothing;
    private LabelSmoothingMode labelSmoothingMode = LabelSmoothingMode.UNIFORM;
    private double logitScale = 1.0;
    private OptionalDouble softcap = OptionalDouble.empty();
    private double zLoss;
    private EmptyMean emptyMean = EmptyMean.NAN;
    private boolean[] where;
    private SoftmaxCrossEntropyResult result = SoftmaxCrossEntropyResult.LOSS;

    /** Creates options holding the spec's defaults. */
    public SoftmaxCrossEntropyOptions() {
    }

    /**
     * A new options object with the spec's defaults.
     *
     * @return fresh defaults
     */
    public static SoftmaxCrossEntropyOptions defaults() {
        return new SoftmaxCrossEntropyOptions();
    }

    /**
     * Per-class weights {@code w_c}, shape [C], finite and {@code >= 0}; null (the default) for none.
     *
     * @param weight the weights (copied), or null
     * @return this
     */
    public SoftmaxCrossEntropyOptions weight(double[] weight) {
        this.weight = weight == null ? null : weight.clone();
        return this;
    }

    /**
     * The class index whose positions are ignored (loss 0, out of the mean's denominator); default -100.
     *
     * @param ignoreIndex the ignored target value
     * @return this
     */
    public SoftmaxCrossEntropyOptions ignoreIndex(int ignoreIndex) {
        this.ignoreIndex = ignoreIndex;
        this.ignoreNone = false;
        return this;
    }

    /**
     * The ignored class index, or {@link OptionalInt#empty()} to ignore none (the spec's ignore_index null,
     * ONNX's SoftmaxCrossEntropyLoss without the attribute): every target must then be a class, -100 too.
     *
     * @param ignoreIndex the ignored target value, or empty
     * @return this
     */
    public SoftmaxCrossEntropyOptions ignoreIndex(OptionalInt ignoreIndex) {
        Check.notNull(ignoreIndex, "ignoreIndex (OptionalInt.empty() for none)");
        this.ignoreNone = ignoreIndex.isEmpty();
        this.ignoreIndex = ignoreIndex.orElse(this.ignoreIndex);
        return this;
    }

    /**
     * The ignored class index, empty when none is ignored.
     *
     * @return ignore_index, or empty
     */
    public OptionalInt ignoredIndex() {
        return ignoreNone ? OptionalInt.empty() : OptionalInt.of(ignoreIndex);
    }

    /**
     * Label smoothing {@code eps} in [0, 1]; default 0.
     *
     * @param labelSmoothing the smoothing
     * @return this
     */
    public SoftmaxCrossEntropyOptions labelSmoothing(double labelSmoothing) {
        this.labelSmoothing = labelSmoothing;
        return this;
    }

    /**
     * How the smoothing mass is spread; default {@link LabelSmoothingMode#UNIFORM}.
     *
     * @param mode the mode
     * @return this
     */
    public SoftmaxCrossEntropyOptions labelSmoothingMode(LabelSmoothingMode mode) {
        this.labelSmoothingMode = mode;
        return this;
    }

    /**
     * The logit scale {@code s} (finite, &gt; 0; default 1): the logits are multiplied by it first.
     *
     * @param logitScale s
     * @return this
     */
    public SoftmaxCrossEntropyOptions logitScale(double logitScale) {
        this.logitScale = logitScale;
        return this;
    }

    /**
     * The soft cap {@code c} (finite, &gt; 0): each scaled logit x' becomes {@code c tanh(x' / c)} before the
     * cross-entropy (Gemma 2); +-inf becomes +-c.
     *
     * @param softcap c
     * @return this
     */
    public SoftmaxCrossEntropyOptions softcap(double softcap) {
        this.softcap = OptionalDouble.of(softcap);
        return this;
    }

    /**
     * The soft cap, or {@link OptionalDouble#empty()} for none (the spec's softcap null, the default).
     *
     * @param softcap c, or empty
     * @return this
     */
    public SoftmaxCrossEntropyOptions softcap(OptionalDouble softcap) {
        Check.notNull(softcap, "softcap (OptionalDouble.empty() for none)");
        this.softcap = softcap;
        return this;
    }

    /**
     * The z-loss coefficient {@code z} (finite, &gt;= 0; default 0): each non-ignored position adds
     * {@code z lse(x'')^2} (PaLM), not weighted by the class weights; the mean divides these terms by the number
     * of non-ignored positions.
     *
     * @param zLoss z
     * @return this
     */
    public SoftmaxCrossEntropyOptions zLoss(double zLoss) {
        this.zLoss = zLoss;
        return this;
    }

    /**
     * What the mean returns for a zero denominator; default {@link EmptyMean#NAN}.
     *
     * @param emptyMean the convention
     * @return this
     */
    public SoftmaxCrossEntropyOptions emptyMean(EmptyMean emptyMean) {
        this.emptyMean = emptyMean;
        return this;
    }

    /**
     * Sets the class mask (optax's {@code where}, issue 17): C values (the same classes at every position)
     * or one per logit (row-major, the logits' shape); a class whose value is false is excluded from the
     * position (left out of the log-sum-exp whatever its logit holds, its term and gradient 0); a position
     * with no included class has loss 0 but still counts in the mean. Null (the default) includes every class.
     *
     * @param where the mask (copied), or null
     * @return this
     */
    public SoftmaxCrossEntropyOptions where(boolean[] where) {
        this.where = where == null ? null : where.clone();
        return this;
    }

    /**
     * Sets which output the loss entry points return (issue 17): the loss (default), the z-loss part alone,
     * or the per-position lse (only through the unreduced entry points: it is never reduced).
     *
     * @param result the output
     * @return this
     */
    public SoftmaxCrossEntropyOptions result(SoftmaxCrossEntropyResult result) {
        this.result = result;
        return this;
    }

    /**
     * The logit scale.
     *
     * @return s
     */
    public double logitScale() {
        return logitScale;
    }

    /**
     * The soft cap, empty for none.
     *
     * @return c, or empty
     */
    public OptionalDouble softcap() {
        return softcap;
    }

    /**
     * The z-loss coefficient.
     *
     * @return z
     */
    public double zLoss() {
        return zLoss;
    }

    /**
     * The zero-denominator convention of the mean.
     *
     * @return empty_mean
     */
    public EmptyMean emptyMean() {
        return emptyMean;
    }

    /**
     * The class weights (a copy), or null.
     *
     * @return the weights
     */
    public double[] weight() {
        return weight == null ? null : weight.clone();
    }

    /**
     * The ignored class index (meaningless when {@link #ignoredIndex()} is empty).
     *
     * @return ignore_index
     */
    public int ignoreIndex() {
        return ignoreIndex;
    }

    /**
     * The label smoothing.
     *
     * @return eps
     */
    public double labelSmoothing() {
        return labelSmoothing;
    }

    /**
     * The label smoothing mode.
     *
     * @return the mode
     */
    public LabelSmoothingMode labelSmoothingMode() {
        return labelSmoothingMode;
    }

    /** A copy whose float parameters are rounded to float (the options of a float32 overload, values of the dtype). */
    SoftmaxCrossEntropyOptions float32() {
        SoftmaxCrossEntropyOptions o = new SoftmaxCrossEntropyOptions();
        o.weight = Float32.roundWeights(weight);
        o.ignoreIndex = ignoreIndex;
        o.ignoreNone = ignoreNone;
        o.labelSmoothing = (float) labelSmoothing;
        o.labelSmoothingMode = labelSmoothingMode;
        o.logitScale = (float) logitScale;
        o.softcap = softcap.isPresent() ? OptionalDouble.of((float) softcap.getAsDouble()) : softcap;
        o.zLoss = (float) zLoss;
        o.emptyMean = emptyMean;
        o.where = where == null ? null : where.clone();
        o.result = result;
        return o;
    }

    SoftmaxCrossEntropyCall.Args toArgs(boolean float32) {
        SoftmaxCrossEntropyCall.Args a = new SoftmaxCrossEntropyCall.Args();
        a.weight = weight == null ? null : weight.clone();
        a.ignoreIndex = ignoreIndex;
        a.ignoreNone = ignoreNone;
        a.labelSmoothing = labelSmoothing;
        a.mode = labelSmoothingMode;
        a.logitScale = logitScale;
        a.softcap = softcap.isPresent() ? softcap.getAsDouble() : Double.NaN;
        a.capOn = softcap.isPresent();
        a.zLoss = zLoss;
        a.emptyMean = emptyMean;
        a.where = where == null ? null : where.clone();
        a.result = result;
        if (float32) {
            a.logitScale = (float) a.logitScale;
            a.softcap = (float) a.softcap;
            a.zLoss = (float) a.zLoss;
            if (a.weight != null) {
                for (int i = 0; i < a.weight.length; i++) {
                    a.weight[i] = (float) a.weight[i];
                }
            }
            a.labelSmoothing = (float) a.labelSmoothing;
        }
        return a;
    }
}
