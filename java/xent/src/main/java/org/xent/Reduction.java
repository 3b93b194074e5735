package org.xent;

/** How per-element losses are reduced: the spec's {@code reduction} parameter. */
public enum Reduction {
    /** No reduction: one loss per element (or position). */
    NONE("none"),
    /** Sum of the losses; the sum of nothing is 0. */
    SUM("sum"),
    /** Mean of the losses, with the function's own denominator; an empty mean is NaN. */
    MEAN("mean");

    private final String specName;

    Reduction(String specName) {
        this.specName = specName;
    }

    /**
     * The name as the spec writes it.
     *
     * @return {@code "none"}, {@code "sum"} or {@code "mean"}
     */
    public String specName() {
        return specName;
    }

    /**
     * Parses the spec's name of a reduction.
     *
     * @param name {@code "none"}, {@code "sum"} or {@code "mean"}
     * @return the reduction
     * @throws XentException {@link ErrorKind#INVALID_ARGUMENT} for any other name
     */
    public static Reduction fromSpec(String name) {
        for (Reduction r : values()) {
            if (r.specName.equals(name)) {
                return r;
            }
        }
        throw new XentException(ErrorKind.INVALID_ARGUMENT,
                "reduction must be one of none, sum, mean; got " + Check.quote(name));
    }
}
