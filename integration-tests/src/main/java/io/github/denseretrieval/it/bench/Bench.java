package io.github.denseretrieval.it.bench;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.github.denseretrieval.it.ClusterClient;
import io.github.denseretrieval.it.CommandRunner;
import io.github.denseretrieval.it.NodeCommandOptions;
import io.github.denseretrieval.it.SearchTemplates;
import io.github.denseretrieval.evaluation.beir.BeirDataset;
import io.github.denseretrieval.evaluation.beir.Passage;
import io.github.denseretrieval.evaluation.retrieval.EvaluationSet;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code ./bench}: starts one Elasticsearch node with the plugin (as the quickstart does), runs the
 * chosen suites on a BEIR dataset and writes {@code <out>/<suite>.json} and {@code <out>/<suite>.png}.
 * Every figure sits beside a yardstick measured in the same run on the same machine, because
 * absolute times on a shared machine drift by tens of percent between runs.
 */
@Command(name = "bench", mixinStandardHelpOptions = true, description = "Benchmarks of the dense-retrieval plugin on a real node.")
public final class Bench implements Callable<Integer> {

    static final List<String> SUITES = List.of("ingest", "query", "recall", "scale", "memory", "engines");

    @Parameters(index = "0", arity = "0..1", defaultValue = "all",
        description = "ingest, query, recall, scale, memory, engines or all (default: ${DEFAULT-VALUE}).")
    String suite;

    @Option(names = "--data", description = "BEIR dataset folder (default: ../shared/data/scifact).")
    Path data;

    @Option(names = "--split", defaultValue = "test", description = "qrels split whose questions are sent (default: ${DEFAULT-VALUE}).")
    String split;

    @Option(names = "--out", defaultValue = "bench-out", description = "Folder for the JSON and PNG files (default: ${DEFAULT-VALUE}).")
    Path out;

    @Option(names = "--quick", description = "Small sizes (30 questions, their judged passages + 100 others; without it 300 "
        + "and + 500): checks that every suite runs, not how fast.")
    boolean quick;

    @Option(names = "--full", description = "The scale suite also at 1,000,000 vectors (about 2 GB of vectors; hours on two cores).")
    boolean full;

    @Option(names = "--model", defaultValue = "bge-small-en-v1.5", description = "The bundled model to measure (default: ${DEFAULT-VALUE}).")
    String model;

    @Option(names = "--savedmodel", description = {"The engines suite's TensorFlow twin of --model (default: target/models/<model>-tf,",
        "which ./bench makes with bin/trainer export when it is missing)."})
    Path savedModel;

    @Mixin
    NodeCommandOptions nodeOptions = new NodeCommandOptions();

    public static void main(String[] args) {
        System.exit(run(new PrintWriter(System.err, true), args));
    }

    /** Runs the bench; returns the exit code (0 ok, 1 failure with the reason on {@code err}, 2 usage). */
    public static int run(PrintWriter err, String... args) {
        return CommandRunner.run(new Bench(), err, args);
    }

    @Override
    public Integer call() throws Exception {
        Path root = nodeOptions.root();
        List<String> suites = suite.equals("all") ? SUITES : List.of(suite);
        if (!SUITES.containsAll(suites)) {
            throw new IllegalArgumentException("unknown suite [" + suite + "]; valid suites are " + SUITES + " and all");
        }
        Path dataDir = nodeOptions.dataDir(data);
        if (!Files.isDirectory(dataDir)) {
            throw new IllegalArgumentException("no BEIR dataset at " + dataDir + "; pass --data DIR (corpus.jsonl, queries.jsonl, qrels/)");
        }
        Path modelDir = root.resolve("analysis-encoder/target/models").resolve(model);
        if (!Files.isDirectory(modelDir)) {
            throw new IllegalArgumentException("no model folder " + modelDir + " (mvn package builds the bundled ones)");
        }
        // Checked before any suite runs: `all` reaches the engines suite last, an hour in.
        Path tensorFlowTwin = suites.contains("engines") ? savedModelOf(root) : null;
        EvaluationSet loaded = EvaluationSet.load(BeirDataset.open(dataDir), split, quick ? 30 : 300, quick ? 100 : 500);
        // A passage with no text gets no vector (the processor answers 400), so neither side measures it.
        List<Passage> passages = loaded.passages().stream().filter(p -> !p.titleAndText().isBlank()).toList();
        EvaluationSet set = new EvaluationSet(passages, loaded.queries(), loaded.qrels(), loaded.reduced());
        Files.createDirectories(out);
        LocalEncoding local = null;
        if (!List.of("memory").containsAll(suites)) {
            System.out.printf(Locale.ROOT, "encoding %d passages and %d questions in-process (the yardstick) ...%n", passages.size(),
                set.queries().size());
            local = LocalEncoding.of(modelDir, set);
            System.out.printf(Locale.ROOT, "in-process: %.2f passages/s%n", local.passagesPerSecond());
        }

        Path work = nodeOptions.workDir("bench");
        Files.createDirectories(work);
        // Every suite starts its own node(s) from a fresh folder, one at a time, so no suite inherits another's index or memory.
        BenchNodes nodes = new BenchNodes(root, work, nodeOptions.heap());
        SearchTemplates templates = SearchTemplates.load(root.resolve("es-config"));
        for (String s : suites) {
            ObjectNode result = switch (s) {
                case "ingest" -> IngestSuite.run(nodes, model, set, local, quick);
                case "query" -> {
                    try (BenchNodes.Session session = nodes.start(model, List.of())) {
                        String index = "dense-bench-query";
                        session.setup().ensureIndex(index, set, local.passageVectors().values().iterator().next().length, dataDir);
                        yield QuerySuite.run(session.client(), index, session.setup().pipeline(), templates, model, local, set.queries(),
                            passages);
                    }
                }
                case "recall" -> {
                    try (BenchNodes.Session session = nodes.start(model, List.of())) {
                        yield RecallSuite.run(session.client(), local, set.qrels());
                    }
                }
                case "scale" -> {
                    try (BenchNodes.Session session = nodes.start(model, List.of())) {
                        yield ScaleSuite.run(session, model, templates, local, passages, set.queries(), ScaleSuite.sizes(quick, full));
                    }
                }
                case "memory" -> MemorySuite.run(nodes, model, passages, quick);
                case "engines" -> EngineSuite.run(nodes, model, modelDir, tensorFlowTwin, set, dataDir, local, templates);
                default -> throw new AssertionError(s);
            };
            result.put("suite", s);
            result.put("quick", quick);
            result.put("dataset", dataDir.toAbsolutePath().normalize().getFileName().toString());
            result.put("model", model);
            result.put("cores", Runtime.getRuntime().availableProcessors());
            Path json = out.resolve(s + ".json");
            Files.writeString(json, ClusterClient.json().writerWithDefaultPrettyPrinter().writeValueAsString(result) + "\n",
                StandardCharsets.UTF_8);
            Path png = out.resolve(s + ".png");
            switch (s) {
                case "ingest" -> Plots.ingest(result, png);
                case "query" -> Plots.query(result, png);
                case "recall" -> Plots.recall(result, png);
                case "scale" -> Plots.scale(result, png);
                case "engines" -> Plots.engines(result, png);
                default -> Plots.memory(result, png);
            }
            System.out.println("wrote " + json + " and " + png);
        }
        return 0;
    }

    private Path savedModelOf(Path root) {
        Path folder = savedModel != null ? savedModel : root.resolve("target/models").resolve(EngineSuite.tensorFlowId(model));
        if (!Files.isRegularFile(folder.resolve("model.json"))) {
            throw new IllegalArgumentException("no SavedModel folder at " + folder + " for the engines suite; make it with: bin/trainer export --from "
                + root.resolve("analysis-encoder/target/models").resolve(model) + " --to " + folder);
        }
        return folder;
    }
}
