package org.xent;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/** Reads the golden vector files of vectors/ (format: vectors/README.md). */
final class Vectors {
    static final ObjectMapper MAPPER = new ObjectMapper();

    private Vectors() {
    }

    /** The repository root: the nearest ancestor of the working directory holding spec/xent.yaml. */
    static Path repoRoot() {
        Path p = Paths.get("").toAbsolutePath();
        while (p != null) {
            if (Files.isRegularFile(p.resolve("spec").resolve("xent.yaml"))) {
                return p;
            }
            p = p.getParent();
        }
        throw new IllegalStateException("no ancestor of " + Paths.get("").toAbsolutePath() + " holds spec/xent.yaml");
    }

    /** The vector folder: the system property xent.vectors.dir if set (your own vectors), else vectors/. */
    static Path dir() {
        String own = System.getProperty("xent.vectors.dir");
        return own != null && !own.isEmpty() ? Paths.get(own) : repoRoot().resolve("vectors");
    }

    static List<Path> files() throws IOException {
        Path dir = dir();
        List<Path> out = new ArrayList<>();
        if (!Files.isDirectory(dir)) {
            return out;
        }
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, "*.json")) {
            for (Path p : ds) {
                out.add(p);
            }
        }
        out.sort(null);
        return out;
    }

    static Tensor tensor(JsonNode t) {
        JsonNode sh = t.get("shape");
        int[] shape = new int[sh.size()];
        for (int i = 0; i < shape.length; i++) {
            shape[i] = sh.get(i).asInt();
        }
        JsonNode data = t.get("data");
        String dtype = t.get("dtype").asText();
        if ("int64".equals(dtype)) {
            long[] ints = new long[data.size()];
            for (int i = 0; i < ints.length; i++) {
                ints[i] = data.get(i).asLong();
            }
            return Tensor.ofInts(shape, ints);
        }
        if ("bool".equals(dtype)) { // the class mask where (protocol 1.3)
            boolean[] b = new boolean[data.size()];
            for (int i = 0; i < b.length; i++) {
                b[i] = data.get(i).asBoolean();
            }
            return Tensor.ofBools(shape, b);
        }
        double[] v = new double[data.size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = HexFloat.parse(data.get(i).asText(), dtype); // exact in the tensor's dtype (D9)
        }
        return Tensor.ofFloats(dtype, shape, v);
    }

    static Map<String, Object> params(JsonNode p) {
        Map<String, Object> out = new HashMap<>();
        if (p == null) {
            return out;
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = p.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            JsonNode v = e.getValue();
            Object o;
            if (v.isNull()) {
                o = null;
            } else if (v.isTextual()) {
                o = v.asText();
            } else if (v.isBoolean()) {
                o = v.asBoolean(); // kl_div's log_target
            } else if (v.isIntegralNumber()) {
                o = v.asLong();
            } else if (v.isNumber()) {
                o = v.asDouble();
            } else if (v.isObject() && v.has("data")) {
                o = tensor(v);
            } else {
                o = v.toString();
            }
            out.put(e.getKey(), o);
        }
        return out;
    }

    static Map<String, Tensor> inputs(JsonNode in) {
        Map<String, Tensor> out = new HashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = in.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            out.put(e.getKey(), tensor(e.getValue()));
        }
        return out;
    }
}
