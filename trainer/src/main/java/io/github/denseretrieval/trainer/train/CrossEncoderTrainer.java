package io.github.denseretrieval.trainer.train;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import io.github.denseretrieval.evaluation.beir.Passage;
import io.github.denseretrieval.trainer.model.CrossEncoder;
import io.github.denseretrieval.trainer.model.GraphScalar;
import io.github.denseretrieval.trainer.model.TorchRuntime;

import java.util.ArrayList;
import java.util.List;

/**
 * Trains the cross-encoder teacher as a binary classifier (sigmoid cross-entropy): each question
 * with its positive (label 1) and hard negatives (label 0) from the first dual encoder's ranking,
 * as RocketQA trains its cross-encoder. A probability, not just a ranking score, is what the
 * denoising and pseudo-labelling thresholds need.
 */
public final class CrossEncoderTrainer {

    private final CrossEncoder model;
    private final TrainingSettings settings;
    private final TrainingLog log;
    private int skippedUpdates;

    /** {@code settings.batchSize()} is questions per update; {@code negativesPerQuestion} pairs each with that many negatives. */
    public CrossEncoderTrainer(CrossEncoder model, TrainingSettings settings, TrainingLog log) {
        this.model = model;
        this.settings = settings;
        this.log = log;
    }

    /** Trains on {@code examples} in the shared {@link TrainingLoop}; returns the per-update losses. */
    public List<Float> train(String stage, List<TrainingExample> examples) {
        Engine engine = TorchRuntime.engine();
        // A teacher with NaN weights scores NaN, and NaN passes no threshold test: the loop stops before it labels anything.
        TrainingLoop.Outcome outcome = new TrainingLoop(stage, settings, "lower --ce-lr, train fewer --ce-epochs or use --ce-freeze-layers")
            .run(epoch -> examples, 1, List.of(model.block()), 1, batch -> backward(batch, engine), log, List.of());
        skippedUpdates = outcome.skippedUpdates();
        return outcome.losses();
    }

    /** Updates of the last {@link #train} call that were skipped because a gradient was not finite. */
    public int skippedUpdates() {
        return skippedUpdates;
    }

    /**
     * One update's gradients, accumulated question by question so that memory holds one
     * question's pairs at a time; the loss is the mean over all pairs of the batch.
     */
    private float backward(List<TrainingExample> batch, Engine engine) {
        int pairs = 0;
        for (TrainingExample e : batch) {
            pairs += 1 + Math.min(settings.negativesPerQuestion(), e.negatives().size());
        }
        double sum = 0;
        for (TrainingExample e : batch) {
            List<String> questions = new ArrayList<>();
            List<String> passages = new ArrayList<>();
            List<Float> labels = new ArrayList<>();
            questions.add(e.query());
            passages.add(e.positive().titleAndText());
            labels.add(1f);
            for (Passage n : e.negatives().subList(0, Math.min(settings.negativesPerQuestion(), e.negatives().size()))) {
                questions.add(e.query());
                passages.add(n.titleAndText());
                labels.add(0f);
            }
            float[] y = new float[labels.size()];
            for (int i = 0; i < y.length; i++) {
                y[i] = labels.get(i);
            }
            try (NDManager scope = model.manager().newSubManager();
                 GradientCollector collector = engine.newGradientCollector()) {
                NDArray logits = model.logits(scope, questions, passages, true);
                NDArray target = scope.create(y);
                // softplus(x) - y x is the binary cross-entropy of sigmoid(x); max(x,0) + log(1 + e^-|x|) keeps it finite.
                NDArray perPair = logits.maximum(GraphScalar.of(logits, 0f)).add(logits.abs().neg().exp().add(1f).log()).sub(logits.mul(target));
                NDArray l = perPair.sum().div(GraphScalar.of(perPair, pairs));
                sum += l.getFloat();
                collector.backward(l);
            }
        }
        return (float) sum;
    }
}
