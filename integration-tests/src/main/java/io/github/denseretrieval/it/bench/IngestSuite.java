package io.github.denseretrieval.it.bench;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.github.denseretrieval.it.ClusterClient;
import io.github.denseretrieval.it.CorpusIngester;
import io.github.denseretrieval.trainer.beir.Passage;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Passages per second through {@code _bulk} and the {@code dense_encode} pipeline, for several bulk
 * sizes and client counts, against the same passages encoded in-process ({@link LocalEncoding}).
 * Each setting ingests every passage into a fresh index; a setting with any failed item is an
 * error, not a figure.
 */
final class IngestSuite {

    static final String GOAL = "best setting >= 0.90 x the in-process encoder";

    private IngestSuite() {}

    static ObjectNode run(ClusterClient client, String pipeline, List<Passage> passages, LocalEncoding local, boolean quick)
        throws IOException, InterruptedException {
        List<int[]> settings = new ArrayList<>();
        for (int clients : new int[] {1, 4}) {
            for (int bulk : quick ? new int[] {50} : new int[] {50, 200, 500}) {
                settings.add(new int[] {bulk, clients});
            }
        }
        ObjectNode out = ClusterClient.json().createObjectNode();
        out.put("passages", passages.size());
        out.put("in_process_docs_per_s", local.passagesPerSecond());
        out.put("goal", GOAL);
        ArrayNode rows = out.putArray("rows");
        ObjectNode best = null;
        for (int[] s : settings) {
            double docsPerSecond = ingestOnce(client, pipeline, passages, s[0], s[1]);
            ObjectNode row = rows.addObject();
            row.put("bulk_size", s[0]);
            row.put("clients", s[1]);
            row.put("plugin_docs_per_s", docsPerSecond);
            row.put("in_process_docs_per_s", local.passagesPerSecond());
            row.put("ratio", docsPerSecond / local.passagesPerSecond());
            System.out.printf(Locale.ROOT, "ingest: bulk %d, %d client(s): %.2f passages/s (in-process %.2f, ratio %.3f)%n", s[0], s[1],
                docsPerSecond, local.passagesPerSecond(), docsPerSecond / local.passagesPerSecond());
            if (best == null || row.get("ratio").asDouble() > best.get("ratio").asDouble()) {
                best = row;
            }
        }
        out.set("best", best);
        out.put("goal_met", best != null && best.get("ratio").asDouble() >= 0.90);
        return out;
    }

    private static double ingestOnce(ClusterClient client, String pipeline, List<Passage> passages, int bulkSize, int clients)
        throws IOException, InterruptedException {
        String index = "dense-bench-ingest";
        client.send("DELETE", "/" + index, null);
        client.sendOk("PUT", "/" + index, "{\"settings\":{\"number_of_shards\":1,\"number_of_replicas\":0}}");
        ExecutorService pool = Executors.newFixedThreadPool(clients);
        try {
            List<Future<CorpusIngester.Result>> parts = new ArrayList<>();
            long start = System.nanoTime();
            for (int c = 0; c < clients; c++) {
                List<Passage> slice = new ArrayList<>();
                for (int i = c; i < passages.size(); i += clients) {
                    slice.add(passages.get(i));
                }
                parts.add(pool.submit(() -> new CorpusIngester(client, index, pipeline, bulkSize, false).ingest(slice)));
            }
            int indexed = 0;
            List<String> failures = new ArrayList<>();
            for (Future<CorpusIngester.Result> f : parts) {
                CorpusIngester.Result r = f.get();
                indexed += r.indexed();
                failures.addAll(r.failures());
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            if (!failures.isEmpty()) {
                throw new IOException(failures.size() + " passages failed to index (bulk " + bulkSize + ", " + clients + " clients); first: "
                    + failures.get(0));
            }
            return indexed / seconds;
        } catch (java.util.concurrent.ExecutionException e) {
            throw new IOException("ingest failed: " + e.getCause().getMessage(), e.getCause());
        } finally {
            pool.shutdownNow();
            client.send("DELETE", "/" + index, null);
        }
    }
}
