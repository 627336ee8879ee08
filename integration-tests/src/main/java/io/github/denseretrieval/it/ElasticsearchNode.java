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
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;

/**
 * One real Elasticsearch node process on loopback, made from a distribution zip with the plugin
 * zip installed by {@code elasticsearch-plugin}, for tests and the quickstart. {@link #start}
 * makes a single-node cluster; {@link ElasticsearchCluster} makes several nodes from one unpacked
 * distribution, each with its own config directory ({@code ES_PATH_CONF}), data, logs, ports and
 * pid file.
 *
 * <p>Elasticsearch refuses to run as root, so when this JVM is root the node runs as an
 * unprivileged user ({@value #NODE_USER}, created with {@code useradd} if missing) and lives
 * under {@code /tmp}, where that user can reach it. {@link #close()} stops the node and waits for
 * it; a JVM shutdown hook does the same if the caller never gets there (Ctrl-C, a failed test).
 * Besides starting and stopping, a test may {@link #kill()} the node (SIGKILL),
 * {@link #terminate()} it (SIGTERM, without waiting), {@link #launch() launch} it again on the same
 * data, and {@link #sample() sample} its resident memory and thread count. Not thread-safe: one
 * owner starts and stops it.
 *
 * <p>Security is off unless {@link Options#security()} turns it on: then the node has
 * {@code xpack.security.enabled: true} with plain HTTP on loopback, file-realm users made by the
 * distribution's own {@code bin/elasticsearch-users}, and the operator's {@code roles.yml}; the
 * harness's own health checks authenticate as the {@link Security#admin() admin} user.
 */
public final class ElasticsearchNode implements Closeable {

    /** The unprivileged account the node runs under when started by root. */
    public static final String NODE_USER = "dense-es";

    /** The cluster name; Elasticsearch names its main log after it ({@code logs/<cluster.name>.log}). */
    static final String CLUSTER_NAME = "dense-retrieval-test";
    /**
     * glibc's mmap threshold for the node, as the README's "Memory" section advises operators: a
     * fixed 1 MiB keeps model weights and activations out of malloc's arenas, which otherwise
     * keep the memory of each reloaded model (the threshold adapts upwards after the first large
     * free). {@code -Dit.malloc.mmapThreshold=0} starts nodes with glibc's default, to measure
     * that default.
     */
    static final long MMAP_THRESHOLD = Long.getLong("it.malloc.mmapThreshold", 1L << 20);
    /** glibc's arena limit for the node; 0 keeps glibc's default (8 per core). */
    static final int ARENA_MAX = Integer.getInteger("it.malloc.arenaMax", 0);
    /** Extra server JVM options, e.g. {@code -XX:NativeMemoryTracking=summary} to take a node's native memory apart. */
    static final String EXTRA_JAVA_OPTS = System.getProperty("it.node.javaOpts", "").trim();

    /**
     * Where one node keeps its files. The distribution ({@code home}: bin, lib, modules, plugins)
     * may be shared by several nodes; everything else is the node's own.
     *
     * @param config     {@code ES_PATH_CONF}: elasticsearch.yml, users, roles, model folders
     * @param logs       {@code path.logs} (also the server JVM's working directory: GC log, crash reports)
     * @param tmp        {@code ES_TMPDIR}, or null for Elasticsearch's own choice under {@code /tmp}
     * @param startupLog what the launcher prints (appended on every launch)
     */
    record Layout(String name, Path home, Path config, Path logs, Path tmp, Path pidFile, Path startupLog) {}

    private final Layout layout;
    private final int httpPort;
    private final int transportPort;
    private final String heap;
    private final Security security;
    private final Thread shutdownHook;
    private boolean hookInstalled;
    private long pid = -1;
    private boolean stopped;

    ElasticsearchNode(Layout layout, int httpPort, int transportPort, String heap, Security security) {
        this.layout = layout;
        this.httpPort = httpPort;
        this.transportPort = transportPort;
        this.heap = heap;
        this.security = security;
        this.shutdownHook = new Thread(this::stopQuietly, "stop-elasticsearch-" + layout.name());
    }

    /**
     * Options of a single node.
     *
     * @param httpPort 0 picks a free port
     * @param heap     the JVM heap, e.g. {@code 1g}
     * @param fresh    delete {@code workDir} first instead of reusing the node's data
     * @param security {@link Security#OFF} or the users and roles of a secured node
     * @param pluginZip null starts the bare distribution (the yardstick of the bench's memory suite)
     * @param settings further {@code elasticsearch.yml} lines, e.g. {@code dense_retrieval.ingest.batch_size: 16}
     * @param pluginAddOns jars copied into the installed plugin's folder, as an operator adds the
     *                 optional TensorFlow engine ({@code plugin/tensorflow/target/jars})
     */
    public record Options(Path distributionZip, Path pluginZip, Path workDir, int httpPort, String heap, boolean fresh, Security security,
                          List<String> settings, List<Path> pluginAddOns) {

        public Options {
            Objects.requireNonNull(security, "security (use Security.OFF)");
            settings = List.copyOf(settings);
            pluginAddOns = List.copyOf(pluginAddOns);
        }

        public Options(Path distributionZip, Path pluginZip, Path workDir, int httpPort, String heap, boolean fresh, Security security) {
            this(distributionZip, pluginZip, workDir, httpPort, heap, fresh, security, List.of(), List.of());
        }

        /** These options with {@code lines} added to {@code elasticsearch.yml}. */
        public Options withSettings(List<String> lines) {
            List<String> all = new ArrayList<>(settings);
            all.addAll(lines);
            return new Options(distributionZip, pluginZip, workDir, httpPort, heap, fresh, security, all, pluginAddOns);
        }

        /** These options without the plugin: Elasticsearch as it ships. */
        public Options withoutPlugin() {
            return new Options(distributionZip, null, workDir, httpPort, heap, fresh, security, settings, List.of());
        }

        /** These options with every jar of {@code jarFolder} added to the plugin (e.g. the TensorFlow engine). */
        public Options withPluginJars(Path jarFolder) throws IOException {
            if (!Files.isDirectory(jarFolder)) {
                throw new IOException("no folder of jars at " + jarFolder + " (the TensorFlow engine's: mvn -pl plugin/tensorflow package)");
            }
            List<Path> jars;
            try (var files = Files.list(jarFolder)) {
                jars = files.filter(f -> f.getFileName().toString().endsWith(".jar")).sorted().toList();
            }
            if (jars.isEmpty()) {
                throw new IOException("no jars in " + jarFolder);
            }
            List<Path> all = new ArrayList<>(pluginAddOns);
            all.addAll(jars);
            return new Options(distributionZip, pluginZip, workDir, httpPort, heap, fresh, security, settings, all);
        }

        /**
         * Where the repository's command {@code name} keeps its node when no folder is given:
         * {@code /tmp/dense-retrieval-<name>} as root (the node runs as an unprivileged user, who
         * must be able to reach it), else {@code <root>/build/<name>}.
         */
        public static Path defaultWorkDir(Path root, String name) {
            return isRoot() ? Path.of("/tmp/dense-retrieval-" + name) : root.resolve("build").resolve(name);
        }

        /**
         * A node with security off from the distribution and plugin zip a build of the repository at
         * {@code root} leaves under {@code target/}: what the quickstart, the bench and the chunking
         * evaluation start.
         */
        public static Options inRepository(Path root, Path workDir, int httpPort, String heap, boolean fresh) {
            return new Options(root.resolve("integration-tests/target/distribution/elasticsearch-8.19.21.zip"),
                root.resolve("plugin/target/dense-retrieval-0.1.0-SNAPSHOT.zip"), workDir, httpPort, heap, fresh);
        }

        /** A node with security off (plain HTTP, no users): the quickstart and the shared test node. */
        public Options(Path distributionZip, Path pluginZip, Path workDir, int httpPort, String heap, boolean fresh) {
            this(distributionZip, pluginZip, workDir, httpPort, heap, fresh, Security.OFF);
        }
    }

    /** A file-realm user: {@code password} has at least 6 characters, {@code roles} are built-in or from {@code roles.yml}. */
    public record User(String name, String password, List<String> roles) {

        public User {
            if (password.length() < 6) {
                throw new IllegalArgumentException("password of user [" + name + "] must have at least 6 characters (an Elasticsearch rule)");
            }
            roles = List.copyOf(roles);
        }

        /** The value of an HTTP {@code Authorization} header for this user. */
        public String basicAuthorization() {
            return "Basic " + Base64.getEncoder().encodeToString((name + ":" + password).getBytes(StandardCharsets.UTF_8));
        }
    }

    /**
     * Security of a node: {@link #OFF}, or on with an {@code admin} user (role {@code superuser},
     * used by the harness's health checks and by tests to set the cluster up), further
     * {@code users}, and {@code rolesFile} copied verbatim to {@code config/roles.yml} (null: the
     * distribution's empty one). HTTP and transport stay plain on loopback: nodes bound to
     * loopback run in development mode, where the bootstrap check "Transport SSL must be enabled if
     * security is enabled" only logs a warning, so neither one node nor three need certificates.
     * Users and roles are file-realm only (see {@code writeConfig}).
     */
    public record Security(User admin, List<User> users, Path rolesFile) {

        /** Security disabled: every request is anonymous and allowed. */
        public static final Security OFF = new Security(null, List.of(), null);

        public Security {
            users = List.copyOf(users);
            if (admin != null && !admin.roles().contains("superuser")) {
                throw new IllegalArgumentException("the admin user [" + admin.name() + "] needs the role superuser, has " + admin.roles());
            }
        }

        /** Security on, with an admin user {@code adminName} (role {@code superuser}). */
        public static Security on(String adminName, String adminPassword, Path rolesFile, List<User> users) {
            return new Security(new User(adminName, adminPassword, List.of("superuser")), users, rolesFile);
        }

        public boolean enabled() {
            return admin != null;
        }
    }

    /** What {@link #sample()} read from {@code /proc/<pid>/status}: resident memory and OS threads (Java and native). */
    /**
     * @param rssBytes  resident memory ({@code VmRSS}), file-backed pages included: the index's memory-mapped segments
     * @param anonBytes anonymous resident memory ({@code RssAnon}): the pre-touched heap plus native allocations (models,
     *                  malloc arenas, thread stacks, metaspace), without the page cache of the growing index
     */
    public record ProcessSample(long rssBytes, long anonBytes, int threads) {}

    /**
     * Unpacks (unless already there and {@code fresh} is false), installs the plugin when the zip
     * changed, and starts a single-node cluster; returns once it is green. The node uses the
     * distribution's own {@code config/}, {@code data/} and {@code logs/}, so a later start with
     * {@code fresh} false finds the same data (what makes the quickstart's second run fast).
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
        if (options.pluginZip() != null) {
            installPlugin(home, options.pluginZip(), options.pluginAddOns());
        } else {
            removePlugins(home);
        }
        int transport = freePort();
        List<String> yml = new ArrayList<>(List.of(
            "# written by ElasticsearchNode: a single node on loopback",
            "cluster.name: " + CLUSTER_NAME,
            "node.name: node-1",
            "discovery.type: single-node",
            "network.host: 127.0.0.1",
            "http.port: " + port,
            "transport.port: " + transport));
        yml.addAll(securitySettings(options.security()));
        yml.addAll(commonSettings());
        yml.addAll(options.settings());
        Files.writeString(home.resolve("config/elasticsearch.yml"), String.join("\n", yml) + "\n");
        if (options.security().enabled()) {
            createUsers(home, home.resolve("config"), options.security());
        }
        Layout layout = new Layout("node-1", home, home.resolve("config"), home.resolve("logs"), null, home.resolve("es.pid"),
            home.resolve("logs-startup.txt"));
        ElasticsearchNode node = new ElasticsearchNode(layout, port, transport, options.heap(), options.security());
        // The chown also hands the files written by root (config, users, roles, plugin) to the node's user.
        handToNodeUserIfRoot(options.workDir());
        node.launch();
        node.awaitGreen(Duration.ofMinutes(3));
        return node;
    }

    /** The node's name ({@code node.name}). */
    public String name() {
        return layout.name();
    }

    public String url() {
        return "http://127.0.0.1:" + httpPort;
    }

    int transportPort() {
        return transportPort;
    }

    /** The node's config directory (for model folders under {@code dense-retrieval/models}). */
    public Path configDir() {
        return layout.config();
    }

    /** The folder of {@code modelId} on this node: {@code config/dense-retrieval/models/<modelId>}. */
    public Path modelFolder(String modelId) {
        return layout.config().resolve("dense-retrieval/models").resolve(modelId);
    }

    /**
     * Copies the model folder {@code from} to {@link #modelFolder}{@code (modelId)}, replacing what
     * is there, and hands it to the node's user; a {@code POST _dense/models/_reload} then serves it.
     */
    public void installModel(String modelId, Path from) throws IOException, InterruptedException {
        Path target = modelFolder(modelId);
        deleteRecursively(target);
        copyFolder(from, target);
        handToNodeUser(target.getParent());
    }

    static void copyFolder(Path from, Path to) throws IOException {
        try (Stream<Path> files = Files.walk(from)) {
            for (Path f : files.toList()) {
                Path dest = to.resolve(from.relativize(f).toString());
                if (Files.isDirectory(f)) {
                    Files.createDirectories(dest);
                } else {
                    Files.createDirectories(dest.getParent());
                    Files.copy(f, dest, StandardCopyOption.REPLACE_EXISTING);
                }
            }
        }
    }

    /** Makes {@code path} owned by the node's user when running as root (files copied in after start). */
    public void handToNodeUser(Path path) throws IOException, InterruptedException {
        handToNodeUserIfRoot(path);
    }

    /**
     * Starts the node's process on its existing config and data and returns when the launcher
     * says the node has started (it may not have joined its cluster yet): the first start, or a
     * restart after {@link #kill()}, {@link #terminate()} or {@link #stop()}.
     */
    public synchronized void launch() throws IOException, InterruptedException {
        if (isAlive()) {
            throw new IllegalStateException("node [" + name() + "] is already running (pid " + pid + ")");
        }
        Files.deleteIfExists(layout.pidFile());
        List<String> command = new ArrayList<>();
        if (isRoot()) {
            command.addAll(List.of("runuser", "-u", NODE_USER, "--"));
        }
        // A pre-touched heap is resident from the start, so growth of anonymous memory is native memory.
        command.addAll(List.of("env", "ES_JAVA_HOME=" + System.getProperty("java.home"), "ES_PATH_CONF=" + layout.config(),
            "ES_JAVA_OPTS=-Xms" + heap + " -Xmx" + heap + " -XX:+AlwaysPreTouch" + (EXTRA_JAVA_OPTS.isEmpty() ? "" : " " + EXTRA_JAVA_OPTS)));
        if (layout.tmp() != null) {
            command.add("ES_TMPDIR=" + layout.tmp());
        }
        List<String> tunables = new ArrayList<>();
        if (MMAP_THRESHOLD > 0) {
            tunables.add("glibc.malloc.mmap_threshold=" + MMAP_THRESHOLD);
        }
        if (ARENA_MAX > 0) {
            tunables.add("glibc.malloc.arena_max=" + ARENA_MAX);
        }
        if (tunables.isEmpty() == false) {
            command.add("GLIBC_TUNABLES=" + String.join(":", tunables));
        }
        command.addAll(List.of(layout.home().resolve("bin/elasticsearch").toString(), "-d", "-p", layout.pidFile().toString()));
        if (!hookInstalled) {
            Runtime.getRuntime().addShutdownHook(shutdownHook);
            hookInstalled = true;
        }
        stopped = false;
        Process p = new ProcessBuilder(command).directory(layout.home().toFile()).redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(layout.startupLog().toFile())).start();
        boolean exited = p.waitFor(4, TimeUnit.MINUTES);
        if (!exited || p.exitValue() != 0) {
            p.destroyForcibly();
            throw new IOException("Elasticsearch node [" + name() + "] did not start (exit " + (exited ? p.exitValue() : "timeout") + ").\n"
                + logTail());
        }
        pid = Long.parseLong(Files.readString(layout.pidFile()).trim());
    }

    /** Waits until this node answers that its cluster is green. */
    void awaitGreen(Duration timeout) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (healthIsGreen()) {
                return;
            }
            Thread.sleep(500);
        }
        stopQuietly();
        throw new IOException("Elasticsearch started but the cluster did not turn green within " + timeout.toSeconds() + " s.\n" + logTail());
    }

    /** The process id of the running server JVM, or -1 before the first launch. */
    public long pid() {
        return pid;
    }

    /** Whether the node's process still runs (false after a crash, a kill, or once stopped). */
    public boolean isAlive() {
        return pid > 0 && ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
    }

    /** SIGKILL: the node dies at once, as on a power cut; returns when the process is gone. */
    public void kill() throws IOException {
        signal(true);
        awaitExitOrThrow(Duration.ofSeconds(30));
    }

    /** SIGTERM: asks the node to shut down gracefully and returns at once (see {@link #awaitExit}). */
    public void terminate() throws IOException {
        signal(false);
    }

    /** Waits up to {@code timeout} for the process to end; true if it has. */
    public boolean awaitExit(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (isAlive()) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            Thread.sleep(100);
        }
        return true;
    }

    /** SIGTERM, and SIGKILL if the node has not stopped after 60 s. */
    public void stop() throws IOException, InterruptedException {
        signal(false);
        if (!awaitExit(Duration.ofSeconds(60))) {
            signal(true);
            awaitExitOrThrow(Duration.ofSeconds(30));
        }
    }

    private void signal(boolean kill) throws IOException {
        ProcessHandle h = pid > 0 ? ProcessHandle.of(pid).orElse(null) : null;
        if (h == null || !h.isAlive()) {
            return;
        }
        boolean sent = kill ? h.destroyForcibly() : h.destroy();
        if (!sent && h.isAlive()) {
            throw new IOException("could not send " + (kill ? "SIGKILL" : "SIGTERM") + " to node [" + name() + "] (pid " + pid + ")");
        }
    }

    private void awaitExitOrThrow(Duration timeout) throws IOException {
        try {
            if (!awaitExit(timeout)) {
                throw new IOException("node [" + name() + "] (pid " + pid + ") still runs " + timeout.toSeconds() + " s after the signal");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while waiting for node [" + name() + "] to exit", e);
        }
    }

    /** Resident memory ({@code VmRSS}, {@code RssAnon}) and thread count ({@code Threads}) of the node's process now. */
    public ProcessSample sample() throws IOException {
        long rss = -1;
        long anon = -1;
        int threads = -1;
        for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"), StandardCharsets.UTF_8)) {
            if (line.startsWith("VmRSS:")) {
                rss = Long.parseLong(line.substring(6).trim().split("\\s+")[0]) * 1024;
            } else if (line.startsWith("RssAnon:")) {
                anon = Long.parseLong(line.substring(8).trim().split("\\s+")[0]) * 1024;
            } else if (line.startsWith("Threads:")) {
                threads = Integer.parseInt(line.substring(8).trim());
            }
        }
        return new ProcessSample(rss, anon, threads);
    }

    /**
     * Runs a full garbage collection in the node's JVM ({@code jcmd <pid> GC.run}, the JDK's own
     * diagnostic command), so that the heap read next is the live heap.
     */
    public void collectGarbage() throws IOException, InterruptedException {
        run(null, Map.of(), List.of(Path.of(System.getProperty("java.home"), "bin", "jcmd").toString(), Long.toString(pid), "GC.run"),
            Duration.ofMinutes(1));
    }

    /** The stacks of every thread of the node's JVM ({@code jcmd <pid> Thread.print}), for a node that does not stop. */
    public String threadDump() throws IOException, InterruptedException {
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "jcmd").toString(), Long.toString(pid), "Thread.print")
            .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor(1, TimeUnit.MINUTES);
        return out;
    }

    private boolean healthIsGreen() {
        try {
            HttpURLConnection c = (HttpURLConnection) URI.create(url() + "/_cluster/health?wait_for_status=green&timeout=1s").toURL()
                .openConnection();
            if (security.enabled()) {
                c.setRequestProperty("Authorization", security.admin().basicAuthorization());
            }
            c.setConnectTimeout(1000);
            c.setReadTimeout(5000);
            try (InputStream in = c.getInputStream()) {
                return c.getResponseCode() == 200 && new String(in.readAllBytes(), StandardCharsets.UTF_8).contains("\"green\"");
            }
        } catch (IOException e) {
            return false;
        }
    }

    /** How many lines of the node's main log contain {@code text}. */
    public long logLinesContaining(String text) throws IOException {
        try (Stream<String> lines = Files.lines(layout.logs().resolve(CLUSTER_NAME + ".log"), StandardCharsets.UTF_8)) {
            return lines.filter(l -> l.contains(text)).count();
        }
    }

    /**
     * The last lines of the node's log, for error messages, and the head of any JVM crash report
     * ({@code hs_err_pid*.log}: the JVM writes one when native code, such as ONNX Runtime, kills it).
     */
    public String logTail() {
        StringBuilder out = new StringBuilder();
        for (Path log : List.of(layout.startupLog(), layout.logs().resolve(CLUSTER_NAME + ".log"))) {
            try {
                List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
                out.append("--- ").append(log).append(" (last 40 lines) ---\n");
                lines.subList(Math.max(0, lines.size() - 40), lines.size()).forEach(l -> out.append(l).append('\n'));
            } catch (IOException e) {
                out.append("--- ").append(log).append(": not readable (").append(e.getMessage()).append(") ---\n");
            }
        }
        // The server JVM runs in the logs folder (where -XX:ErrorFile=hs_err_pid%p.log lands); home in case that changes.
        for (Path dir : List.of(layout.logs(), layout.home())) {
            try (Stream<Path> files = Files.list(dir)) {
                for (Path crash : files.filter(f -> f.getFileName().toString().startsWith("hs_err_pid")).sorted().toList()) {
                    List<String> lines = Files.readAllLines(crash, StandardCharsets.ISO_8859_1);
                    out.append("--- ").append(crash).append(" (JVM crash report, first 40 lines) ---\n");
                    lines.subList(0, Math.min(40, lines.size())).forEach(l -> out.append(l).append('\n'));
                }
            } catch (IOException e) {
                out.append("--- ").append(dir).append(": cannot list crash reports (").append(e.getMessage()).append(") ---\n");
            }
        }
        return out.toString();
    }

    /** Whether the node's log holds a JVM crash report (native code killed it). */
    public boolean crashed() {
        for (Path dir : List.of(layout.logs(), layout.home())) {
            try (Stream<Path> files = Files.list(dir)) {
                if (files.anyMatch(f -> f.getFileName().toString().startsWith("hs_err_pid"))) {
                    return true;
                }
            } catch (IOException e) {
                // no folder, no crash report
            }
        }
        return false;
    }

    @Override
    public void close() {
        stopQuietly();
        if (hookInstalled) {
            try {
                Runtime.getRuntime().removeShutdownHook(shutdownHook);
            } catch (IllegalStateException e) {
                // already shutting down: the hook is running this very stop
            }
            hookInstalled = false;
        }
    }

    private synchronized void stopQuietly() {
        if (stopped) {
            return;
        }
        stopped = true;
        try {
            stop();
        } catch (IOException e) {
            System.err.println("could not stop Elasticsearch node [" + name() + "]: " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    // ---- the distribution, shared by the single node and ElasticsearchCluster ----

    /**
     * Installs the dense-retrieval plugin zip, and on a distribution without analysis-common (the
     * integ-test-zip) the test-side {@code english-analysis} plugin that supplies es-config's
     * {@code english} analyzer, as every real cluster's analysis-common does.
     */
    static void installPlugin(Path home, Path pluginZip, List<Path> addOns) throws IOException, InterruptedException {
        installPlugin(home, pluginZip, "dense-retrieval", "mvn -pl plugin -am package", addOns);
        if (!Files.isDirectory(home.resolve("modules/analysis-common"))) {
            Path englishZip = Path.of(System.getProperty("english.analysis.zip", pluginZip.toAbsolutePath().getParent().getParent()
                .resolveSibling("integration-tests/english-analysis/target/english-analysis-0.1.0-SNAPSHOT.zip").toString()));
            installPlugin(home, englishZip, "english-analysis", "mvn -pl integration-tests/english-analysis package", List.of());
        }
    }

    /** Removes every installed plugin, so that a reused unpacked distribution starts bare. */
    private static void removePlugins(Path home) throws IOException, InterruptedException {
        Map<String, String> env = Map.of("ES_JAVA_HOME", System.getProperty("java.home"));
        for (String name : List.of("dense-retrieval", "english-analysis")) {
            if (Files.isDirectory(home.resolve("plugins/" + name))) {
                run(home, env, List.of(home.resolve("bin/elasticsearch-plugin").toString(), "remove", name), Duration.ofMinutes(2));
            }
        }
    }

    private static void installPlugin(Path home, Path zip, String name, String buildCommand, List<Path> addOns)
        throws IOException, InterruptedException {
        if (!Files.isRegularFile(zip)) {
            throw new IOException("plugin zip not found: " + zip + " (build it with: " + buildCommand + ")");
        }
        Path marker = home.resolve("plugins/" + name + "/.installed-from");
        // The add-ons are part of the stamp: a folder reused with other add-ons (or none) is installed afresh.
        String stamp = zip.toAbsolutePath() + " " + Files.getLastModifiedTime(zip).toMillis() + " " + Files.size(zip)
            + addOns.stream().map(j -> " " + j.getFileName()).collect(java.util.stream.Collectors.joining());
        if (Files.exists(marker) && Files.readString(marker).equals(stamp)) {
            return;
        }
        Map<String, String> env = Map.of("ES_JAVA_HOME", System.getProperty("java.home"));
        if (Files.isDirectory(home.resolve("plugins/" + name))) {
            run(home, env, List.of(home.resolve("bin/elasticsearch-plugin").toString(), "remove", name), Duration.ofMinutes(2));
        }
        run(home, env, List.of(home.resolve("bin/elasticsearch-plugin").toString(), "install", "--batch",
            zip.toAbsolutePath().toUri().toString()), Duration.ofMinutes(5));
        for (Path jar : addOns) {
            Files.copy(jar, home.resolve("plugins/" + name).resolve(jar.getFileName()));
        }
        Files.writeString(marker, stamp);
    }

    /** The {@code elasticsearch.yml} lines that turn security on or off (see {@link Security}). */
    static List<String> securitySettings(Security security) {
        if (security.enabled()) {
            // Bound to loopback a node is in development mode, where the bootstrap check "Transport SSL
            // must be enabled if security is enabled" only logs a warning: no certificates needed, for
            // one node or three. The integ-test-zip has no analysis-common module, so the .security
            // index (native users, role API, API keys) cannot be created there: users and roles come
            // from the file realm only.
            return List.of(
                "xpack.security.enabled: true",
                "xpack.security.http.ssl.enabled: false",
                "xpack.security.transport.ssl.enabled: false");
        }
        // integ-test-zip ships x-pack-security; plain HTTP on loopback keeps tests and the quickstart simple.
        return List.of("xpack.security.enabled: false");
    }

    static List<String> commonSettings() {
        return List.of(
            "action.destructive_requires_name: false",
            "cluster.routing.allocation.disk.threshold_enabled: false");
    }

    /**
     * Writes {@code config/roles.yml} and (re)creates every file-realm user with
     * {@code bin/elasticsearch-users useradd}, which refuses existing users: a reused node starts
     * from empty {@code users} and {@code users_roles} files.
     */
    static void createUsers(Path home, Path config, Security security) throws IOException, InterruptedException {
        if (security.rolesFile() != null) {
            Files.copy(security.rolesFile(), config.resolve("roles.yml"), StandardCopyOption.REPLACE_EXISTING);
        }
        // Emptied, not deleted: the tool refuses to run without them (the distribution ships them empty).
        Files.writeString(config.resolve("users"), "");
        Files.writeString(config.resolve("users_roles"), "");
        Map<String, String> env = Map.of("ES_JAVA_HOME", System.getProperty("java.home"), "ES_PATH_CONF", config.toString());
        List<User> all = new ArrayList<>();
        all.add(security.admin());
        all.addAll(security.users());
        for (User u : all) {
            run(home, env, List.of(home.resolve("bin/elasticsearch-users").toString(), "useradd", u.name(), "-p", u.password(),
                "-r", String.join(",", u.roles())), Duration.ofMinutes(2));
        }
    }

    static void unpack(Path zip, Path into) throws IOException {
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

    static void ensureUser() throws IOException, InterruptedException {
        Process id = new ProcessBuilder("id", "-u", NODE_USER).redirectErrorStream(true).start();
        id.getInputStream().readAllBytes();
        if (id.waitFor() != 0) {
            run(null, Map.of(), List.of("useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", NODE_USER),
                Duration.ofMinutes(1));
        }
    }

    static void handToNodeUserIfRoot(Path path) throws IOException, InterruptedException {
        if (isRoot()) {
            run(null, Map.of(), List.of("chown", "-R", NODE_USER, path.toString()), Duration.ofMinutes(2));
        }
    }

    static void run(Path dir, Map<String, String> env, List<String> command, Duration timeout) throws IOException, InterruptedException {
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

    static boolean portFree(int port) {
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
