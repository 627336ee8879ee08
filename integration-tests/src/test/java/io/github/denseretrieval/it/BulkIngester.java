package io.github.denseretrieval.it;

import com.fasterxml.jackson.databind.JsonNode;

import java.io.IOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BooleanSupplier;

/**
 * A bulk-ingest client with retries, as an operator's would be: sends passages in bulks of
 * {@code bulkSize} to the node the {@link NodeRouter} picks (the index's default pipeline encodes
 * them), and
 * <ul>
 *   <li>an item answered 2xx is <b>acknowledged</b>;</li>
 *   <li>an item answered 429 or 503 (back-pressure, node shutdown, model swap) is sent again after
 *       an exponential back-off (200 ms doubling to 3.2 s), at most {@code maxAttempts} times;</li>
 *   <li>a request that gets no answer (connection refused or reset, timeout) is sent again whole,
 *       to another node: items already indexed are then indexed again under the same id;</li>
 *   <li>any other answer fails its item for good and is recorded with its reason.</li>
 * </ul>
 * Several threads may {@link #ingest} at once (each with its own passages); the figures are
 * shared. Every request is recorded ({@link Request}) for tests that time answers against a fault.
 */
final class BulkIngester {

    /**
     * One bulk request: the node it went to, when it was sent and answered, what came back (an
     * HTTP status or {@code io:<exception>}), and the statuses of its items when it was answered.
     */
    record Request(String node, long startNanos, long endNanos, String outcome, int items, Map<String, Integer> itemStatuses) {}

    private static final long FIRST_BACK_OFF_MILLIS = 200;
    private static final long MAX_BACK_OFF_MILLIS = 3200;

    private final NodeRouter router;
    private final String index;
    private final int bulkSize;
    private final int maxAttempts;

    private final Set<String> acknowledged = ConcurrentHashMap.newKeySet();
    private final List<String> failures = Collections.synchronizedList(new ArrayList<>());
    private final StatusCounts itemStatuses = new StatusCounts();
    private final Map<String, StatusCounts> itemStatusesByNode = new ConcurrentHashMap<>();
    private final StatusCounts requestOutcomes = new StatusCounts();
    private final Latencies latency = new Latencies();
    private final List<Request> requests = Collections.synchronizedList(new ArrayList<>());

    BulkIngester(NodeRouter router, String index, int bulkSize, int maxAttempts) {
        this.router = router;
        this.index = index;
        this.bulkSize = bulkSize;
        this.maxAttempts = maxAttempts;
    }

    /**
     * Sends passages from {@code source} until it is exhausted, {@code sendUntilNanos} passes or
     * {@code stop} says so; then goes on retrying what is pending until {@code drainUntilNanos}.
     * What is still pending then is recorded as a failure.
     */
    void ingest(Iterator<Passages.Passage> source, long sendUntilNanos, long drainUntilNanos, BooleanSupplier stop)
        throws InterruptedException {
        Deque<Passages.Passage> pending = new ArrayDeque<>();
        Map<String, Integer> attempts = new HashMap<>();
        // Exponential back-off between retries, as the Elasticsearch clients' bulk helpers do; reset by a clean bulk.
        long backOffMillis = FIRST_BACK_OFF_MILLIS;
        while (System.nanoTime() < drainUntilNanos) {
            boolean sending = System.nanoTime() < sendUntilNanos && !stop.getAsBoolean();
            List<Passages.Passage> batch = new ArrayList<>();
            while (batch.size() < bulkSize && !pending.isEmpty()) {
                batch.add(pending.poll());
            }
            while (sending && batch.size() < bulkSize && source.hasNext()) {
                batch.add(source.next());
            }
            if (batch.isEmpty()) {
                if (!sending || !source.hasNext()) {
                    break;
                }
                continue;
            }
            StringBuilder body = new StringBuilder();
            for (Passages.Passage p : batch) {
                attempts.merge(p.id(), 1, Integer::sum);
                p.appendBulk(body);
            }
            int node = router.pick();
            long start = System.nanoTime();
            ClusterClient.Answer a;
            try {
                a = router.client(node).send("POST", "/" + index + "/_bulk", body.toString());
            } catch (IOException e) {
                String outcome = "io:" + e.getClass().getSimpleName();
                record(node, start, outcome, batch.size(), Map.of());
                router.markDown(node);
                requeue(batch, attempts, pending, outcome);
                Thread.sleep(FIRST_BACK_OFF_MILLIS);
                continue;
            }
            latency.since(start);
            StatusCounts statuses = new StatusCounts();
            a.body().path("items").forEach(item -> statuses.add(item.path("index").path("status").asInt()));
            record(node, start, Integer.toString(a.status()), batch.size(), statuses.asMap());
            if (a.status() == 429 || a.status() == 503) {
                requeue(batch, attempts, pending, Integer.toString(a.status()));
                Thread.sleep(backOffMillis);
                backOffMillis = Math.min(MAX_BACK_OFF_MILLIS, backOffMillis * 2);
                continue;
            }
            if (!a.ok()) {
                for (Passages.Passage p : batch) {
                    failures.add(p.id() + ": the bulk request answered " + a.status() + ": " + a.body());
                }
                continue;
            }
            boolean backOff = false;
            JsonNode items = a.body().path("items");
            for (int i = 0; i < batch.size(); i++) {
                Passages.Passage p = batch.get(i);
                JsonNode item = items.path(i).path("index");
                int status = item.path("status").asInt();
                itemStatuses.add(status);
                itemStatusesByNode.computeIfAbsent(router.name(node), k -> new StatusCounts()).add(status);
                if (status >= 200 && status < 300) {
                    acknowledged.add(p.id());
                } else if (status == 429 || status == 503) {
                    backOff = true;
                    requeue(List.of(p), attempts, pending, status + " " + item.path("error").path("reason").asText());
                } else {
                    failures.add(p.id() + " on " + router.name(node) + " (attempt " + attempts.get(p.id()) + ") answered " + status + ": "
                        + item.path("error"));
                }
            }
            if (backOff) {
                Thread.sleep(backOffMillis);
                backOffMillis = Math.min(MAX_BACK_OFF_MILLIS, backOffMillis * 2);
            } else {
                backOffMillis = FIRST_BACK_OFF_MILLIS;
            }
        }
        for (Passages.Passage p : pending) {
            failures.add(p.id() + " still not acknowledged after " + attempts.get(p.id()) + " attempts when the time ran out");
        }
    }

    private void requeue(List<Passages.Passage> batch, Map<String, Integer> attempts, Deque<Passages.Passage> pending, String why) {
        for (Passages.Passage p : batch) {
            if (attempts.get(p.id()) < maxAttempts) {
                pending.add(p);
            } else {
                failures.add(p.id() + " gave up after " + maxAttempts + " attempts, last: " + why);
            }
        }
    }

    private void record(int node, long start, String outcome, int items, Map<String, Integer> itemStatuses) {
        requestOutcomes.add(outcome);
        requests.add(new Request(router.name(node), start, System.nanoTime(), outcome, items, itemStatuses));
    }

    /** Ids of every passage some bulk answered 2xx for. */
    Set<String> acknowledged() {
        return acknowledged;
    }

    /** Items that failed for good (not retried, or out of attempts or time), with the reason. */
    List<String> failures() {
        synchronized (failures) {
            return List.copyOf(failures);
        }
    }

    /** Item statuses of every bulk answer, retried ones included. */
    StatusCounts itemStatuses() {
        return itemStatuses;
    }

    /** Item statuses of the bulk answers of each node (by node name): the node that coordinated, and ran the pipeline. */
    StatusCounts itemStatusesOf(String node) {
        return itemStatusesByNode.getOrDefault(node, new StatusCounts());
    }

    /** Outcome of every bulk request: its HTTP status, or {@code io:<exception>} when none came. */
    StatusCounts requestOutcomes() {
        return requestOutcomes;
    }

    /** Latency of the bulk requests that got an answer. */
    Latencies latency() {
        return latency;
    }

    List<Request> requests() {
        synchronized (requests) {
            return List.copyOf(requests);
        }
    }
}
