package io.github.denseretrieval.trainer.recipe;

import ai.djl.Device;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.github.denseretrieval.encoder.EncoderOptions;
import io.github.denseretrieval.encoder.TextEncoder;
import io.github.denseretrieval.encoder.TextRole;
import io.github.denseretrieval.evaluation.beir.BeirDataset;
import io.github.denseretrieval.evaluation.beir.Passage;
import io.github.denseretrieval.trainer.data.TrainingData;
import io.github.denseretrieval.evaluation.retrieval.DenseEvaluation;
import io.github.denseretrieval.evaluation.retrieval.EvaluationSet;
import io.github.denseretrieval.evaluation.retrieval.ExactDenseSearch;
import io.github.denseretrieval.evaluation.retrieval.ProgressEncoder;
import io.github.denseretrieval.trainer.export.TrainedModelExport;
import io.github.denseretrieval.evaluation.metrics.MetricSummary;
import io.github.denseretrieval.evaluation.metrics.Qrels;
import io.github.denseretrieval.trainer.mining.Bm25Index;
import io.github.denseretrieval.trainer.mining.NegativeMiner;
import io.github.denseretrieval.trainer.mining.SampledNegatives;
import io.github.denseretrieval.trainer.model.BertTower;
import io.github.denseretrieval.trainer.model.CrossEncoder;
import io.github.denseretrieval.trainer.model.FrozenLayerCache;
import io.github.denseretrieval.trainer.model.TrainableEncoder;
import io.github.denseretrieval.trainer.train.CrossEncoderTrainer;
import io.github.denseretrieval.trainer.train.DualEncoderTrainer;
import io.github.denseretrieval.trainer.train.Replicas;
import io.github.denseretrieval.trainer.train.TrainingExample;
import io.github.denseretrieval.trainer.train.TrainingLog;
import io.github.denseretrieval.trainer.train.TrainingSettings;

import java.io.Closeable;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.Set;
import java.util.function.IntFunction;

/**
 * Runs a recipe stage by stage: which stages, in what order, is the recipe's ({@link
 * RecipeStages}: {@link DprStages}, {@link RocketQaStages}, {@link PairStages}); the steps they
 * share are here. Every stage leaves its artifact under the run folder ({@code <stage>/onnx}
 * model folders, {@code cross-encoder/}, mined and labelled data as DPR JSON) and a
 * {@code result.json}; a stage whose result is there is not run again, so an
 * interrupted run resumes at the stage it was in (from its last epoch checkpoint), and the PAIR
 * recipe reuses a RocketQA run's first dual encoder and cross-encoder when given the same folder.
 *
 * <ul>
 *   <li>dpr: {@code dpr} - in-batch negatives plus {@code --negatives} BM25 hard negatives.</li>
 *   <li>rocketqa: {@code m1-cross-batch} (BM25 negatives, batch {@code --cross-batch}),
 *       {@code cross-encoder} (negatives from M1's ranking), {@code m2-denoised} (those of M1's top
 *       passages the cross-encoder is confident are irrelevant), {@code m3-augmented} (M2's data
 *       plus pseudo questions whose M2-retrieved candidates the cross-encoder labelled).</li>
 *   <li>pair: rocketqa's M1 and cross-encoder, then {@code pair-pretrain} (pseudo-labelled data,
 *       loss {@code (1-alpha) L_Q + alpha L_P}) and {@code pair-finetune} (labelled data with
 *       denoised negatives, {@code L_Q} only, starting from the pre-trained model); with
 *       {@code --pair-pretrain-data labelled}, {@code pair-pretrain-labelled} and
 *       {@code pair-finetune-labelled} pre-train on the labelled data instead.</li>
 * </ul>
 */
public final class TrainingPipeline implements Closeable {

    private final PipelineConfig config;
    private final BeirDataset dataset;
    private final Map<String, Passage> corpus;
    private final Bm25Index bm25;
    private final DevSet dev;
    private final List<TrainingExample> labelled;
    private final TrainingLog log;
    private EvaluationSet evaluationSet;
    /** Corpus encodings by model folder: mining reuses the encoding the stage's evaluation made, and the other way round. */
    private final Map<Path, ExactDenseSearch> corpusIndexes = new java.util.HashMap<>();
    /** Dev figures of the models this run exported, by folder: the epoch-0 figure of a stage that starts from one of them. */
    private final Map<Path, MetricSummary> devFigures = new java.util.HashMap<>();
    /**
     * Frozen-layer states shared by the run's dual-encoder stages and dev checks: every stage
     * freezes the same layers of the same base weights, so the dev check's pass over the corpus
     * fills it for training's passages (validated by checksum before each use); null when off.
     */
    private FrozenLayerCache frozenStates;
    /** {@link #bm25Negatives()}, made at first use. */
    private IntFunction<List<TrainingExample>> bm25Negatives;

    private TrainingPipeline(PipelineConfig config, BeirDataset dataset, Map<String, Passage> corpus, Bm25Index bm25, DevSet dev,
                             List<TrainingExample> labelled, TrainingLog log) {
        this.config = config;
        this.dataset = dataset;
        this.corpus = corpus;
        this.bm25 = bm25;
        this.dev = dev;
        this.labelled = labelled;
        this.log = log;
    }

    public static TrainingPipeline open(PipelineConfig config) throws IOException {
        BeirDataset dataset = BeirDataset.open(config.data().folder());
        Map<String, Passage> corpus = TrainingData.corpusById(dataset);
        // Built before the dev hold-out needs it; rebuilt below if the corpus is cut down.
        Bm25Index bm25 = Bm25Index.build(List.copyOf(corpus.values()));
        DevSet dev;
        List<TrainingExample> labelled;
        Path labelledFile = config.data().labelledFile();
        if (labelledFile != null) {
            dev = DevSet.none();
            String file = labelledFile.getFileName().toString();
            labelled = file.endsWith(".json") ? TrainingData.fromDprJson(labelledFile) : TrainingData.fromTriplesTsv(labelledFile);
        } else {
            Qrels train = dataset.qrels(config.data().trainSplit());
            dev = DevSet.holdOut(train, dataset.queriesOf(train), corpus, bm25, config.data().devQuestions(), config.data().devFraction(), 20,
                config.dual().seed());
            labelled = TrainingData.fromBeir(dataset, config.data().trainSplit(), dev.questionIds());
        }
        if (config.data().maxTrainQuestions() > 0 && labelled.size() > config.data().maxTrainQuestions()) {
            labelled = List.copyOf(labelled.subList(0, config.data().maxTrainQuestions()));
        }
        if (config.data().maxPassages() > 0) {
            // The corpus of the whole run: every passage training or the dev check needs, plus the first N others. Built from
            // the training side only; the evaluation split's judged passages join the evaluation set alone (evaluate()).
            Set<String> needed = new HashSet<>();
            labelled.forEach(e -> needed.addAll(e.positiveIds()));
            needed.addAll(dev.judgedPassageIds());
            Map<String, Passage> reduced = new java.util.LinkedHashMap<>();
            int others = 0;
            for (Passage p : corpus.values()) {
                if (needed.contains(p.id())) {
                    reduced.put(p.id(), p);
                } else if (others < config.data().maxPassages()) {
                    reduced.put(p.id(), p);
                    others++;
                }
            }
            corpus = reduced;
            dev = dev.over(corpus);
            bm25.close();
            bm25 = Bm25Index.build(List.copyOf(corpus.values()));
        }
        Files.createDirectories(config.out());
        return new TrainingPipeline(config, dataset, corpus, bm25, dev, labelled, new TrainingLog(config.out()));
    }

    /** Runs the recipe; returns each dual-encoder stage's result, in order (the last is the recipe's model). */
    public List<StageResult> run() throws IOException {
        System.err.printf(Locale.ROOT, "recipe %s: %d labelled examples, %d dev questions held out (searched over the %d-passage corpus)%n",
            config.recipe().jsonName(), labelled.size(), dev.questionIds().size(), corpus.size());
        boolean wiseFt = !config.student().wiseFtAlphas().isEmpty();
        if (wiseFt && dev.isEmpty()) {
            // Checked before hours of training, not after.
            throw new IllegalArgumentException("--wise-ft chooses its weight on the dev split, and this run has none (--dev-fraction 0, "
                + "too few training questions, or --train-file); give it a dev split or drop --wise-ft");
        }
        List<StageResult> results = new ArrayList<>(config.recipe().stages().run(this));
        if (wiseFt) {
            results.add(WiseFtStage.run(this, results.get(results.size() - 1)));
        }
        return results;
    }

    PipelineConfig config() {
        return config;
    }

    /**
     * Each epoch's BM25 hard negatives: drawn from {@code --negative-window} when one is set,
     * else the top {@code --negatives} BM25 passages every epoch.
     */
    IntFunction<List<TrainingExample>> bm25Negatives() {
        // Made once: PAIR asks again for its labelled pre-training, and mining searches BM25 for every question.
        if (bm25Negatives == null) {
            if (config.negativeWindow().isSet()) {
                bm25Negatives = sampledBm25Negatives(SampledNegatives.Judge.NONE);
            } else {
                List<TrainingExample> mined = new NegativeMiner(corpus, q -> bm25.search(q, 30)).mine(labelled, config.dual().negativesPerQuestion());
                bm25Negatives = epoch -> mined;
            }
        }
        return bm25Negatives;
    }

    /** BM25 hard negatives drawn each epoch from {@code --negative-window}, without those {@code judge} calls likely positive. */
    private IntFunction<List<TrainingExample>> sampledBm25Negatives(SampledNegatives.Judge judge) {
        // Ranks are counted after the judged positives are removed: search deep enough for a question with several of them.
        NegativeMiner deep = new NegativeMiner(corpus, q -> bm25.search(q, config.negativeWindow().to() + 20));
        int count = Math.max(1, config.dual().negativesPerQuestion());
        SampledNegatives sampled = new SampledNegatives(labelled, deep, config.negativeWindow().from(), config.negativeWindow().to(), judge, count,
            config.dual().seed());
        System.err.printf(Locale.ROOT, "BM25 negatives: %d per question and epoch, drawn from ranks %d-%d; %d candidates judged likely positive%n",
            count, config.negativeWindow().from() + 1, config.negativeWindow().to(), sampled.judgedOut());
        return sampled::forEpoch;
    }

    /** As {@link #bm25Negatives} from the window, without the candidates the teacher (trained first if needed) calls likely positive. */
    IntFunction<List<TrainingExample>> teacherJudgedBm25Negatives(Path m1) throws IOException {
        try (CrossEncoder teacher = teacher(m1)) {
            return sampledBm25Negatives(new CrossEncoderJudge(teacher, new DenoisingRule(config.teacher().thresholds())));
        }
    }

    /** The dual-encoder settings with RocketQA's cross batch ({@code --cross-batch}) as the batch size. */
    TrainingSettings crossBatch() {
        TrainingSettings d = config.dual();
        return new TrainingSettings(config.crossBatch(), d.chunkSize(), d.forwardPasses(), d.frozenCache(), d.frozenCacheBytes(), d.negativesPerQuestion(),
            d.epochs(), d.maxSteps(), d.learningRate(), d.warmupFraction(), d.weightDecay(), d.maxGradNorm(), d.temperature(), d.alpha(), d.seed());
    }

    /** Trains one dual encoder from {@code warmStart} on {@code examples}, exports it and evaluates it. */
    StageResult dualEncoderStage(String stage, Path warmStart, List<TrainingExample> examples, TrainingSettings settings) throws IOException {
        return dualEncoderStage(stage, warmStart, examples, settings, true);
    }

    /** As above; {@code evaluated} false skips the evaluation split (intermediate models). */
    StageResult dualEncoderStage(String stage, Path warmStart, List<TrainingExample> examples, TrainingSettings settings, boolean evaluated)
        throws IOException {
        return dualEncoderStage(stage, warmStart, epoch -> examples, settings, evaluated);
    }

    /** As above with each epoch's examples from {@code perEpoch} (hard negatives drawn again each epoch). */
    StageResult dualEncoderStage(String stage, Path warmStart, IntFunction<List<TrainingExample>> perEpoch, TrainingSettings settings,
                                 boolean evaluated) throws IOException {
        return dualEncoderStage(stage, warmStart, perEpoch, settings, evaluated, Map.of());
    }

    /** As above; {@code notes} (see {@link StageResult#notes}) go into the stage's result.json and model provenance. */
    StageResult dualEncoderStage(String stage, Path warmStart, IntFunction<List<TrainingExample>> perEpoch, TrainingSettings settings,
                                 boolean evaluated, Map<String, String> notes) throws IOException {
        List<TrainingExample> examples = perEpoch.apply(1);
        StageResult earlier = earlierResult(stage);
        if (earlier != null) {
            return earlier;
        }
        Path dir = config.out().resolve(stage);
        Path checkpoint = dir.resolve("checkpoint");
        int firstEpoch = 1;
        Path start = warmStart;
        if (config.resume() && Files.exists(checkpoint.resolve("state.json"))) {
            JsonObject state = JsonParser.parseString(Files.readString(checkpoint.resolve("state.json"), StandardCharsets.UTF_8)).getAsJsonObject();
            firstEpoch = state.get("epoch").getAsInt() + 1;
            start = checkpoint.resolve(TrainedModelExport.ONNX_DIR);
            System.err.println("stage " + stage + ": resuming after epoch " + (firstEpoch - 1) + " from " + start);
        }
        long t0 = System.nanoTime();
        List<Float> losses;
        int skipped;
        JsonObject provenance = provenance(stage, settings, examples.size());
        notes.forEach(provenance::addProperty);
        Path model;
        PipelineConfig.StudentModel student = config.student();
        Path queryStart = student.separateTowers() ? TrainedModelExport.queryTowerOf(start) : null;
        List<TrainableEncoder> copies = new ArrayList<>();
        try (TrainableEncoder encoder = TrainableEncoder.open(start, queryStart, student.device(), student.queryMaxLength(), student.passageMaxLength());
             Closeable closeCopies = () -> copies.forEach(TrainableEncoder::close)) {
            for (Device other : student.devices().subList(1, student.devices().size())) {
                copies.add(TrainableEncoder.open(start, queryStart, other, student.queryMaxLength(), student.passageMaxLength()));
            }
            List<TrainableEncoder> replicas = new ArrayList<>(List.of(encoder));
            replicas.addAll(copies);
            replicas.forEach(r -> r.towers().forEach(t -> t.freezeBottom(student.freezeLayers())));
            DualEncoderTrainer trainer = new DualEncoderTrainer(Replicas.of(replicas), settings, log, frozenStates());
            if (!dev.isEmpty() && firstEpoch == 1) {
                MetricSummary m = devFigures.get(start.toAbsolutePath().normalize());
                if (m == null) {
                    m = devCheck(encoder, stage + " epoch 0");
                } else {
                    System.err.printf(Locale.ROOT, "%s epoch 0: dev nDCG@10 %.4f (the warm start's, measured earlier in this run)%n", stage,
                        m.ndcgAt10());
                }
                log.dev(stage, 0, m.ndcgAt10(), m.recallAt100());
            }
            MetricSummary[] lastDev = new MetricSummary[1];
            losses = trainer.train(stage, perEpoch, firstEpoch, (epoch, step) -> {
                try {
                    if (!dev.isEmpty()) {
                        MetricSummary m = devCheck(encoder, stage + " epoch " + epoch);
                        log.dev(stage, epoch, m.ndcgAt10(), m.recallAt100());
                        lastDev[0] = m;
                    }
                    if (epoch < settings.epochs()) {
                        writeCheckpoint(encoder, warmStart, checkpoint, stage, epoch, provenance);
                    }
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            skipped = trainer.skippedUpdates();
            provenance.addProperty("train_seconds", Math.round((System.nanoTime() - t0) / 1e9));
            provenance.addProperty("skipped_updates", skipped);
            provenance.addProperty("max_grad_norm", settings.maxGradNorm());
            if (!losses.isEmpty()) {
                provenance.addProperty("first_loss", losses.get(0));
                provenance.addProperty("last_loss", losses.get(losses.size() - 1));
            }
            model = export(encoder, dir, modelName(stage), provenance, config.exportTensorflow());
            if (lastDev[0] != null) {
                // A later stage warm-started from this model starts from this figure: no need to measure it again.
                devFigures.put(model.toAbsolutePath().normalize(), lastDev[0]);
            }
        }
        double trainSeconds = (System.nanoTime() - t0) / 1e9;
        StageFigures figures = evaluated ? evaluateStage(stage, model) : StageFigures.NONE;
        StageResult result = new StageResult(stage, config.recipe().jsonName(), model, examples.size(), losses.size(), trainSeconds,
            figures.split(), figures.ndcgAt10(), figures.recallAt100(), figures.mrrAt10(), figures.seconds(), skipped, notes);
        result.write(dir.resolve(StageResult.FILE));
        deleteRecursively(checkpoint);
        return result;
    }

    private void writeCheckpoint(TrainableEncoder encoder, Path warmStart, Path checkpoint, String stage, int epoch, JsonObject provenance)
        throws IOException {
        deleteRecursively(checkpoint);
        JsonObject p = provenance.deepCopy();
        p.addProperty("checkpoint_epoch", epoch);
        export(encoder, checkpoint, modelName(stage) + "-epoch" + epoch, p, false);
        JsonObject state = new JsonObject();
        state.addProperty("stage", stage);
        state.addProperty("epoch", epoch);
        state.addProperty("warm_start", warmStart.toString());
        Files.writeString(checkpoint.resolve("state.json"), state.toString(), StandardCharsets.UTF_8);
    }

    /**
     * Writes the encoder's model folder, {@code <out>/onnx}; with separate towers that folder is
     * the passage tower (what an ingest pipeline names) and {@code <out>/query/onnx} the question
     * tower (what the {@code dense} query names). Returns the first.
     */
    private Path export(TrainableEncoder encoder, Path out, String name, JsonObject provenance, boolean tensorflow) throws IOException {
        BertTower passages = encoder.tower(TextRole.PASSAGE);
        if (!encoder.separateTowers()) {
            return TrainedModelExport.write(config.student().base(), passages.trainedWeights(), passages.trainedTensors(), out, name, provenance,
                tensorflow);
        }
        JsonObject p = provenance.deepCopy();
        p.addProperty("tower", "passage");
        p.addProperty("query_model", name + "-query");
        Path model = TrainedModelExport.write(config.student().base(), passages.trainedWeights(), passages.trainedTensors(), out, name, p, tensorflow);
        BertTower questions = encoder.tower(TextRole.QUERY);
        JsonObject q = provenance.deepCopy();
        q.addProperty("tower", "query");
        q.addProperty("passage_model", name);
        TrainedModelExport.write(config.student().base(), questions.trainedWeights(), questions.trainedTensors(),
            out.resolve(TrainedModelExport.QUERY_TOWER_DIR), name + "-query", q, tensorflow);
        return model;
    }

    /** The stage's result from an earlier run in this run folder, or null when the stage has not finished there. */
    StageResult earlierResult(String stage) throws IOException {
        Path dir = config.out().resolve(stage);
        Path resultFile = dir.resolve(StageResult.FILE);
        if (!Files.exists(resultFile)) {
            return null;
        }
        System.err.println("stage " + stage + ": done in an earlier run, reusing " + dir);
        return StageResult.read(resultFile);
    }

    /** The figures a stage reports: its model on the evaluation split, printed and timed ({@link StageFigures#NONE} without a split). */
    StageFigures evaluateStage(String stage, Path model) throws IOException {
        String split = config.data().evalSplit();
        if (split == null) {
            return StageFigures.NONE;
        }
        long t0 = System.nanoTime();
        MetricSummary metrics = evaluate(model).metrics();
        double seconds = (System.nanoTime() - t0) / 1e9;
        System.err.printf(Locale.ROOT, "%s on %s: nDCG@10 %.4f  Recall@100 %.4f%n", stage, split, metrics.ndcgAt10(), metrics.recallAt100());
        return new StageFigures(split, metrics.ndcgAt10(), metrics.recallAt100(), metrics.mrrAt10(), seconds);
    }

    /** A stage's evaluation-split figures and the seconds they took; {@code split} is null when the stage was not evaluated. */
    record StageFigures(String split, double ndcgAt10, double recallAt100, double mrrAt10, double seconds) {
        static final StageFigures NONE = new StageFigures(null, Double.NaN, Double.NaN, Double.NaN, 0);
    }

    /**
     * The model folder evaluated on the evaluation split (or, without one, on the training split).
     * Only reported figures come from here; nothing in training reads its judgements.
     */
    DenseEvaluation evaluate(Path model) throws IOException {
        if (evaluationSet == null) {
            String split = config.data().evalSplit() != null ? config.data().evalSplit() : config.data().trainSplit();
            EvaluationSet full = EvaluationSet.load(dataset, split, 0, 0);
            if (config.data().maxPassages() <= 0) {
                // The run's corpus in the run's order, so the corpus encoding made for mining serves here too.
                evaluationSet = new EvaluationSet(List.copyOf(corpus.values()), full.queries(), full.qrels(), false);
            } else {
                // A cut-down run: its corpus plus the passages the evaluation questions judge, added here and only here.
                Map<String, Passage> passages = new java.util.LinkedHashMap<>(corpus);
                Map<String, Passage> all = TrainingData.corpusById(dataset);
                full.qrels().queryIds().forEach(q -> full.qrels().judgements(q).keySet().forEach(d -> {
                    if (all.containsKey(d)) {
                        passages.putIfAbsent(d, all.get(d));
                    }
                }));
                evaluationSet = new EvaluationSet(List.copyOf(passages.values()), full.queries(), full.qrels(), true);
            }
        }
        Path queryModel = TrainedModelExport.queryTowerOf(model);
        try (TextEncoder passages = TextEncoder.open(model, EncoderOptions.defaults());
             TextEncoder questions = queryModel.equals(model) ? null : TextEncoder.open(queryModel, EncoderOptions.defaults())) {
            TextEncoder q = questions != null ? questions : passages;
            return evaluationSet.reduced() ? DenseEvaluation.run(q, passages, evaluationSet)
                : DenseEvaluation.run(q, corpusIndex(model), evaluationSet);
        }
    }

    /** The run's corpus encoded by a model folder's passage encoder, made once per model: mining and evaluation share it. */
    private ExactDenseSearch corpusIndex(Path model) throws IOException {
        ExactDenseSearch cached = corpusIndexes.get(model);
        if (cached == null) {
            try (TextEncoder passages = TextEncoder.open(model, EncoderOptions.defaults())) {
                List<Passage> list = List.copyOf(corpus.values());
                cached = new ExactDenseSearch(list.stream().map(Passage::id).toList(),
                    new ProgressEncoder(passages).encodePassages(list.stream().map(Passage::titleAndText).toList()));
            }
            corpusIndexes.put(model, cached);
        }
        return cached;
    }

    /** The labelled examples with denoised negatives, and what denoising did, in words for the run's record. */
    record DenoisedNegatives(List<TrainingExample> examples, String summary) {}

    /**
     * The labelled examples whose negatives are those of M1's top {@code --mine-depth} passages the
     * cross-encoder is confident are not relevant ({@link DenoisingRule}). Cached in
     * {@code denoised-negatives.json}.
     */
    DenoisedNegatives denoisedNegatives(Path m1) throws IOException {
        Path file = config.out().resolve("denoised-negatives.json");
        if (Files.exists(file)) {
            List<TrainingExample> cached = TrainingData.fromDprJson(file);
            return new DenoisedNegatives(cached, "reused " + file.getFileName() + " of an earlier run: "
                + cached.stream().mapToInt(e -> e.negatives().size()).sum() + " negatives kept");
        }
        try (DenseRanking ranking = ranking(m1); CrossEncoder teacher = teacher(m1)) {
            CrossEncoderLabels labels = new CrossEncoderLabels(teacher, config.teacher().thresholds());
            NegativeMiner miner = new NegativeMiner(corpus, ranking::search);
            CrossEncoderLabels.Denoised d = labels.denoise(labelled, miner::candidates, config.teacher().mineDepth());
            String summary = d.summary(config.teacher().thresholds());
            System.err.println("denoising: " + summary);
            TrainingData.writeDprJson(d.examples(), corpus, file);
            return new DenoisedNegatives(d.examples(), summary);
        }
    }

    /**
     * Whether the teacher may denoise and label ({@link TeacherGate}). With {@code auto} and a dev
     * split it trains the teacher first if this run has none, for its dev figure; the student's is
     * M1's last dev check. Both are read back from {@code dev.csv}, so a resumed run decides as the
     * first one did without measuring again.
     */
    TeacherGate teacherGate(String studentStage, Path student) throws IOException {
        if (config.teacher().denoise() == TeacherGate.Mode.NEVER || dev.isEmpty()) {
            return TeacherGate.decide(config.teacher().denoise(), OptionalDouble.empty(), OptionalDouble.empty());
        }
        // Trained and dev-checked now if this run had no teacher yet; only its dev figure is needed here.
        teacher(student).close();
        return TeacherGate.decide(config.teacher().denoise(), log.lastDevNdcg("cross-encoder"), log.lastDevNdcg(studentStage));
    }

    /** A stage's notes ({@link StageResult#notes}) from alternating keys and values, in order. */
    static Map<String, String> notes(String... keysAndValues) {
        Map<String, String> out = new java.util.LinkedHashMap<>();
        for (int i = 0; i < keysAndValues.length; i += 2) {
            out.put(keysAndValues[i], keysAndValues[i + 1]);
        }
        return out;
    }

    /**
     * Pseudo-labelled examples: the pseudo questions' top {@code --mine-depth} passages as
     * {@code retriever} ranks them, labelled by the teacher (trained on {@code m1}'s negatives if
     * this run has none yet). Cached in {@code pseudo-labelled.json}.
     */
    List<TrainingExample> pseudoLabelled(Path retriever, Path m1) throws IOException {
        Path file = config.out().resolve("pseudo-labelled.json");
        if (config.teacher().augmentQuestions() == 0) {
            return List.of();
        }
        if (Files.exists(file)) {
            return TrainingData.fromDprJson(file);
        }
        List<PseudoQuestions.Question> questions = pseudoQuestions();
        try (DenseRanking ranking = ranking(retriever); CrossEncoder teacher = teacher(m1)) {
            List<TrainingExample> out = new CrossEncoderLabels(teacher, config.teacher().thresholds()).pseudoLabel(questions,
                q -> ranking.search(q).stream().limit(config.teacher().mineDepth()).map(d -> corpus.get(d.docId())).toList());
            System.err.printf(Locale.ROOT, "augmentation: %d pseudo questions gave %d examples (candidates from %s's ranking)%n", questions.size(),
                out.size(), stageOf(retriever));
            TrainingData.writeDprJson(out, corpus, file);
            return out;
        }
    }

    /**
     * Titles of passages no training question judges. Only the training split's judgements are
     * read: excluding the evaluation split's judged passages too would let test labels shape the
     * training data (and a run must work when the evaluation judgements are not there).
     */
    List<PseudoQuestions.Question> pseudoQuestions() throws IOException {
        Set<String> judged = new HashSet<>();
        if (config.data().labelledFile() == null) {
            Qrels train = dataset.qrels(config.data().trainSplit());
            train.queryIds().forEach(q -> judged.addAll(train.judgements(q).keySet()));
        }
        labelled.forEach(e -> judged.addAll(e.positiveIds()));
        return PseudoQuestions.fromTitles(corpus.values(), judged, config.teacher().augmentQuestions(), config.dual().seed());
    }

    /** The cross-encoder, trained on the labelled questions with negatives from {@code m1}'s ranking, or the one trained earlier. */
    private CrossEncoder teacher(Path m1) throws IOException {
        Path dir = config.out().resolve("cross-encoder");
        if (Files.exists(dir.resolve(StageResult.FILE))) {
            return CrossEncoder.load(dir, config.student().device(), config.teacher().maxLength());
        }
        TrainingSettings s = config.teacher().training();
        List<TrainingExample> examples;
        try (DenseRanking ranking = ranking(m1)) {
            examples = new NegativeMiner(corpus, ranking::search).mine(labelled, s.negativesPerQuestion());
        }
        long t0 = System.nanoTime();
        CrossEncoder model = CrossEncoder.fresh(config.teacher().base(), config.student().device(), config.teacher().maxLength(), s.seed());
        model.freezeBottom(config.teacher().freezeLayers());
        teacherDevCheck(model, 0);
        CrossEncoderTrainer trainer = new CrossEncoderTrainer(model, s, log);
        List<Float> losses = trainer.train("cross-encoder", examples);
        teacherDevCheck(model, s.epochs());
        model.save(dir);
        new StageResult("cross-encoder", config.recipe().jsonName(), dir, examples.size(), losses.size(), (System.nanoTime() - t0) / 1e9,
            null, Double.NaN, Double.NaN, Double.NaN, 0, trainer.skippedUpdates(), Map.of()).write(dir.resolve(StageResult.FILE));
        return model;
    }

    /** The run's frozen-layer cache if the settings turn it on for the frozen layers, made at first use. */
    private FrozenLayerCache frozenStates() {
        if (frozenStates == null && config.dual().frozenCache().enabled(config.student().freezeLayers())) {
            frozenStates = new FrozenLayerCache(config.dual().frozenCacheBytes());
        }
        return frozenStates;
    }

    /**
     * The dev figures of the model in training, {@code what} naming it in the message (a full-corpus
     * search: minutes on a CPU, so it says how long it took).
     */
    private MetricSummary devCheck(TrainableEncoder encoder, String what) {
        long t0 = System.nanoTime();
        MetricSummary m = dev.evaluate(encoder, frozenStates());
        System.err.printf(Locale.ROOT, "%s: dev nDCG@10 %.4f  Recall@100 %.4f (%d questions over %d passages, %.0f s)%n", what,
            m.ndcgAt10(), m.recallAt100(), dev.questionIds().size(), dev.corpusSize(), (System.nanoTime() - t0) / 1e9);
        return m;
    }

    /**
     * The dev figures of an exported model folder, read back into a trainable encoder with the
     * run's lengths and frozen layers: the protocol of the checks made in training, so the two
     * compare (and the run's frozen-layer outputs serve it).
     */
    MetricSummary devCheck(Path model, String what) throws IOException {
        PipelineConfig.StudentModel student = config.student();
        Path query = TrainedModelExport.queryTowerOf(model);
        try (TrainableEncoder encoder = TrainableEncoder.open(model, query.equals(model) ? null : query, student.device(),
            student.queryMaxLength(), student.passageMaxLength())) {
            encoder.towers().forEach(t -> t.freezeBottom(student.freezeLayers()));
            return devCheck(encoder, what);
        }
    }

    /** Logs how well the teacher orders the dev questions' candidates (epoch 0: the fresh head, a random order). */
    private void teacherDevCheck(CrossEncoder teacher, int epoch) {
        if (dev.isEmpty()) {
            return;
        }
        MetricSummary m = dev.evaluate(teacher);
        log.dev("cross-encoder", epoch, m.ndcgAt10(), m.recallAt100());
        System.err.printf(Locale.ROOT, "cross-encoder after %d epoch(s): dev nDCG@10 %.4f (re-ranking each dev question's BM25 top 20)%n",
            epoch, m.ndcgAt10());
    }

    private DenseRanking ranking(Path model) throws IOException {
        return new DenseRanking(TextEncoder.open(TrainedModelExport.queryTowerOf(model), EncoderOptions.defaults()), corpusIndex(model),
            Math.max(30, config.teacher().mineDepth()));
    }

    /** Ranks questions against a corpus encoding with the question encoder that goes with it. */
    private record DenseRanking(TextEncoder encoder, ExactDenseSearch index, int depth) implements Closeable {
        List<io.github.denseretrieval.evaluation.metrics.ScoredDoc> search(String question) {
            return index.search(encoder.encodeQuery(question), depth);
        }

        @Override
        public void close() {
            encoder.close();
        }
    }

    private JsonObject provenance(String stage, TrainingSettings s, int examples) {
        JsonObject p = new JsonObject();
        p.addProperty("recipe", config.recipe().jsonName());
        p.addProperty("stage", stage);
        p.addProperty("data", config.data().labelledFile() != null ? config.data().labelledFile().getFileName().toString()
            : config.data().folder().toAbsolutePath().normalize().getFileName() + " qrels/" + config.data().trainSplit() + ".tsv");
        p.addProperty("training_examples", examples);
        p.addProperty("batch_size", s.batchSize());
        p.addProperty("forward_passes", s.forwardPasses().jsonName());
        // What the setting came to (auto resolves by the frozen layers), so a reader needs no rule to know which path trained.
        p.addProperty("frozen_cache", s.frozenCache().enabled(config.student().freezeLayers()) ? "on" : "off");
        p.addProperty("hard_negatives_per_question", s.negativesPerQuestion());
        if (config.negativeWindow().isSet()) {
            p.addProperty("bm25_negative_window", (config.negativeWindow().from() + 1) + ":" + config.negativeWindow().to());
        }
        p.addProperty("epochs", s.epochs());
        p.addProperty("learning_rate", s.learningRate());
        p.addProperty("temperature", s.temperature());
        p.addProperty("alpha", s.alpha());
        p.addProperty("seed", s.seed());
        p.addProperty("frozen_layers", config.student().freezeLayers());
        p.addProperty("query_max_length", config.student().queryMaxLength());
        p.addProperty("passage_max_length", config.student().passageMaxLength());
        p.addProperty("towers", config.student().separateTowers() ? "separate" : "shared");
        p.addProperty("trainer", "dense-retrieval trainer 0.1.0 (DJL PyTorch)");
        return p;
    }

    /** The stage a model folder of this run belongs to ({@code <out>/<stage>/onnx}), for messages. */
    private static String stageOf(Path model) {
        Path stage = model.toAbsolutePath().normalize().getParent();
        return stage == null || stage.getFileName() == null ? model.toString() : stage.getFileName().toString();
    }

    String modelName(String stage) {
        return config.out().toAbsolutePath().normalize().getFileName() + "-" + stage;
    }

    static void deleteRecursively(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (var paths = Files.walk(dir)) {
            for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }

    public List<TrainingExample> labelled() {
        return labelled;
    }

    /** The held-out dev split (empty when the labelled data comes from a file). */
    DevSet dev() {
        return dev;
    }

    @Override
    public void close() throws IOException {
        bm25.close();
    }
}
