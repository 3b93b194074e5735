package org.xent;

/**
 * The error kinds of the xent specification (spec/xent.yaml, section {@code errors}).
 * Every rejected input raises an {@link XentException} carrying one of these.
 */
public enum ErrorKind {
    /** An input has a rank the function does not accept, or a dimension that must be non-zero is zero. */
    INVALID_SHAPE("invalid_shape"),
    /** Two inputs that must agree in shape do not. */
    SHAPE_MISMATCH("shape_mismatch"),
    /** A class-index target is outside [0, C) and is not the ignore_index. */
    INDEX_OUT_OF_RANGE("index_out_of_range"),
    /** A value that must be a probability or a target in [0, 1] is outside [0, 1] or is NaN. */
    INVALID_PROBABILITY("invalid_probability"),
    /** A parameter is outside its domain (unknown enum value, negative weight, bad epsilon, ...). */
    INVALID_ARGUMENT("invalid_argument");

    private final String specName;

    ErrorKind(String specName) {
        this.specName = specName;
    }

    /**
     * The kind's name as the spec and the adapter protocol write it.
     *
     * @return for example {@code "invalid_shape"}
     */
    public String specName() {
        return specName;
    }
}
