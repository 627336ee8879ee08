package io.github.denseretrieval.trainer.cli;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.github.denseretrieval.encoder.ModelManifest;
import io.github.denseretrieval.trainer.data.TrainingData;
import io.github.denseretrieval.trainer.train.TrainingExample;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code trainer train} and {@code trainer mine} end to end on a SciFact slice. */
class TrainCommandTests {

    static final Path MODEL = Path.of(System.getProperty("models.dir", "../analysis-encoder/target/models")).resolve("bge-small-en-v1.5");
    static final Path SCIFACT = Path.of(System.getProperty("beir.data.dir", "../../shared/data")).resolve("scifact");

    @BeforeEach
    void needsSciFact() {
        Assumptions.assumeTrue(Files.isDirectory(SCIFACT), "SciFact not present at " + SCIFACT);
    }

    @Test
    void dprRecipeLeavesAModelFolderLogsPlotsAndResults(@TempDir Path out) throws IOException {
        Path run = out.resolve("run");
        int code = TrainerCli.run("train", "--recipe", "dpr", "--data", SCIFACT.toString(), "--model", MODEL.toString(), "--out", run.toString(),
            "--device", "cpu", "--max-train-examples", "8", "--batch-size", "4", "--epochs", "1", "--dev-questions", "4",
            "--max-passages", "40", "--query-max-length", "16", "--passage-max-length", "32", "--freeze-layers", "10", "--no-tensorflow");
        assertEquals(0, code);
        JsonObject results = JsonParser.parseString(Files.readString(run.resolve("results.json"), StandardCharsets.UTF_8)).getAsJsonObject();
        assertEquals("dpr", results.getAsJsonArray("stages").get(0).getAsJsonObject().get("stage").getAsString());
        ModelManifest manifest = ModelManifest.read(run.resolve("dpr/onnx"));
        assertEquals("dpr", manifest.provenance().get("recipe").getAsString());
        assertEquals("BAAI/bge-small-en-v1.5", manifest.provenance().get("base_model").getAsString());
        assertEquals(8, manifest.provenance().get("training_examples").getAsInt());
        assertEquals(3, Files.readAllLines(run.resolve("steps.csv")).size(), "header and two updates");
        List<String> dev = Files.readAllLines(run.resolve("dev.csv"));
        assertEquals(3, dev.size(), "header, before training, after epoch 1: " + dev);
        assertTrue(Files.size(run.resolve("loss.png")) > 0 && Files.size(run.resolve("dev-ndcg.png")) > 0);
        assertFalse(Files.exists(run.resolve("dpr/checkpoint")), "the checkpoint is removed once the stage is done");

        // A second run in the same folder reuses the finished stage instead of training again.
        assertEquals(0, TrainerCli.run("train", "--recipe", "dpr", "--data", SCIFACT.toString(), "--model", MODEL.toString(), "--out",
            run.toString(), "--device", "cpu", "--max-train-examples", "8", "--batch-size", "4", "--dev-questions", "4", "--max-passages", "40", "--resume"));
        assertEquals(3, Files.readAllLines(run.resolve("steps.csv")).size());
    }

    @Test
    void separateTowersExportAQuestionFolderBesideThePassageFolder(@TempDir Path out) throws IOException {
        Path run = out.resolve("run");
        assertEquals(0, TrainerCli.run("train", "--recipe", "dpr", "--data", SCIFACT.toString(), "--model", MODEL.toString(), "--out",
            run.toString(), "--device", "cpu", "--max-train-examples", "8", "--batch-size", "4", "--epochs", "1", "--dev-questions", "4",
            "--max-passages", "40", "--query-max-length", "16", "--passage-max-length", "32", "--freeze-layers", "10", "--no-tensorflow", "--separate-towers",
            "--lr", "1e-4"));
        Path passages = run.resolve("dpr/onnx");
        Path questions = run.resolve("dpr/query/onnx");
        assertEquals("passage", ModelManifest.read(passages).provenance().get("tower").getAsString());
        assertEquals("query", ModelManifest.read(questions).provenance().get("tower").getAsString());
        assertEquals(ModelManifest.read(questions).name(), ModelManifest.read(passages).provenance().get("query_model").getAsString());
        // Each tower learnt from its own side only, so the two weight files are no longer the same.
        String weights = ModelManifest.read(passages).weights();
        assertFalse(java.util.Arrays.equals(Files.readAllBytes(passages.resolve(weights)), Files.readAllBytes(questions.resolve(weights))));
        // evaluate finds the question tower beside the passage folder.
        Path report = out.resolve("eval.json");
        assertEquals(0, TrainerCli.run("evaluate", "--data", SCIFACT.toString(), "--model", passages.toString(), "--max-queries", "5",
            "--max-passages", "10", "--out", report.toString()));
        assertTrue(JsonParser.parseString(Files.readString(report, StandardCharsets.UTF_8)).getAsJsonObject().get("ndcg@10").getAsDouble() > 0);
        // PAIR compares passages with passages: it refuses two towers.
        assertEquals(1, TrainerCli.run("train", "--recipe", "pair", "--data", SCIFACT.toString(), "--model", MODEL.toString(), "--out",
            out.resolve("pair").toString(), "--device", "cpu", "--separate-towers"));
    }

    @Test
    void mineWritesDprJsonThatTrainingReadsBack(@TempDir Path out) throws IOException {
        Path file = out.resolve("negatives.json");
        assertEquals(0, TrainerCli.run("mine", "--data", SCIFACT.toString(), "--split", "train", "--negatives", "2", "--out", file.toString()));
        List<TrainingExample> examples = TrainingData.fromDprJson(file);
        assertTrue(examples.size() > 800);
        for (TrainingExample e : examples) {
            assertTrue(e.negatives().size() <= 2);
            assertTrue(e.positiveIds().contains(e.positive().id()));
            e.negatives().forEach(n -> assertFalse(e.positiveIds().contains(n.id()), "a judged passage was mined as a negative"));
        }
    }

    @Test
    void negativesDrawnFromABm25WindowEveryEpoch(@TempDir Path out) throws IOException {
        Path run = out.resolve("run");
        assertEquals(0, TrainerCli.run("train", "--recipe", "dpr", "--data", SCIFACT.toString(), "--model", MODEL.toString(), "--out",
            run.toString(), "--device", "cpu", "--max-train-examples", "8", "--batch-size", "4", "--epochs", "2", "--dev-fraction", "0",
            "--max-passages", "40", "--negative-window", "3:10", "--negatives", "2", "--query-max-length", "16", "--passage-max-length", "32",
            "--freeze-layers", "11", "--no-tensorflow"));
        assertEquals("3:10", ModelManifest.read(run.resolve("dpr/onnx")).provenance().get("bm25_negative_window").getAsString());
        assertEquals(5, Files.readAllLines(run.resolve("steps.csv")).size(), "header and two updates in each of two epochs");
        assertEquals(1, Files.readAllLines(run.resolve("dev.csv")).size(), "--dev-fraction 0: no dev checks");
    }

    @Test
    void badInputFailsWithAMessage(@TempDir Path out) {
        for (String window : List.of("5:2", "0:4", "3-10")) {
            assertEquals(1, TrainerCli.run("train", "--data", SCIFACT.toString(), "--model", MODEL.toString(), "--out", out.toString(),
                "--device", "cpu", "--negative-window", window), window);
        }
        assertEquals(1, TrainerCli.run("train", "--recipe", "colbert", "--data", SCIFACT.toString(), "--model", MODEL.toString(), "--out",
            out.toString(), "--device", "cpu"));
        assertEquals(1, TrainerCli.run("train", "--data", out.resolve("missing").toString(), "--model", MODEL.toString(), "--out",
            out.toString(), "--device", "cpu"));
    }
}
