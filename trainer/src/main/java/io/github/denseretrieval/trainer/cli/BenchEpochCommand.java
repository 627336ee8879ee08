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
import io.github.denseretrieval.trainer.model.FrozenLayerCache;
import io.github.denseretrieval.trainer.model.TrainableEncoder;
import io.github.denseretrieval.trainer.recipe.DevSet;
import io.github.denseretrieval.trainer.train.DualEncoderTrainer;
import io.github.denseretrieval.trainer.train.ForwardPasses;
import io.github.denseretrieval.trainer.train.FrozenCache;
import io.github.denseretrieval.trainer.train.Replicas;
import io.github.denseretrieval.trainer.train.TrainingExample;
import io.github.denseretrieval.trainer.train.TrainingLog;
import io.github.denseretrieval.trainer.train.TrainingSettings;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Callable;

/**
 * {@code trainer bench-epoch}: the wall time of dual-encoder training epochs along two paths, from
 * the same model on the same data in the same process, interleaved. By default the old path is
 * the one before issue 18 (the gradient cache's two passes, every text through the embeddings and
 * frozen layers at every update) and the new one is one forward pass with the frozen-layer cache
 * ({@link ForwardPasses}, {@link FrozenCache}). The data is what a {@code train} stage would see:
 * the split minus the dev hold-out, with BM25 hard negatives.
 *
 * <p>The cache starts empty in every measurement, so its fill is paid inside the measured time:
 * the first epoch runs each text's frozen layers once (as one pass without the cache would) and
 * later epochs run only the trainable layers. Hence {@code --epochs} (default 2) and a time per
 * epoch. With {@code --prefill} the new path first runs the frozen layers over the examples'
 * distinct passages (what a run's dev check over the corpus does anyway); that fill is timed,
 * printed, and counted in the path's total. Prints each measurement, the ratios, how far the
 * trained weights and the trained models' vectors are apart, and writes JSON. Nothing is exported.
 */
@Command(name = "bench-epoch", mixinStandardHelpOptions = true,
    description = "Time training epochs along an old and a new path (default: two passes without the frozen-layer cache, one pass with it).")
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

    @Option(names = "--old", defaultValue = "two:off", description = {"The old path as FORWARD-PASSES:FROZEN-CACHE (default: ${DEFAULT-VALUE},",
        "training before issue 18)."})
    String oldPath;

    @Option(names = "--new", defaultValue = "one:on", description = "The new path, likewise (default: ${DEFAULT-VALUE}).")
    String newPath;

    @Option(names = "--epochs", defaultValue = "2", description = {"Epochs per measurement (default: ${DEFAULT-VALUE}): the first fills the",
        "frozen-layer cache, later ones reuse it; each epoch is timed."})
    int epochs;

    @Option(names = "--max-steps", defaultValue = "0", description = {"Updates per epoch (0 = all the examples): every epoch trains on the same",
        "seeded sample of N x batch-size examples, so later epochs revisit the first one's texts as a whole run's do."})
    int maxSteps;

    @Option(names = "--prefill", description = {"Fill the new path's frozen-layer cache from the examples' distinct passages before its epochs",
        "(timed and counted in its total), as a run's dev check over the corpus would."})
    boolean prefill;

    @Option(names = "--repeats", defaultValue = "1", description = {"Measurements of each path (default: ${DEFAULT-VALUE}); with 2 or more",
        "the order alternates (old, new, new, old, ...), so that a load change on a shared machine falls on both."})
    int repeats;

    @Option(names = "--seed", defaultValue = "42", description = "Seed (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--out", defaultValue = "target/bench/epoch.json", description = "JSON result file (default: ${DEFAULT-VALUE}).")
    Path out;

    /** Texts whose vectors the trained models are compared on. */
    private static final int PROBE_TEXTS = 32;

    /** A way to train: forward passes per batch and whether the frozen-layer cache is used. */
    record TrainingPath(ForwardPasses passes, FrozenCache cache) {

        static TrainingPath parse(String spec) {
            String[] parts = spec.split(":", -1);
            if (parts.length != 2) {
                throw new IllegalArgumentException("a path is FORWARD-PASSES:FROZEN-CACHE, e.g. two:off or one:on; got [" + spec + "]");
            }
            return new TrainingPath(ForwardPasses.fromName(parts[0]), FrozenCache.fromName(parts[1]));
        }

        String jsonName() {
            return passes.jsonName() + ":" + cache.jsonName();
        }
    }

    @Override
    public Integer call() throws Exception {
        TrainingPath oldOne = TrainingPath.parse(oldPath);
        TrainingPath newOne = TrainingPath.parse(newPath);
        if (epochs < 1 || repeats < 1) {
            throw new IllegalArgumentException("--epochs and --repeats must be >= 1");
        }
        BeirDataset dataset = BeirDataset.open(data);
        Map<String, Passage> corpus = TrainingData.corpusById(dataset);
        List<TrainingExample> examples;
        try (Bm25Index bm25 = Bm25Index.build(List.copyOf(corpus.values()))) {
            Qrels qrels = dataset.qrels(split);
            DevSet dev = DevSet.holdOut(qrels, dataset.queriesOf(qrels), corpus, bm25, 0, devFraction, 1, seed);
            examples = new NegativeMiner(corpus, q -> bm25.search(q, 30)).mine(TrainingData.fromBeir(dataset, split, dev.questionIds()), negatives);
        }
        if (maxSteps > 0 && maxSteps * batchSize < examples.size()) {
            List<TrainingExample> sample = new ArrayList<>(examples);
            Collections.shuffle(sample, new Random(seed));
            examples = List.copyOf(sample.subList(0, maxSteps * batchSize));
        }
        List<String> probe = probeTexts(examples);
        Path logs = out.toAbsolutePath().resolveSibling(out.getFileName() + "-logs");
        // A few updates first, thrown away: the first passes allocate memory and pick kernels, which would count against whichever path ran first.
        measure(examples, oldOne, false, 1, 2, probe, logs.resolve("warm-up"));
        List<Measurement> measurements = new ArrayList<>();
        for (int r = 0; r < repeats; r++) {
            List<TrainingPath> order = r % 2 == 0 ? List.of(oldOne, newOne) : List.of(newOne, oldOne);
            for (TrainingPath path : order) {
                boolean fill = prefill && path == newOne;
                measurements.add(measure(examples, path, fill, epochs, 0, probe, logs.resolve(path.jsonName().replace(':', '-') + "-" + (r + 1))));
            }
        }
        List<Measurement> olds = measurements.stream().filter(m -> m.path() == oldOne).toList();
        List<Measurement> news = measurements.stream().filter(m -> m.path() == newOne).toList();
        double oldSeconds = olds.stream().mapToDouble(Measurement::seconds).sum();
        double newSeconds = news.stream().mapToDouble(Measurement::seconds).sum();
        double weightDiff = FloatTensor.maxAbsDifference(olds.get(0).weights(), news.get(0).weights());
        double vectorDiff = maxAbsDifference(olds.get(0).probeVectors(), news.get(0).probeVectors());

        System.out.printf(Locale.ROOT, "%d examples, %d updates per epoch of %d questions%n", examples.size(), olds.get(0).updates() / epochs,
            batchSize);
        System.out.printf(Locale.ROOT, "%-10s %4s %8s %9s %10s %10s  %s%n", "path", "run", "updates", "fill s", "total s", "s/update",
            "seconds per epoch");
        for (int i = 0; i < measurements.size(); i++) {
            Measurement m = measurements.get(i);
            System.out.printf(Locale.ROOT, "%-10s %4d %8d %9.1f %10.1f %10.2f  %s%n", m.path().jsonName(), i + 1, m.updates(), m.fillSeconds(),
                m.seconds(), m.seconds() / m.updates(), m.epochSeconds().stream().map(s -> String.format(Locale.ROOT, "%.1f", s)).toList());
            if (m.cache() != null) {
                System.out.printf(Locale.ROOT, "%16s frozen-layer cache: %d texts, %.0f MB; %d texts from it, %d through the frozen layers, %d not kept%n",
                    "", m.cache().texts(), m.cache().megabytes(), m.cache().hits(), m.cache().misses(), m.cache().notKept());
            }
        }
        System.out.printf(Locale.ROOT, "new (%s) / old (%s), whole measurements%s: %.3f of the time (%.2fx faster)%n", newOne.jsonName(),
            oldOne.jsonName(), prefill ? " with the fill" : "", newSeconds / oldSeconds, oldSeconds / newSeconds);
        JsonArray perEpochRatios = new JsonArray();
        for (int e = 0; e < epochs; e++) {
            int epoch = e;
            double o = olds.stream().mapToDouble(m -> m.epochSeconds().get(epoch)).sum();
            double n = news.stream().mapToDouble(m -> m.epochSeconds().get(epoch)).sum();
            perEpochRatios.add(n / o);
            System.out.printf(Locale.ROOT, "  epoch %d alone: %.3f of the time (%.2fx faster)%n", e + 1, n / o, o / n);
        }
        System.out.printf(Locale.ROOT, "trained weights max |diff| %.2e; vectors of %d texts max |diff| %.2e%n", weightDiff, probe.size(), vectorDiff);

        JsonObject json = new JsonObject();
        json.addProperty("model", model.toString());
        json.addProperty("examples", examples.size());
        json.addProperty("batch_size", batchSize);
        json.addProperty("chunk_size", chunkSize);
        json.addProperty("negatives", negatives);
        json.addProperty("freeze_layers", freezeLayers);
        json.addProperty("query_max_length", queryMaxLength);
        json.addProperty("passage_max_length", passageMaxLength);
        json.addProperty("epochs", epochs);
        json.addProperty("old_path", oldOne.jsonName());
        json.addProperty("new_path", newOne.jsonName());
        json.addProperty("prefill", prefill);
        json.addProperty("cores", Runtime.getRuntime().availableProcessors());
        JsonArray rows = new JsonArray();
        for (Measurement m : measurements) {
            JsonObject row = new JsonObject();
            row.addProperty("path", m.path().jsonName());
            row.addProperty("updates", m.updates());
            row.addProperty("fill_seconds", m.fillSeconds());
            row.addProperty("seconds", m.seconds());
            JsonArray perEpoch = new JsonArray();
            m.epochSeconds().forEach(perEpoch::add);
            row.add("epoch_seconds", perEpoch);
            if (m.cache() != null) {
                row.addProperty("cache_texts", m.cache().texts());
                row.addProperty("cache_bytes", m.cache().bytes());
                row.addProperty("cache_hits", m.cache().hits());
                row.addProperty("cache_misses", m.cache().misses());
            }
            rows.add(row);
        }
        json.add("rows", rows);
        json.addProperty("new_over_old", newSeconds / oldSeconds);
        json.add("new_over_old_per_epoch", perEpochRatios);
        json.addProperty("weights_max_abs_diff", weightDiff);
        json.addProperty("vectors_max_abs_diff", vectorDiff);
        Json.write(out, json);
        System.out.println("wrote " + out);
        return 0;
    }

    /**
     * One measurement. {@code seconds} is the whole of it, the fill included; {@code epochSeconds}
     * the epochs alone; {@code cache} what the frozen-layer cache held at the end (null without one).
     */
    private record Measurement(TrainingPath path, int updates, double fillSeconds, double seconds, List<Double> epochSeconds,
                               FrozenLayerCache.Stats cache, Map<String, FloatTensor> weights, float[][] probeVectors) {}

    private Measurement measure(List<TrainingExample> examples, TrainingPath path, boolean fill, int epochCount, int steps, List<String> probe,
                                Path log) throws Exception {
        TrainingSettings settings = new TrainingSettings(batchSize, chunkSize, path.passes(), path.cache(), TrainingSettings.DEFAULT_FROZEN_CACHE_BYTES,
            negatives, epochCount, steps, 2e-5f, 0.1f, 0.01f, 1f, 0.02f, 0f, seed);
        try (TrainableEncoder encoder = TrainableEncoder.open(model, Device.cpu(), queryMaxLength, passageMaxLength)) {
            encoder.towers().forEach(t -> t.freezeBottom(freezeLayers));
            long start = System.nanoTime();
            FrozenLayerCache cache = null;
            if (fill && path.cache().enabled(freezeLayers)) {
                cache = new FrozenLayerCache(settings.frozenCacheBytes());
                cache.validate(encoder);
                encoder.keepFrozenStates(distinctPassages(examples), TextRole.PASSAGE, 16, cache);
            }
            double fillSeconds = (System.nanoTime() - start) / 1e9;
            List<Long> epochEnds = new ArrayList<>();
            epochEnds.add(System.nanoTime());
            DualEncoderTrainer trainer = new DualEncoderTrainer(Replicas.of(encoder), settings, new TrainingLog(log), cache);
            List<Float> losses = trainer.train(path.jsonName(), examples, 1, (e, s) -> epochEnds.add(System.nanoTime()));
            double seconds = (System.nanoTime() - start) / 1e9;
            List<Double> epochSeconds = new ArrayList<>();
            for (int e = 1; e < epochEnds.size(); e++) {
                epochSeconds.add((epochEnds.get(e) - epochEnds.get(e - 1)) / 1e9);
            }
            FrozenLayerCache used = trainer.frozenCache();
            return new Measurement(path, losses.size(), fillSeconds, seconds, epochSeconds, used == null ? null : used.stats(),
                encoder.tower(TextRole.PASSAGE).trainedTensors(), encoder.encode(probe, TextRole.PASSAGE, 16));
        }
    }

    /** The texts of every passage the examples use (positives and negatives), each once. */
    private static List<String> distinctPassages(List<TrainingExample> examples) {
        Map<String, String> byId = new LinkedHashMap<>();
        for (TrainingExample e : examples) {
            byId.putIfAbsent(e.positive().id(), e.positive().titleAndText());
            e.negatives().forEach(n -> byId.putIfAbsent(n.id(), n.titleAndText()));
        }
        return List.copyOf(byId.values());
    }

    /** The first few training passages: what the trained models' vectors are compared on. */
    private static List<String> probeTexts(List<TrainingExample> examples) {
        List<String> passages = distinctPassages(examples);
        return passages.subList(0, Math.min(PROBE_TEXTS, passages.size()));
    }

    private static double maxAbsDifference(float[][] a, float[][] b) {
        double max = 0;
        for (int i = 0; i < a.length; i++) {
            for (int j = 0; j < a[i].length; j++) {
                max = Math.max(max, Math.abs(a[i][j] - b[i][j]));
            }
        }
        return max;
    }
}
