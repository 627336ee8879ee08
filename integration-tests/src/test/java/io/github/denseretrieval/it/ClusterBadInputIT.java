package io.github.denseretrieval.it;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Bad input with canaries, on a three-node cluster: every bad document, pipeline, query and
 * {@code _encode} request of the README's error tables is sent between good ones (a canary
 * document through the same node after a bad document or pipeline, a canary {@code dense} search
 * after a bad query or request). Each bad one gets the README's 4xx naming the problem, never a
 * 5xx; every canary is indexed with its vector or answered with hits. Reduced: each bad input on
 * one node (in turn); full: each on every node.
 */
@ExtendWith(SecuredCluster.class)
class ClusterBadInputIT {

    private static final String INDEX = "cluster-bad-input";
    private static final String DIMS_INDEX = "cluster-bad-dims";
    private static final String UNKNOWN_MODEL_INDEX = "cluster-bad-model";
    private static final String MODEL = SecuredCluster.MODEL;
    private static final String GOOD_QUESTION = "vaccines and the immune system";
    /** {@code {node}} in an expected mention is replaced by the name of the node the request went to. */
    private static final String NODE = "{node}";

    /** Where the answer's status and error are: the whole answer, or the first item of a bulk answer. */
    private enum Answer { WHOLE, FIRST_ITEM }

    /** A bad request and what the README says it gets. */
    private record BadInput(String what, String method, String path, String body, Answer answer, int status, List<String> mentions) {}

    private static int canaries;
    private static final List<String> CANARY_DOCUMENTS = new ArrayList<>();

    @BeforeAll
    static void createIndices() throws IOException {
        ClusterClient admin = SecuredCluster.cluster().admin();
        PassageIndex.create(admin, INDEX, MODEL, 3, 1);
        String pipeline = PassageIndex.putPipeline(admin, MODEL);
        admin.send("DELETE", "/" + DIMS_INDEX, null);
        admin.sendOk("PUT", "/" + DIMS_INDEX + "?wait_for_active_shards=all", "{\"settings\":{\"number_of_replicas\":1,\"index.default_pipeline\":\""
            + pipeline + "\"},\"mappings\":{\"properties\":{\"title\":{\"type\":\"text\"},\"text\":{\"type\":\"text\"},"
            + "\"text_vector\":{\"type\":\"dense_vector\",\"dims\":768,\"similarity\":\"dot_product\"}}}}");
        admin.sendOk("PUT", "/_ingest/pipeline/no-such-model-pipeline",
            "{\"processors\":[{\"dense_encode\":{\"model_id\":\"no-such-model\",\"field\":[\"title\",\"text\"],\"target_field\":\"text_vector\"}}]}");
        admin.send("DELETE", "/" + UNKNOWN_MODEL_INDEX, null);
        admin.sendOk("PUT", "/" + UNKNOWN_MODEL_INDEX + "?wait_for_active_shards=all",
            "{\"settings\":{\"number_of_replicas\":1,\"index.default_pipeline\":\"no-such-model-pipeline\"}}");
        // Something for the canary searches to find.
        StringBuilder seed = new StringBuilder();
        Passages.shortOnes(30, "bad-input-seed").forEach(p -> p.appendBulk(seed));
        JsonNode seeded = admin.sendOk("POST", "/" + INDEX + "/_bulk?refresh=true", seed.toString());
        assertTrue(!seeded.path("errors").asBoolean(), seeded.toString());
    }

    @AfterAll
    static void deleteIndices() throws IOException {
        if (SecuredCluster.cluster() == null) {
            return;
        }
        ClusterClient admin = SecuredCluster.cluster().admin();
        for (String index : List.of(INDEX, DIMS_INDEX, UNKNOWN_MODEL_INDEX)) {
            admin.send("DELETE", "/" + index, null);
        }
        admin.send("DELETE", "/_ingest/pipeline/no-such-model-pipeline", null);
        admin.send("DELETE", "/_ingest/pipeline/bad-input-*", null);
        admin.send("POST", "/_aliases", "{\"actions\":[{\"remove\":{\"index\":\"" + INDEX + "\",\"alias\":\"dense-filtered\"}}]}");
    }

    private static String doc(String source) {
        return "{\"index\":{}}\n" + source + "\n";
    }

    private static String pipeline(String processorOptions) {
        return "{\"processors\":[{\"dense_encode\":" + processorOptions + "}]}";
    }

    private static String dense(String options) {
        return "{\"query\":{\"dense\":" + options + "}}";
    }

    private static String knn(String builderOptions) {
        return "{\"knn\":{\"field\":\"text_vector\",\"k\":5,\"num_candidates\":20,\"query_vector_builder\":{\"dense_encode\":" + builderOptions + "}}}";
    }

    private static final String BM25 = "{\"standard\":{\"query\":{\"match\":{\"text\":\"cancer\"}}}}";
    private static final String DENSE_CHILD = "{\"standard\":{\"query\":{\"dense\":{\"field\":\"text_vector\",\"query\":\"cancer\",\"model_id\":\""
        + MODEL + "\"}}}}";

    private static String linear(String entries, String options) {
        return "{\"retriever\":{\"hybrid_linear\":{\"retrievers\":[" + entries + "]" + options + "}}}";
    }

    private static String rrf(String retrievers, String options) {
        return "{\"retriever\":{\"hybrid_rrf\":{\"retrievers\":[" + retrievers + "]" + options + "}}}";
    }

    /** A {@code hybrid_linear} entry. */
    private static String entry(String retriever, String options) {
        return "{\"retriever\":" + retriever + options + "}";
    }

    /** A fusion retriever nested {@code depth} levels deep. */
    private static String nested(int depth) {
        String inner = "{\"hybrid_rrf\":{\"retrievers\":[" + BM25 + "," + DENSE_CHILD + "]}}";
        for (int d = 1; d < depth; d++) {
            inner = "{\"hybrid_rrf\":{\"retrievers\":[" + BM25 + "," + inner + "]}}";
        }
        return "{\"retriever\":" + inner + "}";
    }

    /** The README's error tables, row by row. */
    static List<BadInput> badInputs() {
        String search = "/" + INDEX + "/_search";
        String bulk = "/" + INDEX + "/_bulk";
        String encode = "/_dense/models/" + MODEL + "/_encode";
        String longQuestion = "a".repeat(1_000_001);
        String manyTexts = IntStream.range(0, 257).mapToObj(i -> "\"t\"").collect(Collectors.joining(",", "[", "]"));
        List<BadInput> out = new ArrayList<>(List.of(
            // dense_encode processor: documents
            new BadInput("document without [text]", "POST", bulk, doc("{\"title\":\"only a title\"}"), Answer.FIRST_ITEM, 400, List.of("[text]", "missing")),
            new BadInput("document with [text] null", "POST", bulk, doc("{\"title\":\"t\",\"text\":null}"), Answer.FIRST_ITEM, 400, List.of("[text]")),
            new BadInput("document with [text] a number", "POST", bulk, doc("{\"title\":\"t\",\"text\":42}"), Answer.FIRST_ITEM, 400, List.of("[text]", "Integer")),
            new BadInput("document with [text] an object", "POST", bulk, doc("{\"title\":\"t\",\"text\":{\"a\":\"b\"}}"), Answer.FIRST_ITEM, 400, List.of("[text]")),
            new BadInput("document with [text] a list", "POST", bulk, doc("{\"title\":\"t\",\"text\":[\"a\",\"b\"]}"), Answer.FIRST_ITEM, 400, List.of("[text]")),
            new BadInput("document with blank title and text", "POST", bulk, doc("{\"title\":\" \",\"text\":\"  \"}"), Answer.FIRST_ITEM, 400, List.of("no text")),
            new BadInput("document into a 768-dims mapping (the model gives 384)", "POST", "/" + DIMS_INDEX + "/_bulk",
                doc("{\"title\":\"t\",\"text\":\"a passage\"}"), Answer.FIRST_ITEM, 400, List.of("768", "384")),
            new BadInput("document through a pipeline of a model no node serves", "POST", "/" + UNKNOWN_MODEL_INDEX + "/_bulk",
                doc("{\"title\":\"t\",\"text\":\"a passage\"}"), Answer.FIRST_ITEM, 404, List.of("no-such-model", NODE)),
            // dense_encode processor: pipeline options
            new BadInput("pipeline without [field]", "PUT", "/_ingest/pipeline/bad-input-1", pipeline("{}"), Answer.WHOLE, 400, List.of("field")),
            new BadInput("pipeline with an empty [field]", "PUT", "/_ingest/pipeline/bad-input-2", pipeline("{\"field\":\"\"}"), Answer.WHOLE, 400, List.of("field")),
            new BadInput("pipeline with an empty [target_field]", "PUT", "/_ingest/pipeline/bad-input-3",
                pipeline("{\"field\":\"text\",\"target_field\":\"\"}"), Answer.WHOLE, 400, List.of("target_field")),
            new BadInput("pipeline of two fields without [target_field]", "PUT", "/_ingest/pipeline/bad-input-4",
                pipeline("{\"field\":[\"title\",\"text\"]}"), Answer.WHOLE, 400, List.of("target_field")),
            new BadInput("pipeline with an empty [model_id]", "PUT", "/_ingest/pipeline/bad-input-5",
                pipeline("{\"field\":\"text\",\"model_id\":\"\"}"), Answer.WHOLE, 400, List.of("model_id")),
            new BadInput("pipeline with [ignore_missing] not a boolean", "PUT", "/_ingest/pipeline/bad-input-6",
                pipeline("{\"field\":\"text\",\"ignore_missing\":\"maybe\"}"), Answer.WHOLE, 400, List.of("ignore_missing")),
            new BadInput("pipeline with [separator] not a string", "PUT", "/_ingest/pipeline/bad-input-7",
                pipeline("{\"field\":\"text\",\"separator\":5}"), Answer.WHOLE, 400, List.of("separator")),
            // dense query
            new BadInput("dense with an empty [field]", "POST", search, dense("{\"field\":\"\",\"query\":\"x\"}"), Answer.WHOLE, 400, List.of("field")),
            new BadInput("dense with an empty [query]", "POST", search, dense("{\"field\":\"text_vector\",\"query\":\"\"}"), Answer.WHOLE, 400, List.of("query")),
            new BadInput("dense with an empty [model_id]", "POST", search, dense("{\"field\":\"text_vector\",\"query\":\"x\",\"model_id\":\"\"}"),
                Answer.WHOLE, 400, List.of("model_id")),
            new BadInput("dense with [k] 0", "POST", search, dense("{\"field\":\"text_vector\",\"query\":\"x\",\"k\":0}"), Answer.WHOLE, 400, List.of("[k]")),
            new BadInput("dense with [k] 10001", "POST", search, dense("{\"field\":\"text_vector\",\"query\":\"x\",\"k\":10001}"), Answer.WHOLE, 400, List.of("[k]")),
            new BadInput("dense with [num_candidates] below [k]", "POST", search,
                dense("{\"field\":\"text_vector\",\"query\":\"x\",\"k\":10,\"num_candidates\":5}"), Answer.WHOLE, 400, List.of("num_candidates")),
            new BadInput("dense with [num_candidates] 10001", "POST", search,
                dense("{\"field\":\"text_vector\",\"query\":\"x\",\"k\":10,\"num_candidates\":10001}"), Answer.WHOLE, 400, List.of("num_candidates")),
            new BadInput("dense with a model no node serves", "POST", search,
                dense("{\"field\":\"text_vector\",\"query\":\"x\",\"model_id\":\"no-such-model\"}"), Answer.WHOLE, 404, List.of("no-such-model", NODE)),
            new BadInput("dense with a question over [dense_retrieval.encode.max_chars]", "POST", search,
                dense("{\"field\":\"text_vector\",\"query\":\"" + longQuestion + "\",\"model_id\":\"" + MODEL + "\"}"), Answer.WHOLE, 400,
                List.of("max_chars")),
            // dense_encode query vector builder
            new BadInput("knn dense_encode with an empty [text]", "POST", search, knn("{\"model_id\":\"" + MODEL + "\",\"text\":\"\"}"), Answer.WHOLE,
                400, List.of("text")),
            new BadInput("knn dense_encode without [text]", "POST", search, knn("{\"model_id\":\"" + MODEL + "\"}"), Answer.WHOLE, 400, List.of("text")),
            new BadInput("knn dense_encode with a model no node serves", "POST", search, knn("{\"model_id\":\"no-such-model\",\"text\":\"x\"}"),
                Answer.WHOLE, 404, List.of("no-such-model", NODE)),
            // fusion retrievers
            new BadInput("hybrid_linear with [normalizer] softmax", "POST", search,
                linear(entry(BM25, "") + "," + entry(DENSE_CHILD, ""), ",\"normalizer\":\"softmax\""), Answer.WHOLE, 400,
                List.of("softmax", "z_score")),
            new BadInput("hybrid_rrf with one retriever", "POST", search, rrf(BM25, ""), Answer.WHOLE, 400, List.of("between 2 and 10")),
            new BadInput("hybrid_rrf with eleven retrievers", "POST", search, rrf(String.join(",", Collections.nCopies(11, BM25)), ""),
                Answer.WHOLE, 400, List.of("between 2 and 10")),
            new BadInput("hybrid_linear with a negative weight", "POST", search,
                linear(entry(BM25, ",\"weight\":-1.0") + "," + entry(DENSE_CHILD, ""), ""), Answer.WHOLE, 400, List.of("[weight]")),
            new BadInput("hybrid_linear with every weight 0", "POST", search,
                linear(entry(BM25, ",\"weight\":0") + "," + entry(DENSE_CHILD, ",\"weight\":0"), ""), Answer.WHOLE, 400, List.of("[weight]")),
            new BadInput("hybrid_rrf with a [normalizer]", "POST", search,
                rrf(entry(BM25, ",\"normalizer\":\"minmax\"") + "," + DENSE_CHILD, ""), Answer.WHOLE, 400, List.of("[normalizer]")),
            new BadInput("hybrid_linear with [rank_window_size] 0", "POST", search,
                linear(entry(BM25, "") + "," + entry(DENSE_CHILD, ""), ",\"rank_window_size\":0"), Answer.WHOLE, 400, List.of("rank_window_size")),
            new BadInput("hybrid_rrf with [rank_window_size] 10001", "POST", search, rrf(BM25 + "," + DENSE_CHILD, ",\"rank_window_size\":10001"),
                Answer.WHOLE, 400, List.of("rank_window_size")),
            new BadInput("hybrid_rrf with [rank_constant] 0", "POST", search, rrf(BM25 + "," + DENSE_CHILD, ",\"rank_constant\":0"), Answer.WHOLE,
                400, List.of("rank_constant")),
            new BadInput("hybrid_linear with an unknown option", "POST", search,
                linear(entry(BM25, "") + "," + entry(DENSE_CHILD, ""), ",\"fusion\":\"linear\""), Answer.WHOLE, 400, List.of("fusion")),
            new BadInput("deprecated hybrid with [fusion] borda", "POST", search,
                "{\"retriever\":{\"hybrid\":{\"retrievers\":[" + BM25 + "," + DENSE_CHILD + "],\"fusion\":\"borda\"}}}", Answer.WHOLE, 400,
                List.of("borda", "rrf, linear")),
            new BadInput("hybrid nested 4 levels deep", "POST", search, nested(4), Answer.WHOLE, 400, List.of("nested")),
            // _encode API and models API
            new BadInput("_encode with an empty text", "POST", encode, "{\"texts\":[\"ok\",\"\"]}", Answer.WHOLE, 400, List.of("position [1]")),
            new BadInput("_encode without [texts]", "POST", encode, "{\"role\":\"query\"}", Answer.WHOLE, 400, List.of("texts")),
            new BadInput("_encode with [role] both", "POST", encode, "{\"texts\":[\"ok\"],\"role\":\"both\"}", Answer.WHOLE, 400, List.of("role")),
            new BadInput("_encode with 257 texts", "POST", encode, "{\"texts\":" + manyTexts + "}", Answer.WHOLE, 400, List.of("max_texts")),
            new BadInput("_encode over [dense_retrieval.encode.max_chars]", "POST", encode, "{\"texts\":[\"" + longQuestion + "\"]}", Answer.WHOLE,
                400, List.of("max_chars")),
            new BadInput("_encode of a model no node serves", "POST", "/_dense/models/no-such-model/_encode", "{\"texts\":[\"ok\"]}", Answer.WHOLE,
                404, List.of("no-such-model")),
            new BadInput("GET _dense/models of a model no node serves", "GET", "/_dense/models/no-such-model", null, Answer.WHOLE, 404,
                List.of("no-such-model"))));
        return out;
    }

    @Test
    void everyBadInputGetsItsFourHundredAndEveryCanaryBetweenThemSucceeds() throws Exception {
        ElasticsearchCluster cluster = SecuredCluster.cluster();
        List<BadInput> inputs = badInputs();
        List<String> wrong = new ArrayList<>();
        List<String> canaryFailures = new ArrayList<>();
        StatusCounts badStatuses = new StatusCounts();
        int sent = 0;
        for (int i = 0; i < inputs.size(); i++) {
            BadInput bad = inputs.get(i);
            List<ElasticsearchNode> targets = SecuredCluster.FULL ? cluster.nodes() : List.of(cluster.node(i % SecuredCluster.NODES));
            for (ElasticsearchNode node : targets) {
                ClusterClient client = cluster.admin(node);
                sent++;
                ClusterClient.Answer a = client.send(bad.method(), bad.path(), bad.body());
                JsonNode error = bad.answer() == Answer.FIRST_ITEM ? a.body().path("items").path(0).path("index") : a.body();
                int status = bad.answer() == Answer.FIRST_ITEM && a.ok() ? error.path("status").asInt() : a.status();
                badStatuses.add(status);
                String text = error.toString();
                String shown = bad.what() + " via " + node.name() + " answered " + status + ": " + (text.length() > 400 ? text.substring(0, 400) + "..." : text);
                if (status != bad.status()) {
                    wrong.add("expected " + bad.status() + ": " + shown);
                } else {
                    for (String m : bad.mentions()) {
                        String mention = m.equals(NODE) ? node.name() : m;
                        if (!text.contains(mention)) {
                            wrong.add("should mention [" + mention + "]: " + shown);
                        }
                    }
                }
                String canary = bad.path().endsWith("_bulk") || bad.path().startsWith("/_ingest") ? canaryDocument(client) : canarySearch(client);
                if (canary != null) {
                    canaryFailures.add("after [" + bad.what() + "] via " + node.name() + ": " + canary);
                }
            }
        }
        String alias = denseInAnAliasFilter(cluster.admin(cluster.node(0)));
        String aliasCanary = canarySearch(cluster.admin(cluster.node(0)));
        if (aliasCanary != null) {
            canaryFailures.add("after the alias filter: " + aliasCanary);
        }
        ClusterClient admin = cluster.admin();
        admin.sendOk("POST", "/" + INDEX + "/_refresh", null);
        String ids = CANARY_DOCUMENTS.stream().map(ClusterClient::jsonString).collect(Collectors.joining(","));
        long canaryDocs = admin.sendOk("POST", "/" + INDEX + "/_count", "{\"query\":{\"bool\":{\"filter\":[{\"ids\":{\"values\":[" + ids
            + "]}},{\"exists\":{\"field\":\"text_vector\"}}]}}}").path("count").asLong();
        System.out.printf(Locale.ROOT, "[cluster] bad input (%s): %d bad inputs (%d kinds) answered %s, %d not as the README says; dense in an "
                + "alias filter: %s; canaries %d sent, %d failed, %d canary documents indexed with a vector%n", SecuredCluster.FULL ? "full" : "reduced",
            sent, inputs.size(), badStatuses, wrong.size(), alias, canaries, canaryFailures.size(), canaryDocs);
        wrong.forEach(w -> System.out.println("[cluster] bad input not as documented: " + w));

        assertEquals(0, badStatuses.asMap().keySet().stream().filter(s -> s.startsWith("5")).count(), "a bad input got a 5xx: " + badStatuses + " "
            + wrong);
        assertEquals(List.of(), canaryFailures, "every canary between the bad inputs succeeds");
        assertEquals(List.of(), wrong, "every bad input gets the README's status and names the problem");
        assertTrue(alias.startsWith("400"), "a dense query in an alias filter is a 400: " + alias);
        assertEquals(CANARY_DOCUMENTS.size(), canaryDocs, "canary documents in the index with a vector");
    }

    /**
     * A {@code dense} query as an alias filter: its question cannot be encoded before the shards
     * run, so the alias is refused or a search through it is a 400. Returns what happened.
     */
    private static String denseInAnAliasFilter(ClusterClient admin) throws IOException {
        ClusterClient.Answer put = admin.send("POST", "/_aliases", "{\"actions\":[{\"add\":{\"index\":\"" + INDEX + "\",\"alias\":\"dense-filtered\","
            + "\"filter\":{\"dense\":{\"field\":\"text_vector\",\"query\":\"x\",\"model_id\":\"" + MODEL + "\"}}}}]}");
        if (!put.ok()) {
            return put.status() + " at alias creation: " + put.body().path("error").path("reason").asText();
        }
        ClusterClient.Answer search = admin.send("POST", "/dense-filtered/_search", "{\"query\":{\"match_all\":{}}}");
        return search.status() + " at a search through the alias (the alias was accepted): " + search.body().path("error").path("reason").asText();
    }

    /** Indexes one good document through {@code client}; null when it is indexed with its vector, else what went wrong. */
    private static String canaryDocument(ClusterClient client) throws IOException {
        String id = "canary-" + (++canaries);
        CANARY_DOCUMENTS.add(id);
        ClusterClient.Answer a = client.send("PUT", "/" + INDEX + "/_doc/" + id,
            "{\"title\":\"Canary " + canaries + "\",\"text\":\"Vaccination trains the immune system against infection.\"}");
        if (a.status() != 201) {
            return "canary document answered " + a.status() + ": " + a.body();
        }
        JsonNode doc = client.sendOk("GET", "/" + INDEX + "/_doc/" + id, null);
        int dims = doc.path("_source").path("text_vector").size();
        return dims == 384 ? null : "canary document stored with " + dims + " dims: " + doc;
    }

    /** Runs one good {@code dense} search through {@code client}; null when it answers 200 with hits. */
    private static String canarySearch(ClusterClient client) throws IOException {
        canaries++;
        ClusterClient.Answer a = client.send("POST", "/" + INDEX + "/_search", SearchMode.DENSE.body(GOOD_QUESTION, MODEL));
        if (a.status() != 200 || a.body().path("hits").path("hits").size() == 0) {
            return "canary search answered " + a.status() + ": " + a.body();
        }
        return null;
    }
}
