package io.github.denseretrieval.fusion;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The arithmetic of a hybrid fusion, shared by the search plugin and the tuning tools so that a
 * setting chosen offline scores documents exactly as a node does. Each child contributes, for
 * the document at rank {@code r} (from 1) of its list with score {@code s}: RRF
 * {@code weight / (rankConstant + r)} (Cormack et al., 2009), or linear
 * {@code weight * normalizer(s)}. A document's fused score is the sum over the children whose
 * lists hold it. Immutable.
 *
 * <p>A linear fusion may take its <em>candidates</em> from one child: only that child's top
 * {@code candidates} documents are fused, and every child's scores are normalised over those
 * documents alone (a document a child did not return scores 0 there, the lowest score
 * Elasticsearch gives). The other children then re-order the candidate child's best documents
 * but cannot bring in their own: on collections where the lexical child is much weaker than the
 * dense one, its stray hits are what makes a plain linear fusion lose to dense alone (README,
 * "Hybrid on collections nobody tuned on").
 *
 * @param normalizers     one per child; ignored by RRF
 * @param candidatesChild the child whose top documents are the only candidates, or -1 for all
 *                        children's documents
 * @param candidates      how many of that child's documents are candidates (0 when
 *                        {@code candidatesChild} is -1)
 */
public record FusionSpec(FusionMethod method, float[] weights, ScoreNormalizer[] normalizers, int rankConstant, int candidatesChild,
                         int candidates) {

    public FusionSpec {
        if (normalizers.length != weights.length) {
            throw new IllegalArgumentException("one normalizer per weight expected, got " + normalizers.length + " and " + weights.length);
        }
        if (candidatesChild < -1 || candidatesChild >= weights.length) {
            throw new IllegalArgumentException("[candidates] must come from one of the " + weights.length + " children, got child "
                + candidatesChild);
        }
        if (candidatesChild >= 0 && method != FusionMethod.LINEAR) {
            throw new IllegalArgumentException("[candidates] re-scores one child's documents by normalised scores: it needs linear "
                + "fusion, not " + method.jsonName());
        }
        if (candidatesChild >= 0 ? candidates < 1 : candidates != 0) {
            throw new IllegalArgumentException("[candidates] must be >= 1 for the child that supplies them, got [" + candidates + "]");
        }
        weights = weights.clone();
        normalizers = normalizers.clone();
    }

    /** A fusion of every child's documents. */
    public FusionSpec(FusionMethod method, float[] weights, ScoreNormalizer[] normalizers, int rankConstant) {
        this(method, weights, normalizers, rankConstant, -1, 0);
    }

    /** This fusion restricted to child {@code child}'s top {@code size} documents. */
    public FusionSpec withCandidates(int child, int size) {
        return new FusionSpec(method, weights, normalizers, rankConstant, child, size);
    }

    /** True when one child supplies the only candidates. */
    public boolean pooled() {
        return candidatesChild >= 0;
    }

    /** A linear fusion with one normaliser for every child. */
    public static FusionSpec linear(ScoreNormalizer normalizer, float... weights) {
        ScoreNormalizer[] n = new ScoreNormalizer[weights.length];
        Arrays.fill(n, normalizer);
        return new FusionSpec(FusionMethod.LINEAR, weights, n, 0);
    }

    /** A weighted RRF. */
    public static FusionSpec rrf(int rankConstant, float... weights) {
        ScoreNormalizer[] n = new ScoreNormalizer[weights.length];
        Arrays.fill(n, ScoreNormalizer.NONE);
        return new FusionSpec(FusionMethod.RRF, weights, n, rankConstant);
    }

    public int children() {
        return weights.length;
    }

    /** What each entry of child {@code child}'s list (scores best first) adds to its document's fused score. */
    public float[] contributions(int child, float[] scores) {
        float[] out = new float[scores.length];
        if (method == FusionMethod.RRF) {
            for (int i = 0; i < out.length; i++) {
                out[i] = weights[child] / (rankConstant + i + 1);
            }
            return out;
        }
        float[] normalized = normalizers[child].apply(scores);
        for (int i = 0; i < out.length; i++) {
            out[i] = weights[child] * normalized[i];
        }
        return out;
    }

    /**
     * Fuses ranked lists of document keys: {@code keys.get(c)} and {@code scores.get(c)} are child
     * {@code c}'s documents and scores, best first, each key at most once per child. Returns every
     * fused document once, in no particular order (callers break ties their own way).
     */
    public <K> Map<K, FusedDoc> fuse(List<? extends List<K>> keys, List<float[]> scores) {
        int n = children();
        if (keys.size() != n || scores.size() != n) {
            throw new IllegalArgumentException("the fusion has " + n + " weights but " + keys.size() + " retrievers");
        }
        Map<K, FusedDoc> byKey = new LinkedHashMap<>();
        if (pooled()) {
            List<K> pool = keys.get(candidatesChild);
            for (K key : pool.subList(0, Math.min(candidates, pool.size()))) {
                byKey.putIfAbsent(key, new FusedDoc(n));
            }
        }
        for (int c = 0; c < n; c++) {
            List<K> list = keys.get(c);
            float[] s = scores.get(c);
            if (s.length != list.size()) {
                throw new IllegalArgumentException("retriever " + c + " has " + list.size() + " documents but " + s.length + " scores");
            }
            for (int i = 0; i < s.length; i++) {
                FusedDoc d = pooled() ? byKey.get(list.get(i)) : byKey.computeIfAbsent(list.get(i), k -> new FusedDoc(n));
                if (d != null && d.ranks[c] == FusedDoc.ABSENT) {
                    d.ranks[c] = i + 1;
                    d.rawScores[c] = s[i];
                }
            }
        }
        List<FusedDoc> docs = List.copyOf(byKey.values());
        for (int c = 0; c < n; c++) {
            // Each child's scores as the fusion sees them: its own list, or its scores of the candidates.
            List<FusedDoc> seen = new ArrayList<>();
            for (FusedDoc d : docs) {
                if (pooled() || d.ranks[c] != FusedDoc.ABSENT) {
                    seen.add(d);
                }
            }
            // In the child's own order: RRF's terms follow it (linear normalisers do not care).
            int child = c;
            seen.sort((a, b) -> Integer.compare(rankOrLast(a, child), rankOrLast(b, child)));
            float[] raw = new float[seen.size()];
            for (int i = 0; i < raw.length; i++) {
                FusedDoc d = seen.get(i);
                raw[i] = d.ranks[c] == FusedDoc.ABSENT ? 0f : d.rawScores[c];
            }
            float[] contributions = contributions(c, raw);
            for (int i = 0; i < raw.length; i++) {
                FusedDoc d = seen.get(i);
                d.contributions[c] = contributions[i];
                d.score += contributions[i];
            }
        }
        return byKey;
    }

    private static int rankOrLast(FusedDoc d, int child) {
        return d.ranks[child] == FusedDoc.ABSENT ? Integer.MAX_VALUE : d.ranks[child];
    }

    @Override
    public float[] weights() {
        return weights.clone();
    }

    @Override
    public ScoreNormalizer[] normalizers() {
        return normalizers.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof FusionSpec f && method == f.method && rankConstant == f.rankConstant && Arrays.equals(weights, f.weights)
            && Arrays.equals(normalizers, f.normalizers) && candidatesChild == f.candidatesChild && candidates == f.candidates;
    }

    @Override
    public int hashCode() {
        return 31 * (31 * (31 * method.hashCode() + Arrays.hashCode(weights)) + Arrays.hashCode(normalizers) + rankConstant)
            + 17 * candidatesChild + candidates;
    }

    @Override
    public String toString() {
        return method == FusionMethod.RRF ? "rrf(k=" + rankConstant + ", weights=" + Arrays.toString(weights) + ")"
            : "linear(" + Arrays.toString(normalizers) + ", weights=" + Arrays.toString(weights)
                + (pooled() ? ", candidates=top " + candidates + " of child " + candidatesChild : "") + ")";
    }
}
