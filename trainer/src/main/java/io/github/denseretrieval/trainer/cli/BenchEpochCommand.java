package io.github.denseretrieval.trainer.cli;

import ai.djl.Device;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import io.github.denseretrieval.encoder.TextRole;
import io.github.denseretrieval.evaluation.beir.BeirDataset;
import io.github.denseretrieval.evaluation.beir.Passage;
import io.github.denseretrieval.trainer.data.TrainingData;
import io.github.denseretrieval.trainer.export.OnnxModelFile.FloatTensor;
import io.github.denseretrieval.evaluation.metrics.Qrels;
import io.github.denseretrieval.trainer.mining.Bm25Index;
import io.github.denseretrieval.trainer.mining.NegativeMiner;
import io.github.denseretrieval.trainer.model.TrainableEncoder;
import io.github.denseretrieval.trainer.recipe.DevSet;
import io.github.denseretrieval.trainer.train.DualEncoderTrainer;
import io.github.denseretrieval.trainer.train.ForwardPasses;
import io.github.denseretrieval.trainer.train.TrainingExample;
import io.github.denseretrieval.trainer.train.TrainingLog;
import io.github.denseretrieval.trainer.train.TrainingSettings;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code trainer bench-epoch}: the wall time of one dual-encoder epoch through the gradient cache
 * (a pass without a graph, then one with a graph per chunk) and through a single forward pass
 * with a graph ({@link ForwardPasses}), from the same model on the same data in the same process,
 * one after the other.
 * The data is what a {@code train} stage would see: the split minus the dev hold-out, with BM25
 * hard negatives. Prints both times, their ratio and how far the two trained models are apart,
 * and writes JSON. Timing only: nothing is exported.
 */
@Command(name = "bench-epoch", mixinStandardHelpOptions = true,
    description = "Time one training epoch through the gradient cache and through a single forward pass.")
final class BenchEpochCommand implements Callable<Integer> {

    @Option(names = "--data", required = true, description = "BEIR folder.")
    Path data;

    @Option(names = "--split", defaultValue = "train", description = "qrels split to train on (default: ${DEFAULT-VALUE}).")
    String split;

    @Option(names = "--model", required = true, description = "ONNX model folder to start from.")
    Path model;

    @Option(names = "--batch-size", defaultValue = "16", description = "Questions per update (default: ${DEFAULT-VALUE}, the budget DPR row's).")
    int batchSize;

    @Option(names = "--chunk-size", defaultValue = "32", description = "Texts per pass of the gradient cache (default: ${DEFAULT-VALUE}).")
    int chunkSize;

    @Option(names = "--negatives", defaultValue = "1", description = "BM25 hard negatives per question (default: ${DEFAULT-VALUE}).")
    int negatives;

    @Option(names = "--freeze-layers", defaultValue = "8", description = "Frozen layers (default: ${DEFAULT-VALUE}).")
    int freezeLayers;

    @Option(names = "--query-max-length", defaultValue = "32", description = "Question tokens (default: ${DEFAULT-VALUE}).")
    int queryMaxLength;

    @Option(names = "--passage-max-length", defaultValue = "128", description = "Passage tokens (default: ${DEFAULT-VALUE}).")
    int passageMaxLength;

    @Option(names = "--dev-fraction", defaultValue = "0.15", description = "Training questions held out, as train does (default: ${DEFAULT-VALUE}).")
    double devFraction;

    @Option(names = "--max-steps", defaultValue = "0", description = "Updates per measurement (0 = one whole epoch).")
    int maxSteps;

    @Option(names = "--repeats", defaultValue = "1", description = {"Measurements of each path (default: ${DEFAULT-VALUE}); with 2 or more",
        "the order alternates (two, one, one, two, ...), so that a load change on a shared machine falls on both."})
    int repeats;

    @Option(names = "--seed", defaultValue = "42", description = "Seed (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--out", defaultValue = "target/bench/epoch.json", description = "JSON result file (default: ${DEFAULT-VALUE}).")
    Path out;

    @Override
    public Integer call() throws Exception {
        BeirDataset dataset = BeirDataset.open(data);
        Map<String, Passage> corpus = TrainingData.corpusById(dataset);
        List<TrainingExample> examples;
        try (Bm25Index bm25 = Bm25Index.build(List.copyOf(corpus.values()))) {
            Qrels qrels = dataset.qrels(split);
            DevSet dev = DevSet.holdOut(qrels, dataset.queriesOf(qrels), corpus, bm25, 0, devFraction, 1, seed);
            examples = new NegativeMiner(corpus, q -> bm25.search(q, 30)).mine(TrainingData.fromBeir(dataset, split, dev.questionIds()), negatives);
        }
        Path logs = out.toAbsolutePath().resolveSibling(out.getFileName() + "-logs");
        // A few updates first, thrown away: the first passes allocate memory and pick kernels, which would count against whichever path ran first.
        measure(examples, ForwardPasses.TWO, Math.max(1, Math.min(2, maxSteps)), logs.resolve("warm-up"));
        List<Measurement> measurements = new ArrayList<>();
        for (int r = 0; r < repeats; r++) {
            List<ForwardPasses> order = r % 2 == 0 ? List.of(ForwardPasses.TWO, ForwardPasses.ONE) : List.of(ForwardPasses.ONE, ForwardPasses.TWO);
            for (ForwardPasses passes : order) {
                measurements.add(measure(examples, passes, maxSteps, logs.resolve(passes.jsonName() + "-" + (r + 1))));
            }
        }
        double cacheSeconds = measurements.stream().filter(m -> m.passes() == ForwardPasses.TWO).mapToDouble(Measurement::seconds).sum();
        double singleSeconds = measurements.stream().filter(m -> m.passes() == ForwardPasses.ONE).mapToDouble(Measurement::seconds).sum();
        double weightDiff = FloatTensor.maxAbsDifference(measurements.get(0).weights(), measurements.get(1).weights());

        System.out.printf(Locale.ROOT, "%-16s %6s %8s %10s %10s%n", "forward passes", "run", "updates", "seconds", "s/update");
        for (int i = 0; i < measurements.size(); i++) {
            Measurement m = measurements.get(i);
            System.out.printf(Locale.ROOT, "%-16s %6d %8d %10.1f %10.2f%n", m.passes().jsonName(), i + 1, m.updates(), m.seconds(),
                m.seconds() / m.updates());
        }
        System.out.printf(Locale.ROOT, "one pass / gradient cache (two passes): %.3f of the time; trained weights max |diff| %.2e%n",
            singleSeconds / cacheSeconds, weightDiff);

        JsonObject json = new JsonObject();
        json.addProperty("model", model.toString());
        json.addProperty("examples", examples.size());
        json.addProperty("batch_size", batchSize);
        json.addProperty("chunk_size", chunkSize);
        json.addProperty("negatives", negatives);
        json.addProperty("freeze_layers", freezeLayers);
        json.addProperty("query_max_length", queryMaxLength);
        json.addProperty("passage_max_length", passageMaxLength);
        json.addProperty("cores", Runtime.getRuntime().availableProcessors());
        JsonArray rows = new JsonArray();
        for (Measurement m : measurements) {
            JsonObject row = new JsonObject();
            row.addProperty("forward_passes", m.passes().jsonName());
            row.addProperty("updates", m.updates());
            row.addProperty("seconds", m.seconds());
            rows.add(row);
        }
        json.add("rows", rows);
        json.addProperty("one_over_two", singleSeconds / cacheSeconds);
        json.addProperty("weights_max_abs_diff", weightDiff);
        Json.write(out, json);
        System.out.println("wrote " + out);
        return 0;
    }

    private record Measurement(ForwardPasses passes, int updates, double seconds, Map<String, FloatTensor> weights) {}

    private Measurement measure(List<TrainingExample> examples, ForwardPasses passes, int steps, Path log) throws Exception {
        TrainingSettings settings = new TrainingSettings(batchSize, chunkSize, passes, negatives, 1, steps, 2e-5f, 0.1f, 0.01f, 1f, 0.02f, 0f,
            seed);
        try (TrainableEncoder encoder = TrainableEncoder.open(model, Device.cpu(), queryMaxLength, passageMaxLength)) {
            encoder.towers().forEach(t -> t.freezeBottom(freezeLayers));
            long start = System.nanoTime();
            List<Float> losses = new DualEncoderTrainer(encoder, settings, new TrainingLog(log)).train(passes.jsonName() + " pass(es)", examples, 1,
                (e, s) -> { });
            double seconds = (System.nanoTime() - start) / 1e9;
            return new Measurement(passes, losses.size(), seconds, encoder.tower(TextRole.PASSAGE).trainedTensors());
        }
    }
}
