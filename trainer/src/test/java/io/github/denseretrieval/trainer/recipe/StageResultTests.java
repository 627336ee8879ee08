package io.github.denseretrieval.trainer.recipe;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** A stage's result.json keeps the recipe's notes (why the teacher was or was not used) across a resumed run. */
class StageResultTests {

    @Test
    void notesAreTopLevelFieldsAndSurviveAReadBack(@TempDir Path dir) throws IOException {
        String why = "skipped: teacher dev nDCG@10 0.5400 <= student 0.7200";
        StageResult r = new StageResult("m1-cross-batch", "rocketqa", Path.of("m1/onnx"), 8, 2, 12.0, "test", 0.7, 0.9, 0.6, 3.0, 0,
            Map.of()).withNotes(Map.of("denoising", why, "augmentation", why));
        assertEquals(why, r.toJson().get("denoising").getAsString());
        Path file = dir.resolve(StageResult.FILE);
        r.write(file);
        StageResult back = StageResult.read(file);
        assertEquals(r.notes(), back.notes());
        assertEquals(0.7, back.ndcgAt10(), 1e-12);
        assertFalse(back.withNotes(Map.of()).toJson().has("denoising"), "replacing the notes drops the old ones");
        assertThrows(IllegalArgumentException.class, () -> r.withNotes(Map.of("denoise", why)), "a misspelt note would be lost on read");
    }
}
