package io.github.denseretrieval.it.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.github.denseretrieval.it.ClusterClient;
import io.github.denseretrieval.it.CorpusIngester;
import io.github.denseretrieval.it.SearchTemplates;
import io.github.denseretrieval.evaluation.beir.Passage;
import io.github.denseretrieval.evaluation.bench.Percentiles;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;

/**
 * Latency of each search mode as a client sees it, at 1 and 4 concurrent clients, and of
 * {@code dense} while a bulk ingest runs, read against its parts measured in the same run: the
 * question encoded in-process, and {@code knn} with that vector precomputed (the search without
 * the encoding).
 */
final class QuerySuite {

    static final String GOAL_DENSE = "dense p50 <= 1.2 x (in-process encode p50 + knn-with-vector p50)";
    static final String GOAL_HYBRID = "hybrid p50 <= dense p50 + bm25 p50 + 2 ms";

    private QuerySuite() {}

    static ObjectNode run(ClusterClient client, String index, String pipeline, SearchTemplates templates, String model,
                          LocalEncoding local, Map<String, String> questions, List<Passage> passages)
        throws IOException, InterruptedException {
        JsonNode dense = ClusterClient.json().readTree(templates.body(SearchTemplates.DENSE, "x", model)).path("query").path("dense");
        Map<String, Function<String, String>> modes = new LinkedHashMap<>();
        modes.put("bm25", q -> templates.body(SearchTemplates.BM25, questions.get(q), model));
        modes.put("dense", q -> templates.body(SearchTemplates.DENSE, questions.get(q), model));
        modes.put("knn_vector", q -> knnBody(dense, local.questionVectors().get(q)));
        modes.put("hybrid", q -> templates.body(SearchTemplates.HYBRID, questions.get(q), model));
        List<String> ids = new ArrayList<>(questions.keySet());
        ObjectNode out = ClusterClient.json().createObjectNode();
        out.put("questions", ids.size());
        double encodeP50 = new Percentiles(local.questionLatencyMs()).at(50);
        out.put("in_process_encode_p50_ms", encodeP50);
        ArrayNode rows = out.putArray("rows");
        // A node serves questions for weeks, so the figures are its steady state. Profiling the first
        // runs (perf, JFR) found the JIT compiler threads taking a core from the encoder for the first
        // few hundred searches; and the node's question-latency window (1,024 encodes) then holds
        // only warm encodes when dense is timed.
        int passes = ids.size() >= 100 ? 2 : 1;
        for (Map.Entry<String, Function<String, String>> mode : modes.entrySet()) {
            boolean encodes = mode.getKey().equals("dense") || mode.getKey().equals("hybrid");
            for (int pass = 0; pass < (encodes ? passes : 1); pass++) {
                send(client, index, mode.getValue(), ids, 1);
            }
        }
        out.put("warm_up_passes_per_encoding_mode", passes);
        Map<String, Double> p50 = new LinkedHashMap<>();
        for (int clients : new int[] {1, 4}) {
            for (Map.Entry<String, Function<String, String>> mode : modes.entrySet()) {
                send(client, index, mode.getValue(), ids.subList(0, Math.min(5, ids.size())), 1);
                double[] ms = send(client, index, mode.getValue(), ids, clients);
                rows.add(row(mode.getKey(), clients, false, ms));
                p50.put(mode.getKey() + "@" + clients, new Percentiles(ms).at(50));
                if (mode.getKey().equals("dense") && clients == 1) {
                    // The node's own clock on the same questions splits dense's time into encoding and the rest.
                    JsonNode stats = nodeQuestionLatency(client, model);
                    out.put("node_question_encode_p50_ms", stats.path("p50").asDouble());
                    out.put("node_question_encode_samples", stats.path("samples").asLong());
                }
            }
        }
        double[] during = denseWhileIngesting(client, index, pipeline, modes.get("dense"), ids, passages);
        rows.add(row("dense", 1, true, during));
        double denseP50 = p50.get("dense@1");
        double denseBound = 1.2 * (encodeP50 + p50.get("knn_vector@1"));
        double hybridBound = denseP50 + p50.get("bm25@1") + 2;
        ObjectNode goals = out.putObject("goals");
        goals.putObject("dense").put("goal", GOAL_DENSE).put("dense_p50_ms", denseP50).put("bound_ms", denseBound)
            .put("met", denseP50 <= denseBound);
        goals.putObject("hybrid").put("goal", GOAL_HYBRID).put("hybrid_p50_ms", p50.get("hybrid@1")).put("bound_ms", hybridBound)
            .put("met", p50.get("hybrid@1") <= hybridBound);
        return out;
    }

    private static ObjectNode row(String mode, int clients, boolean duringIngest, double[] ms) {
        Percentiles p = new Percentiles(ms);
        ObjectNode row = ClusterClient.json().createObjectNode();
        row.put("mode", mode);
        row.put("clients", clients);
        row.put("during_ingest", duringIngest);
        row.put("requests", ms.length);
        row.put("p50_ms", p.at(50));
        row.put("p95_ms", p.at(95));
        row.put("p99_ms", p.at(99));
        System.out.printf(Locale.ROOT, "query: %-10s %d client(s)%s: p50 %.1f ms, p95 %.1f ms, p99 %.1f ms%n", mode, clients,
            duringIngest ? ", during ingest" : "", p.at(50), p.at(95), p.at(99));
        return row;
    }

    /** {@code question_latency_ms} of {@code model} in {@code GET _dense/_stats} on the bench's single node. */
    private static JsonNode nodeQuestionLatency(ClusterClient client, String model) throws IOException {
        JsonNode nodes = client.sendOk("GET", "/_dense/_stats", null).path("nodes");
        for (JsonNode node : nodes) {
            return node.path("models").path(model).path("question_latency_ms");
        }
        throw new IOException("GET _dense/_stats listed no node");
    }

    /** The knn search the {@code dense} query runs, with the vector given: same field, k and num_candidates. */
    static String knnBody(JsonNode dense, float[] vector) {
        return KnnBody.of(dense.path("field").asText(), vector, dense.path("k").asInt(10), dense.path("num_candidates").asInt(100), null);
    }

    /** Each question once, spread over {@code clients} threads; the latency of every request in ms. */
    private static double[] send(ClusterClient client, String index, Function<String, String> body, List<String> ids, int clients)
        throws IOException, InterruptedException {
        ExecutorService pool = Executors.newFixedThreadPool(clients);
        try {
            List<Future<List<Double>>> parts = new ArrayList<>();
            for (int c = 0; c < clients; c++) {
                int first = c;
                parts.add(pool.submit(() -> {
                    List<Double> ms = new ArrayList<>();
                    for (int i = first; i < ids.size(); i += clients) {
                        String b = body.apply(ids.get(i));
                        long t = System.nanoTime();
                        client.sendOk("POST", "/" + index + "/_search", b);
                        ms.add((System.nanoTime() - t) / 1e6);
                    }
                    return ms;
                }));
            }
            List<Double> all = new ArrayList<>();
            for (Future<List<Double>> f : parts) {
                all.addAll(f.get());
            }
            return all.stream().mapToDouble(Double::doubleValue).toArray();
        } catch (java.util.concurrent.ExecutionException e) {
            throw new IOException("search failed: " + e.getCause().getMessage(), e.getCause());
        } finally {
            pool.shutdownNow();
        }
    }

    /** {@code dense} at one client while another client bulk-ingests the passages (again and again) into a second index. */
    private static double[] denseWhileIngesting(ClusterClient client, String index, String pipeline, Function<String, String> dense,
                                                List<String> ids, List<Passage> passages) throws IOException, InterruptedException {
        String sink = "dense-bench-ingest-load";
        client.send("DELETE", "/" + sink, null);
        client.sendOk("PUT", "/" + sink, "{\"settings\":{\"number_of_shards\":1,\"number_of_replicas\":0}}");
        AtomicBoolean stop = new AtomicBoolean();
        ExecutorService loader = Executors.newSingleThreadExecutor();
        List<Passage> shuffled = new ArrayList<>(passages);
        Collections.shuffle(shuffled, new java.util.Random(7));
        Future<?> load = loader.submit(() -> {
            CorpusIngester ingester = new CorpusIngester(client, sink, pipeline, 50, false);
            while (!stop.get()) {
                for (int from = 0; from < shuffled.size() && !stop.get(); from += 50) {
                    ingester.ingest(shuffled.subList(from, Math.min(shuffled.size(), from + 50)));
                }
            }
            return null;
        });
        try {
            // Let the ingest queue fill before timing.
            Thread.sleep(2000);
            return send(client, index, dense, ids, 1);
        } finally {
            stop.set(true);
            try {
                load.get();
            } catch (java.util.concurrent.ExecutionException e) {
                throw new IOException("the ingest load failed: " + e.getCause().getMessage(), e.getCause());
            } finally {
                loader.shutdownNow();
                client.send("DELETE", "/" + sink, null);
            }
        }
    }
}
