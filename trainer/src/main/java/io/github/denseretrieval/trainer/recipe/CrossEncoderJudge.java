package io.github.denseretrieval.trainer.recipe;

import io.github.denseretrieval.evaluation.beir.Passage;
import io.github.denseretrieval.trainer.mining.SampledNegatives;
import io.github.denseretrieval.trainer.model.CrossEncoder;

import java.util.List;

/**
 * The cross-encoder teacher as the judge of sampled hard negatives: RocketQA's denoising applied
 * to a BM25 window, so a candidate may be drawn only when {@link DenoisingRule} keeps it (the
 * teacher is confident it is not relevant); likely and possible positives are left out. Uses the
 * teacher from the calling thread only.
 */
final class CrossEncoderJudge implements SampledNegatives.Judge {

    private final CrossEncoder teacher;
    private final DenoisingRule rule;

    CrossEncoderJudge(CrossEncoder teacher, DenoisingRule rule) {
        this.teacher = teacher;
        this.rule = rule;
    }

    @Override
    public boolean[] likelyPositive(String question, List<Passage> candidates) {
        float[] p = teacher.probabilities(question, candidates.stream().map(Passage::titleAndText).toList(), 16);
        boolean[] out = new boolean[p.length];
        for (int i = 0; i < p.length; i++) {
            out[i] = !rule.keeps(p[i]);
        }
        return out;
    }
}
