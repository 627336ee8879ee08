package io.github.denseretrieval.it;

import com.fasterxml.jackson.databind.JsonNode;

import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * A real Elasticsearch cluster of one or more nodes on loopback, all from ONE unpacked
 * distribution with the plugin installed once. Each node {@code node-<i>} has its own folder under
 * the work directory with its config directory (a copy of the distribution's {@code config/},
 * passed as {@code ES_PATH_CONF}), {@code path.data}, {@code path.logs}, temp directory, pid file
 * and HTTP and transport ports; the nodes find each other through {@code discovery.seed_hosts}
 * (every node's transport port) and bootstrap with {@code cluster.initial_master_nodes}. One node
 * alone is a {@code single-node} cluster. Every node is master-eligible, data and ingest.
 *
 * <p>Security on or off as {@link ElasticsearchNode.Security} says: file-realm users and
 * {@code roles.yml} are made once with {@code bin/elasticsearch-users} and copied to every node.
 * Transport stays plain: on loopback the nodes run in development mode, where Elasticsearch only
 * warns that transport TLS is off (checked with three secured nodes on 8.19.21), so no
 * certificates are made.
 *
 * <p>Faults and measurements for tests: {@link ElasticsearchNode#kill()},
 * {@link ElasticsearchNode#terminate()} and {@link #restart} of one node on its own data;
 * {@link #sample} of every node's resident memory, threads and heap. {@link #close()} stops every
 * node (a JVM shutdown hook does it too). Not thread-safe: one owner starts and stops it; the
 * admin clients it hands out are thread-safe.
 */
public final class ElasticsearchCluster implements Closeable {

    /**
     * {@code elasticsearch.yml} lines added to every node's, separated by {@code ;} in
     * {@code -Dit.node.settings}, to measure a setting without editing a test, e.g.
     * {@code -Dit.node.settings="dense_retrieval.engine.memory_arena: false"}.
     */
    static final List<String> EXTRA_SETTINGS = Stream.of(System.getProperty("it.node.settings", "").split(";")).map(String::trim)
        .filter(line -> line.isEmpty() == false).toList();

    /**
     * Options of a cluster.
     *
     * @param nodes    how many nodes (1 or more)
     * @param heap     every node's JVM heap, e.g. {@code 768m}
     * @param security {@link ElasticsearchNode.Security#OFF} or the admin, users and roles of every node
     * @param settings further {@code elasticsearch.yml} lines for every node, e.g. {@code node.processors: 1}
     * @param models   model id -> model folder, copied to {@code config/dense-retrieval/models/<id>} of every node before it starts
     */
    public record Options(Path distributionZip, Path pluginZip, Path workDir, int nodes, String heap, ElasticsearchNode.Security security,
                          List<String> settings, Map<String, Path> models) {

        public Options {
            if (nodes < 1) {
                throw new IllegalArgumentException("a cluster needs at least one node, got " + nodes);
            }
            Objects.requireNonNull(security, "security (use Security.OFF)");
            settings = List.copyOf(settings);
            models = Map.copyOf(models);
        }
    }

    /** One node's figures at one moment: resident memory and threads of its process, and its JVM heap in use. */
    public record NodeSample(String node, long rssBytes, int threads, long heapUsedBytes) {
        @Override
        public String toString() {
            return String.format(Locale.ROOT, "%s: rss %d MiB, threads %d, heap %d MiB", node, rssBytes >> 20, threads, heapUsedBytes >> 20);
        }
    }

    private final List<ElasticsearchNode> nodes;
    private final ElasticsearchNode.Security security;
    private final List<ClusterClient> adminClients = new ArrayList<>();

    private ElasticsearchCluster(List<ElasticsearchNode> nodes, ElasticsearchNode.Security security) {
        this.nodes = List.copyOf(nodes);
        this.security = security;
        for (ElasticsearchNode n : nodes) {
            adminClients.add(security.enabled()
                ? new ClusterClient(n.url(), security.admin().name(), security.admin().password(), Duration.ofSeconds(120))
                : new ClusterClient(n.url()));
        }
    }

    /**
     * Makes a fresh cluster in {@code workDir} (deleting what was there), starts every node at once
     * and returns when the cluster has all its nodes and is green.
     *
     * @throws IOException with the tail of every node's log when it does not form
     */
    public static ElasticsearchCluster start(Options options) throws IOException, InterruptedException {
        if (ElasticsearchNode.isRoot()) {
            ElasticsearchNode.ensureUser();
        }
        ElasticsearchNode.deleteRecursively(options.workDir());
        Files.createDirectories(options.workDir());
        ElasticsearchNode.unpack(options.distributionZip(), options.workDir());
        Path home = options.workDir().resolve("elasticsearch");
        ElasticsearchNode.installPlugin(home, options.pluginZip(), List.of());

        int n = options.nodes();
        int[] http = new int[n];
        int[] transport = new int[n];
        Set<Integer> taken = new HashSet<>();
        for (int i = 0; i < n; i++) {
            http[i] = distinctFreePort(taken);
            transport[i] = distinctFreePort(taken);
        }
        List<ElasticsearchNode.Layout> layouts = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            String name = "node-" + (i + 1);
            Path dir = options.workDir().resolve(name);
            ElasticsearchNode.Layout layout = new ElasticsearchNode.Layout(name, home, dir.resolve("config"), dir.resolve("logs"),
                dir.resolve("tmp"), dir.resolve("es.pid"), dir.resolve("logs-startup.txt"));
            ElasticsearchNode.copyFolder(home.resolve("config"), layout.config());
            Files.createDirectories(dir.resolve("data"));
            Files.createDirectories(layout.logs());
            Files.createDirectories(layout.tmp());
            layouts.add(layout);
        }
        if (options.security().enabled()) {
            // The users tool is a JVM that starts in seconds; run it for one node and copy its files.
            Path first = layouts.get(0).config();
            ElasticsearchNode.createUsers(home, first, options.security());
            for (ElasticsearchNode.Layout layout : layouts.subList(1, n)) {
                for (String f : List.of("users", "users_roles", "roles.yml")) {
                    Files.copy(first.resolve(f), layout.config().resolve(f), StandardCopyOption.REPLACE_EXISTING);
                }
            }
        }
        String seeds = "[" + java.util.Arrays.stream(transport).mapToObj(p -> "\"127.0.0.1:" + p + "\"").collect(Collectors.joining(", ")) + "]";
        String masters = "[" + layouts.stream().map(l -> "\"" + l.name() + "\"").collect(Collectors.joining(", ")) + "]";
        List<ElasticsearchNode> nodes = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            ElasticsearchNode.Layout layout = layouts.get(i);
            Path dir = layout.config().getParent();
            List<String> yml = new ArrayList<>(List.of(
                "# written by ElasticsearchCluster: node " + (i + 1) + " of " + n + " on loopback",
                "cluster.name: " + ElasticsearchNode.CLUSTER_NAME,
                "node.name: " + layout.name(),
                "network.host: 127.0.0.1",
                "http.port: " + http[i],
                "transport.port: " + transport[i],
                "path.data: " + dir.resolve("data"),
                "path.logs: " + layout.logs()));
            if (n == 1) {
                yml.add("discovery.type: single-node");
            } else {
                yml.add("discovery.seed_hosts: " + seeds);
                // Read only when the cluster first forms; ignored (with a log line) on later restarts.
                yml.add("cluster.initial_master_nodes: " + masters);
            }
            yml.addAll(ElasticsearchNode.securitySettings(options.security()));
            yml.addAll(ElasticsearchNode.commonSettings());
            yml.addAll(options.settings());
            yml.addAll(EXTRA_SETTINGS);
            Files.writeString(layout.config().resolve("elasticsearch.yml"), String.join("\n", yml) + "\n");
            for (Map.Entry<String, Path> model : options.models().entrySet()) {
                ElasticsearchNode.copyFolder(model.getValue(), layout.config().resolve("dense-retrieval/models").resolve(model.getKey()));
            }
            nodes.add(new ElasticsearchNode(layout, http[i], transport[i], options.heap(), options.security()));
        }
        ElasticsearchNode.handToNodeUserIfRoot(options.workDir());

        ElasticsearchCluster cluster = new ElasticsearchCluster(nodes, options.security());
        try {
            cluster.launch(nodes);
            cluster.awaitHealth("green", Duration.ofMinutes(5));
        } catch (IOException | RuntimeException | InterruptedException e) {
            String tails = cluster.logTails();
            cluster.close();
            throw new IOException("the cluster did not form: " + e.getMessage() + "\n" + tails, e);
        }
        return cluster;
    }

    /** Launches {@code which} at once (each launcher waits for its node; the nodes only form a cluster together). */
    private void launch(List<ElasticsearchNode> which) throws IOException, InterruptedException {
        ExecutorService pool = Executors.newFixedThreadPool(which.size());
        try {
            List<Future<?>> started = new ArrayList<>();
            for (ElasticsearchNode node : which) {
                started.add(pool.submit(() -> {
                    node.launch();
                    return null;
                }));
            }
            for (Future<?> f : started) {
                try {
                    f.get(6, TimeUnit.MINUTES);
                } catch (java.util.concurrent.ExecutionException e) {
                    throw new IOException(e.getCause().getMessage(), e.getCause());
                } catch (java.util.concurrent.TimeoutException e) {
                    throw new IOException("a node did not start within 6 minutes", e);
                }
            }
        } finally {
            pool.shutdownNow();
        }
    }

    public List<ElasticsearchNode> nodes() {
        return nodes;
    }

    /** The node {@code node-<index + 1>}. */
    public ElasticsearchNode node(int index) {
        return nodes.get(index);
    }

    public ElasticsearchNode.Security security() {
        return security;
    }

    /** A client of {@code node} authenticated as the admin (superuser), or anonymous with security off. Thread-safe; closed with the cluster. */
    public ClusterClient admin(ElasticsearchNode node) {
        return adminClients.get(nodes.indexOf(node));
    }

    /** The admin client of the first running node. */
    public ClusterClient admin() {
        for (ElasticsearchNode n : nodes) {
            if (n.isAlive()) {
                return admin(n);
            }
        }
        throw new IllegalStateException("no node of the cluster is running");
    }

    /**
     * Waits until a running node reports {@code status} (or better) with every node of the
     * cluster joined.
     */
    public void awaitHealth(String status, Duration timeout) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        String last = "no answer";
        while (System.nanoTime() < deadline) {
            for (ElasticsearchNode n : nodes) {
                if (!n.isAlive()) {
                    continue;
                }
                try {
                    ClusterClient.Answer a = admin(n).send("GET", "/_cluster/health?wait_for_status=" + status + "&wait_for_nodes="
                        + nodes.size() + "&timeout=5s", null);
                    last = n.name() + " answered " + a.status() + ": " + a.body();
                    if (a.status() == 200 && !a.body().path("timed_out").asBoolean(true)) {
                        return;
                    }
                } catch (IOException e) {
                    last = n.name() + ": " + e;
                }
                break;
            }
            Thread.sleep(500);
        }
        throw new IOException("the cluster was not " + status + " with " + nodes.size() + " nodes within " + timeout.toSeconds() + " s; last: "
            + last);
    }

    /**
     * Launches {@code node} again on its own config and data (after a kill, a SIGTERM or a stop)
     * and waits until the cluster has every node again and is green.
     */
    public void restart(ElasticsearchNode node, Duration timeout) throws IOException, InterruptedException {
        if (node.isAlive()) {
            throw new IllegalStateException("node [" + node.name() + "] still runs; kill, terminate or stop it first");
        }
        node.launch();
        awaitHealth("green", timeout);
    }

    /**
     * Launches every node that is not running (a test that failed half way) and waits for green
     * with every node; a node still shutting down when this starts is launched again once it is gone.
     */
    public void ensureAllRunning(Duration timeout) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            List<ElasticsearchNode> dead = nodes.stream().filter(n -> !n.isAlive()).toList();
            if (!dead.isEmpty()) {
                launch(dead);
            }
            try {
                awaitHealth("green", Duration.ofSeconds(20));
                return;
            } catch (IOException e) {
                if (System.nanoTime() > deadline) {
                    throw e;
                }
            }
        }
    }

    /**
     * Every running node's resident memory and threads ({@code /proc/<pid>/status}) and heap in use
     * ({@code GET _nodes/_local/stats/jvm}); with {@code afterGarbageCollection}, a full collection
     * runs first in each node ({@code jcmd GC.run}), so the heap figure is the live heap.
     */
    public List<NodeSample> sample(boolean afterGarbageCollection) throws IOException, InterruptedException {
        List<NodeSample> out = new ArrayList<>();
        for (ElasticsearchNode n : nodes) {
            if (!n.isAlive()) {
                continue;
            }
            if (afterGarbageCollection) {
                n.collectGarbage();
            }
            JsonNode jvm = admin(n).sendOk("GET", "/_nodes/_local/stats/jvm", null).path("nodes").elements().next().path("jvm");
            ElasticsearchNode.ProcessSample p = n.sample();
            out.add(new NodeSample(n.name(), p.rssBytes(), p.threads(), jvm.path("mem").path("heap_used_in_bytes").asLong()));
        }
        return out;
    }

    /** Copies {@code from} to {@code config/dense-retrieval/models/<modelId>} of each of {@code on} (replacing what is there). */
    public void copyModel(String modelId, Path from, List<ElasticsearchNode> on) throws IOException, InterruptedException {
        for (ElasticsearchNode n : on) {
            n.installModel(modelId, from);
        }
    }

    /** Deletes the folder of {@code modelId} on every node (a reload then stops serving it). */
    public void removeModel(String modelId) throws IOException {
        for (ElasticsearchNode n : nodes) {
            ElasticsearchNode.deleteRecursively(n.modelFolder(modelId));
        }
    }

    /** The tail of every node's log. */
    public String logTails() {
        StringBuilder out = new StringBuilder();
        for (ElasticsearchNode n : nodes) {
            out.append("===== ").append(n.name()).append(n.isAlive() ? " (running)" : " (not running)").append(" =====\n").append(n.logTail());
        }
        return out.toString();
    }

    @Override
    public void close() {
        for (ClusterClient c : adminClients) {
            try {
                c.close();
            } catch (IOException e) {
                // closing a client of a stopped node; nothing to keep
            }
        }
        // SIGTERM to all first, so that the nodes shut down side by side rather than one after another.
        for (ElasticsearchNode n : nodes) {
            try {
                n.terminate();
            } catch (IOException e) {
                System.err.println("could not signal node [" + n.name() + "]: " + e.getMessage());
            }
        }
        for (ElasticsearchNode n : nodes) {
            n.close();
        }
    }

    private static int distinctFreePort(Set<Integer> taken) throws IOException {
        for (int attempt = 0; attempt < 20; attempt++) {
            int p = ElasticsearchNode.freePort();
            if (taken.add(p)) {
                return p;
            }
        }
        throw new IOException("no free loopback port after 20 attempts");
    }

}
