package org.xent;

import static org.xent.Float32.widen;

/**
 * softmax, log-softmax and log-sum-exp along one axis of a tensor of rank 1 to 8: PyTorch's
 * {@code F.softmax(x, dim)}, {@code F.log_softmax(x, dim)} and {@code torch.logsumexp(x, dim)}, and
 * ONNX's Softmax and LogSoftmax from opset 13 (opsets up to 12 flattened x to 2-D at the axis
 * instead). Each slice along the axis is computed as by the vector functions of {@link Primitives},
 * with their special values per slice. The axis counts from the end when negative ({@code -1} is the
 * last); an axis outside {@code [-r, r)} is {@code invalid_argument}, a rank outside 1..8 or an empty
 * axis {@code invalid_shape} (checked first); any other empty dimension gives an empty result.
 * x is a flat row-major array with its {@code int[]} shape.
 */
public final class AlongAxis {
    private AlongAxis() {
    }

    /**
     * Softmax along an axis: {@code exp(x_j) / sum_i exp(x_i)} over every slice, evaluated as
     * {@code exp(x_j - a) / (1 + s)}.
     *
     * @param x     the tensor, row-major
     * @param shape its shape, rank 1 to 8
     * @param axis  the axis, in {@code [-rank, rank)}
     * @return the probabilities, x's shape
     * @throws XentException {@code invalid_shape} for a rank outside 1..8 or an empty axis,
     *                       {@code invalid_argument} for an axis out of range
     */
    public static double[] softmax(double[] x, int[] shape, int axis) {
        return perEntry(x, shape, axis, PrimitiveKernels.SOFTMAX);
    }

    /**
     * Float32 {@link #softmax(double[], int[], int)}: each output rounded once to float.
     *
     * @param x     the tensor, row-major
     * @param shape its shape, rank 1 to 8
     * @param axis  the axis, in {@code [-rank, rank)}
     * @return the probabilities, x's shape
     */
    public static float[] softmax(float[] x, int[] shape, int axis) {
        return Check.toFloat(softmax(widen(x, "x"), shape, axis));
    }

    /**
     * Log-softmax along an axis: {@code x_j - lse(x)} over every slice, evaluated as
     * {@code (x_j - a) - log1p(s)}.
     *
     * @param x     the tensor, row-major
     * @param shape its shape, rank 1 to 8
     * @param axis  the axis, in {@code [-rank, rank)}
     * @return the log-probabilities, x's shape
     * @throws XentException as {@link #softmax(double[], int[], int)}
     */
    public static double[] logSoftmax(double[] x, int[] shape, int axis) {
        return perEntry(x, shape, axis, PrimitiveKernels.LOG_SOFTMAX);
    }

    /**
     * Float32 {@link #logSoftmax(double[], int[], int)}.
     *
     * @param x     the tensor, row-major
     * @param shape its shape, rank 1 to 8
     * @param axis  the axis, in {@code [-rank, rank)}
     * @return the log-probabilities, x's shape
     */
    public static float[] logSoftmax(float[] x, int[] shape, int axis) {
        return Check.toFloat(logSoftmax(widen(x, "x"), shape, axis));
    }

    /**
     * Log-sum-exp along an axis, which the result drops (keepdim false): shape
     * {@link #reducedShape(int[], int)}, a scalar (one value) for a rank-1 x.
     *
     * @param x     the tensor, row-major
     * @param shape its shape, rank 1 to 8
     * @param axis  the axis, in {@code [-rank, rank)}
     * @return lse of every slice, row-major in the reduced shape
     * @throws XentException as {@link #softmax(double[], int[], int)}
     */
    public static double[] logsumexp(double[] x, int[] shape, int axis) {
        Geometry g = geometry(x, shape, axis);
        double[] out = new double[g.slices()];
        Row r = new Row(g.n);
        for (int s = 0; s < out.length; s++) {
            out[s] = PrimitiveKernels.lse(r.load(x, g.offset(s), g.inner));
        }
        return out;
    }

    /**
     * Float32 {@link #logsumexp(double[], int[], int)}.
     *
     * @param x     the tensor, row-major
     * @param shape its shape, rank 1 to 8
     * @param axis  the axis, in {@code [-rank, rank)}
     * @return lse of every slice, each rounded once to float
     */
    public static float[] logsumexp(float[] x, int[] shape, int axis) {
        return Check.toFloat(logsumexp(widen(x, "x"), shape, axis));
    }

    /**
     * The shape of {@link #logsumexp(double[], int[], int)}'s result: shape without the axis.
     *
     * @param shape x's shape, rank 1 to 8
     * @param axis  the axis, in {@code [-rank, rank)}
     * @return the shape without the axis
     * @throws XentException {@code invalid_shape} for a rank outside 1..8, {@code invalid_argument} for an
     *                       axis out of range
     */
    public static int[] reducedShape(int[] shape, int axis) {
        Check.notNull(shape, "x shape");
        Check.rank(shape, 1, Check.MAX_RANK, "x");
        int a = checkAxis(shape, axis);
        int[] out = new int[shape.length - 1];
        System.arraycopy(shape, 0, out, 0, a);
        System.arraycopy(shape, a + 1, out, a, shape.length - a - 1);
        return out;
    }

    /** A tensor seen as outer x n x inner along an axis: slice s = o * inner + i starts at o * n * inner + i. */
    private record Geometry(int outer, int n, int inner) {
        int slices() {
            return outer * inner;
        }

        int offset(int s) {
            return s / inner * n * inner + s % inner;
        }
    }

    /** Checks x, its shape and the axis in the spec's precedence: rank and empty axis, then the axis' range. */
    private static Geometry geometry(double[] x, int[] shape, int axis) {
        checkShape(x, shape, axis);
        return geometryOf(shape, axis);
    }

    /** The checks before the axis' range: x's rank and length, and an empty axis when the axis is in range. */
    private static void checkShape(double[] x, int[] shape, int axis) {
        Check.notNull(x, "x");
        Check.notNull(shape, "x shape");
        Check.rank(shape, 1, Check.MAX_RANK, "x");
        Check.dataLength(x.length, shape, "x");
        int r = shape.length;
        int a = axis < 0 ? axis + r : axis;
        if (a >= 0 && a < r && shape[a] == 0) {
            throw Check.err(ErrorKind.INVALID_SHAPE, "x has shape " + Check.shapeString(shape) + ": axis " + axis
                    + " is empty");
        }
    }

    /** The slices along a checked axis (invalid_argument when it is out of range). */
    private static Geometry geometryOf(int[] shape, int axis) {
        int a = checkAxis(shape, axis);
        return new Geometry(product(shape, 0, a), shape[a], product(shape, a + 1, shape.length));
    }

    /** The axis in [0, r); invalid_argument outside [-r, r). */
    private static int checkAxis(int[] shape, int axis) {
        int r = shape.length;
        if (axis < -r || axis >= r) {
            throw Check.err(ErrorKind.INVALID_ARGUMENT, "axis " + axis + " is outside [" + -r + ", " + r
                    + ") for x of shape " + Check.shapeString(shape));
        }
        return axis < 0 ? axis + r : axis;
    }

    private static int product(int[] shape, int from, int to) {
        int p = 1;
        for (int i = from; i < to; i++) {
            p *= shape[i];
        }
        return p;
    }

    /** entry(row, j) at every element, row being the analysis of the element's slice along the axis. */
    /**
     * The vector-Jacobian product of softmax (log false) or log_softmax (log true) along the axis, with the
     * upstream gradient v of x's shape ({@link GradientKernels#rowVjp}); the forward function's checks, then
     * v's shape (shape_mismatch).
     */
    static double[] vjp(double[] x, int[] shape, int axis, double[] v, boolean log) {
        checkShape(x, shape, axis);
        Check.notNull(v, "grad_output");
        if (v.length != x.length) {
            throw Check.err(ErrorKind.SHAPE_MISMATCH, "grad_output must have x's shape " + Check.shapeString(shape)
                    + "; got " + v.length + " values");
        }
        Geometry g = geometryOf(shape, axis); // the axis' range: step 4, after the shapes
        double[] out = new double[x.length];
        Row r = new Row(g.n);
        for (int s = 0; s < g.slices(); s++) {
            int off = g.offset(s);
            r.load(x, off, g.inner);
            GradientKernels.rowVjp(r, v, out, off, g.inner, log);
        }
        return out;
    }

    private static double[] perEntry(double[] x, int[] shape, int axis, PrimitiveKernels.RowEntry entry) {
        Geometry g = geometry(x, shape, axis);
        double[] out = new double[x.length];
        Row r = new Row(g.n);
        for (int s = 0; s < g.slices(); s++) {
            int off = g.offset(s);
            r.load(x, off, g.inner);
            for (int j = 0; j < g.n; j++) {
                out[off + j * g.inner] = PrimitiveKernels.entry(r, j, entry);
            }
        }
        return out;
    }
}
