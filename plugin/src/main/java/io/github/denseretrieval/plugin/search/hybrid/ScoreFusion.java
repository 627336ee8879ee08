package io.github.denseretrieval.plugin.search.hybrid;

import org.apache.lucene.search.ScoreDoc;
import org.elasticsearch.search.rank.RankDoc;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * Fuses the ranked lists of several retrievers into one, by {@link FusionMethod#RRF} or
 * {@link FusionMethod#LINEAR}. A document absent from a child's list contributes 0 for that
 * child. Ties in the fused score go to the lower (shard, doc), as {@link RankDoc} orders them, so
 * results are deterministic. Immutable; thread-safe.
 *
 * @param weights        one per child (RRF: scales each child's {@code 1/(k + rank)} term)
 * @param normalizations one per child (LINEAR only)
 */
public record ScoreFusion(FusionMethod method, float[] weights, ScoreNormalization[] normalizations, int rankConstant, int windowSize) {

    public ScoreFusion {
        if (normalizations.length != weights.length) {
            throw new IllegalArgumentException("one normalizer per weight expected");
        }
    }

    /** Fuses {@code children} (each sorted best first) into at most {@code windowSize} documents, ranked from 1. */
    public HybridRankDoc[] fuse(java.util.List<ScoreDoc[]> children) {
        if (children.size() != weights.length) {
            throw new IllegalArgumentException("[hybrid] has " + weights.length + " weights but " + children.size() + " retrievers");
        }
        Map<RankDoc.RankKey, HybridRankDoc> byDoc = new HashMap<>();
        String name = method.jsonName();
        for (int c = 0; c < children.size(); c++) {
            ScoreDoc[] docs = children.get(c);
            float[] raw = new float[docs.length];
            for (int i = 0; i < docs.length; i++) {
                raw[i] = Float.isNaN(docs[i].score) ? 0f : docs[i].score;
            }
            float[] normalized = method == FusionMethod.LINEAR ? normalizations[c].apply(raw) : null;
            for (int i = 0; i < docs.length; i++) {
                final int children0 = children.size();
                HybridRankDoc d = byDoc.computeIfAbsent(new RankDoc.RankKey(docs[i].doc, docs[i].shardIndex),
                    k -> new HybridRankDoc(k.doc(), 0f, k.shardIndex(), children0, name));
                float contribution = method == FusionMethod.RRF
                    ? weights[c] / (rankConstant + i + 1)
                    : weights[c] * normalized[i];
                d.childRanks[c] = i + 1;
                d.childScores[c] = docs[i].score;
                d.contributions[c] = contribution;
                d.score += contribution;
            }
        }
        HybridRankDoc[] all = byDoc.values().toArray(HybridRankDoc[]::new);
        Arrays.sort(all);
        HybridRankDoc[] top = Arrays.copyOf(all, Math.min(windowSize, all.length));
        for (int r = 0; r < top.length; r++) {
            top[r].rank = r + 1;
        }
        return top;
    }
}
