package io.github.denseretrieval.plugin.search.hybrid;

import io.github.denseretrieval.fusion.FusedDoc;
import io.github.denseretrieval.fusion.FusionSpec;
import org.apache.lucene.search.ScoreDoc;
import org.elasticsearch.search.rank.RankDoc;

import java.util.ArrayList;
import java.util.Arrays;
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
        List<List<RankDoc.RankKey>> keys = new ArrayList<>();
        List<float[]> scores = new ArrayList<>();
        for (ScoreDoc[] docs : children) {
            List<RankDoc.RankKey> k = new ArrayList<>(docs.length);
            float[] s = new float[docs.length];
            for (int i = 0; i < docs.length; i++) {
                k.add(new RankDoc.RankKey(docs[i].doc, docs[i].shardIndex));
                s[i] = docs[i].score;
            }
            keys.add(k);
            scores.add(s);
        }
        Map<RankDoc.RankKey, FusedDoc> fused = spec.fuse(keys, scores);
        String name = spec.method().jsonName();
        int count = children.size();
        HybridRankDoc[] all = new HybridRankDoc[fused.size()];
        int next = 0;
        for (Map.Entry<RankDoc.RankKey, FusedDoc> e : fused.entrySet()) {
            FusedDoc f = e.getValue();
            HybridRankDoc d = new HybridRankDoc(e.getKey().doc(), f.score(), e.getKey().shardIndex(), count, name);
            for (int c = 0; c < count; c++) {
                if (f.rank(c) != FusedDoc.ABSENT) {
                    d.childRanks[c] = f.rank(c);
                    d.childScores[c] = f.rawScore(c);
                }
                d.contributions[c] = f.contribution(c);
            }
            all[next++] = d;
        }
        Arrays.sort(all);
        HybridRankDoc[] top = Arrays.copyOf(all, Math.min(windowSize, all.length));
        for (int r = 0; r < top.length; r++) {
            top[r].rank = r + 1;
        }
        return top;
    }
}
