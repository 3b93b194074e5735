package org.xent.adapter;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.DoubleUnaryOperator;
import org.xent.Catalogue;
import org.xent.ErrorKind;
import org.xent.Primitives;
import org.xent.SixteenBit;
import org.xent.Tensor;
import org.xent.XentException;

/**
 * The mutant catalogue of the Java adapter (conformance/MUTANTS.md): named, deliberately wrong variants
 * of public functions, each modelling one porting mistake or one legitimate port variant, with the names,
 * descriptions, levels and functions of the Python catalogue (MutantsTest checks them). The adapter
 * applies the one named by {@code XENT_MUTANT}; the library never sees them. A mutant first calls the
 * shipped function (so that its errors are the shipped ones) and then computes its value with plain
 * {@link Math}, from the shipped building blocks or from a naive formula; the formulas "in the data's
 * dtype" round every operation to float32 for float32 data, the others compute in binary64 and round once.
 */
final class Mutants {
    /** One mutated call: the request, answered the wrong way. */
    @FunctionalInterface
    interface Body {
        Tensor call(Req r);
    }

    /**
     * What the catalogue requires of a mutant (conformance/MUTANTS.md, "Levels"): a defect that some
     * vector must fail at accurate or at compatible, or a legitimate port variant that must pass every
     * vector of its functions at compatible. {@code --list-mutants} prints it as {@code {verb: level}}.
     */
    enum Level {
        KILL_ACCURATE("kill", "accurate"),
        KILL_COMPATIBLE("kill", "compatible"),
        ACCEPT_COMPATIBLE("accept", "compatible");

        final String verb;
        final String level;

        Level(String verb, String level) {
            this.verb = verb;
            this.level = level;
        }
    }

    /** A named mutant: what must happen to it, the functions it changes and how. */
    record Mutant(String name, Level level, String description, List<String> functions, Body body) {
    }

    private static final Map<String, Mutant> CATALOGUE = new LinkedHashMap<>();

    private static final List<String> ROW = List.of("logsumexp", "softmax", "log_softmax");
    private static final List<String> SCE = List.of("softmax_cross_entropy", "softmax_cross_entropy_grad");
    /** Reduced functions whose mean divides by the number of losses. */
    private static final List<String> COUNTED = List.of("nll_from_probs", "categorical_cross_entropy",
            "binary_cross_entropy", "binary_cross_entropy_with_logits", "focal_loss", "sigmoid_focal_loss");
    private static final List<String> REDUCED = concat(COUNTED, List.of("softmax_cross_entropy"));

    private Mutants() {
    }

    /**
     * The mutant of that name.
     *
     * @param name a catalogue name
     * @return the mutant, or null when there is none of that name
     */
    static Mutant find(String name) {
        return CATALOGUE.get(name);
    }

    /** Every mutant, in catalogue order. */
    static List<Mutant> all() {
        return List.copyOf(CATALOGUE.values());
    }

    /** Runs one function, through the mutant when it changes that function. */
    static Tensor call(Mutant m, String function, String dtype, Map<String, Object> params, Map<String, Tensor> inputs) {
        Req r = new Req(function, dtype, params == null ? Map.of() : params, inputs == null ? Map.of() : inputs);
        if (m == null || !m.functions().contains(function)) {
            return r.shipped();
        }
        if (ROW.contains(function) && !AXIS_AWARE.contains(m.name()) && r.inputs.get("x") != null
                && r.inputs.get("x").shape().length > 1) {
            return roundTo16(r, alongAxis(r, m.body()));
        }
        return roundTo16(r, m.body().call(r));
    }

    /**
     * A row function's mutant on x of rank &gt; 1: the mutant's vector form on every slice along the axis
     * (a rank-1 request without the axis parameter), reassembled; logsumexp drops the axis. The shipped
     * call on the whole request runs first, so that its errors (rank, empty axis, axis range) are the
     * shipped ones.
     */
    private static Tensor alongAxis(Req r, Body body) {
        Tensor shipped = r.shipped();
        Tensor x = r.inputs.get("x");
        int[] shape = x.shape();
        long axisParam = r.params.get("axis") == null ? -1 : ((Number) r.params.get("axis")).longValue();
        int a = (int) (axisParam < 0 ? axisParam + shape.length : axisParam);
        int n = shape[a];
        int inner = 1;
        for (int i = a + 1; i < shape.length; i++) {
            inner *= shape[i];
        }
        int slices = n == 0 ? 0 : x.values().length / n;
        boolean lse = "logsumexp".equals(r.function);
        double[] out = new double[shipped.values().length];
        Map<String, Object> params = new HashMap<>(r.params);
        params.remove("axis");
        String dtype = shipped.dtype();
        for (int s = 0; s < slices; s++) {
            int off = s / inner * n * inner + s % inner;
            double[] v = new double[n];
            for (int j = 0; j < n; j++) {
                v[j] = x.values()[off + j * inner];
            }
            Tensor slice = Tensor.ofFloats(x.dtype(), new int[] {n}, v);
            Tensor t = body.call(new Req(r.function, r.dtype, params, Map.of("x", slice)));
            dtype = t.dtype();
            for (int j = 0; j < t.values().length; j++) {
                out[lse ? s : off + j * inner] = t.values()[j];
            }
        }
        return Tensor.ofFloats(dtype, shipped.shape(), out);
    }

    /**
     * A mutant's answer to a float16 or bfloat16 request (computed in double) rounded once to the output's
     * dtype: the request's, or float32 under output_dtype float32. Other answers are returned as they are.
     */
    private static Tensor roundTo16(Req r, Tensor t) {
        SixteenBit half = SixteenBit.of(r.dtype);
        if (half == null) {
            return t;
        }
        boolean mixed = "float32".equals(r.params.get("output_dtype"));
        double[] v = t.values().clone();
        for (int i = 0; i < v.length; i++) {
            v[i] = mixed ? (double) (float) v[i] : half.round(v[i]);
        }
        return Tensor.ofFloats(mixed ? "float32" : half.dtype(), t.shape(), v);
    }

    private static void add(String name, Level level, List<String> functions, String description, Body body) {
        if (CATALOGUE.containsKey(name)) {
            throw new IllegalStateException("duplicate mutant " + name);
        }
        for (String f : functions) {
            if (!Catalogue.FUNCTIONS.contains(f)) {
                throw new IllegalStateException("mutant " + name + " names unknown function " + f);
            }
        }
        CATALOGUE.put(name, new Mutant(name, level, description, List.copyOf(functions), body));
    }

    private static List<String> concat(List<String> a, List<String> b) {
        List<String> out = new ArrayList<>(a);
        out.addAll(b);
        return Collections.unmodifiableList(out);
    }

    // ================================================================== the request and its helpers

    /** A request (function, dtype, params, inputs) that can be re-run with changes. */
    static final class Req {
        final String function;
        final String dtype;
        final Map<String, Object> params;
        final Map<String, Tensor> inputs;

        Req(String function, String dtype, Map<String, Object> params, Map<String, Tensor> inputs) {
            this.function = function;
            this.dtype = dtype;
            this.params = params;
            this.inputs = inputs;
        }

        Tensor shipped() {
            return Catalogue.call(function, dtype, params, inputs);
        }

        Req param(String name, Object value) {
            Map<String, Object> p = new HashMap<>(params);
            p.put(name, value);
            return new Req(function, dtype, p, inputs);
        }

        Req input(String name, Tensor value) {
            Map<String, Tensor> in = new HashMap<>(inputs);
            in.put(name, value);
            return new Req(function, dtype, params, in);
        }

        Req swap(String a, String b) {
            return input(a, inputs.get(b)).input(b, inputs.get(a));
        }

        boolean has(String name) {
            return params.get(name) != null;
        }

        double real(String name, double dflt) {
            Object v = params.get(name);
            if (v == null) {
                return dflt;
            }
            return v instanceof Number ? ((Number) v).doubleValue() : Catalogue.parseFloat(v.toString());
        }

        String text(String name, String dflt) {
            Object v = params.get(name);
            return v == null ? dflt : v.toString();
        }

        /** The reduction asked for (sigmoid_focal_loss defaults to none, everything else to mean). */
        String reduction() {
            return text("reduction", "sigmoid_focal_loss".equals(function) ? "none" : "mean");
        }

        boolean mean() {
            return "mean".equals(reduction());
        }

        /** Values of an input, or of a tensor param (null when absent). */
        double[] values(String name) {
            Tensor t = inputs.containsKey(name) ? inputs.get(name) : (Tensor) params.get(name);
            if (t == null) {
                return null;
            }
            if (t.isInt()) {
                return Arrays.stream(t.ints()).asDoubleStream().toArray();
            }
            return t.values();
        }

        int[] ints(String name) {
            return Arrays.stream(inputs.get(name).ints()).mapToInt(v -> (int) v).toArray();
        }

        int[] shape(String name) {
            return inputs.get(name).shape();
        }

        /** A float tensor of this request's dtype (float32 values rounded once). */
        Tensor floats(int[] shape, double[] v) {
            boolean f32 = "float32".equals(dtype);
            double[] out = new double[v.length];
            for (int i = 0; i < v.length; i++) {
                out[i] = f32 ? (double) (float) v[i] : v[i];
            }
            return Tensor.ofFloats(dtype, shape.clone(), out);
        }

        Tensor scalar(double v) {
            return floats(new int[0], new double[] {v});
        }
    }

    private static Tensor map(Tensor t, DoubleUnaryOperator f) {
        double[] v = t.values().clone();
        for (int i = 0; i < v.length; i++) {
            v[i] = f.applyAsDouble(v[i]);
        }
        return Tensor.ofFloats(t.dtype(), t.shape(), v);
    }

    /** The elementwise losses reduced as the request asks (mean over their number). */
    private static Tensor reduce(Req r, int[] shape, double[] per) {
        switch (r.reduction()) {
            case "none":
                return r.floats(shape, per);
            case "sum":
                return r.scalar(Sum.COMPENSATED.of(per));
            default:
                return r.scalar(Sum.COMPENSATED.of(per) / per.length);
        }
    }

    /** The shipped losses of r with reduction none, reduced by r's reduction with the given summation. */
    private static Tensor reduceShipped(Req r, Sum sum, double denominator) {
        if ("none".equals(r.reduction())) {
            return r.shipped();
        }
        r.shipped();
        double[] per = r.param("reduction", "none").shipped().values();
        double s = sum.of(per);
        return r.scalar(r.mean() ? s / denominator : s);
    }

    private static double count(Req r) {
        return r.param("reduction", "none").shipped().values().length;
    }

    /** How a porter might sum. */
    enum Sum {
        /** Neumaier's compensated summation (not a mistake). */
        COMPENSATED,
        /** A float32 accumulator. */
        FLOAT32,
        /** A plain left-to-right loop in binary64. */
        SEQUENTIAL,
        /** numpy's pairwise summation (np.sum) in binary64. */
        PAIRWISE;

        double of(double[] v) {
            switch (this) {
                case FLOAT32: {
                    float acc = 0f;
                    for (double x : v) {
                        acc += (float) x;
                    }
                    return acc;
                }
                case PAIRWISE:
                    return pairwise(v, 0, v.length, v2 -> v2);
                case SEQUENTIAL: {
                    double acc = 0.0;
                    for (double x : v) {
                        acc += x;
                    }
                    return acc;
                }
                default: {
                    double s = 0.0;
                    double c = 0.0;
                    for (double x : v) {
                        double t = s + x;
                        c += Math.abs(s) >= Math.abs(x) ? (s - t) + x : (x - t) + s;
                        s = t;
                    }
                    return Double.isFinite(s) ? s + c : s;
                }
            }
        }
    }

    static double sigmoidNaive(double z) {
        return 1.0 / (1.0 + Math.exp(-z));
    }

    /** The stable softplus written with log(1 + x) for log1p(x) (softplus_log_not_log1p). */
    static double softplusLog(double z) {
        return Math.max(z, 0.0) + Math.log(1 + Math.exp(-Math.abs(z)));
    }

    /** The sigmoid by its two stable branches (a few ulp). */
    static double sigmoid(double z) {
        return z >= 0 ? 1.0 / (1.0 + Math.exp(-z)) : Math.exp(z) / (1.0 + Math.exp(z));
    }

    /**
     * sigmoid_focal_loss alpha_t (1 - p_t)^gamma ce with ce built on softplusLog; the modulating factor
     * 1 - p_t = y sigmoid(-z) + (1 - y) sigmoid(z) stays accurate, so only the softplus differs.
     */
    private static Tensor sigmoidFocalSoftplusLog(Req r) {
        r.shipped();
        double[] z = r.values("z");
        double[] y = r.values("y");
        boolean weighted = !r.params.containsKey("alpha") || r.has("alpha");
        double a = r.real("alpha", 0.25);
        double gamma = r.real("gamma", 2.0);
        double[] per = new double[z.length];
        for (int i = 0; i < z.length; i++) {
            double ce = mul0(y[i], softplusLog(-z[i])) + mul0(1 - y[i], softplusLog(z[i]));
            double omp = mul0(y[i], sigmoid(-z[i])) + mul0(1 - y[i], sigmoid(z[i]));
            double at = weighted ? a * y[i] + (1 - a) * (1 - y[i]) : 1.0;
            per[i] = mul0(at, Math.pow(omp, gamma) * ce);
        }
        return reduce(r, r.shape("z"), per);
    }

    static double softplus(double z) {
        return Math.max(z, 0.0) + Math.log1p(Math.exp(-Math.abs(z)));
    }

    // ================================================================== row primitives

    /** a + log(1 + s), its log_softmax or softmax, s summed as given: the max-shifted logsumexp with one mistake. */
    private static Tensor lse(Req r, boolean useLog1p, Sum sum) {
        Tensor shipped = r.shipped();
        double[] x = r.values("x");
        int k = 0;
        for (int i = 1; i < x.length; i++) {
            if (x[i] > x[k]) {
                k = i;
            }
        }
        double a = x[k];
        if (!Double.isFinite(a)) {
            return shipped;
        }
        double[] e = new double[x.length - 1];
        for (int i = 0, j = 0; i < x.length; i++) {
            if (i != k) {
                e[j++] = Math.exp(x[i] - a);
            }
        }
        double s = sum.of(e);
        double l = useLog1p ? Math.log1p(s) : Math.log(1 + s);
        if ("logsumexp".equals(r.function)) {
            return r.scalar(a + l);
        }
        double[] out = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            out[i] = "softmax".equals(r.function) ? Math.exp(x[i] - a) / (1 + s) : (x[i] - a) - l;
        }
        return r.floats(shipped.shape(), out);
    }

    private static Tensor naiveEntropy(Req r, Sum sum) {
        r.shipped();
        double[] p = r.values("p");
        double[] t = new double[p.length];
        for (int i = 0; i < p.length; i++) {
            t[i] = p[i] > 0 ? -p[i] * Math.log(p[i]) : 0.0;
        }
        double h = sum.of(t);
        return r.scalar("2".equals(r.text("base", "e")) ? h / Math.log(2) : h);
    }

    /** The summation mutants: rows, entropy and the batch reductions summed the wrong way. */
    private static Tensor summed(Req r, Sum sum) {
        Tensor ref = r.shipped(); // the shipped errors first (the denominators below read the inputs)
        if (sum == Sum.FLOAT32 && !"float64".equals(r.dtype)) {
            return ref;
        }
        if (ROW.contains(r.function)) {
            return lse(r, true, sum);
        }
        if ("entropy".equals(r.function)) {
            return naiveEntropy(r, sum);
        }
        if ("cross_entropy".equals(r.function) || "kl_divergence".equals(r.function)) {
            return r.scalar(naiveInformation(r, sum));
        }
        if (r.function.startsWith("softmax_cross_entropy")) {
            double den = indexTarget(r) ? sum.of(new SceInfo(r).targetWeights()) : positions(r.shape("logits"));
            if (r.function.endsWith("_grad")) {
                // only the mean's denominator is a sum; a zero one keeps the shipped NaN gradient (D3)
                return r.mean() && den != 0 ? r.floats(ref.shape(), Arrays.stream(r.param("reduction", "sum").shipped().values()).map(v -> v / den).toArray()) : ref;
            }
            return reduceShipped(r, sum, den);
        }
        return reduceShipped(r, sum, count(r));
    }

    /**
     * cross_entropy (renormalising q + epsilon) or kl_divergence with every sum formed by sum; terms with
     * p = 0 contribute 0. Only the sums are a port's: the logs are the shipped forms (a logarithm of a
     * quotient as a difference of logarithms where the quotient may leave the normal range).
     */
    private static double naiveInformation(Req r, Sum sum) {
        double[] p = r.values("p");
        double[] q = r.values("q");
        double eps = r.real("epsilon", 0.0);
        double[] logQ = Arrays.stream(q).map(Math::log).toArray();
        if (eps != 0) {
            double total = Math.log(sum.of(Arrays.stream(q).map(v -> v + eps).toArray()));
            logQ = Arrays.stream(q).map(v -> Math.log(v + eps) - total).toArray();
        }
        double[] t = new double[p.length];
        for (int i = 0; i < p.length; i++) {
            double ratio = p[i] / q[i];
            if (p[i] == 0) {
                t[i] = 0;
            } else if ("cross_entropy".equals(r.function)) {
                t[i] = -p[i] * logQ[i];
            } else {
                t[i] = p[i] * (ratio >= Double.MIN_NORMAL && ratio < Double.POSITIVE_INFINITY ? Math.log(ratio) : Math.log(p[i]) - logQ[i]);
            }
        }
        double h = sum.of(t);
        return "2".equals(r.text("base", "e")) ? h / Math.log(2) : h;
    }

    /** The number of positions of logits [N, C, d...]: every dimension but the class axis. */
    private static double positions(int[] shape) {
        double n = 1;
        for (int i = 0; i < shape.length; i++) {
            n *= i == 1 ? 1 : shape[i];
        }
        return n;
    }

    // ================================================================== softmax cross-entropy helpers

    /** Geometry of a softmax_cross_entropy request with class-index targets. */
    private static final class SceInfo {
        final int c;
        final int spatial;
        final int[] y;
        final boolean[] ignored;
        final double[] w;

        SceInfo(Req r) {
            int[] shape = r.shape("logits");
            c = shape[1];
            int s = 1;
            for (int i = 2; i < shape.length; i++) {
                s *= shape[i];
            }
            spatial = s;
            y = r.ints("target");
            int ii = (int) r.real("ignore_index", -100);
            ignored = new boolean[y.length];
            for (int p = 0; p < y.length; p++) {
                ignored[p] = y[p] == ii;
            }
            w = r.values("weight");
        }

        double weight(int cls) {
            return w == null ? 1.0 : w[cls];
        }

        double weightSum() {
            return Sum.COMPENSATED.of(targetWeights());
        }

        /** The weight of each position's target, 0 where ignored: the terms of the mean's denominator. */
        double[] targetWeights() {
            double[] t = new double[y.length];
            for (int p = 0; p < y.length; p++) {
                t[p] = ignored[p] ? 0.0 : weight(y[p]);
            }
            return t;
        }

        int kept() {
            int n = 0;
            for (boolean b : ignored) {
                n += b ? 0 : 1;
            }
            return n;
        }

        /** Index of logit (class cls) of position p in the row-major [N, C, d...] array. */
        int element(int p, int cls) {
            return (p / spatial) * c * spatial + cls * spatial + p % spatial;
        }
    }

    private static boolean indexTarget(Req r) {
        return r.inputs.get("target").isInt();
    }

    /** r's loss or gradient with a mean over the given denominator instead of the shipped one. */
    private static Tensor sceMean(Req r, double denominator) {
        Tensor shipped = r.shipped();
        if (!r.mean()) {
            return shipped;
        }
        return map(r.param("reduction", "sum").shipped(), v -> v / denominator);
    }

    /** Per-position scale factors applied to the summed loss or gradient, then the shipped mean's denominator. */
    private static Tensor sceScaled(Req r, Req unweighted, double[] factor, double denominator) {
        Tensor shipped = r.shipped();
        SceInfo g = new SceInfo(r);
        boolean grad = r.function.endsWith("_grad");
        Req base = unweighted.param("reduction", grad ? "sum" : "none");
        double[] v = base.shipped().values().clone();
        for (int p = 0; p < g.y.length; p++) {
            if (grad) {
                for (int j = 0; j < g.c; j++) {
                    v[g.element(p, j)] *= factor[p];
                }
            } else {
                v[p] *= factor[p];
            }
        }
        if (grad) {
            double d = r.mean() ? denominator : 1.0;
            return r.floats(shipped.shape(), Arrays.stream(v).map(x -> x / d).toArray());
        }
        switch (r.reduction()) {
            case "none":
                return r.floats(shipped.shape(), v);
            case "sum":
                return r.scalar(Sum.COMPENSATED.of(v));
            default:
                return r.scalar(Sum.COMPENSATED.of(v) / denominator);
        }
    }

    // ================================================================== binary cross-entropy

    /** binary_cross_entropy with one of the clip mistakes (as python/mutants/xent_mutants.py's _bce_mutated). */
    private static Tensor bce(Req r, boolean low, boolean high, boolean roundedUpper, boolean useLog1p) {
        r.shipped();
        double[] y = r.values("y");
        double[] p = r.values("p");
        double eps = r.real("epsilon", 1e-15);
        double[] per = new double[y.length];
        for (int i = 0; i < y.length; i++) {
            double lp;
            double l1p;
            if (roundedUpper) {
                double upper = "float32".equals(r.dtype) ? (double) (1f - (float) eps) : 1.0 - eps;
                double pc = Math.min(Math.max(p[i], eps), upper);
                lp = Math.log(pc);
                l1p = pc < 0.5 ? Math.log1p(-pc) : Math.log(1 - pc);
            } else {
                boolean hiMask = high && p[i] >= 0.5 && (1 - p[i]) < eps;
                double pc = low ? Math.max(p[i], eps) : p[i];
                lp = hiMask ? Math.log1p(-eps) : Math.log(pc);
                double small = useLog1p ? Math.log1p(-pc) : Math.log(1 - pc);
                l1p = hiMask ? Math.log(eps) : (pc < 0.5 ? small : Math.log(1 - pc));
            }
            per[i] = mul0(y[i], -lp) + mul0(1 - y[i], -l1p);
        }
        return reduce(r, r.shape("y"), per);
    }

    /**
     * The plain formula's losses of a request the shipped function rejected with invalid_probability
     * (probabilities_not_checked): every other check stays, so an index error found after the
     * probabilities is still thrown.
     */
    private static Tensor uncheckedProbabilities(Req r, XentException rejected) {
        double eps = r.real("epsilon", 1e-15);
        switch (r.function) {
            case "nll_from_probs": {
                double[] p = r.values("probs");
                int c = r.shape("probs")[1];
                long[] t = r.inputs.get("target").ints();
                double[] per = new double[t.length];
                for (int n = 0; n < t.length; n++) {
                    if (t[n] < 0 || t[n] >= c) {
                        throw rejected;
                    }
                    per[n] = -Math.log(Math.max(p[n * c + (int) t[n]], eps));
                }
                return reduce(r, new int[] {t.length}, per);
            }
            case "categorical_cross_entropy": {
                double[] t = r.values("t");
                double[] p = r.values("p");
                int[] shape = r.shape("t");
                double[] per = new double[shape[0]];
                for (int i = 0; i < t.length; i++) {
                    per[i / shape[1]] += mul0(t[i], -Math.log(p[i]));
                }
                return reduce(r, new int[] {shape[0]}, per);
            }
            default: {
                double[] y = r.values("y");
                double[] p = r.values("p");
                double[] per = new double[y.length];
                for (int i = 0; i < y.length; i++) {
                    double pc = Math.min(Math.max(p[i], eps), 1 - eps);
                    per[i] = mul0(y[i], -Math.log(pc)) + mul0(1 - y[i], -Math.log(1 - pc));
                }
                return reduce(r, r.shape("y"), per);
            }
        }
    }

    private static double mul0(double coef, double value) {
        return coef == 0.0 && !Double.isNaN(value) ? 0.0 : coef * value;
    }

    /** Elementwise BCE-with-logits losses from a per-element formula l(z, y, w, pw). */
    private interface LogitLoss {
        double of(double z, double y, double w, double pw);
    }

    private static Tensor bceLogits(Req r, LogitLoss loss) {
        r.shipped();
        double[] z = r.values("z");
        double[] y = r.values("y");
        double[] w = broadcast(r, "weight");
        double[] pw = broadcast(r, "pos_weight");
        double[] per = new double[z.length];
        for (int i = 0; i < z.length; i++) {
            per[i] = loss.of(z[i], y[i], w[i], pw[i]);
        }
        return reduce(r, r.shape("z"), per);
    }

    /** A weight of z's shape or [last], expanded to z's shape (ones when absent). */
    private static double[] broadcast(Req r, String name) {
        int n = r.values("z").length;
        double[] v = r.values(name);
        double[] out = new double[n];
        for (int i = 0; i < n; i++) {
            out[i] = v == null ? 1.0 : v[v.length == n ? i : i % v.length];
        }
        return out;
    }

    // ================================================================== focal losses

    /** focal_loss from the shipped cross-entropy per row: loss_n = f(ce_n, row n, target y_n). */
    private interface FocalRow {
        double of(double ce, double[] logits, int row, int y);
    }

    private static Tensor focal(Req r, FocalRow f) {
        r.shipped();
        double[] ce = r.param("gamma", 0.0).param("alpha", null).param("reduction", "none").shipped().values();
        double[] logits = r.values("logits");
        int[] y = r.ints("target");
        double[] per = new double[ce.length];
        for (int n = 0; n < ce.length; n++) {
            per[n] = f.of(ce[n], logits, n, y[n]);
        }
        return reduce(r, new int[] {ce.length}, per);
    }

    private static double alphaAt(Req r, int cls) {
        double[] a = r.values("alpha");
        return a == null ? 1.0 : a[cls];
    }

    // ================================================================== the catalogue

    static {
        add("softmax_no_max_shift", Level.KILL_COMPATIBLE, List.of("softmax"), "softmax as exp(x) / sum(exp(x)) in the data's dtype, without subtracting the maximum: exp overflows for large logits (inf / inf = NaN).", r -> {
            Tensor ref = r.shipped();
            DoubleUnaryOperator rd = rounding(r);
            double[] e = Arrays.stream(r.values("x")).map(v -> rd.applyAsDouble(Math.exp(v))).toArray();
            double s = plainSum(e, rd);
            return r.floats(ref.shape(), Arrays.stream(e).map(v -> v / s).toArray());
        });
        add("logsumexp_no_max_shift", Level.KILL_COMPATIBLE, List.of("logsumexp"), "logsumexp as log(sum(exp(x))) in the data's dtype, without the max shift: overflows to inf for large logits and underflows to -inf for very negative ones.", r -> {
            r.shipped();
            DoubleUnaryOperator rd = rounding(r);
            return r.scalar(Math.log(plainSum(Arrays.stream(r.values("x")).map(v -> rd.applyAsDouble(Math.exp(v))).toArray(), rd)));
        });
        add("lse_log_not_log1p", Level.ACCEPT_COMPATIBLE, List.of("logsumexp", "log_softmax", "softmax_cross_entropy", "focal_loss"), "log(1 + s) instead of log1p(s) in a + log1p(s) (the max-shifted logsumexp): at a dominant logit 1 + s rounds to 1, so log_softmax and the loss of a confident correct prediction become exactly 0.",
                r -> ROW.contains(r.function) ? lse(r, false, Sum.COMPENSATED) : lossesFromNll(r, Mutants::lseLogNll));
        add("log_softmax_log_of_softmax", Level.KILL_COMPATIBLE, List.of("log_softmax"), "log_softmax as log(softmax(x)) in the data's dtype: 0 at a dominant logit instead of its tiny negative value, and -inf where softmax underflows.", r -> {
            r.shipped();
            return map(new Req("softmax", r.dtype, r.params, r.inputs).shipped(), Math::log);
        });
        add("log_softmax_x_minus_lse", Level.KILL_ACCURATE, List.of("log_softmax"), "log_softmax as x - logsumexp(x) with logsumexp rounded first (the textbook form): the dominant entry's tiny negative value rounds away to 0.", r -> {
            Tensor ref = r.shipped();
            double lse = new Req("logsumexp", r.dtype, r.params, r.inputs).shipped().values()[0];
            return r.floats(ref.shape(), Arrays.stream(r.values("x")).map(v -> v - lse).toArray());
        });
        add("logsumexp_all_neginf_nan", Level.KILL_COMPATIBLE, List.of("logsumexp"), "a row of only -inf gives NaN (the max shift computes -inf - (-inf)) instead of -inf.", r -> {
            Tensor ref = r.shipped();
            return Arrays.stream(r.values("x")).allMatch(v -> v == Double.NEGATIVE_INFINITY) ? r.scalar(Double.NaN) : ref;
        });
        add("neginf_logit_nan", Level.KILL_COMPATIBLE, concat(ROW, concat(SCE, List.of("focal_loss"))), "a -inf logit (a masked class) turns into NaN, as when masking multiplies by a 0/1 mask or the shift computes -inf - (-inf): its row becomes NaN instead of giving that class probability 0.", r -> {
            String name = ROW.contains(r.function) ? "x" : "logits";
            Tensor x = r.inputs.get(name);
            return r.input(name, map(x, v -> v == Double.NEGATIVE_INFINITY ? Double.NaN : v)).shipped();
        });
        add("empty_vector_accepted", Level.KILL_COMPATIBLE, ROW, "an empty vector is not rejected (logsumexp returns -inf as scipy does, softmax an empty vector) instead of raising invalid_shape.", r -> {
            Tensor x = r.inputs.get("x");
            if (x != null && x.shape().length == 1 && x.shape()[0] == 0) {
                return "logsumexp".equals(r.function) ? r.scalar(Double.NEGATIVE_INFINITY) : r.floats(new int[] {0}, new double[0]);
            }
            return r.shipped();
        });

        add("sigmoid_naive", Level.ACCEPT_COMPATIBLE, List.of("sigmoid"), "sigmoid as 1 / (1 + exp(-z)) for every z, in the data's dtype: exp(-z) overflows for very negative z and the result is 0 where the exact value is a small (subnormal) number.", r -> {
            r.shipped();
            DoubleUnaryOperator rd = rounding(r);
            return r.floats(r.shape("z"), Arrays.stream(r.values("z")).map(z -> 1 / rd.applyAsDouble(1 + rd.applyAsDouble(Math.exp(-z)))).toArray());
        });
        add("sigmoid_negative_branch_everywhere", Level.KILL_COMPATIBLE, List.of("sigmoid"), "sigmoid as exp(z) / (1 + exp(z)) for every z (the branch meant for z < 0): inf / inf = NaN for large positive z.", r -> {
            r.shipped();
            DoubleUnaryOperator rd = rounding(r);
            return r.floats(r.shape("z"), Arrays.stream(r.values("z")).map(z -> {
                double e = rd.applyAsDouble(Math.exp(z));
                return e / rd.applyAsDouble(1 + e);
            }).toArray());
        });
        add("softplus_overflow", Level.KILL_COMPATIBLE, List.of("softplus"), "softplus as log1p(exp(z)) in the data's dtype, without max(z, 0): exp overflows, giving inf for large z.", r -> {
            r.shipped();
            DoubleUnaryOperator rd = rounding(r);
            return r.floats(r.shape("z"), Arrays.stream(r.values("z")).map(z -> Math.log1p(rd.applyAsDouble(Math.exp(z)))).toArray());
        });
        add("softplus_log_not_log1p", Level.KILL_COMPATIBLE, List.of("softplus", "log_sigmoid", "binary_cross_entropy_with_logits", "sigmoid_focal_loss"), "the stable softplus max(z, 0) + log(1 + exp(-|z|)) written with log(1 + x) instead of log1p(x): the small term is lost for large |z| (softplus(-40) = 0, log_sigmoid(40) = 0).", r -> {
            switch (r.function) {
                case "softplus":
                    r.shipped();
                    return r.floats(r.shape("z"), Arrays.stream(r.values("z")).map(Mutants::softplusLog).toArray());
                case "log_sigmoid":
                    r.shipped();
                    return r.floats(r.shape("z"), Arrays.stream(r.values("z")).map(z -> -softplusLog(-z)).toArray());
                case "binary_cross_entropy_with_logits":
                    return bceLogits(r, (z, y, w, pw) -> mul0(w, mul0(pw * y, softplusLog(-z)) + mul0(1 - y, softplusLog(z))));
                default:
                    return sigmoidFocalSoftplusLog(r);
            }
        });
        add("log_sigmoid_log_of_sigmoid", Level.KILL_COMPATIBLE, List.of("log_sigmoid"), "log_sigmoid as log(sigmoid(z)) in the data's dtype: -inf where sigmoid underflows, 0 where it rounds to 1.", r -> {
            r.shipped();
            return map(new Req("sigmoid", r.dtype, r.params, r.inputs).shipped(), Math::log);
        });

        add("entropy_bits_for_nats", Level.KILL_COMPATIBLE, List.of("entropy"), "entropy always in bits (log2), whatever the base: log2 where ln is asked for.", r -> {
            r.shipped();
            return r.param("base", "2").shipped();
        });
        add("kl_base_ignored", Level.KILL_COMPATIBLE, List.of("kl_divergence"), "kl_divergence always in nats: the base parameter is ignored (ln where log2 is asked for).", r -> {
            r.shipped();
            return r.param("base", "e").shipped();
        });
        add("info_zero_log_zero_nan", Level.KILL_COMPATIBLE, List.of("entropy", "cross_entropy", "kl_divergence"), "0 * log 0 evaluated as 0 * (-inf) = NaN in entropy, cross-entropy and KL (no masking of zero probabilities).", r -> {
            Tensor ref = r.shipped();
            double[] p = r.values("p");
            double[] q = r.values("q");
            boolean eps = r.real("epsilon", 0.0) != 0.0;
            for (int i = 0; i < p.length; i++) {
                boolean nan = switch (r.function) {
                    case "entropy" -> p[i] == 0;
                    case "cross_entropy" -> p[i] == 0 && q[i] == 0 && !eps;
                    default -> p[i] == 0;
                };
                if (nan) {
                    return r.scalar(Double.NaN);
                }
            }
            return ref;
        });
        add("cross_entropy_args_swapped", Level.KILL_COMPATIBLE, List.of("cross_entropy"), "cross_entropy(p, q) computes H(q, p): the argument order of another library (true and predicted distributions swapped).", r -> {
            r.shipped();
            return r.swap("p", "q").shipped();
        });
        add("kl_reversed", Level.KILL_COMPATIBLE, List.of("kl_divergence"), "KL(q || p) instead of KL(p || q) (scipy.stats.entropy and torch.nn.functional.kl_div order their arguments differently).", r -> {
            r.shipped();
            return r.swap("p", "q").shipped();
        });
        add("cross_entropy_eps_not_renormalised", Level.KILL_COMPATIBLE, List.of("cross_entropy"), "the seed's epsilon variant without renormalisation: -sum p log(q + eps) instead of q' = (q + eps) / sum(q + eps).", r -> {
            Tensor ref = r.shipped();
            double eps = r.real("epsilon", 0.0);
            if (eps == 0.0) {
                return ref;
            }
            double[] p = r.values("p");
            double[] q = r.values("q");
            double[] t = new double[p.length];
            for (int i = 0; i < p.length; i++) {
                t[i] = mul0(p[i], -Math.log(q[i] + eps));
            }
            double h = Sum.COMPENSATED.of(t);
            return r.scalar("2".equals(r.text("base", "e")) ? h / Math.log(2) : h);
        });

        add("nll_clamp_1e-7", Level.KILL_COMPATIBLE, List.of("nll_from_probs"), "the clamp hard-coded at 1e-7 (Keras' epsilon) instead of the epsilon parameter (default 1e-15).", r -> {
            r.shipped();
            return r.real("epsilon", 1e-15) != 0.0 ? r.param("epsilon", 1e-7).shipped() : r.shipped();
        });
        add("nll_no_clamp", Level.KILL_COMPATIBLE, List.of("nll_from_probs"), "no clamp: -log(p) of a zero target probability is inf instead of -log(epsilon) = 34.54.", r -> {
            r.shipped();
            return r.param("epsilon", 0.0).shipped();
        });
        add("nll_negative_index_wraps", Level.KILL_COMPATIBLE, List.of("nll_from_probs"), "negative class indices are not rejected and wrap around (Python / numpy indexing: -1 is the last class) instead of raising index_out_of_range.", r -> {
            Tensor t = r.inputs.get("target");
            int[] shape = r.shape("probs");
            if (t == null || !t.isInt() || shape.length != 2) {
                return r.shipped();
            }
            long c = shape[1];
            long[] wrapped = Arrays.stream(t.ints()).map(v -> v < 0 && v >= -c ? v + c : v).toArray();
            return r.input("target", Tensor.ofInts(t.shape(), wrapped)).shipped();
        });
        add("cce_args_swapped", Level.KILL_COMPATIBLE, List.of("categorical_cross_entropy"), "categorical_cross_entropy(t, p) computes the loss of p against t (the (y_pred, y_true) order of another library).", r -> {
            r.shipped();
            return r.swap("t", "p").shipped();
        });
        add("prob_zero_log_zero_nan", Level.KILL_COMPATIBLE, List.of("categorical_cross_entropy", "binary_cross_entropy"), "0 * log 0 = 0 * (-inf) = NaN in the losses from probabilities: a zero target with a zero probability (or BCE with epsilon = 0 at p in {0, 1}) gives NaN instead of 0.", r -> {
            Tensor ref = r.shipped();
            if ("binary_cross_entropy".equals(r.function)) {
                if (r.real("epsilon", 1e-15) != 0.0) {
                    return ref;
                }
                double[] y = r.values("y");
                double[] p = r.values("p");
                double[] per = r.param("reduction", "none").shipped().values().clone();
                for (int i = 0; i < y.length; i++) {
                    if ((y[i] == 0 && p[i] == 0) || (y[i] == 1 && p[i] == 1)) {
                        per[i] = Double.NaN;
                    }
                }
                return reduce(r, r.shape("y"), per);
            }
            double[] t = r.values("t");
            double[] p = r.values("p");
            int c = r.shape("t")[1];
            double[] per = r.param("reduction", "none").shipped().values().clone();
            for (int i = 0; i < t.length; i++) {
                if (t[i] == 0 && p[i] == 0) {
                    per[i / c] = Double.NaN;
                }
            }
            return reduce(r, new int[] {per.length}, per);
        });
        add("probabilities_not_checked", Level.KILL_COMPATIBLE, List.of("nll_from_probs", "categorical_cross_entropy", "binary_cross_entropy"), "probabilities and targets are not range-checked: values outside [0, 1] or NaN give a number (or NaN) instead of invalid_probability.", r -> {
            try {
                return r.shipped();
            } catch (XentException e) {
                if (e.kind() != ErrorKind.INVALID_PROBABILITY) {
                    throw e;
                }
                return uncheckedProbabilities(r, e);
            }
        });
        add("bce_args_swapped", Level.KILL_COMPATIBLE, List.of("binary_cross_entropy"), "binary_cross_entropy(y, p) computes the loss of y against p: PyTorch's F.binary_cross_entropy takes (input, target), scikit-learn's log_loss (y_true, y_pred).", r -> {
            r.shipped();
            return r.swap("y", "p").shipped();
        });
        add("bce_clip_low_only", Level.KILL_COMPATIBLE, List.of("binary_cross_entropy"), "the clip only from below, max(p, eps): y = 0 with p = 1 gives inf instead of -log(eps).",
                r -> bce(r, true, false, false, true));
        add("bce_clip_high_only", Level.KILL_COMPATIBLE, List.of("binary_cross_entropy"), "the clip only from above, min(p, 1 - eps): y = 1 with p = 0 gives inf instead of -log(eps).",
                r -> bce(r, false, true, false, true));
        add("bce_one_minus_eps_rounded", Level.KILL_COMPATIBLE, List.of("binary_cross_entropy"), "the upper clip 1 - eps rounded in the dtype (np.clip(p, eps, 1 - eps)): in float32 1 - 1e-15 is 1, so p = 1, y = 0 gives inf; in float64 the loss at p = 1 is off by 7%.",
                r -> bce(r, true, true, true, true));
        add("bce_log_not_log1p", Level.KILL_ACCURATE, List.of("binary_cross_entropy"), "log(1 - p) instead of log1p(-p) for small p: 1 - p rounds, and the loss of a small p with y = 0 loses its relative accuracy (0 for p below the unit roundoff).",
                r -> bce(r, true, true, false, false));

        add("mean_returns_sum", Level.KILL_COMPATIBLE, REDUCED, "reduction 'mean' returns the sum (the division forgotten, or 'sum' and 'mean' swapped).", r -> {
            Tensor ref = r.shipped();
            return r.mean() ? r.param("reduction", "sum").shipped() : ref;
        });
        add("empty_mean_zero", Level.KILL_COMPATIBLE, REDUCED, "the mean of an empty batch is 0 (a guarded division) instead of NaN (0 / 0).", r -> {
            Tensor ref = r.shipped();
            Tensor first = r.inputs.get(r.inputs.containsKey("logits") ? "logits" : r.inputs.containsKey("z") ? "z"
                    : r.inputs.containsKey("probs") ? "probs" : r.inputs.containsKey("t") ? "t" : "y");
            boolean empty = first != null && first.shape().length > 0 && first.shape()[0] == 0;
            return r.mean() && empty ? r.scalar(0.0) : ref;
        });
        add("mean_divides_by_batch", Level.KILL_COMPATIBLE, List.of("binary_cross_entropy_with_logits", "sigmoid_focal_loss"), "the elementwise losses' mean divides by the batch size N (the first dimension: sum over labels, mean over samples) instead of by the number of elements.",
                r -> {
                    r.shipped(); // the shipped error first: a rank-0 z has no batch size
                    return reduceShipped(r, Sum.COMPENSATED, r.shape("z")[0]);
                });

        add("sce_uniform_as_off_target", Level.KILL_COMPATIBLE, SCE, "label smoothing eps / (C - 1) on the other classes (the seed's off_target formula) where PyTorch's uniform eps / C on every class is asked for.", r -> {
            Tensor ref = r.shipped();
            boolean uniform = "uniform".equals(r.text("label_smoothing_mode", "uniform"));
            return uniform && r.shape("logits")[1] > 1 ? r.param("label_smoothing_mode", "off_target").shipped() : ref;
        });
        add("sce_off_target_as_uniform", Level.KILL_COMPATIBLE, SCE, "the label_smoothing_mode parameter ignored: uniform eps / C where off_target eps / (C - 1) is asked for.", r -> {
            r.shipped();
            return r.param("label_smoothing_mode", "uniform").shipped();
        });
        add("sce_smoothing_target_only", Level.KILL_COMPATIBLE, SCE, "label smoothing applied to the target class only (q_y = 1 - eps + eps / C, the other classes get nothing): the smoothed target no longer sums to 1.", r -> {
            Tensor ref = r.shipped();
            if (!indexTarget(r)) {
                return ref;
            }
            double eps = r.real("label_smoothing", 0.0);
            int c = r.shape("logits")[1];
            double q = "uniform".equals(r.text("label_smoothing_mode", "uniform")) ? 1 - eps + eps / c : 1 - eps;
            return map(r.param("label_smoothing", 0.0).shipped(), v -> q * v);
        });
        add("sce_prob_targets_not_smoothed", Level.KILL_COMPATIBLE, SCE, "label smoothing applied to index targets only; probability targets are used unsmoothed.", r -> {
            Tensor ref = r.shipped();
            return indexTarget(r) ? ref : r.param("label_smoothing", 0.0).shipped();
        });
        add("sce_weights_ignored", Level.KILL_COMPATIBLE, SCE, "class weights not applied at all (neither to the loss nor to the mean's denominator).", r -> {
            r.shipped();
            return r.param("weight", null).shipped();
        });
        add("sce_weights_twice", Level.KILL_COMPATIBLE, SCE, "class weights applied twice: each class term multiplied by w_c again after the weighted loss (w_c^2 in the numerator, sum of w_y in the denominator).", r -> {
            Tensor ref = r.shipped();
            double[] w = r.values("weight");
            if (w == null) {
                return ref;
            }
            Req squared = r.param("weight", r.floats(new int[] {w.length}, Arrays.stream(w).map(v -> v * v).toArray()));
            return indexTarget(r) ? sceMean(squared, new SceInfo(r).weightSum()) : squared.shipped();
        });
        add("sce_weight_by_target_class", Level.KILL_COMPATIBLE, SCE, "the weight of the target class w_y multiplies the whole smoothed loss (w_y CE(q)) instead of each class term carrying its own w_c: differs as soon as label smoothing and weights are combined.", r -> {
            Tensor ref = r.shipped();
            if (!indexTarget(r) || r.values("weight") == null) {
                return ref;
            }
            SceInfo g = new SceInfo(r);
            double[] factor = new double[g.y.length];
            for (int p = 0; p < factor.length; p++) {
                factor[p] = g.ignored[p] ? 0.0 : g.weight(g.y[p]);
            }
            return sceScaled(r, r.param("weight", null), factor, g.weightSum());
        });
        add("sce_weighted_mean_by_count", Level.KILL_COMPATIBLE, SCE, "the weighted mean divides by the number of non-ignored positions instead of the sum of their target weights.", r -> {
            Tensor ref = r.shipped();
            return indexTarget(r) ? sceMean(r, new SceInfo(r).kept()) : ref;
        });
        add("sce_ignored_in_denominator", Level.KILL_COMPATIBLE, SCE, "ignore_index masked in the loss but not excluded from the mean's denominator (each ignored position still counts with weight 1).", r -> {
            Tensor ref = r.shipped();
            if (!indexTarget(r)) {
                return ref;
            }
            SceInfo g = new SceInfo(r);
            return sceMean(r, g.weightSum() + (g.y.length - g.kept()));
        });
        add("sce_ignore_index_gathered", Level.KILL_COMPATIBLE, SCE, "ignore_index not masked: the ignored position's loss is gathered at class ignore_index mod C (as negative indexing does) and counted in the mean.", r -> {
            Tensor ref = r.shipped();
            if (!indexTarget(r)) {
                return ref;
            }
            SceInfo g = new SceInfo(r);
            int ii = (int) r.real("ignore_index", -100);
            long[] t = new long[g.y.length];
            for (int p = 0; p < t.length; p++) {
                t[p] = g.ignored[p] ? Math.floorMod(ii, g.c) : g.y[p];
            }
            return r.input("target", Tensor.ofInts(r.shape("target"), t)).param("ignore_index", -1L).shipped();
        });
        add("sce_all_ignored_zero", Level.KILL_COMPATIBLE, SCE, "a mean whose denominator is 0 (every target ignored, or zero total weight) returns 0 (Keras) instead of NaN; the gradient is 0 instead of NaN.", r -> {
            Tensor ref = r.shipped();
            double denominator = indexTarget(r) ? new SceInfo(r).weightSum() : r.shape("logits")[0];
            return denominator == 0 ? sceMean(r, 1.0) : ref;
        });
        add("sce_target_off_by_one", Level.KILL_COMPATIBLE, SCE, "class indices taken as 1-based (y - 1, wrapping to the last class for 0), as when porting from Lua, R or Julia.", r -> {
            Tensor ref = r.shipped();
            if (!indexTarget(r)) {
                return ref;
            }
            SceInfo g = new SceInfo(r);
            long[] t = new long[g.y.length];
            for (int p = 0; p < t.length; p++) {
                t[p] = g.ignored[p] ? g.y[p] : Math.floorMod(g.y[p] - 1, g.c);
            }
            return r.input("target", Tensor.ofInts(r.shape("target"), t)).shipped();
        });

        add("sce_grad_wrong_sign", Level.KILL_COMPATIBLE, List.of("softmax_cross_entropy_grad"), "the gradient with the wrong sign, y - softmax instead of softmax - y.",
                r -> map(r.shipped(), v -> -v));
        add("sce_grad_not_divided", Level.KILL_COMPATIBLE, List.of("softmax_cross_entropy_grad"), "the gradient of the mean not divided by the mean's denominator (the batch size or the weight sum).", r -> {
            Tensor ref = r.shipped();
            return r.mean() ? r.param("reduction", "sum").shipped() : ref;
        });
        add("sce_grad_ignores_smoothing", Level.KILL_COMPATIBLE, List.of("softmax_cross_entropy_grad"), "the gradient derived as softmax - onehot(y) although the loss is label-smoothed (the smoothing is forgotten in the backward pass).", r -> {
            r.shipped();
            return r.param("label_smoothing", 0.0).shipped();
        });
        add("one_minus_softmax_by_subtraction", Level.ACCEPT_COMPATIBLE, List.of("focal_loss"), "1 - p formed by subtraction from the rounded softmax: it cancels to 0 for a confident prediction, so the focal modulating factor loses all relative accuracy.",
                r -> focal(r, (ce, x, n, y) -> alphaAt(r, y) * Math.pow(1 - Math.exp(-ce), r.real("gamma", 2.0)) * ce));
        add("bce_logits_grad_not_divided", Level.KILL_COMPATIBLE, List.of("binary_cross_entropy_with_logits_grad"), "the gradient of the mean not divided by the number of elements.", r -> {
            Tensor ref = r.shipped();
            return r.mean() ? r.param("reduction", "sum").shipped() : ref;
        });
        add("bce_logits_grad_wrong_sign", Level.KILL_COMPATIBLE, List.of("binary_cross_entropy_with_logits_grad"), "the gradient with the wrong sign, y - sigmoid(z) instead of sigmoid(z) - y.",
                r -> map(r.shipped(), v -> -v));
        add("bce_logits_grad_pos_weight_ignored", Level.KILL_COMPATIBLE, List.of("binary_cross_entropy_with_logits_grad"), "the gradient computed as w (sigmoid(z) - y), forgetting pos_weight (which the loss applies).", r -> {
            r.shipped();
            return r.param("pos_weight", null).shipped();
        });
        add("sigmoid_mse_grad_missing_derivative", Level.KILL_COMPATIBLE, List.of("sigmoid_mse_grad"), "the squared-error gradient without the sigmoid's derivative p (1 - p): returns p - y, the cross-entropy gradient (the comparison the seed makes).", r -> {
            r.shipped();
            double[] p = new Req("sigmoid", r.dtype, Map.of(), Map.of("z", r.inputs.get("z"))).shipped().values();
            double[] y = r.values("y");
            return r.floats(r.shape("z"), java.util.stream.IntStream.range(0, p.length).mapToDouble(i -> p[i] - y[i]).toArray());
        });
        add("sigmoid_mse_grad_naive", Level.KILL_ACCURATE, List.of("sigmoid_mse_grad"), "(p - y) p (1 - p) with p = sigmoid(z) rounded and 1 - p formed by subtraction in the data's dtype: 0 for a saturated sigmoid, where the exact gradient is tiny but not 0.", r -> {
            r.shipped();
            double[] z = r.values("z");
            double[] y = r.values("y");
            boolean f32 = "float32".equals(r.dtype);
            double[] out = new double[z.length];
            for (int i = 0; i < z.length; i++) {
                double p = sigmoidNaive(z[i]);
                p = f32 ? (float) p : p;
                double omp = f32 ? (float) (1 - p) : 1 - p;
                out[i] = (p - y[i]) * p * omp;
            }
            return r.floats(r.shape("z"), out);
        });

        add("bce_logits_naive", Level.KILL_COMPATIBLE, List.of("binary_cross_entropy_with_logits"), "BCE with logits by the naive formula -(y log(sigmoid(z)) + (1 - y) log(1 - sigmoid(z))) in the data's dtype: inf once sigmoid saturates, and inaccurate well before.",
                r -> {
                    DoubleUnaryOperator rd = rounding(r);
                    return bceLogits(r, (z, y, w, pw) -> {
                        double s = rd.applyAsDouble(1 / rd.applyAsDouble(1 + rd.applyAsDouble(Math.exp(-z))));
                        double pos = rd.applyAsDouble(mul0(rd.applyAsDouble(pw * y), rd.applyAsDouble(Math.log(s))));
                        double neg = rd.applyAsDouble(mul0(rd.applyAsDouble(1 - y), rd.applyAsDouble(Math.log(rd.applyAsDouble(1 - s)))));
                        return rd.applyAsDouble(-w * rd.applyAsDouble(pos + neg));
                    });
                });
        add("bce_logits_pos_weight_on_negative", Level.KILL_COMPATIBLE, List.of("binary_cross_entropy_with_logits"), "pos_weight multiplies the negative term (1 - y) softplus(z) instead of the positive term.",
                r -> bceLogits(r, (z, y, w, pw) -> w * (mul0(y, softplus(-z)) + mul0(pw * (1 - y), softplus(z)))));
        add("bce_logits_pos_weight_on_both", Level.KILL_COMPATIBLE, List.of("binary_cross_entropy_with_logits"), "pos_weight applied like weight, to both terms, instead of to the positive term only.",
                r -> bceLogits(r, (z, y, w, pw) -> w * pw * (mul0(y, softplus(-z)) + mul0(1 - y, softplus(z)))));
        add("focal_alpha_by_prediction", Level.KILL_COMPATIBLE, List.of("focal_loss"), "alpha indexed by the predicted class (argmax of the logits) instead of the target class.", r -> {
            int c = r.shape("logits")[1];
            return focal(r, (ce, x, n, y) -> {
                int k = 0;
                for (int j = 1; j < c; j++) {
                    k = x[n * c + j] > x[n * c + k] ? j : k;
                }
                double omp = -Math.expm1(-ce);
                return alphaAt(r, k) * Math.pow(omp, r.real("gamma", 2.0)) * ce;
            });
        });
        add("focal_gamma_on_p", Level.KILL_COMPATIBLE, List.of("focal_loss"), "the modulating factor p_t^gamma instead of (1 - p_t)^gamma.",
                r -> focal(r, (ce, x, n, y) -> alphaAt(r, y) * Math.pow(Math.exp(-ce), r.real("gamma", 2.0)) * ce));
        add("focal_mean_by_alpha_sum", Level.KILL_COMPATIBLE, List.of("focal_loss"), "the mean divided by the sum of alpha over the targets (like a weighted cross-entropy) instead of by N.", r -> {
            Tensor ref = r.shipped();
            if (!r.mean() || r.values("alpha") == null) {
                return ref;
            }
            int[] y = r.ints("target");
            double s = Sum.COMPENSATED.of(Arrays.stream(y).mapToDouble(v -> alphaAt(r, v)).toArray());
            return r.scalar(r.param("reduction", "sum").shipped().values()[0] / s);
        });
        add("sigmoid_focal_alpha_swapped", Level.KILL_COMPATIBLE, List.of("sigmoid_focal_loss"), "alpha weights the negatives and 1 - alpha the positives (alpha_t swapped).", r -> {
            Tensor ref = r.shipped();
            boolean given = r.params.containsKey("alpha");
            if (given && !r.has("alpha")) {
                return ref;
            }
            return r.param("alpha", 1.0 - r.real("alpha", 0.25)).shipped();
        });
        add("sigmoid_focal_alpha_null_applied", Level.KILL_COMPATIBLE, List.of("sigmoid_focal_loss"), "alpha = null (no weighting) still applies the default 0.25 (the disable sentinel not honoured).", r -> {
            Tensor ref = r.shipped();
            boolean isNull = r.params.containsKey("alpha") && !r.has("alpha");
            return isNull ? r.param("alpha", 0.25).shipped() : ref;
        });
        add("sigmoid_focal_gamma_on_p", Level.KILL_COMPATIBLE, List.of("sigmoid_focal_loss"), "the modulating factor p_t^gamma instead of (1 - p_t)^gamma in the sigmoid focal loss.", r -> {
            r.shipped();
            double[] ce = r.param("gamma", 0.0).param("alpha", null).param("reduction", "none").shipped().values();
            double[] z = r.values("z");
            double[] y = r.values("y");
            boolean alpha = !r.params.containsKey("alpha") || r.has("alpha");
            double a = r.real("alpha", 0.25);
            double gamma = r.real("gamma", 2.0);
            double[] per = new double[z.length];
            for (int i = 0; i < z.length; i++) {
                double pt = mul0(y[i], sigmoidNaive(z[i])) + mul0(1 - y[i], sigmoidNaive(-z[i]));
                double at = alpha ? y[i] * a + (1 - y[i]) * (1 - a) : 1.0;
                per[i] = at * Math.pow(pt, gamma) * ce[i];
            }
            return reduce(r, r.shape("z"), per);
        });

        // Python's 14 summing functions
        List<String> summing = concat(List.of("logsumexp", "softmax", "log_softmax", "entropy", "cross_entropy", "kl_divergence",
                "softmax_cross_entropy", "softmax_cross_entropy_grad"), COUNTED);
        add("float32_accumulation", Level.KILL_COMPATIBLE, summing, "sums accumulated in float32 (a float32 accumulator left in the float64 path).", r -> summed(r, Sum.FLOAT32));
        add("naive_sequential_sum", Level.ACCEPT_COMPATIBLE, summing, "sums accumulated left to right in float64 (a plain loop, no compensated or pairwise summation): the error grows with the length of long vectors.", r -> summed(r, Sum.SEQUENTIAL));

        // ---------------------------------------------------------- port variants and defects of the levels
        add("port_max_shift", Level.ACCEPT_COMPATIBLE, ROW, "the textbook max-shift kernel in the data's dtype, without the log1p refinement: a = max x, e_i = exp(x_i - a), S = sum e_i (pairwise), lse = a + log(S), softmax_i = e_i / S, log_softmax_i = (x_i - a) - log(S).",
                Mutants::portMaxShift);
        add("port_ce_lse_minus_target", Level.ACCEPT_COMPATIBLE, List.of("softmax_cross_entropy", "focal_loss"), "every per-class negative log-probability formed as nll_c = lse(row) - x_c with lse = a + log(sum_i exp(x_i - a)) (F.cross_entropy's logsumexp - gather); smoothing, weights, ignore_index and the reduction as shipped.",
                r -> lossesFromNll(r, Mutants::portNll));
        add("port_bce_logits_tf", Level.ACCEPT_COMPATIBLE, List.of("binary_cross_entropy_with_logits"), "each element in the data's dtype as max(z, 0) - z y + log1p(exp(-|z|)) without pos_weight, and as (1 - y)(max(z, 0) + log1p(exp(-|z|))) + pw y (max(-z, 0) + log1p(exp(-|z|))) with pos_weight (PyTorch's (1 - y) z + (1 + (pw - 1) y)(log1p(exp(-|z|)) + max(-z, 0)) cancels at y = 0, z << 0: a tiny loss becomes 0, a defect); times weight; a plain sum / mean in the data's dtype. Infinite z goes through the same formula (NaN where it meets inf - inf or 0 * inf: acceptable, LimitValue).",
                r -> bceLogitsTf(r, (rd, u) -> Math.log1p(u)));
        add("bce_logits_log_not_log1p", Level.KILL_COMPATIBLE, List.of("binary_cross_entropy_with_logits"), "port_bce_logits_tf with log(1 + exp(-|z|)) instead of log1p(exp(-|z|)): a confident correct prediction has loss 0 (z = 79, y = 1 in float32: exact 4.7e-35).",
                r -> bceLogitsTf(r, (rd, u) -> Math.log(rd.applyAsDouble(1 + u))));
        add("port_pairwise_sum", Level.ACCEPT_COMPATIBLE, summing, "every sum by pairwise summation without compensation (numpy's np.sum) in float64.",
                r -> "float64".equals(r.dtype) ? summed(r, Sum.PAIRWISE) : r.shipped());
        add("port_float32_native", Level.ACCEPT_COMPATIBLE, concat(List.of("sigmoid", "log_sigmoid", "softplus"), ROW), "float32 data computed entirely in float32 with the float32 libm (numpy's SIMD expf / logf / log1pf): sigmoid = 1 / (1 + exp(-z)) for z >= 0 and exp(z) / (1 + exp(z)) for z < 0; softplus = max(z, 0) + log1p(exp(-|z|)); log_sigmoid = -softplus(-z); lse = a + log1p(s), softmax_i = e_i / (1 + s), log_softmax_i = (x_i - a) - log1p(s) with s = sum_{i != k} exp(x_i - a) summed pairwise in float32. float64 data as shipped.",
                Mutants::float32Native);
        add("sigmoid_one_minus_for_negative", Level.KILL_COMPATIBLE, List.of("sigmoid"), "in the data's dtype: 1 / (1 + exp(-z)) for z >= 0 and 1 - 1 / (1 + exp(z)) for z < 0 (the symmetry written by subtraction): the negative tail has an absolute, not a relative, error (0 at z = -20 in float32).",
                r -> finiteElementwise(r, (rd, z) -> z >= 0 ? rd.applyAsDouble(1 / rd.applyAsDouble(1 + rd.applyAsDouble(Math.exp(-z))))
                        : rd.applyAsDouble(1 - rd.applyAsDouble(1 / rd.applyAsDouble(1 + rd.applyAsDouble(Math.exp(z)))))));
        add("sigmoid_tanh", Level.KILL_COMPATIBLE, List.of("sigmoid"), "0.5 * tanh(z / 2) + 0.5 in the data's dtype: the negative tail is 1 + tanh(z / 2) cancelled (5.96e-8 at z = -17.65 in float32, exact 2.15e-8).",
                r -> finiteElementwise(r, (rd, z) -> rd.applyAsDouble(rd.applyAsDouble(0.5 * rd.applyAsDouble(Math.tanh(rd.applyAsDouble(z / 2)))) + 0.5)));
        add("sigmoid_tail_flushed", Level.KILL_COMPATIBLE, List.of("sigmoid"), "the shipped sigmoid, but 0 where z < ln(u) (u the unit roundoff: z < -16.64 in float32, z < -36.74 in float64): the belief that a result below u is 0 at this precision.", r -> {
            double limit = Math.log(Math.scalb(1.0, "float32".equals(r.dtype) ? -24 : -53));
            double[] z = r.values("z");
            Tensor ref = r.shipped();
            double[] out = ref.values().clone();
            for (int i = 0; i < z.length; i++) {
                out[i] = z[i] < limit ? 0.0 : out[i];
            }
            return r.floats(ref.shape(), out);
        });
        add("sce_smoothing_classes_last_axis", Level.KILL_COMPATIBLE, SCE, "at rank > 2 label smoothing takes the class count from the last axis (K = d_k) instead of axis 1 (C): uniform mass eps / K, off_target eps / (K - 1); at rank 2 nothing changes.",
                Mutants::smoothingClassesLastAxis);

        // ---------------------------------------------------------- porting from PyTorch and ONNX (issue 19)
        add("nll_loss_log_probs_as_probs", Level.KILL_COMPATIBLE, List.of("nll_loss"), "nll_loss given log-probabilities but computed as if they were probabilities: -w_y log(x_y) (nll_from_probs' formula, no clamp) instead of -w_y x_y; a log-probability below 0 gives NaN.", r -> {
            r.shipped();
            return r.input("input", map(r.inputs.get("input"), Math::log)).shipped();
        });
        add("ignore_index_null_as_minus_100", Level.KILL_COMPATIBLE, concat(List.of("nll_loss"), SCE), "an absent ignore_index (null / None: nothing ignored, ONNX's default) treated as PyTorch's -100: a target -100 is then silently ignored instead of being index_out_of_range.",
                r -> r.params.containsKey("ignore_index") && r.params.get("ignore_index") == null
                        ? r.param("ignore_index", -100L).shipped() : r.shipped());
        add("kl_div_batchmean_as_mean", Level.KILL_COMPATIBLE, List.of("kl_div"), "kl_div's reduction batchmean computed as mean: the sum divided by every element (N times the support size) instead of the batch size N.",
                r -> "batchmean".equals(r.params.get("reduction")) ? r.param("reduction", "mean").shipped() : r.shipped());
        add("axis_off_by_one", Level.KILL_COMPATIBLE, ROW, "softmax, log_softmax and logsumexp along the next axis: an axis k of x of rank r is taken as (k + 1) mod r (a 1-based / 0-based or NCHW / NHWC confusion); a vector is unaffected, an axis out of range keeps its error.", r -> {
            int rank = r.inputs.get("x").shape().length;
            long axis = r.params.get("axis") == null ? -1 : ((Number) r.params.get("axis")).longValue();
            return rank > 0 && axis >= -rank && axis < rank
                    ? r.param("axis", (long) ((Math.floorMod(axis, rank) + 1) % rank)).shipped() : r.shipped();
        });
        addLargeModel();
        addLinear();
        addUpstream();
    }

    // ================================================================== large-model options (issue 17)

    /** The z-loss coefficient a kernel falls back to when z_loss = 0 is not honoured (PaLM; Liger's default). */
    private static final double PALM_Z_LOSS = 1e-4;

    /** The mutants of issue 17, in the Python catalogue's order; the accepted port variants skip its cases. */
    private static void addLargeModel() {
        add("z_loss_when_off", Level.KILL_COMPATIBLE, SCE, "z-loss applied although switched off: z_loss = 0 takes the entry point's default 1e-4 (Liger's liger_cross_entropy_z_loss default lse_square_scale), the sentinel not honoured.", r -> {
            Tensor ref = r.shipped();
            return r.real("z_loss", 0.0) == 0.0 ? r.param("z_loss", PALM_Z_LOSS).shipped() : ref;
        });
        add("z_loss_weighted", Level.KILL_COMPATIBLE, SCE, "the z-loss term weighted by the target's class weight w_y and the mean's two parts over one common denominator (the weighted one, sum of w_y): the term added to each position's weighted loss before a PyTorch-style weighted mean.",
                Mutants::zLossWeighted);
        add("softcap_target_uncapped", Level.KILL_COMPATIBLE, List.of("softmax_cross_entropy"), "soft-capping applied to the log-sum-exp only: the target's logit is read from the uncapped (scaled) logits, loss = lse(x'') - x'_y (with smoothing and weights: the capped loss plus the target mass times x''_y - x'_y, the terms a kernel that gathers x_y before capping gets).",
                Mutants::softcapTargetUncapped);
        add("softcap_scale_after_cap", Level.KILL_COMPATIBLE, SCE, "logit_scale applied after the cap: logit_scale * softcap tanh(x / softcap) instead of softcap tanh(logit_scale x / softcap) (a temperature divided out of the capped logits).", r -> {
            Tensor ref = r.shipped();
            // s c tanh(x / c) = c' tanh(s x / c') with c' = s c: the shipped function with that cap
            return r.has("softcap") ? r.param("softcap", r.real("logit_scale", 1.0) * r.real("softcap", 0.0)).shipped() : ref;
        });
        add("empty_mean_zero_ignored", Level.KILL_COMPATIBLE, SCE, "empty_mean = zero not honoured: a mean with a zero denominator stays NaN (PyTorch's 0/0) even when the caller asked for 0.", r -> {
            r.shipped();
            return r.param("empty_mean", "nan").shipped();
        });
        add("where_masked_logit_as_zero", Level.KILL_COMPATIBLE, SCE, "class mask applied by zeroing: an excluded class gets logit 0 (logits * mask, or a masked_fill with 0) instead of being left out, so exp(0) still counts in the log-sum-exp and the softmax; its target mass is still dropped and its own gradient still 0 (issue 17, optax's where).",
                Mutants::maskedAsZero);
        add("lse_of_uncapped_logits", Level.KILL_COMPATIBLE, List.of("softmax_cross_entropy"), "result lse taken before the soft-cap: the log-sum-exp a kernel kept from the scaled logits x' while the loss used the capped x'' (issue 17's extra outputs; Liger and flash-attention keep the lse of the logits they actually normalised).", r -> {
            Tensor ref = r.shipped();
            return "lse".equals(r.text("result", "loss")) && r.has("softcap") ? r.param("softcap", null).shipped() : ref;
        });
        // The port variants that recompute softmax_cross_entropy from the raw logits know nothing of the
        // large-model options, the class mask, result or grad_output: a case that uses them is answered as
        // shipped (their modelled port differs in
        // the plain cross-entropy only; Python's variants patch the kernels its large-model path calls).
        for (Mutant m : List.copyOf(CATALOGUE.values())) {
            if (m.level() == Level.ACCEPT_COMPATIBLE && m.functions().stream().anyMatch(SCE::contains)) {
                Body body = m.body();
                CATALOGUE.put(m.name(), new Mutant(m.name(), m.level(), m.description(), m.functions(),
                        r -> SCE.contains(r.function) && largeModel(r) ? r.shipped() : body.call(r)));
            }
        }
    }

    /**
     * Whether a softmax_cross_entropy(_grad) request uses an option the plain port variants do not model:
     * logit_scale != 1, a softcap, z_loss != 0 or empty_mean zero (issue 17), or the class mask where, a
     * result other than the loss, or a grad_output (issue 17, specVersion 4).
     */
    private static boolean largeModel(Req r) {
        return r.real("logit_scale", 1.0) != 1.0 || r.has("softcap") || r.real("z_loss", 0.0) != 0.0 || emptyZero(r)
                || r.has("where") || !"loss".equals(r.text("result", "loss")) || r.has("grad_output");
    }

    private static boolean emptyZero(Req r) {
        return "zero".equals(r.text("empty_mean", "nan"));
    }

    /** A mean part num / den: IEEE division, or 0 for den = 0 under empty_mean zero. */
    private static double quotient(Req r, double num, double den) {
        return den == 0 && emptyZero(r) ? 0.0 : num / den;
    }

    /** w_y per position (0 where ignored); 1 everywhere for probability targets (their mean counts positions). */
    private static double[] sceTargetWeights(Req r) {
        if (indexTarget(r)) {
            return new SceInfo(r).targetWeights();
        }
        int[] shape = r.shape("logits");
        double[] ones = new double[shape[0] * (r.values("logits").length / Math.max(1, shape[0] * shape[1]))];
        Arrays.fill(ones, 1.0);
        return ones;
    }

    /**
     * z_loss_weighted: per position the shipped cross-entropy plus w_y times its z-loss term (the difference
     * of the shipped losses with and without z_loss), reduced over the one weighted denominator; the
     * gradient likewise from the per-position gradients.
     */
    private static Tensor zLossWeighted(Req r) {
        Tensor ref = r.shipped();
        if (r.real("z_loss", 0.0) == 0.0) {
            return ref;
        }
        double[] wy = sceTargetWeights(r);
        Req noZ = r.param("z_loss", 0.0);
        double[] withZ = r.param("reduction", "none").shipped().values();
        double[] ce = noZ.param("reduction", "none").shipped().values();
        if (r.function.endsWith("_grad")) {
            double den = r.mean() ? Sum.COMPENSATED.of(wy) : 1.0;
            if (den == 0 && !emptyZero(r)) {
                return map(ref, v -> Double.NaN);
            }
            int[] shape = r.shape("logits");
            int c = shape[1];
            int spatial = ce.length / Math.max(1, shape[0] * c);
            double[] g = new double[ce.length];
            for (int i = 0; i < g.length && den != 0; i++) {
                int pos = i / (c * spatial) * spatial + i % spatial;
                g[i] = (ce[i] + wy[pos] * (withZ[i] - ce[i])) / den;
            }
            return r.floats(ref.shape(), g);
        }
        double[] per = new double[ce.length];
        for (int p = 0; p < per.length; p++) {
            per[p] = ce[p] + wy[p] * (withZ[p] - ce[p]);
        }
        switch (r.reduction()) {
            case "none":
                return r.floats(ref.shape(), per);
            case "sum":
                return r.scalar(Sum.COMPENSATED.of(per));
            default:
                return r.scalar(quotient(r, Sum.COMPENSATED.of(per), Sum.COMPENSATED.of(wy)));
        }
    }

    /** softcap_target_uncapped: with a cap and index targets each kept position's loss gains w_y (xc_y - xs_y). */
    private static Tensor softcapTargetUncapped(Req r) {
        Tensor ref = r.shipped();
        if (!r.has("softcap") || !indexTarget(r)) {
            return ref;
        }
        double s = r.real("logit_scale", 1.0);
        double cap = r.real("softcap", 0.0);
        double[] x = r.values("logits");
        SceInfo g = new SceInfo(r);
        double[] wy = g.targetWeights();
        double[] shift = new double[wy.length];
        for (int p = 0; p < shift.length; p++) {
            if (wy[p] != 0) {
                double xs = s * x[g.element(p, g.y[p])];
                shift[p] = wy[p] * (cap * Math.tanh(xs / cap) - xs);
            }
        }
        switch (r.reduction()) {
            case "none": {
                double[] per = r.param("reduction", "none").shipped().values().clone();
                for (int p = 0; p < per.length; p++) {
                    per[p] += shift[p];
                }
                return r.floats(ref.shape(), per);
            }
            case "sum": {
                double[] per = r.param("reduction", "none").shipped().values();
                double[] all = Arrays.copyOf(per, per.length + shift.length);
                System.arraycopy(shift, 0, all, per.length, shift.length);
                return r.scalar(Sum.COMPENSATED.of(all));
            }
            default:
                return r.scalar(ref.values()[0] + quotient(r, Sum.COMPENSATED.of(shift), Sum.COMPENSATED.of(wy)));
        }
    }

    /** Mutants of a row function that handle an N-d x themselves (the others run slice by slice: {@link #alongAxis}). */
    private static final java.util.Set<String> AXIS_AWARE = java.util.Set.of("axis_off_by_one");

    // ================================================================== port variants of the levels

    /** Rounding to the request's dtype, for formulas evaluated "in the data's dtype". */
    private static DoubleUnaryOperator rounding(Req r) {
        return "float32".equals(r.dtype) ? v -> (double) (float) v : v -> v;
    }

    private static boolean finite(double[] x) {
        return Arrays.stream(x).allMatch(Double::isFinite);
    }

    /** numpy's pairwise summation of v[from, from + n): a loop below 8 terms, 8 accumulators up to 128, halves above; every addition rounded by rd. */
    static double pairwise(double[] v, int from, int n, DoubleUnaryOperator rd) {
        if (n < 8) {
            double s = 0.0;
            for (int i = from; i < from + n; i++) {
                s = rd.applyAsDouble(s + v[i]);
            }
            return s;
        }
        if (n <= 128) {
            double[] acc = Arrays.copyOfRange(v, from, from + 8);
            int i = 8;
            for (; i < n - n % 8; i += 8) {
                for (int j = 0; j < 8; j++) {
                    acc[j] = rd.applyAsDouble(acc[j] + v[from + i + j]);
                }
            }
            double s = rd.applyAsDouble(rd.applyAsDouble(rd.applyAsDouble(acc[0] + acc[1]) + rd.applyAsDouble(acc[2] + acc[3]))
                    + rd.applyAsDouble(rd.applyAsDouble(acc[4] + acc[5]) + rd.applyAsDouble(acc[6] + acc[7])));
            for (; i < n; i++) {
                s = rd.applyAsDouble(s + v[from + i]);
            }
            return s;
        }
        int n2 = n / 2;
        n2 -= n2 % 8;
        return rd.applyAsDouble(pairwise(v, from, n2, rd) + pairwise(v, from + n2, n - n2, rd));
    }

    private static double plainSum(double[] v, DoubleUnaryOperator rd) {
        double s = 0.0;
        for (double x : v) {
            s = rd.applyAsDouble(s + x);
        }
        return s;
    }

    /** An elementwise formula f(rd, z) of the logistic functions. */
    private interface Elementwise {
        double of(DoubleUnaryOperator rd, double z);
    }

    /** f applied to every finite z (the shipped value at the others). */
    private static Tensor finiteElementwise(Req r, Elementwise f) {
        Tensor ref = r.shipped();
        double[] z = r.values("z");
        double[] out = ref.values().clone();
        DoubleUnaryOperator rd = rounding(r);
        for (int i = 0; i < z.length; i++) {
            if (Double.isFinite(z[i])) {
                out[i] = f.of(rd, z[i]);
            }
        }
        return r.floats(ref.shape(), out);
    }

    private static Tensor portMaxShift(Req r) {
        Tensor ref = r.shipped();
        double[] x = r.values("x");
        if (!finite(x)) {
            return ref;
        }
        DoubleUnaryOperator rd = rounding(r);
        double a = Arrays.stream(x).max().getAsDouble();
        double[] e = Arrays.stream(x).map(v -> rd.applyAsDouble(Math.exp(rd.applyAsDouble(v - a)))).toArray();
        double s = plainSum(e, rd);
        double logS = rd.applyAsDouble(Math.log(s));
        switch (r.function) {
            case "logsumexp":
                return r.scalar(a + logS);
            case "softmax":
                return r.floats(ref.shape(), Arrays.stream(e).map(v -> v / s).toArray());
            default:
                return r.floats(ref.shape(), Arrays.stream(x).map(v -> rd.applyAsDouble(v - a) - logS).toArray());
        }
    }

    /** nll_c = lse - x_c of a finite row, lse = a + log(sum exp(x_i - a)), every operation rounded by rd. */
    private static double[] portNll(double[] row, DoubleUnaryOperator rd) {
        double a = Arrays.stream(row).max().getAsDouble();
        double[] e = Arrays.stream(row).map(v -> rd.applyAsDouble(Math.exp(rd.applyAsDouble(v - a)))).toArray();
        double s = pairwise(e, 0, e.length, rd); // numpy's sum (a plain float32 loop fails C = 262144)
        double lse = rd.applyAsDouble(a + rd.applyAsDouble(Math.log(s)));
        return Arrays.stream(row).map(v -> rd.applyAsDouble(lse - v)).toArray();
    }

    /** The negative log-probabilities of every class of a finite row, as a port forms them. */
    private interface RowNll {
        double[] of(double[] row, DoubleUnaryOperator rd);
    }

    /** nll_c = (a - x_c) + log(1 + s) in binary64 (lse_log_not_log1p; s summed over i != k, compensated). */
    private static double[] lseLogNll(double[] row, DoubleUnaryOperator rd) {
        int k = 0;
        for (int i = 1; i < row.length; i++) {
            k = row[i] > row[k] ? i : k;
        }
        double a = row[k];
        double[] e = new double[row.length - 1];
        for (int i = 0, j = 0; i < row.length; i++) {
            if (i != k) {
                e[j++] = Math.exp(row[i] - a);
            }
        }
        double l = Math.log(1 + Sum.COMPENSATED.of(e));
        return Arrays.stream(row).map(v -> (a - v) + l).toArray();
    }

    /** softmax_cross_entropy or focal_loss with the row log-probabilities of nll at finite rows. */
    private static Tensor lossesFromNll(Req r, RowNll nll) {
        return "focal_loss".equals(r.function) ? focalFromNll(r, nll) : sceFromNll(r, nll);
    }

    /** focal_loss with nll's target log-probability at finite rows; the shipped modulating factor. */
    private static Tensor focalFromNll(Req r, RowNll rowNll) {
        r.shipped();
        double[] nll = r.param("gamma", 0.0).param("alpha", null).param("reduction", "none").shipped().values();
        double[] per = r.param("reduction", "none").shipped().values().clone();
        double[] x = r.values("logits");
        int c = r.shape("logits")[1];
        int[] y = r.ints("target");
        double gamma = r.real("gamma", 2.0);
        for (int n = 0; n < y.length; n++) {
            double[] row = Arrays.copyOfRange(x, n * c, (n + 1) * c);
            if (finite(row)) {
                per[n] = mul0(alphaAt(r, y[n]), Math.pow(-Math.expm1(-nll[n]), gamma) * rowNll.of(row, rounding(r))[y[n]]);
            }
        }
        return reduce(r, new int[] {per.length}, per);
    }

    /** softmax_cross_entropy with nll's log-probabilities at every finite, non-ignored position. */
    private static Tensor sceFromNll(Req r, RowNll rowNll) {
        Tensor ref = r.shipped();
        int[] shape = r.shape("logits");
        int c = shape[1];
        double[] x = r.values("logits");
        double[] per = r.param("reduction", "none").shipped().values().clone();
        int spatial = per.length == 0 ? 1 : x.length / c / shape[0];
        boolean index = indexTarget(r);
        long[] t = index ? r.inputs.get("target").ints() : null;
        double[] probs = index ? null : r.values("target");
        double ignore = r.real("ignore_index", -100);
        double eps = r.real("label_smoothing", 0.0);
        boolean uniform = "uniform".equals(r.text("label_smoothing_mode", "uniform"));
        double[] w = r.values("weight");
        for (int pos = 0; pos < per.length; pos++) {
            if (index && t[pos] == ignore) {
                continue;
            }
            double[] row = new double[c];
            double[] q = new double[c];
            for (int k = 0; k < c; k++) {
                int e = (pos / spatial) * c * spatial + k * spatial + pos % spatial;
                row[k] = x[e];
                double target = index ? (t[pos] == k ? 1 : 0) : probs[e];
                double smooth = eps == 0 ? 0 : uniform ? eps / c : index ? (t[pos] == k ? 0 : eps / (c - 1)) : eps / (c - 1) * (1 - target);
                q[k] = (w == null ? 1 : w[k]) * ((1 - eps) * target + smooth);
            }
            if (finite(row)) {
                double[] nll = rowNll.of(row, rounding(r));
                double[] terms = new double[c];
                for (int k = 0; k < c; k++) {
                    terms[k] = mul0(q[k], nll[k]);
                }
                per[pos] = Sum.COMPENSATED.of(terms);
            }
        }
        switch (r.reduction()) {
            case "none":
                return r.floats(ref.shape(), per);
            case "sum":
                return r.scalar(Sum.COMPENSATED.of(per));
            default:
                return r.scalar(Sum.COMPENSATED.of(per) / (index ? new SceInfo(r).weightSum() : positions(shape)));
        }
    }

    /** log1p(u) as a port writes it (u = exp(-|z|)), in the data's dtype. */
    private interface Tail {
        double of(DoubleUnaryOperator rd, double u);
    }

    /** binary_cross_entropy_with_logits by the TensorFlow formula in the data's dtype (with pos_weight a form without cancellation), infinite z included (NaN where it meets inf - inf or 0 * inf: acceptable, LimitValue); NaN z keeps the shipped loss. */
    private static Tensor bceLogitsTf(Req r, Tail tail) {
        Tensor ref = r.shipped();
        DoubleUnaryOperator rd = rounding(r);
        double[] z = r.values("z");
        double[] y = r.values("y");
        double[] w = broadcast(r, "weight");
        double[] pw = broadcast(r, "pos_weight");
        boolean hasPw = r.values("pos_weight") != null;
        double[] per = r.param("reduction", "none").shipped().values().clone();
        for (int i = 0; i < z.length; i++) {
            if (Double.isNaN(z[i])) {
                continue;
            }
            double t = rd.applyAsDouble(tail.of(rd, rd.applyAsDouble(Math.exp(-Math.abs(z[i])))));
            // with pos_weight not PyTorch's (1 - y) z + l (t + max(-z, 0)): z + (|z| + t) cancels at y = 0, z << 0
            double e = hasPw
                    ? rd.applyAsDouble(rd.applyAsDouble(rd.applyAsDouble(1 - y[i]) * rd.applyAsDouble(Math.max(z[i], 0) + t))
                            + rd.applyAsDouble(rd.applyAsDouble(pw[i] * y[i]) * rd.applyAsDouble(Math.max(-z[i], 0) + t)))
                    : rd.applyAsDouble(rd.applyAsDouble(Math.max(z[i], 0) - rd.applyAsDouble(z[i] * y[i])) + t);
            per[i] = rd.applyAsDouble(w[i] * e);
        }
        switch (r.reduction()) {
            case "none":
                return r.floats(ref.shape(), per);
            case "sum":
                return r.scalar(pairwise(per, 0, per.length, rd));
            default:
                return r.scalar(pairwise(per, 0, per.length, rd) / per.length);
        }
    }

    /** float32 data of the logistic and row functions computed in float32 (every operation rounded); float64 as shipped. */
    private static Tensor float32Native(Req r) {
        if (!"float32".equals(r.dtype)) {
            return r.shipped();
        }
        DoubleUnaryOperator rd = rounding(r);
        DoubleUnaryOperator softplus = z -> rd.applyAsDouble(Math.max(z, 0) + rd.applyAsDouble(Math.log1p(rd.applyAsDouble(Math.exp(-Math.abs(z))))));
        switch (r.function) {
            case "sigmoid":
                return finiteElementwise(r, (f, z) -> {
                    if (z >= 0) {
                        return f.applyAsDouble(1 / f.applyAsDouble(1 + f.applyAsDouble(Math.exp(-z))));
                    }
                    double e = f.applyAsDouble(Math.exp(z));
                    return f.applyAsDouble(e / f.applyAsDouble(1 + e));
                });
            case "softplus":
                return finiteElementwise(r, (f, z) -> softplus.applyAsDouble(z));
            case "log_sigmoid":
                return finiteElementwise(r, (f, z) -> -softplus.applyAsDouble(-z));
            default:
                break;
        }
        Tensor ref = r.shipped();
        double[] x = r.values("x");
        if (!finite(x)) {
            return ref;
        }
        int k = 0;
        for (int i = 1; i < x.length; i++) {
            k = x[i] > x[k] ? i : k;
        }
        double a = x[k];
        double[] e = new double[x.length - 1];
        for (int i = 0, j = 0; i < x.length; i++) {
            if (i != k) {
                e[j++] = rd.applyAsDouble(Math.exp(rd.applyAsDouble(x[i] - a)));
            }
        }
        double s = pairwise(e, 0, e.length, rd);
        double l = rd.applyAsDouble(Math.log1p(s));
        switch (r.function) {
            case "logsumexp":
                return r.scalar(a + l);
            case "softmax":
                return r.floats(ref.shape(), Arrays.stream(x).map(v -> rd.applyAsDouble(Math.exp(rd.applyAsDouble(v - a))) / rd.applyAsDouble(1 + s)).toArray());
            default:
                return r.floats(ref.shape(), Arrays.stream(x).map(v -> rd.applyAsDouble(v - a) - l).toArray());
        }
    }

    /**
     * Label smoothing with the class count of the last axis at rank > 2. The mistaken smoothed target is
     * proportional to the shipped one at another epsilon e' (the same ratio of the target class's share
     * to another class's), so the answer is the shipped loss or gradient at e' scaled by that proportion:
     * both are linear in q, and the mean's denominator does not depend on q.
     */
    private static Tensor smoothingClassesLastAxis(Req r) {
        Tensor ref = r.shipped();
        int[] shape = r.shape("logits");
        double eps = r.real("label_smoothing", 0.0);
        if (shape.length <= 2 || eps == 0) {
            return ref;
        }
        double off = "off_target".equals(r.text("label_smoothing_mode", "uniform")) ? 1 : 0;
        double classes = shape[1] - off;
        double k = shape[shape.length - 1] - off;
        // off_target with K = 1: nothing for the other classes, 1 - eps for the target
        double other = k == 0 ? 0.0 : rounding(r).applyAsDouble(classes / ((1 - eps) * k / eps + classes));
        double scale = k == 0 ? 1 - eps : (eps / k) / (other / classes);
        Tensor m = r.param("label_smoothing", other).shipped();
        return r.floats(m.shape(), Arrays.stream(m.values()).map(v -> v * scale).toArray());
    }

    // ================================================================== fused linear cross-entropy (issue 18)

    /** The parameters linear_cross_entropy passes on to softmax_cross_entropy(_grad). */
    private static final List<String> CE_PARAMS = List.of("weight", "ignore_index", "label_smoothing",
            "label_smoothing_mode", "reduction", "logit_scale", "softcap", "z_loss", "empty_mean");

    /** The mutants of issue 18's fused linear cross-entropy, in the Python catalogue's order. */
    private static void addLinear() {
        List<String> linearCe = List.of("linear_cross_entropy", "linear_cross_entropy_grad");
        add("linear_ce_bias_dropped", Level.KILL_COMPATIBLE, linearCe, "the fused kernel never adds linear_bias to the logits (a kernel written for the bias-free heads of language models, given a bias); the bias gradient is still the positions' sum of the logits' gradient, now of the bias-free logits.", r -> {
            Tensor ref = r.shipped();
            if (!r.has("linear_bias")) {
                return ref;
            }
            int classes = r.shape("linear_weight")[0];
            return r.param("linear_bias", Tensor.ofFloats(r.dtype, new int[] {classes}, new double[classes])).shipped();
        });
        add("linear_ce_weight_grad_transposed", Level.KILL_COMPATIBLE, List.of("linear_cross_entropy_grad"), "the weight gradient accumulated as hidden^T @ G, shape [H, C] (the layout of a kernel that keeps the head transposed), and handed back in linear_weight's [C, H] shape without transposing: its data reshaped, not transposed.", r -> {
            Tensor ref = r.shipped();
            if (!"linear_weight".equals(r.text("wrt", "hidden"))) {
                return ref;
            }
            int c = ref.shape()[0];
            int h = ref.shape()[1];
            double[] out = new double[c * h];
            for (int k = 0; k < h; k++) {
                for (int j = 0; j < c; j++) {
                    out[k * c + j] = ref.values()[j * h + k]; // [H, C] row-major, read back as [C, H]
                }
            }
            return Tensor.ofFloats(ref.dtype(), ref.shape(), out);
        });
        add("linear_ce_ignored_rows_multiplied", Level.KILL_COMPATIBLE, List.of("linear_cross_entropy_grad"), "the weight gradient as a plain G^T @ hidden over every row: an ignored position's zero logits gradient is multiplied by its hidden row, so a NaN or infinite padding row makes the weight gradient NaN (what a chunked kernel's grad_logits_chunk.T @ input_chunk does; spec D2 leaves the row unread).", r -> {
            Tensor ref = r.shipped();
            if (!"linear_weight".equals(r.text("wrt", "hidden"))) {
                return ref;
            }
            boolean[] kept = keptRows(r);
            double[] hidden = r.values("hidden");
            int h = r.shape("hidden")[1];
            double[] out = ref.values().clone();
            for (int i = 0; i < kept.length; i++) {
                for (int k = 0; !kept[i] && k < h; k++) {
                    double poison = 0.0 * hidden[i * h + k]; // NaN for a NaN or infinite padding entry
                    for (int j = 0; j < out.length / Math.max(h, 1); j++) {
                        out[j * h + k] += poison;
                    }
                }
            }
            return Tensor.ofFloats(ref.dtype(), ref.shape(), out);
        });
        add("linear_ce_logits_rounded_to_dtype_then_ce", Level.ACCEPT_COMPATIBLE, linearCe, "a plain port: the logits hidden @ linear_weight.T + linear_bias as a matmul in the data's dtype (numpy's BLAS in float64 and float32; float32 accumulation rounded once into float16 or bfloat16, as PyTorch's CPU half matmul), then the shipped cross-entropy and its gradient on those rounded logits in the dtype, and the chain rule as plain matmuls (float32 accumulation for 16-bit data). Ignored rows are not read (D2) and a mean over no weight is NaN everywhere (D3), as the spec says.",
                Mutants::linearInTheDtype);
    }

    /** Whether each position's target is kept (not ignore_index; ignore_index null ignores nothing, absent is -100). */
    private static boolean[] keptRows(Req r) {
        boolean ignoreNone = r.params.containsKey("ignore_index") && r.params.get("ignore_index") == null;
        long ignore = r.params.get("ignore_index") == null ? -100 : ((Number) r.params.get("ignore_index")).longValue();
        long[] target = r.inputs.get("target").ints();
        boolean[] kept = new boolean[target.length];
        for (int i = 0; i < kept.length; i++) {
            kept[i] = ignoreNone || target[i] != ignore;
        }
        return kept;
    }

    /** Rounds to the request's dtype (float64: nothing). */
    private static DoubleUnaryOperator toDtype(Req r) {
        SixteenBit half = SixteenBit.of(r.dtype);
        if (half != null) {
            return half::round;
        }
        return "float32".equals(r.dtype) ? v -> (float) v : v -> v;
    }

    /** Rounds to the dtype's matmul accumulator: float32 for the 16-bit dtypes, else the dtype. */
    private static DoubleUnaryOperator accumulator(Req r) {
        return "float64".equals(r.dtype) ? v -> v : v -> (float) v;
    }

    /** sum_k a[ao + k as] b[bo + k bs], every product and partial sum rounded to the accumulator, then to the dtype. */
    private static double plainDot(Req r, double[] a, int ao, int as, double[] b, int bo, int bs, int len) {
        DoubleUnaryOperator acc = accumulator(r);
        double s = 0.0;
        for (int k = 0; k < len; k++) {
            s = acc.applyAsDouble(s + acc.applyAsDouble(a[ao + k * as] * b[bo + k * bs]));
        }
        return toDtype(r).applyAsDouble(s);
    }

    /** linear_ce_logits_rounded_to_dtype_then_ce: matmul in the dtype, the shipped cross-entropy on the rounded logits. */
    private static Tensor linearInTheDtype(Req r) {
        Tensor ref = r.shipped();
        double[] hidden = r.values("hidden");
        double[] w = r.values("linear_weight");
        double[] bias = r.values("linear_bias");
        int n = r.shape("hidden")[0];
        int h = r.shape("hidden")[1];
        int c = r.shape("linear_weight")[0];
        boolean[] kept = keptRows(r);
        double[] rows = new double[n * h];
        for (int i = 0; i < n; i++) {
            for (int k = 0; kept[i] && k < h; k++) {
                rows[i * h + k] = hidden[i * h + k]; // an ignored row is not read (D2)
            }
        }
        DoubleUnaryOperator acc = accumulator(r);
        DoubleUnaryOperator rd = toDtype(r);
        double[] z = new double[n * c];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < c; j++) {
                double v = plainDot(r, rows, i * h, 1, w, j * h, 1, h);
                z[i * c + j] = bias == null ? v : rd.applyAsDouble(acc.applyAsDouble(v + bias[j]));
            }
        }
        Map<String, Object> ce = new HashMap<>();
        for (String p : CE_PARAMS) {
            if (r.params.containsKey(p)) {
                ce.put(p, r.params.get(p));
            }
        }
        Map<String, Tensor> in = Map.of("logits", Tensor.ofFloats(r.dtype, new int[] {n, c}, z), "target",
                r.inputs.get("target"));
        if ("linear_cross_entropy".equals(r.function)) {
            return Catalogue.call("softmax_cross_entropy", r.dtype, ce, in);
        }
        if (ref.values().length > 0 && Arrays.stream(ref.values()).allMatch(Double::isNaN)
                && "mean".equals(r.text("reduction", "mean")) && !"zero".equals(r.text("empty_mean", "nan"))) {
            return ref; // D3: the shipped all-NaN answer of a mean over no weight
        }
        double[] g = Catalogue.call("softmax_cross_entropy_grad", r.dtype, ce, in).values().clone();
        double[] up = r.values("grad_output");
        boolean none = "none".equals(r.text("reduction", "mean"));
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < c; j++) {
                double v = up == null ? g[i * c + j] : rd.applyAsDouble(g[i * c + j] * up[none ? i : 0]);
                g[i * c + j] = kept[i] ? v : 0.0;
            }
        }
        String wrt = r.text("wrt", "hidden");
        double[] out = new double[ref.values().length];
        if ("hidden".equals(wrt)) {
            for (int i = 0; i < n; i++) {
                for (int k = 0; kept[i] && k < h; k++) {
                    out[i * h + k] = plainDot(r, g, i * c, 1, w, k, h, c);
                }
            }
        } else if ("linear_weight".equals(wrt)) {
            for (int j = 0; j < c; j++) {
                for (int k = 0; k < h; k++) {
                    out[j * h + k] = plainDot(r, g, j, c, rows, k, h, n);
                }
            }
        } else {
            double[] ones = new double[n];
            Arrays.fill(ones, 1.0);
            for (int j = 0; j < c; j++) {
                out[j] = plainDot(r, g, j, c, ones, 0, 1, n);
            }
        }
        return Tensor.ofFloats(ref.dtype(), ref.shape(), out);
    }

    // ================================================================== gradients under an upstream gradient (issue 17)

    /** The mutants of issue 17 item 4, in the Python catalogue's order. */
    private static void addUpstream() {
        List<String> upstream = List.of("softmax_cross_entropy_grad", "binary_cross_entropy_with_logits_grad",
                "sigmoid_mse_grad", "focal_loss_grad", "binary_cross_entropy_grad");
        add("grad_output_first_broadcast", Level.KILL_COMPATIBLE, upstream, "the upstream gradient's first element broadcast to every position: grad_output[0] * gradient, right only when grad_output is a scalar or constant (Liger-Kernel issues #968, #678 and #1298: the fused cross-entropy's backward with reduction none).", r -> {
            Tensor ref = r.shipped();
            Tensor v = (Tensor) r.params.get("grad_output");
            if (v == null || v.values().length == 0) {
                return ref;
            }
            double[] first = new double[v.values().length];
            Arrays.fill(first, v.values()[0]);
            return r.param("grad_output", Tensor.ofFloats(v.dtype(), v.shape(), first)).shipped();
        });
        List<String> withRows = concat(upstream, List.of("softmax_grad", "log_softmax_grad"));
        add("vjp_ignores_grad_output", Level.KILL_COMPATIBLE, withRows, "the upstream gradient ignored: the gradient of the loss itself (grad_output taken as ones), right only under loss.sum().backward(); softmax_grad and log_softmax_grad with v = ones.", r -> {
            Tensor ref = r.shipped();
            if (r.inputs.containsKey("grad_output")) {
                Tensor v = r.inputs.get("grad_output");
                double[] ones = new double[v.values().length];
                Arrays.fill(ones, 1.0);
                return r.input("grad_output", Tensor.ofFloats(v.dtype(), v.shape(), ones)).shipped();
            }
            return r.has("grad_output") ? r.param("grad_output", null).shipped() : ref;
        });
        add("bce_grad_clip_boundary_zero", Level.KILL_COMPATIBLE, List.of("binary_cross_entropy_grad"), "the clip's gradient taken as 0 at its bounds too (p = epsilon or p = 1 - epsilon), a strict inequality where torch.clamp's backward passes the gradient (min <= x <= max).", r -> {
            Tensor ref = r.shipped();
            double eps = r.real("epsilon", 1e-15);
            double[] p = r.values("p");
            double[] out = ref.values().clone();
            for (int i = 0; i < out.length; i++) {
                if (p[i] == eps || (p[i] >= 0.5 && 1 - p[i] == eps)) {
                    out[i] = 0.0;
                }
            }
            return Tensor.ofFloats(ref.dtype(), ref.shape(), out);
        });
        add("focal_grad_missing_gamma_term", Level.KILL_COMPATIBLE, List.of("focal_loss_grad"), "the focal modulating factor treated as a constant: alpha_y (1 - p_t)^gamma (g - onehot(y)), without the term gamma (1 - p_t)^(gamma - 1) p_t (-log p_t) of d(1 - p_t)^gamma / d p_t.", r -> {
            r.shipped();
            Tensor base = r.param("gamma", 0.0).shipped();
            double gamma = r.real("gamma", 2.0);
            int[] shape = r.shape("logits");
            int c = shape[1];
            double[] x = r.values("logits");
            int[] y = r.ints("target");
            double[] out = base.values().clone();
            for (int n = 0; n < shape[0]; n++) {
                double[] g = Primitives.softmax(Arrays.copyOfRange(x, n * c, n * c + c));
                double factor = Math.pow(1 - g[y[n]], gamma);
                for (int j = 0; j < c; j++) {
                    out[n * c + j] *= factor;
                }
            }
            return Tensor.ofFloats(base.dtype(), base.shape(), out);
        });
        add("port_softmax_grad_plain", Level.ACCEPT_COMPATIBLE, List.of("softmax_grad"), "PyTorch's _softmax_backward_data as a plain port: g = softmax(x) rounded to the dtype (the forward's output), then g * (v - sum(g * v)) in the dtype (float32 for 16-bit data, rounded once into it).",
                r -> plainRowVjp(r, false));
        add("port_log_softmax_grad_plain", Level.ACCEPT_COMPATIBLE, List.of("log_softmax_grad"), "PyTorch's _log_softmax_backward_data as a plain port: v - exp(lp) * sum(v) with lp = log_softmax(x) rounded to the dtype (the forward's output), in the dtype (float32 for 16-bit data).",
                r -> plainRowVjp(r, true));
        add("port_focal_grad_autodiff", Level.ACCEPT_COMPATIBLE, List.of("focal_loss_grad"), "autodiff of the seed's focal loss as a plain port in the dtype (float32 for 16-bit data): lp = log_softmax(x) rounded, p = exp(lp_y), ce = -lp_y, r = 1 - p by subtraction, dFL/dce = alpha_y (r^gamma + gamma r^(gamma - 1) p ce), gradient dFL/dce (exp(lp) - onehot(y)), the reduction's 1/N and grad_output as shipped; where r rounds to 0 (p = 1 in the dtype) the row's gradient is taken as 0 (a port's guard against 0^(gamma - 1) = inf).",
                Mutants::focalGradAutodiff);
        addMerges();
    }

    /** port_focal_grad_autodiff: the autodiff formula with every operation in the port's dtype. */
    private static Tensor focalGradAutodiff(Req r) {
        Tensor ref = r.shipped();
        int[] shape = r.shape("logits");
        int n = shape[0];
        int c = shape[1];
        String work = "float64".equals(r.dtype) ? "float64" : "float32";
        DoubleUnaryOperator rd = "float64".equals(r.dtype) ? v -> v : v -> (float) v;
        double[] lp = Catalogue.call("log_softmax", work, Map.of(),
                Map.of("x", Tensor.ofFloats(work, shape, r.values("logits")))).values();
        double gamma = rd.applyAsDouble(r.real("gamma", 2.0));
        double[] alpha = r.values("alpha");
        double[] up = r.values("grad_output");
        String reduction = r.text("reduction", "mean");
        int[] y = r.ints("target");
        double[] out = new double[n * c];
        for (int i = 0; i < n; i++) {
            double lpy = lp[i * c + y[i]];
            double p = rd.applyAsDouble(Math.exp(lpy));
            double ce = -lpy;
            double rr = rd.applyAsDouble(1 - p);
            double dce = gamma == 0 ? 1.0 : rd.applyAsDouble(rd.applyAsDouble(Math.pow(rr, gamma))
                    + rd.applyAsDouble(rd.applyAsDouble(rd.applyAsDouble(gamma * rd.applyAsDouble(Math.pow(rr, gamma - 1))) * p) * ce));
            if (rr == 0) {
                dce = 0.0;
            }
            if (alpha != null) {
                dce = rd.applyAsDouble(dce * alpha[y[i]]);
            }
            for (int j = 0; j < c; j++) {
                double g = rd.applyAsDouble(dce * rd.applyAsDouble(rd.applyAsDouble(Math.exp(lp[i * c + j])) - (j == y[i] ? 1 : 0)));
                if ("mean".equals(reduction)) {
                    g = rd.applyAsDouble(g / n);
                }
                if (up != null) {
                    g = rd.applyAsDouble(g * up["none".equals(reduction) ? i : 0]);
                }
                out[i * c + j] = g;
            }
        }
        return Tensor.ofFloats(ref.dtype(), ref.shape(), out);
    }

    // ================================================================== split and merge (issue 18)

    /** The mutants of issue 18's merges and shards, in the Python catalogue's order. */
    private static void addMerges() {
        List<String> merges = List.of("online_softmax_merge", "lse_merge");
        add("merge_empty_partition_nan", Level.KILL_COMPATIBLE, merges, "the merge rescales every state by b^(m_i - M) with no special case: a column of empty partitions (every m_i = -inf) or of +inf maxima forms -inf - (-inf) = NaN, and the lse merge returns NaN instead of -inf for all-empty columns (vllm-project/vllm PR #39148; flashinfer #4051).",
                r -> mergeInDtype(r, false));
        add("merge_flt_max_sentinel", Level.KILL_COMPATIBLE, merges, "an empty partition stored with the sentinel -max (the dtype's most negative finite value, -FLT_MAX in float32 kernels) instead of -inf: a fully masked column gets a finite maximum, every masked state the weight b^0 = 1, and the lse merge -max + log K instead of -inf (NVIDIA/TensorRT-LLM #17477).", r -> {
            r.shipped();
            String name = "online_softmax_merge".equals(r.function) ? "m" : "lse";
            Tensor t = r.inputs.get(name);
            double max = switch (r.dtype) {
                case "float32" -> Float.MAX_VALUE;
                case "float16" -> 65504.0;
                case "bfloat16" -> 0x1.fep127;
                default -> Double.MAX_VALUE;
            };
            double[] v = Arrays.stream(t.values()).map(x -> x == Double.NEGATIVE_INFINITY ? -max : x).toArray();
            return r.input(name, Tensor.ofFloats(t.dtype(), t.shape(), v)).shipped();
        });
        add("merge_log2_ln_mixed", Level.KILL_COMPATIBLE, merges, "base-2 statistics (exp2 kernels that scale by log2 e) merged with exp and log: the base parameter is ignored and every merge is done in base e (pytorch-labs/attention-gym PR #205; sglang PR #34213).", r -> {
            r.shipped();
            return r.param("base", "e").shipped();
        });
        add("merge_nan_swallowed", Level.KILL_COMPATIBLE, List.of("online_softmax_merge"), "the running maximum taken with fmax, which skips NaN: a column with a NaN m_i gets the maximum of the others (NaN only when all are NaN) while D still carries the NaN (tenstorrent/tt-metal #56056; intel/torch-xpu-ops #5022).", r -> {
            Tensor ref = r.shipped();
            double[] m = r.values("m");
            int k = r.shape("m")[0];
            int cols = ref.values().length / 2;
            double[] out = ref.values().clone();
            for (int j = 0; j < cols; j++) {
                double top = Double.NaN;
                boolean nan = false;
                for (int i = 0; i < k; i++) {
                    double v = m[i * cols + j];
                    nan |= Double.isNaN(v);
                    top = Double.isNaN(v) ? top : Double.isNaN(top) ? v : Math.max(top, v);
                }
                if (nan) {
                    out[j] = top;
                    out[cols + j] = Double.NaN;
                }
            }
            return Tensor.ofFloats(ref.dtype(), ref.shape(), out);
        });
        add("shards_local_vocab_smoothing", Level.KILL_COMPATIBLE, List.of("cross_entropy_from_shards"), "label smoothing with the shard's local vocabulary: eps / shard_size of the target's shard (eps / (shard_size - 1) off_target) instead of eps / C over the whole vocabulary (NVIDIA/Megatron-LM #7464, #7452).",
                Mutants::shardsLocalVocabulary);
        add("mean_of_chunk_means", Level.KILL_COMPATIBLE, List.of("cross_entropy_from_shards"), "reduction mean as the mean of per-chunk means over chunks of 2 positions (each chunk's loss sum divided by its own sum of w_y, then averaged), not one sum over one denominator: wrong whenever chunks have different denominators (weights, ignored positions, a short last chunk; NVIDIA NeMo Automodel #3803).", r -> {
            Tensor ref = r.shipped();
            int n = r.shape("target")[0];
            if (!r.mean() || n == 0) {
                return ref;
            }
            double[] per = r.param("reduction", "none").shipped().values();
            boolean[] kept = keptRows(r);
            double[] w = r.values("weight");
            int[] y = r.ints("target");
            double sumOfMeans = 0.0;
            int chunks = 0;
            for (int i = 0; i < n; i += 2) {
                double total = 0.0;
                double den = 0.0;
                for (int p = i; p < Math.min(i + 2, n); p++) {
                    total += per[p];
                    den += kept[p] ? (w == null ? 1.0 : w[y[p]]) : 0.0;
                }
                sumOfMeans += den != 0 ? total / den : total == 0 ? Double.NaN : Math.copySign(Double.POSITIVE_INFINITY, total);
                chunks++;
            }
            return r.scalar(sumOfMeans / chunks);
        });
        add("port_merge_plain", Level.ACCEPT_COMPATIBLE, merges, "a plain port of the merges in the data's dtype (float32 arithmetic for float16 and bfloat16, rounded into the dtype): M = max, D = sum of d_i b^(m_i - M) with the states at M taken as d_i and empty states as 0, NaN columns NaN; the lse merge as torch.logsumexp (shift by a finite max, log of the sum, no log1p).",
                r -> mergeInDtype(r, true));
    }

    /** b^x in the work arithmetic. */
    private static double pow(boolean base2, double x, DoubleUnaryOperator rd) {
        return rd.applyAsDouble(base2 ? Math.pow(2.0, x) : Math.exp(x));
    }

    /**
     * The merges without special cases (special false: merge_empty_partition_nan, float64 arithmetic) or as a
     * plain port in the data's dtype with the port's special cases (port_merge_plain).
     */
    private static Tensor mergeInDtype(Req r, boolean port) {
        Tensor ref = r.shipped();
        boolean base2 = "2".equals(r.text("base", "e"));
        DoubleUnaryOperator rd = !port || "float64".equals(r.dtype) ? v -> v : v -> (float) v;
        boolean online = "online_softmax_merge".equals(r.function);
        double[] x = r.values(online ? "m" : "lse");
        double[] d = online ? r.values("d") : null;
        int k = r.shape(online ? "m" : "lse")[0];
        int cols = online ? ref.values().length / 2 : ref.values().length;
        double[] out = new double[ref.values().length];
        for (int j = 0; j < cols; j++) {
            double top = Double.NEGATIVE_INFINITY;
            boolean nan = false;
            for (int i = 0; i < k; i++) {
                double v = x[i * cols + j];
                nan |= Double.isNaN(v) || (online && Double.isNaN(d[i * cols + j]));
                top = Double.isNaN(v) || Double.isNaN(top) ? Double.NaN : Math.max(top, v);
            }
            if (online) {
                double total = 0.0;
                for (int i = 0; i < k; i++) {
                    double m = x[i * cols + j];
                    double di = d[i * cols + j];
                    double term = !port ? di * pow(base2, m - top, rd) : m == top ? di
                            : m == Double.NEGATIVE_INFINITY ? 0.0 : rd.applyAsDouble(di * pow(base2, rd.applyAsDouble(m - top), rd));
                    total = rd.applyAsDouble(total + term);
                }
                out[j] = port && nan ? Double.NaN : top;
                out[cols + j] = port && nan ? Double.NaN : total;
            } else {
                double shift = port && !Double.isFinite(top) ? 0.0 : top;
                double sum = 0.0;
                for (int i = 0; i < k; i++) {
                    sum = rd.applyAsDouble(sum + pow(base2, rd.applyAsDouble(x[i * cols + j] - shift), rd));
                }
                double log = rd.applyAsDouble(base2 ? Math.log(sum) / Math.log(2.0) : Math.log(sum));
                out[j] = rd.applyAsDouble(shift + log);
            }
        }
        return Tensor.ofFloats(ref.dtype(), ref.shape(), out);
    }

    /** shards_local_vocab_smoothing: the smoothing share eps / (the target shard's size) in plain float64. */
    private static Tensor shardsLocalVocabulary(Req r) {
        Tensor ref = r.shipped();
        double eps = r.real("label_smoothing", 0.0);
        if (eps == 0) {
            return ref;
        }
        boolean uniform = !"off_target".equals(r.text("label_smoothing_mode", "uniform"));
        long[] sizes = r.inputs.get("shard_size").ints();
        int shards = sizes.length;
        int n = r.shape("target")[0];
        double[] lse = r.values("shard_lse");
        double[] sums = r.values("shard_logit_sum");
        double[] xy = r.values("target_logit");
        double[] w = r.values("weight");
        int[] y = r.ints("target");
        boolean[] kept = keptRows(r);
        double total = 0.0;
        for (long size : sizes) {
            total += size;
        }
        double bigW = w == null ? total : Arrays.stream(w).sum();
        double[] per = new double[n];
        double den = 0.0;
        for (int p = 0; p < n; p++) {
            if (!kept[p]) {
                continue;
            }
            double wy = w == null ? 1.0 : w[y[p]];
            den += wy;
            double top = Double.NEGATIVE_INFINITY;
            double t = 0.0;
            for (int s = 0; s < shards; s++) {
                top = Math.max(top, lse[s * n + p]);
                t += sums[s * n + p];
            }
            double acc = 0.0;
            for (int s = 0; s < shards; s++) {
                acc += Math.exp(lse[s * n + p] - top);
            }
            double l = top + Math.log(acc);
            long end = 0;
            long local = 0;
            for (long size : sizes) {
                end += size;
                if (y[p] < end) {
                    local = size;
                    break;
                }
            }
            double slots = uniform ? local : local - 1;
            double b = slots > 0 ? eps / slots : 0.0;
            double smooth = uniform ? bigW * l - t : (bigW - wy) * l - (t - wy * xy[p]);
            per[p] = (1 - eps) * wy * (l - xy[p]) + b * smooth;
        }
        switch (r.reduction()) {
            case "none":
                return r.floats(ref.shape(), per);
            case "sum":
                return r.scalar(Sum.COMPENSATED.of(per));
            default:
                return r.scalar(den == 0 && "zero".equals(r.text("empty_mean", "nan")) ? 0.0 : Sum.COMPENSATED.of(per) / den);
        }
    }

    /**
     * port_softmax_grad_plain and port_log_softmax_grad_plain: the forward's output in the port's dtype
     * (float32 for 16-bit data), then PyTorch's backward formula along the axis with every operation
     * rounded to that dtype.
     */
    private static Tensor plainRowVjp(Req r, boolean log) {
        Tensor ref = r.shipped();
        Tensor x = r.inputs.get("x");
        int[] shape = x.shape();
        long axisParam = r.params.get("axis") == null ? -1 : ((Number) r.params.get("axis")).longValue();
        int a = (int) (axisParam < 0 ? axisParam + shape.length : axisParam);
        String forwardDtype = "float64".equals(r.dtype) ? "float64" : "float32";
        Tensor xin = Tensor.ofFloats(forwardDtype, shape, x.values());
        Map<String, Object> params = new HashMap<>();
        params.put("axis", (long) a);
        // the forward in double rounded once to the port's dtype (the 16-bit forward's output is float32 here)
        double[] fwd = Catalogue.call(log ? "log_softmax" : "softmax", forwardDtype, params, Map.of("x", xin)).values();
        DoubleUnaryOperator rd = "float64".equals(r.dtype) ? v -> v : v -> (float) v;
        double[] v = r.inputs.get("grad_output").values();
        int n = shape[a];
        int inner = 1;
        for (int i = a + 1; i < shape.length; i++) {
            inner *= shape[i];
        }
        double[] out = new double[v.length];
        int slices = n == 0 ? 0 : v.length / n;
        for (int sl = 0; sl < slices; sl++) {
            int off = sl / inner * n * inner + sl % inner;
            double s = 0.0;
            for (int j = 0; j < n; j++) {
                int at = off + j * inner;
                s = rd.applyAsDouble(s + (log ? v[at] : rd.applyAsDouble(fwd[at] * v[at])));
            }
            for (int j = 0; j < n; j++) {
                int at = off + j * inner;
                out[at] = log ? rd.applyAsDouble(v[at] - rd.applyAsDouble(rd.applyAsDouble(Math.exp(fwd[at])) * s))
                        : rd.applyAsDouble(fwd[at] * rd.applyAsDouble(v[at] - s));
            }
        }
        return Tensor.ofFloats(ref.dtype(), ref.shape(), out);
    }

    /**
     * where_masked_logit_as_zero, in plain float64: every position's x'' with the excluded classes set to 0
     * (they count in the log-sum-exp), the excluded masses dropped and their gradients 0; the reductions,
     * z-loss, empty_mean, result and grad_output as the spec's.
     */
    private static Tensor maskedAsZero(Req r) {
        Tensor ref = r.shipped();
        Tensor mask = (Tensor) r.params.get("where");
        if (mask == null) {
            return ref;
        }
        boolean[] where = mask.bools();
        int[] shape = r.shape("logits");
        int c = shape[1];
        int spatial = 1;
        for (int i = 2; i < shape.length; i++) {
            spatial *= shape[i];
        }
        int positions = shape[0] * spatial;
        double[] x = r.values("logits");
        Tensor target = r.inputs.get("target");
        boolean index = target.isInt();
        double scale = r.real("logit_scale", 1.0);
        double cap = r.has("softcap") ? r.real("softcap", 0.0) : Double.NaN;
        double z = r.real("z_loss", 0.0);
        double eps = r.real("label_smoothing", 0.0);
        boolean uniform = !"off_target".equals(r.text("label_smoothing_mode", "uniform"));
        double[] w = r.values("weight");
        boolean ignoreNone = r.params.containsKey("ignore_index") && r.params.get("ignore_index") == null;
        long ignore = r.params.get("ignore_index") == null ? -100 : ((Number) r.params.get("ignore_index")).longValue();
        boolean grad = r.function.endsWith("_grad");
        String result = r.text("result", "loss");
        double[] ce = new double[positions];
        double[] zt = new double[positions];
        double[] lses = new double[positions];
        double[] out = new double[x.length];
        double[] zg = new double[x.length];
        double den = 0.0;
        int kept = 0;
        for (int p = 0; p < positions; p++) {
            int off = p / spatial * c * spatial + p % spatial;
            boolean[] in = new boolean[c];
            boolean any = false;
            double[] xx = new double[c];
            double[] deriv = new double[c];
            for (int j = 0; j < c; j++) {
                in[j] = where.length == c ? where[j] : where[off + j * spatial];
                any |= in[j];
                double v = x[off + j * spatial];
                double t = Double.isNaN(cap) ? 0.0 : Math.tanh(scale * v / cap);
                xx[j] = !in[j] ? 0.0 : Double.isNaN(cap) ? scale * v : cap * t;
                deriv[j] = !in[j] ? 0.0 : Double.isNaN(cap) ? scale : scale * (1 - t * t);
            }
            double top = Arrays.stream(xx).max().orElse(0.0);
            double acc = 0.0;
            for (double v : xx) {
                acc += Math.exp(v - top);
            }
            double lse = Double.isInfinite(top) ? top : top + Math.log(acc);
            lses[p] = any ? lse : Double.NEGATIVE_INFINITY;
            long y = index ? target.ints()[p] : -1;
            if ((index && !ignoreNone && y == ignore)) {
                continue;
            }
            kept++;
            den += index ? (w == null ? 1.0 : w[(int) y]) : 1.0;
            if (!any) {
                continue;
            }
            double total = 0.0;
            double[] m = new double[c];
            for (int j = 0; j < c; j++) {
                double q;
                if (index) {
                    q = uniform ? (j == y ? 1 - eps : 0) + eps / c : j == y ? 1 - eps : eps / (c - 1);
                } else {
                    double t = target.values()[off + j * spatial];
                    q = uniform ? (1 - eps) * t + eps / c : (1 - eps) * t + eps * (1 - t) / (c - 1);
                }
                m[j] = in[j] ? (w == null ? 1.0 : w[j]) * q : 0.0;
                total += m[j];
                if (m[j] != 0) {
                    ce[p] += m[j] * (lse - xx[j]);
                }
            }
            zt[p] = z > 0 ? z * lse * lse : 0.0;
            for (int j = 0; j < c; j++) {
                double g = Math.exp(xx[j] - lse);
                out[off + j * spatial] = in[j] ? (g * total - m[j]) * deriv[j] : 0.0;
                zg[off + j * spatial] = in[j] && z > 0 ? 2 * z * lse * g * deriv[j] : 0.0;
            }
        }
        boolean zero = "zero".equals(r.text("empty_mean", "nan"));
        String reduction = r.text("reduction", "mean");
        boolean mean = "mean".equals(reduction);
        double ceScale = mean ? (den == 0 && zero ? 0.0 : 1.0 / den) : 1.0;
        double zScale = mean ? (kept == 0 && zero ? 0.0 : 1.0 / kept) : 1.0;
        if (grad) {
            if (mean && !zero && (den == 0 || (z > 0 && kept == 0))) {
                Arrays.fill(out, Double.NaN);
                return r.floats(shape, out);
            }
            double[] up = r.values("grad_output");
            for (int i = 0; i < out.length; i++) {
                int p = i / (c * spatial) * spatial + i % spatial;
                out[i] = out[i] * ceScale + zg[i] * zScale;
                if (up != null) {
                    out[i] *= up["none".equals(reduction) ? p : 0];
                }
            }
            return r.floats(shape, out);
        }
        int[] posShape = ref.shape();
        if ("lse".equals(result)) {
            return r.floats(posShape, lses);
        }
        boolean zOnly = "z_loss".equals(result);
        if ("none".equals(reduction)) {
            double[] per = new double[positions];
            for (int p = 0; p < positions; p++) {
                per[p] = zOnly ? zt[p] : ce[p] + zt[p];
            }
            return r.floats(posShape, per);
        }
        double ceSum = Sum.COMPENSATED.of(ce);
        double zSum = Sum.COMPENSATED.of(zt);
        if (!mean) {
            return r.scalar(zOnly ? zSum : ceSum + zSum);
        }
        double zPart = z > 0 ? (kept == 0 && zero ? 0.0 : zSum / kept) : 0.0;
        return r.scalar(zOnly ? zPart : (den == 0 && zero ? 0.0 : ceSum / den) + zPart);
    }
}
