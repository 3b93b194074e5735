package org.xent;

import static org.xent.Float32.toFloat;
import static org.xent.Float32.widen;

/**
 * softmax, log-softmax and log-sum-exp over a vector, and the elementwise logistic functions
 * sigmoid, log-sigmoid and softplus (Python: {@code xent.primitives}).
 * The conventions of every public class of the package are in its package documentation.
 */
public final class Primitives {
    private Primitives() {
    }

    /**
     * Softmax of a logit vector (seed document 002's entry point):
     * {@code softmax(x)_j = exp(x_j) / sum_i exp(x_i)}, evaluated as {@code exp(x_j - a) / (1 + s)} with
     * {@code a = max x} at k and {@code s = sum_{i != k} exp(x_i - a)}.
     * Special values: any NaN gives all NaN; exactly one +inf at k gives onehot(k); two or more +inf, or
     * all -inf, give all NaN; a -inf entry gives exactly 0.
     *
     * @param logits x, length n &gt;= 1
     * @return the probabilities, length n
     * @throws XentException {@code invalid_shape} when x is empty
     */
    public static double[] softmax(double[] logits) {
        return PrimitiveKernels.softmax(logits);
    }

    /**
     * Float32 {@link #softmax(double[])}: computed in double, each output rounded once to float.
     *
     * @param logits x, length n &gt;= 1
     * @return the probabilities, length n
     */
    public static float[] softmax(float[] logits) {
        return Check.toFloat(PrimitiveKernels.softmax(widen(logits, "logits")));
    }

    /**
     * Log-sum-exp: {@code lse(x) = log(sum_i exp(x_i)) = a + log1p(s)}, a = max x at k,
     * {@code s = sum_{i != k} exp(x_i - a)} (Blanchard, Higham and Higham 2021).
     * Any NaN gives NaN; otherwise any +inf gives +inf; all -inf gives -inf.
     *
     * @param x the vector, length n &gt;= 1
     * @return lse(x)
     * @throws XentException {@code invalid_shape} when x is empty
     */
    public static double logsumexp(double[] x) {
        return PrimitiveKernels.logsumexp(x);
    }

    /**
     * Float32 {@link #logsumexp(double[])}.
     *
     * @param x the vector, length n &gt;= 1
     * @return lse(x) rounded once to float
     */
    public static float logsumexp(float[] x) {
        return toFloat(PrimitiveKernels.logsumexp(widen(x, "x")));
    }

    /**
     * Log-softmax: {@code log_softmax(x)_j = x_j - lse(x) = (x_j - a) - log1p(s)}.
     * Any NaN gives all NaN; one +inf at k gives 0 at k and -inf elsewhere; two or more +inf, or all
     * -inf, give all NaN; a -inf entry gives -inf.
     *
     * @param x the logits, length n &gt;= 1
     * @return the log-probabilities, length n
     * @throws XentException {@code invalid_shape} when x is empty
     */
    public static double[] logSoftmax(double[] x) {
        return PrimitiveKernels.logSoftmax(x);
    }

    /**
     * Float32 {@link #logSoftmax(double[])}.
     *
     * @param x the logits, length n &gt;= 1
     * @return the log-probabilities, each rounded once to float
     */
    public static float[] logSoftmax(float[] x) {
        return Check.toFloat(PrimitiveKernels.logSoftmax(widen(x, "x")));
    }

    /**
     * Logistic function: {@code sigmoid(z) = 1 / (1 + exp(-z))}, as {@code exp(z) / (1 + exp(z))} for z &lt; 0.
     * sigmoid(+inf) = 1, sigmoid(-inf) = 0, NaN gives NaN.
     *
     * @param z the logit
     * @return sigmoid(z)
     */
    public static double sigmoid(double z) {
        return PrimitiveKernels.sigmoid(z);
    }

    /**
     * Float32 {@link #sigmoid(double)}.
     *
     * @param z the logit
     * @return sigmoid(z) rounded once to float
     */
    public static float sigmoid(float z) {
        return toFloat(PrimitiveKernels.sigmoid(z));
    }

    /**
     * Elementwise {@link #sigmoid(double)} over a tensor of any shape (flat, row-major).
     *
     * @param z the logits (may be empty)
     * @return sigmoid of each element
     */
    public static double[] sigmoid(double[] z) {
        Check.notNull(z, "z");
        double[] out = new double[z.length];
        for (int i = 0; i < z.length; i++) {
            out[i] = PrimitiveKernels.sigmoid(z[i]);
        }
        return out;
    }

    /**
     * Float32 elementwise {@link #sigmoid(double)}.
     *
     * @param z the logits (may be empty)
     * @return sigmoid of each element, rounded once to float
     */
    public static float[] sigmoid(float[] z) {
        return Check.toFloat(sigmoid(widen(z, "z")));
    }

    /**
     * Log of the logistic function: {@code log_sigmoid(z) = -softplus(-z) = -log(1 + exp(-z))}.
     * log_sigmoid(+inf) = -0, log_sigmoid(-inf) = -inf, NaN gives NaN.
     *
     * @param z the logit
     * @return log_sigmoid(z)
     */
    public static double logSigmoid(double z) {
        return PrimitiveKernels.logSigmoid(z);
    }

    /**
     * Float32 {@link #logSigmoid(double)}.
     *
     * @param z the logit
     * @return log_sigmoid(z) rounded once to float
     */
    public static float logSigmoid(float z) {
        return toFloat(PrimitiveKernels.logSigmoid(z));
    }

    /**
     * Elementwise {@link #logSigmoid(double)} over a tensor of any shape.
     *
     * @param z the logits (may be empty)
     * @return log_sigmoid of each element
     */
    public static double[] logSigmoid(double[] z) {
        Check.notNull(z, "z");
        double[] out = new double[z.length];
        for (int i = 0; i < z.length; i++) {
            out[i] = PrimitiveKernels.logSigmoid(z[i]);
        }
        return out;
    }

    /**
     * Float32 elementwise {@link #logSigmoid(double)}.
     *
     * @param z the logits (may be empty)
     * @return log_sigmoid of each element, rounded once to float
     */
    public static float[] logSigmoid(float[] z) {
        return Check.toFloat(logSigmoid(widen(z, "z")));
    }

    /**
     * Softplus: {@code softplus(z) = log(1 + exp(z)) = max(z, 0) + log1p(exp(-|z|))}.
     * softplus(+inf) = +inf, softplus(-inf) = 0, NaN gives NaN.
     *
     * @param z the logit
     * @return softplus(z)
     */
    public static double softplus(double z) {
        return PrimitiveKernels.softplus(z);
    }

    /**
     * Float32 {@link #softplus(double)}.
     *
     * @param z the logit
     * @return softplus(z) rounded once to float
     */
    public static float softplus(float z) {
        return toFloat(PrimitiveKernels.softplus(z));
    }

    /**
     * Elementwise {@link #softplus(double)} over a tensor of any shape.
     *
     * @param z the logits (may be empty)
     * @return softplus of each element
     */
    public static double[] softplus(double[] z) {
        Check.notNull(z, "z");
        double[] out = new double[z.length];
        for (int i = 0; i < z.length; i++) {
            out[i] = PrimitiveKernels.softplus(z[i]);
        }
        return out;
    }

    /**
     * Float32 elementwise {@link #softplus(double)}.
     *
     * @param z the logits (may be empty)
     * @return softplus of each element, rounded once to float
     */
    public static float[] softplus(float[] z) {
        return Check.toFloat(softplus(widen(z, "z")));
    }
}
