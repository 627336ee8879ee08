package io.github.denseretrieval.it;

import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * JUnit extension: one real three-node cluster with security on and the plugin on every node,
 * shared by the cluster battery ({@code Cluster*IT}), started on first use and stopped when JUnit
 * closes its root store (or at JVM exit). Before each class it relaunches any node an earlier
 * class left stopped and waits for green, so a failed test does not fail the next one.
 *
 * <p>Every node: heap {@value #HEAP}, {@code node.processors: 1} (three nodes share two cores; one
 * intra-op thread per node keeps them from oversubscribing), the users of {@link PrivilegeMatrix}
 * (the README's {@code roles.yml}) and an admin (superuser) that the battery's load clients use,
 * and the {@code all-minilm-l6-v2} folder as model {@value #MODEL} (the bundled bge-small is there
 * too). With {@code -Dcluster.full=true} (Maven profile {@code cluster-full}) the tests run their
 * full forms.
 */
public final class SecuredCluster implements BeforeAllCallback {

    /** The model every battery test encodes with: all-MiniLM-L6-v2, about six times faster than bge-small. */
    static final String MODEL = "minilm";
    static final String HEAP = "768m";
    static final int NODES = 3;
    /** Full forms of the battery's tests (longer, more documents, every node): {@code -Dcluster.full=true}. */
    static final boolean FULL = Boolean.getBoolean("cluster.full");

    private static ElasticsearchCluster cluster;
    private static IOException startFailure;

    @Override
    public void beforeAll(ExtensionContext context) throws Exception {
        synchronized (SecuredCluster.class) {
            if (startFailure != null) {
                throw new IOException("the shared cluster failed to start for an earlier class", startFailure);
            }
            if (cluster == null) {
                Path work = ElasticsearchNode.isRoot() ? Path.of("/tmp/dense-retrieval-it-cluster") : Path.of("target/es-it-cluster");
                long start = System.nanoTime();
                try {
                    cluster = ElasticsearchCluster.start(new ElasticsearchCluster.Options(Path.of(System.getProperty("es.distribution.zip")),
                        Path.of(System.getProperty("plugin.zip")), work, NODES, HEAP, PrivilegeMatrix.security(),
                        List.of("node.processors: 1"), Map.of(MODEL, minilmFolder())));
                } catch (IOException e) {
                    startFailure = e;
                    throw e;
                }
                System.out.printf("[cluster] %d nodes with security on, heap %s each, started in %.0f s: %s%n", NODES, HEAP,
                    (System.nanoTime() - start) / 1e9, cluster.nodes().stream().map(n -> n.name() + " " + n.url()).toList());
                context.getRoot().getStore(ExtensionContext.Namespace.GLOBAL).put("secured-cluster",
                    (ExtensionContext.Store.CloseableResource) () -> cluster.close());
            } else {
                cluster.ensureAllRunning(Duration.ofMinutes(4));
            }
        }
    }

    static ElasticsearchCluster cluster() {
        return cluster;
    }

    /** The encoder folder of {@link #MODEL}. */
    static Path minilmFolder() {
        return RealNode.MODELS.resolve("all-minilm-l6-v2");
    }
}
