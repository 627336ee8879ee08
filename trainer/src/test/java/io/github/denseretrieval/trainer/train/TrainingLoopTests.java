package io.github.denseretrieval.trainer.train;

import ai.djl.ndarray.NDManager;
import ai.djl.nn.core.Linear;
import ai.djl.training.initializer.Initializer;
import io.github.denseretrieval.trainer.model.TorchRuntime;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The loop both trainers share, driven on a real DJL layer with a real optimizer, each batch's
 * gradient chosen by its input ({@link CraftedGradients}).
 */
class TrainingLoopTests {

    /** Six examples in batches of two: three updates per epoch. */
    private static final List<TrainingExample> SIX = SixClaims.examples();

    @Test
    void listenersSeeEveryEpochAndUpdateInOrderAndStepsAreLogged(@TempDir Path out) throws IOException {
        Recorded run = recordedRun(out, 2, 1);
        assertEquals(List.of("start 1", "update 1 epoch 1", "update 2 epoch 1", "update 3 epoch 1", "done 1 at 3",
            "start 2", "update 4 epoch 2", "update 5 epoch 2", "update 6 epoch 2", "done 2 at 6"), run.events());
        assertEquals(6, run.outcome().losses().size());
        assertEquals(0, run.outcome().skippedUpdates());
        assertEquals(7, Files.readAllLines(out.resolve("steps.csv")).size(), "a header and one row per update");
    }

    @Test
    void aNonFiniteGradientSkipsOneUpdateAndTheLoopGoesOn(@TempDir Path out) throws IOException {
        try (NDManager manager = TorchRuntime.engine().newBaseManager()) {
            // Zero weights: the first batch's loss is 0 while its gradient, 10 * 3e38, overflows to infinity.
            Linear layer = layer(manager, Initializer.ZEROS);
            int[] calls = {0};
            List<TrainingLoop.Update> updates = new ArrayList<>();
            TrainingLoop.Outcome outcome = new TrainingLoop("s", settings(1), "advice").run(epoch -> SIX, 1, List.of(layer), 1, batch -> {
                boolean first = calls[0]++ == 0;
                return first ? backward(manager, layer, new float[] {3e38f, 1f, 1f}, 10f) : backward(manager, layer, new float[] {1f, 2f, 3f}, 0.1f);
            }, new TrainingLog(out), List.of(new TrainingLoop.Listener() {
                @Override
                public void updateDone(TrainingLoop.Update u) {
                    updates.add(u);
                }
            }));
            assertEquals(3, updates.size());
            assertFalse(updates.get(0).applied());
            assertEquals(Double.POSITIVE_INFINITY, updates.get(0).gradientNorm());
            assertEquals(List.of("weight"), updates.get(0).nonFinite());
            assertEquals(List.of(), updates.get(1).nonFinite());
            assertTrue(updates.get(1).applied() && updates.get(2).applied(), "the later, finite updates are applied");
            assertEquals(1, updates.get(2).skipped());
            assertEquals(1, outcome.skippedUpdates());
            for (float w : layer.getParameters().get("weight").getArray().toFloatArray()) {
                assertTrue(Float.isFinite(w) && w != 0f, "finite and moved by the applied updates: " + w);
            }
        }
    }

    @Test
    void aNonFiniteLossStopsTheStageWithTheTrainersAdvice(@TempDir Path out) throws IOException {
        try (NDManager manager = TorchRuntime.engine().newBaseManager()) {
            Linear layer = layer(manager, Initializer.ONES);
            float[] before = layer.getParameters().get("weight").getArray().toFloatArray();
            TrainingLoop loop = new TrainingLoop("teacher", settings(1), "lower --ce-lr");
            TrainingLog log = new TrainingLog(out);
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> loop.run(epoch -> SIX, 1, List.of(layer), 1,
                batch -> backward(manager, layer, new float[] {Float.POSITIVE_INFINITY, 1f, 1f}, 1f), log, List.of()));
            assertEquals("stage [teacher]: loss became Infinity at update 1; lower --ce-lr", e.getMessage());
            assertArrayEquals(before, layer.getParameters().get("weight").getArray().toFloatArray(), "no update was made");
        }
    }

    @Test
    void anEpochWithADifferentNumberOfExamplesIsRefused(@TempDir Path out) throws IOException {
        try (NDManager manager = TorchRuntime.engine().newBaseManager()) {
            Linear layer = layer(manager, Initializer.ONES);
            TrainingLoop loop = new TrainingLoop("s", settings(2), "advice");
            TrainingLog log = new TrainingLog(out);
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> loop.run(epoch -> epoch == 1 ? SIX : SIX.subList(0, 4), 1,
                List.of(layer), 1, batch -> backward(manager, layer, new float[] {1f, 2f, 3f}, 0.1f), log, List.of()));
            assertTrue(e.getMessage().contains("epoch 2 has 4 examples, epoch 1 had 6"), e.getMessage());
        }
    }

    @Test
    void aResumedStageStartsAtItsEpochAndCountsTheUpdatesBeforeIt(@TempDir Path out) throws IOException {
        Recorded run = recordedRun(out, 3, 3);
        assertEquals(List.of("start 3", "update 7 epoch 3", "update 8 epoch 3", "update 9 epoch 3", "done 3 at 9"), run.events());
        assertEquals(3, run.outcome().losses().size(), "only this run's updates");
    }

    private record Recorded(List<String> events, TrainingLoop.Outcome outcome) {
    }

    /** A stage of {@code epochs} epochs from {@code firstEpoch} with finite gradients, and what a listener saw of it. */
    private static Recorded recordedRun(Path out, int epochs, int firstEpoch) throws IOException {
        try (NDManager manager = TorchRuntime.engine().newBaseManager()) {
            Linear layer = layer(manager, Initializer.ONES);
            List<String> events = new ArrayList<>();
            TrainingLoop.Outcome outcome = new TrainingLoop("s", settings(epochs), "advice").run(epoch -> SIX, firstEpoch, List.of(layer), 1,
                batch -> backward(manager, layer, new float[] {1f, 2f, 3f}, 0.1f), new TrainingLog(out), List.of(recorder(events)));
            return new Recorded(events, outcome);
        }
    }

    private static TrainingLoop.Listener recorder(List<String> events) {
        return new TrainingLoop.Listener() {
            @Override
            public void epochStarting(int epoch) {
                events.add("start " + epoch);
            }

            @Override
            public void updateDone(TrainingLoop.Update u) {
                events.add("update " + u.step() + " epoch " + u.epoch());
            }

            @Override
            public void epochDone(int epoch, int step) {
                events.add("done " + epoch + " at " + step);
            }
        };
    }

    /** Batches of two, {@code epochs} epochs, AdamW at 1e-2 without warm-up, clipping at norm 1. */
    private static TrainingSettings settings(int epochs) {
        return new TrainingSettings(2, 4, ForwardPasses.AUTO, 1, epochs, 0, 1e-2f, 0f, 0f, 1f, 0.05f, 0f, 7);
    }

    /** No bias, so the weights alone carry the gradient norm. */
    private static Linear layer(NDManager manager, Initializer weights) {
        return CraftedGradients.layer(manager, weights, false);
    }

    private static float backward(NDManager manager, Linear layer, float[] input, float scale) {
        return CraftedGradients.backward(manager, layer, input, scale);
    }
}
