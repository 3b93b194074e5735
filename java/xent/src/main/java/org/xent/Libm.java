package org.xent;

/**
 * The elementary functions xent uses, in one place. By default they are {@link StrictMath}'s (fdlibm,
 * bit-for-bit the same on every JVM, error below 1 ulp); the system property
 * {@code xent.math=fast} switches to {@link Math}'s intrinsics (also within 1 ulp, not reproducible
 * across JVMs), for measurement only.
 */
final class Libm {
    static final boolean STRICT = !"fast".equals(System.getProperty("xent.math"));

    private Libm() {
    }

    static double exp(double x) {
        return STRICT ? StrictMath.exp(x) : Math.exp(x);
    }

    static double log(double x) {
        return STRICT ? StrictMath.log(x) : Math.log(x);
    }

    static double log1p(double x) {
        return STRICT ? StrictMath.log1p(x) : Math.log1p(x);
    }

    static double expm1(double x) {
        return STRICT ? StrictMath.expm1(x) : Math.expm1(x);
    }

    static double pow(double x, double y) {
        return STRICT ? StrictMath.pow(x, y) : Math.pow(x, y);
    }
}
