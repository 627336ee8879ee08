package io.github.denseretrieval.trainer.train;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TrainingLogTests {

    @Test
    void aSecondRunInTheSameFolderContinuesTheUpdateCount(@TempDir Path dir) throws IOException {
        TrainingLog first = new TrainingLog(dir);
        first.step("m1", 1, 1, 2.0f, 1e-5f, 3.5, 0, 10, 1);
        first.step("m1", 1, 2, 1.5f, 2e-5f, Double.NaN, 1, 10, 2);
        first.dev("m1", 1, 0.7, 0.9);

        TrainingLog second = new TrainingLog(dir);
        second.step("pair", 1, 1, 1.2f, 1e-5f, 0.25, 0, 10, 1);
        second.dev("pair", 1, 0.72, 0.91);

        List<String> steps = Files.readAllLines(dir.resolve("steps.csv"));
        assertEquals(4, steps.size());
        assertTrue(steps.get(3).startsWith("pair,1,1,3,"), "global step goes on from the first run: " + steps.get(3));
        assertTrue(steps.get(2).endsWith(",NaN,1"), "a skipped update shows its non-finite norm and the count: " + steps.get(2));
        assertTrue(steps.get(3).endsWith(",2.5000e-01,0"), steps.get(3));
        List<String> dev = Files.readAllLines(dir.resolve("dev.csv"));
        assertEquals("pair,1,3,0.7200,0.9100", dev.get(2));
        assertTrue(Files.size(dir.resolve("loss.png")) > 0 && Files.size(dir.resolve("dev-ndcg.png")) > 0);
    }
}
