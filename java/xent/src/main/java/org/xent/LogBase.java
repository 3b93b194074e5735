package org.xent;

/** Base of the logarithm for the information-theoretic functions: the spec's {@code base} parameter. */
public enum LogBase {
    /** Natural logarithm: results in nats. */
    E("e"),
    /** Base-2 logarithm: results in bits. */
    TWO("2");

    private final String specName;

    LogBase(String specName) {
        this.specName = specName;
    }

    /**
     * The name as the spec writes it.
     *
     * @return {@code "e"} or {@code "2"}
     */
    public String specName() {
        return specName;
    }

    /**
     * Parses the spec's name of a base.
     *
     * @param name {@code "e"} or {@code "2"}
     * @return the base
     * @throws XentException {@link ErrorKind#INVALID_ARGUMENT} for any other name
     */
    public static LogBase fromSpec(String name) {
        for (LogBase b : values()) {
            if (b.specName.equals(name)) {
                return b;
            }
        }
        throw new XentException(ErrorKind.INVALID_ARGUMENT, "base must be 'e' or '2'; got " + Check.quote(name));
    }
}
