package org.xent;

/**
 * The float32 overloads' conversions: inputs widened exactly to double, float parameters rounded to the
 * dtype first (the spec treats them as values of the dtype), each result rounded once to float.
 */
final class Float32 {
    private Float32() {
    }

    /** A float32 result: computed in double, rounded once here. */
    static float toFloat(double x) {
        return (float) x;
    }

    /** A float parameter of a float32 overload, as the dtype's value. */
    static double asFloat32(double x) {
        return (float) x;
    }

    /** float32 input widened to double (exact), null rejected with the argument's name. */
    static double[] widen(float[] x, String name) {
        Check.notNull(x, name);
        return Check.toDouble(x);
    }

    /** An optional float32 tensor (a bias, an upstream gradient) widened exactly; null stays null. */
    static double[] widenOrNull(float[] x) {
        return x == null ? null : Check.toDouble(x);
    }

    /** Optional float parameters (weights, alpha) of a float32 overload, each as the dtype's value; null stays null. */
    static double[] roundWeights(double[] w) {
        if (w == null) {
            return null;
        }
        double[] r = new double[w.length];
        for (int i = 0; i < w.length; i++) {
            r[i] = (float) w[i];
        }
        return r;
    }
}
