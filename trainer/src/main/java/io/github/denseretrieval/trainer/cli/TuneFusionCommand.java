package io.github.denseretrieval.trainer.cli;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import io.github.denseretrieval.encoder.TextEncoder;
import io.github.denseretrieval.evaluation.beir.BeirDataset;
import io.github.denseretrieval.evaluation.beir.Passage;
import io.github.denseretrieval.evaluation.retrieval.ClusterSearch;
import io.github.denseretrieval.evaluation.retrieval.DenseEvaluation;
import io.github.denseretrieval.evaluation.retrieval.EvaluationSet;
import io.github.denseretrieval.evaluation.retrieval.FusionSearchBody;
import io.github.denseretrieval.evaluation.retrieval.FusionStudy;
import io.github.denseretrieval.evaluation.retrieval.FusionStudy.Candidate;
import io.github.denseretrieval.evaluation.retrieval.FusionStudy.Outcome;
import io.github.denseretrieval.evaluation.retrieval.FusionStudy.TestCollection;
import io.github.denseretrieval.evaluation.retrieval.MultiMatchBm25;
import io.github.denseretrieval.evaluation.metrics.Evaluator;
import io.github.denseretrieval.evaluation.metrics.Qrels;
import io.github.denseretrieval.evaluation.metrics.Run;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Callable;

/**
 * {@code trainer tune-fusion}: chooses the hybrid fusion for judged questions without reporting on
 * the questions it chose on. One collection: k-fold cross-validation over its tuning questions
 * (choose on k-1 folds, score the held-out fold), every candidate's in-sample mean and wins/losses
 * against dense alone, and the final choice (made on all tuning questions) scored on the report
 * split when that is a different split. Several collections: leave-one-collection-out (choose on
 * the others' tuning questions, score the held-out collection's report split), then the choice on
 * all of them. Runs come from es-config's searches replayed in-process (Lucene BM25 as
 * {@code bm25.json} or {@code bm25-standard.json}, exact dense search with {@code --model}) or from
 * a cluster ({@code --es-url}).
 */
@Command(name = "tune-fusion", mixinStandardHelpOptions = true,
    description = {"Choose the hybrid fusion (method, normaliser, weights) on judged questions, by cross-validation on one",
        "BEIR folder or leave-one-collection-out over several; optionally write the choice as a search body."})
final class TuneFusionCommand implements Callable<Integer> {

    @Option(names = "--data", required = true, description = "BEIR folder(s); repeat for leave-one-collection-out.")
    List<Path> data;

    @Option(names = "--model", description = "Dense model folder for in-process runs (e.g. analysis-encoder/target/models/bge-small-en-v1.5).")
    Path model;

    @Option(names = "--bm25-analysis", defaultValue = "english",
        description = "BM25 child: english (searches/bm25.json) or standard (searches/bm25-standard.json, the .standard sub-fields) (default: ${DEFAULT-VALUE}).")
    String bm25Analysis;

    @Option(names = "--tune-split", description = "Split to choose on (default: train when the folder has it, else test).")
    String tuneSplit;

    @Option(names = "--report-split", defaultValue = "test", description = "Split to report on (default: ${DEFAULT-VALUE}).")
    String reportSplit;

    @Option(names = "--folds", defaultValue = "5", description = "Cross-validation folds for one collection (default: ${DEFAULT-VALUE}).")
    int folds;

    @Option(names = "--runs", defaultValue = "trainer/target/fusion-runs",
        description = "Cache of the dense runs, per collection and model; delete it when a corpus changes (default: ${DEFAULT-VALUE}).")
    Path runsDir;

    @Option(names = "--es-url", description = "Take both runs from this cluster instead (one --data only; needs --index).")
    String esUrl;

    @Option(names = "--index", description = "With --es-url: the index holding the corpus.")
    String index;

    @Option(names = "--api-key", defaultValue = "${env:ES_API_KEY}", description = "With --es-url: an API key (default: $ES_API_KEY).")
    String apiKey;

    @Option(names = "--searches", defaultValue = "es-config/searches", description = "Folder of bm25.json and dense.json (default: ${DEFAULT-VALUE}).")
    Path searches;

    @Option(names = "--write-search", description = "Write the chosen fusion as a search body (es-config/searches format) to this file.")
    Path writeSearch;

    @Option(names = "--out", description = "Write every figure as JSON to this file.")
    Path out;

    @Mixin
    ModelOptions modelOptions;

    @Override
    public Integer call() throws Exception {
        if ((model == null) == (esUrl == null)) {
            throw new IllegalArgumentException("give --model (in-process runs) or --es-url with --index (runs from a cluster)");
        }
        if (esUrl != null && data.size() != 1) {
            throw new IllegalArgumentException("--es-url takes one --data folder: the one its --index holds");
        }
        List<TestCollection> collections = new ArrayList<>();
        for (Path dir : data) {
            collections.add(load(BeirDataset.open(dir)));
        }
        List<Candidate> grid = FusionStudy.grid();
        JsonObject json = new JsonObject();
        json.addProperty("rule", "max median nDCG@10 gain over dense among candidates losing at most " + FusionStudy.TOLERATED_LOSS
            + " on every tuning collection, else the smallest worst loss");
        Candidate choice = collections.size() > 1 ? leaveOneOut(collections, grid, json) : crossValidate(collections.get(0), grid, json);
        json.addProperty("choice", choice.name());
        if (writeSearch != null) {
            Files.writeString(writeSearch, FusionSearchBody.write(choice.spec(), bm25Body(), searches.resolve("dense.json"),
                FusionStudy.WINDOW), StandardCharsets.UTF_8);
            System.out.printf(Locale.ROOT, "wrote %s (%s)%n", writeSearch, choice.name());
        }
        if (out != null) {
            Json.write(out, json);
        }
        return 0;
    }

    private TestCollection load(BeirDataset dataset) throws IOException {
        String name = dataset.dir().toAbsolutePath().normalize().getFileName().toString();
        String tune = tuneSplit != null ? tuneSplit : dataset.splits().contains("train") ? "train" : reportSplit;
        Qrels tuneQrels = dataset.qrels(tune);
        Qrels reportQrels = dataset.qrels(reportSplit);
        Map<String, String> questions = new LinkedHashMap<>(dataset.queriesOf(tuneQrels));
        questions.putAll(dataset.queriesOf(reportQrels));
        Run bm25;
        Run dense;
        if (esUrl != null) {
            bm25 = clusterRun(bm25Body().getFileName().toString(), questions);
            dense = clusterRun("dense.json", questions);
        } else {
            // BM25 takes seconds and is recomputed every time; the dense run (the corpus encoded) is cached per
            // collection and model, and recomputed when it lacks a question of this run's splits.
            List<Passage> corpus = dataset.corpus();
            try (MultiMatchBm25 index = new MultiMatchBm25(corpus, analysis())) {
                bm25 = index.searchAll(questions, FusionStudy.WINDOW);
            }
            Path denseFile = runsDir.resolve(name).resolve("dense-" + model.getFileName() + ".trec");
            dense = Files.isRegularFile(denseFile) ? Run.readTrec(denseFile) : null;
            if (dense == null || !dense.asMap().keySet().containsAll(questions.keySet())) {
                // A passage with no text gets no vector (the ingest processor answers it 400), so dense search cannot return it.
                List<Passage> withText = corpus.stream().filter(p -> !p.titleAndText().isBlank()).toList();
                try (TextEncoder encoder = TextEncoder.open(model, modelOptions.toEncoderOptions())) {
                    System.out.printf(Locale.ROOT, "%s: encoding %d passages with %s (%d without text left out)%n", name, withText.size(),
                        encoder.manifest().name(), corpus.size() - withText.size());
                    DenseEvaluation.run(encoder, new EvaluationSet(withText, questions, reportQrels, false)).run().writeTrec(denseFile, "dense");
                }
                dense = Run.readTrec(denseFile);
            }
        }
        System.out.printf(Locale.ROOT, "%s: choose on [%s] (%d questions), report on [%s] (%d questions)%n", name, tune,
            tuneQrels.queryIds().size(), reportSplit, reportQrels.queryIds().size());
        return new TestCollection(name, tuneQrels, reportQrels, bm25, dense);
    }

    /** es-config's search body of the BM25 child this study uses. */
    private Path bm25Body() {
        return searches.resolve(analysis() == MultiMatchBm25.Analysis.ENGLISH ? "bm25.json" : "bm25-standard.json");
    }

    private MultiMatchBm25.Analysis analysis() {
        return MultiMatchBm25.Analysis.valueOf(bm25Analysis.toUpperCase(Locale.ROOT));
    }

    private Run clusterRun(String body, Map<String, String> questions) throws IOException {
        if (index == null) {
            throw new IllegalArgumentException("--es-url needs --index, the index that holds the corpus");
        }
        return new ClusterSearch(esUrl, index, Files.readString(searches.resolve(body), StandardCharsets.UTF_8), apiKey).run(questions);
    }

    private Candidate leaveOneOut(List<TestCollection> collections, List<Candidate> grid, JsonObject json) {
        System.out.printf(Locale.ROOT, "%nLeave one collection out: chosen on the others' tuning questions, scored on the held-out report split%n");
        System.out.printf(Locale.ROOT, "| %-10s | %5s | %7s | %7s | %-30s | %7s | %7s | %9s |%n", "held out", "qs", "BM25", "dense",
            "chosen on the rest", "hybrid", "gain", "win/loss");
        System.out.printf(Locale.ROOT, "|%s|%n", "---|".repeat(8).replaceAll("\\|$", ""));
        // Every candidate is judged on every collection's tuning questions once; each leave-one-out choice reads that table.
        double[][] gains = FusionStudy.gains(collections, grid);
        JsonArray rows = new JsonArray();
        for (int h = 0; h < collections.size(); h++) {
            TestCollection held = collections.get(h);
            Candidate c = grid.get(FusionStudy.pick(FusionStudy.withoutCollection(gains, h)));
            Outcome o = FusionStudy.judge(held.report(), FusionStudy.fuse(c, held.bm25(), held.dense()), held.dense());
            double bm25 = Evaluator.evaluate(held.report(), held.bm25()).ndcgAt10();
            printRow(held.name(), o, bm25, c.name());
            rows.add(row(held.name(), c, o, bm25));
        }
        json.add("leave_one_out", rows);
        int chosen = FusionStudy.pick(gains);
        Candidate choice = grid.get(chosen);
        double[] choiceGains = gains[chosen];
        double tuningGain = Arrays.stream(choiceGains).average().orElse(0);
        double worstTuningGain = Arrays.stream(choiceGains).min().orElse(0);
        System.out.printf(Locale.ROOT, "%nChosen on every collection's tuning questions: %s (gain over dense on those questions: median %+.4f, "
            + "mean %+.4f, worst %+.4f)%n", choice.name(), FusionStudy.median(choiceGains), tuningGain, worstTuningGain);
        json.addProperty("tuning_median_gain", FusionStudy.median(choiceGains));
        json.addProperty("tuning_mean_gain", tuningGain);
        json.addProperty("tuning_worst_gain", worstTuningGain);
        System.out.printf(Locale.ROOT, "| %-10s | %5s | %7s | %7s | %-30s | %7s | %7s | %9s |%n", "collection", "qs", "BM25", "dense",
            "report split is", "hybrid", "gain", "win/loss");
        JsonArray finals = new JsonArray();
        for (TestCollection col : collections) {
            Outcome o = FusionStudy.judge(col.report(), FusionStudy.fuse(choice, col.bm25(), col.dense()), col.dense());
            double bm25 = Evaluator.evaluate(col.report(), col.bm25()).ndcgAt10();
            printRow(col.name(), o, bm25, col.separateSplits() ? "unseen (own split)" : "seen in the choice");
            JsonObject r = row(col.name(), choice, o, bm25);
            r.addProperty("report_split_unseen", col.separateSplits());
            finals.add(r);
        }
        json.add("final", finals);
        return choice;
    }

    private Candidate crossValidate(TestCollection col, List<Candidate> grid, JsonObject json) {
        List<String> questions = new ArrayList<>(col.tune().queryIds());
        Collections.shuffle(questions, new Random(42));
        int k = Math.max(2, Math.min(folds, questions.size()));
        Run cvRun = new Run();
        JsonArray perFold = new JsonArray();
        for (int f = 0; f < k; f++) {
            List<String> heldOut = new ArrayList<>();
            List<String> rest = new ArrayList<>();
            for (int i = 0; i < questions.size(); i++) {
                (i % k == f ? heldOut : rest).add(questions.get(i));
            }
            Candidate c = FusionStudy.choose(List.of(new TestCollection(col.name(), col.tune().restrictTo(rest), col.tune().restrictTo(rest),
                col.bm25(), col.dense())), grid);
            Run fused = FusionStudy.fuse(c, col.bm25(), col.dense());
            heldOut.forEach(q -> cvRun.put(q, fused.get(q)));
            perFold.add(c.name());
        }
        json.add("fold_choices", perFold);
        System.out.printf(Locale.ROOT, "%nEvery candidate on all %d tuning questions of %s (in-sample, for reading, not for reporting)%n",
            questions.size(), col.name());
        System.out.printf(Locale.ROOT, "| %-30s | %7s | %7s | %9s |%n", "candidate", "nDCG@10", "gain", "win/loss");
        JsonArray all = new JsonArray();
        for (Candidate c : grid) {
            Outcome o = FusionStudy.judge(col.tune(), FusionStudy.fuse(c, col.bm25(), col.dense()), col.dense());
            System.out.printf(Locale.ROOT, "| %-30s | %7.4f | %+7.4f | %4d/%-4d |%n", c.name(), o.ndcg(), o.gain(), o.wins(), o.losses());
            all.add(row(col.name(), c, o, Double.NaN));
        }
        json.add("candidates_in_sample", all);
        Outcome cv = FusionStudy.judge(col.tune(), cvRun, col.dense());
        double bm25 = Evaluator.evaluate(col.tune(), col.bm25()).ndcgAt10();
        System.out.printf(Locale.ROOT, "%n%d-fold cross-validation (each fold scored by the choice made on the other folds)%n", k);
        System.out.printf(Locale.ROOT, "| %-10s | %5s | %7s | %7s | %-30s | %7s | %7s | %9s |%n", "collection", "qs", "BM25", "dense",
            "choice", "hybrid", "gain", "win/loss");
        printRow(col.name(), cv, bm25, "per fold");
        json.add("cross_validation", row(col.name(), null, cv, bm25));
        Candidate choice = FusionStudy.choose(List.of(col), grid);
        System.out.printf(Locale.ROOT, "%nChosen on all tuning questions: %s%n", choice.name());
        if (col.separateSplits()) {
            Outcome o = FusionStudy.judge(col.report(), FusionStudy.fuse(choice, col.bm25(), col.dense()), col.dense());
            double reportBm25 = Evaluator.evaluate(col.report(), col.bm25()).ndcgAt10();
            System.out.printf(Locale.ROOT, "On the report split [%s], not seen by the choice:%n", reportSplit);
            printRow(col.name(), o, reportBm25, choice.name());
            json.add("report", row(col.name(), choice, o, reportBm25));
        }
        return choice;
    }

    private static void printRow(String name, Outcome o, double bm25, String note) {
        System.out.printf(Locale.ROOT, "| %-10s | %5d | %7.4f | %7.4f | %-30s | %7.4f | %+7.4f | %4d/%-4d |%n", name, o.questions(), bm25,
            o.denseNdcg(), note, o.ndcg(), o.gain(), o.wins(), o.losses());
    }

    private static JsonObject row(String collection, Candidate c, Outcome o, double bm25) {
        JsonObject r = new JsonObject();
        r.addProperty("collection", collection);
        if (c != null) {
            r.addProperty("candidate", c.name());
        }
        r.addProperty("questions", o.questions());
        if (!Double.isNaN(bm25)) {
            r.addProperty("bm25_ndcg@10", bm25);
        }
        r.addProperty("dense_ndcg@10", o.denseNdcg());
        r.addProperty("hybrid_ndcg@10", o.ndcg());
        r.addProperty("gain", o.gain());
        r.addProperty("wins", o.wins());
        r.addProperty("losses", o.losses());
        return r;
    }
}
