package io.github.denseretrieval.trainer.cli;

import com.google.gson.JsonObject;
import io.github.denseretrieval.encoder.TextEncoder;
import io.github.denseretrieval.trainer.beir.BeirDataset;
import io.github.denseretrieval.trainer.eval.EvaluationSet;
import io.github.denseretrieval.trainer.eval.DenseEvaluation;
import io.github.denseretrieval.trainer.metrics.MetricSummary;
import io.github.denseretrieval.trainer.metrics.Run;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code trainer evaluate}: encodes a BEIR corpus and split with a model folder, ranks by exact
 * dot product, and prints nDCG@10, MRR@10 and Recall@100 (trec_eval definitions).
 */
@Command(name = "evaluate", mixinStandardHelpOptions = true,
    description = "Evaluate a model folder in-process on a BEIR split with exact (brute-force) dense search.")
final class EvaluateCommand implements Callable<Integer> {

    @Option(names = "--data", required = true, description = "BEIR dataset folder (corpus.jsonl, queries.jsonl, qrels/).")
    Path data;

    @Option(names = "--split", defaultValue = "test", description = "qrels split (default: ${DEFAULT-VALUE}).")
    String split;

    @Option(names = "--model", required = true, description = "Model folder (model.json, tokenizer.json, weights).")
    Path model;

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
        EvaluationSet set = EvaluationSet.load(BeirDataset.open(data), split, maxQueries, maxPassages);
        try (TextEncoder encoder = TextEncoder.open(model, modelOptions.toEncoderOptions())) {
            System.out.printf(Locale.ROOT, "model %s (%s), %d passages, %d questions%s%n", encoder.manifest().name(),
                encoder.engineDescription(), set.passages().size(), set.queries().size(), set.reduced() ? " (reduced set)" : "");
            DenseEvaluation evaluation = DenseEvaluation.run(encoder, set);
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
                JsonObject json = new JsonObject();
                json.addProperty("dataset", data.toAbsolutePath().normalize().getFileName().toString());
                json.addProperty("split", split);
                json.addProperty("model", encoder.manifest().name());
                json.addProperty("engine", encoder.engineDescription());
                json.addProperty("reduced", set.reduced());
                json.addProperty("docs", set.passages().size());
                json.addProperty("queries", set.queries().size());
                json.addProperty("ndcg@10", m.ndcgAt10());
                json.addProperty("mrr@10", m.mrrAt10());
                json.addProperty("recall@100", m.recallAt100());
                json.addProperty("encode_passages_per_s", perSecond);
                Json.write(out, json);
            }
        }
        return 0;
    }
}
