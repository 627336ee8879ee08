package io.github.denseretrieval.it;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Soak: eight clients against the three nodes, four of them mixing bulk ingest (half of their
 * requests, ten passages a bulk) with the three query modes ({@code dense}, {@code knn} +
 * {@code dense_encode}, {@code hybrid}) and four sending queries only, for 2 minutes (10 in the
 * full run). Before that the four query-only clients run alone (20 s; 60 s full), so their
 * latencies with and without ingest compare the same query load. Zero errors other than 429s,
 * which the clients retry; each node's heap after a full GC, resident memory and thread count in
 * the first minute vs the last stay flat; p50/p95/p99 per mode are printed. Then
 * {@code GET _dense/_stats} must count, node by node, what the clients sent.
 */
@ExtendWith(SecuredCluster.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ClusterSoakIT {

    private static final String INDEX = "cluster-soak";
    /** Clients 0-3 mix ingest and queries; clients 4-7 only query. */
    private static final int CLIENTS = 8;
    private static final int MIXING = 4;
    private static final Duration MIXED = Duration.ofMinutes(SecuredCluster.FULL ? 10 : 2);
    private static final Duration IDLE = Duration.ofSeconds(SecuredCluster.FULL ? 60 : 20);
    private static final Duration SAMPLE_EVERY = Duration.ofSeconds(SecuredCluster.FULL ? 30 : 20);
    /** Share of a mixing client's requests that are bulks. */
    private static final double INGEST_SHARE = 0.5;
    private static final int BULK = 10;
    private static final int SEARCH_ATTEMPTS = 10;

    /** One sample of every node, {@code seconds} into the mixed phase. */
    private record Sample(double seconds, List<ElasticsearchCluster.NodeSample> nodes) {}

    // What the soak saw, for the stats test that follows it.
    private static Map<String, JsonNode> statsBefore;
    private static Map<String, JsonNode> statsAfter;
    private static BulkIngester soakIngester;
    private static final Map<String, AtomicInteger> SEARCHES_BY_NODE = new ConcurrentHashMap<>();

    @Test
    @Order(1)
    void eightClientsMixingIngestAndQueriesSeeNoErrorsAndFlatMemory() throws Exception {
        ElasticsearchCluster cluster = SecuredCluster.cluster();
        PassageIndex index = PassageIndex.create(cluster.admin(), INDEX, SecuredCluster.MODEL, 3, 1);
        List<String> questions = SearchMode.questions(300);
        // Latencies of the query-only clients alone, of the same clients while ingest runs, and of every client then.
        Map<SearchMode, Latencies> idle = latenciesPerMode();
        Map<SearchMode, Latencies> busy = latenciesPerMode();
        Map<SearchMode, Latencies> mixed = latenciesPerMode();
        StatusCounts searchOutcomes = new StatusCounts();
        AtomicInteger searchesRetried = new AtomicInteger();
        List<String> searchFailures = Collections.synchronizedList(new ArrayList<>());
        List<Sample> samples = Collections.synchronizedList(new ArrayList<>());
        AtomicInteger bulks = new AtomicInteger();

        ExecutorService pool = Executors.newFixedThreadPool(CLIENTS + 1);
        try (NodeRouter router = new NodeRouter(cluster, Duration.ofSeconds(120))) {
            new BulkIngester(router, INDEX, 50, 20).ingest(Passages.shortOnes(300, "soak-preload").iterator(), Long.MAX_VALUE,
                System.nanoTime() + Duration.ofMinutes(3).toNanos(), () -> false);
            index.refresh();
            statsBefore = stats(cluster.admin());
            soakIngester = new BulkIngester(router, INDEX, BULK, 30);

            long idleEnd = System.nanoTime() + IDLE.toNanos();
            runClients(pool, router, questions, idleEnd, false, latenciesPerMode(), idle, searchOutcomes, searchesRetried, searchFailures, bulks);
            long mixedStart = System.nanoTime();
            long mixedEnd = mixedStart + MIXED.toNanos();
            AtomicBoolean sampling = new AtomicBoolean(true);
            Future<?> sampler = pool.submit(() -> {
                while (sampling.get()) {
                    samples.add(new Sample((System.nanoTime() - mixedStart) / 1e9, cluster.sample(true)));
                    long next = System.nanoTime() + SAMPLE_EVERY.toNanos();
                    while (sampling.get() && System.nanoTime() < next) {
                        Thread.sleep(200);
                    }
                }
                return null;
            });
            runClients(pool, router, questions, mixedEnd, true, mixed, busy, searchOutcomes, searchesRetried, searchFailures, bulks);
            samples.add(new Sample((System.nanoTime() - mixedStart) / 1e9, cluster.sample(true)));
            sampling.set(false);
            sampler.get(2, TimeUnit.MINUTES);
            statsAfter = stats(cluster.admin());
        } finally {
            pool.shutdownNow();
            pool.awaitTermination(1, TimeUnit.MINUTES);
        }

        index.refresh();
        long found = index.count();
        System.out.printf(Locale.ROOT, "[cluster] soak (%s): %d clients (%d mixing ingest and queries, %d querying), %d s queries only then %d s "
                + "mixed; bulks of %d: %d, items %s, acked %d, failed %d; searches %s, 429 retried %d, failed %d; index holds %d (300 preloaded)%n",
            SecuredCluster.FULL ? "full" : "reduced", CLIENTS, MIXING, CLIENTS - MIXING, IDLE.toSeconds(), MIXED.toSeconds(), BULK, bulks.get(),
            soakIngester.itemStatuses(), soakIngester.acknowledged().size(), soakIngester.failures().size(), searchOutcomes, searchesRetried.get(),
            searchFailures.size(), found);
        System.out.println("[cluster] soak latency ms | query-only clients, no ingest   | same clients, ingest running  | all 8 clients, ingest running");
        System.out.println("[cluster] soak mode       |      n   p50   p95   p99          |      n   p50   p95   p99        |      n   p50   p95   p99");
        for (SearchMode mode : SearchMode.values()) {
            System.out.printf(Locale.ROOT, "[cluster] soak %-10s | %s | %s | %s%n", mode.name().toLowerCase(Locale.ROOT), row(idle.get(mode)),
                row(busy.get(mode)), row(mixed.get(mode)));
        }
        System.out.printf(Locale.ROOT, "[cluster] soak bulk(%d)   | %s | %s | %s%n", BULK, " ".repeat(31), " ".repeat(29),
            row(soakIngester.latency()));
        double lastMinuteFrom = MIXED.toSeconds() - 60;
        List<String> notFlat = new ArrayList<>();
        for (ElasticsearchNode node : cluster.nodes()) {
            double[] first = averages(samples, node.name(), 0, 60);
            double[] last = averages(samples, node.name(), lastMinuteFrom, Double.MAX_VALUE);
            System.out.printf(Locale.ROOT, "[cluster] soak %s first minute -> last minute: heap after GC %.0f -> %.0f MiB, RSS %.0f -> %.0f MiB, "
                + "threads %.0f -> %.0f%n", node.name(), first[0], last[0], first[1], last[1], first[2], last[2]);
            // Flat: what a leak would break, with room for an index that grows during the soak.
            if (last[0] > first[0] * 1.5 + 32) {
                notFlat.add(node.name() + " heap after GC " + first[0] + " -> " + last[0] + " MiB");
            }
            if (last[1] > first[1] * 1.10) {
                notFlat.add(node.name() + " RSS " + first[1] + " -> " + last[1] + " MiB");
            }
            if (last[2] > first[2] * 1.10 + 5) {
                notFlat.add(node.name() + " threads " + first[2] + " -> " + last[2]);
            }
        }

        assertEquals(List.of(), searchFailures.subList(0, Math.min(5, searchFailures.size())), "searches end 200 (429 retried)");
        assertEquals(List.of(), soakIngester.failures().subList(0, Math.min(5, soakIngester.failures().size())), "bulk items end 2xx (429 retried)");
        assertEquals(0, searchOutcomes.otherThan2xxAnd("429"), "search answers other than 200 and 429: " + searchOutcomes);
        assertEquals(0, soakIngester.itemStatuses().otherThan2xxAnd("429"), "bulk items other than 2xx and 429: " + soakIngester.itemStatuses());
        assertEquals(0, soakIngester.requestOutcomes().otherThan2xxAnd("429"), "bulk requests other than 200 and 429: "
            + soakIngester.requestOutcomes());
        assertEquals(300 + soakIngester.acknowledged().size(), found, "documents in the index vs acknowledged");
        assertTrue(cluster.nodes().stream().allMatch(ElasticsearchNode::isAlive), "a node died in the soak:\n" + cluster.logTails());
        assertEquals(List.of(), notFlat, "heap after GC, RSS and threads stay flat from the first minute to the last");
    }

    @Test
    @Order(2)
    void denseStatsCountWhatTheClientsSent() {
        Assumptions.assumeTrue(statsBefore != null && statsAfter != null,
            "GET _dense/_stats is not served by this plugin zip (it answered 400/404), or the soak did not run");
        StringBuilder table = new StringBuilder();
        List<String> mismatches = new ArrayList<>();
        long passages = 0;
        long rejected = 0;
        for (ElasticsearchNode node : SecuredCluster.cluster().nodes()) {
            JsonNode before = statsBefore.get(node.name());
            JsonNode after = statsAfter.get(node.name());
            long dPassages = delta(before, after, "ingest", "passages");
            long dRejected = delta(before, after, "ingest", "rejected");
            long dFailed = delta(before, after, "ingest", "failed");
            long dQuestions = delta(before, after, "questions", "count");
            long dQuestionsFailed = delta(before, after, "questions", "failed");
            long dPasses = delta(before, after, null, "forward_passes");
            StatusCounts items = soakIngester.itemStatusesOf(node.name());
            long sentOk = items.asMap().entrySet().stream().filter(e -> e.getKey().startsWith("2")).mapToLong(Map.Entry::getValue).sum();
            long sent429 = items.get("429");
            long searches = SEARCHES_BY_NODE.getOrDefault(node.name(), new AtomicInteger()).get();
            passages += dPassages;
            rejected += dRejected;
            table.append(String.format(Locale.ROOT, "%n[cluster] soak stats %s: passages %d (clients acked %d), rejected %d (clients saw 429 %d), failed %d, "
                    + "queued now %d; questions %d (clients sent %d), failed %d; forward passes %d; batch latency p50 %.0f p99 %.0f ms; question "
                    + "latency p50 %.0f p99 %.0f ms", node.name(), dPassages, sentOk, dRejected, sent429, dFailed,
                after.path("ingest").path("queued").asLong(), dQuestions, searches, dQuestionsFailed, dPasses,
                after.path("batch_latency_ms").path("p50").asDouble(), after.path("batch_latency_ms").path("p99").asDouble(),
                after.path("question_latency_ms").path("p50").asDouble(), after.path("question_latency_ms").path("p99").asDouble()));
            if (dPassages != sentOk) {
                mismatches.add(node.name() + ": passages " + dPassages + " vs acked " + sentOk);
            }
            if (dRejected != sent429) {
                mismatches.add(node.name() + ": rejected " + dRejected + " vs 429 items " + sent429);
            }
            if (dQuestions != searches) {
                mismatches.add(node.name() + ": questions " + dQuestions + " vs searches sent " + searches);
            }
            if (dFailed != 0 || dQuestionsFailed != 0) {
                mismatches.add(node.name() + ": failed passages " + dFailed + ", failed questions " + dQuestionsFailed);
            }
            if (after.path("ingest").path("queued").asLong() != 0) {
                mismatches.add(node.name() + ": " + after.path("ingest").path("queued").asLong() + " passages still queued after every client got its answer");
            }
            if (dPassages > 0 && dPasses <= 0) {
                mismatches.add(node.name() + ": passages encoded without forward passes");
            }
        }
        System.out.println(table.toString().substring(1));
        System.out.printf(Locale.ROOT, "[cluster] soak stats: all nodes passages %d vs acked %d, rejected %d vs 429 items %d%n", passages,
            soakIngester.acknowledged().size(), rejected, soakIngester.itemStatuses().get("429"));
        assertEquals(List.of(), mismatches, "GET _dense/_stats counts what the clients sent");
    }

    @AfterAll
    static void deleteIndex() throws IOException {
        if (SecuredCluster.cluster() != null) {
            SecuredCluster.cluster().admin().send("DELETE", "/" + INDEX, null);
        }
    }

    /**
     * Runs the clients until {@code end}: with {@code ingest} all eight, each mixing client sending
     * a bulk of its own passages ({@value #INGEST_SHARE} of its requests, by its own seeded random
     * choice) or a search of a random mode; without, only the query-only clients. A 429 is retried
     * after a pause. Latencies go to {@code all}, and those of query-only clients also to {@code queryOnly}.
     */
    private static void runClients(ExecutorService pool, NodeRouter router, List<String> questions, long end, boolean ingest,
                                   Map<SearchMode, Latencies> all, Map<SearchMode, Latencies> queryOnly, StatusCounts outcomes,
                                   AtomicInteger retried, List<String> failures, AtomicInteger bulks) throws Exception {
        List<Future<?>> clients = new ArrayList<>();
        for (int c = ingest ? 0 : MIXING; c < CLIENTS; c++) {
            int client = c;
            boolean mixing = client < MIXING;
            clients.add(pool.submit(() -> {
                Random random = new Random(42 + client + (ingest ? 100 : 0));
                Iterator<Passages.Passage> own = Passages.shortOnes(mixing ? (SecuredCluster.FULL ? 20_000 : 4_000) : 0, "soak-" + client).iterator();
                while (System.nanoTime() < end) {
                    if (mixing && random.nextDouble() < INGEST_SHARE && own.hasNext()) {
                        List<Passages.Passage> batch = new ArrayList<>();
                        while (batch.size() < BULK && own.hasNext()) {
                            batch.add(own.next());
                        }
                        soakIngester.ingest(batch.iterator(), Long.MAX_VALUE, System.nanoTime() + Duration.ofMinutes(2).toNanos(), () -> false);
                        bulks.incrementAndGet();
                        continue;
                    }
                    SearchMode mode = SearchMode.values()[random.nextInt(3)];
                    String question = questions.get(random.nextInt(questions.size()));
                    long start = System.nanoTime();
                    for (int attempt = 1; ; attempt++) {
                        int node = router.pick();
                        SEARCHES_BY_NODE.computeIfAbsent(router.name(node), k -> new AtomicInteger()).incrementAndGet();
                        SearchMode.Outcome o = mode.run(router.client(node), INDEX, question, SecuredCluster.MODEL);
                        outcomes.add(o.kind());
                        if (o.status() == 200) {
                            double ms = (System.nanoTime() - start) / 1e6;
                            all.get(mode).add(ms);
                            if (!mixing) {
                                queryOnly.get(mode).add(ms);
                            }
                            break;
                        }
                        if (o.status() == 429 && attempt < SEARCH_ATTEMPTS) {
                            retried.incrementAndGet();
                            Thread.sleep(200);
                            continue;
                        }
                        failures.add(mode + " on " + router.name(node) + " answered " + o.kind() + ": " + o.error());
                        break;
                    }
                }
                return null;
            }));
        }
        for (Future<?> f : clients) {
            f.get(MIXED.plusMinutes(5).toSeconds(), TimeUnit.SECONDS);
        }
    }

    /** {@code n p50 p95 p99} of one latency column. */
    private static String row(Latencies l) {
        return String.format(Locale.ROOT, "%6d %5.0f %5.0f %5.0f         ", l.count(), l.percentile(50), l.percentile(95), l.percentile(99));
    }

    private static Map<SearchMode, Latencies> latenciesPerMode() {
        Map<SearchMode, Latencies> out = new EnumMap<>(SearchMode.class);
        for (SearchMode m : SearchMode.values()) {
            out.put(m, new Latencies());
        }
        return out;
    }

    /** Average heap (MiB), RSS (MiB) and threads of {@code node} over the samples taken in [from, to) seconds. */
    private static double[] averages(List<Sample> samples, String node, double from, double to) {
        double[] sum = new double[3];
        int n = 0;
        synchronized (samples) {
            for (Sample s : samples) {
                if (s.seconds() < from || s.seconds() >= to) {
                    continue;
                }
                for (ElasticsearchCluster.NodeSample ns : s.nodes()) {
                    if (ns.node().equals(node)) {
                        sum[0] += ns.heapUsedBytes() / 1048576.0;
                        sum[1] += ns.rssBytes() / 1048576.0;
                        sum[2] += ns.threads();
                        n++;
                    }
                }
            }
        }
        return new double[] {sum[0] / n, sum[1] / n, sum[2] / n};
    }

    /**
     * {@code GET _dense/_stats}: each node's stats of the battery's model by node name, or null
     * when this plugin zip does not serve the endpoint yet (400 or 404).
     */
    private static Map<String, JsonNode> stats(ClusterClient admin) throws IOException {
        ClusterClient.Answer a = admin.send("GET", "/_dense/_stats", null);
        if (a.status() == 400 || a.status() == 404) {
            System.out.println("[cluster] soak: GET _dense/_stats answered " + a.status() + " (not in this plugin zip yet): " + a.body());
            return null;
        }
        assertEquals(200, a.status(), "GET _dense/_stats: " + a.body());
        Map<String, JsonNode> out = new HashMap<>();
        a.body().path("nodes").forEach(node -> out.put(node.path("name").asText(), node.path("models").path(SecuredCluster.MODEL)));
        return out;
    }

    /** {@code after - before} of {@code [group.]field} (a missing number counts as 0). */
    private static long delta(JsonNode before, JsonNode after, String group, String field) {
        JsonNode b = group == null ? before : before.path(group);
        JsonNode a = group == null ? after : after.path(group);
        return a.path(field).asLong() - b.path(field).asLong();
    }
}
