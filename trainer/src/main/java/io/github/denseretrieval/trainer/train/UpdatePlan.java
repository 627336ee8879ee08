package io.github.denseretrieval.trainer.train;

import ai.djl.training.optimizer.Optimizer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * How many updates a stage makes and the optimiser that makes them: AdamW on the warm-up then
 * linear-decay schedule, shared by the dual-encoder and cross-encoder trainers.
 *
 * @param perEpoch updates per epoch (full batches only, so every update sees the configured negatives)
 * @param total    updates of the stage, after {@code maxSteps}
 * @param done     updates made before {@code firstEpoch} by an interrupted run of the same stage
 */
record UpdatePlan(int perEpoch, int total, int done, WarmupLinearDecay schedule, Optimizer optimizer) {

    /** @param firstEpoch 1-based epoch this run starts at (above 1 when resuming) */
    static UpdatePlan of(TrainingSettings settings, int examples, int firstEpoch) {
        int perEpoch = Math.max(1, examples / Math.min(settings.batchSize(), examples));
        int total = perEpoch * settings.epochs();
        if (settings.maxSteps() > 0) {
            total = Math.min(total, settings.maxSteps());
        }
        int done = Math.min(total, (firstEpoch - 1) * perEpoch);
        WarmupLinearDecay schedule = new WarmupLinearDecay(settings.learningRate(), Math.round(settings.warmupFraction() * total), total, done);
        Optimizer optimizer = Optimizer.adamW().optLearningRateTracker(schedule).optWeightDecays(settings.weightDecay()).build();
        return new UpdatePlan(perEpoch, total, done, schedule, optimizer);
    }

    /** A progress bar over the stage's updates, with rate and ETA, on stderr. */
    ProgressBar progressBar(String stage) {
        return new ProgressBarBuilder().setTaskName(stage).setInitialMax(total).setUnit(" updates", 1).setStyle(ProgressBarStyle.ASCII)
            .showSpeed().continuousUpdate().build();
    }
}
