package io.github.denseretrieval.trainer.recipe;

import io.github.denseretrieval.evaluation.beir.Passage;
import io.github.denseretrieval.trainer.model.CrossEncoder;
import io.github.denseretrieval.trainer.train.TrainingExample;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * The cross-encoder teacher applied to retrieved passages: it scores them and hands the
 * probabilities to RocketQA's rules, {@link DenoisingRule} for the hard negatives of labelled
 * questions and {@link PseudoLabelRule} for unlabelled ones. Uses the teacher from the calling
 * thread only.
 */
public final class CrossEncoderLabels {

    private static final int BATCH = 16;

    private final CrossEncoder teacher;
    private final TeacherThresholds thresholds;

    public CrossEncoderLabels(CrossEncoder teacher, TeacherThresholds thresholds) {
        this.teacher = teacher;
        this.thresholds = thresholds;
    }

    /** The denoised examples and what became of the candidates, for the run's record. */
    public record Denoised(List<TrainingExample> examples, int kept, int likelyPositive, int uncertain) {
        public int scored() {
            return kept + likelyPositive + uncertain;
        }

        /** One line for stderr and the stage's record. */
        public String summary(TeacherThresholds t) {
            return String.format(java.util.Locale.ROOT, "scored %d candidates: kept %d as negatives (p < %s), dropped %d as likely positive "
                + "(p > %s) and %d as uncertain", scored(), kept, t.negativeBelow(), likelyPositive, t.positiveAbove(), uncertain);
        }
    }

    /** For each example, scores its first {@code depth} candidates and keeps as its negatives those {@link DenoisingRule} keeps. */
    public Denoised denoise(List<TrainingExample> examples, Function<TrainingExample, List<Passage>> candidates, int depth) {
        DenoisingRule rule = new DenoisingRule(thresholds);
        List<TrainingExample> out = new ArrayList<>(examples.size());
        int kept = 0;
        int likelyPositive = 0;
        int uncertain = 0;
        try (ProgressBar bar = bar("denoising negatives", examples.size())) {
            for (TrainingExample e : examples) {
                List<Passage> c = candidates.apply(e);
                c = c.subList(0, Math.min(depth, c.size()));
                DenoisingRule.Outcome o = rule.apply(c, score(e.query(), c));
                kept += o.kept().size();
                likelyPositive += o.likelyPositive();
                uncertain += o.uncertain();
                out.add(e.withNegatives(o.kept()));
                bar.step();
            }
        }
        return new Denoised(out, kept, likelyPositive, uncertain);
    }

    /** Pseudo-labelled examples for unlabelled questions, by {@link PseudoLabelRule} over each one's candidates. */
    public List<TrainingExample> pseudoLabel(List<PseudoQuestions.Question> questions, Function<String, List<Passage>> candidates) {
        PseudoLabelRule rule = new PseudoLabelRule(thresholds);
        List<TrainingExample> out = new ArrayList<>();
        try (ProgressBar bar = bar("pseudo-labelling", questions.size())) {
            for (PseudoQuestions.Question q : questions) {
                List<Passage> c = candidates.apply(q.text());
                out.addAll(rule.label(q, c, score(q.text(), c)));
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
