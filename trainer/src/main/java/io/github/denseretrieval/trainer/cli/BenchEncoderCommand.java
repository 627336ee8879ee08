package io.github.denseretrieval.trainer.cli;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import io.github.denseretrieval.encoder.EncoderOptions;
import io.github.denseretrieval.encoder.OnnxRuntimeSession;
import io.github.denseretrieval.encoder.TextEncoder;
import io.github.denseretrieval.encoder.TextRole;
import io.github.denseretrieval.encoder.TokenBatch;
import io.github.denseretrieval.evaluation.beir.BeirDataset;
import io.github.denseretrieval.evaluation.beir.Passage;
import io.github.denseretrieval.evaluation.bench.Percentiles;
import io.github.denseretrieval.evaluation.bench.RawOnnxRuntime;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code trainer bench-encoder}: passages/s at several batch sizes and single-question latency
 * for each model folder, next to a raw ONNX Runtime session on the same model, threads and
 * token batches (the ceiling). Prints a table and writes JSON.
 */
@Command(name = "bench-encoder", mixinStandardHelpOptions = true,
    description = "Benchmark the encoder library against a raw ONNX Runtime session.")
final class BenchEncoderCommand implements Callable<Integer> {

    @Option(names = "--data", required = true, description = "BEIR dataset folder (its passages and questions are the inputs).")
    Path data;

    @Option(names = "--model", required = true, split = ",", description = "Model folder(s), comma-separated.")
    List<Path> models;

    @Option(names = "--passages", defaultValue = "256", description = "Passages per measurement (default: ${DEFAULT-VALUE}).")
    int passages;

    @Option(names = "--queries", defaultValue = "200", description = "Questions for the latency figures (default: ${DEFAULT-VALUE}).")
    int queries;

    @Option(names = "--batch-sizes", defaultValue = "1,8,32", split = ",", description = "Batch sizes (default: ${DEFAULT-VALUE}).")
    List<Integer> batchSizes;

    @Option(names = "--out", defaultValue = "target/bench/encoder.json", description = "JSON result file (default: ${DEFAULT-VALUE}).")
    Path out;

    @Mixin
    ModelOptions modelOptions;

    @Override
    public Integer call() throws Exception {
        BeirDataset dataset = BeirDataset.open(data);
        List<String> texts = dataset.corpus().stream().limit(passages).map(Passage::titleAndText).toList();
        List<String> questions = dataset.queries().values().stream().limit(queries).toList();
        JsonArray rows = new JsonArray();
        System.out.printf(Locale.ROOT, "%-22s %-26s %5s %12s %12s %7s %9s %9s %9s%n", "model", "engine", "batch",
            "lib psg/s", "rawORT psg/s", "lib/raw", "q p50 ms", "q p99 ms", "raw p50");
        for (Path model : models) {
            for (int batchSize : batchSizes) {
                EncoderOptions options = modelOptions.toEncoderOptions().withBatchSize(batchSize);
                try (TextEncoder encoder = TextEncoder.open(model, options)) {
                    rows.add(measure(encoder, texts, questions, batchSize));
                }
            }
        }
        JsonObject json = new JsonObject();
        json.addProperty("passages", texts.size());
        json.addProperty("queries", questions.size());
        json.addProperty("cores", Runtime.getRuntime().availableProcessors());
        json.add("rows", rows);
        Json.write(out, json);
        System.out.println("wrote " + out);
        return 0;
    }

    private JsonObject measure(TextEncoder encoder, List<String> texts, List<String> questions, int batchSize) throws Exception {
        // Warm-up: first runs allocate arenas and pick kernels.
        encoder.encodePassages(texts.subList(0, Math.min(texts.size(), 2 * batchSize)));
        long start = System.nanoTime();
        encoder.encodePassages(texts);
        double libRate = texts.size() / ((System.nanoTime() - start) / 1e9);

        double[] latencies = new double[questions.size()];
        for (int i = 0; i < questions.size(); i++) {
            long t = System.nanoTime();
            encoder.encodeQuery(questions.get(i));
            latencies[i] = (System.nanoTime() - t) / 1e6;
        }
        Percentiles query = new Percentiles(latencies);

        Double rawRate = null;
        Double rawP50 = null;
        if (encoder.session() instanceof OnnxRuntimeSession ort) {
            RawOnnxRuntime raw = new RawOnnxRuntime(ort.ortSession());
            List<TokenBatch> batches = encoder.tokenize(texts, TextRole.PASSAGE);
            raw.run(batches.get(0));
            long rawStart = System.nanoTime();
            for (TokenBatch b : batches) {
                raw.run(b);
            }
            rawRate = texts.size() / ((System.nanoTime() - rawStart) / 1e9);
            double[] rawLatencies = new double[questions.size()];
            List<TokenBatch> single = new ArrayList<>();
            for (String q : questions) {
                single.add(encoder.tokenize(List.of(q), TextRole.QUERY).get(0));
            }
            for (int i = 0; i < single.size(); i++) {
                long t = System.nanoTime();
                raw.run(single.get(i));
                rawLatencies[i] = (System.nanoTime() - t) / 1e6;
            }
            rawP50 = new Percentiles(rawLatencies).at(50);
        }
        System.out.printf(Locale.ROOT, "%-22s %-26s %5d %12.1f %12s %7s %9.1f %9.1f %9s%n", encoder.manifest().name(),
            encoder.engineDescription(), batchSize, libRate,
            rawRate == null ? "n/a" : String.format(Locale.ROOT, "%.1f", rawRate),
            rawRate == null ? "n/a" : String.format(Locale.ROOT, "%.1f%%", 100 * libRate / rawRate),
            query.at(50), query.at(99), rawP50 == null ? "n/a" : String.format(Locale.ROOT, "%.1f", rawP50));
        JsonObject row = new JsonObject();
        row.addProperty("model", encoder.manifest().name());
        row.addProperty("engine", encoder.engineDescription());
        row.addProperty("batch_size", batchSize);
        row.addProperty("library_passages_per_s", libRate);
        if (rawRate != null) {
            row.addProperty("raw_onnxruntime_passages_per_s", rawRate);
            row.addProperty("library_over_raw", libRate / rawRate);
            row.addProperty("raw_query_p50_ms", rawP50);
        }
        row.addProperty("query_p50_ms", query.at(50));
        row.addProperty("query_p99_ms", query.at(99));
        return row;
    }
}
