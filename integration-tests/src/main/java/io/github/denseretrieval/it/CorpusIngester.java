package io.github.denseretrieval.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.github.denseretrieval.evaluation.beir.Passage;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Sends passages through {@code _bulk} and an ingest pipeline, reporting progress (docs/s, ETA)
 * and every failed item with its reason: nothing is dropped silently.
 */
public final class CorpusIngester {

    /** What an ingest did. */
    public record Result(int indexed, List<String> failures, double seconds) {
        public double docsPerSecond() {
            return indexed / Math.max(seconds, 1e-9);
        }
    }

    private final ClusterClient client;
    private final String index;
    private final String pipeline;
    private final int bulkSize;
    private final boolean progress;

    public CorpusIngester(ClusterClient client, String index, String pipeline, int bulkSize, boolean progress) {
        this.client = client;
        this.index = index;
        this.pipeline = pipeline;
        this.bulkSize = bulkSize;
        this.progress = progress;
    }

    public Result ingest(List<Passage> passages) throws IOException {
        long start = System.nanoTime();
        int indexed = 0;
        List<String> failures = new ArrayList<>();
        for (int from = 0; from < passages.size(); from += bulkSize) {
            List<Passage> chunk = passages.subList(from, Math.min(passages.size(), from + bulkSize));
            StringBuilder body = new StringBuilder();
            for (Passage p : chunk) {
                ObjectNode action = ClusterClient.json().createObjectNode();
                action.putObject("index").put("_id", p.id());
                ObjectNode doc = ClusterClient.json().createObjectNode();
                doc.put("title", p.title());
                doc.put("text", p.text());
                body.append(action).append('\n').append(doc).append('\n');
            }
            JsonNode response = client.sendOk("POST", "/" + index + "/_bulk?pipeline=" + pipeline, body.toString());
            for (JsonNode item : response.path("items")) {
                JsonNode r = item.path("index");
                if (r.path("status").asInt() >= 300) {
                    failures.add(r.path("_id").asText() + ": " + r.path("error").path("reason").asText());
                } else {
                    indexed++;
                }
            }
            if (progress) {
                double seconds = (System.nanoTime() - start) / 1e9;
                int done = from + chunk.size();
                double rate = done / seconds;
                System.err.printf(Locale.ROOT, "\ringesting %d/%d  %.1f docs/s  ETA %.0fs  failed %d   ", done, passages.size(), rate,
                    (passages.size() - done) / rate, failures.size());
            }
        }
        if (progress) {
            System.err.println();
        }
        client.sendOk("POST", "/" + index + "/_refresh", null);
        return new Result(indexed, failures, (System.nanoTime() - start) / 1e9);
    }
}
