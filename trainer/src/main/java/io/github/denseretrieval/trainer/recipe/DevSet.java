package io.github.denseretrieval.trainer.recipe;

import io.github.denseretrieval.encoder.TextRole;
import io.github.denseretrieval.trainer.beir.Passage;
import io.github.denseretrieval.trainer.eval.ExactDenseSearch;
import io.github.denseretrieval.trainer.metrics.Evaluator;
import io.github.denseretrieval.trainer.metrics.MetricSummary;
import io.github.denseretrieval.trainer.metrics.Qrels;
import io.github.denseretrieval.trainer.mining.Bm25Index;
import io.github.denseretrieval.trainer.metrics.ScoredDoc;
import io.github.denseretrieval.trainer.model.CrossEncoder;
import io.github.denseretrieval.trainer.model.TrainableEncoder;
import io.github.denseretrieval.trainer.metrics.Run;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

/**
 * The dev check run after every epoch: training questions held out of training (chosen with
 * the seed), ranked by the model being trained over a pool of candidates (each question's BM25
 * top {@code depth} plus its judged passages). Re-ranking a pool instead of searching the corpus
 * keeps a check to seconds on a CPU; its figures are higher than full-corpus figures and serve
 * only to follow training (the curve in {@code dev-ndcg.png}), never as a report.
 */
public final class DevSet {

    private final Map<String, String> questions;
    private final Qrels qrels;
    private final List<Passage> pool;
    /** Each question's own candidates (its BM25 top {@code depth} and judged passages): what a re-ranker is checked on. */
    private final Map<String, List<Passage>> candidates;

    private DevSet(Map<String, String> questions, Qrels qrels, List<Passage> pool, Map<String, List<Passage>> candidates) {
        this.questions = questions;
        this.qrels = qrels;
        this.pool = pool;
        this.candidates = candidates;
    }

    /** Holds out {@code count} questions of {@code qrels} (none if 0). */
    public static DevSet holdOut(Qrels qrels, Map<String, String> queries, Map<String, Passage> corpus, Bm25Index bm25, int count, int depth,
                                 long seed) {
        List<String> ids = new ArrayList<>(qrels.queryIds());
        java.util.Collections.shuffle(ids, new Random(seed));
        Map<String, String> chosen = new LinkedHashMap<>();
        for (String id : ids.subList(0, Math.min(count, ids.size()))) {
            chosen.put(id, queries.get(id));
        }
        Set<String> poolIds = new LinkedHashSet<>();
        Map<String, List<Passage>> candidates = new LinkedHashMap<>();
        for (Map.Entry<String, String> q : chosen.entrySet()) {
            Set<String> own = new LinkedHashSet<>(qrels.judgements(q.getKey()).keySet());
            for (ScoredDoc d : bm25.search(q.getValue(), depth)) {
                own.add(d.docId());
            }
            poolIds.addAll(own);
            candidates.put(q.getKey(), own.stream().filter(corpus::containsKey).map(corpus::get).toList());
        }
        List<Passage> pool = poolIds.stream().filter(corpus::containsKey).map(corpus::get).toList();
        return new DevSet(chosen, qrels.restrictTo(chosen.keySet()), pool, candidates);
    }

    public Set<String> questionIds() {
        return questions.keySet();
    }

    /** Every passage the dev questions judge: a cut-down corpus must keep them. */
    public Set<String> judgedPassageIds() {
        Set<String> out = new LinkedHashSet<>();
        qrels.queryIds().forEach(q -> out.addAll(qrels.judgements(q).keySet()));
        return out;
    }

    public boolean isEmpty() {
        return questions.isEmpty();
    }

    public int poolSize() {
        return pool.size();
    }

    public MetricSummary evaluate(TrainableEncoder encoder) {
        List<String> ids = new ArrayList<>(questions.keySet());
        float[][] q = encoder.encode(ids.stream().map(questions::get).toList(), TextRole.QUERY, 32);
        float[][] p = encoder.encode(pool.stream().map(Passage::titleAndText).toList(), TextRole.PASSAGE, 16);
        Map<String, float[]> byId = new LinkedHashMap<>();
        for (int i = 0; i < ids.size(); i++) {
            byId.put(ids.get(i), q[i]);
        }
        return Evaluator.evaluate(qrels, new ExactDenseSearch(pool.stream().map(Passage::id).toList(), p).searchAll(byId, 100));
    }

    /**
     * The cross-encoder teacher re-ranking each question's own candidates. Only the order inside a
     * question's candidates counts, so Recall@100 is 1 by construction and nDCG@10 is the figure:
     * it says whether the teacher ranks better than the dual encoder it is meant to correct.
     */
    public MetricSummary evaluate(CrossEncoder teacher) {
        Run run = new Run();
        for (Map.Entry<String, List<Passage>> e : candidates.entrySet()) {
            List<Passage> c = e.getValue();
            String question = questions.get(e.getKey());
            float[] p = teacher.probabilities(question, c.stream().map(Passage::titleAndText).toList(), 16);
            List<ScoredDoc> ranked = new ArrayList<>();
            for (int i = 0; i < c.size(); i++) {
                ranked.add(new ScoredDoc(c.get(i).id(), p[i]));
            }
            run.put(e.getKey(), ranked);
        }
        return Evaluator.evaluate(qrels, run);
    }
}
