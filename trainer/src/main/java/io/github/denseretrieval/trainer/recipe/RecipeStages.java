package io.github.denseretrieval.trainer.recipe;

import java.io.IOException;
import java.util.List;

/**
 * One paper's recipe: which stages it trains, on what, and when it stops early. The run's shared
 * steps (training and exporting a dual-encoder stage, the teacher, denoising, pseudo-labelling,
 * each reused from the run folder when an earlier run made it) are {@link TrainingPipeline}'s.
 */
interface RecipeStages {

    /** Runs the recipe's stages; returns each dual-encoder stage's result, in order (the last is the recipe's model). */
    List<StageResult> run(TrainingPipeline steps) throws IOException;
}
