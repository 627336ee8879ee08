package io.github.denseretrieval.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.Closeable;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The privilege matrix of the plugin with Elasticsearch security on, run against one node
 * ({@link SecurityIT}) or every node of a cluster ({@link ClusterPrivilegesIT}): a user who may
 * only {@code read} an index searches it with a {@code dense} query, a {@code knn} search with a
 * {@code dense_encode} vector builder and a {@code hybrid} retriever (the question is encoded as
 * part of that search, with no privilege of its own), and gets 403 on other indices and on the
 * model APIs; {@code GET _dense/models} needs cluster {@code monitor}; {@code _reload} and
 * {@code _encode} need cluster {@code manage}; no or wrong credentials get 401. The roles are
 * {@code src/test/resources/security/roles.yml}, the file the README prints, installed verbatim.
 */
final class PrivilegeMatrix {

    static final String INDEX = "secured";
    static final String OTHER = "other";
    static final String ADMIN = "admin";
    static final String ADMIN_PASSWORD = "admin-password";
    private static final String QUESTION = "how do vaccines protect against infection";

    /** The users of the matrix, with the roles of {@code roles.yml}. */
    static final List<ElasticsearchNode.User> USERS = List.of(
        new ElasticsearchNode.User("searcher", "searcher-password", List.of("dense_searcher")),
        new ElasticsearchNode.User("monitor_user", "monitor-password", List.of("dense_monitor")),
        new ElasticsearchNode.User("model_admin", "model-admin-password", List.of("dense_model_admin")));

    /** Who sends a request: a user of {@link #USERS}, the admin, or one of these two. */
    static final String ANONYMOUS = "no credentials";
    static final String WRONG_PASSWORD = "searcher with a wrong password";

    private static final String[][] PASSAGES = {
        {"Vaccines", "Vaccines train the immune system to recognise a pathogen before an infection, so antibodies and memory cells respond quickly."},
        {"Malaria", "Malaria is caused by Plasmodium parasites transmitted through the bites of infected Anopheles mosquitoes."},
        {"Aspirin", "Regular low-dose aspirin reduces the risk of colorectal cancer in adults over fifty."},
        {"Exercise", "Aerobic exercise improves insulin sensitivity in people with type 2 diabetes."},
        {"Sleep", "Chronic sleep deprivation impairs memory consolidation and attention."},
        {"Smoking", "Tobacco smoking is the leading cause of lung cancer worldwide."},
        {"Vitamin D", "Vitamin D supplementation did not reduce fractures in community-dwelling older adults."},
        {"Antibiotics", "Overuse of antibiotics drives the spread of resistant bacteria in hospitals."},
        {"Hypertension", "Reducing salt intake lowers blood pressure in people with hypertension."},
        {"Statins", "Statins lower LDL cholesterol and the risk of heart attacks."},
        {"Influenza", "Seasonal influenza vaccination reduces hospital admissions among the elderly."},
        {"Measles", "Measles vaccination with two doses gives lasting immunity against the virus."},
        {"Obesity", "Obesity increases the risk of type 2 diabetes, heart disease and several cancers."},
        {"Depression", "Cognitive behavioural therapy is as effective as medication for mild depression."},
        {"Alzheimer", "Amyloid plaques and tau tangles are hallmarks of Alzheimer's disease."},
        {"Coffee", "Moderate coffee consumption is associated with a lower risk of liver disease."},
        {"Microbiome", "The gut microbiome influences immune responses and metabolism."},
        {"Stroke", "Atrial fibrillation raises the risk of ischaemic stroke fivefold."},
        {"Tuberculosis", "Tuberculosis is treated with a six-month course of several antibiotics."},
        {"HPV", "Vaccination against human papillomavirus prevents most cases of cervical cancer."},
    };

    /**
     * One cell of the matrix: {@code user} sends a request and gets {@code status}; the answer
     * mentions every string of {@code mentions} (the action or index a 403 names).
     */
    record Cell(String user, String what, String method, String path, String body, int status, List<String> mentions) {
        @Override
        public String toString() {
            return user + ": " + what + " -> " + status;
        }
    }

    private static final String DENSE_QUERY = "{\"query\":{\"dense\":{\"field\":\"text_vector\",\"query\":" + ClusterClient.jsonString(QUESTION)
        + ",\"k\":5}}}";
    private static final String KNN_SEARCH = "{\"knn\":{\"field\":\"text_vector\",\"k\":5,\"num_candidates\":20,"
        + "\"query_vector_builder\":{\"dense_encode\":{\"text\":" + ClusterClient.jsonString(QUESTION) + "}}}}";
    private static final String HYBRID_SEARCH = "{\"retriever\":{\"hybrid_linear\":{\"retrievers\":["
        + "{\"retriever\":{\"standard\":{\"query\":{\"multi_match\":{\"query\":" + ClusterClient.jsonString(QUESTION)
        + ",\"fields\":[\"title\",\"text\"]}}}}},"
        + "{\"retriever\":{\"standard\":{\"query\":{\"dense\":{\"field\":\"text_vector\",\"query\":" + ClusterClient.jsonString(QUESTION)
        + "}}}}}]}}}";
    private static final String ENCODE = "/_dense/models/bge-small-en-v1.5/_encode";
    private static final String ENCODE_BODY = "{\"texts\":[\"how do vaccines work\"],\"role\":\"query\"}";

    static final String LIST_ACTION = "cluster:monitor/dense_retrieval/models/get";
    static final String RELOAD_ACTION = "cluster:admin/dense_retrieval/models/reload";
    static final String ENCODE_ACTION = "cluster:admin/dense_retrieval/encode";

    private PrivilegeMatrix() {}

    /** {@code src/test/resources/security/roles.yml}, the roles file the README prints. */
    static Path rolesFile() {
        try {
            return Path.of(PrivilegeMatrix.class.getResource("/security/roles.yml").toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Security on with the admin and the users of the matrix. */
    static ElasticsearchNode.Security security() {
        return ElasticsearchNode.Security.on(ADMIN, ADMIN_PASSWORD, rolesFile(), USERS);
    }

    private static String search(String index) {
        return "/" + index + "/_search";
    }

    static Stream<Cell> cells() {
        return Stream.of(
            new Cell("searcher", "dense query on secured", "POST", search(INDEX), DENSE_QUERY, 200, List.of()),
            new Cell("searcher", "knn with dense_encode vector builder on secured", "POST", search(INDEX), KNN_SEARCH, 200, List.of()),
            new Cell("searcher", "hybrid retriever (multi_match + dense) on secured", "POST", search(INDEX), HYBRID_SEARCH, 200, List.of()),
            new Cell("searcher", "dense query on other", "POST", search(OTHER), DENSE_QUERY, 403, List.of("indices:data/read/search", "[" + OTHER + "]")),
            new Cell("searcher", "knn with dense_encode vector builder on other", "POST", search(OTHER), KNN_SEARCH, 403,
                List.of("indices:data/read/search", "[" + OTHER + "]")),
            new Cell("searcher", "hybrid retriever on other", "POST", search(OTHER), HYBRID_SEARCH, 403, List.of("indices:data/read/search", "[" + OTHER + "]")),
            new Cell("searcher", "GET _dense/models", "GET", "/_dense/models", null, 403, List.of(LIST_ACTION)),
            new Cell("searcher", "POST _dense/models/_reload", "POST", "/_dense/models/_reload", null, 403, List.of(RELOAD_ACTION)),
            new Cell("searcher", "POST _dense/models/bge-small-en-v1.5/_encode", "POST", ENCODE, ENCODE_BODY, 403, List.of(ENCODE_ACTION)),
            new Cell("monitor_user", "GET _dense/models", "GET", "/_dense/models", null, 200, List.of()),
            new Cell("monitor_user", "POST _dense/models/_reload", "POST", "/_dense/models/_reload", null, 403, List.of(RELOAD_ACTION)),
            new Cell("monitor_user", "POST _dense/models/bge-small-en-v1.5/_encode", "POST", ENCODE, ENCODE_BODY, 403, List.of(ENCODE_ACTION)),
            new Cell("model_admin", "POST _dense/models/_reload", "POST", "/_dense/models/_reload", null, 200, List.of()),
            new Cell("model_admin", "POST _dense/models/bge-small-en-v1.5/_encode", "POST", ENCODE, ENCODE_BODY, 200, List.of()),
            new Cell(ANONYMOUS, "dense query on secured", "POST", search(INDEX), DENSE_QUERY, 401, List.of("authentication")),
            new Cell(ANONYMOUS, "GET _dense/models", "GET", "/_dense/models", null, 401, List.of("authentication")),
            new Cell(WRONG_PASSWORD, "dense query on secured", "POST", search(INDEX), DENSE_QUERY, 401, List.of("authenticate", "searcher")),
            new Cell(WRONG_PASSWORD, "GET _dense/models", "GET", "/_dense/models", null, 401, List.of("authenticate", "searcher")));
    }

    /** One client per sender of the matrix (the admin, every user, anonymous, wrong password) for one node. */
    static final class Clients implements Closeable {
        private final Map<String, ClusterClient> byUser = new LinkedHashMap<>();

        Clients(String url) {
            byUser.put(ADMIN, new ClusterClient(url, ADMIN, ADMIN_PASSWORD));
            for (ElasticsearchNode.User u : USERS) {
                byUser.put(u.name(), new ClusterClient(url, u.name(), u.password()));
            }
            byUser.put(ANONYMOUS, new ClusterClient(url));
            byUser.put(WRONG_PASSWORD, new ClusterClient(url, "searcher", "not-the-password"));
        }

        ClusterClient of(String user) {
            return byUser.get(user);
        }

        @Override
        public void close() throws IOException {
            for (ClusterClient c : byUser.values()) {
                c.close();
            }
        }
    }

    /**
     * As the admin, applies es-config (pipeline and mapping, verbatim) and ingests the matrix's
     * passages into {@link #INDEX} and one into {@link #OTHER}, as an operator would.
     */
    static void setUp(ClusterClient admin, int replicas) throws IOException {
        admin.sendOk("PUT", "/_ingest/pipeline/dense-passages", Files.readString(RealNode.ES_CONFIG.resolve("pipeline.json"), StandardCharsets.UTF_8));
        JsonNode template = ClusterClient.json().readTree(Files.readString(RealNode.ES_CONFIG.resolve("index-template.json"), StandardCharsets.UTF_8));
        for (String index : List.of(INDEX, OTHER)) {
            admin.send("DELETE", "/" + index, null);
            ObjectNode body = ClusterClient.json().createObjectNode();
            body.putObject("settings").put("number_of_replicas", replicas).put("index.default_pipeline", "dense-passages");
            body.set("mappings", template.path("template").path("mappings"));
            admin.sendOk("PUT", "/" + index + "?wait_for_active_shards=all", body.toString());
        }
        StringBuilder bulk = new StringBuilder();
        for (int i = 0; i < PASSAGES.length; i++) {
            bulk.append("{\"index\":{\"_id\":\"p").append(i).append("\"}}\n")
                .append("{\"title\":").append(ClusterClient.jsonString(PASSAGES[i][0]))
                .append(",\"text\":").append(ClusterClient.jsonString(PASSAGES[i][1])).append("}\n");
        }
        JsonNode ingested = admin.sendOk("POST", "/" + INDEX + "/_bulk?refresh=true", bulk.toString());
        assertFalse(ingested.path("errors").asBoolean(), ingested.toString());
        JsonNode otherIngested = admin.sendOk("POST", "/" + OTHER + "/_bulk?refresh=true",
            "{\"index\":{\"_id\":\"o1\"}}\n{\"title\":\"Other\",\"text\":\"Passages in an index the searcher may not read.\"}\n");
        assertFalse(otherIngested.path("errors").asBoolean(), otherIngested.toString());
        JsonNode withVectors = admin.sendOk("POST", "/" + INDEX + "/_count", "{\"query\":{\"exists\":{\"field\":\"text_vector\"}}}");
        assertEquals(PASSAGES.length, withVectors.path("count").asInt(), withVectors.toString());
    }

    /** Removes what {@link #setUp} made. */
    static void tearDown(ClusterClient admin) throws IOException {
        admin.send("DELETE", "/" + INDEX, null);
        admin.send("DELETE", "/" + OTHER, null);
    }

    /**
     * Sends the cell's request as its user and asserts the status, the mentions and, for a 2xx, the
     * content; a models answer must list {@code nodes} nodes.
     */
    static void check(Cell cell, Clients clients, String where, int nodes) throws IOException {
        ClusterClient.Answer a = clients.of(cell.user()).send(cell.method(), cell.path(), cell.body());
        String body = a.body().toString();
        // An _encode answer is 384 numbers: enough of it to see what came back.
        String answer = cell.method() + " " + cell.path() + " as [" + cell.user() + "] on " + where + " answered " + a.status() + ": "
            + (body.length() > 600 ? body.substring(0, 600) + "..." : body);
        assertEquals(cell.status(), a.status(), answer);
        for (String m : cell.mentions()) {
            assertTrue(body.contains(m), "the answer should mention [" + m + "]: " + answer);
        }
        if (a.ok() && cell.path().endsWith("/_search")) {
            JsonNode hits = a.body().path("hits").path("hits");
            assertTrue(hits.size() > 0, "no hits: " + answer);
            // The question is about vaccines: a working dense path ranks a vaccine passage first.
            assertTrue(hits.get(0).path("_source").path("text").asText().contains("accin"), "top hit: " + answer);
        }
        if (a.ok() && cell.path().endsWith("/_encode")) {
            assertEquals(384, a.body().path("vectors").get(0).size(), answer);
        }
        if (a.ok() && (cell.path().equals("/_dense/models") || cell.path().endsWith("/_reload"))) {
            assertEquals(nodes, a.body().path("nodes").size(), "nodes in the answer: " + answer);
        }
    }
}
