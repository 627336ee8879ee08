package io.github.denseretrieval.it;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * An acknowledged write survives the loss of a node: two clients bulk-ingest through the
 * {@code dense_encode} pipeline into an index with one replica while the elected master node is
 * killed with SIGKILL and later restarted on its data. After green every acknowledged document is
 * present exactly once, with a vector equal to the encoder library's for its text; searches sent
 * while the node was gone are counted by outcome.
 */
@ExtendWith(SecuredCluster.class)
class ClusterNodeLossIT {

    private static final String INDEX = "cluster-node-loss";

    private enum Phase { BEFORE_KILL, NODE_LOST, AFTER_GREEN }

    private static final String NO_ANSWER_FROM_VICTIM = "no answer from the killed node";

    @Test
    void acknowledgedDocumentsSurviveAKilledNodeExactlyOnceWithTheirVectors() throws Exception {
        ElasticsearchCluster cluster = SecuredCluster.cluster();
        int docs = SecuredCluster.FULL ? 3000 : 1200;
        PassageIndex index = PassageIndex.create(cluster.admin(), INDEX, SecuredCluster.MODEL, 3, 1);
        List<Passages.Passage> passages = Passages.shortOnes(docs, "loss");
        String masterName = cluster.admin().sendOk("GET", "/_cat/master?format=json", null).get(0).path("node").asText();
        ElasticsearchNode victim = cluster.nodes().stream().filter(n -> n.name().equals(masterName)).findFirst().orElseThrow();
        int victimIndex = cluster.nodes().indexOf(victim);
        List<String> questions = SearchMode.questions(50);

        Map<Phase, StatusCounts> searches = new EnumMap<>(Phase.class);
        for (Phase p : Phase.values()) {
            searches.put(p, new StatusCounts());
        }
        Map<Phase, Integer> partial = new java.util.concurrent.ConcurrentHashMap<>();
        AtomicReference<Phase> phase = new AtomicReference<>(Phase.BEFORE_KILL);
        AtomicBoolean ingestDone = new AtomicBoolean();
        long sendUntil = System.nanoTime() + Duration.ofMinutes(SecuredCluster.FULL ? 10 : 5).toNanos();
        long drainUntil = sendUntil + Duration.ofMinutes(2).toNanos();
        int ackedAtKill;
        double lossSeconds;
        long start = System.nanoTime();
        ExecutorService pool = Executors.newFixedThreadPool(3);
        try (NodeRouter router = new NodeRouter(cluster, Duration.ofSeconds(90))) {
            BulkIngester ingester = new BulkIngester(router, INDEX, 25, 40);
            List<Future<?>> ingesting = new ArrayList<>();
            for (List<Passages.Passage> half : List.of(passages.subList(0, docs / 2), passages.subList(docs / 2, docs))) {
                ingesting.add(pool.submit(() -> {
                    ingester.ingest(half.iterator(), sendUntil, drainUntil, () -> false);
                    return null;
                }));
            }
            Future<?> searching = pool.submit(() -> {
                int n = 0;
                while (!ingestDone.get() && System.nanoTime() < drainUntil) {
                    SearchMode mode = SearchMode.values()[n % 3];
                    int node = router.pick();
                    // The phase the search was sent in: one sent just before the kill and failed by it counts as before.
                    Phase now = phase.get();
                    SearchMode.Outcome o = mode.run(router.client(node), INDEX, questions.get(n % questions.size()), SecuredCluster.MODEL);
                    n++;
                    // A search the killed node was coordinating, or sent to it while it was down, gets no answer at all.
                    searches.get(now).add(o.status() < 0 && node == victimIndex ? NO_ANSWER_FROM_VICTIM : o.kind());
                    if (o.partial()) {
                        partial.merge(now, 1, Integer::sum);
                    }
                    if (o.status() < 0) {
                        router.markDown(node);
                    }
                    Thread.sleep(250);
                }
                return null;
            });

            awaitAcknowledged(ingester, docs * 3 / 10, Duration.ofMinutes(3));
            ackedAtKill = ingester.acknowledged().size();
            victim.kill();
            long killedAt = System.nanoTime();
            phase.set(Phase.NODE_LOST);
            // Reduced: the node is started again at once (its start takes half a minute here); full: a minute or more of loss first.
            awaitAcknowledged(ingester, docs * 65 / 100, Duration.ofSeconds(SecuredCluster.FULL ? 60 : 0));
            victim.launch();
            cluster.awaitHealth("green", Duration.ofMinutes(4));
            lossSeconds = (System.nanoTime() - killedAt) / 1e9;
            phase.set(Phase.AFTER_GREEN);
            for (Future<?> f : ingesting) {
                f.get(Duration.ofMinutes(15).toSeconds(), TimeUnit.SECONDS);
            }
            ingestDone.set(true);
            searching.get(2, TimeUnit.MINUTES);

            index.refresh();
            long found = index.count();
            PassageIndex.VectorCheck vectors = index.compareWithInProcess(
                passages.stream().filter(p -> ingester.acknowledged().contains(p.id())).toList(), SecuredCluster.minilmFolder());
            System.out.printf(Locale.ROOT, "[cluster] node loss (%s): killed %s (elected master) with SIGKILL at %d acked; it was gone %.0f s "
                    + "(kill -> restart -> green); ingest %.0f s%n", SecuredCluster.FULL ? "full" : "reduced", victim.name(), ackedAtKill,
                lossSeconds, (System.nanoTime() - start) / 1e9);
            System.out.printf(Locale.ROOT, "[cluster] node loss: sent %d, acked %d, found %d, failed %d; bulk requests %s; bulk items %s; "
                    + "vectors vs in-process: %s%n", docs, ingester.acknowledged().size(), found, ingester.failures().size(),
                ingester.requestOutcomes(), ingester.itemStatuses(), vectors);
            for (Phase p : Phase.values()) {
                System.out.printf(Locale.ROOT, "[cluster] node loss: searches %-11s %s, with shard failures %d%n", p, searches.get(p),
                    partial.getOrDefault(p, 0));
            }

            assertEquals(List.of(), ingester.failures().subList(0, Math.min(5, ingester.failures().size())),
                "every document is acknowledged in the end (429/503/no answer retried)");
            assertEquals(docs, ingester.acknowledged().size(), "acknowledged documents");
            assertEquals(ingester.acknowledged().size(), found, "documents in the index vs acknowledged (each exactly once)");
            assertTrue(vectors.allEqual(), "every acknowledged document has the in-process vector: " + vectors + " " + vectors.examples());
            for (Phase p : Phase.values()) {
                StatusCounts s = searches.get(p);
                assertEquals(0, s.otherThan2xxAnd("429", "503", NO_ANSWER_FROM_VICTIM),
                    "searches " + p + " answered only 200, retryable 429/503, or nothing from the killed node: " + s);
            }
            assertTrue(searches.get(Phase.NODE_LOST).get("200") > 0, "searches succeed while a node is gone: " + searches.get(Phase.NODE_LOST));
            assertTrue(cluster.nodes().stream().noneMatch(ElasticsearchNode::crashed), "a node wrote a JVM crash report:\n" + cluster.logTails());
        } finally {
            ingestDone.set(true);
            pool.shutdownNow();
            pool.awaitTermination(1, TimeUnit.MINUTES);
            if (!victim.isAlive()) {
                cluster.restart(victim, Duration.ofMinutes(4));
            }
            index.delete();
        }
    }

    private static void awaitAcknowledged(BulkIngester ingester, int target, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (ingester.acknowledged().size() < target && System.nanoTime() < deadline) {
            Thread.sleep(100);
        }
    }
}
