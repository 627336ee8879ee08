package io.github.denseretrieval.trainer.mining;

import io.github.denseretrieval.evaluation.beir.Passage;
import io.github.denseretrieval.trainer.train.TrainingExample;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

/**
 * Hard negatives sampled afresh every epoch: each question's candidates are the passages ranked
 * {@code [from, to)} (0-based) by a ranking such as BM25, minus its judged positives and minus
 * those a {@link Judge} calls likely positive; each epoch draws {@code count} of them at random.
 * The very top of a ranking is where unjudged relevant passages crowd (RocketQA's false
 * negatives), and one fixed negative per question is seen the same way every epoch; a window and
 * re-drawing address both. The candidates are judged once, at construction; drawing is
 * deterministic in (seed, epoch, question). Immutable; thread-safe.
 */
public final class SampledNegatives {

    /**
     * Says which candidates must not be drawn as negatives of a question: likely positives (or, for a
     * cross-encoder teacher following RocketQA, every candidate it is not confident is irrelevant).
     */
    @FunctionalInterface
    public interface Judge {
        /** One flag per candidate, true for one left out of the window. */
        boolean[] likelyPositive(String question, List<Passage> candidates);

        /** Calls nothing a likely positive. */
        Judge NONE = (question, candidates) -> new boolean[candidates.size()];
    }

    private final List<TrainingExample> examples;
    private final List<List<Passage>> candidates;
    private final int count;
    private final long seed;
    private final int judgedOut;

    /**
     * @param miner    ranks each question (its {@link NegativeMiner#candidates} already leave out the judged positives)
     * @param from     first rank of the window, 0-based, counted after the positives are removed
     * @param to       rank after the last one of the window
     * @param count    negatives drawn per question and epoch
     */
    public SampledNegatives(List<TrainingExample> examples, NegativeMiner miner, int from, int to, Judge judge, int count, long seed) {
        if (from < 0 || to <= from) {
            throw new IllegalArgumentException("negative window must be FROM:TO with 0 <= FROM < TO, got " + from + ":" + to);
        }
        if (count < 1) {
            throw new IllegalArgumentException("sampled negatives per question must be >= 1, got " + count);
        }
        this.examples = List.copyOf(examples);
        this.count = count;
        this.seed = seed;
        List<List<Passage>> out = new ArrayList<>(examples.size());
        int dropped = 0;
        for (TrainingExample e : examples) {
            List<Passage> ranked = miner.candidates(e);
            List<Passage> window = ranked.subList(Math.min(from, ranked.size()), Math.min(to, ranked.size()));
            boolean[] likely = window.isEmpty() ? new boolean[0] : judge.likelyPositive(e.query(), window);
            List<Passage> kept = new ArrayList<>();
            for (int i = 0; i < window.size(); i++) {
                if (likely[i]) {
                    dropped++;
                } else {
                    kept.add(window.get(i));
                }
            }
            out.add(List.copyOf(kept));
        }
        this.candidates = List.copyOf(out);
        this.judgedOut = dropped;
    }

    /** The examples with this epoch's negatives ({@code epoch} 1-based); the same call gives the same draw. */
    public List<TrainingExample> forEpoch(int epoch) {
        List<TrainingExample> out = new ArrayList<>(examples.size());
        for (int i = 0; i < examples.size(); i++) {
            List<Passage> pool = new ArrayList<>(candidates.get(i));
            Collections.shuffle(pool, new Random((seed * 1_000_003L + epoch) * 1_000_033L + i));
            out.add(examples.get(i).withNegatives(pool.subList(0, Math.min(count, pool.size()))));
        }
        return out;
    }

    /** Candidates the judge left out of the windows. */
    public int judgedOut() {
        return judgedOut;
    }

    /** The candidates each example's negatives are drawn from, in example order. */
    public List<List<Passage>> candidates() {
        return candidates;
    }
}
