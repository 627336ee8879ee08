package io.github.denseretrieval.trainer.train;

import io.github.denseretrieval.encoder.TextRole;
import io.github.denseretrieval.trainer.export.OnnxModelFile.FloatTensor;
import io.github.denseretrieval.trainer.model.TorchRuntime;
import io.github.denseretrieval.trainer.model.TrainableEncoder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The single forward pass is the gradient cache without its extra pass: for the same batch it
 * must give the loss, the parameter gradients and, after AdamW updates, the weights that the
 * cache's two passes in chunks give.
 */
class GradientCacheTests {



    @Test
    void onePassGivesTheLossAndGradientsOfTheCachesTwoPasses() throws IOException {
        ContrastiveBatch batch = ContrastiveBatch.of(SixClaims.examples(), 1);
        // PAIR's loss (alpha 0.1) involves both sides of the batch in both terms.
        ContrastiveLoss loss = new ContrastiveLoss(0.1f, 0.05f);
        try (TrainableEncoder cached = TwoTrainableLayers.open(); TrainableEncoder direct = TwoTrainableLayers.open()) {
            // Six questions and twelve passages in chunks of two: the cache stitches three and six chunks.
            GradientCache twoPasses = new GradientCache(Replicas.of(cached), TorchRuntime.engine(), 2, ForwardPasses.TWO);
            GradientCache onePass = new GradientCache(Replicas.of(direct), TorchRuntime.engine(), 2, ForwardPasses.ONE);
            assertFalse(twoPasses.isSinglePass(batch));
            assertTrue(onePass.isSinglePass(batch));
            assertTrue(new GradientCache(Replicas.of(cached), TorchRuntime.engine(), 12, ForwardPasses.AUTO).isSinglePass(batch),
                "a batch within one chunk takes one pass without being told");
            assertFalse(new GradientCache(Replicas.of(cached), TorchRuntime.engine(), 11, ForwardPasses.AUTO).isSinglePass(batch),
                "twelve passages do not fit a chunk of eleven");
            assertFalse(new GradientCache(Replicas.of(cached), TorchRuntime.engine(), 12, ForwardPasses.TWO).isSinglePass(batch));

            float slow = twoPasses.backward(batch, loss);
            float fast = onePass.backward(batch, loss);
            assertEquals(slow, fast, 1e-5, "batch loss");
            List<float[]> a = TwoTrainableLayers.gradients(cached);
            List<float[]> b = TwoTrainableLayers.gradients(direct);
            assertEquals(a.size(), b.size());
            double maxDiff = 0;
            double maxAbs = 0;
            for (int i = 0; i < a.size(); i++) {
                for (int j = 0; j < a.get(i).length; j++) {
                    maxDiff = Math.max(maxDiff, Math.abs(a.get(i)[j] - b.get(i)[j]));
                    maxAbs = Math.max(maxAbs, Math.abs(a.get(i)[j]));
                }
            }
            System.out.printf("loss %.6f vs %.6f; gradients: max |diff| %.2e, max |gradient| %.2e%n", slow, fast, maxDiff, maxAbs);
            assertTrue(maxAbs > 1e-3, "the batch gave no gradient to compare: " + maxAbs);
            assertTrue(maxDiff <= 1e-4, "one pass and two passes differ: " + maxDiff);
        }
    }

    @Test
    void onePassTrainsTheWeightsTheCacheTrains(@TempDir Path out) throws IOException {
        List<TrainingExample> examples = new ArrayList<>(SixClaims.examples());
        examples.addAll(SixClaims.examples());
        // Twelve examples in batches of six: two AdamW updates with clipping. A weight whose gradient is float noise
        // around 0 moves by about +-lr either way in AdamW, so lr 2e-5 keeps such noise below 2 x 2 x 2e-5 = 8e-5.
        Map<String, FloatTensor> twoPasses = train(out.resolve("cache"), examples, ForwardPasses.TWO);
        Map<String, FloatTensor> onePass = train(out.resolve("direct"), examples, ForwardPasses.ONE);
        double diff = maxDiff(twoPasses, onePass);
        System.out.printf("weights after two updates, one pass vs gradient cache: max |diff| %.2e%n", diff);
        assertTrue(diff <= 1e-4, "one pass trained other weights: " + diff);
        try (TrainableEncoder untouched = TwoTrainableLayers.open()) {
            assertTrue(maxDiff(untouched.tower(TextRole.PASSAGE).trainedTensors(), onePass) > 1e-5, "training changed no weight");
        }
    }

    private static Map<String, FloatTensor> train(Path log, List<TrainingExample> examples, ForwardPasses passes) throws IOException {
        TrainingSettings settings = new TrainingSettings(6, 2, passes, 1, 1, 0, 2e-5f, 0f, 0.01f, 1f, 0.05f, 0f, 3);
        try (TrainableEncoder encoder = TwoTrainableLayers.open()) {
            List<Float> losses = new DualEncoderTrainer(encoder, settings, new TrainingLog(log)).train("stage", examples, 1, (e, s) -> { });
            assertEquals(2, losses.size());
            return encoder.tower(TextRole.PASSAGE).trainedTensors();
        }
    }

    private static double maxDiff(Map<String, FloatTensor> a, Map<String, FloatTensor> b) {
        assertEquals(a.keySet(), b.keySet());
        return FloatTensor.maxAbsDifference(a, b);
    }
}
