package io.github.denseretrieval.trainer.train;

import ai.djl.Device;
import io.github.denseretrieval.encoder.TextRole;
import io.github.denseretrieval.trainer.export.OnnxModelFile.FloatTensor;
import io.github.denseretrieval.trainer.model.TrainableEncoder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Data-parallel training must be the same training as on one device: two replicas (both on the
 * CPU here, the only device CI has; on a GPU machine they are two GPUs) that split every batch's
 * chunks between them and gather the vectors into one loss end with the weights that one
 * encoder reaches on the whole batch, and with each other's weights.
 */
class ReplicasTests {

    private static final Path BASE = DualEncoderTrainingTests.MODELS.resolve("bge-small-en-v1.5");


    @Test
    void twoReplicasReachTheWeightsOfOneEncoder(@TempDir Path out) throws IOException {
        List<TrainingExample> examples = SixClaims.examples();
        // Six questions and twelve passages in chunks of two: both replicas get chunks of both sides.
        TrainingSettings settings = new TrainingSettings(6, 2, ForwardPasses.AUTO, 1, 2, 0, 1e-4f, 0f, 0.01f, 1f, 0.05f, 0.1f, 3);
        Map<String, FloatTensor> single;
        try (TrainableEncoder encoder = open()) {
            new DualEncoderTrainer(encoder, settings, new TrainingLog(out.resolve("single"))).train("single", examples, 1, (e, s) -> { });
            single = encoder.tower(TextRole.PASSAGE).trainedTensors();
        }
        try (TrainableEncoder first = open(); TrainableEncoder second = open()) {
            List<Float> losses = new DualEncoderTrainer(Replicas.of(List.of(first, second)), settings, new TrainingLog(out.resolve("replicas")))
                .train("replicas", examples, 1, (e, s) -> { });
            assertEquals(2, losses.size());
            Map<String, FloatTensor> primary = first.tower(TextRole.PASSAGE).trainedTensors();
            Map<String, FloatTensor> copy = second.tower(TextRole.PASSAGE).trainedTensors();
            double toSingle = maxDiff(primary, single);
            double toCopy = maxDiff(primary, copy);
            double farShare = shareAbove(primary, single, 1e-5);
            System.out.printf("two replicas vs one encoder: max |weight diff| %.2e, share of weights off by more than 1e-5 %.2e; "
                + "replica vs replica %.2e%n", toSingle, farShare, toCopy);
            // Gradients summed in another order agree to float precision, but AdamW divides by the gradient's own
            // magnitude: a weight whose gradient is float noise around 0 moves by about +-lr either way. So nearly
            // every weight must agree to 1e-5, and none may differ by more than those noise steps (2 x lr per update).
            assertTrue(farShare <= 1e-4, "replicas drifted from single-device training: " + farShare + " of weights off by > 1e-5");
            assertTrue(toSingle <= 2 * 2 * 1e-4 + 1e-6, "replicas drifted from single-device training: " + toSingle);
            assertTrue(toCopy <= 1e-6, "replicas drifted apart: " + toCopy);
        }
        try (TrainableEncoder untouched = open()) {
            assertTrue(maxDiff(untouched.tower(TextRole.PASSAGE).trainedTensors(), single) > 1e-4, "training changed no weight");
        }
    }

    private static TrainableEncoder open() throws IOException {
        TrainableEncoder encoder = TrainableEncoder.open(BASE, Device.cpu(), 24, 32);
        encoder.towers().forEach(t -> t.freezeBottom(10));
        return encoder;
    }

    private static double shareAbove(Map<String, FloatTensor> a, Map<String, FloatTensor> b, double bound) {
        long above = 0;
        long total = 0;
        for (Map.Entry<String, FloatTensor> e : a.entrySet()) {
            float[] x = e.getValue().values();
            float[] y = b.get(e.getKey()).values();
            for (int i = 0; i < x.length; i++) {
                above += Math.abs(x[i] - y[i]) > bound ? 1 : 0;
            }
            total += x.length;
        }
        return (double) above / total;
    }

    private static double maxDiff(Map<String, FloatTensor> a, Map<String, FloatTensor> b) {
        assertEquals(a.keySet(), b.keySet());
        return FloatTensor.maxAbsDifference(a, b);
    }
}
