package io.github.denseretrieval.it;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.net.HttpURLConnection;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;

/**
 * A real single Elasticsearch node on loopback, made from a distribution zip with the plugin zip
 * installed by {@code elasticsearch-plugin}, for tests and the quickstart.
 *
 * <p>Elasticsearch refuses to run as root, so when this JVM is root the node runs as an
 * unprivileged user ({@value #NODE_USER}, created with {@code useradd} if missing) and lives
 * under {@code /tmp}, where that user can reach it. {@link #close()} stops the node and waits for
 * it; a JVM shutdown hook does the same if the caller never gets there (Ctrl-C, a failed test).
 * Not thread-safe: one owner starts and stops it.
 */
public final class ElasticsearchNode implements Closeable {

    /** The unprivileged account the node runs under when started by root. */
    public static final String NODE_USER = "dense-es";

    private final Path home;
    private final int httpPort;
    private final Path pidFile;
    private final Thread shutdownHook;
    private boolean stopped;

    private ElasticsearchNode(Path home, int httpPort) {
        this.home = home;
        this.httpPort = httpPort;
        this.pidFile = home.resolve("es.pid");
        this.shutdownHook = new Thread(this::stopQuietly, "stop-elasticsearch");
    }

    /** Options of a node. */
    public record Options(Path distributionZip, Path pluginZip, Path workDir, int httpPort, String heap, boolean fresh) {}

    /**
     * Unpacks (unless already there and {@code fresh} is false), installs the plugin when the zip
     * changed, and starts the node; returns once the cluster is green.
     *
     * @throws IOException with the tail of the node's log when it does not start
     */
    public static ElasticsearchNode start(Options options) throws IOException, InterruptedException {
        boolean root = isRoot();
        if (root) {
            ensureUser();
        }
        int port = options.httpPort() > 0 ? options.httpPort() : freePort();
        if (!portFree(port)) {
            throw new IOException("port " + port + " is already in use on 127.0.0.1; stop what uses it or pick another port");
        }
        Path home = options.workDir().resolve("elasticsearch");
        if (options.fresh() && Files.exists(options.workDir())) {
            deleteRecursively(options.workDir());
        }
        if (!Files.isDirectory(home.resolve("bin"))) {
            unpack(options.distributionZip(), options.workDir());
        }
        installPlugin(home, options.pluginZip());
        writeConfig(home, port);
        ElasticsearchNode node = new ElasticsearchNode(home, port);
        if (root) {
            run(List.of("chown", "-R", NODE_USER, options.workDir().toString()), Duration.ofMinutes(2));
        }
        node.launch(root, options.heap());
        return node;
    }

    public String url() {
        return "http://127.0.0.1:" + httpPort;
    }

    /** The node's config directory (for model folders under {@code dense-retrieval/models}). */
    public Path configDir() {
        return home.resolve("config");
    }

    /** Makes {@code path} owned by the node's user when running as root (files copied in after start). */
    public void handToNodeUser(Path path) throws IOException, InterruptedException {
        if (isRoot()) {
            run(List.of("chown", "-R", NODE_USER, path.toString()), Duration.ofMinutes(1));
        }
    }

    private void launch(boolean root, String heap) throws IOException, InterruptedException {
        Files.deleteIfExists(pidFile);
        String javaHome = System.getProperty("java.home");
        List<String> command = new ArrayList<>();
        if (root) {
            command.addAll(List.of("runuser", "-u", NODE_USER, "--"));
        }
        command.addAll(List.of("env", "ES_JAVA_HOME=" + javaHome, "ES_JAVA_OPTS=-Xms" + heap + " -Xmx" + heap,
            home.resolve("bin/elasticsearch").toString(), "-d", "-p", pidFile.toString()));
        Runtime.getRuntime().addShutdownHook(shutdownHook);
        Process p = new ProcessBuilder(command).directory(home.toFile()).redirectErrorStream(true)
            .redirectOutput(home.resolve("logs-startup.txt").toFile()).start();
        boolean exited = p.waitFor(3, TimeUnit.MINUTES);
        if (!exited || p.exitValue() != 0) {
            p.destroyForcibly();
            throw new IOException("Elasticsearch did not start (exit " + (exited ? p.exitValue() : "timeout") + ").\n" + logTail());
        }
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
        while (System.nanoTime() < deadline) {
            if (healthIsGreen()) {
                return;
            }
            Thread.sleep(500);
        }
        stopQuietly();
        throw new IOException("Elasticsearch started but the cluster did not turn green within 3 minutes.\n" + logTail());
    }

    private boolean healthIsGreen() {
        try {
            HttpURLConnection c = (HttpURLConnection) URI.create(url() + "/_cluster/health?wait_for_status=green&timeout=1s").toURL()
                .openConnection();
            c.setConnectTimeout(1000);
            c.setReadTimeout(5000);
            try (InputStream in = c.getInputStream()) {
                return c.getResponseCode() == 200 && new String(in.readAllBytes(), StandardCharsets.UTF_8).contains("\"green\"");
            }
        } catch (IOException e) {
            return false;
        }
    }

    /** The last lines of the node's log, for error messages. */
    public String logTail() {
        StringBuilder out = new StringBuilder();
        for (Path log : List.of(home.resolve("logs-startup.txt"), home.resolve("logs/elasticsearch.log"))) {
            try {
                List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
                out.append("--- ").append(log).append(" (last 40 lines) ---\n");
                lines.subList(Math.max(0, lines.size() - 40), lines.size()).forEach(l -> out.append(l).append('\n'));
            } catch (IOException e) {
                out.append("--- ").append(log).append(": not readable (").append(e.getMessage()).append(") ---\n");
            }
        }
        return out.toString();
    }

    @Override
    public void close() {
        stopQuietly();
        try {
            Runtime.getRuntime().removeShutdownHook(shutdownHook);
        } catch (IllegalStateException e) {
            // already shutting down: the hook is running this very stop
        }
    }

    private synchronized void stopQuietly() {
        if (stopped) {
            return;
        }
        stopped = true;
        try {
            if (!Files.exists(pidFile)) {
                return;
            }
            long pid = Long.parseLong(Files.readString(pidFile).trim());
            ProcessHandle.of(pid).ifPresent(h -> {
                h.destroy();
                try {
                    h.onExit().get(60, TimeUnit.SECONDS);
                } catch (Exception e) {
                    h.destroyForcibly();
                }
            });
        } catch (IOException | NumberFormatException e) {
            System.err.println("could not stop Elasticsearch: " + e.getMessage());
        }
    }

    private static void installPlugin(Path home, Path pluginZip) throws IOException, InterruptedException {
        if (!Files.isRegularFile(pluginZip)) {
            throw new IOException("plugin zip not found: " + pluginZip + " (build it with: mvn -pl plugin -am package)");
        }
        Path marker = home.resolve("plugins/dense-retrieval/.installed-from");
        String stamp = pluginZip.toAbsolutePath() + " " + Files.getLastModifiedTime(pluginZip).toMillis() + " " + Files.size(pluginZip);
        if (Files.exists(marker) && Files.readString(marker).equals(stamp)) {
            return;
        }
        Map<String, String> env = Map.of("ES_JAVA_HOME", System.getProperty("java.home"));
        if (Files.isDirectory(home.resolve("plugins/dense-retrieval"))) {
            run(home, env, List.of(home.resolve("bin/elasticsearch-plugin").toString(), "remove", "dense-retrieval"), Duration.ofMinutes(2));
        }
        run(home, env, List.of(home.resolve("bin/elasticsearch-plugin").toString(), "install", "--batch",
            pluginZip.toAbsolutePath().toUri().toString()), Duration.ofMinutes(5));
        Files.writeString(marker, stamp);
    }

    private static void writeConfig(Path home, int port) throws IOException {
        int transport = freePort();
        String yml = String.join("\n",
            "# written by ElasticsearchNode: a single node on loopback",
            "cluster.name: dense-retrieval-test",
            "node.name: node-1",
            "discovery.type: single-node",
            "network.host: 127.0.0.1",
            "http.port: " + port,
            "transport.port: " + transport,
            // integ-test-zip ships x-pack-security; plain HTTP on loopback keeps tests and the quickstart simple.
            "xpack.security.enabled: false",
            "action.destructive_requires_name: false",
            "cluster.routing.allocation.disk.threshold_enabled: false",
            "");
        Files.writeString(home.resolve("config/elasticsearch.yml"), yml);
    }

    private static void unpack(Path zip, Path into) throws IOException {
        if (!Files.isRegularFile(zip)) {
            throw new IOException("Elasticsearch distribution not found: " + zip + " (it is resolved by Maven: mvn -pl integration-tests -am package)");
        }
        Path staging = into.resolve("unpacking");
        deleteRecursively(staging);
        Files.createDirectories(staging);
        try (ZipInputStream in = new ZipInputStream(Files.newInputStream(zip))) {
            for (ZipEntry e = in.getNextEntry(); e != null; e = in.getNextEntry()) {
                Path target = staging.resolve(e.getName()).normalize();
                if (!target.startsWith(staging)) {
                    throw new IOException("zip entry escapes the target folder: " + e.getName());
                }
                if (e.isDirectory()) {
                    Files.createDirectories(target);
                } else {
                    Files.createDirectories(target.getParent());
                    Files.copy(in, target, StandardCopyOption.REPLACE_EXISTING);
                }
            }
        }
        try (Stream<Path> top = Files.list(staging)) {
            Path dist = top.filter(Files::isDirectory).findFirst().orElseThrow(() -> new IOException("empty distribution zip " + zip));
            Files.move(dist, into.resolve("elasticsearch"));
        }
        deleteRecursively(staging);
        try (Stream<Path> bins = Files.list(into.resolve("elasticsearch/bin"))) {
            bins.forEach(b -> b.toFile().setExecutable(true, false));
        }
    }

    static boolean isRoot() {
        return "root".equals(System.getProperty("user.name"));
    }

    private static void ensureUser() throws IOException, InterruptedException {
        Process id = new ProcessBuilder("id", "-u", NODE_USER).redirectErrorStream(true).start();
        id.getInputStream().readAllBytes();
        if (id.waitFor() != 0) {
            run(List.of("useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", NODE_USER), Duration.ofMinutes(1));
        }
    }

    private static void run(List<String> command, Duration timeout) throws IOException, InterruptedException {
        run(null, Map.of(), command, timeout);
    }

    private static void run(Path dir, Map<String, String> env, List<String> command, Duration timeout) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        if (dir != null) {
            pb.directory(dir.toFile());
        }
        pb.environment().putAll(env);
        Process p = pb.start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(timeout.toSeconds(), TimeUnit.SECONDS) || p.exitValue() != 0) {
            p.destroyForcibly();
            throw new IOException("command failed: " + String.join(" ", command) + "\n" + output);
        }
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private static boolean portFree(int port) {
        try (ServerSocket s = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    static void deleteRecursively(Path p) throws IOException {
        if (!Files.exists(p)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(p)) {
            for (Path x : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(x);
            }
        }
    }
}
