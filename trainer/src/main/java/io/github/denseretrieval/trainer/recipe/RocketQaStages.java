package io.github.denseretrieval.trainer.recipe;

import io.github.denseretrieval.trainer.train.TrainingExample;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * RocketQA: M1 with cross-batch negatives; then, if the teacher may be trusted ({@link
 * TeacherGate}), M2 on M1's candidates denoised by the cross-encoder and M3 on M2's data plus
 * pseudo-labelled questions whose candidates the denoised model retrieved.
 */
final class RocketQaStages implements RecipeStages {

    static final String M1 = "m1-cross-batch";

    @Override
    public List<StageResult> run(TrainingPipeline steps) throws IOException {
        PipelineConfig config = steps.config();
        List<StageResult> results = new ArrayList<>();
        StageResult m1 = steps.dualEncoderStage(M1, config.student().base(), steps.bm25Negatives(), steps.crossBatch(), true);
        TeacherGate gate = steps.teacherGate(M1, m1.model());
        if (!gate.useTeacher()) {
            // Without the teacher, M2 would train on M1's BM25 negatives from the same start with the same seed: M1 again, bit
            // for bit. M1's own dense negatives undenoised are what RocketQA's denoising exists to avoid. So the recipe stops
            // at M1 and says so in M1's result.json.
            System.err.println("rocketqa: denoising and augmentation " + gate.reason() + "; m2-denoised and m3-augmented are "
                + "not trained, " + M1 + " is the recipe's model");
            m1 = m1.withNotes(TrainingPipeline.notes("denoising", gate.reason(), "augmentation", gate.reason()));
            m1.write(config.out().resolve(M1).resolve(StageResult.FILE));
            results.add(m1);
            return results;
        }
        if (!m1.notes().isEmpty()) {
            // An earlier run in this folder skipped the teacher; this one uses it, so M1's record no longer says otherwise.
            m1 = m1.withNotes(Map.of());
            m1.write(config.out().resolve(M1).resolve(StageResult.FILE));
        }
        results.add(m1);
        System.err.println("rocketqa: denoising and augmentation " + gate.reason());
        TrainingPipeline.DenoisedNegatives denoised = steps.denoisedNegatives(m1.model());
        StageResult m2 = steps.dualEncoderStage("m2-denoised", config.student().base(), epoch -> denoised.examples(), steps.crossBatch(), true,
            TrainingPipeline.notes("denoising", gate.reason() + "; " + denoised.summary()));
        results.add(m2);
        // RocketQA labels the augmentation questions' candidates as retrieved by the denoised model, not by M1.
        List<TrainingExample> pseudo = steps.pseudoLabelled(m2.model(), m1.model());
        if (pseudo.isEmpty()) {
            // M3's data would be M2's, and the seeded training would make M2 again.
            System.err.println("m3-augmented skipped: the cross-encoder labelled no pseudo question confidently (--augment "
                + config.teacher().augmentQuestions() + ", --positive-threshold " + config.teacher().thresholds().positiveAbove()
                + "); m2-denoised is the recipe's model");
            return results;
        }
        List<TrainingExample> augmented = new ArrayList<>(denoised.examples());
        augmented.addAll(pseudo);
        results.add(steps.dualEncoderStage("m3-augmented", config.student().base(), epoch -> augmented, steps.crossBatch(), true,
            TrainingPipeline.notes("augmentation", gate.reason() + "; " + pseudo.size() + " pseudo-labelled examples, candidates from "
                + "m2-denoised's ranking")));
        return results;
    }
}
