package io.github.denseretrieval.trainer.mining;

import io.github.denseretrieval.evaluation.beir.Passage;
import io.github.denseretrieval.evaluation.metrics.ScoredDoc;
import io.github.denseretrieval.trainer.train.TrainingExample;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Hard negatives from a ranking: for each question, the best-ranked passages that are not judged
 * relevant to it. The ranking is BM25 (DPR) or the current dual encoder (RocketQA), given as a
 * function from question to ranked passage ids.
 */
public final class NegativeMiner {

    private final Map<String, Passage> corpus;
    private final Function<String, List<ScoredDoc>> ranking;

    public NegativeMiner(Map<String, Passage> corpus, Function<String, List<ScoredDoc>> ranking) {
        this.corpus = corpus;
        this.ranking = ranking;
    }

    /** Candidate negatives of {@code example}: its ranking without its positives, best first. */
    public List<Passage> candidates(TrainingExample example) {
        List<Passage> out = new ArrayList<>();
        for (ScoredDoc d : ranking.apply(example.query())) {
            if (!example.positiveIds().contains(d.docId()) && corpus.containsKey(d.docId())) {
                out.add(corpus.get(d.docId()));
            }
        }
        return out;
    }

    /** Each example with its {@code count} best candidates as negatives. */
    public List<TrainingExample> mine(List<TrainingExample> examples, int count) {
        List<TrainingExample> out = new ArrayList<>(examples.size());
        for (TrainingExample e : examples) {
            List<Passage> c = candidates(e);
            out.add(e.withNegatives(c.subList(0, Math.min(count, c.size()))));
        }
        return out;
    }
}
