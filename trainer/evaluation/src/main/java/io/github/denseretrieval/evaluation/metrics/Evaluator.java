package io.github.denseretrieval.evaluation.metrics;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * nDCG@10, MRR@10 and Recall@100 as {@code trec_eval} (and {@code pytrec_eval}, which BEIR uses)
 * define them, so that figures compare with published tables:
 * <ul>
 *   <li>documents are ranked by score, descending, ties broken by document id descending
 *       (trec_eval sorts by score, then by docno in reverse string order);</li>
 *   <li>nDCG uses the grade as gain and {@code log2(rank + 1)} as discount; the ideal ranking is the
 *       judged grades sorted descending, cut at the same depth;</li>
 *   <li>MRR@10 is the reciprocal rank of the first document with grade &gt; 0 in the top 10;</li>
 *   <li>Recall@100 is the fraction of documents with grade &gt; 0 found in the top 100.</li>
 * </ul>
 * The mean runs over every question of the qrels (a question the run lacks counts 0), the BEIR
 * convention; a question with no document of grade &gt; 0 counts 0 as well. Stateless.
 */
public final class Evaluator {

    private Evaluator() {}

    /** The standard summary: nDCG@10, MRR@10, Recall@100. */
    public static MetricSummary evaluate(Qrels qrels, Run run) {
        Map<String, double[]> perQuery = new LinkedHashMap<>();
        double ndcg = 0;
        double mrr = 0;
        double recall = 0;
        for (String qid : qrels.queryIds()) {
            Map<String, Integer> judged = qrels.judgements(qid);
            List<ScoredDoc> ranked = trecOrder(run.get(qid));
            double[] values = {ndcg(ranked, judged, 10), reciprocalRank(ranked, judged, 10), recall(ranked, judged, 100)};
            perQuery.put(qid, values);
            ndcg += values[0];
            mrr += values[1];
            recall += values[2];
        }
        int n = Math.max(1, qrels.queryIds().size());
        return new MetricSummary(ndcg / n, mrr / n, recall / n, qrels.queryIds().size(), perQuery);
    }

    /** {@code docs} in trec_eval's order: score descending, then document id descending. */
    public static List<ScoredDoc> trecOrder(List<ScoredDoc> docs) {
        List<ScoredDoc> sorted = new ArrayList<>(docs);
        sorted.sort(Comparator.comparingDouble(ScoredDoc::score).reversed().thenComparing(ScoredDoc::docId, Comparator.reverseOrder()));
        return sorted;
    }

    /** nDCG at depth {@code k} of an already trec-ordered ranking. */
    public static double ndcg(List<ScoredDoc> ranked, Map<String, Integer> judged, int k) {
        double dcg = 0;
        for (int i = 0; i < Math.min(k, ranked.size()); i++) {
            int gain = judged.getOrDefault(ranked.get(i).docId(), 0);
            if (gain > 0) {
                dcg += gain / log2(i + 2);
            }
        }
        List<Integer> ideal = judged.values().stream().filter(g -> g > 0).sorted(Comparator.reverseOrder()).toList();
        double idcg = 0;
        for (int i = 0; i < Math.min(k, ideal.size()); i++) {
            idcg += ideal.get(i) / log2(i + 2);
        }
        return idcg == 0 ? 0 : dcg / idcg;
    }

    /** Reciprocal rank of the first relevant document within depth {@code k}, or 0. */
    public static double reciprocalRank(List<ScoredDoc> ranked, Map<String, Integer> judged, int k) {
        for (int i = 0; i < Math.min(k, ranked.size()); i++) {
            if (judged.getOrDefault(ranked.get(i).docId(), 0) > 0) {
                return 1.0 / (i + 1);
            }
        }
        return 0;
    }

    /** Fraction of relevant documents within depth {@code k}. */
    public static double recall(List<ScoredDoc> ranked, Map<String, Integer> judged, int k) {
        long relevant = judged.values().stream().filter(g -> g > 0).count();
        if (relevant == 0) {
            return 0;
        }
        int found = 0;
        for (int i = 0; i < Math.min(k, ranked.size()); i++) {
            if (judged.getOrDefault(ranked.get(i).docId(), 0) > 0) {
                found++;
            }
        }
        return (double) found / relevant;
    }

    private static double log2(double x) {
        return Math.log(x) / Math.log(2);
    }
}
