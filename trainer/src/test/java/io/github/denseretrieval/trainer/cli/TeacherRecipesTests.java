package io.github.denseretrieval.trainer.cli;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.github.denseretrieval.encoder.ModelManifest;
import io.github.denseretrieval.trainer.data.TrainingData;
import io.github.denseretrieval.trainer.train.TrainingExample;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The recipes with a cross-encoder teacher, end to end on a SciFact slice with the small
 * all-MiniLM-L6 model: RocketQA (M1, teacher, denoising, augmentation, M2, M3), then PAIR in
 * the same run folder on the teacher's pseudo labels and on the labelled data, which must reuse M1
 * and the saved teacher instead of training them again.
 */
class TeacherRecipesTests {

    private static final Path MINILM = TrainCommandTests.MODEL.resolveSibling("all-minilm-l6-v2");

    private static final String[] SLICE = {"--data", TrainCommandTests.SCIFACT.toString(), "--eval-split", "test", "--model", MINILM.toString(),
        "--device", "cpu", "--max-train-examples", "8", "--max-passages", "20", "--dev-questions", "4", "--cross-batch", "4", "--chunk-size", "4",
        "--epochs", "1", "--query-max-length", "16", "--passage-max-length", "32", "--freeze-layers", "5", "--ce-batch-size", "2",
        "--ce-negatives", "1", "--ce-max-length", "48", "--mine-depth", "3", "--augment", "3", "--no-tensorflow",
        // A teacher trained for four updates is confident about nothing: thresholds this low make it label every
        // candidate of a pseudo question positive, so that augmentation and PAIR's pseudo-labelled pre-training run
        // (and leave denoising few or no confident negatives to keep).
        "--positive-threshold", "0.01", "--negative-threshold", "0.005"};

    @Test
    void rocketqaThenPairShareTheFirstModelAndTheTeacher(@TempDir Path out) throws IOException {
        Assumptions.assumeTrue(Files.isDirectory(TrainCommandTests.SCIFACT), "SciFact not present at " + TrainCommandTests.SCIFACT);
        Path run = out.resolve("run");
        // Such a teacher rarely beats M1 on dev, so the default gate would skip it: forced here to run every stage.
        assertEquals(0, TrainerCli.run(args("rocketqa", run, "--denoise", "always")));
        assertEquals(List.of("m1-cross-batch", "m2-denoised", "m3-augmented"), stages(run));
        assertTrue(result(run, "m2-denoised").get("denoising").getAsString().startsWith("used: forced by --denoise always"));
        assertTrue(provenance(run, "m2-denoised").get("denoising").getAsString().contains("dropped"), "the counts are in the provenance");
        assertTrue(result(run, "m3-augmented").get("augmentation").getAsString().contains("m2-denoised's ranking"));
        assertTrue(Files.exists(run.resolve("cross-encoder/head.json")) && Files.exists(run.resolve("cross-encoder/onnx/model.json")));
        String dev = Files.readString(run.resolve("dev.csv"), StandardCharsets.UTF_8);
        assertTrue(dev.contains("\ncross-encoder,0,") && dev.contains("\ncross-encoder,1,"), "teacher dev checks before and after: " + dev);

        List<TrainingExample> denoised = TrainingData.fromDprJson(run.resolve("denoised-negatives.json"));
        assertEquals(8, denoised.size());
        for (TrainingExample e : denoised) {
            assertTrue(e.negatives().size() <= 3, "at most --mine-depth candidates survive");
            e.negatives().forEach(n -> assertFalse(e.positiveIds().contains(n.id()), "a judged passage became a negative"));
        }
        List<TrainingExample> pseudo = TrainingData.fromDprJson(run.resolve("pseudo-labelled.json"));
        assertEquals(9, pseudo.size(), "3 pseudo questions x their 3 candidates, each one a positive");

        long firstModelUpdates = rows(run, "m1-cross-batch");
        long teacherUpdates = rows(run, "cross-encoder");
        assertEquals(0, TrainerCli.run(args("pair", run)));
        assertEquals(List.of("pair-pretrain", "pair-finetune"), stages(run));
        assertEquals(9, provenance(run, "pair-pretrain").get("training_examples").getAsInt(), "PAIR pre-trains on the pseudo labels");
        assertEquals(0.1f, provenance(run, "pair-pretrain").get("alpha").getAsFloat(), 1e-6);
        assertEquals(0f, provenance(run, "pair-finetune").get("alpha").getAsFloat(), 1e-6);
        assertEquals(firstModelUpdates, rows(run, "m1-cross-batch"), "PAIR trained M1 again instead of reusing it");
        assertEquals(teacherUpdates, rows(run, "cross-encoder"), "PAIR trained the teacher again instead of loading it");

        // Labelled pre-training with BM25 negatives drawn each epoch from ranks 1-3, the teacher judging them.
        assertEquals(0, TrainerCli.run(args("pair", run, "--pair-pretrain-data", "labelled", "--negative-window", "1:3")));
        assertEquals(List.of("pair-pretrain-labelled", "pair-finetune-labelled"), stages(run));
        assertEquals(8, provenance(run, "pair-pretrain-labelled").get("training_examples").getAsInt());
        assertEquals("1:3", provenance(run, "pair-pretrain-labelled").get("bm25_negative_window").getAsString());

        assertEquals(1, TrainerCli.run(args("pair", run, "--pair-pretrain-data", "teacher")), "an unknown choice fails with a message");
        assertEquals(1, TrainerCli.run(args("pair", run, "--denoise", "never")), "--denoise applies to rocketqa only");

        // The default gate, on the same folder: it compares the teacher's and M1's last dev figures and follows them.
        assertEquals(0, TrainerCli.run(args("rocketqa", run)));
        double teacher = lastDevNdcg(run, "cross-encoder");
        double student = lastDevNdcg(run, "m1-cross-batch");
        if (teacher > student) {
            assertEquals(List.of("m1-cross-batch", "m2-denoised", "m3-augmented"), stages(run));
            assertFalse(result(run, "m1-cross-batch").has("denoising"));
        } else {
            assertEquals(List.of("m1-cross-batch"), stages(run), "a teacher no better than M1 denoises nothing: M1 is the model");
            assertTrue(result(run, "m1-cross-batch").get("denoising").getAsString().startsWith("skipped: teacher dev nDCG@10"),
                result(run, "m1-cross-batch").toString());
        }
    }

    private static double lastDevNdcg(Path run, String stage) throws IOException {
        List<String> rows = Files.readAllLines(run.resolve("dev.csv")).stream().filter(l -> l.startsWith(stage + ",")).toList();
        return Double.parseDouble(rows.get(rows.size() - 1).split(",")[3]);
    }

    private static JsonObject result(Path run, String stage) throws IOException {
        return JsonParser.parseString(Files.readString(run.resolve(stage).resolve("result.json"), StandardCharsets.UTF_8)).getAsJsonObject();
    }

    private static String[] args(String recipe, Path run, String... more) {
        List<String> out = new ArrayList<>(List.of("train", "--recipe", recipe, "--out", run.toString()));
        out.addAll(List.of(SLICE));
        out.addAll(List.of(more));
        return out.toArray(String[]::new);
    }

    private static List<String> stages(Path run) throws IOException {
        JsonArray stages = JsonParser.parseString(Files.readString(run.resolve("results.json"), StandardCharsets.UTF_8)).getAsJsonObject()
            .getAsJsonArray("stages");
        List<String> out = new ArrayList<>();
        stages.forEach(s -> out.add(s.getAsJsonObject().get("stage").getAsString()));
        return out;
    }

    private static long rows(Path run, String stage) throws IOException {
        return Files.readAllLines(run.resolve("steps.csv")).stream().filter(l -> l.startsWith(stage + ",")).count();
    }

    private static JsonObject provenance(Path run, String stage) throws IOException {
        return ModelManifest.read(run.resolve(stage).resolve("onnx")).provenance();
    }
}
