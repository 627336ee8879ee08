package io.github.denseretrieval.trainer.train;

import io.github.denseretrieval.trainer.model.BertTower;
import io.github.denseretrieval.trainer.model.FrozenLayerCache;
import io.github.denseretrieval.trainer.model.TorchRuntime;
import io.github.denseretrieval.trainer.model.TrainableEncoder;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.IntFunction;

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
     * the schedule then continues where it stopped), in the shared {@link TrainingLoop}. Returns
     * the per-update losses.
     */
    public List<Float> train(String stage, List<TrainingExample> examples, int firstEpoch, EpochListener listener) {
        return train(stage, epoch -> examples, firstEpoch, listener);
    }

    /**
     * As {@link #train(String, List, int, EpochListener)} with each epoch's examples from
     * {@code perEpoch} (1-based epoch), e.g. hard negatives drawn again every epoch; every epoch
     * must give the same number of examples.
     */
    public List<Float> train(String stage, IntFunction<List<TrainingExample>> perEpoch, int firstEpoch, EpochListener listener) {
        frozenCache = frozenCacheFor(replicas.primary());
        GradientCache cache = new GradientCache(replicas, TorchRuntime.engine(), settings.chunkSize(), settings.forwardPasses(), frozenCache);
        ContrastiveLoss loss = new ContrastiveLoss(settings.alpha(), settings.temperature());
        TrainingLoop.BatchGradients gradients = batch -> {
            float value = cache.backward(ContrastiveBatch.of(batch, settings.negativesPerQuestion()), loss);
            replicas.allReduceGradients();
            return value;
        };
        List<TrainingLoop.Listener> listeners = new ArrayList<>();
        if (frozenCache != null) {
            // Frozen weights do not change in training; checked per epoch anyway (the epoch listener may do anything), not per batch.
            listeners.add(new TrainingLoop.Listener() {
                @Override
                public void epochStarting(int epoch) {
                    frozenCache.validate(replicas.primary());
                }
            });
        }
        listeners.add(new TrainingLoop.Listener() {
            @Override
            public void epochDone(int epoch, int step) {
                listener.epochDone(epoch, step);
            }
        });
        TrainingLoop.Outcome outcome = new TrainingLoop(stage, settings, "lower --lr or raise --temperature")
            .run(perEpoch, firstEpoch, replicas.towers(), replicas.size(), gradients, log, listeners);
        skippedUpdates = outcome.skippedUpdates();
        if (frozenCache != null) {
            FrozenLayerCache.Stats s = frozenCache.stats();
            System.err.printf(Locale.ROOT, "stage [%s]: frozen-layer cache: %d texts kept (%.0f MB); %d texts taken from it, %d run "
                + "through the frozen layers (%d of them not kept: cache full)%n", stage, s.texts(), s.megabytes(), s.hits(), s.misses(), s.notKept());
        }
        return outcome.losses();
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
