package io.github.denseretrieval.it;

import java.io.Closeable;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Which node a load client sends its next request to, as a client that knows every node would:
 * round robin over the nodes, skipping for {@value #DOWN_MILLIS} ms a node whose connection just
 * failed, or first a {@link #prefer preferred} node while it answers. One admin client per node,
 * with a bounded socket timeout; like every Elasticsearch low-level client it keeps at most ten
 * requests in flight to one node (more wait in the client). Thread-safe.
 */
final class NodeRouter implements Closeable {

    static final long DOWN_MILLIS = 2_000;

    private final List<ElasticsearchNode> nodes;
    private final List<ClusterClient> clients = new ArrayList<>();
    private final long[] downUntil;
    private final AtomicInteger next = new AtomicInteger();
    private volatile int preferred = -1;

    NodeRouter(ElasticsearchCluster cluster, Duration socketTimeout) {
        this.nodes = cluster.nodes();
        this.downUntil = new long[nodes.size()];
        ElasticsearchNode.User admin = cluster.security().admin();
        for (ElasticsearchNode n : nodes) {
            clients.add(new ClusterClient(n.url(), admin.name(), admin.password(), socketTimeout));
        }
    }

    /** The node to send to now. */
    int pick() {
        long now = System.currentTimeMillis();
        int p = preferred;
        if (p >= 0 && downUntil(p) <= now) {
            return p;
        }
        for (int i = 0; i < nodes.size(); i++) {
            int candidate = Math.floorMod(next.getAndIncrement(), nodes.size());
            if (downUntil(candidate) <= now) {
                return candidate;
            }
        }
        return Math.floorMod(next.getAndIncrement(), nodes.size());
    }

    /** Sends to {@code node} whenever it is not marked down; -1 for plain round robin. */
    void prefer(int node) {
        preferred = node;
    }

    void markDown(int node) {
        synchronized (downUntil) {
            downUntil[node] = System.currentTimeMillis() + DOWN_MILLIS;
        }
    }

    private long downUntil(int node) {
        synchronized (downUntil) {
            return downUntil[node];
        }
    }

    ClusterClient client(int node) {
        return clients.get(node);
    }

    String name(int node) {
        return nodes.get(node).name();
    }

    int size() {
        return nodes.size();
    }

    @Override
    public void close() throws IOException {
        for (ClusterClient c : clients) {
            c.close();
        }
    }
}
