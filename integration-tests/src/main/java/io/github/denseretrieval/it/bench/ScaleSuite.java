package io.github.denseretrieval.it.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.github.denseretrieval.it.ClusterClient;
import io.github.denseretrieval.it.SearchTemplates;
import io.github.denseretrieval.evaluation.beir.Passage;
import io.github.denseretrieval.evaluation.bench.Percentiles;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;

/**
 * knn and hybrid latency, index size and node memory as the index grows (10 K and 100 K passages,
 * 1 M with {@code --full}), read against the same questions at the smallest size. The encoder
 * would take days to make a million vectors on two cores, so the index is filled directly with
 * vectors derived from real ones: each is a real passage vector moved a little towards another
 * and normalised, carrying the first passage's text for BM25. The neighbourhood structure is that
 * of real passages, which random vectors would not have.
 */
final class ScaleSuite {

    static final String INDEX = "dense-bench-scale";
    static final String GOAL = "sub-linear latency growth: p50 at the largest size / p50 at the smallest < size ratio";
    private static final int BULK = 1000;

    private ScaleSuite() {}

    static int[] sizes(boolean quick, boolean full) {
        if (quick) {
            return new int[] {1_000, 3_000};
        }
        return full ? new int[] {10_000, 100_000, 1_000_000} : new int[] {10_000, 100_000};
    }

    static ObjectNode run(BenchNodes.Session session, String model, SearchTemplates templates, LocalEncoding local, List<Passage> passages,
                          Map<String, String> questions, int[] sizes) throws IOException, InterruptedException {
        ClusterClient client = session.client();
        JsonNode dense = ClusterClient.json().readTree(templates.body(SearchTemplates.DENSE, "x", model)).path("query").path("dense");
        createIndex(client, session, local);
        List<String> ids = new ArrayList<>(questions.keySet());
        ObjectNode out = ClusterClient.json().createObjectNode();
        out.put("questions", ids.size());
        out.put("source_passages", passages.size());
        out.put("goal", GOAL);
        ArrayNode rows = out.putArray("rows");
        DerivedVectors derived = new DerivedVectors(passages, local.passageVectors(), 42);
        int indexed = 0;
        ObjectNode first = null;
        for (int size : sizes) {
            long start = System.nanoTime();
            while (indexed < size) {
                int n = Math.min(BULK, size - indexed);
                bulk(client, derived, indexed, n);
                indexed += n;
                if (indexed % 50_000 == 0) {
                    System.out.printf(Locale.ROOT, "scale: %d vectors indexed%n", indexed);
                }
            }
            // One segment at every size, so the figures follow the size of one graph, not how flushes fell;
            // the refresh first turns the indexing buffer into a segment the merge can see.
            client.sendOk("POST", "/" + INDEX + "/_refresh", null);
            forceMergeToOneSegment(client);
            client.sendOk("POST", "/" + INDEX + "/_refresh", null);
            double fillSeconds = (System.nanoTime() - start) / 1e9;
            double[] knn = time(client, ids, q -> QuerySuite.knnBody(dense, local.questionVectors().get(q)));
            double[] hybrid = time(client, ids, q -> templates.body(SearchTemplates.HYBRID, questions.get(q), model));
            BenchNodes.MemorySample memory = session.memory();
            ObjectNode row = rows.addObject();
            row.put("vectors", size);
            row.put("fill_and_merge_s", fillSeconds);
            put(row, "knn", knn);
            put(row, "hybrid", hybrid);
            row.put("store_mib", BenchNodes.MemorySample.mib(session.setup().storeBytes(INDEX)));
            row.put("rss_mib", BenchNodes.MemorySample.mib(memory.rssBytes()));
            row.put("anon_mib", BenchNodes.MemorySample.mib(memory.anonBytes()));
            row.put("heap_used_mib", BenchNodes.MemorySample.mib(memory.heapUsedBytes()));
            if (first == null) {
                first = row;
            }
            row.put("size_ratio", size / (double) first.get("vectors").asInt());
            row.put("knn_p50_ratio", row.get("knn_p50_ms").asDouble() / first.get("knn_p50_ms").asDouble());
            row.put("hybrid_p50_ratio", row.get("hybrid_p50_ms").asDouble() / first.get("hybrid_p50_ms").asDouble());
            System.out.printf(Locale.ROOT, "scale: %,9d vectors: knn p50 %.1f p95 %.1f ms, hybrid p50 %.1f p95 %.1f ms (x%.2f / x%.2f of the "
                    + "smallest), store %.0f MiB, RSS %.0f MiB, heap %.0f MiB (filled and merged in %.0f s)%n", size,
                row.get("knn_p50_ms").asDouble(), row.get("knn_p95_ms").asDouble(), row.get("hybrid_p50_ms").asDouble(),
                row.get("hybrid_p95_ms").asDouble(), row.get("knn_p50_ratio").asDouble(), row.get("hybrid_p50_ratio").asDouble(),
                row.get("store_mib").asDouble(), row.get("rss_mib").asDouble(), row.get("heap_used_mib").asDouble(), fillSeconds);
        }
        ObjectNode last = (ObjectNode) rows.get(rows.size() - 1);
        out.put("goal_met", last.get("knn_p50_ratio").asDouble() < last.get("size_ratio").asDouble()
            && last.get("hybrid_p50_ratio").asDouble() < last.get("size_ratio").asDouble());
        client.send("DELETE", "/" + INDEX, null);
        return out;
    }

    /**
     * Merges the index to one segment as a task and waits for it: a million vectors' graph takes
     * longer to merge than the client's socket timeout (5 minutes), which a waiting request hit.
     */
    private static void forceMergeToOneSegment(ClusterClient client) throws IOException, InterruptedException {
        String task = client.sendOk("POST", "/" + INDEX + "/_forcemerge?max_num_segments=1&wait_for_completion=false", null).path("task").asText();
        if (task.isEmpty()) {
            throw new IOException("_forcemerge on [" + INDEX + "] returned no task id");
        }
        while (true) {
            JsonNode status = client.sendOk("GET", "/_tasks/" + task, null);
            if (status.path("completed").asBoolean()) {
                if (status.has("error")) {
                    throw new IOException("_forcemerge on [" + INDEX + "] failed: " + status.path("error"));
                }
                return;
            }
            Thread.sleep(2_000);
        }
    }

    /** es-config's template (dense-*) gives the mappings; the vectors arrive ready, so the ingest pipeline is switched off. */
    private static void createIndex(ClusterClient client, BenchNodes.Session session, LocalEncoding local) throws IOException {
        client.send("DELETE", "/" + INDEX, null);
        ObjectNode body = ClusterClient.json().createObjectNode();
        // Store stats are cached for 10 s by default, which would report the previous size's bytes.
        body.putObject("settings").put("number_of_shards", 1).put("number_of_replicas", 0).put("index.default_pipeline", "_none")
            .put("refresh_interval", "-1").put("index.store.stats_refresh_interval", "0ms");
        int dims = local.passageVectors().values().iterator().next().length;
        body.putObject("mappings").putObject("properties").set("text_vector", session.setup().vectorMapping(dims));
        client.sendOk("PUT", "/" + INDEX, body.toString());
    }

    private static void bulk(ClusterClient client, DerivedVectors derived, int from, int n) throws IOException {
        StringBuilder body = new StringBuilder(n * 6000);
        for (int i = from; i < from + n; i++) {
            DerivedVectors.Doc d = derived.doc(i);
            ObjectNode action = ClusterClient.json().createObjectNode();
            action.putObject("index").put("_id", "s" + i);
            ObjectNode doc = ClusterClient.json().createObjectNode();
            doc.put("title", d.title());
            doc.put("text", d.text());
            ArrayNode v = doc.putArray("text_vector");
            for (float f : d.vector()) {
                v.add(f);
            }
            body.append(action).append('\n').append(doc).append('\n');
        }
        JsonNode r = client.sendOk("POST", "/" + INDEX + "/_bulk", body.toString());
        if (r.path("errors").asBoolean()) {
            throw new IOException("bulk into [" + INDEX + "] had errors: " + r.toString().substring(0, Math.min(500, r.toString().length())));
        }
    }

    private static double[] time(ClusterClient client, List<String> ids, java.util.function.Function<String, String> body) throws IOException {
        // One untimed pass first: the first size would otherwise pay for JIT compilation, and each
        // later one for reading its new segment into the page cache.
        for (String q : ids) {
            client.sendOk("POST", "/" + INDEX + "/_search", body.apply(q));
        }
        double[] ms = new double[ids.size()];
        for (int i = 0; i < ids.size(); i++) {
            String b = body.apply(ids.get(i));
            long t = System.nanoTime();
            client.sendOk("POST", "/" + INDEX + "/_search", b);
            ms[i] = (System.nanoTime() - t) / 1e6;
        }
        return ms;
    }

    private static void put(ObjectNode row, String mode, double[] ms) {
        Percentiles p = new Percentiles(ms);
        row.put(mode + "_p50_ms", p.at(50));
        row.put(mode + "_p95_ms", p.at(95));
    }

    /**
     * Vector {@code i} is source passage {@code i mod n} moved by a random share (up to 30 %)
     * towards another random source passage, plus a little noise, normalised (the field is
     * {@code dot_product}); the first {@code n} are the source vectors themselves.
     */
    static final class DerivedVectors {

        record Doc(String title, String text, float[] vector) {}

        private final List<Passage> passages;
        private final List<float[]> vectors;
        private final long seed;

        DerivedVectors(List<Passage> passages, Map<String, float[]> vectorsById, long seed) {
            this.passages = passages;
            this.vectors = passages.stream().map(p -> vectorsById.get(p.id())).toList();
            this.seed = seed;
        }

        Doc doc(int i) {
            int n = passages.size();
            Passage source = passages.get(i % n);
            float[] a = vectors.get(i % n);
            if (i < n) {
                return new Doc(source.title(), source.text(), a);
            }
            // Seeded per document: the same i gives the same vector in every run and at every size.
            Random random = new Random(seed * 1_000_003L + i);
            float[] b = vectors.get(random.nextInt(n));
            float t = 0.3f * random.nextFloat();
            float[] v = new float[a.length];
            double norm = 0;
            for (int d = 0; d < v.length; d++) {
                v[d] = (1 - t) * a[d] + t * b[d] + (float) (0.01 * random.nextGaussian());
                norm += v[d] * (double) v[d];
            }
            float inv = (float) (1 / Math.sqrt(norm));
            for (int d = 0; d < v.length; d++) {
                v[d] *= inv;
            }
            return new Doc(source.title(), source.text(), v);
        }
    }
}
