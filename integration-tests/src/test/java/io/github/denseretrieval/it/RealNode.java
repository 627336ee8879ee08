package io.github.denseretrieval.it;

import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import java.nio.file.Path;

/**
 * JUnit extension: one real Elasticsearch node with the built plugin for the whole test run,
 * started on first use and stopped when JUnit closes its root store (or at JVM exit).
 */
public final class RealNode implements BeforeAllCallback {

    private static ElasticsearchNode node;
    private static ClusterClient client;

    static final Path ES_CONFIG = Path.of(System.getProperty("es.config.dir", "../es-config"));
    static final Path MODELS = Path.of(System.getProperty("models.dir", "../analysis-encoder/target/models"));
    static final Path SCIFACT = Path.of(System.getProperty("beir.data.dir", "../../shared/data")).resolve("scifact");

    @Override
    public void beforeAll(ExtensionContext context) throws Exception {
        synchronized (RealNode.class) {
            if (node == null) {
                Path work = ElasticsearchNode.isRoot() ? Path.of("/tmp/dense-retrieval-it") : Path.of("target/es-it");
                node = ElasticsearchNode.start(new ElasticsearchNode.Options(Path.of(System.getProperty("es.distribution.zip")),
                    Path.of(System.getProperty("plugin.zip")), work, 0, "1g", true));
                client = new ClusterClient(node.url());
                context.getRoot().getStore(ExtensionContext.Namespace.GLOBAL).put("real-node", (ExtensionContext.Store.CloseableResource) () -> {
                    client.close();
                    node.close();
                });
            }
        }
    }

    static ElasticsearchNode node() {
        return node;
    }

    static ClusterClient client() {
        return client;
    }

    /**
     * Removes what a test added to the shared node: its index, its pipeline and its model folder
     * (then reloads, so the model is gone). Does nothing when the node is not up.
     */
    static void removeTestArtifacts(String index, String pipeline, String model) throws Exception {
        if (node == null || !node.isAlive()) {
            return;
        }
        client.send("DELETE", "/" + index, null);
        client.send("DELETE", "/_ingest/pipeline/" + pipeline, null);
        ElasticsearchNode.deleteRecursively(node.configDir().resolve("dense-retrieval/models").resolve(model));
        client.sendOk("POST", "/_dense/models/_reload", null);
    }
}
