package io.github.denseretrieval.it;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.HashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Bad input gets a clear 4xx naming the problem, and nothing else is lost. */
@ExtendWith(RealNode.class)
class BadInputIT {

    private static ClusterClient es;

    @BeforeAll
    static void setUp() throws Exception {
        es = RealNode.client();
        es.sendOk("PUT", "/_ingest/pipeline/bad-input-test",
            "{\"processors\":[{\"dense_encode\":{\"field\":\"text\",\"target_field\":\"text_vector\"}}]}");
        es.send("DELETE", "/bad-input", null);
        es.sendOk("PUT", "/bad-input", "{\"settings\":{\"number_of_replicas\":0},\"mappings\":{\"properties\":{\"text\":{\"type\":\"text\"},"
            + "\"text_vector\":{\"type\":\"dense_vector\",\"dims\":384,\"similarity\":\"dot_product\"}}}}");
    }

    private static void assertClientError(ClusterClient.Answer a, int status, String... mustMention) {
        assertEquals(status, a.status(), a.body().toString());
        String text = a.body().toString();
        for (String m : mustMention) {
            assertTrue(text.contains(m), "error should mention [" + m + "]: " + text);
        }
    }

    @Test
    void unknownModelInPipelineIsAcceptedAndItsDocumentsFailWith404NamingIt() throws Exception {
        // A model folder may be copied after the pipeline is made (PipelineHealingIT): the document fails, not the pipeline.
        es.sendOk("PUT", "/_ingest/pipeline/unknown-model",
            "{\"processors\":[{\"dense_encode\":{\"model_id\":\"no-such-model\",\"field\":\"text\",\"target_field\":\"text_vector\"}}]}");
        assertClientError(es.send("PUT", "/bad-input/_doc/unknown-model?pipeline=unknown-model", "{\"text\":\"some passage\"}"),
            404, "no-such-model");
    }

    @Test
    void pipelineWithoutFieldIsA400() throws Exception {
        assertClientError(es.send("PUT", "/_ingest/pipeline/no-field", "{\"processors\":[{\"dense_encode\":{}}]}"), 400, "field");
    }

    @Test
    void badBulkItemsFailAloneAndTheOthersAreIndexed() throws Exception {
        String bulk = String.join("\n",
            "{\"index\":{\"_id\":\"good-1\"}}", "{\"text\":\"Aspirin reduces the risk of colorectal cancer.\"}",
            "{\"index\":{\"_id\":\"missing\"}}", "{\"title\":\"no text field\"}",
            "{\"index\":{\"_id\":\"empty\"}}", "{\"text\":\"   \"}",
            "{\"index\":{\"_id\":\"number\"}}", "{\"text\":42}",
            "{\"index\":{\"_id\":\"good-2\"}}", "{\"text\":\"Exercise improves insulin sensitivity.\"}", "");
        JsonNode r = es.sendOk("POST", "/bad-input/_bulk?pipeline=bad-input-test&refresh=true", bulk);
        Map<String, JsonNode> items = new HashMap<>();
        r.path("items").forEach(i -> items.put(i.path("index").path("_id").asText(), i.path("index")));
        assertEquals(201, items.get("good-1").path("status").asInt());
        assertEquals(201, items.get("good-2").path("status").asInt());
        assertEquals(400, items.get("missing").path("status").asInt());
        assertTrue(items.get("missing").path("error").path("reason").asText().contains("[text] is missing"), items.get("missing").toString());
        assertEquals(400, items.get("empty").path("status").asInt());
        assertTrue(items.get("empty").path("error").path("reason").asText().contains("no text"), items.get("empty").toString());
        assertEquals(400, items.get("number").path("status").asInt());
        assertTrue(items.get("number").path("error").path("reason").asText().contains("Integer"), items.get("number").toString());
        JsonNode good = es.sendOk("GET", "/bad-input/_doc/good-1", null);
        assertEquals(384, good.path("_source").path("text_vector").size());
    }

    @Test
    void ignoreMissingLetsDocumentsWithoutTheFieldThrough() throws Exception {
        es.sendOk("PUT", "/_ingest/pipeline/ignore-missing",
            "{\"processors\":[{\"dense_encode\":{\"field\":\"text\",\"target_field\":\"text_vector\",\"ignore_missing\":true}}]}");
        JsonNode r = es.sendOk("POST", "/bad-input/_doc/no-text?pipeline=ignore-missing&refresh=true", "{\"title\":\"only a title\"}");
        assertEquals("created", r.path("result").asText());
        assertTrue(es.sendOk("GET", "/bad-input/_doc/no-text", null).path("_source").path("text_vector").isMissingNode());
    }

    @Test
    void vectorDimensionsThatDisagreeWithTheMappingFailTheItemNamingBoth() throws Exception {
        es.send("DELETE", "/bad-dims", null);
        es.sendOk("PUT", "/bad-dims", "{\"settings\":{\"number_of_replicas\":0},\"mappings\":{\"properties\":{\"text\":{\"type\":\"text\"},"
            + "\"text_vector\":{\"type\":\"dense_vector\",\"dims\":768,\"similarity\":\"dot_product\"}}}}");
        ClusterClient.Answer a = es.send("POST", "/bad-dims/_doc/x?pipeline=bad-input-test", "{\"text\":\"some passage\"}");
        assertClientError(a, 400, "768", "384");
    }

    @Test
    void denseQueryErrorsNameTheProblem() throws Exception {
        assertClientError(es.send("POST", "/bad-input/_search", "{\"query\":{\"dense\":{\"field\":\"text_vector\",\"query\":\"\"}}}"),
            400, "query");
        assertClientError(es.send("POST", "/bad-input/_search",
            "{\"query\":{\"dense\":{\"field\":\"text_vector\",\"query\":\"x\",\"k\":10,\"num_candidates\":5}}}"), 400, "num_candidates");
        assertClientError(es.send("POST", "/bad-input/_search",
            "{\"query\":{\"dense\":{\"field\":\"text_vector\",\"query\":\"x\",\"model_id\":\"no-such-model\"}}}"), 404, "no-such-model");
    }

    @Test
    void malformedHybridRetrieversAreA400() throws Exception {
        String bm25 = "{\"standard\":{\"query\":{\"match\":{\"text\":\"cancer\"}}}}";
        String dense = "{\"standard\":{\"query\":{\"dense\":{\"field\":\"text_vector\",\"query\":\"cancer\"}}}}";
        assertClientError(es.send("POST", "/bad-input/_search",
            "{\"retriever\":{\"hybrid\":{\"retrievers\":[" + bm25 + "," + dense + "],\"fusion\":\"borda\"}}}"), 400, "borda", "rrf, linear");
        assertClientError(es.send("POST", "/bad-input/_search",
            "{\"retriever\":{\"hybrid_rrf\":{\"retrievers\":[" + bm25 + "]}}}"), 400, "between 2 and 10");
        assertClientError(es.send("POST", "/bad-input/_search",
            "{\"retriever\":{\"hybrid_linear\":{\"retrievers\":[{\"retriever\":" + bm25 + ",\"weight\":-1},{\"retriever\":" + dense
                + "}]}}}"), 400, "[weight]");
        assertClientError(es.send("POST", "/bad-input/_search",
            "{\"retriever\":{\"hybrid_linear\":{\"retrievers\":[{\"retriever\":" + bm25 + "},{\"retriever\":" + dense
                + "}],\"normalizer\":\"softmax\"}}}"), 400, "softmax");
    }

    @Test
    void encodeApiRejectsEmptyTextAndUnknownModels() throws Exception {
        assertClientError(es.send("POST", "/_dense/models/bge-small-en-v1.5/_encode", "{\"texts\":[\"ok\", \"\"]}"), 400, "position [1]");
        assertClientError(es.send("POST", "/_dense/models/nope/_encode", "{\"texts\":[\"ok\"]}"), 404, "nope");
        assertClientError(es.send("POST", "/_dense/models/bge-small-en-v1.5/_encode", "{\"texts\":[\"ok\"],\"role\":\"both\"}"), 400, "role");
        assertClientError(es.send("GET", "/_dense/models/nope", null), 404, "nope");
    }
}
