package io.github.denseretrieval.trainer.model;

import ai.djl.Device;
import ai.djl.nn.Parameter;
import ai.djl.util.Pair;
import io.github.denseretrieval.encoder.TextRole;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static io.github.denseretrieval.trainer.VectorDiff.maxAbsDiff;

/** Encoding from kept frozen-layer outputs gives the full forward pass's vectors, before and after the trainable layers change. */
class FrozenLayerOutputsTests {

    private static final Path BASE = Path.of(System.getProperty("models.dir", "../analysis-encoder/target/models")).resolve("bge-small-en-v1.5");

    private static final List<String> TEXTS = List.of(
        "Vitamin D supplementation reduces the risk of fractures in elderly women.",
        "Aspirin use is associated with lower colorectal cancer incidence in a large cohort followed for twenty years.",
        "A short one",
        "Statins lower LDL cholesterol.",
        "Measles outbreaks followed drops in MMR vaccination coverage across several European countries and regions.");

    @Test
    void theTrainableLayersAloneGiveTheFullPassVectors() throws IOException {
        try (TrainableEncoder encoder = TrainableEncoder.open(BASE, Device.cpu(), 32, 64)) {
            BertTower tower = encoder.tower(TextRole.PASSAGE);
            assertEquals(-1, tower.frozenLayers());
            tower.freezeBottom(8);
            int[] progress = new int[1];
            // Batches of two over five texts of different lengths: padding differs from batch to batch.
            FrozenLayerOutputs outputs = encoder.belowTrainable(TEXTS, TextRole.PASSAGE, 2, n -> progress[0] = n);
            assertEquals(TEXTS.size(), progress[0]);
            float[][] before = encoder.encode(TEXTS, TextRole.PASSAGE, 2);
            assertTrue(maxAbsDiff(encoder.encode(outputs, n -> { }), before) <= 1e-5);

            // A trainable weight moves (as an update would move it): the kept outputs still hold.
            Parameter trainable = first(tower, true);
            trainable.getArray().addi(0.05f);
            assertTrue(outputs.validFor(encoder));
            float[][] after = encoder.encode(TEXTS, TextRole.PASSAGE, 2);
            assertTrue(maxAbsDiff(after, before) > 1e-4, "the change moved no vector");
            double diff = maxAbsDiff(encoder.encode(outputs, n -> { }), after);
            System.out.printf("frozen-layer outputs vs full pass after a change above them: max |diff| %.2e%n", diff);
            assertTrue(diff <= 1e-5, "cached encoding differs from the full pass: " + diff);

            // A frozen weight moves: the outputs are stale and refuse to be used.
            first(tower, false).getArray().addi(0.05f);
            assertFalse(outputs.validFor(encoder));
            assertThrows(IllegalStateException.class, () -> encoder.encode(outputs, n -> { }));
        }
    }

    private static Parameter first(BertTower tower, boolean trainable) {
        for (Pair<String, Parameter> p : tower.getParameters()) {
            if (p.getValue().requiresGradient() == trainable) {
                return p.getValue();
            }
        }
        throw new AssertionError("no " + (trainable ? "trainable" : "frozen") + " parameter");
    }
}
