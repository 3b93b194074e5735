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
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import org.xent.Catalogue;
import org.xent.Tensor;
import org.xent.XentException;

/**
 * The xent conformance adapter (conformance/PROTOCOL.md, version 1): JSON Lines on standard input and
 * output. Answers {@code start} with the capabilities (every function of the catalogue in float64 and
 * float32), {@code run} and {@code run_batch} with output tensors or error objects, and exits on
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

    /**
     * An adapter writing answers to {@code out} and logs to {@code log}, running the shipped implementation.
     *
     * @param out where answers go (one JSON object per line)
     * @param log where diagnostics go
     */
    public Main(OutputStream out, PrintStream log) {
        this(out, log, null);
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
     * @return {@code {"mutants": [{"name", "description", "functions"}, ...]}}
     */
    public static ObjectNode catalogue() {
        ObjectNode root = new ObjectMapper().createObjectNode();
        ArrayNode list = root.putArray("mutants");
        for (Mutants.Mutant m : Mutants.all()) {
            ObjectNode o = list.addObject().put("name", m.name()).put("description", m.description());
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
                answer = error(null, "bad_request", "invalid JSON: " + e.getOriginalMessage());
                keepGoing = true;
            } catch (RuntimeException | StackOverflowError | OutOfMemoryError e) {
                answer = error(null, "internal_error", e.toString());
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
            return new Handled(error(null, "bad_request", "a request must be a JSON object"), true);
        }
        String cmd = req.path("cmd").asText("");
        switch (cmd) {
            case "start": {
                if (startRefusal != null) {
                    // the protocol schema allows only this kind for a refused start; the message says why
                    ObjectNode e = mapper.createObjectNode();
                    e.putObject("error").put("kind", "unsupported_version").put("message", startRefusal);
                    return new Handled(e, false);
                }
                JsonNode v = req.get("version");
                if (v == null || !v.isIntegralNumber() || v.asInt() != PROTOCOL_VERSION) {
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
                    return new Handled(error(null, "bad_request", "run_batch needs an array 'cases'"), true);
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
                return new Handled(error(null, "bad_request", "unknown cmd '" + cmd + "'"), true);
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

    ObjectNode runCase(JsonNode c) {
        String id = c != null && c.hasNonNull("id") ? c.get("id").asText() : null;
        try {
            if (c == null || !c.isObject()) {
                return error(id, "bad_request", "a case must be a JSON object");
            }
            String function = text(c, "function");
            String dtype = text(c, "dtype");
            Map<String, Object> params = new HashMap<>();
            JsonNode p = c.get("params");
            if (p != null && !p.isNull()) {
                if (!p.isObject()) {
                    return error(id, "bad_request", "params must be an object");
                }
                for (Iterator<Map.Entry<String, JsonNode>> it = p.fields(); it.hasNext(); ) {
                    Map.Entry<String, JsonNode> e = it.next();
                    params.put(e.getKey(), param(e.getValue(), dtype));
                }
            }
            Map<String, Tensor> inputs = new HashMap<>();
            JsonNode in = c.get("inputs");
            if (in == null || !in.isObject()) {
                return error(id, "bad_request", "inputs must be an object");
            }
            for (Iterator<Map.Entry<String, JsonNode>> it = in.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                inputs.put(e.getKey(), tensor(e.getValue(), e.getKey(), dtype));
            }
            Tensor result = mutant == null ? Catalogue.call(function, dtype, params, inputs)
                    : Mutants.call(mutant, function, dtype, params, inputs);
            ObjectNode ans = mapper.createObjectNode();
            ans.put("id", id);
            ObjectNode o = ans.putObject("output");
            o.put("dtype", result.dtype());
            ArrayNode shape = o.putArray("shape");
            for (int d : result.shape()) {
                shape.add(d);
            }
            boolean f32 = "float32".equals(result.dtype());
            ArrayNode data = o.putArray("data");
            for (double v : result.values()) {
                data.add(Catalogue.formatFloat(v, f32));
            }
            return ans;
        } catch (XentException e) {
            return error(id, e.kind().specName(), e.getMessage());
        } catch (IllegalArgumentException e) {
            return error(id, "bad_request", e.getMessage());
        } catch (RuntimeException | StackOverflowError | OutOfMemoryError e) {
            log.println("xent-java adapter: internal error on case " + id + ": " + e);
            return error(id, "internal_error", e.toString());
        }
    }

    private static String text(JsonNode c, String name) {
        JsonNode n = c.get(name);
        if (n == null || !n.isTextual()) {
            throw new IllegalArgumentException("case needs a string '" + name + "'");
        }
        return n.asText();
    }

    private Object param(JsonNode v, String dtype) {
        if (v == null || v.isNull()) {
            return null;
        }
        if (v.isTextual()) {
            return v.asText();
        }
        if (v.isIntegralNumber()) {
            return v.asLong();
        }
        if (v.isNumber()) {
            return v.asDouble();
        }
        if (v.isBoolean()) {
            return v.asBoolean();
        }
        if (v.isObject() && v.has("data")) {
            return tensor(v, "param", dtype);
        }
        return v.toString();
    }

    private static Tensor tensor(JsonNode t, String name, String dtype) {
        if (t == null || !t.isObject()) {
            throw new IllegalArgumentException("'" + name + "' must be a tensor object");
        }
        JsonNode sh = t.get("shape");
        JsonNode data = t.get("data");
        if (sh == null || !sh.isArray() || data == null || !data.isArray()) {
            throw new IllegalArgumentException("tensor '" + name + "' needs arrays 'shape' and 'data'");
        }
        int[] shape = new int[sh.size()];
        for (int i = 0; i < shape.length; i++) {
            JsonNode d = sh.get(i);
            if (!d.isIntegralNumber() || d.asLong() < 0 || d.asLong() > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("tensor '" + name + "' has a bad dimension " + d);
            }
            shape[i] = d.asInt();
        }
        String td = t.path("dtype").asText("");
        if ("int64".equals(td)) {
            long[] ints = new long[data.size()];
            for (int i = 0; i < ints.length; i++) {
                JsonNode d = data.get(i);
                if (!d.isIntegralNumber() || !d.canConvertToLong()) {
                    throw new IllegalArgumentException("tensor '" + name + "' element " + i + " is not an int64: " + d);
                }
                ints[i] = d.asLong();
            }
            return Tensor.ofInts(shape, ints);
        }
        boolean f32 = "float32".equals(td) || (td.isEmpty() && "float32".equals(dtype));
        double[] values = new double[data.size()];
        for (int i = 0; i < values.length; i++) {
            JsonNode d = data.get(i);
            double v;
            if (d.isTextual()) {
                v = Catalogue.parseFloat(d.asText());
            } else if (d.isNumber()) {
                v = d.asDouble();
            } else {
                throw new IllegalArgumentException("tensor '" + name + "' element " + i + " is not a float: " + d);
            }
            values[i] = f32 ? (double) (float) v : v;
        }
        return Tensor.ofFloats(f32 ? "float32" : "float64", shape, values);
    }

    private ObjectNode error(String id, String kind, String message) {
        ObjectNode e = mapper.createObjectNode();
        if (id != null) {
            e.put("id", id);
        }
        e.putObject("error").put("kind", kind).put("message", message == null ? kind : message);
        return e;
    }
}
