package io.github.denseretrieval.evaluation.retrieval;

import io.github.denseretrieval.evaluation.beir.BeirDataset;
import io.github.denseretrieval.evaluation.beir.Passage;
import io.github.denseretrieval.evaluation.metrics.Qrels;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The passages, questions and judgements one evaluation runs on: a BEIR split, optionally cut
 * down for quick runs (first {@code maxQueries} questions of the split; the passages judged for
 * them plus the first {@code maxPassages} others). A cut-down set gives higher scores than the
 * full corpus, since there are fewer distractors: its figures are for smoke tests, not reports.
 */
public record EvaluationSet(List<Passage> passages, Map<String, String> queries, Qrels qrels, boolean reduced) {

    /** Loads {@code split} of {@code dataset}; {@code 0} limits mean "all". */
    public static EvaluationSet load(BeirDataset dataset, String split, int maxQueries, int maxPassages) throws IOException {
        Qrels qrels = dataset.qrels(split);
        Map<String, String> queries = dataset.queriesOf(qrels);
        List<Passage> corpus = dataset.corpus();
        if (maxQueries <= 0 && maxPassages <= 0) {
            return new EvaluationSet(corpus, queries, qrels, false);
        }
        Map<String, String> kept = new LinkedHashMap<>();
        for (Map.Entry<String, String> e : queries.entrySet()) {
            if (maxQueries > 0 && kept.size() >= maxQueries) {
                break;
            }
            kept.put(e.getKey(), e.getValue());
        }
        Set<String> judged = new LinkedHashSet<>();
        for (String qid : kept.keySet()) {
            judged.addAll(qrels.judgements(qid).keySet());
        }
        List<Passage> passages = new ArrayList<>();
        int others = 0;
        for (Passage p : corpus) {
            if (judged.contains(p.id())) {
                passages.add(p);
            } else if (maxPassages <= 0 || others < maxPassages) {
                passages.add(p);
                others++;
            }
        }
        return new EvaluationSet(passages, kept, qrels.restrictTo(kept.keySet()), true);
    }

    /** Passage texts as the models see them: title and text joined. */
    public List<String> passageTexts() {
        return passages.stream().map(Passage::titleAndText).toList();
    }

    public List<String> passageIds() {
        return passages.stream().map(Passage::id).toList();
    }
}
