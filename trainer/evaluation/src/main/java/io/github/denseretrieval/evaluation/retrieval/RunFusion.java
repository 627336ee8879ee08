package io.github.denseretrieval.evaluation.retrieval;

import io.github.denseretrieval.fusion.FusionSpec;
import io.github.denseretrieval.evaluation.metrics.Evaluator;
import io.github.denseretrieval.evaluation.metrics.Run;
import io.github.denseretrieval.evaluation.metrics.ScoredDoc;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Fuses retrieval runs client-side with the plugin's own arithmetic ({@link FusionSpec}), so that a
 * setting chosen on runs scores as the node's fusion retriever does: each child's list is cut to
 * the window first, as the retriever asks each child for {@code rank_window_size} hits. Stateless.
 */
public final class RunFusion {

    private RunFusion() {}

    /** {@code children} in the order of {@code spec}'s weights; each question's fused list holds at most {@code window} documents. */
    public static Run fuse(FusionSpec spec, List<Run> children, int window) {
        if (children.size() != spec.children()) {
            throw new IllegalArgumentException(spec + " has " + spec.children() + " weights but " + children.size() + " runs were given");
        }
        Set<String> queries = new LinkedHashSet<>();
        children.forEach(r -> queries.addAll(r.asMap().keySet()));
        Run out = new Run();
        for (String q : queries) {
            List<List<String>> keys = new ArrayList<>();
            List<float[]> scores = new ArrayList<>();
            for (Run child : children) {
                // Ranks in the order the engine returned its hits (its own tie-breaking), as the retriever sees them.
                List<ScoredDoc> ranked = child.get(q);
                List<ScoredDoc> top = ranked.subList(0, Math.min(window, ranked.size()));
                List<String> ids = new ArrayList<>(top.size());
                float[] raw = new float[top.size()];
                for (int i = 0; i < raw.length; i++) {
                    ids.add(top.get(i).docId());
                    raw[i] = (float) top.get(i).score();
                }
                keys.add(ids);
                scores.add(raw);
            }
            List<ScoredDoc> docs = new ArrayList<>();
            spec.fuse(keys, scores).forEach((d, f) -> docs.add(new ScoredDoc(d, f.score())));
            List<ScoredDoc> ranked = Evaluator.trecOrder(docs);
            out.put(q, ranked.subList(0, Math.min(window, ranked.size())));
        }
        return out;
    }
}
