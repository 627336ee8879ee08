package io.github.denseretrieval.it;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Back-pressure: more passages than {@code dense_retrieval.ingest.max_queued} (1,024 by default)
 * arrive at one node at once, as twelve bulks of 128 (sixteen in the full run; the client sends at
 * most ten requests to a node at a time, so 1,280 passages are in flight). The passages
 * beyond the limit fail at once with 429 in their bulk items (never a 5xx, never an unbounded
 * wait), the others are indexed; the clients retry the 429s and in the end every document is
 * indexed with its vector. {@code GET _dense/_stats} counts the rejections the clients saw.
 */
@ExtendWith(SecuredCluster.class)
class ClusterBackPressureIT {

    private static final String INDEX = "cluster-back-pressure";
    private static final int MAX_QUEUED = 1024;

    @Test
    void passagesBeyondMaxQueuedGet429AndEndIndexedWhenRetried() throws Exception {
        ElasticsearchCluster cluster = SecuredCluster.cluster();
        int bulks = SecuredCluster.FULL ? 16 : 12;
        int bulkSize = 128;
        ElasticsearchNode target = cluster.node(0);
        PassageIndex index = PassageIndex.create(cluster.admin(), INDEX, SecuredCluster.MODEL, 3, 1);
        long rejectedBefore = rejected(cluster.admin(), target);
        ExecutorService pool = Executors.newFixedThreadPool(bulks);
        try (NodeRouter router = new NodeRouter(cluster, Duration.ofSeconds(180))) {
            router.prefer(0);
            BulkIngester ingester = new BulkIngester(router, INDEX, bulkSize, 100);
            long drainUntil = System.nanoTime() + Duration.ofMinutes(SecuredCluster.FULL ? 8 : 5).toNanos();
            List<Future<?>> clients = new ArrayList<>();
            for (int b = 0; b < bulks; b++) {
                List<Passages.Passage> own = Passages.shortOnes(bulkSize, "pressure-" + b);
                clients.add(pool.submit(() -> {
                    ingester.ingest(own.iterator(), Long.MAX_VALUE, drainUntil, () -> false);
                    return null;
                }));
            }
            for (Future<?> f : clients) {
                f.get(10, TimeUnit.MINUTES);
            }
            List<BulkIngester.Request> first = ingester.requests().stream().sorted(Comparator.comparingLong(BulkIngester.Request::startNanos))
                .limit(bulks).toList();
            StatusCounts firstItems = new StatusCounts();
            double firstSpread = (first.get(first.size() - 1).startNanos() - first.get(0).startNanos()) / 1e9;
            double slowestFirst = 0;
            for (BulkIngester.Request r : first) {
                r.itemStatuses().forEach((status, count) -> {
                    for (int i = 0; i < count; i++) {
                        firstItems.add(status);
                    }
                });
                slowestFirst = Math.max(slowestFirst, (r.endNanos() - r.startNanos()) / 1e9);
            }
            long rejectedAfter = rejected(cluster.admin(), target);
            index.refresh();
            long found = index.count();
            long withVector = index.countWithVector();
            System.out.printf(Locale.ROOT, "[cluster] back-pressure (%s): %d bulks x %d passages sent to %s within %.1f s (max_queued %d): first "
                    + "answers' items %s, slowest first answer %.0f s; all bulk items with retries %s; acked %d of %d, found %d, with vector %d; "
                    + "_dense/_stats rejected on %s: %s%n", SecuredCluster.FULL ? "full" : "reduced", bulks, bulkSize, target.name(), firstSpread,
                MAX_QUEUED, firstItems, slowestFirst, ingester.itemStatuses(), ingester.acknowledged().size(), bulks * bulkSize, found, withVector,
                target.name(), rejectedBefore < 0 ? "endpoint not served" : Long.toString(rejectedAfter - rejectedBefore));

            assertEquals(0, ingester.itemStatuses().otherThan2xxAnd("429"), "bulk items answer 2xx or 429, nothing else: " + ingester.itemStatuses());
            assertEquals(0, ingester.requestOutcomes().otherThan2xxAnd(), "every bulk request answers 200: " + ingester.requestOutcomes());
            assertTrue(firstItems.get("429") > 0, "more than max_queued passages at once must meet 429: " + firstItems);
            assertEquals(List.of(), ingester.failures().subList(0, Math.min(5, ingester.failures().size())), "every passage ends indexed after retries");
            assertEquals(bulks * bulkSize, ingester.acknowledged().size());
            assertEquals(bulks * bulkSize, found);
            assertEquals(bulks * bulkSize, withVector);
            if (rejectedBefore >= 0) {
                assertEquals(ingester.itemStatuses().get("429"), rejectedAfter - rejectedBefore, "_dense/_stats ingest.rejected vs 429 items seen");
            }
        } finally {
            pool.shutdownNow();
            pool.awaitTermination(1, TimeUnit.MINUTES);
            index.delete();
        }
    }

    /** {@code ingest.rejected} of the battery's model on {@code node} from {@code GET _dense/_stats}, or -1 when not served. */
    private static long rejected(ClusterClient admin, ElasticsearchNode node) throws java.io.IOException {
        ClusterClient.Answer a = admin.send("GET", "/_dense/_stats", null);
        if (!a.ok()) {
            return -1;
        }
        for (JsonNode n : a.body().path("nodes")) {
            if (node.name().equals(n.path("name").asText())) {
                return n.path("models").path(SecuredCluster.MODEL).path("ingest").path("rejected").asLong();
            }
        }
        return -1;
    }
}
