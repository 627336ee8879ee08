package io.github.denseretrieval.it.bench;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.github.denseretrieval.evaluation.bench.Percentiles;
import io.github.denseretrieval.evaluation.metrics.Evaluator;
import io.github.denseretrieval.evaluation.metrics.Run;
import io.github.denseretrieval.evaluation.metrics.ScoredDoc;
import io.github.denseretrieval.evaluation.retrieval.ClusterSearch;
import io.github.denseretrieval.evaluation.retrieval.EvaluationSet;
import io.github.denseretrieval.it.ClusterClient;
import io.github.denseretrieval.it.CorpusIngester;
import io.github.denseretrieval.it.SearchTemplates;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The two engines side by side in one node (the plugin with its optional TensorFlow jars): the
 * bundled ONNX model and its TensorFlow SavedModel export (the trainer's {@code export}) ingest the
 * same passages and answer the same questions. Each engine's figures stand beside its own
 * in-process encoder's (the yardstick), and the two rankings are compared question by question.
 */
final class EngineSuite {

    /** The model id the SavedModel twin is served under. */
    static String tensorFlowId(String model) {
        return model + "-tf";
    }

    private EngineSuite() {}

    static ObjectNode run(BenchNodes nodes, String model, Path onnxFolder, Path savedModel, EvaluationSet set, Path dataDir,
                          LocalEncoding onnxLocal, SearchTemplates templates) throws IOException, InterruptedException {
        System.out.printf(Locale.ROOT, "encoding the passages with the SavedModel %s in-process (its yardstick) ...%n", savedModel);
        LocalEncoding tfLocal = LocalEncoding.of(savedModel, set);
        ObjectNode out = ClusterClient.json().createObjectNode();
        out.put("passages", set.passages().size());
        out.put("questions", set.queries().size());
        out.put("savedmodel", savedModel.toString());
        ArrayNode rows = out.putArray("rows");
        Map<String, Run> runs = new java.util.LinkedHashMap<>();
        try (BenchNodes.Session s = nodes.startWithTensorFlow(model)) {
            s.node().installModel(tensorFlowId(model), savedModel);
            s.client().sendOk("POST", "/_dense/models/_reload", null);
            record Engine(String name, String modelId, Path folder, LocalEncoding local) {}
            for (Engine e : List.of(new Engine("onnx", model, onnxFolder, onnxLocal), new Engine("tensorflow", tensorFlowId(model), savedModel,
                tfLocal))) {
                s.setup().apply(e.modelId());
                String index = "dense-bench-engine-" + e.name();
                int dims = e.local().passageVectors().values().iterator().next().length;
                // A fresh node, so the index is always built here (ensureIndex answers null only when it reuses one).
                CorpusIngester.Result ingest = s.setup().ensureIndex(index, set, dims, dataDir);
                ClusterSearch dense = templates.search(s.node().url(), index, SearchTemplates.DENSE, e.modelId());
                dense.run(set.queries()); // untimed: a fresh node compiles its hot paths during its first searches
                ClusterSearch.TimedRun timed = dense.timedRun(set.queries(), e.name());
                runs.put(e.name(), timed.run());
                ObjectNode row = rows.addObject();
                row.put("engine", e.name());
                row.put("model_id", e.modelId());
                row.put("plugin_docs_per_s", ingest.docsPerSecond());
                row.put("in_process_docs_per_s", e.local().passagesPerSecond());
                row.put("ingest_ratio", ingest.docsPerSecond() / e.local().passagesPerSecond());
                row.put("dense_p50_ms", timed.p50());
                row.put("dense_p95_ms", timed.p95());
                row.put("in_process_question_p50_ms", new Percentiles(e.local().questionLatencyMs()).at(50));
                row.put("ndcg@10", Evaluator.evaluate(set.qrels(), timed.run()).ndcgAt10());
                row.put("exact_ndcg@10", e.local().exactNdcgAt10(set.qrels()));
                System.out.printf(Locale.ROOT, "engines: %-10s ingest %.2f passages/s (in-process %.2f, ratio %.3f); dense p50 %.1f ms p95 %.1f ms "
                        + "(in-process question encode p50 %.1f ms); nDCG@10 %.4f through the node, %.4f exact in-process%n", e.name(),
                    row.get("plugin_docs_per_s").asDouble(), row.get("in_process_docs_per_s").asDouble(), row.get("ingest_ratio").asDouble(),
                    timed.p50(), timed.p95(), row.get("in_process_question_p50_ms").asDouble(), row.get("ndcg@10").asDouble(),
                    row.get("exact_ndcg@10").asDouble());
            }
        }
        compareRankings(runs.get("onnx"), runs.get("tensorflow"), out);
        return out;
    }

    /** How many questions get the same top 10 (same ids, same order) from both engines, and the largest score difference there. */
    private static void compareRankings(Run onnx, Run tensorflow, ObjectNode out) {
        int same = 0;
        double maxScoreDiff = 0;
        List<String> differing = new ArrayList<>();
        for (String q : onnx.asMap().keySet()) {
            List<ScoredDoc> a = top10(onnx.get(q));
            List<ScoredDoc> b = top10(tensorflow.get(q));
            if (a.stream().map(ScoredDoc::docId).toList().equals(b.stream().map(ScoredDoc::docId).toList())) {
                same++;
                for (int i = 0; i < a.size(); i++) {
                    maxScoreDiff = Math.max(maxScoreDiff, Math.abs(a.get(i).score() - b.get(i).score()));
                }
            } else if (differing.size() < 5) {
                differing.add(q);
            }
        }
        out.put("same_top10_questions", same);
        out.put("max_top10_score_diff", maxScoreDiff);
        out.set("differing_questions", ClusterClient.json().valueToTree(differing));
        System.out.printf(Locale.ROOT, "engines: %d of %d questions have the same top 10 on both engines (max score difference %.2e)%n", same,
            onnx.asMap().size(), maxScoreDiff);
    }

    private static List<ScoredDoc> top10(List<ScoredDoc> docs) {
        return docs == null ? List.of() : docs.subList(0, Math.min(10, docs.size()));
    }
}
