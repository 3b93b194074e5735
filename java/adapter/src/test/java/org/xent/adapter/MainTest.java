package org.xent.adapter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.xent.Catalogue;

/** The adapter speaks PROTOCOL.md: start, run, run_batch, stop, and never crashes on a bad request. */
class MainTest {
    private static final ObjectMapper M = new ObjectMapper();

    private static List<JsonNode> session(String... lines) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        return run(new Main(out, quiet()), out, lines);
    }

    /** A session whose cases are computed by {@code dispatch} instead of the catalogue. */
    private static List<JsonNode> session(Main.Dispatch dispatch, String... lines) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        return run(new Main(out, quiet(), dispatch), out, lines);
    }

    private static PrintStream quiet() {
        return new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
    }

    private static List<JsonNode> run(Main m, ByteArrayOutputStream out, String... lines) throws Exception {
        m.serve(new BufferedReader(new StringReader(String.join("\n", lines) + "\n")));
        List<JsonNode> answers = new ArrayList<>();
        for (String l : out.toString(StandardCharsets.UTF_8).split("\n")) {
            if (!l.isEmpty()) {
                answers.add(M.readTree(l));
            }
        }
        return answers;
    }

    private static final String SOFTMAX_CASE = "\"function\":\"softmax\",\"dtype\":\"float64\",\"params\":{},"
            + "\"inputs\":{\"x\":{\"dtype\":\"float64\",\"shape\":[3],\"data\":[\"0x1p+0\",\"-inf\",\"0x1p+0\"]}}";

    @Test
    void startDeclaresEveryFunctionInEveryDtype() throws Exception {
        JsonNode a = session("{\"cmd\":\"start\",\"version\":1}", "{\"cmd\":\"stop\"}").get(0);
        assertEquals(1, a.get("version").asInt());
        assertEquals("java", a.get("implementation").get("language").asText());
        JsonNode caps = a.get("capabilities");
        assertEquals(Catalogue.FUNCTIONS.size(), caps.size());
        for (String f : Catalogue.FUNCTIONS) {
            assertEquals("[\"float64\",\"float32\",\"float16\",\"bfloat16\"]", caps.get(f).toString(), f);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"2", "4294967297", "18446744073709551617", "1.0", "\"1\"", "null"})
    void unsupportedVersionIsAnErrorAndEndsTheSession(String version) throws Exception {
        List<JsonNode> a = session("{\"cmd\":\"start\",\"version\":" + version + "}",
                "{\"cmd\":\"run\",\"id\":\"x\"," + SOFTMAX_CASE + "}");
        assertEquals(1, a.size());
        assertEquals("unsupported_version", a.get(0).get("error").get("kind").asText());
    }

    @Test
    void runAndBatchAnswerWithIdsAndSpecialValues() throws Exception {
        List<JsonNode> a = session("{\"cmd\":\"start\",\"version\":1}",
                "{\"cmd\":\"run\",\"id\":\"s/1\"," + SOFTMAX_CASE + "}",
                "{\"cmd\":\"run_batch\",\"cases\":[{\"id\":\"b1\"," + SOFTMAX_CASE + "},"
                        + "{\"id\":\"b2\",\"function\":\"logsumexp\",\"dtype\":\"float32\",\"params\":{},"
                        + "\"inputs\":{\"x\":{\"dtype\":\"float32\",\"shape\":[2],\"data\":[\"inf\",\"0x0p+0\"]}}},"
                        + "{\"id\":\"b3\",\"function\":\"logsumexp\",\"dtype\":\"float64\",\"params\":{},"
                        + "\"inputs\":{\"x\":{\"dtype\":\"float64\",\"shape\":[0],\"data\":[]}}}]}",
                "{\"cmd\":\"stop\"}");
        assertEquals(3, a.size());
        JsonNode run = a.get(1);
        assertEquals("s/1", run.get("id").asText());
        assertEquals("[3]", run.get("output").get("shape").toString());
        JsonNode data = run.get("output").get("data");
        assertEquals(0.5, Double.parseDouble(data.get(0).asText()));
        assertEquals(0.0, Double.parseDouble(data.get(1).asText()));
        JsonNode results = a.get(2).get("results");
        assertEquals(3, results.size());
        assertEquals("b1", results.get(0).get("id").asText());
        assertEquals("inf", results.get(1).get("output").get("data").get(0).asText());
        assertEquals("[]", results.get(1).get("output").get("shape").toString());
        assertEquals("float32", results.get(1).get("output").get("dtype").asText());
        assertEquals("invalid_shape", results.get(2).get("error").get("kind").asText());
    }

    @Test
    void badRequestsGetErrorObjects() throws Exception {
        List<JsonNode> a = session("not json", "[1,2]", "{\"cmd\":\"dance\"}",
                "{\"cmd\":\"run\",\"id\":\"u\",\"function\":\"nope\",\"dtype\":\"float64\",\"params\":{},\"inputs\":{}}",
                "{\"cmd\":\"run\",\"id\":\"m\",\"function\":\"softmax\",\"dtype\":\"float64\",\"params\":{},\"inputs\":{}}",
                "{\"cmd\":\"run\",\"id\":\"n\",\"function\":\"softmax\",\"dtype\":\"float64\",\"params\":{},"
                        + "\"inputs\":{\"x\":{\"dtype\":\"float64\",\"shape\":[2],\"data\":[\"zz\",1]}}}",
                "{\"cmd\":\"run_batch\",\"cases\":7}",
                "{\"cmd\":\"stop\"}");
        assertEquals(7, a.size());
        for (JsonNode n : a) {
            assertEquals("bad_request", n.get("error").get("kind").asText(), n.toString());
            assertTrue(n.get("error").get("message").asText().length() > 0);
        }
        assertEquals("u", a.get(3).get("id").asText());
    }

    // ------------------------------------------------------------ strict decoding (issue 13 items 2 and 12, D7-D9)

    private static final String LOGITS = "\"logits\":{\"dtype\":\"float64\",\"shape\":[1,2],\"data\":[\"0x0p+0\",\"0x1p+0\"]}";
    private static final String PROBS = "\"probs\":{\"dtype\":\"float64\",\"shape\":[1,2],\"data\":[\"0x1p-1\",\"0x1p-1\"]}";

    /** A bool tensor of shape [2] (the class mask where of LOGITS). */
    private static String mask(String data) {
        return "{\"dtype\":\"bool\",\"shape\":[2],\"data\":" + data + "}";
    }

    private static String target(String data) {
        return "\"target\":{\"dtype\":\"int64\",\"shape\":[1],\"data\":[" + data + "]}";
    }

    private static String x(String dtype, String shape, String data) {
        return "\"x\":{\"dtype\":\"" + dtype + "\",\"shape\":" + shape + ",\"data\":" + data + "}";
    }

    private static Arguments c(String why, String function, String dtype, String params, String inputs, String kind) {
        String line = "{\"cmd\":\"run\",\"id\":\"" + why + "\",\"function\":\"" + function + "\",\"dtype\":\"" + dtype
                + "\",\"params\":{" + params + "},\"inputs\":{" + inputs + "}}";
        return Arguments.of(why, line, kind);
    }

    static Stream<Arguments> strictCases() {
        String sce = "softmax_cross_entropy";
        String sceIn = LOGITS + "," + target("1");
        return Stream.of(
                c("ignore_index 2^64 - 100 is not -100", sce, "float64", "\"ignore_index\":18446744073709551516", sceIn, "bad_request"),
                c("ignore_index 2^63", sce, "float64", "\"ignore_index\":9223372036854775808", sceIn, "bad_request"),
                c("ignore_index 1.5", sce, "float64", "\"ignore_index\":1.5", sceIn, "bad_request"),
                c("ignore_index 1.0", sce, "float64", "\"ignore_index\":1.0", sceIn, "bad_request"),
                c("ignore_index true", sce, "float64", "\"ignore_index\":true", sceIn, "bad_request"),
                c("ignore_index as a string", sce, "float64", "\"ignore_index\":\"3\"", sceIn, "bad_request"),
                c("reduction null", sce, "float64", "\"reduction\":null", sceIn, "bad_request"),
                c("an unknown parameter", sce, "float64", "\"axis\":1", sceIn, "bad_request"),
                c("label_smoothing as a number", sce, "float64", "\"label_smoothing\":0.1", sceIn, "bad_request"),
                c("label_smoothing as a decimal string", sce, "float64", "\"label_smoothing\":\"0.1\"", sceIn, "bad_request"),
                c("focal_loss alpha as a scalar", "focal_loss", "float64", "\"alpha\":\"0x1p-2\"", sceIn, "bad_request"),
                c("a target of 2^64 - 1", "nll_from_probs", "float64", "", PROBS + "," + target("18446744073709551615"), "bad_request"),
                c("a target of 1.0", "nll_from_probs", "float64", "", PROBS + "," + target("1.0"), "bad_request"),
                c("a target as a string", "nll_from_probs", "float64", "", PROBS + "," + target("\"1\""), "bad_request"),
                c("a shape of 2^64 + 1 is not 1", "softmax", "float64", "",
                        x("float64", "[18446744073709551617,2]", "[\"0x0p+0\",\"0x0p+0\"]"), "bad_request"),
                c("a negative dimension", "softmax", "float64", "", x("float64", "[-1]", "[]"), "bad_request"),
                c("a dimension 2.0", "softmax", "float64", "", x("float64", "[2.0]", "[\"0x0p+0\",\"0x0p+0\"]"), "bad_request"),
                c("data shorter than the shape", "softmax", "float64", "", x("float64", "[3]", "[\"0x0p+0\",\"0x0p+0\"]"), "bad_request"),
                c("a decimal string", "softmax", "float64", "", x("float64", "[1]", "[\"0.5\"]"), "bad_request"),
                c("a JSON number as float data", "softmax", "float64", "", x("float64", "[1]", "[0.5]"), "bad_request"),
                c("+inf is not a special string", "softmax", "float64", "", x("float64", "[1]", "[\"+inf\"]"), "bad_request"),
                c("NaN is not a special string", "softmax", "float64", "", x("float64", "[1]", "[\"NaN\"]"), "bad_request"),
                c("a hex float with a leading space", "focal_loss", "float64", "\"gamma\":\" 0x1p+1\"", sceIn, "bad_request"),
                c("65 bits in float64", "softmax", "float64", "", x("float64", "[1]", "[\"0x1.0000000000000001p+0\"]"), "bad_request"),
                c("25 bits in float32 (was rounded)", "softmax", "float32", "", x("float32", "[1]", "[\"0x1.000001p+0\"]"), "bad_request"),
                c("below the smallest subnormal", "softmax", "float64", "", x("float64", "[1]", "[\"0x1p-99999\"]"), "bad_request"),
                c("a float16 tensor", "softmax", "float64", "", x("float16", "[1]", "[\"0x1p+0\"]"), "bad_request"),
                c("a float32 tensor in a float64 call", "softmax", "float64", "", x("float32", "[1]", "[\"0x1p+0\"]"), "bad_request"),
                c("an epsilon that is no float32", "nll_from_probs", "float32", "\"epsilon\":\"0x1.0000001p-4\"",
                        PROBS.replace("float64", "float32") + "," + target("0"), "bad_request"),
                c("an unknown function", "softmaxx", "float64", "", x("float64", "[1]", "[\"0x1p+0\"]"), "bad_request"),
                c("a float16 call", "softmax", "float16", "", x("float16", "[1]", "[\"0x1p+0\"]"), "output"),
                c("12 bits in float16", "softmax", "float16", "", x("float16", "[1]", "[\"0x1.002p+0\"]"), "bad_request"),
                c("below float16's smallest subnormal", "softmax", "float16", "", x("float16", "[1]", "[\"0x1p-25\"]"), "bad_request"),
                c("9 bits in bfloat16", "softmax", "bfloat16", "", x("bfloat16", "[1]", "[\"0x1.01p+0\"]"), "bad_request"),
                c("a bfloat16 tensor in a float16 call", "softmax", "float16", "", x("bfloat16", "[1]", "[\"0x1p+0\"]"), "bad_request"),
                c("a gamma that is no bfloat16", "focal_loss", "bfloat16", "\"gamma\":\"0x1.01p+1\"",
                        LOGITS.replace("float64", "bfloat16") + "," + target("0"), "bad_request"),
                c("output_dtype float32 in a float64 call", "softmax", "float64", "\"output_dtype\":\"float32\"",
                        x("float64", "[1]", "[\"0x1p+0\"]"), "invalid_argument"),
                c("output_dtype float16", "softmax", "float16", "\"output_dtype\":\"float16\"",
                        x("float16", "[1]", "[\"0x1p+0\"]"), "invalid_argument"),
                c("output_dtype on sigmoid", "sigmoid", "float16", "\"output_dtype\":\"float32\"",
                        "\"z\":{\"dtype\":\"float16\",\"shape\":[],\"data\":[\"0x0p+0\"]}", "bad_request"),
                c("a dimension beyond int with no data", "softmax", "float64", "", x("float64", "[4294967296,0]", "[]"), "unsupported"),
                c("rank 9 sigmoid", "sigmoid", "float64", "",
                        "\"z\":{\"dtype\":\"float64\",\"shape\":[1,1,1,1,1,1,1,1,1],\"data\":[\"0x0p+0\"]}", "invalid_shape"),
                c("rank 8 sigmoid", "sigmoid", "float64", "",
                        "\"z\":{\"dtype\":\"float64\",\"shape\":[1,1,1,1,1,1,1,1],\"data\":[\"0x0p+0\"]}", "output"),
                c("ignore_index null: no index ignored", sce, "float64", "\"ignore_index\":null",
                        LOGITS + "," + target("-100"), "index_out_of_range"),
                c("ignore_index true", sce, "float64", "\"ignore_index\":true", LOGITS + "," + target("0"), "bad_request"),
                // protocol 1.3: the class mask where is a bool tensor whose data are JSON true/false only
                c("where as a bool tensor", sce, "float64", "\"where\":" + mask("[true,false]"), LOGITS + "," + target("0"), "output"),
                c("where data 1", sce, "float64", "\"where\":" + mask("[true,1]"), LOGITS + "," + target("0"), "bad_request"),
                c("where data as the string true", sce, "float64", "\"where\":" + mask("[\"true\",true]"), LOGITS + "," + target("0"), "bad_request"),
                c("where data null", sce, "float64", "\"where\":" + mask("[null,true]"), LOGITS + "," + target("0"), "bad_request"),
                c("where as a float tensor", sce, "float64", "\"where\":{\"dtype\":\"float64\",\"shape\":[2],\"data\":[\"0x1p+0\",\"0x0p+0\"]}",
                        LOGITS + "," + target("0"), "bad_request"),
                c("a bool tensor as a float parameter", sce, "float64", "\"weight\":" + mask("[true,true]"), LOGITS + "," + target("0"), "bad_request"),
                c("where of the wrong shape", sce, "float64", "\"where\":{\"dtype\":\"bool\",\"shape\":[3],\"data\":[true,false,true]}",
                        LOGITS + "," + target("0"), "shape_mismatch"),
                c("log_target as a string", "kl_div", "float64", "\"log_target\":\"true\"",
                        "\"input\":{\"dtype\":\"float64\",\"shape\":[1],\"data\":[\"0x0p+0\"]},"
                        + "\"target\":{\"dtype\":\"float64\",\"shape\":[1],\"data\":[\"0x1p+0\"]}", "bad_request"),
                c("axis out of range", "softmax", "float64", "\"axis\":2", x("float64", "[1]", "[\"0x1p+0\"]"), "invalid_argument"),
                c("a target of 2^32 - 100 is not ignore_index -100", sce, "float64", "",
                        LOGITS + "," + target("4294967196"), "index_out_of_range"),
                c("ignore_index 2^32 ignores target 2^32", sce, "float64", "\"ignore_index\":4294967296",
                        LOGITS + "," + target("4294967296"), "output"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("strictCases")
    void requestsAreDecodedStrictly(String why, String line, String kind) throws Exception {
        JsonNode a = session(line).get(0);
        assertEquals(why, a.get("id").asText(), a.toString());
        String got = a.has("unsupported") ? "unsupported" : a.has("output") ? "output" : a.get("error").get("kind").asText();
        assertEquals(kind, got, a.toString());
        if (a.has("error")) {
            assertFalse(a.get("error").get("message").asText().contains("\n"));
        }
    }

    @Test
    void ignoredTargetBeyondIntRangeGivesTheLossOfTheOtherRows() throws Exception {
        String in = "\"logits\":{\"dtype\":\"float64\",\"shape\":[2,2],\"data\":[\"0x0p+0\",\"0x0p+0\",\"nan\",\"nan\"]},"
                + "\"target\":{\"dtype\":\"int64\",\"shape\":[2],\"data\":[0,4294967296]}";
        JsonNode a = session("{\"cmd\":\"run\",\"id\":\"i\",\"function\":\"softmax_cross_entropy\",\"dtype\":\"float64\","
                + "\"params\":{\"ignore_index\":4294967296},\"inputs\":{" + in + "}}").get(0);
        assertEquals(Math.log(2), Double.parseDouble(a.get("output").get("data").get(0).asText()), 1e-16, a.toString());
    }

    @Test
    void unreadableLinesHaveANullIdAndReadableIdsAreEchoed() throws Exception {
        List<JsonNode> a = session("{\"cmd\":\"run\",\"id\":\"x\",\"params\":{\"ignore_index\":NaN}}", "[1]",
                "{\"cmd\":\"frobnicate\",\"id\":\"u\"}", "{\"id\":\"m\"}", "{\"cmd\":\"run\",\"id\":7," + SOFTMAX_CASE + "}");
        assertEquals(5, a.size());
        for (JsonNode n : a) {
            assertEquals("bad_request", n.get("error").get("kind").asText(), n.toString());
            assertTrue(n.get("error").get("message").asText().startsWith("bad request: "), n.toString());
        }
        assertTrue(a.get(0).has("id") && a.get(0).get("id").isNull());
        assertTrue(a.get(1).get("id").isNull());
        assertEquals("u", a.get(2).get("id").asText());
        assertEquals("m", a.get(3).get("id").asText());
        assertTrue(a.get(4).get("id").isNull(), "a non-string id is not echoed");
    }

    @Test
    void unsupportedDtypeIsAPerCaseAnswerNotAnError() throws Exception {
        JsonNode a = session("{\"cmd\":\"run_batch\",\"cases\":[{\"id\":\"h\",\"function\":\"softmax\",\"dtype\":\"float8\","
                + "\"params\":{},\"inputs\":{}}]}").get(0).get("results").get(0);
        assertEquals(Set.of("id", "unsupported"), Set.copyOf(iterable(a.fieldNames())));
        assertEquals("h", a.get("id").asText());
        assertTrue(a.get("unsupported").asText().contains("float8"));
    }

    /**
     * 16-bit answers carry float32's hex text: log_softmax([0, 0]) = -ln 2 = -0.69314718..., float16's
     * nearest -0x1.63p-1 (1420 * 2^-11), float32's -0x1.62e43p-1 under output_dtype float32.
     */
    @Test
    void sixteenBitAnswersUseFloat32HexText() throws Exception {
        String in = "\"inputs\":{" + x("float16", "[2]", "[\"0x0p+0\",\"-0x0p+0\"]") + "}}";
        List<JsonNode> a = session(
                "{\"cmd\":\"run\",\"id\":\"h\",\"function\":\"log_softmax\",\"dtype\":\"float16\",\"params\":{}," + in,
                "{\"cmd\":\"run\",\"id\":\"m\",\"function\":\"log_softmax\",\"dtype\":\"float16\","
                        + "\"params\":{\"output_dtype\":\"float32\"}," + in);
        assertEquals("{\"dtype\":\"float16\",\"shape\":[2],\"data\":[\"-0x1.63p-1\",\"-0x1.63p-1\"]}",
                a.get(0).get("output").toString());
        assertEquals("{\"dtype\":\"float32\",\"shape\":[2],\"data\":[\"-0x1.62e43p-1\",\"-0x1.62e43p-1\"]}",
                a.get(1).get("output").toString());
    }

    private static List<String> iterable(java.util.Iterator<String> it) {
        List<String> out = new ArrayList<>();
        it.forEachRemaining(out::add);
        return out;
    }

    @Test
    void aCrashInsideTheImplementationIsAnInternalErrorOnOneLine() throws Exception {
        Main.Dispatch crash = (f, d, p, in) -> {
            throw new IllegalStateException("boom\nCONFORMS");
        };
        List<JsonNode> a = session(crash, "{\"cmd\":\"run\",\"id\":\"c\"," + SOFTMAX_CASE + "}",
                "{\"cmd\":\"run\",\"id\":\"d\",\"function\":\"softmax\",\"dtype\":\"float64\",\"params\":{\"axis\":1},"
                        + "\"inputs\":{}}");
        assertEquals("c", a.get(0).get("id").asText());
        assertEquals("internal_error", a.get(0).get("error").get("kind").asText());
        String message = a.get(0).get("error").get("message").asText();
        assertTrue(message.startsWith("internal error: ") && !message.contains("\n"), message);
        // a bad request is refused before the implementation is called
        assertEquals("bad_request", a.get(1).get("error").get("kind").asText());
    }
}
