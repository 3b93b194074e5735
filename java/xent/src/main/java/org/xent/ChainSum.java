package org.xent;

/**
 * Plain sums of a prefix of a double array in eight independent chains: the additions of one chain
 * would each wait for the last. The order of the additions is fixed; the fast paths' error bounds
 * hold for every order.
 */
final class ChainSum {
    private ChainSum() {
    }

    /** The sum of v[0 .. n). */
    static double of(double[] v, int n) {
        double s0 = 0.0;
        double s1 = 0.0;
        double s2 = 0.0;
        double s3 = 0.0;
        double s4 = 0.0;
        double s5 = 0.0;
        double s6 = 0.0;
        double s7 = 0.0;
        int i = 0;
        for (; i + 7 < n; i += 8) {
            s0 += v[i];
            s1 += v[i + 1];
            s2 += v[i + 2];
            s3 += v[i + 3];
            s4 += v[i + 4];
            s5 += v[i + 5];
            s6 += v[i + 6];
            s7 += v[i + 7];
        }
        for (; i < n; i++) {
            s0 += v[i];
        }
        return ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7));
    }
}
