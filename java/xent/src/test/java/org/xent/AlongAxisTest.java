package org.xent;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * softmax, log_softmax and logsumexp along an axis must give, slice by slice, the vector functions'
 * results bit for bit (those are judged against the oracle's vectors), logsumexp without the axis.
 */
class AlongAxisTest {
    private static final int[] SHAPE = {2, 3, 4};
    private static final double[] X = IntStream.range(0, 24)
            .mapToDouble(i -> i == 5 ? Double.NEGATIVE_INFINITY : i == 17 ? Double.NaN : Math.sin(i) * (i % 5) * 3).toArray();

    /** x's slice along axis a at flat index s of the reduced shape. */
    private static double[] slice(double[] x, int[] shape, int a, int s) {
        int inner = 1;
        for (int i = a + 1; i < shape.length; i++) {
            inner *= shape[i];
        }
        int n = shape[a];
        int off = s / inner * n * inner + s % inner;
        double[] out = new double[n];
        for (int j = 0; j < n; j++) {
            out[j] = x[off + j * inner];
        }
        return out;
    }

    static IntStream axes() {
        return IntStream.range(-3, 3);
    }

    @ParameterizedTest(name = "axis {0}")
    @MethodSource("axes")
    void slicesMatchTheVectorFunctions(int axis) {
        int a = (axis + 3) % 3;
        double[] sm = AlongAxis.softmax(X, SHAPE, axis);
        double[] lsm = AlongAxis.logSoftmax(X, SHAPE, axis);
        double[] lse = AlongAxis.logsumexp(X, SHAPE, axis);
        int[] reduced = AlongAxis.reducedShape(SHAPE, axis);
        assertEquals(24 / SHAPE[a], lse.length);
        assertEquals(2, reduced.length);
        for (int s = 0; s < lse.length; s++) {
            double[] v = slice(X, SHAPE, a, s);
            assertEquals(Primitives.logsumexp(v), lse[s]);
            assertArrayEquals(Primitives.softmax(v), slice(sm, SHAPE, a, s));
            assertArrayEquals(Primitives.logSoftmax(v), slice(lsm, SHAPE, a, s));
        }
        float[] x32 = Check.toFloat(X);
        assertArrayEquals(Check.toFloat(AlongAxis.logsumexp(Check.toDouble(x32), SHAPE, axis)), AlongAxis.logsumexp(x32, SHAPE, axis));
    }

    static Stream<Arguments> shapes() {
        return Stream.of(
                Arguments.of(new int[] {3}, -1, new int[0]),
                Arguments.of(new int[] {2, 3}, 0, new int[] {3}),
                Arguments.of(new int[] {1, 1, 1, 1, 1, 1, 2, 1}, 6, new int[] {1, 1, 1, 1, 1, 1, 1}),
                Arguments.of(new int[] {0, 3}, -1, new int[] {0}),
                Arguments.of(new int[] {3, 0}, 0, new int[] {0}));
    }

    @ParameterizedTest(name = "{0} along {1}")
    @MethodSource("shapes")
    void reducedShapes(int[] shape, int axis, int[] reduced) {
        double[] x = new double[IntStream.of(shape).reduce(1, (p, d) -> p * d)];
        assertArrayEquals(reduced, AlongAxis.reducedShape(shape, axis));
        assertEquals(IntStream.of(reduced).reduce(1, (p, d) -> p * d), AlongAxis.logsumexp(x, shape, axis).length);
        assertEquals(x.length, AlongAxis.softmax(x, shape, axis).length);
    }

    static Stream<Arguments> errors() {
        return Stream.of(
                Arguments.of("axis r", new int[] {2, 3}, 2, ErrorKind.INVALID_ARGUMENT),
                Arguments.of("axis -r - 1", new int[] {2, 3}, -3, ErrorKind.INVALID_ARGUMENT),
                Arguments.of("rank 0", new int[0], -1, ErrorKind.INVALID_SHAPE),
                Arguments.of("rank 9 before the axis", new int[] {1, 1, 1, 1, 1, 1, 1, 1, 1}, 20, ErrorKind.INVALID_SHAPE),
                Arguments.of("empty axis", new int[] {2, 0}, 1, ErrorKind.INVALID_SHAPE));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("errors")
    void errorKinds(String name, int[] shape, int axis, ErrorKind kind) {
        double[] x = new double[IntStream.of(shape).reduce(1, (p, d) -> p * d)];
        for (Runnable r : new Runnable[] {() -> AlongAxis.softmax(x, shape, axis), () -> AlongAxis.logSoftmax(x, shape, axis),
                () -> AlongAxis.logsumexp(x, shape, axis)}) {
            XentException e = assertThrows(XentException.class, r::run);
            assertEquals(kind, e.kind(), e.getMessage());
        }
    }
}
