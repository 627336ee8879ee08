package io.github.denseretrieval.trainer.recipe;

import java.io.IOException;
import java.util.List;

/** DPR: one stage, in-batch negatives plus BM25 hard negatives. */
final class DprStages implements RecipeStages {

    @Override
    public List<StageResult> run(TrainingPipeline steps) throws IOException {
        PipelineConfig config = steps.config();
        return List.of(steps.dualEncoderStage("dpr", config.student().base(), steps.bm25Negatives(), config.dual(), true));
    }
}
