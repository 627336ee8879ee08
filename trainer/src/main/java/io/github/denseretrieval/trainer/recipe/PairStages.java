package io.github.denseretrieval.trainer.recipe;

import io.github.denseretrieval.trainer.train.TrainingExample;

import java.io.IOException;
import java.util.List;
import java.util.function.IntFunction;

/**
 * PAIR: RocketQA's M1 and cross-encoder, then pre-training with the passage-centric loss on the
 * teacher's pseudo labels (or, with {@code --pair-pretrain-data labelled}, on the labelled data:
 * the paper's ablation for a teacher too weak to label confidently), then fine-tuning with the
 * question-centric loss on the denoised negatives.
 */
final class PairStages implements RecipeStages {

    @Override
    public List<StageResult> run(TrainingPipeline steps) throws IOException {
        PipelineConfig config = steps.config();
        StageResult m1 = steps.dualEncoderStage(RocketQaStages.M1, config.student().base(), steps.bm25Negatives(), steps.crossBatch(), true);
        List<TrainingExample> denoised = steps.denoisedNegatives(m1.model()).examples();
        // Stage names differ by pre-training data, so the two variants can share a run folder.
        String suffix = config.pair().pretrainOnLabelled() ? "-labelled" : "";
        IntFunction<List<TrainingExample>> pretrainData;
        if (config.pair().pretrainOnLabelled()) {
            // The teacher exists by now: it judges the window, as it denoises M1's candidates.
            pretrainData = config.negativeWindow().isSet() ? steps.teacherJudgedBm25Negatives(m1.model()) : steps.bm25Negatives();
        } else {
            // PAIR has no M2: its teacher labels what M1 retrieves.
            List<TrainingExample> pseudo = steps.pseudoLabelled(m1.model(), m1.model());
            pretrainData = epoch -> pseudo;
        }
        int pretrainExamples = pretrainData.apply(1).size();
        if (pretrainExamples < 2) {
            throw new IllegalStateException("PAIR pre-training needs pseudo-labelled data, but the cross-encoder labelled "
                + pretrainExamples + " examples (--augment " + config.teacher().augmentQuestions() + ", --positive-threshold "
                + config.teacher().thresholds().positiveAbove() + "); raise --augment, lower --positive-threshold, train the cross-encoder longer, "
                + "or pre-train on the labelled data (--pair-pretrain-data labelled)");
        }
        // The pre-trained model is an intermediate, not a row of the ablation: no test evaluation (it costs a corpus encoding).
        StageResult pretrain = steps.dualEncoderStage("pair-pretrain" + suffix, config.student().base(), pretrainData,
            steps.crossBatch().withAlpha(config.pair().alpha()), false);
        StageResult finetune = steps.dualEncoderStage("pair-finetune" + suffix, pretrain.model(), denoised, steps.crossBatch().withAlpha(0f));
        return List.of(pretrain, finetune);
    }
}
