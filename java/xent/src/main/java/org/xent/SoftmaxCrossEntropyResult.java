package org.xent;

/**
 * Which output {@code softmax_cross_entropy} returns: the spec's {@code result} parameter (issue 17,
 * specVersion 4; Liger-Kernel's return_z_loss, flash-attention's z_losses, Apple CCE's return_lse).
 */
public enum SoftmaxCrossEntropyResult {
    /** The loss (the default). */
    LOSS("loss"),
    /** The z-loss part alone, reduced like the loss (mean: divided by the number of non-ignored positions). */
    Z_LOSS("z_loss"),
    /**
     * The per-position lse of the scaled, capped, masked logits, for every position (ignored ones included),
     * never reduced: use the unreduced entry points.
     */
    LSE("lse");

    private final String specName;

    SoftmaxCrossEntropyResult(String specName) {
        this.specName = specName;
    }

    /**
     * The name as the spec writes it.
     *
     * @return {@code "loss"}, {@code "z_loss"} or {@code "lse"}
     */
    public String specName() {
        return specName;
    }

    /**
     * Parses the spec's name.
     *
     * @param name {@code "loss"}, {@code "z_loss"} or {@code "lse"}
     * @return the value
     * @throws XentException {@link ErrorKind#INVALID_ARGUMENT} for any other name
     */
    public static SoftmaxCrossEntropyResult fromSpec(String name) {
        for (SoftmaxCrossEntropyResult r : values()) {
            if (r.specName.equals(name)) {
                return r;
            }
        }
        throw new XentException(ErrorKind.INVALID_ARGUMENT, "result must be 'loss', 'z_loss' or 'lse'; got "
                + Check.quote(name));
    }
}
