package io.github.denseretrieval.trainer.model;

import ai.djl.Device;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CrossEncoderTests {

    private static final Path MINILM = Path.of(System.getProperty("models.dir", "../analysis-encoder/target/models")).resolve("all-minilm-l6-v2");
    private static final List<String> QUESTIONS = List.of("Does aspirin prevent colorectal cancer?", "Does aspirin prevent colorectal cancer?");
    private static final List<String> PASSAGES = List.of("Daily aspirin lowered colorectal cancer rates.", "Caffeine delayed sleep onset.");

    @Test
    void aSavedTeacherScoresAsBeforeAndABrokenOneRefusesToScore(@TempDir Path dir) throws IOException {
        float[] before;
        try (CrossEncoder teacher = CrossEncoder.fresh(MINILM, Device.cpu(), 64, 5)) {
            before = teacher.probabilities(QUESTIONS, PASSAGES, 2);
            teacher.save(dir.resolve("teacher"));
        }
        try (CrossEncoder reloaded = CrossEncoder.load(dir.resolve("teacher"), Device.cpu(), 64)) {
            assertArrayEquals(before, reloaded.probabilities(QUESTIONS, PASSAGES, 2), 1e-5f);
        }
        // A diverged teacher (NaN weights) would pass no threshold: denoising would drop every candidate without a word.
        Path head = dir.resolve("teacher/head.json");
        Files.writeString(head, Files.readString(head, StandardCharsets.UTF_8).replaceFirst("\"bias\":[^,}]+", "\"bias\":NaN"),
            StandardCharsets.UTF_8);
        try (CrossEncoder broken = CrossEncoder.load(dir.resolve("teacher"), Device.cpu(), 64)) {
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> broken.probabilities(QUESTIONS, PASSAGES, 2));
            assertTrue(e.getMessage().contains("not finite"), e.getMessage());
        }
    }
}
