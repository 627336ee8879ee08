package io.github.denseretrieval.trainer.cli;

import com.google.gson.JsonObject;
import io.github.denseretrieval.encoder.TextEncoder;
import io.github.denseretrieval.evaluation.retrieval.ProgressEncoder;
import io.github.denseretrieval.evaluation.beir.BeirDataset;
import io.github.denseretrieval.evaluation.beir.Passage;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code trainer check-parity}: encodes the same passages with two model folders (e.g. the ONNX
 * original and its SavedModel export) and prints the largest absolute difference of any vector
 * component. Exits 1 when it exceeds {@code --tolerance}.
 */
@Command(name = "check-parity", mixinStandardHelpOptions = true,
    description = "Compare the vectors of two model folders on BEIR passages (max |diff|).")
final class CheckParityCommand implements Callable<Integer> {

    @Option(names = "--data", required = true, description = "BEIR dataset folder.")
    Path data;

    @Option(names = "--a", required = true, description = "First model folder.")
    Path a;

    @Option(names = "--b", required = true, description = "Second model folder.")
    Path b;

    @Option(names = "--passages", defaultValue = "1000", description = "How many corpus passages (default: ${DEFAULT-VALUE}).")
    int passages;

    @Option(names = "--tolerance", defaultValue = "1e-4", description = "Largest acceptable |diff| (default: ${DEFAULT-VALUE}).")
    double tolerance;

    @Option(names = "--out", description = "Write the figures as JSON to this file.")
    Path out;

    @Mixin
    ModelOptions modelOptions;

    @Override
    public Integer call() throws Exception {
        List<String> texts = BeirDataset.open(data).corpus().stream().limit(passages).map(Passage::titleAndText).toList();
        float[][] va;
        float[][] vb;
        String ea;
        String eb;
        try (TextEncoder encoderA = TextEncoder.open(a, modelOptions.toEncoderOptions())) {
            ea = encoderA.engineDescription();
            va = new ProgressEncoder(encoderA).encodePassages(texts);
        }
        try (TextEncoder encoderB = TextEncoder.open(b, modelOptions.toEncoderOptions())) {
            eb = encoderB.engineDescription();
            vb = new ProgressEncoder(encoderB).encodePassages(texts);
        }
        double max = 0;
        double minCosine = 1;
        for (int i = 0; i < va.length; i++) {
            double dot = 0;
            for (int d = 0; d < va[i].length; d++) {
                max = Math.max(max, Math.abs(va[i][d] - vb[i][d]));
                dot += va[i][d] * vb[i][d];
            }
            minCosine = Math.min(minCosine, dot);
        }
        System.out.printf(Locale.ROOT, "%d passages: %s vs %s: max |diff| = %.3g, min dot = %.6f (tolerance %.1g)%n",
            texts.size(), ea, eb, max, minCosine, tolerance);
        if (out != null) {
            JsonObject json = new JsonObject();
            json.addProperty("passages", texts.size());
            json.addProperty("a", ea);
            json.addProperty("b", eb);
            json.addProperty("max_abs_diff", max);
            json.addProperty("min_dot", minCosine);
            Json.write(out, json);
        }
        return max <= tolerance ? 0 : 1;
    }
}
