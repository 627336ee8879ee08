package io.github.denseretrieval.trainer.train;

import ai.djl.engine.Engine;
import io.github.denseretrieval.trainer.model.BertTower;
import io.github.denseretrieval.trainer.model.FrozenLayerCache;
import io.github.denseretrieval.trainer.model.TorchRuntime;
import io.github.denseretrieval.trainer.model.TrainableEncoder;
import me.tongfei.progressbar.ProgressBar;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

/**
 * Trains a dual encoder with the contrastive loss of DPR, RocketQA and PAIR: shuffled batches of
 * questions, each scored against every passage of the batch (positives, hard negatives, the other
 * questions' passages), updated with AdamW on a warm-up then linear-decay schedule. Batches go
 * through the {@link GradientCache}, so the batch size (the number of cross-batch negatives) is
 * not bounded by memory. With frozen layers, each text's states below the first trainable layer
 * are kept ({@link FrozenCache}), so a text seen again, in the same update's second pass or a
 * later update or epoch, runs only the trainable layers.
 */
public final class DualEncoderTrainer {

    /** Called after every epoch, e.g. to measure dev metrics and write a checkpoint. */
    @FunctionalInterface
    public interface EpochListener {
        void epochDone(int epoch, int globalStep);
    }

    private final Replicas replicas;
    private final TrainingSettings settings;
    private final TrainingLog log;
    /** A cache handed in to outlive this trainer (stages of a run share frozen weights); null: one per {@link #train} call. */
    private final FrozenLayerCache sharedFrozenCache;
    private FrozenLayerCache frozenCache;
    private int skippedUpdates;

    public DualEncoderTrainer(TrainableEncoder encoder, TrainingSettings settings, TrainingLog log) {
        this(Replicas.of(encoder), settings, log);
    }

    /** Trains {@code replicas} as one model, each update's batch spread over their devices. */
    public DualEncoderTrainer(Replicas replicas, TrainingSettings settings, TrainingLog log) {
        this(replicas, settings, log, null);
    }

    /**
     * As above, keeping frozen-layer states in {@code frozenCache} (when the settings turn the
     * cache on) so that they outlive this trainer; it is validated against the encoder first.
     */
    public DualEncoderTrainer(Replicas replicas, TrainingSettings settings, TrainingLog log, FrozenLayerCache frozenCache) {
        this.replicas = replicas;
        this.settings = settings;
        this.log = log;
        this.sharedFrozenCache = frozenCache;
    }

    /**
     * Trains on {@code examples} from epoch {@code firstEpoch} (1-based; above 1 when resuming,
     * the schedule then continues where it stopped). Returns the per-update losses.
     */
    public List<Float> train(String stage, List<TrainingExample> examples, int firstEpoch, EpochListener listener) {
        return train(stage, epoch -> examples, firstEpoch, listener);
    }

    /**
     * As {@link #train(String, List, int, EpochListener)} with each epoch's examples from
     * {@code perEpoch} (1-based epoch), e.g. hard negatives drawn again every epoch; every epoch
     * must give the same number of examples.
     */
    public List<Float> train(String stage, java.util.function.IntFunction<List<TrainingExample>> perEpoch, int firstEpoch,
                             EpochListener listener) {
        List<TrainingExample> examples = perEpoch.apply(firstEpoch);
        if (examples.size() < 2) {
            throw new IllegalArgumentException("stage [" + stage + "] has " + examples.size() + " training examples; at least 2 are needed");
        }
        int batch = Math.min(settings.batchSize(), examples.size());
        UpdatePlan plan = UpdatePlan.of(settings, examples.size(), firstEpoch);
        int total = plan.total();
        int done = plan.done();
        WarmupLinearDecay schedule = plan.schedule();
        ParameterUpdater updater = new ParameterUpdater(replicas.towers(), plan.optimizer(), settings.maxGradNorm(), replicas.size());
        skippedUpdates = 0;
        Engine engine = TorchRuntime.engine();
        frozenCache = frozenCacheFor(replicas.primary());
        GradientCache cache = new GradientCache(replicas, engine, settings.chunkSize(), settings.forwardPasses(), frozenCache);
        ContrastiveLoss loss = new ContrastiveLoss(settings.alpha(), settings.temperature());
        List<Float> losses = new ArrayList<>();
        long start = System.nanoTime();
        int step = done;
        try (ProgressBar bar = plan.progressBar(stage)) {
            bar.stepTo(done);
            for (int epoch = firstEpoch; epoch <= settings.epochs() && step < total; epoch++) {
                List<TrainingExample> order = new ArrayList<>(epoch == firstEpoch ? examples : perEpoch.apply(epoch));
                if (frozenCache != null) {
                    // Frozen weights do not change in training; checked per epoch anyway (the listener may do anything), not per batch.
                    frozenCache.validate(replicas.primary());
                }
                // A seed per epoch, so a resumed run sees the batches the uninterrupted run would have.
                Collections.shuffle(order, new Random(settings.seed() * 1_000_003L + epoch));
                for (int from = 0; from + batch <= order.size() && step < total; from += batch) {
                    ContrastiveBatch b = ContrastiveBatch.of(order.subList(from, from + batch), settings.negativesPerQuestion());
                    float value = cache.backward(b, loss);
                    if (!Float.isFinite(value)) {
                        throw new IllegalStateException("stage [" + stage + "]: loss became " + value + " at update " + (step + 1)
                            + "; lower --lr or raise --temperature");
                    }
                    float lr = schedule.getNewValue(step + 1 - done);
                    replicas.allReduceGradients();
                    if (!updater.step()) {
                        System.err.printf(java.util.Locale.ROOT, "stage [%s]: update %d skipped, a gradient was not finite (%d so far)%n", stage,
                            step + 1, updater.skipped());
                    }
                    skippedUpdates = updater.skipped();
                    step++;
                    losses.add(value);
                    double elapsed = (System.nanoTime() - start) / 1e9;
                    log.step(stage, epoch, step, value, lr, updater.lastNorm(), updater.skipped(), (step - done) * (double) batch / elapsed, elapsed);
                    bar.stepTo(step);
                    bar.setExtraMessage(String.format(java.util.Locale.ROOT, " loss %.4f", value));
                }
                listener.epochDone(epoch, step);
            }
        }
        if (frozenCache != null) {
            FrozenLayerCache.Stats s = frozenCache.stats();
            System.err.printf(java.util.Locale.ROOT, "stage [%s]: frozen-layer cache: %d texts kept (%.0f MB); %d texts taken from it, %d run "
                + "through the frozen layers (%d of them not kept: cache full)%n", stage, s.texts(), s.megabytes(), s.hits(), s.misses(), s.notKept());
        }
        return losses;
    }

    /** The cache the settings ask for with {@code encoder}'s frozen layers, or null for none. */
    private FrozenLayerCache frozenCacheFor(TrainableEncoder encoder) {
        int frozenLayers = encoder.towers().stream().mapToInt(BertTower::frozenLayers).min().orElse(-1);
        if (!settings.frozenCache().enabled(frozenLayers)) {
            if (settings.frozenCache() == FrozenCache.ON) {
                throw new IllegalArgumentException("--frozen-cache on needs frozen weights (--freeze-layers); nothing is frozen");
            }
            return null;
        }
        return sharedFrozenCache != null ? sharedFrozenCache : new FrozenLayerCache(settings.frozenCacheBytes());
    }

    /** The frozen-layer cache of the last {@link #train} call (its {@link FrozenLayerCache#stats}), or null if it had none. */
    public FrozenLayerCache frozenCache() {
        return frozenCache;
    }

    /** Updates of the last {@link #train} call that were skipped because a gradient was not finite (each is a row of steps.csv). */
    public int skippedUpdates() {
        return skippedUpdates;
    }
}
