package io.github.denseretrieval.trainer.recipe;

import ai.djl.Device;
import io.github.denseretrieval.trainer.train.ForwardPasses;
import io.github.denseretrieval.trainer.train.TrainingSettings;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A run's settings are checked when they are given, not hours later when the teacher is first used. */
class PipelineConfigTests {

    private static PipelineConfig config(String recipe, TeacherGate.Mode denoise, float positive, float negative) {
        TrainingSettings s = new TrainingSettings(4, 4, ForwardPasses.AUTO, 1, 1, 0, 2e-5f, 0.1f, 0.01f, 1f, 0.02f, 0f, 42);
        Path p = Path.of("unused");
        return new PipelineConfig(Recipe.fromName(recipe), p, "train", null, p, p, null, p, List.of(Device.cpu()), 16, 32, 0, 0, 0, s, 4, s,
            0, 48, 0, 0.15, 10, denoise, 0, positive, negative, 0.1f, false, false, false, false, 0, 0);
    }

    @Test
    void thePapersThresholdsAreAccepted() {
        TeacherThresholds t = config("rocketqa", TeacherGate.Mode.AUTO, 0.9f, 0.1f).teacherThresholds();
        assertEquals(0.1f, t.negativeBelow());
        assertEquals(0.9f, t.positiveAbove());
    }

    @Test
    void thresholdsOutOfOrderAreRefusedAtOnce() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> config("rocketqa", TeacherGate.Mode.AUTO, 0.1f, 0.9f));
        assertTrue(e.getMessage().contains("--negative-threshold"), e.getMessage());
    }

    @Test
    void denoiseIsForRocketqaOnly() {
        config("rocketqa", TeacherGate.Mode.NEVER, 0.9f, 0.1f);
        config("pair", TeacherGate.Mode.AUTO, 0.9f, 0.1f);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> config("pair", TeacherGate.Mode.ALWAYS, 0.9f, 0.1f));
        assertTrue(e.getMessage().contains("--denoise always") && e.getMessage().contains("pair"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> config("dpr", TeacherGate.Mode.NEVER, 0.9f, 0.1f));
    }
}
