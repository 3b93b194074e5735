package org.xent;

/**
 * The reductions of {@code kl_div}: {@link Reduction}'s three and PyTorch's {@code batchmean}. A separate
 * type so that no other loss can be handed {@code batchmean}.
 */
public enum KlDivReduction {
    /** No reduction: one term per element. */
    NONE("none"),
    /** Sum of the terms. */
    SUM("sum"),
    /** Sum divided by the number of elements (PyTorch's default; not the divergence per sample). */
    MEAN("mean"),
    /** Sum divided by the first dimension: the divergence per sample (the sum for a rank-0 input). */
    BATCHMEAN("batchmean");

    private final String specName;

    KlDivReduction(String specName) {
        this.specName = specName;
    }

    /**
     * The name as the spec writes it.
     *
     * @return {@code "none"}, {@code "sum"}, {@code "mean"} or {@code "batchmean"}
     */
    public String specName() {
        return specName;
    }

    /**
     * Parses the spec's name of a kl_div reduction.
     *
     * @param name {@code "none"}, {@code "sum"}, {@code "mean"} or {@code "batchmean"}
     * @return the reduction
     * @throws XentException {@link ErrorKind#INVALID_ARGUMENT} for any other name
     */
    public static KlDivReduction fromSpec(String name) {
        for (KlDivReduction r : values()) {
            if (r.specName.equals(name)) {
                return r;
            }
        }
        throw new XentException(ErrorKind.INVALID_ARGUMENT,
                "kl_div's reduction must be one of none, sum, mean, batchmean; got " + Check.quote(name));
    }
}
