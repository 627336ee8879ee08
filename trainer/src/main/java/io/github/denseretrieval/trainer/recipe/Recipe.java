package io.github.denseretrieval.trainer.recipe;

import java.util.Locale;

/** The training pipelines of the three papers; see {@link TrainingPipeline} for their stages. */
public enum Recipe {
    /** One stage: in-batch negatives plus BM25 hard negatives. */
    DPR(new DprStages()),
    /** Cross-batch negatives (M1), cross-encoder, denoised hard negatives (M2), pseudo-labelled augmentation (M3). */
    ROCKETQA(new RocketQaStages()),
    /** RocketQA's M1 and cross-encoder, then pre-training on pseudo-labelled data with the passage-centric loss, then fine-tuning. */
    PAIR(new PairStages());

    private final RecipeStages stages;

    Recipe(RecipeStages stages) {
        this.stages = stages;
    }

    /** The recipe's stages, run by {@link TrainingPipeline#run}. */
    RecipeStages stages() {
        return stages;
    }

    public static Recipe fromName(String name) {
        try {
            return valueOf(name.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown recipe [" + name + "]; use one of dpr, rocketqa, pair");
        }
    }

    public String jsonName() {
        return name().toLowerCase(Locale.ROOT);
    }
}
