package io.github.denseretrieval.it;

import com.fasterxml.jackson.databind.JsonNode;
import io.github.denseretrieval.trainer.export.ModelFolderExport;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The optional TensorFlow engine in a real node: the plugin with {@code plugin/tensorflow}'s jars
 * added, as an operator adds them, serves the trainer's SavedModel export of the bundled model next
 * to the ONNX original; both index the same passages and rank the same questions the same way.
 */
class TensorFlowOnRealNodeIT {

    private static final String ONNX = "bge-small-en-v1.5";
    private static final String TF = "bge-small-tf";
    private static final int PASSAGES = 120;
    private static final int QUESTIONS = 20;

    private static ElasticsearchNode node;
    private static ClusterClient client;
    private static Path savedModel;

    @BeforeAll
    static void startNodeWithTensorFlow() throws Exception {
        savedModel = Files.createTempDirectory("bge-small-tf").resolve(TF);
        ModelFolderExport.toTensorFlow(RealNode.MODELS.resolve(ONNX), savedModel);
        Path work = ElasticsearchNode.isRoot() ? Path.of("/tmp/dense-retrieval-it-tf") : Path.of("target/es-it-tf");
        node = ElasticsearchNode.start(new ElasticsearchNode.Options(Path.of(System.getProperty("es.distribution.zip")),
            Path.of(System.getProperty("plugin.zip")), work, 0, "1g", true).withPluginJars(Path.of(System.getProperty("tensorflow.jars"))));
        client = new ClusterClient(node.url());
    }

    @AfterAll
    static void stop() throws Exception {
        if (client != null) {
            client.close();
        }
        if (node != null) {
            node.close();
        }
    }

    @Test
    void aSavedModelServesTheSameVectorsAndRankingAsItsOnnxTwin() throws Exception {
        node.installModel(TF, savedModel);
        client.sendOk("POST", "/_dense/models/_reload", null);
        JsonNode status = client.sendOk("GET", "/_dense/models/" + TF, null).path("nodes").elements().next().path("models").get(0);
        assertEquals("loaded", status.path("status").asText(), status.toString());
        assertEquals("tensorflow", status.path("manifest").path("engine").asText(), status.toString());

        List<Passages.Passage> passages = Passages.fullAbstracts(PASSAGES, "tf");
        PassageIndex onnx = ingest("passages-onnx", ONNX, passages);
        PassageIndex tf = ingest("passages-tf", TF, passages);
        PassageIndex.VectorCheck tfVsInProcess = tf.compareWithInProcess(passages, savedModel);
        PassageIndex.VectorCheck onnxVsInProcess = onnx.compareWithInProcess(passages, RealNode.MODELS.resolve(ONNX));
        System.out.println("[tensorflow] node TF vs in-process TF: " + tfVsInProcess + "; node ONNX vs in-process ONNX: " + onnxVsInProcess);
        assertTrue(tfVsInProcess.allEqual(), tfVsInProcess.toString());
        assertTrue(onnxVsInProcess.allEqual(), onnxVsInProcess.toString());

        // The passages' titles as questions: each engine's dense query, top 10, the same order.
        int sameTop10 = 0;
        double maxScoreDiff = 0;
        List<String> differences = new ArrayList<>();
        for (Passages.Passage question : passages.subList(0, QUESTIONS)) {
            List<JsonNode> a = hits(onnx.name(), ONNX, question.title());
            List<JsonNode> b = hits(tf.name(), TF, question.title());
            List<String> idsA = a.stream().map(h -> h.path("_id").asText()).toList();
            List<String> idsB = b.stream().map(h -> h.path("_id").asText()).toList();
            if (idsA.equals(idsB)) {
                sameTop10++;
                for (int i = 0; i < a.size(); i++) {
                    maxScoreDiff = Math.max(maxScoreDiff, Math.abs(a.get(i).path("_score").asDouble() - b.get(i).path("_score").asDouble()));
                }
            } else {
                differences.add(question.title() + ": " + idsA + " vs " + idsB);
            }
        }
        System.out.printf(Locale.ROOT, "[tensorflow] %d of %d questions: the same top 10 on both engines; max |score diff| %.2e%n", sameTop10,
            QUESTIONS, maxScoreDiff);
        assertEquals(QUESTIONS, sameTop10, String.join("\n", differences));
        assertTrue(maxScoreDiff < 1e-4, "score difference " + maxScoreDiff);
    }

    private static PassageIndex ingest(String name, String model, List<Passages.Passage> passages) throws Exception {
        PassageIndex index = PassageIndex.create(client, name, model, 1, 0);
        StringBuilder bulk = new StringBuilder();
        passages.forEach(p -> p.appendBulk(bulk));
        JsonNode response = client.sendOk("POST", "/" + name + "/_bulk?refresh=true", bulk.toString());
        assertTrue(!response.path("errors").asBoolean(), response.toString().substring(0, Math.min(1000, response.toString().length())));
        assertEquals(passages.size(), index.countWithVector(), "every passage of " + name + " must have a vector");
        return index;
    }

    private static List<JsonNode> hits(String index, String model, String question) throws Exception {
        String body = "{\"size\":10,\"_source\":false,\"query\":{\"dense\":{\"field\":\"text_vector\",\"query\":"
            + ClusterClient.jsonString(question) + ",\"model_id\":" + ClusterClient.jsonString(model) + ",\"k\":10,\"num_candidates\":200}}}";
        List<JsonNode> out = new ArrayList<>();
        client.sendOk("POST", "/" + index + "/_search", body).path("hits").path("hits").forEach(out::add);
        return out;
    }
}
