package org.xent;

import java.util.Arrays;

/** Argument checks that raise {@link XentException} with a message naming the argument and index. */
final class Check {
    /**
     * The largest rank of the spec's [N, C, d1..dk] losses, the elementwise functions and the axis
     * functions: N, C and six spatial dimensions, beyond ONNX's backend tests (rank 7); rank 9 is
     * invalid_shape (issue 19).
     */
    static final int MAX_RANK = 8;

    private Check() {
    }

    static XentException err(ErrorKind kind, String message) {
        return new XentException(kind, message);
    }

    static String quote(String s) {
        return s == null ? "null" : "'" + s + "'";
    }

    static String shapeString(int[] shape) {
        return Arrays.toString(shape);
    }

    static void notNull(Object o, String name) {
        if (o == null) {
            throw err(ErrorKind.INVALID_ARGUMENT, name + " must not be null");
        }
    }

    static void nonEmpty(double[] x, String name) {
        notNull(x, name);
        if (x.length == 0) {
            throw err(ErrorKind.INVALID_SHAPE, name + " must be non-empty (got length 0)");
        }
    }

    static void sameLength(double[] a, String an, double[] b, String bn) {
        if (a.length != b.length) {
            throw err(ErrorKind.SHAPE_MISMATCH,
                    an + " and " + bn + " must have the same length; got " + a.length + " and " + b.length);
        }
    }

    /** Every value in [0, 1] and not NaN. */
    static void probabilities(double[] x, String name) {
        for (int i = 0; i < x.length; i++) {
            double v = x[i];
            if (!(v >= 0.0 && v <= 1.0)) {
                throw err(ErrorKind.INVALID_PROBABILITY,
                        name + "[" + i + "] = " + v + " is not a probability in [0, 1]");
            }
        }
    }

    /** Finite and non-negative weights. */
    static void weights(double[] w, String name) {
        for (int i = 0; i < w.length; i++) {
            double v = w[i];
            if (!(v >= 0.0) || !Double.isFinite(v)) {
                throw err(ErrorKind.INVALID_ARGUMENT,
                        name + "[" + i + "] = " + v + " must be finite and >= 0");
            }
        }
    }

    static void inClosedUnit(double v, String name) {
        if (!(v >= 0.0 && v <= 1.0)) {
            throw err(ErrorKind.INVALID_ARGUMENT, name + " must be in [0, 1]; got " + v);
        }
    }

    static void gamma(double g) {
        if (!(g >= 0.0) || !Double.isFinite(g)) {
            throw err(ErrorKind.INVALID_ARGUMENT, "gamma must be finite and >= 0; got " + g);
        }
    }

    static void reduced(Reduction r, String function) {
        notNull(r, "reduction");
        if (r == Reduction.NONE) {
            throw err(ErrorKind.INVALID_ARGUMENT, function + " with reduction NONE has one loss per element; "
                    + "call " + function + "PerElement (or the per-sample variant) instead");
        }
    }

    static int numel(int[] shape, String name) {
        notNull(shape, name + " shape");
        long n = 1;
        for (int i = 0; i < shape.length; i++) {
            if (shape[i] < 0) {
                throw err(ErrorKind.INVALID_SHAPE, name + " shape " + shapeString(shape) + " has a negative dimension");
            }
            n *= shape[i];
            if (n > Integer.MAX_VALUE) {
                throw err(ErrorKind.INVALID_SHAPE, name + " shape " + shapeString(shape) + " is too large");
            }
        }
        return (int) n;
    }

    /** Checks a flat array against a shape; returns the element count. */
    static int data(double[] data, int[] shape, String name) {
        return dataLength(notNullLength(data, name), shape, name);
    }

    /** Checks that {@code length} values fill {@code shape}; returns numel. */
    static int dataLength(int length, int[] shape, String name) {
        int n = numel(shape, name);
        if (length != n) {
            throw err(ErrorKind.SHAPE_MISMATCH, name + " has " + length + " values but shape "
                    + shapeString(shape) + " needs " + n);
        }
        return n;
    }

    static int notNullLength(double[] data, String name) {
        notNull(data, name);
        return data.length;
    }

    static int notNullLength(float[] data, String name) {
        notNull(data, name);
        return data.length;
    }

    static void rank(int[] shape, int min, int max, String name) {
        if (shape.length < min || shape.length > max) {
            throw err(ErrorKind.INVALID_SHAPE, name + " must have rank " + (min == max ? "" + min : min + " to " + max)
                    + "; got shape " + shapeString(shape) + " (rank " + shape.length + ")");
        }
    }

    static void sameShape(int[] a, String an, int[] b, String bn) {
        if (!Arrays.equals(a, b)) {
            throw err(ErrorKind.SHAPE_MISMATCH, an + " and " + bn + " must have the same shape; got "
                    + shapeString(a) + " and " + shapeString(b));
        }
    }

    static double[] toDouble(float[] x) {
        if (x == null) {
            return null;
        }
        double[] d = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            d[i] = x[i];
        }
        return d;
    }

    static float[] toFloat(double[] x) {
        float[] f = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            f[i] = (float) x[i];
        }
        return f;
    }

    static double[] flatten(double[][] x, String name) {
        notNull(x, name);
        int c = x.length == 0 ? 0 : rowLength(x, 0, name);
        double[] flat = new double[x.length * c];
        for (int n = 0; n < x.length; n++) {
            if (rowLength(x, n, name) != c) {
                throw err(ErrorKind.INVALID_SHAPE, name + " is ragged: row " + n + " has " + x[n].length
                        + " values, row 0 has " + c);
            }
            System.arraycopy(x[n], 0, flat, n * c, c);
        }
        return flat;
    }

    private static int rowLength(double[][] x, int n, String name) {
        if (x[n] == null) {
            throw err(ErrorKind.INVALID_ARGUMENT, name + "[" + n + "] must not be null");
        }
        return x[n].length;
    }

    static int[] shape2(double[][] x) {
        return new int[] {x.length, x.length == 0 ? 0 : x[0].length};
    }
}
