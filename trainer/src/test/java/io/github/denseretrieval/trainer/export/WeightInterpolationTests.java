package io.github.denseretrieval.trainer.export;

import io.github.denseretrieval.trainer.export.OnnxModelFile.FloatTensor;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class WeightInterpolationTests {

    private static final Map<String, FloatTensor> START = Map.of(
        "w", new FloatTensor("w", new long[] {2, 2}, new float[] {0.1f, -0.3f, 0.7f, 2f}),
        "frozen", new FloatTensor("frozen", new long[] {2}, new float[] {0.3f, 0.9f}));
    private static final Map<String, FloatTensor> TUNED = Map.of(
        "w", new FloatTensor("w", new long[] {2, 2}, new float[] {0.3f, -0.3f, 0.2f, 1f / 3}),
        "frozen", new FloatTensor("frozen", new long[] {2}, new float[] {0.3f, 0.9f}));

    @Test
    void theEndPointsAreTheTwoModelsBitForBit() {
        assertArrayEquals(START.get("w").values(), WeightInterpolation.between(START, TUNED, 0f).get("w").values(), 0f);
        assertArrayEquals(TUNED.get("w").values(), WeightInterpolation.between(START, TUNED, 1f).get("w").values(), 0f);
    }

    @Test
    void aPointBetweenMovesEachChangedElementTheSameShare() {
        float[] quarter = WeightInterpolation.between(START, TUNED, 0.25f).get("w").values();
        assertArrayEquals(new float[] {0.15f, -0.3f, 0.575f, 1.5f + 1f / 12}, quarter, 1e-6f);
        assertEquals(-0.3f, quarter[1], 0f, "an element training left alone keeps its exact value");
    }

    @Test
    void tensorsTrainingLeftAloneAreNotReplaced() {
        // A frozen layer must stay bit for bit what it was, or the frozen-layer outputs cached for the run would be stale.
        assertEquals(java.util.Set.of("w"), WeightInterpolation.between(START, TUNED, 0.5f).keySet());
    }

    @Test
    void refusesWeightsOutsideTheSegmentAndModelsThatDoNotMatch() {
        assertThrows(IllegalArgumentException.class, () -> WeightInterpolation.between(START, TUNED, 1.5f));
        assertThrows(IllegalArgumentException.class, () -> WeightInterpolation.between(START, TUNED, Float.NaN));
        Map<String, FloatTensor> reshaped = Map.of("w", new FloatTensor("w", new long[] {4}, TUNED.get("w").values()));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> WeightInterpolation.between(START, reshaped, 0.5f));
        assertTrue(e.getMessage().contains("[w] has shape [4]"), e.getMessage());
        Map<String, FloatTensor> other = Map.of("head", new FloatTensor("head", new long[] {1}, new float[] {1f}));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> WeightInterpolation.between(START, other, 0.5f)).getMessage()
            .contains("[head] is not in the start model"));
    }
}
