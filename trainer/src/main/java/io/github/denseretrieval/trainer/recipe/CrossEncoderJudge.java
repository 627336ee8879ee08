package io.github.denseretrieval.trainer.recipe;

import io.github.denseretrieval.evaluation.beir.Passage;
import io.github.denseretrieval.trainer.mining.SampledNegatives;
import io.github.denseretrieval.trainer.model.CrossEncoder;

import java.util.List;

/**
 * The cross-encoder teacher as the judge of sampled hard negatives: a candidate it gives a
 * relevance probability above the threshold is taken for an unlabelled positive (RocketQA's
 * denoising, applied to a BM25 window). Uses the teacher from the calling thread only.
 */
final class CrossEncoderJudge implements SampledNegatives.Judge {

    private final CrossEncoder teacher;
    private final float threshold;

    CrossEncoderJudge(CrossEncoder teacher, float threshold) {
        this.teacher = teacher;
        this.threshold = threshold;
    }

    @Override
    public boolean[] likelyPositive(String question, List<Passage> candidates) {
        float[] p = teacher.probabilities(question, candidates.stream().map(Passage::titleAndText).toList(), 16);
        boolean[] out = new boolean[p.length];
        for (int i = 0; i < p.length; i++) {
            out[i] = p[i] > threshold;
        }
        return out;
    }
}
