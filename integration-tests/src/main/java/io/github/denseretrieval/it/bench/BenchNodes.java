package io.github.denseretrieval.it.bench;

import com.fasterxml.jackson.databind.JsonNode;
import io.github.denseretrieval.it.ClusterClient;
import io.github.denseretrieval.it.ClusterSetup;
import io.github.denseretrieval.it.ElasticsearchNode;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * Starts the bench's nodes, one at a time and each from a fresh folder: a suite that compares
 * node settings (ingest batch size) or the node with and without the plugin (memory) starts one
 * node per setting, so no two nodes ever share the two cores.
 */
final class BenchNodes {

    private final Path root;
    private final Path work;
    private final String heap;

    BenchNodes(Path root, Path work, String heap) {
        this.root = root;
        this.work = work;
        this.heap = heap;
    }

    /** A node with the plugin and es-config applied for {@code model}, plus {@code settings} in its elasticsearch.yml. */
    Session start(String model, List<String> settings) throws IOException, InterruptedException {
        System.out.println("starting Elasticsearch 8.19.21 with the dense-retrieval plugin" + (settings.isEmpty() ? "" : " and " + settings)
            + " in " + work + " ...");
        Session session = open(options().withSettings(settings));
        session.setup().apply(model);
        return session;
    }

    /** A node with the plugin, its optional TensorFlow jars ({@code plugin/tensorflow/target/jars}) and es-config applied for {@code model}. */
    Session startWithTensorFlow(String model) throws IOException, InterruptedException {
        System.out.println("starting Elasticsearch 8.19.21 with the dense-retrieval plugin and its TensorFlow engine in " + work + " ...");
        Session session = open(options().withPluginJars(root.resolve("plugin/tensorflow/target/jars")));
        session.setup().apply(model);
        return session;
    }

    /** Elasticsearch as it ships, without the plugin: the memory suite's yardstick. */
    Session startBare() throws IOException, InterruptedException {
        System.out.println("starting Elasticsearch 8.19.21 without the plugin in " + work + " ...");
        return open(options().withoutPlugin());
    }

    Path root() {
        return root;
    }

    private ElasticsearchNode.Options options() {
        return ElasticsearchNode.Options.inRepository(root, work, 0, heap, true);
    }

    private Session open(ElasticsearchNode.Options options) throws IOException, InterruptedException {
        ElasticsearchNode node = ElasticsearchNode.start(options);
        try {
            ClusterClient client = new ClusterClient(node.url());
            return new Session(node, client, new ClusterSetup(client, root.resolve("es-config")));
        } catch (RuntimeException e) {
            node.close();
            throw e;
        }
    }

    /** One running node, its client and the es-config applier. */
    record Session(ElasticsearchNode node, ClusterClient client, ClusterSetup setup) implements AutoCloseable {

        /**
         * The node's memory after a full garbage collection: resident and anonymous bytes from
         * {@code /proc}, and the live heap from {@code _nodes/_local/stats/jvm}.
         */
        MemorySample memory() throws IOException, InterruptedException {
            node.collectGarbage();
            JsonNode jvm = client.sendOk("GET", "/_nodes/_local/stats/jvm", null).path("nodes").elements().next().path("jvm");
            ElasticsearchNode.ProcessSample p = node.sample();
            return new MemorySample(p.rssBytes(), p.anonBytes(), jvm.path("mem").path("heap_used_in_bytes").asLong(), p.threads());
        }

        @Override
        public void close() throws IOException {
            try {
                client.close();
            } finally {
                node.close();
            }
        }
    }

    /** Bytes of one {@link Session#memory()} reading. */
    record MemorySample(long rssBytes, long anonBytes, long heapUsedBytes, int threads) {

        static double mib(long bytes) {
            return bytes / (1024.0 * 1024.0);
        }
    }
}
