package org.xent;

/**
 * What {@code softmax_cross_entropy}'s reduction mean returns when its denominator is 0: the spec's
 * {@code empty_mean} parameter (issue 17).
 */
public enum EmptyMean {
    /** IEEE division: NaN for 0/0 (PyTorch, ONNX; D3), NaN in every gradient element. The default. */
    NAN("nan"),
    /** 0, and a gradient of 0 (what training code patches in for an all-padding micro-batch). */
    ZERO("zero");

    private final String specName;

    EmptyMean(String specName) {
        this.specName = specName;
    }

    /**
     * The name as the spec writes it.
     *
     * @return {@code "nan"} or {@code "zero"}
     */
    public String specName() {
        return specName;
    }

    /**
     * Parses the spec's name.
     *
     * @param name {@code "nan"} or {@code "zero"}
     * @return the value
     * @throws XentException {@link ErrorKind#INVALID_ARGUMENT} for any other name
     */
    public static EmptyMean fromSpec(String name) {
        for (EmptyMean m : values()) {
            if (m.specName.equals(name)) {
                return m;
            }
        }
        throw new XentException(ErrorKind.INVALID_ARGUMENT, "empty_mean must be 'nan' or 'zero'; got " + Check.quote(name));
    }
}
