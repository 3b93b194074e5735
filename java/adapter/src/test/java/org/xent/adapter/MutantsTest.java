package org.xent.adapter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
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
}
