package org.xent;

import java.util.Arrays;

/**
 * A tensor as the golden vectors and the adapter protocol carry it: a dtype ({@code "float64"},
 * {@code "float32"} or {@code "int64"}), a shape and row-major data. Float data are held as doubles
 * (float32 values exactly); int64 data as longs. Used by {@link Catalogue}; the typed API (the
 * classes by concept, {@link Primitives} to {@link Gradients}) does not need it.
 *
 * @param dtype  the dtype name
 * @param shape  the shape (empty for a scalar)
 * @param values the float data, or null for an int64 tensor
 * @param ints   the integer data, or null for a float tensor
 */
public record Tensor(String dtype, int[] shape, double[] values, long[] ints) {

    /**
     * A float tensor.
     *
     * @param dtype  {@code "float64"} or {@code "float32"}
     * @param shape  the shape
     * @param values row-major data
     * @return the tensor
     */
    public static Tensor ofFloats(String dtype, int[] shape, double[] values) {
        return new Tensor(dtype, shape, values, null);
    }

    /**
     * An int64 tensor.
     *
     * @param shape the shape
     * @param ints  row-major data
     * @return the tensor
     */
    public static Tensor ofInts(int[] shape, long[] ints) {
        return new Tensor("int64", shape, null, ints);
    }

    /**
     * A bool tensor (protocol 1.3, the class mask {@code where}): dtype {@code "bool"}, the data held as
     * 1 (true) and 0 (false) in {@link #ints()}.
     *
     * @param shape  the shape
     * @param values row-major data
     * @return the tensor
     */
    public static Tensor ofBools(int[] shape, boolean[] values) {
        long[] ints = new long[values.length];
        for (int i = 0; i < values.length; i++) {
            ints[i] = values[i] ? 1 : 0;
        }
        return new Tensor("bool", shape, null, ints);
    }

    /**
     * Whether this is a bool tensor.
     *
     * @return true for dtype {@code "bool"}
     */
    public boolean isBool() {
        return "bool".equals(dtype);
    }

    /**
     * The data of a bool tensor.
     *
     * @return one boolean per element
     */
    public boolean[] bools() {
        boolean[] out = new boolean[ints.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = ints[i] != 0;
        }
        return out;
    }

    /**
     * Whether the data are integers (class indices).
     *
     * @return true for an int64 tensor
     */
    public boolean isInt() {
        return ints != null && !isBool();
    }

    /**
     * The number of elements the shape describes.
     *
     * @return the product of the dimensions
     */
    public int numel() {
        return Check.numel(shape, "tensor");
    }

    @Override
    public String toString() {
        return "Tensor[" + dtype + " " + Arrays.toString(shape) + " "
                + (isBool() ? Arrays.toString(bools()) : ints != null ? Arrays.toString(ints) : Arrays.toString(values)) + "]";
    }
}
