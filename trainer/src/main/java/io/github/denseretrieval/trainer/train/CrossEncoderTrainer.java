package io.github.denseretrieval.trainer.train;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import io.github.denseretrieval.evaluation.beir.Passage;
import io.github.denseretrieval.trainer.model.CrossEncoder;
import io.github.denseretrieval.trainer.model.TorchRuntime;
import me.tongfei.progressbar.ProgressBar;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Random;

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

    public List<Float> train(String stage, List<TrainingExample> examples) {
        int batch = Math.min(settings.batchSize(), examples.size());
        UpdatePlan plan = UpdatePlan.of(settings, examples.size(), 1);
        int total = plan.total();
        WarmupLinearDecay schedule = plan.schedule();
        ParameterUpdater updater = new ParameterUpdater(List.of(model.block()), plan.optimizer(), settings.maxGradNorm());
        skippedUpdates = 0;
        Engine engine = TorchRuntime.engine();
        List<Float> losses = new ArrayList<>();
        long start = System.nanoTime();
        int step = 0;
        try (ProgressBar bar = plan.progressBar(stage)) {
            for (int epoch = 1; epoch <= settings.epochs() && step < total; epoch++) {
                List<TrainingExample> order = new ArrayList<>(examples);
                Collections.shuffle(order, new Random(settings.seed() * 1_000_003L + epoch));
                for (int from = 0; from + batch <= order.size() && step < total; from += batch) {
                    float value = backward(order.subList(from, from + batch), engine);
                    if (!Float.isFinite(value)) {
                        // A teacher with NaN weights scores NaN, and NaN passes no threshold test: stop before it labels anything.
                        throw new IllegalStateException("stage [" + stage + "]: loss became " + value + " at update " + (step + 1)
                            + "; lower --ce-lr, train fewer --ce-epochs or use --ce-freeze-layers");
                    }
                    float lr = schedule.getNewValue(step + 1);
                    if (!updater.step()) {
                        System.err.printf(java.util.Locale.ROOT, "stage [%s]: update %d skipped, a gradient was not finite (%d so far)%n", stage,
                            step + 1, updater.skipped());
                    }
                    skippedUpdates = updater.skipped();
                    step++;
                    losses.add(value);
                    double elapsed = (System.nanoTime() - start) / 1e9;
                    log.step(stage, epoch, step, value, lr, updater.lastNorm(), updater.skipped(), step * (double) batch / elapsed, elapsed);
                    bar.stepTo(step);
                    bar.setExtraMessage(String.format(Locale.ROOT, " loss %.4f", value));
                }
            }
        }
        return losses;
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
                NDArray perPair = logits.maximum(0f).add(logits.abs().neg().exp().add(1f).log()).sub(logits.mul(target));
                NDArray l = perPair.sum().div(pairs);
                sum += l.getFloat();
                collector.backward(l);
            }
        }
        return (float) sum;
    }
}
