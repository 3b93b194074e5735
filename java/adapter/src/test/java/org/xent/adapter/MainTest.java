package org.xent.adapter;

import static org.junit.jupiter.api.Assertions.assertEquals;
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
import org.junit.jupiter.api.Test;
import org.xent.Catalogue;

/** The adapter speaks PROTOCOL.md: start, run, run_batch, stop, and never crashes on a bad request. */
class MainTest {
    private static final ObjectMapper M = new ObjectMapper();

    private static List<JsonNode> session(String... lines) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        new Main(out, new PrintStream(err, true, StandardCharsets.UTF_8))
                .serve(new BufferedReader(new StringReader(String.join("\n", lines) + "\n")));
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
    void startDeclaresEveryFunctionInBothDtypes() throws Exception {
        JsonNode a = session("{\"cmd\":\"start\",\"version\":1}", "{\"cmd\":\"stop\"}").get(0);
        assertEquals(1, a.get("version").asInt());
        assertEquals("java", a.get("implementation").get("language").asText());
        JsonNode caps = a.get("capabilities");
        assertEquals(Catalogue.FUNCTIONS.size(), caps.size());
        for (String f : Catalogue.FUNCTIONS) {
            assertEquals("[\"float64\",\"float32\"]", caps.get(f).toString(), f);
        }
    }

    @Test
    void unsupportedVersionIsAnErrorAndEndsTheSession() throws Exception {
        List<JsonNode> a = session("{\"cmd\":\"start\",\"version\":2}", "{\"cmd\":\"run\",\"id\":\"x\"," + SOFTMAX_CASE + "}");
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
}
