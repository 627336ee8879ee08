package io.github.denseretrieval.trainer.train;

import ai.djl.Device;
import io.github.denseretrieval.evaluation.beir.Passage;
import io.github.denseretrieval.trainer.model.TrainableEncoder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The trainer asks for each epoch's examples when the epoch starts, so negatives can be drawn again. */
class EpochExamplesTests {

    @Test
    void eachEpochTrainsOnTheExamplesDrawnForIt(@TempDir Path out) throws IOException {
        List<Integer> asked = new ArrayList<>();
        List<Integer> seen = new ArrayList<>();
        TrainingSettings settings = new TrainingSettings(2, 4, ForwardPasses.AUTO, 1, 3, 0, 1e-5f, 0f, 0.01f, 1f, 0.05f, 0f, 5);
        try (TrainableEncoder encoder = TrainableEncoder.open(DualEncoderTrainingTests.MODELS.resolve("bge-small-en-v1.5"), Device.cpu(), 16, 16)) {
            encoder.towers().forEach(t -> t.freezeBottom(11));
            List<Float> losses = new DualEncoderTrainer(encoder, settings, new TrainingLog(out)).train("drawn", epoch -> {
                asked.add(epoch);
                return examples(epoch);
            }, 1, (epoch, step) -> seen.add(epoch));
            assertEquals(6, losses.size(), "two updates in each of three epochs");
        }
        assertEquals(List.of(1, 2, 3), asked, "examples are drawn once per epoch, in order");
        assertEquals(List.of(1, 2, 3), seen);
        assertEquals(7, Files.readAllLines(out.resolve("steps.csv")).size());
    }

    /** Four questions whose negative names the epoch it was drawn for. */
    private static List<TrainingExample> examples(int epoch) {
        List<TrainingExample> out = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            Passage positive = new Passage("p" + i, "Topic " + i, "A passage about topic " + i + ".");
            Passage negative = new Passage("n" + i + "-" + epoch, "Other " + i, "Drawn for epoch " + epoch + ".");
            out.add(new TrainingExample("q" + i, "question about topic " + i, positive, List.of(negative), Set.of(positive.id())));
        }
        return out;
    }
}
