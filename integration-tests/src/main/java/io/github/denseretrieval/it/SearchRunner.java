package io.github.denseretrieval.it;

import com.fasterxml.jackson.databind.JsonNode;
import io.github.denseretrieval.trainer.bench.Percentiles;
import io.github.denseretrieval.trainer.metrics.Run;
import io.github.denseretrieval.trainer.metrics.ScoredDoc;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Runs every question of a split through one search mode on the cluster and records the ranking
 * (top 100) and each request's wall-clock latency as the client sees it.
 */
public final class SearchRunner {

    /** A mode's run and latencies. */
    public record Result(Run run, double[] latenciesMs) {
        public double p50() {
            return new Percentiles(latenciesMs).at(50);
        }

        public double p95() {
            return new Percentiles(latenciesMs).at(95);
        }
    }

    private final ClusterClient client;
    private final String index;
    private final SearchTemplates templates;
    private final String modelId;

    public SearchRunner(ClusterClient client, String index, SearchTemplates templates, String modelId) {
        this.client = client;
        this.index = index;
        this.templates = templates;
        this.modelId = modelId;
    }

    public Result run(String mode, Map<String, String> questions, boolean progress) throws IOException {
        Run run = new Run();
        double[] latencies = new double[questions.size()];
        int i = 0;
        for (Map.Entry<String, String> q : questions.entrySet()) {
            String body = templates.body(mode, q.getValue(), modelId);
            long start = System.nanoTime();
            JsonNode response = client.sendOk("POST", "/" + index + "/_search", body);
            latencies[i++] = (System.nanoTime() - start) / 1e6;
            List<ScoredDoc> docs = new ArrayList<>();
            for (JsonNode hit : response.path("hits").path("hits")) {
                docs.add(new ScoredDoc(hit.path("_id").asText(), hit.path("_score").asDouble()));
            }
            run.put(q.getKey(), docs);
            if (progress && (i % 25 == 0 || i == questions.size())) {
                System.err.printf(Locale.ROOT, "\r%-6s %d/%d questions   ", mode, i, questions.size());
            }
        }
        if (progress) {
            System.err.println();
        }
        return new Result(run, latencies);
    }
}
