package io.github.denseretrieval.trainer.recipe;

import io.github.denseretrieval.evaluation.beir.Passage;
import io.github.denseretrieval.trainer.model.CrossEncoder;
import io.github.denseretrieval.trainer.train.TrainingExample;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Function;

/**
 * What the cross-encoder teacher decides about retrieved passages: RocketQA's denoising (drop
 * retrieved "negatives" the teacher believes relevant) and its pseudo-labelling of unlabelled
 * questions (confident positives and negatives become training data).
 */
public final class CrossEncoderLabels {

    private static final int BATCH = 16;

    private final CrossEncoder teacher;

    public CrossEncoderLabels(CrossEncoder teacher) {
        this.teacher = teacher;
    }

    /** The denoised examples and how many candidates were scored and dropped, for the run's record. */
    public record Denoised(List<TrainingExample> examples, int scored, int dropped) {}

    /**
     * For each example, scores its first {@code depth} candidate negatives and keeps, in ranking
     * order, those whose probability of relevance is at most {@code threshold}.
     */
    public Denoised denoise(List<TrainingExample> examples, Function<TrainingExample, List<Passage>> candidates, int depth, float threshold) {
        List<TrainingExample> out = new ArrayList<>(examples.size());
        int scored = 0;
        int dropped = 0;
        try (ProgressBar bar = bar("denoising negatives", examples.size())) {
            for (TrainingExample e : examples) {
                List<Passage> c = candidates.apply(e);
                c = c.subList(0, Math.min(depth, c.size()));
                float[] p = score(e.query(), c);
                List<Passage> kept = new ArrayList<>();
                for (int i = 0; i < c.size(); i++) {
                    if (p[i] <= threshold) {
                        kept.add(c.get(i));
                    } else {
                        dropped++;
                    }
                }
                scored += c.size();
                out.add(e.withNegatives(kept));
                bar.step();
            }
        }
        return new Denoised(out, scored, dropped);
    }

    /**
     * Pseudo-labelled examples for unlabelled questions: candidates scored above {@code positive}
     * are positives, below {@code negative} negatives; a question without a confident positive
     * gives no example.
     */
    public List<TrainingExample> pseudoLabel(List<PseudoQuestions.Question> questions, Function<String, List<Passage>> candidates,
                                             float positive, float negative) {
        List<TrainingExample> out = new ArrayList<>();
        try (ProgressBar bar = bar("pseudo-labelling", questions.size())) {
            for (PseudoQuestions.Question q : questions) {
                List<Passage> c = candidates.apply(q.text());
                float[] p = score(q.text(), c);
                List<Passage> positives = new ArrayList<>();
                List<Passage> negatives = new ArrayList<>();
                for (int i = 0; i < c.size(); i++) {
                    if (p[i] > positive) {
                        positives.add(c.get(i));
                    } else if (p[i] < negative) {
                        negatives.add(c.get(i));
                    }
                }
                Set<String> ids = new HashSet<>();
                positives.forEach(x -> ids.add(x.id()));
                for (Passage pos : positives) {
                    out.add(new TrainingExample(q.id(), q.text(), pos, negatives, ids));
                }
                bar.step();
            }
        }
        return out;
    }

    private float[] score(String question, List<Passage> passages) {
        if (passages.isEmpty()) {
            return new float[0];
        }
        return teacher.probabilities(question, passages.stream().map(Passage::titleAndText).toList(), BATCH);
    }

    private static ProgressBar bar(String task, int max) {
        return new ProgressBarBuilder().setTaskName(task).setInitialMax(max).setUnit(" questions", 1).setStyle(ProgressBarStyle.ASCII)
            .showSpeed().continuousUpdate().build();
    }
}
