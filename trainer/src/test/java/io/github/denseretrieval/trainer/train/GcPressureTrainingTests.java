package io.github.denseretrieval.trainer.train;

import io.github.denseretrieval.trainer.model.TrainableEncoder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Garbage collections between the forward and the backward pass must not touch the gradients
 * ({@link io.github.denseretrieval.trainer.model.GraphScalar}): with a thread collecting every
 * few milliseconds, DJL's scalar overloads used to give most updates a non-finite gradient (19 of
 * 20 skipped without the frozen-layer cache, each of the first 10 with it); every update must now
 * apply.
 */
class GcPressureTrainingTests {

    @Test
    void collectionsDuringTrainingLeaveEveryGradientFinite(@TempDir Path out) throws IOException, InterruptedException {
        Thread collector = new Thread(() -> {
            while (!Thread.currentThread().isInterrupted()) {
                System.gc();
                try {
                    Thread.sleep(2);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }, "gc-pressure");
        collector.setDaemon(true);
        collector.start();
        // Two epochs of one update of six questions, one pass with the frozen-layer cache (the default path at the budget settings).
        TrainingSettings settings = new TrainingSettings(6, 32, ForwardPasses.ONE, FrozenCache.AUTO, 64L << 20, 1, 3, 0, 2e-5f, 0f, 0.01f, 1f, 0.05f, 0f, 3);
        try (TrainableEncoder encoder = TwoTrainableLayers.open()) {
            DualEncoderTrainer trainer = new DualEncoderTrainer(encoder, settings, new TrainingLog(out));
            List<Float> losses = trainer.train("gc", SixClaims.examples(), 1, (e, s) -> { });
            assertEquals(3, losses.size());
            assertEquals(0, trainer.skippedUpdates(), "updates skipped for a non-finite gradient under garbage collection");
        } finally {
            collector.interrupt();
            collector.join();
        }
    }
}
