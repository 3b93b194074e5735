package org.xent.adapter;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.PrintStream;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import org.xent.Catalogue;
import org.xent.HexFloat;
import org.xent.Tensor;
import org.xent.XentException;

/**
 * The xent conformance adapter (conformance/PROTOCOL.md, version 1): JSON Lines on standard input and
 * output. Answers {@code start} with the capabilities (every function of the catalogue in float64,
 * float32, float16 and bfloat16), {@code run} and {@code run_batch} with output tensors or error objects, and exits on
 * {@code stop} or end of input. A bad request is answered with an error object ({@code bad_request},
 * or {@code internal_error} for a bug), never with a crash.
 */
public final class Main {
    /** The protocol version this adapter speaks. */
    public static final int PROTOCOL_VERSION = 1;

    private static final String IMPL_VERSION = "0.1.0";

    private final ObjectMapper mapper = new ObjectMapper();
    private final PrintStream out;
    private final PrintStream log;
    /** The mutant in effect (XENT_MUTANT), or null for the shipped implementation. */
    private final Mutants.Mutant mutant;
    /** Why {@code start} is refused (an unknown XENT_MUTANT), or null. */
    private final String startRefusal;
    /** Computes a decoded, validated case: the shipped catalogue or the mutant. */
    private final Dispatch dispatch;

    /** How a decoded case is computed (tests inject a failing one to see {@code internal_error}). */
    @FunctionalInterface
    interface Dispatch {
        Tensor call(String function, String dtype, Map<String, Object> params, Map<String, Tensor> inputs);
    }

    /**
     * An adapter writing answers to {@code out} and logs to {@code log}, running the shipped implementation.
     *
     * @param out where answers go (one JSON object per line)
     * @param log where diagnostics go
     */
    public Main(OutputStream out, PrintStream log) {
        this(out, log, (String) null);
    }

    /**
     * An adapter running the mutant named {@code mutantName} (conformance/MUTANTS.md); null or empty
     * means the shipped implementation, an unknown name makes it refuse {@code start}.
     *
     * @param out        where answers go (one JSON object per line)
     * @param log        where diagnostics go
     * @param mutantName the value of XENT_MUTANT
     */
    public Main(OutputStream out, PrintStream log, String mutantName) {
        this.out = new PrintStream(out, false, StandardCharsets.UTF_8);
        this.log = log;
        boolean wanted = mutantName != null && !mutantName.isEmpty();
        this.mutant = wanted ? Mutants.find(mutantName) : null;
        this.startRefusal = wanted && mutant == null
                ? "XENT_MUTANT='" + mutantName + "' is not a known mutant of xent-java (" + Mutants.all().size()
                        + " known; `java -jar xent-adapter.jar --list-mutants` lists them)"
                : null;
        this.dispatch = mutant == null ? Catalogue::call
                : (function, dtype, params, inputs) -> Mutants.call(mutant, function, dtype, params, inputs);
    }

    /** An adapter computing cases with {@code dispatch} (tests). */
    Main(OutputStream out, PrintStream log, Dispatch dispatch) {
        this.out = new PrintStream(out, false, StandardCharsets.UTF_8);
        this.log = log;
        this.mutant = null;
        this.startRefusal = null;
        this.dispatch = dispatch;
    }

    /**
     * Runs the adapter on standard input and output; {@code --list-mutants} prints the mutant catalogue
     * as JSON instead.
     *
     * @param args none, or {@code --list-mutants}
     * @throws IOException when standard input cannot be read
     */
    public static void main(String[] args) throws IOException {
        if (args.length == 1 && "--list-mutants".equals(args[0])) {
            System.out.println(new ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsString(catalogue()));
            System.exit(0);
        }
        if (args.length != 0) {
            System.err.println("usage: java -jar xent-adapter.jar [--list-mutants] (got " + String.join(" ", args) + ")");
            System.exit(64);
        }
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        new Main(System.out, System.err, System.getenv("XENT_MUTANT")).serve(in);
        System.exit(0);
    }

    /**
     * The mutant catalogue as {@code --list-mutants} prints it.
     *
     * @return {@code {"mutants": [{"name", "description", "kill" or "accept", "functions"}, ...]}}
     */
    public static ObjectNode catalogue() {
        ObjectNode root = new ObjectMapper().createObjectNode();
        ArrayNode list = root.putArray("mutants");
        for (Mutants.Mutant m : Mutants.all()) {
            ObjectNode o = list.addObject().put("name", m.name()).put("description", m.description())
                    .put(m.level().verb, m.level().level);
            ArrayNode fs = o.putArray("functions");
            m.functions().forEach(fs::add);
        }
        return root;
    }

    /**
     * Serves requests until {@code stop} or end of input.
     *
     * @param in the request lines
     * @throws IOException when reading fails
     */
    public void serve(BufferedReader in) throws IOException {
        String line;
        while ((line = in.readLine()) != null) {
            if (line.isBlank()) {
                continue;
            }
            boolean keepGoing;
            JsonNode answer;
            try {
                JsonNode req = mapper.readTree(line);
                Handled h = handle(req);
                answer = h.answer;
                keepGoing = h.keepGoing;
            } catch (JsonProcessingException e) {
                // includes Jackson's limits (nesting depth, number length): the line cannot be read, no id is known
                answer = error(null, "bad_request", "bad request: invalid JSON: " + e.getOriginalMessage());
                keepGoing = true;
            } catch (RuntimeException | StackOverflowError | OutOfMemoryError e) {
                answer = error(null, "internal_error", "internal error: " + e);
                keepGoing = true;
            }
            if (answer != null) {
                out.print(mapper.writeValueAsString(answer));
                out.print('\n');
                out.flush();
            }
            if (!keepGoing) {
                return;
            }
        }
    }

    private static final class Handled {
        final JsonNode answer;
        final boolean keepGoing;

        Handled(JsonNode answer, boolean keepGoing) {
            this.answer = answer;
            this.keepGoing = keepGoing;
        }
    }

    Handled handle(JsonNode req) {
        if (req == null || !req.isObject()) {
            return new Handled(error(null, "bad_request", "bad request: a request must be a JSON object"), true);
        }
        // a readable id is echoed even when the request is bad (D7); null otherwise
        String id = req.path("id").isTextual() ? req.get("id").asText() : null;
        JsonNode cmdNode = req.get("cmd");
        String cmd = cmdNode != null && cmdNode.isTextual() ? cmdNode.asText() : null;
        if (cmd == null) {
            return new Handled(error(id, "bad_request", "bad request: a request needs a string 'cmd'; got " + cmdNode), true);
        }
        switch (cmd) {
            case "start": {
                if (startRefusal != null) {
                    // the protocol schema allows only this kind for a refused start; the message says why
                    ObjectNode e = mapper.createObjectNode();
                    e.putObject("error").put("kind", "unsupported_version").put("message", startRefusal);
                    return new Handled(e, false);
                }
                JsonNode v = req.get("version");
                // canConvertToInt first: asInt would wrap 2^32 + 1 to 1 (never wrap, D8)
                if (v == null || !v.isIntegralNumber() || !v.canConvertToInt() || v.intValue() != PROTOCOL_VERSION) {
                    ObjectNode e = mapper.createObjectNode();
                    e.putObject("error").put("kind", "unsupported_version")
                            .put("message", "this adapter speaks protocol version " + PROTOCOL_VERSION + "; got " + v);
                    return new Handled(e, false);
                }
                return new Handled(startAnswer(), true);
            }
            case "run":
                return new Handled(runCase(req), true);
            case "run_batch": {
                JsonNode cases = req.get("cases");
                if (cases == null || !cases.isArray()) {
                    return new Handled(error(id, "bad_request", "bad request: run_batch needs an array 'cases'"), true);
                }
                ObjectNode ans = mapper.createObjectNode();
                ArrayNode results = ans.putArray("results");
                for (JsonNode c : cases) {
                    results.add(runCase(c));
                }
                return new Handled(ans, true);
            }
            case "stop":
                return new Handled(null, false);
            default:
                return new Handled(error(id, "bad_request", "bad request: unknown cmd '" + cmd + "'"), true);
        }
    }

    ObjectNode startAnswer() {
        ObjectNode a = mapper.createObjectNode();
        a.put("version", PROTOCOL_VERSION);
        a.putObject("implementation").put("name", "xent-java").put("language", "java")
                .put("version", IMPL_VERSION);
        ObjectNode caps = a.putObject("capabilities");
        for (String f : Catalogue.FUNCTIONS) {
            ArrayNode dts = caps.putArray(f);
            for (String d : Catalogue.DTYPES) {
                dts.add(d);
            }
        }
        return a;
    }

    /** A case the adapter cannot express: answered with the per-case {@code unsupported} (issue 12). */
    private static final class Unsupported extends RuntimeException {
        Unsupported(String reason) {
            super(reason);
        }
    }

    ObjectNode runCase(JsonNode c) {
        String id = c != null && c.path("id").isTextual() ? c.get("id").asText() : null;
        try {
            if (c == null || !c.isObject()) {
                throw new IllegalArgumentException("a case must be a JSON object");
            }
            if (id == null) {
                throw new IllegalArgumentException("a case needs a string 'id'");
            }
            String function = text(c, "function");
            Catalogue.Signature sig = Catalogue.SIGNATURES.get(function);
            if (sig == null) {
                throw new IllegalArgumentException("unknown function '" + function + "'");
            }
            String dtype = text(c, "dtype");
            if (!Catalogue.DTYPES.contains(dtype)) {
                throw new Unsupported("dtype " + dtype + " is not supported by xent-java (it computes "
                        + String.join(", ", Catalogue.DTYPES) + ")");
            }
            Map<String, Object> params = new HashMap<>();
            for (Map.Entry<String, JsonNode> e : fields(c, "params", false)) {
                Catalogue.ParamKind kind = sig.params().get(e.getKey());
                if (kind == null) {
                    throw new IllegalArgumentException(function + " has no parameter '" + e.getKey() + "' (its parameters: "
                            + sig.params().keySet() + ")");
                }
                params.put(e.getKey(), param(e.getValue(), e.getKey(), kind, dtype));
            }
            Map<String, Tensor> inputs = new HashMap<>();
            for (Map.Entry<String, JsonNode> e : fields(c, "inputs", true)) {
                inputs.put(e.getKey(), tensor(e.getValue(), "input '" + e.getKey() + "'"));
            }
            Catalogue.validate(function, dtype, params, inputs); // names, dtypes, data lengths: before any check of the spec
            Tensor result = dispatch.call(function, dtype, params, inputs);
            ObjectNode ans = mapper.createObjectNode();
            ans.put("id", id);
            ObjectNode o = ans.putObject("output");
            o.put("dtype", result.dtype());
            ArrayNode shape = o.putArray("shape");
            for (int d : result.shape()) {
                shape.add(d);
            }
            // float32, and the 16-bit dtypes (float32 values too): float32's hex text (PROTOCOL.md)
            boolean f32 = !"float64".equals(result.dtype());
            ArrayNode data = o.putArray("data");
            for (double v : result.values()) {
                data.add(Catalogue.formatFloat(v, f32));
            }
            return ans;
        } catch (XentException e) {
            return error(id, e.kind().specName(), e.getMessage());
        } catch (Unsupported e) {
            ObjectNode ans = mapper.createObjectNode();
            ans.put("id", id);
            ans.put("unsupported", oneLine(e.getMessage()));
            return ans;
        } catch (IllegalArgumentException e) {
            return error(id, "bad_request", "bad request: " + e.getMessage());
        } catch (RuntimeException | StackOverflowError | OutOfMemoryError e) {
            log.println("xent-java adapter: internal error on case " + id + ": " + e);
            return error(id, "internal_error", "internal error: " + e);
        }
    }

    private static String text(JsonNode c, String name) {
        JsonNode n = c.get(name);
        if (n == null || !n.isTextual()) {
            throw new IllegalArgumentException("a case needs a string '" + name + "'; got " + n);
        }
        return n.asText();
    }

    /** The members of the object {@code c.name}; a missing optional object is empty. */
    private static Iterable<Map.Entry<String, JsonNode>> fields(JsonNode c, String name, boolean required) {
        JsonNode n = c.get(name);
        if (n == null && !required) {
            return java.util.List.of();
        }
        if (n == null || !n.isObject()) {
            throw new IllegalArgumentException("'" + name + "' must be a JSON object; got " + n);
        }
        return n::fields;
    }

    /**
     * A parameter as {@link Catalogue#call} takes it, after checking its JSON type (D7): floats are
     * hex-float strings exact in the request's dtype (never JSON numbers: the vectors write them as
     * text, exactly), integers JSON
     * integers within int64 (never wrapped), enums strings, tensors objects; null only where the spec
     * allows it.
     */
    private static Object param(JsonNode v, String name, Catalogue.ParamKind kind, String dtype) {
        boolean isNull = v.isNull();
        switch (kind) {
            case FLOAT_OR_NULL:
                if (isNull) {
                    return null;
                }
                // fall through
            case FLOAT:
                if (!v.isTextual()) {
                    throw new IllegalArgumentException("parameter '" + name + "' must be a hex-float string; got " + v);
                }
                HexFloat.parse(v.asText(), dtype); // a value of the request's dtype, exactly (D9)
                return v.asText();
            case INT_OR_NULL:
                if (isNull) {
                    return null; // ignore_index null: no index is ignored (absent means -100)
                }
                // fall through
            case INT:
                return int64(v, "parameter '" + name + "'");
            case BOOL:
                if (!v.isBoolean()) {
                    throw new IllegalArgumentException("parameter '" + name + "' must be true or false; got " + v);
                }
                return v.booleanValue();
            case ENUM:
                if (!v.isTextual()) {
                    throw new IllegalArgumentException("parameter '" + name + "' must be a string; got " + v);
                }
                return v.asText();
            case TENSOR_OR_NULL:
            case BOOL_TENSOR_OR_NULL:
                return isNull ? null : tensor(v, "parameter '" + name + "'");
            default:
                throw new IllegalStateException("unknown parameter kind " + kind);
        }
    }

    /** A JSON integer within int64 (1.0, "1", true and 2^63 are not). */
    private static long int64(JsonNode v, String what) {
        if (!v.isIntegralNumber()) {
            throw new IllegalArgumentException(what + " must be a JSON integer; got " + v);
        }
        if (!v.canConvertToLong()) {
            throw new IllegalArgumentException(what + " = " + v + " is beyond int64");
        }
        return v.longValue();
    }

    /**
     * A tensor object decoded strictly (D7, D9): dtype float64, float32, float16, bfloat16 or int64; shape a list of
     * non-negative int64 integers whose product is the length of data; float data hex-float strings
     * exact in the dtype; int64 data JSON integers within int64.
     */
    private static Tensor tensor(JsonNode t, String name) {
        if (t == null || !t.isObject()) {
            throw new IllegalArgumentException(name + " must be a tensor object {dtype, shape, data}; got " + t);
        }
        JsonNode dt = t.get("dtype");
        JsonNode sh = t.get("shape");
        JsonNode data = t.get("data");
        if (dt == null || !dt.isTextual() || sh == null || !sh.isArray() || data == null || !data.isArray()) {
            throw new IllegalArgumentException(name + " needs a string 'dtype' and arrays 'shape' and 'data'");
        }
        String dtype = dt.asText();
        if (!"int64".equals(dtype) && !"bool".equals(dtype) && !Catalogue.DTYPES.contains(dtype)) {
            throw new IllegalArgumentException(name + " has dtype '" + dtype
                    + "' (float64, float32, float16, bfloat16, int64 or bool)");
        }
        int[] shape = new int[sh.size()];
        BigInteger numel = BigInteger.ONE;
        String tooLarge = null;
        for (int i = 0; i < shape.length; i++) {
            long d = int64(sh.get(i), name + " shape[" + i + "]");
            if (d < 0) {
                throw new IllegalArgumentException(name + " has a negative dimension " + d);
            }
            numel = numel.multiply(BigInteger.valueOf(d));
            if (d > Integer.MAX_VALUE) {
                tooLarge = name + " has a dimension " + d;
            }
            shape[i] = (int) Math.min(d, Integer.MAX_VALUE);
        }
        if (!numel.equals(BigInteger.valueOf(data.size()))) {
            throw new IllegalArgumentException(name + " has " + data.size() + " data values but its shape " + sh
                    + " needs " + numel);
        }
        if (tooLarge != null) {
            // only possible with another dimension 0: a valid request that Java's int-indexed arrays cannot hold
            throw new Unsupported(tooLarge + " beyond Java's int range (xent-java indexes with int)");
        }
        if ("bool".equals(dtype)) { // protocol 1.3: JSON true and false only (1, "true" and null are bad requests)
            boolean[] bools = new boolean[data.size()];
            for (int i = 0; i < bools.length; i++) {
                if (!data.get(i).isBoolean()) {
                    throw new IllegalArgumentException(name + " element " + i + " must be true or false; got " + data.get(i));
                }
                bools[i] = data.get(i).booleanValue();
            }
            return Tensor.ofBools(shape, bools);
        }
        if ("int64".equals(dtype)) {
            long[] ints = new long[data.size()];
            for (int i = 0; i < ints.length; i++) {
                ints[i] = int64(data.get(i), name + " element " + i);
            }
            return Tensor.ofInts(shape, ints);
        }
        double[] values = new double[data.size()];
        for (int i = 0; i < values.length; i++) {
            JsonNode d = data.get(i);
            if (!d.isTextual()) {
                throw new IllegalArgumentException(name + " element " + i + " must be a hex-float string; got " + d);
            }
            try {
                values[i] = HexFloat.parse(d.asText(), dtype);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(name + " element " + i + ": " + e.getMessage());
            }
        }
        return Tensor.ofFloats(dtype, shape, values);
    }

    /** Messages are free text on one line (D7): line breaks would break the JSON Lines framing of a log. */
    private static String oneLine(String s) {
        return s == null ? "" : s.replaceAll("[\\r\\n]+", " ");
    }

    /** An error answer; {@code id} null when the request has none that can be echoed ({@code "id": null}, D7). */
    private ObjectNode error(String id, String kind, String message) {
        ObjectNode e = mapper.createObjectNode();
        e.put("id", id);
        e.putObject("error").put("kind", kind).put("message", oneLine(message == null ? kind : message));
        return e;
    }
}
