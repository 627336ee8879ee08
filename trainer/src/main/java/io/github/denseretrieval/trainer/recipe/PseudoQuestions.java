package io.github.denseretrieval.trainer.recipe;

import io.github.denseretrieval.evaluation.beir.Passage;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.Set;

/**
 * Unlabelled questions for RocketQA's data augmentation when the data set has none: the titles
 * of passages that no training question judges. Scientific and encyclopedic titles read like
 * the claims and questions users type; they are not real questions, which is why the teacher,
 * not the title's own passage, decides what is relevant to them.
 */
public final class PseudoQuestions {

    public record Question(String id, String text, String sourcePassage) {}

    private PseudoQuestions() {}

    /** Up to {@code count} titles (at least four words long) of passages outside {@code judged}, chosen with {@code seed}. */
    public static List<Question> fromTitles(Collection<Passage> corpus, Set<String> judged, int count, long seed) {
        List<Passage> candidates = new ArrayList<>();
        for (Passage p : corpus) {
            if (!judged.contains(p.id()) && p.title() != null && p.title().trim().split("\\s+").length >= 4) {
                candidates.add(p);
            }
        }
        Collections.shuffle(candidates, new Random(seed));
        List<Question> out = new ArrayList<>();
        for (Passage p : candidates.subList(0, Math.min(count, candidates.size()))) {
            out.add(new Question("title-" + p.id(), p.title().trim(), p.id()));
        }
        return out;
    }
}
