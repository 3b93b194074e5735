package org.xent;

import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;

/**
 * Calls any function of the catalogue by its spec name with the params and inputs of a golden vector
 * (or of an adapter request), and checks the shapes that the typed API cannot see. Used by the
 * library's vector tests and by the conformance adapter.
 *
 * <p>Params are given as the vectors write them: float parameters as hex-float strings (or numbers),
 * enums as strings, {@code ignore_index} as an integer, optional tensors as {@link Tensor} or null.
 * A missing param takes the spec's default. Problems with the request itself (unknown function or
 * dtype, missing input, malformed number) raise {@link IllegalArgumentException}; rejections of the
 * spec raise {@link XentException}.
 */
public final class Catalogue {
    /** Every function of spec/xent.yaml version 1, in the spec's order. */
    public static final List<String> FUNCTIONS = Collections.unmodifiableList(Arrays.asList(
            "logsumexp", "softmax", "log_softmax",
            "sigmoid", "log_sigmoid", "softplus",
            "entropy", "cross_entropy", "kl_divergence",
            "nll_from_probs", "categorical_cross_entropy", "binary_cross_entropy",
            "softmax_cross_entropy", "binary_cross_entropy_with_logits", "focal_loss", "sigmoid_focal_loss",
            "softmax_cross_entropy_grad", "binary_cross_entropy_with_logits_grad", "sigmoid_mse_grad"));

    /** The dtypes every function supports. */
    public static final List<String> DTYPES = Collections.unmodifiableList(Arrays.asList("float64", "float32"));

    private static final int[] SCALAR = new int[0];

    private Catalogue() {
    }

    /**
     * Parses a float as the vectors write it: a hex float ({@code 0x1.8p+1}), a decimal, or one of
     * {@code inf}, {@code -inf}, {@code nan}.
     *
     * @param s the text
     * @return the value
     * @throws IllegalArgumentException when s is not a number
     */
    public static double parseFloat(String s) {
        switch (s) {
            case "inf":
            case "+inf":
            case "Infinity":
                return Double.POSITIVE_INFINITY;
            case "-inf":
            case "-Infinity":
                return Double.NEGATIVE_INFINITY;
            case "nan":
            case "-nan":
            case "NaN":
                return Double.NaN;
            default:
                try {
                    return Double.parseDouble(s);
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("not a float: '" + s + "'");
                }
        }
    }

    /**
     * Formats a float as a hex float of the dtype, or {@code inf}, {@code -inf}, {@code nan}.
     *
     * @param v       the value (a float32 value when float32)
     * @param float32 whether to write it as a float32 value
     * @return the text
     */
    public static String formatFloat(double v, boolean float32) {
        if (Double.isNaN(v)) {
            return "nan";
        }
        if (Double.isInfinite(v)) {
            return v > 0 ? "inf" : "-inf";
        }
        return float32 ? Float.toHexString((float) v) : Double.toHexString(v);
    }

    /**
     * Runs one function.
     *
     * @param function the spec name, one of {@link #FUNCTIONS}
     * @param dtype    {@code "float64"} or {@code "float32"}
     * @param params   the params (missing ones take the spec's defaults)
     * @param inputs   the input tensors by the spec's names
     * @return the output tensor (a scalar has shape [])
     * @throws XentException            when the spec rejects the input
     * @throws IllegalArgumentException when the request itself is malformed
     */
    public static Tensor call(String function, String dtype, Map<String, Object> params, Map<String, Tensor> inputs) {
        if (!DTYPES.contains(dtype)) {
            throw new IllegalArgumentException("unsupported dtype: " + dtype);
        }
        boolean f32 = "float32".equals(dtype);
        Call c = new Call(f32, params == null ? Map.of() : params, inputs == null ? Map.of() : inputs);
        if (function == null) {
            throw new IllegalArgumentException("missing function");
        }
        switch (function) {
            case "logsumexp": {
                Tensor x = c.vector("x");
                return c.scalar(f32 ? CrossEntropy.logsumexp(c.f(x)) : CrossEntropy.logsumexp(x.values()));
            }
            case "softmax": {
                Tensor x = c.vector("x");
                return c.out(x.shape(), f32 ? d(CrossEntropy.softmax(c.f(x))) : CrossEntropy.softmax(x.values()));
            }
            case "log_softmax": {
                Tensor x = c.vector("x");
                return c.out(x.shape(), f32 ? d(CrossEntropy.logSoftmax(c.f(x))) : CrossEntropy.logSoftmax(x.values()));
            }
            case "sigmoid": {
                Tensor z = c.floats("z");
                return c.out(z.shape(), f32 ? d(CrossEntropy.sigmoid(c.f(z))) : CrossEntropy.sigmoid(z.values()));
            }
            case "log_sigmoid": {
                Tensor z = c.floats("z");
                return c.out(z.shape(), f32 ? d(CrossEntropy.logSigmoid(c.f(z))) : CrossEntropy.logSigmoid(z.values()));
            }
            case "softplus": {
                Tensor z = c.floats("z");
                return c.out(z.shape(), f32 ? d(CrossEntropy.softplus(c.f(z))) : CrossEntropy.softplus(z.values()));
            }
            case "entropy": {
                Tensor p = c.vector("p");
                LogBase base = c.base();
                return c.scalar(f32 ? CrossEntropy.entropy(c.f(p), base) : CrossEntropy.entropy(p.values(), base));
            }
            case "cross_entropy": {
                Tensor p = c.vector("p");
                Tensor q = c.vector("q");
                LogBase base = c.base();
                double eps = c.real("epsilon", 0.0);
                return c.scalar(f32 ? CrossEntropy.crossEntropy(c.f(p), c.f(q), base, eps)
                        : CrossEntropy.crossEntropy(p.values(), q.values(), base, eps));
            }
            case "kl_divergence": {
                Tensor p = c.vector("p");
                Tensor q = c.vector("q");
                LogBase base = c.base();
                return c.scalar(f32 ? CrossEntropy.klDivergence(c.f(p), c.f(q), base)
                        : CrossEntropy.klDivergence(p.values(), q.values(), base));
            }
            case "nll_from_probs": {
                Tensor probs = c.floats("probs");
                Tensor target = c.indices("target", 1, 1);
                Check.rank(probs.shape(), 2, 2, "probs");
                int[] t = c.ints(target);
                double eps = c.real("epsilon", 1e-15);
                Reduction r = c.reduction(Reduction.MEAN);
                if (r == Reduction.NONE) {
                    double[] out = f32 ? d(CrossEntropy.nllFromProbsUnreduced(c.f(probs), probs.shape(), t, eps))
                            : CrossEntropy.nllFromProbsUnreduced(probs.values(), probs.shape(), t, eps);
                    return c.out(new int[] {out.length}, out);
                }
                return c.scalar(f32 ? CrossEntropy.nllFromProbs(c.f(probs), probs.shape(), t, eps, r)
                        : CrossEntropy.nllFromProbs(probs.values(), probs.shape(), t, eps, r));
            }
            case "categorical_cross_entropy": {
                Tensor t = c.floats("t");
                Tensor p = c.floats("p");
                Check.rank(t.shape(), 2, 2, "t");
                Check.rank(p.shape(), 2, 2, "p");
                if (t.shape()[1] == 0 || p.shape()[1] == 0) {
                    throw new XentException(ErrorKind.INVALID_SHAPE, "t and p must have at least one class; got "
                            + Arrays.toString(t.shape()) + " and " + Arrays.toString(p.shape()));
                }
                Check.sameShape(t.shape(), "t", p.shape(), "p");
                Reduction r = c.reduction(Reduction.MEAN);
                if (r == Reduction.NONE) {
                    double[] out = f32 ? d(CrossEntropy.categoricalCrossEntropyUnreduced(c.f(t), c.f(p), t.shape()))
                            : CrossEntropy.categoricalCrossEntropyUnreduced(t.values(), p.values(), t.shape());
                    return c.out(new int[] {t.shape()[0]}, out);
                }
                return c.scalar(f32 ? CrossEntropy.categoricalCrossEntropy(c.f(t), c.f(p), t.shape(), r)
                        : CrossEntropy.categoricalCrossEntropy(t.values(), p.values(), t.shape(), r));
            }
            case "binary_cross_entropy": {
                Tensor y = c.floats("y");
                Tensor p = c.floats("p");
                Check.sameShape(y.shape(), "y", p.shape(), "p");
                double eps = c.real("epsilon", 1e-15);
                Reduction r = c.reduction(Reduction.MEAN);
                if (r == Reduction.NONE) {
                    return c.out(y.shape(), f32 ? d(CrossEntropy.binaryCrossEntropyUnreduced(c.f(y), c.f(p), eps))
                            : CrossEntropy.binaryCrossEntropyUnreduced(y.values(), p.values(), eps));
                }
                return c.scalar(f32 ? CrossEntropy.binaryCrossEntropy(c.f(y), c.f(p), eps, r)
                        : CrossEntropy.binaryCrossEntropy(y.values(), p.values(), eps, r));
            }
            case "softmax_cross_entropy":
            case "softmax_cross_entropy_grad":
                return softmaxCrossEntropy(c, function.endsWith("_grad"));
            case "binary_cross_entropy_with_logits":
            case "binary_cross_entropy_with_logits_grad":
                return bceWithLogits(c, function.endsWith("_grad"));
            case "focal_loss": {
                Tensor logits = c.floats("logits");
                Check.rank(logits.shape(), 2, 2, "logits");
                Tensor target = c.indices("target", 1, 1);
                int[] t = c.ints(target);
                double gamma = c.real("gamma", 2.0);
                double[] alpha = c.classVector("alpha", logits.shape()[1]);
                Reduction r = c.reduction(Reduction.MEAN);
                if (r == Reduction.NONE) {
                    double[] out = f32 ? d(CrossEntropy.focalLossUnreduced(c.f(logits), logits.shape(), t, gamma, alpha))
                            : CrossEntropy.focalLossUnreduced(logits.values(), logits.shape(), t, gamma, alpha);
                    return c.out(new int[] {logits.shape()[0]}, out);
                }
                return c.scalar(f32 ? CrossEntropy.focalLoss(c.f(logits), logits.shape(), t, gamma, alpha, r)
                        : CrossEntropy.focalLoss(logits.values(), logits.shape(), t, gamma, alpha, r));
            }
            case "sigmoid_focal_loss": {
                Tensor z = c.floats("z");
                Tensor y = c.floats("y");
                Check.rank(z.shape(), 1, 5, "z");
                Check.sameShape(z.shape(), "z", y.shape(), "y");
                Double alpha = c.params.containsKey("alpha") ? c.optionalReal("alpha") : Double.valueOf(0.25);
                double gamma = c.real("gamma", 2.0);
                Reduction r = c.reduction(Reduction.NONE);
                if (r == Reduction.NONE) {
                    return c.out(z.shape(), f32 ? d(CrossEntropy.sigmoidFocalLossUnreduced(c.f(z), z.shape(), c.f(y), alpha, gamma))
                            : CrossEntropy.sigmoidFocalLossUnreduced(z.values(), z.shape(), y.values(), alpha, gamma));
                }
                return c.scalar(f32 ? CrossEntropy.sigmoidFocalLoss(c.f(z), z.shape(), c.f(y), alpha, gamma, r)
                        : CrossEntropy.sigmoidFocalLoss(z.values(), z.shape(), y.values(), alpha, gamma, r));
            }
            case "sigmoid_mse_grad": {
                Tensor z = c.floats("z");
                Tensor y = c.floats("y");
                Check.sameShape(z.shape(), "z", y.shape(), "y");
                return c.out(z.shape(), f32 ? d(CrossEntropy.sigmoidMseGrad(c.f(z), c.f(y)))
                        : CrossEntropy.sigmoidMseGrad(z.values(), y.values()));
            }
            default:
                throw new IllegalArgumentException("unknown function: " + function);
        }
    }

    private static Tensor softmaxCrossEntropy(Call c, boolean grad) {
        Tensor logits = c.floats("logits");
        int[] shape = logits.shape();
        Check.rank(shape, 2, 5, "logits");
        if (shape[1] == 0) {
            throw new XentException(ErrorKind.INVALID_SHAPE, "logits must have at least one class (axis 1); got shape "
                    + Arrays.toString(shape));
        }
        Tensor target = c.tensor("target");
        SoftmaxCrossEntropyOptions o = new SoftmaxCrossEntropyOptions()
                .weight(c.classVector("weight", shape[1]))
                .ignoreIndex(c.integer("ignore_index", -100))
                .labelSmoothing(c.real("label_smoothing", 0.0))
                .labelSmoothingMode(LabelSmoothingMode.fromSpec(c.string("label_smoothing_mode", "uniform")));
        Reduction r = c.reduction(Reduction.MEAN);
        int[] posShape = new int[shape.length - 1];
        posShape[0] = shape[0];
        System.arraycopy(shape, 2, posShape, 1, shape.length - 2);
        boolean f32 = c.f32;
        if (target.isInt()) {
            Check.sameShape(target.shape(), "target", posShape, "logits without axis 1");
            int[] t = c.ints(target);
            if (grad) {
                return c.out(shape, f32 ? d(CrossEntropy.softmaxCrossEntropyGrad(c.f(logits), shape, t, o, r))
                        : CrossEntropy.softmaxCrossEntropyGrad(logits.values(), shape, t, o, r));
            }
            if (r == Reduction.NONE) {
                return c.out(posShape, f32 ? d(CrossEntropy.softmaxCrossEntropyUnreduced(c.f(logits), shape, t, o))
                        : CrossEntropy.softmaxCrossEntropyUnreduced(logits.values(), shape, t, o));
            }
            return c.scalar(f32 ? CrossEntropy.softmaxCrossEntropy(c.f(logits), shape, t, o, r)
                    : CrossEntropy.softmaxCrossEntropy(logits.values(), shape, t, o, r));
        }
        Check.sameShape(target.shape(), "target", shape, "logits");
        if (grad) {
            return c.out(shape, f32 ? d(CrossEntropy.softmaxCrossEntropyGrad(c.f(logits), shape, c.f(target), o, r))
                    : CrossEntropy.softmaxCrossEntropyGrad(logits.values(), shape, target.values(), o, r));
        }
        if (r == Reduction.NONE) {
            return c.out(posShape, f32 ? d(CrossEntropy.softmaxCrossEntropyUnreduced(c.f(logits), shape, c.f(target), o))
                    : CrossEntropy.softmaxCrossEntropyUnreduced(logits.values(), shape, target.values(), o));
        }
        return c.scalar(f32 ? CrossEntropy.softmaxCrossEntropy(c.f(logits), shape, c.f(target), o, r)
                : CrossEntropy.softmaxCrossEntropy(logits.values(), shape, target.values(), o, r));
    }

    private static Tensor bceWithLogits(Call c, boolean grad) {
        Tensor z = c.floats("z");
        Tensor y = c.floats("y");
        int[] shape = z.shape();
        Check.rank(shape, 1, 5, "z");
        Check.sameShape(shape, "z", y.shape(), "y");
        double[] w = c.broadcastVector("weight", shape);
        double[] pw = c.broadcastVector("pos_weight", shape);
        Reduction r = c.reduction(Reduction.MEAN);
        boolean f32 = c.f32;
        if (grad) {
            return c.out(shape, f32 ? d(CrossEntropy.binaryCrossEntropyWithLogitsGrad(c.f(z), shape, c.f(y), w, pw, r))
                    : CrossEntropy.binaryCrossEntropyWithLogitsGrad(z.values(), shape, y.values(), w, pw, r));
        }
        if (r == Reduction.NONE) {
            return c.out(shape, f32 ? d(CrossEntropy.binaryCrossEntropyWithLogitsUnreduced(c.f(z), shape, c.f(y), w, pw))
                    : CrossEntropy.binaryCrossEntropyWithLogitsUnreduced(z.values(), shape, y.values(), w, pw));
        }
        return c.scalar(f32 ? CrossEntropy.binaryCrossEntropyWithLogits(c.f(z), shape, c.f(y), w, pw, r)
                : CrossEntropy.binaryCrossEntropyWithLogits(z.values(), shape, y.values(), w, pw, r));
    }

    private static double[] d(float[] x) {
        return Check.toDouble(x);
    }

    /** One request: its params and inputs, with typed accessors. */
    private static final class Call {
        final boolean f32;
        final Map<String, Object> params;
        final Map<String, Tensor> inputs;

        Call(boolean f32, Map<String, Object> params, Map<String, Tensor> inputs) {
            this.f32 = f32;
            this.params = params;
            this.inputs = inputs;
        }

        Tensor tensor(String name) {
            Tensor t = inputs.get(name);
            if (t == null) {
                throw new IllegalArgumentException("missing input '" + name + "'");
            }
            if (t.shape() == null || (t.values() == null && t.ints() == null)) {
                throw new IllegalArgumentException("input '" + name + "' lacks a shape or data");
            }
            int n = Check.numel(t.shape(), name);
            int len = t.isInt() ? t.ints().length : t.values().length;
            if (n != len) {
                throw new IllegalArgumentException("input '" + name + "' has " + len + " values but shape "
                        + Arrays.toString(t.shape()));
            }
            return t;
        }

        Tensor floats(String name) {
            Tensor t = tensor(name);
            if (t.isInt()) {
                Tensor copy = Tensor.ofFloats(f32 ? "float32" : "float64", t.shape(), new double[t.ints().length]);
                for (int i = 0; i < t.ints().length; i++) {
                    copy.values()[i] = t.ints()[i];
                }
                return copy;
            }
            return t;
        }

        Tensor vector(String name) {
            Tensor t = floats(name);
            Check.rank(t.shape(), 1, 1, name);
            return t;
        }

        Tensor indices(String name, int minRank, int maxRank) {
            Tensor t = tensor(name);
            Check.rank(t.shape(), minRank, maxRank, name);
            return t;
        }

        /** Class indices as ints; a value outside the int range is out of range (ignore_index is an int). */
        int[] ints(Tensor t) {
            long[] src = t.ints();
            if (src == null) {
                double[] v = t.values();
                src = new long[v.length];
                for (int i = 0; i < v.length; i++) {
                    if (v[i] != Math.rint(v[i]) || Double.isInfinite(v[i])) {
                        throw new IllegalArgumentException("class index " + v[i] + " is not an integer");
                    }
                    src[i] = (long) v[i];
                }
            }
            int[] out = new int[src.length];
            for (int i = 0; i < src.length; i++) {
                long v = src[i];
                if (v < Integer.MIN_VALUE || v > Integer.MAX_VALUE) {
                    throw new XentException(ErrorKind.INDEX_OUT_OF_RANGE, "target[" + i + "] = " + v
                            + " is outside the class range");
                }
                out[i] = (int) v;
            }
            return out;
        }

        float[] f(Tensor t) {
            return Check.toFloat(t.values());
        }

        Tensor scalar(double v) {
            return Tensor.ofFloats(f32 ? "float32" : "float64", SCALAR, new double[] {v});
        }

        Tensor out(int[] shape, double[] data) {
            return Tensor.ofFloats(f32 ? "float32" : "float64", shape.clone(), data);
        }

        Object raw(String name) {
            return params.get(name);
        }

        double real(String name, double dflt) {
            Object v = raw(name);
            if (v == null) {
                if (params.containsKey(name)) {
                    throw new XentException(ErrorKind.INVALID_ARGUMENT, name + " must be a number, not null");
                }
                return f32 ? (float) dflt : dflt;
            }
            return number(name, v);
        }

        Double optionalReal(String name) {
            Object v = raw(name);
            return v == null ? null : number(name, v);
        }

        double number(String name, Object v) {
            if (v instanceof Number) {
                return ((Number) v).doubleValue();
            }
            if (v instanceof String) {
                return parseFloat((String) v);
            }
            throw new XentException(ErrorKind.INVALID_ARGUMENT, name + " must be a number; got " + v);
        }

        int integer(String name, int dflt) {
            Object v = raw(name);
            if (v == null) {
                return dflt;
            }
            if (v instanceof Number) {
                long l = ((Number) v).longValue();
                if (l != (int) l || ((Number) v).doubleValue() != l) {
                    throw new XentException(ErrorKind.INVALID_ARGUMENT, name + " must be an int; got " + v);
                }
                return (int) l;
            }
            throw new XentException(ErrorKind.INVALID_ARGUMENT, name + " must be an integer; got " + v);
        }

        String string(String name, String dflt) {
            Object v = raw(name);
            if (v == null) {
                return dflt;
            }
            return v.toString();
        }

        LogBase base() {
            return LogBase.fromSpec(string("base", "e"));
        }

        Reduction reduction(Reduction dflt) {
            Object v = raw("reduction");
            return v == null ? dflt : Reduction.fromSpec(v.toString());
        }

        Tensor optionalTensor(String name) {
            Object v = raw(name);
            if (v == null) {
                return null;
            }
            if (!(v instanceof Tensor)) {
                throw new XentException(ErrorKind.INVALID_ARGUMENT, name + " must be a tensor or null");
            }
            Tensor t = (Tensor) v;
            if (t.values() == null && t.ints() == null || t.shape() == null) {
                throw new IllegalArgumentException("param '" + name + "' lacks a shape or data");
            }
            if (t.isInt()) {
                double[] vals = new double[t.ints().length];
                for (int i = 0; i < vals.length; i++) {
                    vals[i] = t.ints()[i];
                }
                t = Tensor.ofFloats(f32 ? "float32" : "float64", t.shape(), vals);
            }
            if (Check.numel(t.shape(), name) != t.values().length) {
                throw new IllegalArgumentException("param '" + name + "' has " + t.values().length
                        + " values but shape " + Arrays.toString(t.shape()));
            }
            return t;
        }

        /** An optional tensor of shape [C]. */
        double[] classVector(String name, int classes) {
            Tensor t = optionalTensor(name);
            if (t == null) {
                return null;
            }
            if (t.shape().length != 1 || t.shape()[0] != classes) {
                throw new XentException(ErrorKind.SHAPE_MISMATCH, name + " must have shape [" + classes + "]; got "
                        + Arrays.toString(t.shape()));
            }
            return t.values();
        }

        /** An optional tensor of z's shape or [C], C = z's last dimension. */
        double[] broadcastVector(String name, int[] zShape) {
            Tensor t = optionalTensor(name);
            if (t == null) {
                return null;
            }
            int last = zShape[zShape.length - 1];
            if (!Arrays.equals(t.shape(), zShape) && !Arrays.equals(t.shape(), new int[] {last})) {
                throw new XentException(ErrorKind.SHAPE_MISMATCH, name + " must have z's shape "
                        + Arrays.toString(zShape) + " or [" + last + "]; got " + Arrays.toString(t.shape()));
            }
            return t.values();
        }
    }
}
