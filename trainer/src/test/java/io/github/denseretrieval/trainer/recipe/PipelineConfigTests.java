package io.github.denseretrieval.trainer.recipe;

import ai.djl.Device;
import io.github.denseretrieval.trainer.train.ForwardPasses;
import io.github.denseretrieval.trainer.train.TrainingSettings;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A run's settings are checked when they are given, not hours later when the teacher is first used. */
class PipelineConfigTests {

    private static final TrainingSettings SETTINGS = new TrainingSettings(4, 4, ForwardPasses.AUTO, 1, 1, 0, 2e-5f, 0.1f, 0.01f, 1f, 0.02f, 0f, 42);
    private static final Path UNUSED = Path.of("unused");

    private static PipelineConfig config(String recipe, TeacherGate.Mode denoise, float positive, float negative) {
        return config(recipe, denoise, positive, negative, false);
    }

    private static PipelineConfig config(String recipe, TeacherGate.Mode denoise, float positive, float negative, boolean separateTowers) {
        return new PipelineConfig(Recipe.fromName(recipe), new PipelineConfig.RunData(UNUSED, "train", null, null, 0, 0, 0, 0.15),
            new PipelineConfig.StudentModel(UNUSED, List.of(Device.cpu()), 16, 32, 0, separateTowers, List.of()), SETTINGS, 4,
            PipelineConfig.NegativeWindow.NONE,
            new PipelineConfig.TeacherModel(UNUSED, SETTINGS, 0, 48, denoise, new TeacherThresholds(negative, positive), 10, 0),
            new PipelineConfig.PairSettings(0.1f, false), UNUSED, false, false);
    }

    @Test
    void thePapersThresholdsAreAccepted() {
        TeacherThresholds t = config("rocketqa", TeacherGate.Mode.AUTO, 0.9f, 0.1f).teacher().thresholds();
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

    @Test
    void pairNeedsOneSharedEncoder() {
        config("dpr", TeacherGate.Mode.AUTO, 0.9f, 0.1f, true);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> config("pair", TeacherGate.Mode.AUTO, 0.9f, 0.1f, true));
        assertTrue(e.getMessage().contains("--separate-towers"), e.getMessage());
    }

    @Test
    void aNegativeWindowMustRunForward() {
        assertTrue(new PipelineConfig.NegativeWindow(1, 30).isSet());
        assertFalse(PipelineConfig.NegativeWindow.NONE.isSet());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new PipelineConfig.NegativeWindow(9, 5));
        assertEquals("--negative-window must be FROM:TO with 1 <= FROM <= TO, got 10:5", e.getMessage());
    }

    @Test
    void aStudentNeedsADevice() {
        assertThrows(IllegalArgumentException.class, () -> new PipelineConfig.StudentModel(UNUSED, List.of(), 16, 32, 0, false, List.of()));
    }

    @Test
    void wiseFtWeightsLieBetweenTheTwoModelsAndAreTriedOnce() {
        List<Device> cpu = List.of(Device.cpu());
        assertEquals(List.of(0.5f, 1f), new PipelineConfig.StudentModel(UNUSED, cpu, 16, 32, 0, false, List.of(0.5f, 1f)).wiseFtAlphas());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
            () -> new PipelineConfig.StudentModel(UNUSED, cpu, 16, 32, 0, false, List.of(0.5f, 1.2f)));
        assertTrue(e.getMessage().contains("[0, 1]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new PipelineConfig.StudentModel(UNUSED, cpu, 16, 32, 0, false, List.of(0.5f, 0.5f)));
        assertTrue(e.getMessage().contains("twice"), e.getMessage());
    }
}
