package io.github.denseretrieval.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.github.denseretrieval.encoder.TextEncoder;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * An index of passages as an operator makes it from es-config: the {@code dense_encode} pipeline
 * (for the battery's model) as the index's default pipeline and es-config's mapping, with the
 * shards and replicas a test asks for; and the checks a test makes afterwards: counts, the stored
 * documents, and their vectors against the encoder library run in this JVM.
 */
final class PassageIndex {

    /** How the stored vectors compare with in-process encoding of the same texts. */
    record VectorCheck(int compared, int missing, int wrongDimensions, int different, double maxAbsDiff, List<String> examples) {
        boolean allEqual() {
            return missing == 0 && wrongDimensions == 0 && different == 0;
        }

        @Override
        public String toString() {
            return String.format(Locale.ROOT, "%d compared, %d missing, %d wrong dims, %d differ (> %.0e), max |diff| %.2e", compared, missing,
                wrongDimensions, different, TOLERANCE, maxAbsDiff);
        }
    }

    /** Vectors of the same text may differ in the last bits between batch compositions (padding); not more. */
    static final double TOLERANCE = 1e-4;

    private final ClusterClient admin;
    private final String name;

    private PassageIndex(ClusterClient admin, String name) {
        this.admin = admin;
        this.name = name;
    }

    /**
     * Puts es-config's pipeline for {@code model} (named {@code dense-passages-<model>}) and makes
     * the index afresh with it as default pipeline; returns once every shard copy is active.
     */
    static PassageIndex create(ClusterClient admin, String name, String model, int shards, int replicas) throws IOException {
        String pipeline = putPipeline(admin, model);
        admin.send("DELETE", "/" + name, null);
        JsonNode template = ClusterClient.json().readTree(Files.readString(RealNode.ES_CONFIG.resolve("index-template.json"), StandardCharsets.UTF_8));
        ObjectNode body = ClusterClient.json().createObjectNode();
        body.putObject("settings").put("number_of_shards", shards).put("number_of_replicas", replicas).put("index.default_pipeline", pipeline);
        body.set("mappings", template.path("template").path("mappings"));
        admin.sendOk("PUT", "/" + name + "?wait_for_active_shards=all", body.toString());
        return new PassageIndex(admin, name);
    }

    /** es-config's pipeline with its model replaced by {@code model}; returns its name. */
    static String putPipeline(ClusterClient admin, String model) throws IOException {
        String pipeline = "dense-passages-" + model;
        admin.sendOk("PUT", "/_ingest/pipeline/" + pipeline,
            ClusterSetup.withModel(Files.readString(RealNode.ES_CONFIG.resolve("pipeline.json"), StandardCharsets.UTF_8), model));
        return pipeline;
    }

    String name() {
        return name;
    }

    void refresh() throws IOException {
        admin.sendOk("POST", "/" + name + "/_refresh", null);
    }

    long count() throws IOException {
        return admin.sendOk("GET", "/" + name + "/_count", null).path("count").asLong();
    }

    long countWithVector() throws IOException {
        return admin.sendOk("POST", "/" + name + "/_count", "{\"query\":{\"exists\":{\"field\":\"text_vector\"}}}").path("count").asLong();
    }

    /** The stored {@code text_vector} of each of {@code ids} that exists (absent ids are left out). */
    Map<String, JsonNode> vectors(Collection<String> ids) throws IOException {
        Map<String, JsonNode> out = new HashMap<>();
        List<String> all = new ArrayList<>(ids);
        for (int from = 0; from < all.size(); from += 200) {
            StringBuilder body = new StringBuilder("{\"ids\":[");
            List<String> chunk = all.subList(from, Math.min(all.size(), from + 200));
            for (int i = 0; i < chunk.size(); i++) {
                body.append(i == 0 ? "" : ",").append(ClusterClient.jsonString(chunk.get(i)));
            }
            body.append("]}");
            JsonNode docs = admin.sendOk("POST", "/" + name + "/_mget?_source_includes=text_vector", body.toString()).path("docs");
            for (JsonNode d : docs) {
                if (d.path("found").asBoolean()) {
                    out.put(d.path("_id").asText(), d.path("_source").path("text_vector"));
                }
            }
        }
        return out;
    }

    /**
     * Fetches the vector of every passage of {@code expected} and compares it with what the
     * encoder library gives in this JVM for the same text, from the same model folder.
     */
    VectorCheck compareWithInProcess(Collection<Passages.Passage> expected, Path modelFolder) throws IOException {
        List<Passages.Passage> passages = new ArrayList<>(expected);
        Map<String, JsonNode> stored = vectors(passages.stream().map(Passages.Passage::id).toList());
        int missing = 0;
        int wrongDims = 0;
        int different = 0;
        double maxDiff = 0;
        List<String> examples = new ArrayList<>();
        try (TextEncoder encoder = TextEncoder.open(modelFolder)) {
            for (int from = 0; from < passages.size(); from += 32) {
                List<Passages.Passage> chunk = passages.subList(from, Math.min(passages.size(), from + 32));
                float[][] local = encoder.encodePassages(chunk.stream().map(Passages.Passage::joined).toList());
                for (int i = 0; i < chunk.size(); i++) {
                    JsonNode vector = stored.get(chunk.get(i).id());
                    if (vector == null) {
                        missing++;
                        if (examples.size() < 5) {
                            examples.add(chunk.get(i).id() + " is missing");
                        }
                        continue;
                    }
                    if (vector.size() != local[i].length) {
                        wrongDims++;
                        if (examples.size() < 5) {
                            examples.add(chunk.get(i).id() + " has " + vector.size() + " dims, expected " + local[i].length);
                        }
                        continue;
                    }
                    double diff = 0;
                    for (int d = 0; d < local[i].length; d++) {
                        diff = Math.max(diff, Math.abs(local[i][d] - vector.get(d).floatValue()));
                    }
                    maxDiff = Math.max(maxDiff, diff);
                    if (diff > TOLERANCE) {
                        different++;
                        if (examples.size() < 5) {
                            examples.add(chunk.get(i).id() + " differs by " + diff);
                        }
                    }
                }
            }
        }
        return new VectorCheck(passages.size(), missing, wrongDims, different, maxDiff, examples);
    }

    void delete() throws IOException {
        admin.send("DELETE", "/" + name, null);
    }
}
