package org.xent;

/** The input linear_cross_entropy_grad differentiates with respect to: the spec's {@code wrt} parameter (issue 18). */
public enum LinearWrt {
    /** d loss / d hidden, shape [N, H] (the default). */
    HIDDEN("hidden"),
    /** d loss / d linear_weight, shape [C, H]. */
    LINEAR_WEIGHT("linear_weight"),
    /** d loss / d linear_bias, shape [C] (needs a bias). */
    LINEAR_BIAS("linear_bias");

    private final String specName;

    LinearWrt(String specName) {
        this.specName = specName;
    }

    /**
     * The name as the spec writes it.
     *
     * @return {@code "hidden"}, {@code "linear_weight"} or {@code "linear_bias"}
     */
    public String specName() {
        return specName;
    }

    /**
     * Parses the spec's name.
     *
     * @param name {@code "hidden"}, {@code "linear_weight"} or {@code "linear_bias"}
     * @return the value
     * @throws XentException {@link ErrorKind#INVALID_ARGUMENT} for any other name
     */
    public static LinearWrt fromSpec(String name) {
        for (LinearWrt w : values()) {
            if (w.specName.equals(name)) {
                return w;
            }
        }
        throw new XentException(ErrorKind.INVALID_ARGUMENT, "wrt must be 'hidden', 'linear_weight' or 'linear_bias'; got "
                + Check.quote(name));
    }
}
