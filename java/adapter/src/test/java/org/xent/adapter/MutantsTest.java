package org.xent.adapter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.xent.Catalogue;

/** The XENT_MUTANT mechanism: the catalogue, the refusal of unknown names, and no change without a mutant. */
class MutantsTest {
    private static final ObjectMapper M = new ObjectMapper();

    private static final String SCE_RUN = "{\"cmd\":\"run\",\"id\":\"c\",\"function\":\"softmax_cross_entropy\","
            + "\"dtype\":\"float64\",\"params\":{\"reduction\":\"mean\"},\"inputs\":{"
            + "\"logits\":{\"dtype\":\"float64\",\"shape\":[2,3],\"data\":[\"0x1p+0\",\"0x0p+0\",\"-0x1p+0\",\"0x1p+1\",\"0x0p+0\",\"0x0p+0\"]},"
            + "\"target\":{\"dtype\":\"int64\",\"shape\":[2],\"data\":[0,2]}}}";

    private static List<JsonNode> session(String mutant, String... lines) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        new Main(out, new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8), mutant)
                .serve(new BufferedReader(new StringReader(String.join("\n", lines) + "\n")));
        List<JsonNode> answers = new ArrayList<>();
        for (String l : out.toString(StandardCharsets.UTF_8).split("\n")) {
            if (!l.isEmpty()) {
                answers.add(M.readTree(l));
            }
        }
        return answers;
    }

    private static JsonNode sceAnswer(String mutant) throws Exception {
        return session(mutant, "{\"cmd\":\"start\",\"version\":1}", SCE_RUN, "{\"cmd\":\"stop\"}").get(1);
    }

    @Test
    void catalogueListsUniqueNamesWithDescriptionsAndKnownFunctions() {
        JsonNode list = Main.catalogue().get("mutants");
        assertTrue(list.size() >= 30, "only " + list.size() + " mutants");
        Set<String> names = new HashSet<>();
        for (JsonNode m : list) {
            assertTrue(names.add(m.get("name").asText()), "duplicate " + m.get("name"));
            assertTrue(m.get("description").asText().length() > 20, m.toString());
            assertTrue(m.get("functions").size() > 0, m.toString());
            for (JsonNode f : m.get("functions")) {
                assertTrue(Catalogue.FUNCTIONS.contains(f.asText()), m.toString());
            }
            // exactly one of "kill" and "accept", as conformance/MUTANTS.md's "Levels" defines the field
            assertTrue(m.has("kill") != m.has("accept"), m.toString());
            String level = m.has("kill") ? m.get("kill").asText() : m.get("accept").asText();
            assertTrue(m.has("kill") ? List.of("accurate", "compatible").contains(level) : "compatible".equals(level), m.toString());
        }
    }

    @Test
    void unknownMutantRefusesStart() throws Exception {
        List<JsonNode> a = session("no_such_mutant", "{\"cmd\":\"start\",\"version\":1}", SCE_RUN);
        assertEquals(1, a.size());
        JsonNode e = a.get(0).get("error");
        assertEquals("unsupported_version", e.get("kind").asText());
        assertTrue(e.get("message").asText().startsWith("XENT_MUTANT='no_such_mutant' is not a known mutant"),
                e.toString());
    }

    @Test
    void noMutantIsTheShippedImplementation() throws Exception {
        JsonNode shipped = sceAnswer(null);
        assertNull(shipped.get("error"));
        assertEquals(shipped, sceAnswer(""));
        // a mutant of other functions leaves this one alone; a mutant of this one changes its value
        assertEquals(shipped, sceAnswer("sigmoid_naive"));
        assertNotEquals(shipped.get("output"), sceAnswer("mean_returns_sum").get("output"));
    }

    /** An entry of the Python catalogue as its source declares it. */
    private record PythonMutant(String description, Mutants.Level level) {
    }

    /**
     * The Python catalogue in its order, read from its source (python/mutants/xent_mutants.py:
     * {@code @mutant("name", functions, """description""")}, the description's white space normalised as
     * the registry does; the level from the sets ACCEPT_AT_COMPATIBLE and KILL_AT_ACCURATE, every other
     * entry being kill: compatible).
     */
    private static Map<String, PythonMutant> pythonCatalogue() throws Exception {
        Path dir = Path.of("").toAbsolutePath();
        while (dir != null && !Files.exists(dir.resolve("python/mutants/xent_mutants.py"))) {
            dir = dir.getParent();
        }
        assertNotNull(dir, "python/mutants/xent_mutants.py not found above the working directory");
        String src = Files.readString(dir.resolve("python/mutants/xent_mutants.py"));
        Set<String> accept = pythonSet(src, "ACCEPT_AT_COMPATIBLE");
        Set<String> accurate = pythonSet(src, "KILL_AT_ACCURATE");
        Matcher m = Pattern.compile("@mutant\\(\\s*\"([^\"]+)\",.*?\"\"\"(.*?)\"\"\"", Pattern.DOTALL).matcher(src);
        Map<String, PythonMutant> out = new LinkedHashMap<>();
        while (m.find()) {
            Mutants.Level level = accept.contains(m.group(1)) ? Mutants.Level.ACCEPT_COMPATIBLE
                    : accurate.contains(m.group(1)) ? Mutants.Level.KILL_ACCURATE : Mutants.Level.KILL_COMPATIBLE;
            out.put(m.group(1), new PythonMutant(m.group(2).trim().replaceAll("\\s+", " "), level));
        }
        assertTrue(out.size() >= 30 && !accept.isEmpty() && !accurate.isEmpty(),
                "read " + out.size() + " mutants, " + accept + ", " + accurate + " from the Python catalogue");
        return out;
    }

    /** The quoted names of the Python set {@code name = frozenset({...})} (comments dropped). */
    private static Set<String> pythonSet(String src, String name) {
        Matcher block = Pattern.compile(name + " = frozenset\\(\\{(.*?)\\}\\)", Pattern.DOTALL).matcher(src);
        assertTrue(block.find(), "no " + name + " in the Python catalogue");
        Set<String> out = new HashSet<>();
        for (String line : block.group(1).split("\n")) {
            Matcher q = Pattern.compile("\"([^\"]+)\"").matcher(line.replaceAll("#.*", ""));
            while (q.find()) {
                out.add(q.group(1));
            }
        }
        return out;
    }

    /** The tables of `xent-conformance mutants` line up across languages: same names, order, descriptions and levels. */
    @Test
    void catalogueMatchesPython() throws Exception {
        Map<String, PythonMutant> python = pythonCatalogue();
        List<String> ours = new ArrayList<>();
        for (Mutants.Mutant m : Mutants.all()) {
            ours.add(m.name());
            PythonMutant p = python.get(m.name());
            if (p != null) {
                assertEquals(p.description(), m.description(), m.name());
                assertEquals(p.level(), m.level(), m.name());
            }
        }
        assertEquals(List.copyOf(python.keySet()), ours);
    }

    /** probabilities_not_checked answers a number where the shipped function rejects the probabilities. */
    @Test
    void probabilitiesNotCheckedAnswersAValue() throws Exception {
        String run = "{\"cmd\":\"run\",\"id\":\"n\",\"function\":\"nll_from_probs\",\"dtype\":\"float64\","
                + "\"params\":{\"reduction\":\"none\"},\"inputs\":{"
                + "\"probs\":{\"dtype\":\"float64\",\"shape\":[1,2],\"data\":[\"0x1p+1\",\"0x0p+0\"]},"
                + "\"target\":{\"dtype\":\"int64\",\"shape\":[1],\"data\":[0]}}}";
        String start = "{\"cmd\":\"start\",\"version\":1}";
        assertEquals("invalid_probability", session(null, start, run).get(1).get("error").get("kind").asText());
        JsonNode out = session("probabilities_not_checked", start, run).get(1).get("output");
        assertNotNull(out);
        assertEquals(-Math.log(2), Catalogue.parseFloat(out.get("data").get(0).asText()));
    }

    /**
     * A mutant's answer to a float16 request is rounded once to float16: -ln 2 = -0.693147... is float16's
     * -0x1.63p-1 (1420 * 2^-11), not the double's float32 text -0x1.62e43p-1.
     */
    @Test
    void mutantAnswersToSixteenBitRequestsAreValuesOfTheDtype() throws Exception {
        String run = "{\"cmd\":\"run\",\"id\":\"n\",\"function\":\"nll_from_probs\",\"dtype\":\"float16\","
                + "\"params\":{\"reduction\":\"none\"},\"inputs\":{"
                + "\"probs\":{\"dtype\":\"float16\",\"shape\":[1,2],\"data\":[\"0x1p+1\",\"0x0p+0\"]},"
                + "\"target\":{\"dtype\":\"int64\",\"shape\":[1],\"data\":[0]}}}";
        JsonNode out = session("probabilities_not_checked", "{\"cmd\":\"start\",\"version\":1}", run).get(1).get("output");
        assertEquals("float16", out.get("dtype").asText());
        assertEquals("-0x1.63p-1", out.get("data").get(0).asText());
    }

    /**
     * A row function's mutant on an N-d x works slice by slice along the axis (issue 19): port_max_shift's
     * logsumexp of a [2, 3] x along axis 0 is its logsumexp of each column, the axis dropped.
     */
    @Test
    void rowMutantsWorkSliceBySliceAlongTheAxis() {
        Mutants.Mutant m = Mutants.find("port_max_shift");
        double[] x = {0, 1, 2, 30, -4, 0.5};
        org.xent.Tensor t = org.xent.Tensor.ofFloats("float64", new int[] {2, 3}, x);
        org.xent.Tensor got = Mutants.call(m, "logsumexp", "float64", Map.of("axis", 0L), Map.of("x", t));
        assertEquals(List.of(3), java.util.Arrays.stream(got.shape()).boxed().toList());
        for (int j = 0; j < 3; j++) {
            org.xent.Tensor column = org.xent.Tensor.ofFloats("float64", new int[] {2}, new double[] {x[j], x[3 + j]});
            double want = Mutants.call(m, "logsumexp", "float64", Map.of(), Map.of("x", column)).values()[0];
            assertEquals(want, got.values()[j]);
        }
        org.xent.Tensor sm = Mutants.call(m, "softmax", "float64", Map.of(), Map.of("x", t));
        double[] row1 = Mutants.call(m, "softmax", "float64", Map.of(),
                Map.of("x", org.xent.Tensor.ofFloats("float64", new int[] {3}, new double[] {30, -4, 0.5}))).values();
        assertEquals(List.of(row1[0], row1[1], row1[2]), List.of(sm.values()[3], sm.values()[4], sm.values()[5]));
    }

    /**
     * port_bce_logits_tf with pos_weight keeps the tiny loss of y = 0, z = -25 (softplus(-25) = 1.3887944e-11):
     * PyTorch's (1 - y) z + l (log1p(exp(-|z|)) + max(-z, 0)) gives 0 in float32, a defect at compatible.
     */
    @Test
    void bceLogitsPortWithPosWeightKeepsTheTinyLoss() {
        org.xent.Tensor z = org.xent.Tensor.ofFloats("float32", new int[] {1}, new double[] {-25});
        org.xent.Tensor y = org.xent.Tensor.ofFloats("float32", new int[] {1}, new double[] {0});
        org.xent.Tensor pw = org.xent.Tensor.ofFloats("float32", new int[] {1}, new double[] {2});
        double got = Mutants.call(Mutants.find("port_bce_logits_tf"), "binary_cross_entropy_with_logits", "float32",
                Map.of("pos_weight", pw, "reduction", "none"), Map.of("z", z, "y", y)).values()[0];
        float exact = 1.3887944e-11f;
        assertTrue(Math.abs(got - exact) <= 4 * Math.ulp(exact), "got " + got + ", want " + exact + " within 4 ulps");
    }

    /** The pairwise sum is numpy's: eight accumulators keep the small terms that a left-to-right sum loses. */
    @Test
    void pairwiseSumKeepsWhatASequentialSumLoses() {
        double[] v = new double[16];
        java.util.Arrays.fill(v, Math.scalb(1.0, -53));
        v[0] = 1.0;
        assertEquals(1 + 7 * Math.scalb(1.0, -52), Mutants.pairwise(v, 0, v.length, x -> x));
        assertEquals(1 + 7 * Math.scalb(1.0, -52), Mutants.Sum.PAIRWISE.of(v));
        assertEquals(1.0, Mutants.Sum.SEQUENTIAL.of(v));
        assertEquals(1.0, Mutants.pairwise(new double[] {1, 0x1p-53, 0x1p-53}, 0, 3, x -> x));
    }
}
