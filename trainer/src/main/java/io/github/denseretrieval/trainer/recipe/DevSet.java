package io.github.denseretrieval.trainer.recipe;

import io.github.denseretrieval.encoder.TextRole;
import io.github.denseretrieval.evaluation.beir.Passage;
import io.github.denseretrieval.evaluation.retrieval.ExactDenseSearch;
import io.github.denseretrieval.evaluation.metrics.Evaluator;
import io.github.denseretrieval.evaluation.metrics.MetricSummary;
import io.github.denseretrieval.evaluation.metrics.Qrels;
import io.github.denseretrieval.evaluation.metrics.Run;
import io.github.denseretrieval.evaluation.metrics.ScoredDoc;
import io.github.denseretrieval.trainer.mining.Bm25Index;
import io.github.denseretrieval.trainer.model.CrossEncoder;
import io.github.denseretrieval.trainer.model.FrozenLayerCache;
import io.github.denseretrieval.trainer.model.FrozenLayerOutputs;
import io.github.denseretrieval.trainer.model.TrainableEncoder;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

/**
 * The dev split: training questions held out of training (chosen with the seed), on which every
 * dev figure of a run is measured. A dual encoder is checked the way it is used: its vectors for
 * the whole corpus of the run, exact dot-product search, nDCG@10 and Recall@100 over the top 100
 * (the test evaluation's protocol; only the split differs). Passages are encoded by the model in
 * training, truncated to the training passage length, which is what keeps a check to minutes on a
 * CPU: its figures follow training and choose settings, and are a little below what the exported
 * model gets at the model's full length. Frozen layers are run over the corpus once per run
 * ({@link FrozenLayerOutputs}). The cross-encoder teacher re-ranks each question's BM25
 * top {@code depth} from the same corpus, judged passages not added, so its figure is that of a
 * BM25 + cross-encoder pipeline over the full corpus. Not thread-safe (it drives the encoder).
 */
public final class DevSet {

    private final Map<String, String> questions;
    private final Qrels qrels;
    /** The run's corpus, shortest text first: chunks of similar length pad little. */
    private final List<Passage> corpus;
    /** Each question's BM25 top {@code depth}: what the teacher re-ranks. */
    private final Map<String, List<Passage>> bm25Candidates;
    /** The corpus below the dual encoder's first trainable layer, made by the first check that can use it. */
    private FrozenLayerOutputs belowTrainable;

    private DevSet(Map<String, String> questions, Qrels qrels, List<Passage> corpus, Map<String, List<Passage>> bm25Candidates) {
        this.questions = questions;
        this.qrels = qrels;
        this.corpus = corpus;
        this.bm25Candidates = bm25Candidates;
    }

    /** No dev questions (labelled data from a file): every check is skipped. */
    public static DevSet none() {
        return new DevSet(Map.of(), new Qrels(Map.of()), List.of(), Map.of());
    }

    /**
     * Holds out {@code count} questions of {@code qrels} if {@code count > 0}, else
     * {@code round(fraction x questions)}, the same ones for the same seed. {@code corpus} is
     * what the dual encoder searches; the caller may cut it down later with {@link #over}.
     */
    public static DevSet holdOut(Qrels qrels, Map<String, String> queries, Map<String, Passage> corpus, Bm25Index bm25, int count,
                                 double fraction, int depth, long seed) {
        if (count < 0 || !(fraction >= 0 && fraction < 1)) {
            throw new IllegalArgumentException("dev questions must be >= 0 and the dev fraction in [0, 1), got " + count + " and " + fraction);
        }
        List<String> ids = new ArrayList<>(qrels.queryIds());
        Collections.sort(ids);
        Collections.shuffle(ids, new Random(seed));
        int n = count > 0 ? Math.min(count, ids.size()) : (int) Math.round(fraction * ids.size());
        Map<String, String> chosen = new LinkedHashMap<>();
        for (String id : ids.subList(0, n)) {
            chosen.put(id, queries.get(id));
        }
        Map<String, List<Passage>> candidates = new LinkedHashMap<>();
        for (Map.Entry<String, String> q : chosen.entrySet()) {
            candidates.put(q.getKey(), bm25.search(q.getValue(), depth).stream().map(ScoredDoc::docId).filter(corpus::containsKey)
                .map(corpus::get).toList());
        }
        return new DevSet(chosen, qrels.restrictTo(chosen.keySet()), byLength(corpus.values()), candidates);
    }

    /** The same questions and teacher candidates, the dual encoder searching {@code runCorpus} instead. */
    public DevSet over(Map<String, Passage> runCorpus) {
        Map<String, List<Passage>> candidates = new LinkedHashMap<>();
        bm25Candidates.forEach((q, c) -> candidates.put(q, c.stream().filter(p -> runCorpus.containsKey(p.id())).toList()));
        return new DevSet(questions, qrels, byLength(runCorpus.values()), candidates);
    }

    private static List<Passage> byLength(java.util.Collection<Passage> passages) {
        List<Passage> out = new ArrayList<>(passages);
        out.sort(Comparator.comparingInt((Passage p) -> p.titleAndText().length()).thenComparing(Passage::id));
        return List.copyOf(out);
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

    /** Passages a dual-encoder check encodes. */
    public int corpusSize() {
        return corpus.size();
    }

    /**
     * The dual encoder's figures: the dev questions searched over the whole corpus by exact dot
     * product. With frozen layers, the corpus's outputs below the first trainable layer are kept
     * from the first check and later checks run only the trainable layers (they stay valid across
     * the stages of a run, which all freeze the same layers of the same base weights).
     */
    public MetricSummary evaluate(TrainableEncoder encoder) {
        return evaluate(encoder, null);
    }

    /**
     * As {@link #evaluate(TrainableEncoder)}, keeping the corpus's frozen-layer states in
     * {@code trainingCache} (the one training uses; null: this dev set's own outputs) instead:
     * the states a check computes are then the ones training takes for the same passages at the
     * same truncation length, and the corpus is kept once, not twice.
     */
    public MetricSummary evaluate(TrainableEncoder encoder, FrozenLayerCache trainingCache) {
        List<String> ids = new ArrayList<>(questions.keySet());
        float[][] q = encoder.encode(ids.stream().map(questions::get).toList(), TextRole.QUERY, 32);
        float[][] p;
        // With only the embeddings frozen, keeping their outputs (2 GB for SciFact at 256 tokens) would save a 13th of the work.
        boolean frozen = encoder.tower(TextRole.PASSAGE).frozenLayers() > 0;
        if (frozen && trainingCache != null) {
            trainingCache.validate(encoder);
            try (ProgressBar bar = progressBar("dev corpus, through the frozen-layer cache")) {
                p = encoder.encode(texts(), TextRole.PASSAGE, 16, trainingCache);
                bar.stepTo(corpus.size());
            }
            return metrics(ids, q, p);
        }
        if (frozen && (belowTrainable == null || !belowTrainable.validFor(encoder))) {
            try (ProgressBar bar = progressBar("dev corpus, frozen layers")) {
                belowTrainable = encoder.belowTrainable(texts(), TextRole.PASSAGE, 16, bar::stepTo);
            }
        }
        try (ProgressBar bar = progressBar(frozen ? "dev corpus, trainable layers" : "dev corpus")) {
            p = frozen ? encoder.encode(belowTrainable, bar::stepTo) : encoder.encode(texts(), TextRole.PASSAGE, 16);
        }
        return metrics(ids, q, p);
    }

    private MetricSummary metrics(List<String> ids, float[][] q, float[][] p) {
        Map<String, float[]> byId = new LinkedHashMap<>();
        for (int i = 0; i < ids.size(); i++) {
            byId.put(ids.get(i), q[i]);
        }
        return Evaluator.evaluate(qrels, new ExactDenseSearch(corpus.stream().map(Passage::id).toList(), p).searchAll(byId, 100));
    }

    private List<String> texts() {
        return corpus.stream().map(Passage::titleAndText).toList();
    }

    private ProgressBar progressBar(String task) {
        return new ProgressBarBuilder().setTaskName(task).setInitialMax(corpus.size()).setUnit(" passages", 1)
            .setStyle(ProgressBarStyle.ASCII).showSpeed().continuousUpdate().build();
    }

    /**
     * The cross-encoder teacher re-ranking each question's BM25 candidates: a judged passage BM25
     * does not retrieve counts as missed, as it would in a BM25 + re-ranker pipeline. Says whether
     * the teacher ranks better than the dual encoder it is meant to correct.
     */
    public MetricSummary evaluate(CrossEncoder teacher) {
        Run run = new Run();
        for (Map.Entry<String, List<Passage>> e : bm25Candidates.entrySet()) {
            List<Passage> c = e.getValue();
            List<ScoredDoc> ranked = new ArrayList<>();
            if (!c.isEmpty()) {
                float[] p = teacher.probabilities(questions.get(e.getKey()), c.stream().map(Passage::titleAndText).toList(), 16);
                for (int i = 0; i < c.size(); i++) {
                    ranked.add(new ScoredDoc(c.get(i).id(), p[i]));
                }
            }
            run.put(e.getKey(), ranked);
        }
        return Evaluator.evaluate(qrels, run);
    }
}
