package io.github.denseretrieval.trainer.train;

import io.github.denseretrieval.encoder.TextRole;
import io.github.denseretrieval.trainer.export.OnnxModelFile.FloatTensor;
import io.github.denseretrieval.trainer.model.FrozenLayerCache;
import io.github.denseretrieval.trainer.model.TorchRuntime;
import io.github.denseretrieval.trainer.model.TrainableEncoder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Training through the frozen-layer cache is training without it: the same batch loss and
 * parameter gradients, through one pass or the gradient cache's two, and the same weights after
 * updates; the old path (two passes, no cache) against the new one (one pass, cache).
 */
class FrozenCacheTrainingTests {

    private static final long MB = 1 << 20;

    @Test
    void theCacheGivesTheLossAndGradientsOfTheFullPass() throws IOException {
        ContrastiveBatch batch = ContrastiveBatch.of(SixClaims.examples(), 1);
        ContrastiveLoss loss = new ContrastiveLoss(0.1f, 0.05f);
        try (TrainableEncoder plain = TwoTrainableLayers.open(); TrainableEncoder warm = TwoTrainableLayers.open(); TrainableEncoder cold = TwoTrainableLayers.open()) {
            float expected = new GradientCache(Replicas.of(plain), TorchRuntime.engine(), 4, ForwardPasses.ONE).backward(batch, loss);

            // One pass from a cache that already holds every text of the batch: only the trainable layers run.
            FrozenLayerCache warmCache = new FrozenLayerCache(64 * MB);
            warmCache.validate(warm);
            warm.encode(batch.queries(), TextRole.QUERY, 4, warmCache);
            warm.encode(batch.passages(), TextRole.PASSAGE, 4, warmCache);
            float fromWarm = new GradientCache(Replicas.of(warm), TorchRuntime.engine(), 4, ForwardPasses.ONE, warmCache).backward(batch, loss);
            assertEquals(batch.queries().size() + batch.passages().size(), warmCache.stats().hits());

            // The gradient cache's two passes in chunks of four from an empty cache: the first pass fills it, the second reads it.
            FrozenLayerCache coldCache = new FrozenLayerCache(64 * MB);
            coldCache.validate(cold);
            float fromCold = new GradientCache(Replicas.of(cold), TorchRuntime.engine(), 4, ForwardPasses.TWO, coldCache).backward(batch, loss);
            assertEquals(coldCache.stats().misses(), coldCache.stats().hits(), "the second pass ran the frozen layers again");

            assertEquals(expected, fromWarm, 1e-5, "one-pass loss");
            assertEquals(expected, fromCold, 1e-5, "two-pass loss");
            List<float[]> reference = TwoTrainableLayers.gradients(plain);
            double diff = Math.max(maxDiff(reference, TwoTrainableLayers.gradients(warm)), maxDiff(reference, TwoTrainableLayers.gradients(cold)));
            System.out.printf("loss %.6f, %.6f (warm cache), %.6f (cold cache, two passes); gradients max |diff| %.2e%n", expected, fromWarm,
                fromCold, diff);
            assertTrue(diff <= 1e-4, "gradients through the cache differ: " + diff);
        }
    }

    @Test
    void theNewPathTrainsTheWeightsOfTheOldPath(@TempDir Path out) throws IOException {
        List<TrainingExample> examples = SixClaims.examples();
        // Two epochs of one update of six questions: the second epoch takes every text from the cache.
        // lr 2e-5 keeps AdamW's sign noise on near-zero gradients under 1e-4 (see GradientCacheTests).
        Map<String, FloatTensor> old = train(out.resolve("old"), examples, ForwardPasses.TWO, FrozenCache.OFF, null);
        FrozenLayerCache.Stats[] stats = new FrozenLayerCache.Stats[1];
        Map<String, FloatTensor> cached = train(out.resolve("new"), examples, ForwardPasses.ONE, FrozenCache.AUTO, stats);
        double diff = FloatTensor.maxAbsDifference(old, cached);
        System.out.printf("weights after two updates, one pass + frozen cache vs two passes without: max |diff| %.2e; cache %s%n", diff, stats[0]);
        assertTrue(diff <= 1e-4, "the cache trained other weights: " + diff);
        int texts = 6 + 12;
        assertEquals(new FrozenLayerCache.Stats(texts, stats[0].bytes(), texts, texts, 0), stats[0], "the second epoch ran the frozen layers again");
    }

    private static Map<String, FloatTensor> train(Path log, List<TrainingExample> examples, ForwardPasses passes, FrozenCache frozenCache,
                                                  FrozenLayerCache.Stats[] stats) throws IOException {
        TrainingSettings settings = new TrainingSettings(6, 4, passes, frozenCache, 64 * MB, 1, 2, 0, 2e-5f, 0f, 0.01f, 1f, 0.05f, 0f, 3);
        try (TrainableEncoder encoder = TwoTrainableLayers.open()) {
            DualEncoderTrainer trainer = new DualEncoderTrainer(encoder, settings, new TrainingLog(log));
            assertEquals(2, trainer.train("stage", examples, 1, (e, s) -> { }).size());
            if (stats == null) {
                assertNull(trainer.frozenCache(), "--frozen-cache off kept states");
            } else {
                stats[0] = trainer.frozenCache().stats();
            }
            return encoder.tower(TextRole.PASSAGE).trainedTensors();
        }
    }

    private static double maxDiff(List<float[]> a, List<float[]> b) {
        assertEquals(a.size(), b.size());
        double max = 0;
        for (int i = 0; i < a.size(); i++) {
            for (int j = 0; j < a.get(i).length; j++) {
                max = Math.max(max, Math.abs(a.get(i)[j] - b.get(i)[j]));
            }
        }
        return max;
    }
}
