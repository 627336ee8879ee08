package io.github.denseretrieval.trainer.recipe;

import ai.djl.Device;
import io.github.denseretrieval.evaluation.beir.BeirDataset;
import io.github.denseretrieval.evaluation.metrics.Qrels;
import io.github.denseretrieval.trainer.train.ForwardPasses;
import io.github.denseretrieval.trainer.train.TrainingSettings;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * Training never reads the evaluation split's judgements: on a copy of SciFact whose test qrels
 * cannot be read, a run told {@code --eval-split test} still opens (full and cut-down corpus) and
 * chooses its pseudo questions, and those exclude only the passages the training split judges.
 */
class TestSplitIsolationTests {

    static final Path MODELS = Path.of(System.getProperty("models.dir", "../analysis-encoder/target/models"));
    static final Path SCIFACT = Path.of(System.getProperty("beir.data.dir", "../../shared/data")).resolve("scifact");

    @Test
    void pseudoQuestionsAndTheCutDownCorpusNeedOnlyTrainJudgements(@TempDir Path tmp) throws IOException {
        Assumptions.assumeTrue(Files.isDirectory(SCIFACT), "SciFact not present at " + SCIFACT);
        Path data = tmp.resolve("scifact");
        Files.createDirectories(data.resolve("qrels"));
        Files.createSymbolicLink(data.resolve("corpus.jsonl"), SCIFACT.resolve("corpus.jsonl").toAbsolutePath());
        Files.createSymbolicLink(data.resolve("queries.jsonl"), SCIFACT.resolve("queries.jsonl").toAbsolutePath());
        Files.copy(SCIFACT.resolve("qrels/train.tsv"), data.resolve("qrels/train.tsv"));
        // A folder where the test qrels file would be: any attempt to read the split fails.
        Files.createDirectories(data.resolve("qrels/test.tsv"));
        BeirDataset dataset = BeirDataset.open(data);
        assertThrows(IllegalArgumentException.class, () -> dataset.qrels("test"), "the test split must be unreadable for this test to mean anything");

        Qrels train = dataset.qrels("train");
        Set<String> trainJudged = new HashSet<>();
        train.queryIds().forEach(q -> trainJudged.addAll(train.judgements(q).keySet()));
        Set<String> testJudged = new HashSet<>();
        Qrels test = BeirDataset.open(SCIFACT).qrels("test");
        test.queryIds().forEach(q -> testJudged.addAll(test.judgements(q).keySet()));

        try (TrainingPipeline pipeline = TrainingPipeline.open(config(data, tmp.resolve("run"), 0, 2000))) {
            List<PseudoQuestions.Question> questions = pipeline.pseudoQuestions();
            assertEquals(2000, questions.size());
            questions.forEach(q -> assertFalse(trainJudged.contains(q.sourcePassage()), "a train-judged passage became a pseudo question"));
            // The same choice as from the train judgements alone: test judgements played no part.
            assertEquals(PseudoQuestions.fromTitles(BeirDataset.open(SCIFACT).corpus(), trainJudged, 2000, 42), questions);
            Assumptions.assumeTrue(questions.stream().anyMatch(q -> testJudged.contains(q.sourcePassage())),
                "with 2,000 of SciFact's titles some come from test-judged passages");
        }
        // A cut-down corpus is built from the training side too.
        try (TrainingPipeline pipeline = TrainingPipeline.open(config(data, tmp.resolve("small"), 50, 10))) {
            assertEquals(10, pipeline.pseudoQuestions().size());
        }
    }

    private static PipelineConfig config(Path data, Path out, int maxPassages, int augment) {
        TrainingSettings dual = new TrainingSettings(4, 4, ForwardPasses.AUTO, 1, 1, 0, 2e-5f, 0.1f, 0.01f, 1f, 0.02f, 0f, 42);
        TrainingSettings ce = new TrainingSettings(2, 2, ForwardPasses.AUTO, 1, 1, 0, 3e-5f, 0.1f, 0.01f, 1f, 1f, 0f, 42);
        Path model = MODELS.resolve("bge-small-en-v1.5");
        return new PipelineConfig(Recipe.fromName("rocketqa"), new PipelineConfig.RunData(data, "train", "test", null, 8, maxPassages, 4, 0),
            new PipelineConfig.StudentModel(model, List.of(Device.cpu()), 16, 32, 0, false, List.of()), dual, 4, PipelineConfig.NegativeWindow.NONE,
            new PipelineConfig.TeacherModel(model, ce, 0, 48, TeacherGate.Mode.AUTO, new TeacherThresholds(0.1f, 0.9f), 3, augment),
            new PipelineConfig.PairSettings(0.1f, false), out, false, false);
    }
}
