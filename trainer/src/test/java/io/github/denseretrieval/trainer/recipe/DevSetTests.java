package io.github.denseretrieval.trainer.recipe;

import ai.djl.Device;
import io.github.denseretrieval.encoder.EncoderOptions;
import io.github.denseretrieval.encoder.TextEncoder;
import io.github.denseretrieval.evaluation.beir.BeirDataset;
import io.github.denseretrieval.evaluation.beir.Passage;
import io.github.denseretrieval.trainer.data.TrainingData;
import io.github.denseretrieval.evaluation.retrieval.DenseEvaluation;
import io.github.denseretrieval.evaluation.retrieval.EvaluationSet;
import io.github.denseretrieval.evaluation.metrics.MetricSummary;
import io.github.denseretrieval.evaluation.metrics.Qrels;
import io.github.denseretrieval.trainer.mining.Bm25Index;
import io.github.denseretrieval.trainer.model.FrozenLayerCache;
import io.github.denseretrieval.trainer.model.TrainableEncoder;
import io.github.denseretrieval.trainer.train.TrainingExample;
import io.github.denseretrieval.trainer.train.ForwardPasses;
import io.github.denseretrieval.trainer.train.TrainingSettings;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The dev split on SciFact: held out of training, fixed by the seed, searched over the whole corpus as the test evaluation is. */
class DevSetTests {

    private static final Path MINILM = TestSplitIsolationTests.MODELS.resolve("all-minilm-l6-v2");

    @BeforeEach
    void needsSciFact() {
        Assumptions.assumeTrue(Files.isDirectory(TestSplitIsolationTests.SCIFACT), "SciFact not present");
    }

    @Test
    void theSeedFixesAFractionOfTrainQuestionsThatTrainingNeverSees(@TempDir Path tmp) throws IOException {
        BeirDataset dataset = BeirDataset.open(TestSplitIsolationTests.SCIFACT);
        Qrels train = dataset.qrels("train");
        Set<String> dev;
        try (TrainingPipeline pipeline = TrainingPipeline.open(config(tmp.resolve("a"), 0.15, 42))) {
            dev = pipeline.dev().questionIds();
            assertEquals(Math.round(0.15 * train.queryIds().size()), dev.size());
            assertEquals(5183, pipeline.dev().corpusSize(), "the dev check searches the whole corpus");
            Set<String> trained = new HashSet<>();
            for (TrainingExample e : pipeline.labelled()) {
                assertFalse(dev.contains(e.queryId()), "dev question [" + e.queryId() + "] is in the training data");
                trained.add(e.queryId());
            }
            Set<String> all = new HashSet<>(trained);
            all.addAll(dev);
            assertEquals(new HashSet<>(train.queryIds()), all, "every other train question is trained on");
        }
        try (TrainingPipeline again = TrainingPipeline.open(config(tmp.resolve("b"), 0.15, 42));
             TrainingPipeline otherSeed = TrainingPipeline.open(config(tmp.resolve("c"), 0.15, 7))) {
            assertEquals(dev, again.dev().questionIds());
            assertNotEquals(dev, otherSeed.dev().questionIds());
        }
    }

    @Test
    void theDevCheckGivesTheFiguresOfTheTestProtocolOnTheDevQuestions() throws IOException {
        Assumptions.assumeTrue(Files.isDirectory(MINILM), "all-MiniLM-L6-v2 not present at " + MINILM);
        BeirDataset dataset = BeirDataset.open(TestSplitIsolationTests.SCIFACT);
        Map<String, Passage> corpus = TrainingData.corpusById(dataset);
        Qrels train = dataset.qrels("train");
        DevSet dev;
        Map<String, Passage> small = new LinkedHashMap<>();
        try (Bm25Index bm25 = Bm25Index.build(List.copyOf(corpus.values()))) {
            dev = DevSet.holdOut(train, dataset.queriesOf(train), corpus, bm25, 12, 0, 20, 42);
        }
        // The dev questions' judged passages and 150 others: a corpus where most passages are distractors.
        Set<String> judged = dev.judgedPassageIds();
        for (Passage p : corpus.values()) {
            if (judged.contains(p.id()) || small.size() < judged.size() + 150) {
                small.put(p.id(), p);
            }
        }
        dev = dev.over(small);
        assertEquals(small.size(), dev.corpusSize());

        MetricSummary checked;
        MetricSummary keptBelowFrozen;
        MetricSummary fromKept;
        MetricSummary fillingCache;
        MetricSummary fromCache;
        FrozenLayerCache cache = new FrozenLayerCache(512L << 20);
        // At the model's full length the trainer's encoder gives ONNX Runtime's vectors, so the figures must agree.
        try (TrainableEncoder encoder = TrainableEncoder.open(MINILM, Device.cpu(), 512, 512)) {
            checked = dev.evaluate(encoder);
            // With frozen layers the first check keeps the corpus's outputs below them, the second runs the top layers only.
            encoder.towers().forEach(t -> t.freezeBottom(3));
            keptBelowFrozen = dev.evaluate(encoder);
            fromKept = dev.evaluate(encoder);
            // Through training's frozen-layer cache instead: the first check fills it with every corpus passage, the second reads them.
            fillingCache = dev.evaluate(encoder, cache);
            assertEquals(dev.corpusSize(), cache.stats().texts());
            fromCache = dev.evaluate(encoder, cache);
            assertEquals(dev.corpusSize(), cache.stats().hits());
        }
        for (MetricSummary m : List.of(keptBelowFrozen, fromKept, fillingCache, fromCache)) {
            assertEquals(checked.ndcgAt10(), m.ndcgAt10(), 1e-6);
            assertEquals(checked.recallAt100(), m.recallAt100(), 1e-6);
        }
        Qrels devQrels = train.restrictTo(dev.questionIds());
        EvaluationSet set = new EvaluationSet(List.copyOf(small.values()), dataset.queriesOf(devQrels), devQrels, true);
        MetricSummary evaluated;
        try (TextEncoder served = TextEncoder.open(MINILM, EncoderOptions.defaults())) {
            evaluated = DenseEvaluation.run(served, set).metrics();
        }
        System.out.printf("dev check nDCG@10 %.4f R@100 %.4f; test protocol %.4f %.4f%n", checked.ndcgAt10(), checked.recallAt100(),
            evaluated.ndcgAt10(), evaluated.recallAt100());
        assertEquals(evaluated.ndcgAt10(), checked.ndcgAt10(), 1e-4);
        assertEquals(evaluated.recallAt100(), checked.recallAt100(), 1e-4);
        assertTrue(checked.ndcgAt10() < 1, "judged passages are not handed to the model: " + checked.ndcgAt10());
    }

    private static PipelineConfig config(Path out, double devFraction, long seed) {
        TrainingSettings dual = new TrainingSettings(4, 4, ForwardPasses.AUTO, 1, 1, 0, 2e-5f, 0.1f, 0.01f, 1f, 0.02f, 0f, seed);
        TrainingSettings ce = new TrainingSettings(2, 2, ForwardPasses.AUTO, 1, 1, 0, 3e-5f, 0.1f, 0.01f, 1f, 1f, 0f, seed);
        Path model = TestSplitIsolationTests.MODELS.resolve("bge-small-en-v1.5");
        return new PipelineConfig(Recipe.fromName("dpr"), new PipelineConfig.RunData(TestSplitIsolationTests.SCIFACT, "train", null, null, 0, 0, 0,
            devFraction), new PipelineConfig.StudentModel(model, List.of(Device.cpu()), 16, 32, 0, false, List.of()), dual, 4, PipelineConfig.NegativeWindow.NONE,
            new PipelineConfig.TeacherModel(model, ce, 0, 48, TeacherGate.Mode.AUTO, new TeacherThresholds(0.1f, 0.9f), 3, 0),
            new PipelineConfig.PairSettings(0.1f, false), out, false, false);
    }
}
