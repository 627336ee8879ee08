package io.github.denseretrieval.it;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A rolling restart of all three nodes while clients bulk-ingest through the {@code dense_encode}
 * pipeline loses no acknowledged document: each node in turn gets SIGTERM, is started again on its
 * data, and the cluster is back to green before the next (reduced: one round, one client, so that
 * two cores leave room for the restarting node; full: two rounds, two clients). Clients retry 429/503 items and unanswered requests on the other nodes. At
 * the end every acknowledged document is in the index with its vector.
 */
@ExtendWith(SecuredCluster.class)
class ClusterRollingRestartIT {

    private static final String INDEX = "cluster-rolling-restart";

    @Test
    void rollingRestartOfEveryNodeDuringIngestLosesNoAcknowledgedDocument() throws Exception {
        ElasticsearchCluster cluster = SecuredCluster.cluster();
        int rounds = SecuredCluster.FULL ? 2 : 1;
        PassageIndex index = PassageIndex.create(cluster.admin(), INDEX, SecuredCluster.MODEL, 3, 1);
        AtomicBoolean stop = new AtomicBoolean();
        List<String> restarts = new ArrayList<>();
        long start = System.nanoTime();
        int clientCount = SecuredCluster.FULL ? 2 : 1;
        ExecutorService pool = Executors.newFixedThreadPool(clientCount);
        try (NodeRouter router = new NodeRouter(cluster, Duration.ofSeconds(120))) {
            BulkIngester ingester = new BulkIngester(router, INDEX, 20, 60);
            long sendUntil = System.nanoTime() + Duration.ofMinutes(SecuredCluster.FULL ? 20 : 8).toNanos();
            long drainUntil = sendUntil + Duration.ofMinutes(2).toNanos();
            List<Future<?>> clients = new ArrayList<>();
            for (int c = 0; c < clientCount; c++) {
                List<Passages.Passage> own = Passages.shortOnes(SecuredCluster.FULL ? 40_000 : 15_000, "rolling-" + c);
                clients.add(pool.submit(() -> {
                    ingester.ingest(own.iterator(), sendUntil, drainUntil, stop::get);
                    return null;
                }));
            }
            Thread.sleep(5000);
            for (int round = 1; round <= rounds; round++) {
                for (ElasticsearchNode node : cluster.nodes()) {
                    int ackedBefore = ingester.acknowledged().size();
                    long t0 = System.nanoTime();
                    node.terminate();
                    assertTrue(node.awaitExit(Duration.ofMinutes(2)), node.name() + " did not stop within 2 minutes of SIGTERM:\n" + node.logTail());
                    double stopped = (System.nanoTime() - t0) / 1e9;
                    cluster.restart(node, Duration.ofMinutes(4));
                    restarts.add(String.format(Locale.ROOT, "%s stopped in %.0f s, green again after %.0f s (%d acked meanwhile)", node.name(),
                        stopped, (System.nanoTime() - t0) / 1e9, ingester.acknowledged().size() - ackedBefore));
                }
            }
            stop.set(true);
            for (Future<?> f : clients) {
                f.get(5, TimeUnit.MINUTES);
            }

            index.refresh();
            long found = index.count();
            long withVector = index.countWithVector();
            System.out.printf(Locale.ROOT, "[cluster] rolling restart (%s, %d round%s, %d ingest client%s, %.0f s): %s%n",
                SecuredCluster.FULL ? "full" : "reduced", rounds, rounds == 1 ? "" : "s", clientCount, clientCount == 1 ? "" : "s",
                (System.nanoTime() - start) / 1e9, String.join("; ", restarts));
            System.out.printf(Locale.ROOT, "[cluster] rolling restart: acked %d, found %d, with vector %d, failed %d; bulk requests %s; bulk items %s%n",
                ingester.acknowledged().size(), found, withVector, ingester.failures().size(), ingester.requestOutcomes(), ingester.itemStatuses());

            assertEquals(List.of(), ingester.failures().subList(0, Math.min(5, ingester.failures().size())),
                "items end 2xx (429/503 and unanswered requests retried)");
            assertEquals(ingester.acknowledged().size(), found, "acknowledged documents found after the rolling restart");
            assertEquals(ingester.acknowledged().size(), withVector, "acknowledged documents with a vector after the rolling restart");
            assertTrue(ingester.acknowledged().size() > 0, "nothing was ingested");
        } finally {
            stop.set(true);
            pool.shutdownNow();
            pool.awaitTermination(1, TimeUnit.MINUTES);
            cluster.ensureAllRunning(Duration.ofMinutes(4));
            index.delete();
        }
    }
}
