package io.github.denseretrieval.it;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * One node of three lacks a model that the others serve (its folder was not copied there): the
 * pipeline is the same everywhere; documents whose bulk that node coordinates fail with 404 naming
 * the node and the model, and a {@code dense} search it coordinates is 404 naming both, while the
 * other nodes index and search; {@code GET _dense/models/<id>} shows which node serves which
 * sha256. Once the folder is copied there and {@code POST _dense/models/_reload} has run, the same
 * documents through that node are indexed with the vectors the encoder library gives, and every
 * node serves the same sha256. Reduced and full forms differ only in the number of documents.
 */
@ExtendWith(SecuredCluster.class)
class ClusterMissingModelIT {

    private static final String MODEL = "minilm-late";
    private static final String INDEX = "cluster-missing-model";

    @Test
    void aNodeLackingTheModelAnswers404NamingItAndHealsAfterCopyAndReload() throws Exception {
        ElasticsearchCluster cluster = SecuredCluster.cluster();
        ClusterClient admin = cluster.admin();
        ElasticsearchNode lacking = cluster.node(2);
        List<ElasticsearchNode> serving = cluster.nodes().subList(0, 2);
        int perNode = SecuredCluster.FULL ? 30 : 10;
        cluster.removeModel(MODEL);
        cluster.copyModel(MODEL, SecuredCluster.minilmFolder(), serving);
        admin.sendOk("POST", "/_dense/models/_reload", null);
        try {
            PassageIndex index = PassageIndex.create(admin, INDEX, MODEL, 3, 1);
            Map<String, String> before = servedHashes(admin);
            System.out.println("[cluster] missing model: before the copy, GET _dense/models/" + MODEL + " -> " + before);
            assertEquals(2, before.values().stream().filter(v -> v.startsWith("loaded")).count(), "two nodes serve the model: " + before);
            assertEquals(1, before.values().stream().filter(v -> v.startsWith("loaded")).distinct().count(),
                "the two serving nodes serve one sha256: " + before);
            assertTrue(!before.get(lacking.name()).startsWith("loaded"), lacking.name() + " must not serve it yet: " + before);

            List<Passages.Passage> passages = Passages.shortOnes(perNode * 3, "late");
            List<Passages.Passage> throughLacking = new ArrayList<>();
            StatusCounts beforeStatuses = new StatusCounts();
            for (int n = 0; n < 3; n++) {
                ElasticsearchNode node = cluster.node(n);
                List<Passages.Passage> chunk = passages.subList(n * perNode, (n + 1) * perNode);
                JsonNode items = bulk(cluster.admin(node), chunk).path("items");
                for (int i = 0; i < chunk.size(); i++) {
                    JsonNode item = items.get(i).path("index");
                    beforeStatuses.add(node.name() + ":" + item.path("status").asInt());
                    if (node == lacking) {
                        assertEquals(404, item.path("status").asInt(), item.toString());
                        String reason = item.path("error").path("reason").asText();
                        assertTrue(reason.contains(MODEL) && reason.contains(lacking.name()), "the 404 names the model and the node: " + item);
                        throughLacking.add(chunk.get(i));
                    } else {
                        assertEquals(201, item.path("status").asInt(), item.toString());
                    }
                }
            }
            ClusterClient.Answer searchOnLacking = cluster.admin(lacking).send("POST", "/" + INDEX + "/_search",
                SearchMode.DENSE.body("vaccines and infection", MODEL));
            ClusterClient.Answer searchOnServing = cluster.admin(serving.get(0)).send("POST", "/" + INDEX + "/_search",
                SearchMode.DENSE.body("vaccines and infection", MODEL));
            System.out.println("[cluster] missing model: bulk items by node:status " + beforeStatuses + "; dense search via " + lacking.name()
                + " -> " + searchOnLacking.status() + " " + searchOnLacking.body().path("error").path("reason").asText() + "; via "
                + serving.get(0).name() + " -> " + searchOnServing.status());
            assertEquals(404, searchOnLacking.status(), searchOnLacking.body().toString());
            String searchReason = searchOnLacking.body().toString();
            assertTrue(searchReason.contains(MODEL) && searchReason.contains(lacking.name()), "the 404 names the model and the node: " + searchReason);
            assertEquals(200, searchOnServing.status(), searchOnServing.body().toString());

            cluster.copyModel(MODEL, SecuredCluster.minilmFolder(), List.of(lacking));
            admin.sendOk("POST", "/_dense/models/_reload", null);
            Map<String, String> after = servedHashes(admin);
            System.out.println("[cluster] missing model: after copy + _reload, GET _dense/models/" + MODEL + " -> " + after);
            assertEquals(3, after.values().stream().filter(v -> v.startsWith("loaded")).count(), "every node serves the model: " + after);
            assertEquals(1, after.values().stream().distinct().count(), "every node serves the same sha256: " + after);

            JsonNode healed = bulk(cluster.admin(lacking), throughLacking).path("items");
            StatusCounts healedStatuses = new StatusCounts();
            healed.forEach(i -> healedStatuses.add(i.path("index").path("status").asInt()));
            ClusterClient.Answer searchHealed = cluster.admin(lacking).send("POST", "/" + INDEX + "/_search",
                SearchMode.DENSE.body("vaccines and infection", MODEL));
            index.refresh();
            PassageIndex.VectorCheck vectors = index.compareWithInProcess(passages, SecuredCluster.minilmFolder());
            System.out.println("[cluster] missing model: the same documents again via " + lacking.name() + " -> " + healedStatuses
                + "; dense search via it -> " + searchHealed.status() + "; index holds " + index.count() + " of " + passages.size()
                + "; vectors vs in-process: " + vectors);
            assertEquals(Map.of("201", throughLacking.size()), healedStatuses.asMap(), "after the reload the lacking node indexes them");
            assertEquals(200, searchHealed.status(), searchHealed.body().toString());
            assertEquals(passages.size(), index.count());
            assertTrue(vectors.allEqual(), vectors + " " + vectors.examples());
        } finally {
            admin.send("DELETE", "/" + INDEX, null);
            cluster.removeModel(MODEL);
            admin.send("POST", "/_dense/models/_reload", null);
        }
    }

    private static JsonNode bulk(ClusterClient client, List<Passages.Passage> passages) throws IOException {
        StringBuilder body = new StringBuilder();
        passages.forEach(p -> p.appendBulk(body));
        return client.sendOk("POST", "/" + INDEX + "/_bulk", body.toString());
    }

    /**
     * {@code GET _dense/models/<MODEL>}: for each node, {@code loaded sha256 <hash>}, its status and
     * error, or {@code absent}; a node's failure to answer is shown with its reason.
     */
    private static Map<String, String> servedHashes(ClusterClient admin) throws IOException {
        ClusterClient.Answer a = admin.send("GET", "/_dense/models/" + MODEL, null);
        Map<String, String> out = new LinkedHashMap<>();
        for (ElasticsearchNode n : SecuredCluster.cluster().nodes()) {
            out.put(n.name(), "absent");
        }
        for (JsonNode node : a.body().path("nodes")) {
            for (JsonNode m : node.path("models")) {
                if (MODEL.equals(m.path("model_id").asText())) {
                    out.put(node.path("name").asText(), m.path("status").asText() + (m.has("sha256") ? " sha256 " + m.path("sha256").asText()
                        : " " + m.path("error").asText()));
                }
            }
        }
        for (JsonNode f : a.body().path("failures")) {
            out.put("failure " + f.path("node_id").asText(), f.path("reason").asText());
        }
        return out;
    }
}
