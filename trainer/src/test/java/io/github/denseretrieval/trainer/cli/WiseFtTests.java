package io.github.denseretrieval.trainer.cli;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.github.denseretrieval.encoder.ModelManifest;
import io.github.denseretrieval.trainer.export.OnnxModelFile;
import io.github.denseretrieval.trainer.export.OnnxModelFile.FloatTensor;
import io.github.denseretrieval.trainer.export.WeightInterpolation;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code --wise-ft} on a SciFact slice: the candidates' dev figures are those of the models they
 * claim to be (weight 0 the base model's dev check before training, weight 1 the trained model's
 * after it), the dev split picks the weight, and the kept model holds exactly those weights.
 */
class WiseFtTests {

    @Test
    void theDevSplitChoosesTheWeightAndTheModelHoldsIt(@TempDir Path out) throws IOException {
        Assumptions.assumeTrue(Files.isDirectory(TrainCommandTests.SCIFACT), "SciFact not present at " + TrainCommandTests.SCIFACT);
        Path run = out.resolve("run");
        // A high learning rate moves the two trainable layers far enough for the candidates to differ.
        assertEquals(0, TrainerCli.run(args(run, "--wise-ft", "0,0.5,1", "--dev-questions", "20")));

        JsonArray stages = JsonParser.parseString(Files.readString(run.resolve("results.json"), StandardCharsets.UTF_8)).getAsJsonObject()
            .getAsJsonArray("stages");
        assertEquals(2, stages.size());
        assertEquals("dpr-wise-ft", stages.get(1).getAsJsonObject().get("stage").getAsString());

        List<String> dev = Files.readAllLines(run.resolve("dev.csv"));
        List<String[]> candidates = Files.readAllLines(run.resolve("wise-ft.csv")).stream().skip(1).map(l -> l.split(",")).toList();
        assertEquals(3, candidates.size());
        assertEquals(dev.get(1).split(",")[3], candidates.get(0)[2], "weight 0 is the base model: " + dev + " vs " + candidates.get(0)[2]);
        assertEquals(dev.get(2).split(",")[3], candidates.get(2)[2], "weight 1 is the trained model: " + dev + " vs " + candidates.get(2)[2]);

        float chosen = Float.NaN;
        double best = -1;
        for (String[] c : candidates) {
            double ndcg = Double.parseDouble(c[2]);
            if (ndcg >= best) {
                best = ndcg;
                chosen = Float.parseFloat(c[1]);
            }
        }
        JsonObject result = JsonParser.parseString(Files.readString(run.resolve("dpr-wise-ft/result.json"), StandardCharsets.UTF_8))
            .getAsJsonObject();
        assertTrue(result.get("wise_ft").getAsString().startsWith(String.format(Locale.ROOT, "weight %.2f of dpr chosen on dev", chosen)),
            result.toString());

        Path kept = run.resolve("dpr-wise-ft/onnx");
        ModelManifest manifest = ModelManifest.read(kept);
        assertEquals(chosen, manifest.provenance().get("wise_ft_alpha").getAsFloat(), 0f);
        Map<String, FloatTensor> base = OnnxModelFile.read(TrainCommandTests.MODEL.resolve(manifest.weights())).floatTensors();
        Map<String, FloatTensor> trained = OnnxModelFile.read(run.resolve("dpr/onnx").resolve(manifest.weights())).floatTensors();
        Map<String, FloatTensor> written = OnnxModelFile.read(kept.resolve(manifest.weights())).floatTensors();
        Map<String, FloatTensor> expected = WeightInterpolation.between(base, trained, chosen);
        assertFalse(expected.isEmpty(), "training changed no tensor");
        Map<String, FloatTensor> writtenChanged = new java.util.LinkedHashMap<>();
        expected.keySet().forEach(k -> writtenChanged.put(k, written.get(k)));
        assertEquals(0.0, FloatTensor.maxAbsDifference(expected, writtenChanged));
        try (var left = Files.list(run.resolve("dpr-wise-ft"))) {
            assertEquals(List.of(), left.map(p -> p.getFileName().toString()).filter(n -> n.startsWith("alpha-")).toList(),
                "candidate folders are removed");
        }
    }

    @Test
    void withoutADevSplitItRefusesBeforeTraining(@TempDir Path out) {
        Assumptions.assumeTrue(Files.isDirectory(TrainCommandTests.SCIFACT), "SciFact not present at " + TrainCommandTests.SCIFACT);
        Path run = out.resolve("run");
        assertEquals(1, TrainerCli.run(args(run, "--wise-ft", "0.5", "--dev-fraction", "0")));
        assertFalse(Files.exists(run.resolve("dpr")), "nothing was trained");
        assertEquals(1, TrainerCli.run(args(run, "--wise-ft", "0.5,2")));
    }

    private static String[] args(Path run, String... more) {
        List<String> out = new ArrayList<>(List.of("train", "--recipe", "dpr", "--data", TrainCommandTests.SCIFACT.toString(), "--model",
            TrainCommandTests.MODEL.toString(), "--out", run.toString(), "--device", "cpu", "--max-train-examples", "8", "--batch-size", "4",
            "--epochs", "1", "--max-passages", "400", "--query-max-length", "16", "--passage-max-length", "32",
            "--freeze-layers", "10", "--lr", "1e-3", "--no-tensorflow"));
        out.addAll(List.of(more));
        return out.toArray(String[]::new);
    }
}
