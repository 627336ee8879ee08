package io.github.denseretrieval.plugin.search.hybrid;

import io.github.denseretrieval.fusion.FusionSpec;
import org.apache.lucene.search.ScoreDoc;
import org.elasticsearch.search.rank.RankDoc;

import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Fuses the ranked lists of several retrievers into one with {@link FusionSpec}'s arithmetic (the
 * same code the tuning tools run offline). A document absent from a child's list contributes 0 for
 * that child. Ties in the fused score go to the lower (shard, doc), as {@link RankDoc} orders them,
 * so results are deterministic. Immutable; thread-safe.
 */
public record ScoreFusion(FusionSpec spec, int windowSize) {

    /** Fuses {@code children} (each sorted best first) into at most {@code windowSize} documents, ranked from 1. */
    public HybridRankDoc[] fuse(List<ScoreDoc[]> children) {
        if (children.size() != spec.children()) {
            throw new IllegalArgumentException("the fusion has " + spec.children() + " weights but " + children.size() + " retrievers");
        }
        Map<RankDoc.RankKey, HybridRankDoc> byDoc = new HashMap<>();
        String name = spec.method().jsonName();
        int count = children.size();
        for (int c = 0; c < count; c++) {
            ScoreDoc[] docs = children.get(c);
            float[] raw = new float[docs.length];
            for (int i = 0; i < docs.length; i++) {
                raw[i] = docs[i].score;
            }
            float[] contributions = spec.contributions(c, raw);
            for (int i = 0; i < docs.length; i++) {
                HybridRankDoc d = byDoc.computeIfAbsent(new RankDoc.RankKey(docs[i].doc, docs[i].shardIndex),
                    k -> new HybridRankDoc(k.doc(), 0f, k.shardIndex(), count, name));
                d.childRanks[c] = i + 1;
                d.childScores[c] = docs[i].score;
                d.contributions[c] = contributions[i];
                d.score += contributions[i];
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
