package org.xent;

import java.util.Arrays;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.OptionalInt;
import java.util.Set;

/**
 * Calls any function of the catalogue by its spec name with the params and inputs of a golden vector
 * (or of an adapter request), and checks what the typed API cannot see: the request's names, dtypes
 * and data lengths, the ranks, and the order in which the spec's errors are reported (D1).
 *
 * <p>Params are given as the vectors write them: float parameters as hex-float strings exact in the
 * dtype (or Java numbers), enums as strings, {@code ignore_index} as an integer (null: no index is ignored),
 * {@code log_target} as a Boolean, optional tensors as {@link Tensor} or null. A missing param takes the spec's default. Problems with the request itself (unknown function,
 * dtype, input or parameter; a missing input; a param of the wrong type; a tensor whose dtype or data
 * length is wrong; a malformed number) raise {@link IllegalArgumentException} before anything is
 * computed; rejections of the spec raise {@link XentException}, in the spec's error precedence:
 * scalar parameters, then ranks and empty class axes, then shape agreement, then values.
 */
public final class Catalogue {
    /** How a parameter is given: the Java types {@link #call} accepts for it. */
    public enum ParamKind {
        /** A float: a hex-float string or a {@link Number}; never null. */
        FLOAT,
        /** A float or null (sigmoid_focal_loss's alpha). */
        FLOAT_OR_NULL,
        /** An integer ({@link Long} or {@link Integer}), any int64 value. */
        INT,
        /** An integer or null (ignore_index: null ignores no index, which absent does not mean). */
        INT_OR_NULL,
        /** A {@link Boolean} (kl_div's log_target). */
        BOOL,
        /** A string naming one of the spec's values (an unknown value is {@code invalid_argument}). */
        ENUM,
        /** A float {@link Tensor} of the request's dtype, or null. */
        TENSOR_OR_NULL,
        /** A bool {@link Tensor} ({@link Tensor#ofBools}), or null (softmax_cross_entropy's class mask where). */
        BOOL_TENSOR_OR_NULL
    }

    /** What an input tensor holds. */
    public enum InputKind {
        /** Floats of the request's dtype. */
        FLOAT,
        /** Class indices: an int64 tensor. */
        INDEX,
        /** Class indices (int64) or probabilities of the request's dtype. */
        INDEX_OR_FLOAT
    }

    /**
     * The names a function takes, in the spec's signature order.
     *
     * @param inputs the input tensors and what they hold
     * @param params the parameters and how they are given
     */
    public record Signature(Map<String, InputKind> inputs, Map<String, ParamKind> params) {
    }

    /** The functions that take {@code output_dtype} (the mixed contract: what autocast runs in float32). */
    public static final List<String> MIXED = List.of("logsumexp", "softmax", "log_softmax", "softplus",
            "softmax_cross_entropy", "binary_cross_entropy_with_logits");

    /** Every function of spec/xent.yaml with its inputs and params, in the spec's order. */
    public static final Map<String, Signature> SIGNATURES = signatures();

    /** Every function of spec/xent.yaml, in the spec's order. */
    public static final List<String> FUNCTIONS = List.copyOf(SIGNATURES.keySet());

    /**
     * The dtypes every function supports. A float16 or bfloat16 call runs the double computation on the
     * (exactly widened) 16-bit values with its float parameters rounded to the dtype, and rounds each
     * result once to the dtype ({@link SixteenBit}), or to float32 under {@code output_dtype} float32.
     */
    public static final List<String> DTYPES = Collections.unmodifiableList(Arrays.asList("float64", "float32",
            "float16", "bfloat16"));

    private static final int[] SCALAR = new int[0];

    private Catalogue() {
    }

    private static Map<String, Signature> signatures() {
        Map<String, Signature> s = new LinkedHashMap<>();
        Map<String, InputKind> x = Map.of("x", InputKind.FLOAT);
        Map<String, InputKind> z = Map.of("z", InputKind.FLOAT);
        Map<String, InputKind> zy = ordered("z", InputKind.FLOAT, "y", InputKind.FLOAT);
        Map<String, ParamKind> none = Map.of();
        Map<String, ParamKind> reduction = Map.of("reduction", ParamKind.ENUM);
        for (String f : List.of("logsumexp", "softmax", "log_softmax")) {
            s.put(f, new Signature(x, Map.of("axis", ParamKind.INT)));
        }
        for (String f : List.of("sigmoid", "log_sigmoid", "softplus")) {
            s.put(f, new Signature(z, none));
        }
        Map<String, InputKind> pq = ordered("p", InputKind.FLOAT, "q", InputKind.FLOAT);
        s.put("entropy", new Signature(Map.of("p", InputKind.FLOAT), Map.of("base", ParamKind.ENUM)));
        s.put("cross_entropy", new Signature(pq, ordered("base", ParamKind.ENUM, "epsilon", ParamKind.FLOAT)));
        s.put("kl_divergence", new Signature(pq, Map.of("base", ParamKind.ENUM)));
        s.put("nll_from_probs", new Signature(ordered("probs", InputKind.FLOAT, "target", InputKind.INDEX),
                ordered("epsilon", ParamKind.FLOAT, "reduction", ParamKind.ENUM)));
        s.put("categorical_cross_entropy", new Signature(ordered("t", InputKind.FLOAT, "p", InputKind.FLOAT), reduction));
        s.put("binary_cross_entropy", new Signature(ordered("y", InputKind.FLOAT, "p", InputKind.FLOAT),
                ordered("epsilon", ParamKind.FLOAT, "reduction", ParamKind.ENUM)));
        Signature sce = new Signature(ordered("logits", InputKind.FLOAT, "target", InputKind.INDEX_OR_FLOAT),
                ordered("weight", ParamKind.TENSOR_OR_NULL, "ignore_index", ParamKind.INT_OR_NULL,
                        "label_smoothing", ParamKind.FLOAT, "label_smoothing_mode", ParamKind.ENUM,
                        "reduction", ParamKind.ENUM));
        Signature bce = new Signature(zy, ordered("weight", ParamKind.TENSOR_OR_NULL, "pos_weight",
                ParamKind.TENSOR_OR_NULL, "reduction", ParamKind.ENUM));
        s.put("softmax_cross_entropy", sce);
        s.put("binary_cross_entropy_with_logits", bce);
        s.put("focal_loss", new Signature(ordered("logits", InputKind.FLOAT, "target", InputKind.INDEX),
                ordered("gamma", ParamKind.FLOAT, "alpha", ParamKind.TENSOR_OR_NULL, "reduction", ParamKind.ENUM)));
        s.put("sigmoid_focal_loss", new Signature(zy, ordered("alpha", ParamKind.FLOAT_OR_NULL,
                "gamma", ParamKind.FLOAT, "reduction", ParamKind.ENUM)));
        s.put("softmax_cross_entropy_grad", sce);
        s.put("binary_cross_entropy_with_logits_grad", bce);
        s.put("sigmoid_mse_grad", new Signature(zy, none));
        s.put("nll_loss", new Signature(ordered("input", InputKind.FLOAT, "target", InputKind.INDEX),
                ordered("weight", ParamKind.TENSOR_OR_NULL, "ignore_index", ParamKind.INT_OR_NULL, "reduction", ParamKind.ENUM)));
        s.put("kl_div", new Signature(ordered("input", InputKind.FLOAT, "target", InputKind.FLOAT),
                ordered("reduction", ParamKind.ENUM, "log_target", ParamKind.BOOL)));
        for (String f : MIXED) { // one more enum parameter: output_dtype same (the default) or float32
            Map<String, ParamKind> params = new LinkedHashMap<>(s.get(f).params());
            params.put("output_dtype", ParamKind.ENUM);
            s.put(f, new Signature(s.get(f).inputs(), Collections.unmodifiableMap(params)));
        }
        for (String f : List.of("softmax_cross_entropy", "softmax_cross_entropy_grad")) { // issue 17, after output_dtype
            Map<String, ParamKind> params = new LinkedHashMap<>(s.get(f).params());
            params.putAll(ordered("logit_scale", ParamKind.FLOAT, "softcap", ParamKind.FLOAT_OR_NULL,
                    "z_loss", ParamKind.FLOAT, "empty_mean", ParamKind.ENUM));
            s.put(f, new Signature(s.get(f).inputs(), Collections.unmodifiableMap(params)));
        }
        upstreamGradients(s);
        splitMerge(s);
        return Collections.unmodifiableMap(s);
    }

    /** Issue 17 (specVersion 4): grad_output of the gradient functions, and the vector-Jacobian products. */
    private static void upstreamGradients(Map<String, Signature> s) {
        for (String f : List.of("softmax_cross_entropy", "softmax_cross_entropy_grad")) { // the class mask, the extra outputs
            Map<String, ParamKind> params = new LinkedHashMap<>(s.get(f).params());
            params.put("where", ParamKind.BOOL_TENSOR_OR_NULL);
            if (f.equals("softmax_cross_entropy")) {
                params.put("result", ParamKind.ENUM);
            }
            s.put(f, new Signature(s.get(f).inputs(), Collections.unmodifiableMap(params)));
        }
        for (String f : List.of("softmax_cross_entropy_grad", "binary_cross_entropy_with_logits_grad", "sigmoid_mse_grad")) {
            Map<String, ParamKind> params = new LinkedHashMap<>(s.get(f).params());
            params.put("grad_output", ParamKind.TENSOR_OR_NULL);
            s.put(f, new Signature(s.get(f).inputs(), Collections.unmodifiableMap(params)));
        }
        Map<String, InputKind> xv = ordered("x", InputKind.FLOAT, "grad_output", InputKind.FLOAT);
        s.put("softmax_grad", new Signature(xv, Map.of("axis", ParamKind.INT)));
        s.put("log_softmax_grad", new Signature(xv, Map.of("axis", ParamKind.INT)));
        s.put("focal_loss_grad", new Signature(ordered("logits", InputKind.FLOAT, "target", InputKind.INDEX),
                ordered("gamma", ParamKind.FLOAT, "alpha", ParamKind.TENSOR_OR_NULL, "reduction", ParamKind.ENUM,
                        "grad_output", ParamKind.TENSOR_OR_NULL)));
        s.put("binary_cross_entropy_grad", new Signature(ordered("y", InputKind.FLOAT, "p", InputKind.FLOAT),
                ordered("epsilon", ParamKind.FLOAT, "reduction", ParamKind.ENUM, "grad_output", ParamKind.TENSOR_OR_NULL)));
    }

    /** Issue 18 (specVersion 4): the merge primitives and the cross-entropy from shard statistics; fused linear cross-entropy. */
    private static void splitMerge(Map<String, Signature> s) {
        Map<String, InputKind> linearInputs = ordered("hidden", InputKind.FLOAT, "linear_weight", InputKind.FLOAT,
                "target", InputKind.INDEX);
        Map<String, ParamKind> linear = ordered("linear_bias", ParamKind.TENSOR_OR_NULL, "weight", ParamKind.TENSOR_OR_NULL,
                "ignore_index", ParamKind.INT_OR_NULL, "label_smoothing", ParamKind.FLOAT, "label_smoothing_mode",
                ParamKind.ENUM, "reduction", ParamKind.ENUM, "logit_scale", ParamKind.FLOAT, "softcap",
                ParamKind.FLOAT_OR_NULL, "z_loss", ParamKind.FLOAT, "empty_mean", ParamKind.ENUM);
        s.put("linear_cross_entropy", new Signature(linearInputs, linear));
        Map<String, ParamKind> linearGrad = new LinkedHashMap<>(linear);
        linearGrad.put("wrt", ParamKind.ENUM);
        linearGrad.put("grad_output", ParamKind.TENSOR_OR_NULL);
        s.put("linear_cross_entropy_grad", new Signature(linearInputs, Collections.unmodifiableMap(linearGrad)));
        s.put("online_softmax_merge", new Signature(ordered("m", InputKind.FLOAT, "d", InputKind.FLOAT),
                Map.of("base", ParamKind.ENUM)));
        s.put("lse_merge", new Signature(Map.of("lse", InputKind.FLOAT), Map.of("base", ParamKind.ENUM)));
        s.put("cross_entropy_from_shards", new Signature(ordered("shard_lse", InputKind.FLOAT, "shard_logit_sum",
                InputKind.FLOAT, "target_logit", InputKind.FLOAT, "target", InputKind.INDEX, "shard_size", InputKind.INDEX),
                ordered("weight", ParamKind.TENSOR_OR_NULL, "ignore_index", ParamKind.INT_OR_NULL, "label_smoothing",
                        ParamKind.FLOAT, "label_smoothing_mode", ParamKind.ENUM, "reduction", ParamKind.ENUM,
                        "empty_mean", ParamKind.ENUM)));
    }

    /** An unmodifiable map keeping the order of its (name, value) pairs. */
    @SuppressWarnings("unchecked")
    private static <V> Map<String, V> ordered(Object... pairs) {
        Map<String, V> m = new LinkedHashMap<>();
        for (int i = 0; i < pairs.length; i += 2) {
            m.put((String) pairs[i], (V) pairs[i + 1]);
        }
        return Collections.unmodifiableMap(m);
    }

    /**
     * Parses a float64 as the vectors write it: a hex float ({@code 0x1.8p+1}) or one of {@code inf},
     * {@code -inf}, {@code nan}, exactly ({@link HexFloat}).
     *
     * @param s the text
     * @return the value
     * @throws IllegalArgumentException when s is not a hex float or not exactly a float64
     */
    public static double parseFloat(String s) {
        return HexFloat.parse(s, "float64");
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
     * Checks the request itself, before anything is computed: a known function and dtype, known input
     * and param names, every input present, param values of the right Java type, tensors of the right
     * dtype whose data fill their shape. {@link #call} does this first; an adapter that computes a
     * function another way calls it to reject the same requests.
     *
     * @param function the spec name
     * @param dtype    {@code "float64"} or {@code "float32"}
     * @param params   the params
     * @param inputs   the input tensors
     * @throws IllegalArgumentException when the request is malformed
     */
    public static void validate(String function, String dtype, Map<String, Object> params, Map<String, Tensor> inputs) {
        Signature sig = function == null ? null : SIGNATURES.get(function);
        if (sig == null) {
            throw new IllegalArgumentException("unknown function " + Check.quote(function));
        }
        if (!DTYPES.contains(dtype)) {
            throw new IllegalArgumentException("unsupported dtype " + Check.quote(dtype));
        }
        Map<String, Object> ps = params == null ? Map.of() : params;
        Map<String, Tensor> ins = inputs == null ? Map.of() : inputs;
        for (Map.Entry<String, Object> e : ps.entrySet()) {
            ParamKind kind = sig.params().get(e.getKey());
            if (kind == null) {
                throw new IllegalArgumentException(function + " has no parameter " + Check.quote(e.getKey())
                        + " (its parameters: " + sig.params().keySet() + ")");
            }
            checkParamType(e.getKey(), kind, e.getValue(), dtype);
        }
        for (String name : ins.keySet()) {
            if (!sig.inputs().containsKey(name)) {
                throw new IllegalArgumentException(function + " has no input " + Check.quote(name)
                        + " (its inputs: " + sig.inputs().keySet() + ")");
            }
        }
        for (Map.Entry<String, InputKind> e : sig.inputs().entrySet()) {
            Tensor t = ins.get(e.getKey());
            if (t == null) {
                throw new IllegalArgumentException("missing input " + Check.quote(e.getKey()));
            }
            boolean dtypeOk = switch (e.getValue()) {
                case FLOAT -> dtype.equals(t.dtype());
                case INDEX -> "int64".equals(t.dtype());
                case INDEX_OR_FLOAT -> "int64".equals(t.dtype()) || dtype.equals(t.dtype());
            };
            if (!dtypeOk) {
                throw new IllegalArgumentException("input " + Check.quote(e.getKey()) + " has dtype " + Check.quote(t.dtype())
                        + "; a " + dtype + " call needs " + (e.getValue() == InputKind.FLOAT ? dtype
                        : e.getValue() == InputKind.INDEX ? "int64" : "int64 or " + dtype));
            }
            checkData(t, "input " + Check.quote(e.getKey()));
        }
    }

    private static void checkParamType(String name, ParamKind kind, Object v, String dtype) {
        boolean ok = switch (kind) {
            case FLOAT -> v instanceof Number || v instanceof String;
            case FLOAT_OR_NULL -> v == null || v instanceof Number || v instanceof String;
            case INT -> v instanceof Long || v instanceof Integer;
            case INT_OR_NULL -> v == null || v instanceof Long || v instanceof Integer;
            case BOOL -> v instanceof Boolean;
            case ENUM -> v instanceof String;
            case TENSOR_OR_NULL -> v == null || v instanceof Tensor;
            case BOOL_TENSOR_OR_NULL -> v == null || v instanceof Tensor && ((Tensor) v).isBool();
        };
        if (!ok) {
            throw new IllegalArgumentException("parameter " + Check.quote(name) + " must be " + switch (kind) {
                case FLOAT -> "a float (hex-float string)";
                case FLOAT_OR_NULL -> "a float (hex-float string) or null";
                case INT -> "an integer";
                case INT_OR_NULL -> "an integer or null";
                case BOOL -> "a Boolean";
                case ENUM -> "a string";
                case TENSOR_OR_NULL -> "a tensor or null";
                case BOOL_TENSOR_OR_NULL -> "a bool tensor or null";
            } + "; got " + (v == null ? "null" : v.getClass().getSimpleName() + " " + v));
        }
        if (v instanceof String && kind != ParamKind.ENUM) {
            HexFloat.parse((String) v, dtype); // a float parameter is a value of the dtype, exactly (D9)
        }
        if (v instanceof Tensor && kind == ParamKind.BOOL_TENSOR_OR_NULL) {
            checkData((Tensor) v, "parameter " + Check.quote(name));
        } else if (v instanceof Tensor) {
            Tensor t = (Tensor) v;
            if (!dtype.equals(t.dtype())) {
                throw new IllegalArgumentException("parameter " + Check.quote(name) + " has dtype " + Check.quote(t.dtype())
                        + "; a " + dtype + " call needs " + dtype);
            }
            checkData(t, "parameter " + Check.quote(name));
        }
    }

    /** The data fill the shape exactly (the shape's dimensions are non-negative). */
    private static void checkData(Tensor t, String what) {
        if (t.shape() == null || (t.values() == null && t.ints() == null)) {
            throw new IllegalArgumentException(what + " lacks a shape or data");
        }
        long n = 1;
        for (int d : t.shape()) {
            if (d < 0) {
                throw new IllegalArgumentException(what + " has a negative dimension: " + Arrays.toString(t.shape()));
            }
            n = Math.min(n * d, Integer.MAX_VALUE + 1L); // saturate: more than any array holds
        }
        int len = t.values() == null ? t.ints().length : t.values().length;
        if (n != len) {
            throw new IllegalArgumentException(what + " has " + len + " values but shape " + Arrays.toString(t.shape())
                    + " needs " + (n > Integer.MAX_VALUE ? "more than " + Integer.MAX_VALUE : n));
        }
    }

    /**
     * Runs one function: {@link #validate} first, then the spec's checks in the order of its error
     * precedence (D1), then the computation.
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
        validate(function, dtype, params, inputs);
        Call c = new Call("float32".equals(dtype), params == null ? Map.of() : params, inputs);
        c.setDtype(dtype);
        try {
            return compute(function, c);
        } catch (XentException e) {
            if (e.kind() == ErrorKind.INDEX_OUT_OF_RANGE && c.beyondInt != null) {
                // the typed API saw a stand-in for a target beyond Java's int: name the real value
                throw new XentException(e.kind(), e.getMessage() + " (" + c.beyondInt + ")");
            }
            throw e;
        }
    }

    /** The spec's checks in the order of its error precedence (D1), then the computation. */
    private static Tensor compute(String function, Call c) {
        boolean f32 = c.f32;
        switch (function) {
            case "logsumexp": { // AlongAxis checks the rank, an empty axis, then the axis' range (D1)
                Tensor x = c.inputs.get("x");
                int axis = c.axis();
                double[] out = f32 ? d(AlongAxis.logsumexp(c.f(x), x.shape(), axis))
                        : AlongAxis.logsumexp(x.values(), x.shape(), axis);
                return c.out(AlongAxis.reducedShape(x.shape(), axis), out);
            }
            case "softmax": {
                Tensor x = c.inputs.get("x");
                int axis = c.axis();
                return c.out(x.shape(), f32 ? d(AlongAxis.softmax(c.f(x), x.shape(), axis))
                        : AlongAxis.softmax(x.values(), x.shape(), axis));
            }
            case "log_softmax": {
                Tensor x = c.inputs.get("x");
                int axis = c.axis();
                return c.out(x.shape(), f32 ? d(AlongAxis.logSoftmax(c.f(x), x.shape(), axis))
                        : AlongAxis.logSoftmax(x.values(), x.shape(), axis));
            }
            case "sigmoid": {
                Tensor z = c.elementwise("z");
                return c.out(z.shape(), f32 ? d(Primitives.sigmoid(c.f(z))) : Primitives.sigmoid(z.values()));
            }
            case "log_sigmoid": {
                Tensor z = c.elementwise("z");
                return c.out(z.shape(), f32 ? d(Primitives.logSigmoid(c.f(z))) : Primitives.logSigmoid(z.values()));
            }
            case "softplus": {
                Tensor z = c.elementwise("z");
                return c.out(z.shape(), f32 ? d(Primitives.softplus(c.f(z))) : Primitives.softplus(z.values()));
            }
            case "entropy": {
                LogBase base = c.base();
                Tensor p = c.vector("p");
                return c.scalar(f32 ? Information.entropy(c.f(p), base) : Information.entropy(p.values(), base));
            }
            case "cross_entropy": {
                LogBase base = c.base();
                double eps = c.real("epsilon", 0.0);
                Check.inClosedUnit(eps, "epsilon");
                Tensor p = c.vector("p");
                Tensor q = c.vector("q");
                return c.scalar(f32 ? Information.crossEntropy(c.f(p), c.f(q), base, eps)
                        : Information.crossEntropy(p.values(), q.values(), base, eps));
            }
            case "kl_divergence": {
                LogBase base = c.base();
                Tensor p = c.vector("p");
                Tensor q = c.vector("q");
                return c.scalar(f32 ? Information.klDivergence(c.f(p), c.f(q), base)
                        : Information.klDivergence(p.values(), q.values(), base));
            }
            case "nll_from_probs": {
                double eps = c.real("epsilon", 1e-15);
                Check.inClosedUnit(eps, "epsilon");
                Reduction r = c.reduction(Reduction.MEAN);
                Tensor probs = c.ranked("probs", 2, 2);
                Tensor target = c.ranked("target", 1, 1);
                int[] t = c.indices(target, null);
                if (r == Reduction.NONE) {
                    double[] out = f32 ? d(ProbabilityLosses.nllFromProbsUnreduced(c.f(probs), probs.shape(), t, eps))
                            : ProbabilityLosses.nllFromProbsUnreduced(probs.values(), probs.shape(), t, eps);
                    return c.out(new int[] {out.length}, out);
                }
                return c.scalar(f32 ? ProbabilityLosses.nllFromProbs(c.f(probs), probs.shape(), t, eps, r)
                        : ProbabilityLosses.nllFromProbs(probs.values(), probs.shape(), t, eps, r));
            }
            case "categorical_cross_entropy": {
                Reduction r = c.reduction(Reduction.MEAN);
                Tensor t = c.ranked("t", 2, 2);
                Tensor p = c.ranked("p", 2, 2);
                if (t.shape()[1] == 0 || p.shape()[1] == 0) {
                    throw new XentException(ErrorKind.INVALID_SHAPE, "t and p must have at least one class; got "
                            + Arrays.toString(t.shape()) + " and " + Arrays.toString(p.shape()));
                }
                Check.sameShape(t.shape(), "t", p.shape(), "p");
                if (r == Reduction.NONE) {
                    double[] out = f32 ? d(ProbabilityLosses.categoricalCrossEntropyUnreduced(c.f(t), c.f(p), t.shape()))
                            : ProbabilityLosses.categoricalCrossEntropyUnreduced(t.values(), p.values(), t.shape());
                    return c.out(new int[] {t.shape()[0]}, out);
                }
                return c.scalar(f32 ? ProbabilityLosses.categoricalCrossEntropy(c.f(t), c.f(p), t.shape(), r)
                        : ProbabilityLosses.categoricalCrossEntropy(t.values(), p.values(), t.shape(), r));
            }
            case "binary_cross_entropy": {
                double eps = c.real("epsilon", 1e-15);
                ProbabilityLossKernels.checkBceEpsilon(eps);
                Reduction r = c.reduction(Reduction.MEAN);
                Tensor y = c.elementwise("y");
                Tensor p = c.elementwise("p");
                Check.sameShape(y.shape(), "y", p.shape(), "p");
                if (r == Reduction.NONE) {
                    return c.out(y.shape(), f32 ? d(ProbabilityLosses.binaryCrossEntropyUnreduced(c.f(y), c.f(p), eps))
                            : ProbabilityLosses.binaryCrossEntropyUnreduced(y.values(), p.values(), eps));
                }
                return c.scalar(f32 ? ProbabilityLosses.binaryCrossEntropy(c.f(y), c.f(p), eps, r)
                        : ProbabilityLosses.binaryCrossEntropy(y.values(), p.values(), eps, r));
            }
            case "softmax_cross_entropy":
            case "softmax_cross_entropy_grad":
                return softmaxCrossEntropy(c, function.endsWith("_grad"));
            case "binary_cross_entropy_with_logits":
            case "binary_cross_entropy_with_logits_grad":
                return bceWithLogits(c, function.endsWith("_grad"));
            case "focal_loss":
                return focalLoss(c, false);
            case "nll_loss":
                return nllLoss(c);
            case "kl_div":
                return klDiv(c);
            case "sigmoid_focal_loss": {
                Double alpha = c.params.containsKey("alpha") ? c.optionalReal("alpha") : Double.valueOf(c.round(0.25));
                double gamma = c.real("gamma", 2.0);
                LogitLossKernels.checkSigmoidFocalScalars(alpha, gamma);
                Reduction r = c.reduction(Reduction.NONE);
                Tensor z = c.ranked("z", 1, Check.MAX_RANK);
                Tensor y = c.ranked("y", 1, Check.MAX_RANK);
                Check.sameShape(z.shape(), "z", y.shape(), "y");
                if (r == Reduction.NONE) {
                    return c.out(z.shape(), f32 ? d(LogitLosses.sigmoidFocalLossUnreduced(c.f(z), z.shape(), c.f(y), alpha, gamma))
                            : LogitLosses.sigmoidFocalLossUnreduced(z.values(), z.shape(), y.values(), alpha, gamma));
                }
                return c.scalar(f32 ? LogitLosses.sigmoidFocalLoss(c.f(z), z.shape(), c.f(y), alpha, gamma, r)
                        : LogitLosses.sigmoidFocalLoss(z.values(), z.shape(), y.values(), alpha, gamma, r));
            }
            case "sigmoid_mse_grad": {
                Tensor z = c.elementwise("z");
                Tensor y = c.elementwise("y");
                Check.sameShape(z.shape(), "z", y.shape(), "y");
                double[] v = c.upstream(z.shape());
                return c.rounded(z.shape(), Gradients.sigmoidMseGrad(z.values(), y.values(), v));
            }
            case "online_softmax_merge": {
                LogBase base = c.base();
                Tensor m = c.ranked("m", 1, Check.MAX_RANK);
                Tensor d = c.ranked("d", 1, Check.MAX_RANK);
                Check.sameShape(m.shape(), "m", d.shape(), "d");
                int[] outShape = m.shape().clone();
                outShape[0] = 2;
                return c.rounded(outShape, SplitMerge.onlineSoftmaxMerge(m.values(), d.values(), m.shape(), base));
            }
            case "lse_merge": {
                LogBase base = c.base();
                Tensor lse = c.ranked("lse", 1, Check.MAX_RANK);
                int[] outShape = Arrays.copyOfRange(lse.shape(), 1, lse.shape().length);
                return c.rounded(outShape, SplitMerge.lseMerge(lse.values(), lse.shape(), base));
            }
            case "cross_entropy_from_shards":
                return crossEntropyFromShards(c);
            case "linear_cross_entropy":
            case "linear_cross_entropy_grad":
                return linearCrossEntropy(c, function.endsWith("_grad"));
            case "softmax_grad":
            case "log_softmax_grad":
                return rowVjp(c, function.startsWith("log_"));
            case "focal_loss_grad":
                return focalLoss(c, true);
            case "binary_cross_entropy_grad": {
                double eps = c.real("epsilon", 1e-15);
                ProbabilityLossKernels.checkBceEpsilon(eps);
                Reduction r = c.reduction(Reduction.MEAN);
                Tensor y = c.elementwise("y");
                Tensor p = c.elementwise("p");
                Check.sameShape(y.shape(), "y", p.shape(), "p");
                double[] v = c.upstream(r == Reduction.NONE ? p.shape() : SCALAR);
                return c.rounded(p.shape(), Gradients.binaryCrossEntropyGrad(y.values(), p.values(), eps, r, v));
            }
            default:
                throw new IllegalStateException("function " + function + " is in SIGNATURES but has no call");
        }
    }

    private static Tensor softmaxCrossEntropy(Call c, boolean grad) {
        Reduction r = c.reduction(Reduction.MEAN);
        SoftmaxCrossEntropyResult result = SoftmaxCrossEntropyResult.fromSpec(c.string("result", "loss"));
        SoftmaxCrossEntropyOptions base = c.crossEntropyOptions().result(result);
        Long ignoreIndex = c.optionalInteger("ignore_index", -100);
        Tensor logits = c.ranked("logits", 2, Check.MAX_RANK);
        int[] shape = logits.shape();
        if (shape[1] == 0) {
            throw new XentException(ErrorKind.INVALID_SHAPE, "logits must have at least one class (axis 1); got shape "
                    + Arrays.toString(shape));
        }
        Tensor target = c.inputs.get("target");
        int[] posShape = new int[shape.length - 1];
        posShape[0] = shape[0];
        System.arraycopy(shape, 2, posShape, 1, shape.length - 2);
        if (target.isInt()) {
            Check.sameShape(target.shape(), "target", posShape, "logits without axis 1");
        } else {
            Check.sameShape(target.shape(), "target", shape, "logits");
        }
        double[] weight = c.classVector("weight", shape[1]);
        boolean[] where = c.mask(shape);
        double[] gradOutput = grad ? c.upstream(r == Reduction.NONE ? posShape : SCALAR) : null;
        if (result == SoftmaxCrossEntropyResult.LSE) {
            r = Reduction.NONE; // one lse per position whatever the reduction (which is still validated)
        }
        boolean f32 = c.f32;
        int[] ignore = new int[1];
        if (target.isInt()) {
            int[] t = c.indices(target, ignoreIndex, ignore);
            SoftmaxCrossEntropyOptions o = base.weight(weight).ignoreIndex(Call.ignored(ignoreIndex, ignore)).where(where);
            if (grad) {
                return c.rounded(shape, Gradients.softmaxCrossEntropyGrad(logits.values(), shape, t, o, r, gradOutput));
            }
            if (r == Reduction.NONE) {
                return c.out(posShape, f32 ? d(LogitLosses.softmaxCrossEntropyUnreduced(c.f(logits), shape, t, o))
                        : LogitLosses.softmaxCrossEntropyUnreduced(logits.values(), shape, t, o));
            }
            return c.scalar(f32 ? LogitLosses.softmaxCrossEntropy(c.f(logits), shape, t, o, r)
                    : LogitLosses.softmaxCrossEntropy(logits.values(), shape, t, o, r));
        }
        // probability targets: ignore_index plays no part (any int fits the options)
        SoftmaxCrossEntropyOptions o = base.weight(weight).where(where);
        if (grad) {
            return c.rounded(shape, Gradients.softmaxCrossEntropyGrad(logits.values(), shape, target.values(), o, r,
                    gradOutput));
        }
        if (r == Reduction.NONE) {
            return c.out(posShape, f32 ? d(LogitLosses.softmaxCrossEntropyUnreduced(c.f(logits), shape, c.f(target), o))
                    : LogitLosses.softmaxCrossEntropyUnreduced(logits.values(), shape, target.values(), o));
        }
        return c.scalar(f32 ? LogitLosses.softmaxCrossEntropy(c.f(logits), shape, c.f(target), o, r)
                : LogitLosses.softmaxCrossEntropy(logits.values(), shape, target.values(), o, r));
    }

    private static Tensor bceWithLogits(Call c, boolean grad) {
        Reduction r = c.reduction(Reduction.MEAN);
        Tensor z = c.ranked("z", 1, Check.MAX_RANK);
        Tensor y = c.ranked("y", 1, Check.MAX_RANK);
        int[] shape = z.shape();
        Check.sameShape(shape, "z", y.shape(), "y");
        double[] w = c.broadcastVector("weight", shape);
        double[] pw = c.broadcastVector("pos_weight", shape);
        boolean f32 = c.f32;
        if (grad) {
            double[] v = c.upstream(r == Reduction.NONE ? shape : SCALAR);
            return c.rounded(shape, Gradients.binaryCrossEntropyWithLogitsGrad(z.values(), shape, y.values(), w, pw, r, v));
        }
        if (r == Reduction.NONE) {
            return c.out(shape, f32 ? d(LogitLosses.binaryCrossEntropyWithLogitsUnreduced(c.f(z), shape, c.f(y), w, pw))
                    : LogitLosses.binaryCrossEntropyWithLogitsUnreduced(z.values(), shape, y.values(), w, pw));
        }
        return c.scalar(f32 ? LogitLosses.binaryCrossEntropyWithLogits(c.f(z), shape, c.f(y), w, pw, r)
                : LogitLosses.binaryCrossEntropyWithLogits(z.values(), shape, y.values(), w, pw, r));
    }

    /**
     * linear_cross_entropy(_grad): step 1 (wrt last), ranks and C = 0, the shapes (linear_weight's H, target,
     * linear_bias, weight, grad_output), wrt linear_bias without a bias, then the cross-entropy's value checks.
     */
    private static Tensor linearCrossEntropy(Call c, boolean grad) {
        Reduction r = c.reduction(Reduction.MEAN);
        SoftmaxCrossEntropyOptions base = c.crossEntropyOptions();
        LinearWrt wrt = grad ? LinearWrt.fromSpec(c.string("wrt", "hidden")) : null;
        Long ignoreIndex = c.optionalInteger("ignore_index", -100);
        Tensor hidden = c.ranked("hidden", 2, 2);
        Tensor w = c.ranked("linear_weight", 2, 2);
        Tensor target = c.ranked("target", 1, 1);
        int classes = w.shape()[0];
        if (classes == 0) {
            throw new XentException(ErrorKind.INVALID_SHAPE, "linear_weight must have at least one row (C = 0); got shape "
                    + Arrays.toString(w.shape()));
        }
        int n = hidden.shape()[0];
        if (w.shape()[1] != hidden.shape()[1]) {
            throw new XentException(ErrorKind.SHAPE_MISMATCH, "linear_weight has H = " + w.shape()[1]
                    + " but hidden has H = " + hidden.shape()[1]);
        }
        Check.sameShape(target.shape(), "target", new int[] {n}, "hidden's rows");
        double[] bias = c.classVector("linear_bias", classes);
        double[] weight = c.classVector("weight", classes);
        double[] gradOutput = grad ? c.upstream(r == Reduction.NONE ? new int[] {n} : SCALAR) : null;
        int[] ignore = new int[1];
        int[] t = c.indices(target, ignoreIndex, ignore);
        SoftmaxCrossEntropyOptions o = base.weight(weight).ignoreIndex(Call.ignored(ignoreIndex, ignore));
        if (grad) {
            double[] out = LinearCrossEntropy.linearCrossEntropyGrad(hidden.values(), hidden.shape(), w.values(), w.shape(),
                    t, bias, o, r, wrt, gradOutput);
            int[] outShape = wrt == LinearWrt.HIDDEN ? hidden.shape() : wrt == LinearWrt.LINEAR_WEIGHT ? w.shape()
                    : new int[] {classes};
            return c.rounded(outShape, out);
        }
        if (r == Reduction.NONE) {
            return c.rounded(new int[] {n}, LinearCrossEntropy.linearCrossEntropyUnreduced(hidden.values(), hidden.shape(),
                    w.values(), w.shape(), t, bias, o));
        }
        return c.rounded(SCALAR, new double[] {LinearCrossEntropy.linearCrossEntropy(hidden.values(), hidden.shape(),
                w.values(), w.shape(), t, bias, o, r)});
    }

    /** cross_entropy_from_shards: step 1, the ranks in signature order and C = 0, the shapes in signature order, then the kernel's checks. */
    private static Tensor crossEntropyFromShards(Call c) {
        Reduction r = c.reduction(Reduction.MEAN);
        SoftmaxCrossEntropyOptions base = c.crossEntropyOptions(); // the large-model ones are not its parameters: defaults
        Long ignoreIndex = c.optionalInteger("ignore_index", -100);
        Tensor lse = c.ranked("shard_lse", 2, 2);
        Tensor sums = c.ranked("shard_logit_sum", 2, 2);
        Tensor targetLogit = c.ranked("target_logit", 1, 1);
        Tensor target = c.ranked("target", 1, 1);
        Tensor shardSize = c.ranked("shard_size", 1, 1);
        long classes = 0;
        for (long size : shardSize.ints()) {
            classes += size;
        }
        if (Arrays.stream(shardSize.ints()).allMatch(size -> size == 0)) {
            throw new XentException(ErrorKind.INVALID_SHAPE, "cross_entropy_from_shards needs at least one class; shard_size "
                    + Arrays.toString(shardSize.ints()) + " holds none");
        }
        int[] sn = lse.shape();
        Check.sameShape(sums.shape(), "shard_logit_sum", sn, "shard_lse");
        Check.sameShape(targetLogit.shape(), "target_logit", new int[] {sn[1]}, "shard_lse's positions");
        Check.sameShape(target.shape(), "target", new int[] {sn[1]}, "shard_lse's positions");
        Check.sameShape(shardSize.shape(), "shard_size", new int[] {sn[0]}, "shard_lse's shards");
        double[] weight = c.classVector("weight", (int) Math.max(-1, Math.min(classes, Integer.MAX_VALUE)));
        int[] ignore = new int[1];
        int[] t = c.indices(target, ignoreIndex, ignore);
        SoftmaxCrossEntropyOptions o = base.weight(weight).ignoreIndex(Call.ignored(ignoreIndex, ignore));
        if (r == Reduction.NONE) {
            return c.rounded(new int[] {sn[1]}, SplitMerge.crossEntropyFromShardsUnreduced(lse.values(), sums.values(),
                    targetLogit.values(), t, shardSize.ints(), o));
        }
        double loss = SplitMerge.crossEntropyFromShards(lse.values(), sums.values(), targetLogit.values(), t,
                shardSize.ints(), o, r);
        return c.rounded(SCALAR, new double[] {loss});
    }

    /**
     * softmax_grad and log_softmax_grad: ranks of x and grad_output, x's empty axis (when the axis is in
     * range), then their shapes, then the axis' range (step 4).
     */
    private static Tensor rowVjp(Call c, boolean log) {
        Tensor x = c.ranked("x", 1, Check.MAX_RANK);
        Tensor v = c.ranked("grad_output", 1, Check.MAX_RANK);
        int axis = c.axis();
        int[] shape = x.shape();
        int a = axis < 0 ? axis + shape.length : axis;
        if (a >= 0 && a < shape.length && shape[a] == 0) {
            throw new XentException(ErrorKind.INVALID_SHAPE, "x has shape " + Arrays.toString(shape) + ": axis "
                    + axis + " is empty");
        }
        Check.sameShape(v.shape(), "grad_output", shape, "x");
        double[] out = log ? Gradients.logSoftmaxGrad(x.values(), shape, axis, v.values())
                : Gradients.softmaxGrad(x.values(), shape, axis, v.values());
        return c.rounded(shape, out);
    }

    private static Tensor focalLoss(Call c, boolean grad) {
        double gamma = c.real("gamma", 2.0);
        Check.gamma(gamma);
        Reduction r = c.reduction(Reduction.MEAN);
        Tensor logits = c.ranked("logits", 2, 2);
        Tensor target = c.ranked("target", 1, 1);
        int[] shape = logits.shape();
        if (shape[1] == 0) {
            throw new XentException(ErrorKind.INVALID_SHAPE, "logits must have at least one class; got shape "
                    + Arrays.toString(shape));
        }
        Check.sameShape(target.shape(), "target", new int[] {shape[0]}, "logits' rows");
        double[] alpha = c.classVector("alpha", shape[1]);
        int[] t = c.indices(target, null);
        boolean f32 = c.f32;
        if (grad) {
            double[] v = c.upstream(r == Reduction.NONE ? new int[] {shape[0]} : SCALAR);
            return c.rounded(shape, Gradients.focalLossGrad(logits.values(), shape, t, gamma, alpha, r, v));
        }
        if (r == Reduction.NONE) {
            double[] out = f32 ? d(LogitLosses.focalLossUnreduced(c.f(logits), shape, t, gamma, alpha))
                    : LogitLosses.focalLossUnreduced(logits.values(), shape, t, gamma, alpha);
            return c.out(new int[] {shape[0]}, out);
        }
        return c.scalar(f32 ? LogitLosses.focalLoss(c.f(logits), shape, t, gamma, alpha, r)
                : LogitLosses.focalLoss(logits.values(), shape, t, gamma, alpha, r));
    }

    /** nll_loss: reduction (step 1), input rank and C = 0, target and weight shapes, then the typed API's value checks. */
    private static Tensor nllLoss(Call c) {
        Reduction r = c.reduction(Reduction.MEAN);
        Long ignoreIndex = c.optionalInteger("ignore_index", -100);
        Tensor input = c.ranked("input", 1, Check.MAX_RANK);
        int[] shape = input.shape();
        int classes = shape.length == 1 ? shape[0] : shape[1];
        if (classes == 0) {
            throw new XentException(ErrorKind.INVALID_SHAPE, "input must have at least one class; got shape "
                    + Arrays.toString(shape));
        }
        int[] posShape = shape.length == 1 ? SCALAR : new int[shape.length - 1];
        if (shape.length > 1) {
            posShape[0] = shape[0];
            System.arraycopy(shape, 2, posShape, 1, shape.length - 2);
        }
        Tensor target = c.inputs.get("target");
        Check.sameShape(target.shape(), "target", posShape, "input without the class axis");
        double[] weight = c.classVector("weight", classes);
        int[] ignore = new int[1];
        int[] t = c.indices(target, ignoreIndex, ignore);
        OptionalInt ig = Call.ignored(ignoreIndex, ignore);
        boolean f32 = c.f32;
        if (r == Reduction.NONE) {
            return c.out(posShape, f32 ? d(LogProbabilityLosses.nllLossUnreduced(c.f(input), shape, t, weight, ig))
                    : LogProbabilityLosses.nllLossUnreduced(input.values(), shape, t, weight, ig));
        }
        return c.scalar(f32 ? LogProbabilityLosses.nllLoss(c.f(input), shape, t, weight, ig, r)
                : LogProbabilityLosses.nllLoss(input.values(), shape, t, weight, ig, r));
    }

    /** kl_div: reduction (step 1), ranks, then shape agreement; nothing else is checked. */
    private static Tensor klDiv(Call c) {
        KlDivReduction r = KlDivReduction.fromSpec(c.string("reduction", "mean"));
        boolean logTarget = Boolean.TRUE.equals(c.params.get("log_target"));
        Tensor input = c.ranked("input", 0, Check.MAX_RANK);
        Tensor target = c.ranked("target", 0, Check.MAX_RANK);
        int[] shape = input.shape();
        Check.sameShape(shape, "input", target.shape(), "target");
        boolean f32 = c.f32;
        if (r == KlDivReduction.NONE) {
            return c.out(shape, f32 ? d(LogProbabilityLosses.klDivUnreduced(c.f(input), c.f(target), shape, logTarget))
                    : LogProbabilityLosses.klDivUnreduced(input.values(), target.values(), shape, logTarget));
        }
        return c.scalar(f32 ? LogProbabilityLosses.klDiv(c.f(input), c.f(target), shape, r, logTarget)
                : LogProbabilityLosses.klDiv(input.values(), target.values(), shape, r, logTarget));
    }

    private static double[] d(float[] x) {
        return Check.toDouble(x);
    }

    /** One validated request: its params and inputs, with typed accessors that apply the spec's checks. */
    private static final class Call {
        final boolean f32;
        final Map<String, Object> params;
        final Map<String, Tensor> inputs;
        /** The 16-bit format of a float16 or bfloat16 call (computed in double), else null. */
        SixteenBit half;
        /** Whether output_dtype is float32 (the mixed contract). */
        boolean mixed;
        /** The first class index beyond the int range that was passed on as a stand-in, or null. */
        String beyondInt;

        Call(boolean f32, Map<String, Object> params, Map<String, Tensor> inputs) {
            this.f32 = f32;
            this.params = params;
            this.inputs = inputs;
        }

        /** An input of the given rank range (invalid_shape otherwise). */
        Tensor ranked(String name, int minRank, int maxRank) {
            Tensor t = inputs.get(name);
            Check.rank(t.shape(), minRank, maxRank, name);
            return t;
        }

        Tensor vector(String name) {
            return ranked(name, 1, 1);
        }

        /** An input of an elementwise function: rank 0 to 8 (D6). */
        Tensor elementwise(String name) {
            return ranked(name, 0, Check.MAX_RANK);
        }

        /**
         * Class indices as the typed API's ints, never wrapped (D8). A target equal to ignoreIndex
         * (null: none) becomes the int written to ignoreOut[0]: ignoreIndex itself when it fits an int,
         * else a negative int no target holds. A target outside the int range otherwise becomes an int
         * that is no class either (so index_out_of_range is raised at its step of the precedence).
         */
        int[] indices(Tensor t, Long ignoreIndex, int[] ignoreOut) {
            long[] src = t.ints();
            boolean ignoreFits = ignoreIndex != null && ignoreIndex == (int) (long) ignoreIndex;
            Set<Integer> held = new HashSet<>();
            for (long v : src) {
                if (v == (int) v) {
                    held.add((int) v);
                }
            }
            int ignore = ignoreFits ? (int) (long) ignoreIndex : Integer.MIN_VALUE;
            while (!ignoreFits && held.contains(ignore)) {
                ignore++;
            }
            int outside = ignore == Integer.MAX_VALUE ? Integer.MIN_VALUE : Integer.MAX_VALUE;
            int[] out = new int[src.length];
            for (int i = 0; i < src.length; i++) {
                long v = src[i];
                out[i] = ignoreIndex != null && v == ignoreIndex ? ignore : v == (int) v ? (int) v : outside;
                if (out[i] == outside && v != outside && beyondInt == null) {
                    beyondInt = "target[" + i + "] = " + v + " is beyond the int range and no class";
                }
            }
            if (ignoreOut != null) {
                ignoreOut[0] = ignore;
            }
            return out;
        }

        int[] indices(Tensor t, Long ignoreIndex) {
            return indices(t, ignoreIndex, null);
        }

        float[] f(Tensor t) {
            return Check.toFloat(t.values());
        }

        /**
         * A result computed in double from the inputs' values (float32 values widened exactly, float
         * parameters already rounded to the dtype), rounded once to the output dtype.
         */
        Tensor rounded(int[] shape, double[] data) {
            return out(shape, f32 && !mixed ? Check.toDouble(Check.toFloat(data)) : data);
        }

        /** grad_output: null, or a tensor of exactly the loss output's shape (shape_mismatch otherwise, step 3). */
        double[] upstream(int[] outputShape) {
            Tensor t = optionalTensor("grad_output");
            if (t == null) {
                return null;
            }
            if (!Arrays.equals(t.shape(), outputShape)) {
                throw new XentException(ErrorKind.SHAPE_MISMATCH, "grad_output must have the loss output's shape "
                        + Arrays.toString(outputShape) + "; got " + Arrays.toString(t.shape()));
            }
            return t.values();
        }

        Tensor scalar(double v) {
            return out(SCALAR, new double[] {v});
        }

        /** The result of the call: double results rounded once to a 16-bit dtype, or to float32 (mixed). */
        Tensor out(int[] shape, double[] data) {
            if (mixed) {
                return Tensor.ofFloats("float32", shape.clone(), Check.toDouble(Check.toFloat(data)));
            }
            if (half != null) {
                return Tensor.ofFloats(half.dtype(), shape.clone(), half.widen(half.narrow(data)));
            }
            return Tensor.ofFloats(f32 ? "float32" : "float64", shape.clone(), data);
        }

        /**
         * Sets the 16-bit format (null for float64 and float32) and checks output_dtype: step 1 of the
         * precedence (it depends on the dtype only); float32 asks for the mixed contract.
         */
        void setDtype(String dtype) {
            half = SixteenBit.of(dtype);
            String output = string("output_dtype", "same");
            if (!"same".equals(output) && !"float32".equals(output)) {
                throw new XentException(ErrorKind.INVALID_ARGUMENT, "output_dtype must be same or float32; got "
                        + Check.quote(output));
            }
            mixed = "float32".equals(output);
            if (mixed && half == null) {
                throw new XentException(ErrorKind.INVALID_ARGUMENT, "output_dtype float32 needs float16 or bfloat16"
                        + " inputs (the mixed contract); these are " + dtype);
            }
        }

        /**
         * softmax cross-entropy's scalar options checked on their own (step 1): label_smoothing and its mode,
         * logit_scale, softcap, z_loss, empty_mean (absent ones at their defaults); weight and ignore_index
         * are set by the caller once the shapes are checked.
         */
        SoftmaxCrossEntropyOptions crossEntropyOptions() {
            double eps = real("label_smoothing", 0.0);
            LabelSmoothingMode mode = LabelSmoothingMode.fromSpec(string("label_smoothing_mode", "uniform"));
            SoftmaxCrossEntropyCall.checkLabelSmoothing(eps);
            double logitScale = real("logit_scale", 1.0);
            Double softcap = optionalReal("softcap");
            double zLoss = real("z_loss", 0.0);
            EmptyMean emptyMean = EmptyMean.fromSpec(string("empty_mean", "nan"));
            SoftmaxCrossEntropyCall.checkLargeModel(logitScale, softcap != null, softcap == null ? Double.NaN : softcap,
                    zLoss, emptyMean);
            return new SoftmaxCrossEntropyOptions().labelSmoothing(eps).labelSmoothingMode(mode).logitScale(logitScale)
                    .softcap(softcap == null ? OptionalDouble.empty() : OptionalDouble.of(softcap)).zLoss(zLoss)
                    .emptyMean(emptyMean);
        }

        /** ignore_index as the typed API takes it: empty for null, else the int stand-in of {@link #indices}. */
        static OptionalInt ignored(Long ignoreIndex, int[] standIn) {
            return ignoreIndex == null ? OptionalInt.empty() : OptionalInt.of(standIn[0]);
        }

        /** A float parameter as a value of the dtype (float32 and 16-bit calls round it once, as the spec says). */
        double round(double v) {
            return half != null ? half.round(v) : f32 ? (float) v : v;
        }

        double real(String name, double dflt) {
            Object v = params.get(name);
            return round(v == null ? dflt : number(v));
        }

        Double optionalReal(String name) {
            Object v = params.get(name);
            return v == null ? null : round(number(v));
        }

        double number(Object v) {
            return v instanceof Number ? ((Number) v).doubleValue() : parseFloat((String) v);
        }

        long integer(String name, long dflt) {
            Object v = params.get(name);
            return v == null ? dflt : ((Number) v).longValue();
        }

        /** An int-or-null parameter: dflt when absent, null when given as null (ignore_index: none ignored). */
        Long optionalInteger(String name, long dflt) {
            if (!params.containsKey(name)) {
                return dflt;
            }
            Object v = params.get(name);
            return v == null ? null : ((Number) v).longValue();
        }

        /** The axis parameter (default -1); an int64 beyond int is out of range for every rank, as MAX_VALUE is. */
        int axis() {
            long a = integer("axis", -1);
            return a == (int) a ? (int) a : Integer.MAX_VALUE;
        }

        String string(String name, String dflt) {
            Object v = params.get(name);
            return v == null ? dflt : (String) v;
        }

        LogBase base() {
            return LogBase.fromSpec(string("base", "e"));
        }

        Reduction reduction(Reduction dflt) {
            Object v = params.get("reduction");
            return v == null ? dflt : Reduction.fromSpec((String) v);
        }

        /** An optional tensor parameter (validated: the request's dtype, data filling the shape). */
        Tensor optionalTensor(String name) {
            return (Tensor) params.get(name);
        }

        /** The class mask where: null, or a bool tensor of shape [C] or of the logits' shape (shape_mismatch otherwise). */
        boolean[] mask(int[] logitsShape) {
            Tensor t = (Tensor) params.get("where");
            if (t == null) {
                return null;
            }
            if (!Arrays.equals(t.shape(), new int[] {logitsShape[1]}) && !Arrays.equals(t.shape(), logitsShape)) {
                throw new XentException(ErrorKind.SHAPE_MISMATCH, "where must have shape [" + logitsShape[1]
                        + "] or the logits' shape " + Arrays.toString(logitsShape) + "; got " + Arrays.toString(t.shape()));
            }
            return t.bools();
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
