package io.github.denseretrieval.it;

import com.fasterxml.jackson.databind.JsonNode;
import io.github.denseretrieval.encoder.TextEncoder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Operator model folders under config/dense-retrieval/models: reload, serve, and report broken ones. */
@ExtendWith(RealNode.class)
class ModelRegistryIT {

    @Test
    void reloadServesANewModelWithTheSameVectorsAsInProcess() throws Exception {
        Path models = RealNode.node().configDir().resolve("dense-retrieval/models");
        Path minilm = models.resolve("minilm");
        Files.createDirectories(minilm);
        for (String f : List.of("model.json", "tokenizer.json", "model.onnx")) {
            Files.copy(RealNode.MODELS.resolve("all-minilm-l6-v2").resolve(f), minilm.resolve(f));
        }
        Path broken = models.resolve("broken");
        Files.createDirectories(broken);
        Files.writeString(broken.resolve("model.json"), Files.readString(RealNode.MODELS.resolve("all-minilm-l6-v2/model.json"))
            .replace("\"dimensions\": 384", "\"dimensions\": 768"));
        Files.copy(RealNode.MODELS.resolve("all-minilm-l6-v2/tokenizer.json"), broken.resolve("tokenizer.json"));
        Files.copy(RealNode.MODELS.resolve("all-minilm-l6-v2/model.onnx"), broken.resolve("model.onnx"));
        RealNode.node().handToNodeUser(RealNode.node().configDir().resolve("dense-retrieval"));

        JsonNode reload = RealNode.client().sendOk("POST", "/_dense/models/_reload", null);
        JsonNode nodeModels = reload.path("nodes").elements().next().path("models");
        // Other tests share this node and may have model folders of their own: check these three, not the count.
        Set<String> ids = new HashSet<>();
        nodeModels.forEach(m -> ids.add(m.path("model_id").asText()));
        assertTrue(ids.containsAll(List.of("bge-small-en-v1.5", "minilm", "broken")), reload.toString());

        JsonNode status = RealNode.client().sendOk("GET", "/_dense/models/minilm", null).path("nodes").elements().next().path("models").get(0);
        assertEquals("loaded", status.path("status").asText(), status.toString());
        assertEquals("mean", status.path("manifest").path("pooling").asText());

        JsonNode brokenStatus = RealNode.client().sendOk("GET", "/_dense/models/broken", null).path("nodes").elements().next()
            .path("models").get(0);
        assertEquals("failed", brokenStatus.path("status").asText());
        assertTrue(brokenStatus.path("error").asText().contains("[768]"), brokenStatus.toString());

        // The default model still works, and the new one gives exactly the in-process vectors.
        String text = "Vaccines train the immune system to recognise pathogens.";
        JsonNode encoded = RealNode.client().sendOk("POST", "/_dense/models/minilm/_encode",
            "{\"texts\":[" + ClusterClient.jsonString(text) + "],\"role\":\"passage\"}");
        try (TextEncoder local = TextEncoder.open(RealNode.MODELS.resolve("all-minilm-l6-v2"))) {
            float[] expected = local.encodePassages(List.of(text))[0];
            JsonNode actual = encoded.path("vectors").get(0);
            assertEquals(expected.length, actual.size());
            for (int i = 0; i < expected.length; i++) {
                assertEquals(expected[i], actual.get(i).floatValue(), 1e-4, "component " + i);
            }
        }
        ClusterClient.Answer usingBroken = RealNode.client().send("POST", "/_dense/models/broken/_encode", "{\"texts\":[\"x\"]}");
        assertEquals(409, usingBroken.status(), usingBroken.body().toString());
        assertTrue(RealNode.client().sendOk("POST", "/_dense/models/bge-small-en-v1.5/_encode", "{\"texts\":[\"x\"]}")
            .path("vectors").get(0).size() == 384);
    }
}
