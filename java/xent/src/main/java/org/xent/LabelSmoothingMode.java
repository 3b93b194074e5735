package org.xent;

/** How label smoothing spreads its mass: the spec's {@code label_smoothing_mode} parameter. */
public enum LabelSmoothingMode {
    /** {@code q_c = (1 - eps) [c = y] + eps / C}: every class, the target included (PyTorch, Keras, optax). */
    UNIFORM("uniform"),
    /** {@code q_c = (1 - eps) [c = y] + eps / (C - 1) [c != y]}: the other classes only (seed document 000). */
    OFF_TARGET("off_target");

    private final String specName;

    LabelSmoothingMode(String specName) {
        this.specName = specName;
    }

    /**
     * The name as the spec writes it.
     *
     * @return {@code "uniform"} or {@code "off_target"}
     */
    public String specName() {
        return specName;
    }

    /**
     * Parses the spec's name of a mode.
     *
     * @param name {@code "uniform"} or {@code "off_target"}
     * @return the mode
     * @throws XentException {@link ErrorKind#INVALID_ARGUMENT} for any other name
     */
    public static LabelSmoothingMode fromSpec(String name) {
        for (LabelSmoothingMode m : values()) {
            if (m.specName.equals(name)) {
                return m;
            }
        }
        throw new XentException(ErrorKind.INVALID_ARGUMENT,
                "label_smoothing_mode must be 'uniform' or 'off_target'; got " + Check.quote(name));
    }
}
