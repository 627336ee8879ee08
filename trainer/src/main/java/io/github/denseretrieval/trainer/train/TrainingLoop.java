package io.github.denseretrieval.trainer.train;

import ai.djl.nn.Block;
import me.tongfei.progressbar.ProgressBar;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.function.IntFunction;

/**
 * The training loop, written once for every model the trainer trains: epochs of seeded shuffles
 * cut into full batches, one safe update per batch ({@link ParameterUpdater}) on the stage's
 * warm-up then linear-decay schedule ({@link UpdatePlan}). A trainer says only how one batch's
 * gradients are made ({@link BatchGradients}); everything around an update (steps.csv, the
 * progress bar, the warning for a skipped update, a trainer's per-epoch work such as checkpoints,
 * dev checks or cache validation) is a {@link Listener}. This is the idea of DJL's {@code
 * EasyTrain} with {@code TrainingListener}s, kept here because the gradient cache makes its own
 * backward passes and DJL's trainer expects to own them.
 */
final class TrainingLoop {

    /** Accumulates one batch's gradients into the model's parameters and returns the batch's loss. */
    @FunctionalInterface
    interface BatchGradients {
        float backward(List<TrainingExample> batch);
    }

    /** Told where the loop is; every method does nothing unless overridden. */
    interface Listener {
        /** Before the first batch of {@code epoch} (1-based). */
        default void epochStarting(int epoch) {
        }

        /** After each update, applied or skipped. */
        default void updateDone(Update update) {
        }

        /** After the last update of {@code epoch}; {@code step} counts the stage's updates so far. */
        default void epochDone(int epoch, int step) {
        }
    }

    /**
     * One update as the listeners see it.
     *
     * @param step               the stage's update count after this one (1-based)
     * @param gradientNorm       global gradient norm before clipping (not finite when the update was skipped)
     * @param applied            false when a non-finite gradient made the updater skip it
     * @param skipped            updates of the stage skipped so far
     * @param nonFinite          when skipped, the parameters whose gradient was not finite
     * @param questionsPerSecond questions trained on per second since this run of the stage started
     */
    record Update(String stage, int epoch, int step, float loss, float learningRate, double gradientNorm, boolean applied, int skipped,
                  List<String> nonFinite, double questionsPerSecond, double elapsedSeconds) {
    }

    /** What a stage's loop leaves: the per-update losses and how many updates were skipped. */
    record Outcome(List<Float> losses, int skippedUpdates) {
    }

    private final String stage;
    private final TrainingSettings settings;
    private final String divergenceAdvice;

    /** @param divergenceAdvice what to change when the loss stops being finite, e.g. "lower --lr" */
    TrainingLoop(String stage, TrainingSettings settings, String divergenceAdvice) {
        this.stage = stage;
        this.settings = settings;
        this.divergenceAdvice = divergenceAdvice;
    }

    /**
     * Trains {@code blocks} ({@code copies} replicas of one model holding the same gradients, see
     * {@link ParameterUpdater}) on each epoch's examples from {@code perEpoch} (1-based epoch;
     * every epoch must give the same number), from {@code firstEpoch} (above 1 when resuming: the
     * schedule continues where it stopped), writing each update to {@code log}.
     */
    Outcome run(IntFunction<List<TrainingExample>> perEpoch, int firstEpoch, List<? extends Block> blocks, int copies,
                BatchGradients gradients, TrainingLog log, List<? extends Listener> listeners) {
        List<TrainingExample> first = perEpoch.apply(firstEpoch);
        if (first.size() < 2) {
            throw new IllegalArgumentException("stage [" + stage + "] has " + first.size() + " training examples; at least 2 are needed");
        }
        int batch = Math.min(settings.batchSize(), first.size());
        UpdatePlan plan = UpdatePlan.of(settings, first.size(), firstEpoch);
        int done = plan.done();
        ParameterUpdater updater = new ParameterUpdater(blocks, plan.optimizer(), settings.maxGradNorm(), copies);
        List<Float> losses = new ArrayList<>();
        long start = System.nanoTime();
        int step = done;
        try (ProgressBar bar = plan.progressBar(stage)) {
            bar.stepTo(done);
            List<Listener> all = new ArrayList<>(List.of(new StepsFile(log), new Progress(bar), new SkipWarning()));
            all.addAll(listeners);
            for (int epoch = firstEpoch; epoch <= settings.epochs() && step < plan.total(); epoch++) {
                List<TrainingExample> order = new ArrayList<>(epoch == firstEpoch ? first : perEpoch.apply(epoch));
                if (order.size() != first.size()) {
                    throw new IllegalStateException("stage [" + stage + "]: epoch " + epoch + " has " + order.size() + " examples, epoch "
                        + firstEpoch + " had " + first.size() + "; the update schedule needs the same number every epoch");
                }
                for (Listener l : all) {
                    l.epochStarting(epoch);
                }
                // A seed per epoch, so a resumed run sees the batches the uninterrupted run would have.
                Collections.shuffle(order, new Random(settings.seed() * 1_000_003L + epoch));
                for (int from = 0; from + batch <= order.size() && step < plan.total(); from += batch) {
                    float loss = gradients.backward(order.subList(from, from + batch));
                    if (!Float.isFinite(loss)) {
                        throw new IllegalStateException("stage [" + stage + "]: loss became " + loss + " at update " + (step + 1) + "; "
                            + divergenceAdvice);
                    }
                    float lr = plan.schedule().getNewValue(step + 1 - done);
                    boolean applied = updater.step();
                    step++;
                    losses.add(loss);
                    double elapsed = (System.nanoTime() - start) / 1e9;
                    Update update = new Update(stage, epoch, step, loss, lr, updater.lastNorm(), applied, updater.skipped(),
                        updater.lastNonFinite(), (step - done) * (double) batch / elapsed, elapsed);
                    for (Listener l : all) {
                        l.updateDone(update);
                    }
                }
                for (Listener l : all) {
                    l.epochDone(epoch, step);
                }
            }
        }
        return new Outcome(losses, updater.skipped());
    }

    /** Each update as a row of steps.csv (and the loss plot). */
    private record StepsFile(TrainingLog log) implements Listener {
        @Override
        public void updateDone(Update u) {
            log.step(u.stage(), u.epoch(), u.step(), u.loss(), u.learningRate(), u.gradientNorm(), u.skipped(), u.questionsPerSecond(),
                u.elapsedSeconds());
        }
    }

    private record Progress(ProgressBar bar) implements Listener {
        @Override
        public void updateDone(Update u) {
            bar.stepTo(u.step());
            bar.setExtraMessage(String.format(Locale.ROOT, " loss %.4f", u.loss()));
        }
    }

    /** A skipped update is rare and matters (the run learns nothing from that batch): said on stderr as it happens. */
    private static final class SkipWarning implements Listener {
        @Override
        public void updateDone(Update u) {
            if (!u.applied()) {
                System.err.printf(Locale.ROOT, "stage [%s]: update %d skipped, a gradient was not finite (%d so far; loss %s; not finite in "
                    + "%d of the parameters, first %s)%n", u.stage(), u.step(), u.skipped(), u.loss(), u.nonFinite().size(),
                    u.nonFinite().subList(0, Math.min(5, u.nonFinite().size())));
            }
        }
    }
}
