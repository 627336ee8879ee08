package io.github.denseretrieval.trainer.eval;

import io.github.denseretrieval.trainer.metrics.Evaluator;
import io.github.denseretrieval.trainer.metrics.Qrels;
import io.github.denseretrieval.trainer.metrics.Run;
import io.github.denseretrieval.trainer.metrics.ScoredDoc;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Chooses the hybrid retriever's fusion and weights on <em>training</em> questions: fuses a BM25
 * run and a dense run client-side, exactly as the plugin's {@code hybrid} retriever does (RRF
 * {@code w / (rank_constant + rank)} or min-max normalised weighted sum, absent = 0), for dense
 * weights 0, 0.05, ..., 1 (BM25 weight = 1 - dense weight), and keeps the best nDCG@10. Weights 0
 * and 1 reproduce the single children, so the choice is never worse than the better child on the
 * questions it was chosen on. Stateless.
 */
public final class HybridTuning {

    /** A fusion setting and the nDCG@10 it reached on the tuning questions. */
    public record Choice(String fusion, double bm25Weight, double denseWeight, double ndcgAt10) {}

    public static final int RANK_CONSTANT = 60;

    private HybridTuning() {}

    /** The best setting over both fusions; ties keep the earlier (RRF first, lower dense weight first). */
    public static Choice tune(Qrels qrels, Run bm25, Run dense, int window) {
        return better(tune(qrels, bm25, dense, window, "rrf"), tune(qrels, bm25, dense, window, "linear"));
    }

    /** The best dense weight for one fusion ({@code rrf} or {@code linear}); ties keep the lower dense weight. */
    public static Choice tune(Qrels qrels, Run bm25, Run dense, int window, String fusion) {
        Choice best = null;
        for (int step = 0; step <= 20; step++) {
            double w = step / 20.0;
            double ndcg = Evaluator.evaluate(qrels, fuse(bm25, dense, fusion, 1 - w, w, window)).ndcgAt10();
            if (best == null || ndcg > best.ndcgAt10() + 1e-12) {
                best = new Choice(fusion, 1 - w, w, ndcg);
            }
        }
        return best;
    }

    /** The choice with the higher nDCG@10; {@code a} on a tie. */
    public static Choice better(Choice a, Choice b) {
        return b.ndcgAt10() > a.ndcgAt10() + 1e-12 ? b : a;
    }

    /** Fuses two runs (each list best first, as returned) with the plugin's formulas; each list is cut to {@code window} first. */
    public static Run fuse(Run first, Run second, String fusion, double firstWeight, double secondWeight, int window) {
        Set<String> queries = new LinkedHashSet<>(first.asMap().keySet());
        queries.addAll(second.asMap().keySet());
        Run out = new Run();
        for (String q : queries) {
            Map<String, Double> scores = new HashMap<>();
            // Ranks are taken in the order the search engine returned (its own tie-breaking), as the
            // hybrid retriever sees its children's lists; re-sorting ties would shift RRF ranks.
            add(scores, first.get(q), fusion, firstWeight, window);
            add(scores, second.get(q), fusion, secondWeight, window);
            List<ScoredDoc> docs = new ArrayList<>();
            scores.forEach((d, s) -> docs.add(new ScoredDoc(d, s)));
            List<ScoredDoc> ranked = Evaluator.trecOrder(docs);
            out.put(q, ranked.subList(0, Math.min(window, ranked.size())));
        }
        return out;
    }

    private static void add(Map<String, Double> scores, List<ScoredDoc> ranked, String fusion, double weight, int window) {
        List<ScoredDoc> top = ranked.subList(0, Math.min(window, ranked.size()));
        double min = Double.POSITIVE_INFINITY;
        double max = Double.NEGATIVE_INFINITY;
        for (ScoredDoc d : top) {
            min = Math.min(min, d.score());
            max = Math.max(max, d.score());
        }
        for (int i = 0; i < top.size(); i++) {
            double contribution = switch (fusion) {
                case "rrf" -> weight / (RANK_CONSTANT + i + 1);
                case "linear" -> weight * (max > min ? (top.get(i).score() - min) / (max - min) : 1.0);
                default -> throw new IllegalArgumentException("unknown fusion [" + fusion + "]; valid values are [rrf, linear]");
            };
            scores.merge(top.get(i).docId(), contribution, Double::sum);
        }
    }
}
