package org.xent;

/**
 * The single (unchecked) exception type of xent: an input was rejected. It carries the spec's
 * {@link ErrorKind} and a message naming the argument, index or shape at fault.
 */
public final class XentException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final ErrorKind kind;

    /**
     * Creates an exception of the given kind.
     *
     * @param kind    the spec's error kind
     * @param message what was wrong: which argument, which index, which shape
     */
    public XentException(ErrorKind kind, String message) {
        super(message);
        this.kind = kind;
    }

    /**
     * The spec's error kind of this rejection.
     *
     * @return the kind, never null
     */
    public ErrorKind kind() {
        return kind;
    }

    @Override
    public String toString() {
        return "XentException[" + kind.specName() + "]: " + getMessage();
    }
}
