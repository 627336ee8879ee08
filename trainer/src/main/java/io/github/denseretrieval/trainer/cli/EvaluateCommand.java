package io.github.denseretrieval.trainer.cli;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;
import io.github.denseretrieval.encoder.TextEncoder;
import io.github.denseretrieval.evaluation.beir.BeirDataset;
import io.github.denseretrieval.evaluation.retrieval.ClusterSearch;
import io.github.denseretrieval.trainer.export.TrainedModelExport;
import io.github.denseretrieval.evaluation.retrieval.EvaluationSet;
import io.github.denseretrieval.evaluation.retrieval.DenseEvaluation;
import io.github.denseretrieval.evaluation.metrics.Evaluator;
import io.github.denseretrieval.evaluation.metrics.MetricSummary;
import io.github.denseretrieval.evaluation.metrics.Run;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code trainer evaluate}: nDCG@10, MRR@10 and Recall@100 (trec_eval definitions) of a BEIR
 * split, either in-process (a model folder encodes the corpus, exact dot-product ranking) or
 * through a cluster ({@code --es-url}: the split's questions sent as the plugin's search bodies
 * to an index that already holds the corpus).
 */
@Command(name = "evaluate", mixinStandardHelpOptions = true,
    description = {"Evaluate on a BEIR split: a model folder in-process with exact dense search (--model),",
        "or the plugin's queries against a running cluster (--es-url, --index)."})
final class EvaluateCommand implements Callable<Integer> {

    @Option(names = "--data", required = true, description = "BEIR dataset folder (corpus.jsonl, queries.jsonl, qrels/).")
    Path data;

    @Option(names = "--split", defaultValue = "test", description = "qrels split (default: ${DEFAULT-VALUE}).")
    String split;

    @Option(names = "--model", description = "Model folder (model.json, tokenizer.json, weights): evaluate in-process.")
    Path model;

    @Option(names = "--query-model", description = "With --model: a separate question tower (default: <model>/../query/onnx when it exists, else --model).")
    Path queryModel;

    @Option(names = "--es-url", description = "Evaluate through this cluster instead (e.g. http://localhost:9200; user:pass@ for basic auth).")
    String esUrl;

    @Option(names = "--index", description = "With --es-url: the index holding the corpus (document _id = passage id).")
    String index;

    @Option(names = "--search", defaultValue = "es-config/searches/dense.json",
        description = "With --es-url: search body with \"{{query}}\" (default: ${DEFAULT-VALUE}; bm25.json and hybrid.json sit beside it).")
    Path search;

    @Option(names = "--model-id", description = "With --es-url: replace every model_id in the search body with this one.")
    String modelId;

    @Option(names = "--api-key", defaultValue = "${env:ES_API_KEY}", description = "With --es-url: an API key (default: $ES_API_KEY).")
    String apiKey;

    @Option(names = "--max-queries", defaultValue = "0", description = "Evaluate only the first N questions (0 = all).")
    int maxQueries;

    @Option(names = "--max-passages", defaultValue = "0", description = "Keep judged passages plus N others (0 = whole corpus).")
    int maxPassages;

    @Option(names = "--out", description = "Write the figures as JSON to this file.")
    Path out;

    @Option(names = "--run", description = "Write the ranking as a TREC run file (for trec_eval).")
    Path runFile;

    @Mixin
    ModelOptions modelOptions;

    @Override
    public Integer call() throws Exception {
        if ((model == null) == (esUrl == null)) {
            throw new IllegalArgumentException("give either --model (in-process) or --es-url with --index (through a cluster)");
        }
        EvaluationSet set = EvaluationSet.load(BeirDataset.open(data), split, maxQueries, maxPassages);
        if (esUrl != null) {
            return throughCluster(set);
        }
        Path questionModel = queryModel != null ? queryModel : TrainedModelExport.queryTowerOf(model);
        try (TextEncoder encoder = TextEncoder.open(model, modelOptions.toEncoderOptions());
             TextEncoder questions = questionModel.equals(model) ? null : TextEncoder.open(questionModel, modelOptions.toEncoderOptions())) {
            if (questions != null) {
                System.out.printf(Locale.ROOT, "question tower %s%n", questions.manifest().name());
            }
            System.out.printf(Locale.ROOT, "model %s (%s), %d passages, %d questions%s%n", encoder.manifest().name(),
                encoder.engineDescription(), set.passages().size(), set.queries().size(), set.reduced() ? " (reduced set)" : "");
            DenseEvaluation evaluation = DenseEvaluation.run(questions != null ? questions : encoder, encoder, set);
            MetricSummary m = evaluation.metrics();
            Run run = evaluation.run();
            double perSecond = evaluation.passagesPerSecond();
            System.out.printf(Locale.ROOT, "%-22s %-9s %8s %8s %10s %12s%n", "model", "split", "nDCG@10", "MRR@10", "Recall@100", "passages/s");
            System.out.printf(Locale.ROOT, "%-22s %-9s %8.4f %8.4f %10.4f %12.1f%n", encoder.manifest().name(), split,
                m.ndcgAt10(), m.mrrAt10(), m.recallAt100(), perSecond);
            if (runFile != null) {
                run.writeTrec(runFile, encoder.manifest().name());
            }
            if (out != null) {
                JsonObject json = report(set, encoder.manifest().name(), encoder.engineDescription(), m);
                json.addProperty("encode_passages_per_s", perSecond);
                Json.write(out, json);
            }
        }
        return 0;
    }

    private int throughCluster(EvaluationSet set) throws IOException {
        if (index == null) {
            throw new IllegalArgumentException("--es-url needs --index, the index that holds the corpus");
        }
        if (!Files.isRegularFile(search)) {
            throw new IllegalArgumentException("search body " + search + " not found (run from the repository root, or give --search FILE)");
        }
        String body = Files.readString(search, StandardCharsets.UTF_8);
        if (modelId != null) {
            body = withModelId(JsonParser.parseString(body), modelId).toString();
        }
        ClusterSearch cluster = new ClusterSearch(esUrl, index, body, apiKey);
        long docs = cluster.count();
        if (docs != set.passages().size()) {
            // Not fatal (the index may hold more than the corpus), but the figures are then not the split's.
            System.err.printf(Locale.ROOT, "warning: index [%s] holds %d documents, the evaluation corpus %d passages%n", index, docs,
                set.passages().size());
        }
        String name = search.getFileName().toString().replace(".json", "") + (modelId != null ? " " + modelId : "");
        System.out.printf(Locale.ROOT, "%s through %s index [%s] (%d documents), %d questions%s%n", name, esUrl.replaceAll("//[^@/]*@", "//"),
            index, docs, set.queries().size(), set.reduced() ? " (reduced set)" : "");
        Run run = cluster.run(set.queries());
        MetricSummary m = Evaluator.evaluate(set.qrels(), run);
        System.out.printf(Locale.ROOT, "%-22s %-9s %8s %8s %10s%n", "search", "split", "nDCG@10", "MRR@10", "Recall@100");
        System.out.printf(Locale.ROOT, "%-22s %-9s %8.4f %8.4f %10.4f%n", name, split, m.ndcgAt10(), m.mrrAt10(), m.recallAt100());
        if (runFile != null) {
            run.writeTrec(runFile, name.replace(' ', '-'));
        }
        if (out != null) {
            JsonObject json = report(set, name, "elasticsearch index " + index, m);
            json.addProperty("index_docs", docs);
            Json.write(out, json);
        }
        return 0;
    }

    private JsonObject report(EvaluationSet set, String modelName, String engine, MetricSummary m) {
        JsonObject json = new JsonObject();
        json.addProperty("dataset", data.toAbsolutePath().normalize().getFileName().toString());
        json.addProperty("split", split);
        json.addProperty("model", modelName);
        json.addProperty("engine", engine);
        json.addProperty("reduced", set.reduced());
        json.addProperty("docs", set.passages().size());
        json.addProperty("queries", set.queries().size());
        json.addProperty("ndcg@10", m.ndcgAt10());
        json.addProperty("mrr@10", m.mrrAt10());
        json.addProperty("recall@100", m.recallAt100());
        return json;
    }

    /** {@code json} with every {@code model_id} string set to {@code id} (the bodies name the bundled model). */
    static JsonElement withModelId(JsonElement json, String id) {
        if (json.isJsonObject()) {
            for (Map.Entry<String, JsonElement> e : json.getAsJsonObject().entrySet()) {
                if (e.getKey().equals("model_id") && e.getValue().isJsonPrimitive()) {
                    e.setValue(new JsonPrimitive(id));
                } else {
                    withModelId(e.getValue(), id);
                }
            }
        } else if (json.isJsonArray()) {
            json.getAsJsonArray().forEach(child -> withModelId(child, id));
        }
        return json;
    }
}
