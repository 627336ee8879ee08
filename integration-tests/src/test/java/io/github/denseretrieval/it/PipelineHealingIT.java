package io.github.denseretrieval.it;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A pipeline may name a model that is not on the node yet (the operator copies its folder
 * later): the pipeline is accepted; until the model is there, a document through it fails with
 * 404 naming the model and the node; once the folder is copied and the models are reloaded, the
 * same document is indexed with its vector, with no change to the pipeline.
 */
@ExtendWith(RealNode.class)
class PipelineHealingIT {

    private static final String MODEL = "late-model";
    private static final String PIPELINE = "late-model-pipeline";
    private static final String INDEX = "late-model-test";
    private static final String DOCUMENT = "{\"text\":\"Aspirin reduces the risk of colorectal cancer.\"}";

    @Test
    void aPipelineForAModelCopiedLaterWorksAfterReload() throws Exception {
        ClusterClient es = RealNode.client();
        Path folder = RealNode.node().configDir().resolve("dense-retrieval/models").resolve(MODEL);
        if (Files.exists(folder)) {
            ElasticsearchNode.deleteRecursively(folder);
            es.sendOk("POST", "/_dense/models/_reload", null);
        }
        ClusterClient.Answer put = es.send("PUT", "/_ingest/pipeline/" + PIPELINE,
            "{\"processors\":[{\"dense_encode\":{\"model_id\":\"" + MODEL + "\",\"field\":\"text\",\"target_field\":\"text_vector\"}}]}");
        assertEquals(200, put.status(), "a pipeline naming a model that is not there yet is accepted: " + put.body());
        es.send("DELETE", "/" + INDEX, null);
        es.sendOk("PUT", "/" + INDEX, "{\"settings\":{\"number_of_replicas\":0},\"mappings\":{\"properties\":{\"text\":{\"type\":\"text\"},"
            + "\"text_vector\":{\"type\":\"dense_vector\",\"dims\":384,\"similarity\":\"dot_product\",\"index\":true}}}}");

        String nodeName = es.sendOk("GET", "/_nodes/_local", null).path("nodes").elements().next().path("name").asText();
        ClusterClient.Answer before = es.send("PUT", "/" + INDEX + "/_doc/1?pipeline=" + PIPELINE + "&refresh=true", DOCUMENT);
        assertEquals(404, before.status(), before.body().toString());
        String reason = before.body().path("error").path("reason").asText();
        assertTrue(reason.contains(MODEL), "the reason should name the model [" + MODEL + "]: " + before.body());
        assertTrue(reason.contains(nodeName), "the reason should name the node [" + nodeName + "]: " + before.body());

        Files.createDirectories(folder);
        for (String f : List.of("model.json", "tokenizer.json", "model.onnx")) {
            Files.copy(RealNode.MODELS.resolve("all-minilm-l6-v2").resolve(f), folder.resolve(f));
        }
        RealNode.node().handToNodeUser(folder);
        es.sendOk("POST", "/_dense/models/_reload", null);

        ClusterClient.Answer after = es.send("PUT", "/" + INDEX + "/_doc/1?pipeline=" + PIPELINE + "&refresh=true", DOCUMENT);
        assertEquals(201, after.status(), after.body().toString());
        JsonNode doc = es.sendOk("GET", "/" + INDEX + "/_doc/1", null);
        assertEquals(384, doc.path("_source").path("text_vector").size(), doc.toString());
    }

    @AfterAll
    static void removeModel() throws Exception {
        RealNode.removeTestArtifacts(INDEX, PIPELINE, MODEL);
    }
}
