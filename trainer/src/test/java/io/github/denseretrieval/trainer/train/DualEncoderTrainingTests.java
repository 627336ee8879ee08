package io.github.denseretrieval.trainer.train;

import ai.djl.Device;
import com.google.gson.JsonObject;
import io.github.denseretrieval.encoder.EncoderOptions;
import io.github.denseretrieval.encoder.TextEncoder;
import io.github.denseretrieval.encoder.TextRole;
import io.github.denseretrieval.evaluation.beir.BeirDataset;
import io.github.denseretrieval.evaluation.beir.Passage;
import io.github.denseretrieval.trainer.data.TrainingData;
import io.github.denseretrieval.trainer.export.TrainedModelExport;
import io.github.denseretrieval.trainer.mining.Bm25Index;
import io.github.denseretrieval.trainer.mining.NegativeMiner;
import io.github.denseretrieval.trainer.model.BertTower;
import io.github.denseretrieval.trainer.model.TrainableEncoder;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static io.github.denseretrieval.trainer.VectorDiff.maxAbsDiff;

/**
 * The CI smoke test of training: a few updates of bge-small on a SciFact slice (BM25 hard
 * negatives, in-batch negatives, gradient cache) must lower the loss, and the exported ONNX and
 * SavedModel folders must give the trained model's vectors.
 */
class DualEncoderTrainingTests {

    static final Path MODELS = Path.of(System.getProperty("models.dir", "../analysis-encoder/target/models"));
    static final Path SCIFACT = Path.of(System.getProperty("beir.data.dir", "../../shared/data")).resolve("scifact");

    static final List<String> SHORT_TEXTS = List.of(
        "Vitamin D supplementation reduces the risk of fractures in elderly women.",
        "Aspirin use is associated with lower colorectal cancer incidence.",
        "A short one");

    @Test
    void fewUpdatesLowerTheLossAndExportedFoldersGiveTheTrainedVectors(@TempDir Path out) throws IOException {
        Path base = MODELS.resolve("bge-small-en-v1.5");
        Assumptions.assumeTrue(Files.isDirectory(SCIFACT), "SciFact not present at " + SCIFACT);
        BeirDataset dataset = BeirDataset.open(SCIFACT);
        Map<String, Passage> corpus = TrainingData.corpusById(dataset);
        List<TrainingExample> slice = TrainingData.fromBeir(dataset, "train", Set.of()).subList(0, 8);
        List<TrainingExample> examples;
        try (Bm25Index bm25 = Bm25Index.build(List.copyOf(corpus.values()))) {
            examples = new NegativeMiner(corpus, q -> bm25.search(q, 20)).mine(slice, 1);
        }
        assertTrue(examples.stream().allMatch(e -> e.negatives().size() == 1 && !e.positiveIds().contains(e.negatives().get(0).id())));

        // Batch 8 with chunks of 4: the gradient cache has to stitch two chunks per side.
        TrainingSettings settings = new TrainingSettings(8, 4, ForwardPasses.AUTO, 1, 5, 0, 5e-5f, 0f, 0.01f, 1f, 0.02f, 0.1f, 7);
        try (TrainableEncoder encoder = TrainableEncoder.open(base, Device.cpu(), 32, 64)) {
            encoder.tower(TextRole.PASSAGE).freezeBottom(8);
            List<Float> losses = new DualEncoderTrainer(encoder, settings, new TrainingLog(out.resolve("log")))
                .train("smoke", examples, 1, (epoch, step) -> { });
            System.out.println("smoke-test losses per update: " + losses);
            assertEquals(5, losses.size());
            assertTrue(losses.get(4) < losses.get(0), "loss did not fall: " + losses);
            assertTrue(Files.size(out.resolve("log/loss.png")) > 0);
            assertEquals(6, Files.readAllLines(out.resolve("log/steps.csv")).size());

            BertTower tower = encoder.tower(TextRole.PASSAGE);
            Path onnx = TrainedModelExport.write(base, tower.trainedWeights(), tower.trainedTensors(), out.resolve("model"),
                "smoke", new JsonObject(), true);
            float[][] trainedPassages = encoder.encode(SHORT_TEXTS, TextRole.PASSAGE, 2);
            float[][] trainedQueries = encoder.encode(SHORT_TEXTS, TextRole.QUERY, 2);
            for (Path folder : List.of(onnx, out.resolve("model").resolve(TrainedModelExport.TENSORFLOW_DIR))) {
                try (TextEncoder served = TextEncoder.open(folder, EncoderOptions.defaults().withBatchSize(2))) {
                    double diff = Math.max(maxAbsDiff(served.encodePassages(SHORT_TEXTS), trainedPassages),
                        maxAbsDiff(served.encodeQueries(SHORT_TEXTS), trainedQueries));
                    System.out.printf("exported %s vs trainer: max |diff| %.2e%n", served.engineDescription(), diff);
                    assertTrue(diff <= 1e-4, folder + ": " + diff);
                }
            }
            // The trained model is not the base model: the export did put new weights in.
            try (TextEncoder original = TextEncoder.open(base, EncoderOptions.defaults())) {
                assertTrue(maxAbsDiff(original.encodePassages(SHORT_TEXTS), trainedPassages) > 1e-3);
            }
        }
    }
}
