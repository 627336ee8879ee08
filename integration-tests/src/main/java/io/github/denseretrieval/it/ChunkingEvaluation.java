package io.github.denseretrieval.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.github.denseretrieval.evaluation.beir.BeirDataset;
import io.github.denseretrieval.evaluation.retrieval.ClusterSearch;
import io.github.denseretrieval.evaluation.retrieval.EvaluationSet;
import io.github.denseretrieval.evaluation.metrics.Evaluator;
import io.github.denseretrieval.evaluation.metrics.MetricSummary;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * Chunked against truncated dense retrieval on a BEIR dataset through a real node. For each window
 * size the corpus goes through es-config's chunked pipeline (windows of that many tokens; a passage
 * scores by its best window with es-config's chunked search), and, for windows shorter than the
 * model's own, through the plain pipeline with a copy of the model whose {@code max_seq_length} is
 * the window (the passage truncated to that window; plain dense search). With {@code --unchunked}
 * the corpus also goes through the plain pipeline with the model as it is, the reference for a
 * window as long as the model's. Prints a table and writes JSON with every figure and the ingest
 * cost per passage.
 */
@Command(name = "evaluate-chunking", mixinStandardHelpOptions = true,
    description = "Chunked vs truncated dense retrieval on a BEIR split, through a real node.")
public final class ChunkingEvaluation implements Callable<Integer> {

    /** The bundled model's window; a chunk this long or longer is compared with --unchunked instead. */
    private static final int MODEL_MAX_SEQ_LENGTH = 512;
    private static final String DENSE_MODELS = "dense-retrieval/models";

    @Option(names = "--data", description = "BEIR dataset folder (default: ../shared/data/scifact).")
    Path data;

    @Option(names = "--split", defaultValue = "test", description = "qrels split to report on (default: ${DEFAULT-VALUE}).")
    String split;

    @Option(names = "--windows", defaultValue = "64,128,512", split = ",", description = "Window sizes in tokens (default: ${DEFAULT-VALUE}).")
    List<Integer> windows;

    @Option(names = "--overlap-fraction", defaultValue = "0.125", description = "Overlap as a fraction of the window (default: ${DEFAULT-VALUE}).")
    double overlapFraction;

    @Option(names = "--unchunked", description = "Also ingest and search the corpus with the plain (one vector) pipeline.")
    boolean unchunked;

    @Option(names = "--max-queries", defaultValue = "0", description = "Only the first N questions (0 = all).")
    int maxQueries;

    @Option(names = "--max-passages", defaultValue = "0", description = "Only the judged passages plus N others (0 = whole corpus).")
    int maxPassages;

    @Option(names = "--out", description = "Write the results as JSON to this file.")
    Path out;

    @Mixin
    NodeCommandOptions nodeOptions = new NodeCommandOptions();

    public static void main(String[] args) {
        System.exit(CommandRunner.run(new ChunkingEvaluation(), new java.io.PrintWriter(System.err, true), args));
    }

    @Override
    public Integer call() throws Exception {
        Path root = nodeOptions.root();
        Path dataDir = nodeOptions.dataDir(data);
        BeirDataset dataset = BeirDataset.open(dataDir);
        EvaluationSet set = EvaluationSet.load(dataset, split, maxQueries, maxPassages);
        Path esConfig = root.resolve("es-config");
        Path work = nodeOptions.workDir("chunking");
        ElasticsearchNode.Options options = ElasticsearchNode.Options.inRepository(root, work, 0, nodeOptions.heap(), true);
        ObjectNode results = ClusterClient.json().createObjectNode();
        results.put("dataset", dataDir.getFileName().toString()).put("split", split).put("passages", set.passages().size())
            .put("questions", set.queries().size());
        ArrayNode rows = results.putArray("rows");
        try (ElasticsearchNode node = ElasticsearchNode.start(options); ClusterClient client = new ClusterClient(node.url())) {
            JsonNode template = ClusterClient.json().readTree(Files.readString(esConfig.resolve("chunked/index-template.json")));
            String mappings = template.path("template").path("mappings").toString();
            String pipelineTemplate = Files.readString(esConfig.resolve("chunked/pipeline.json"), StandardCharsets.UTF_8);
            String search = Files.readString(esConfig.resolve("chunked/searches/dense.json"), StandardCharsets.UTF_8);
            System.out.printf(Locale.ROOT, "%-22s %8s %8s %8s %10s %12s%n", "run", "nDCG@10", "MRR@10", "R@100", "chunks/doc", "s/passage");
            for (int window : windows) {
                int overlap = (int) Math.round(window * overlapFraction);
                ObjectNode pipeline = (ObjectNode) ClusterClient.json().readTree(pipelineTemplate);
                ObjectNode chunking = (ObjectNode) pipeline.path("processors").get(0).path("dense_encode").path("chunking");
                chunking.put("max_tokens", window).put("overlap_tokens", overlap).put("include_text", false);
                String name = "dense-chunks-" + window;
                client.sendOk("PUT", "/_ingest/pipeline/" + name, pipeline.toString());
                client.sendOk("PUT", "/" + name, "{\"settings\":{\"number_of_shards\":1,\"number_of_replicas\":0},\"mappings\":" + mappings + "}");
                CorpusIngester.Result ingest = new CorpusIngester(client, name, name, 100, true).ingest(set.passages());
                if (ingest.failures().isEmpty() == false) {
                    throw new IllegalStateException(ingest.failures().size() + " passages failed, first: " + ingest.failures().get(0));
                }
                JsonNode nested = client.sendOk("GET", "/" + name + "/_stats/docs", null).path("_all").path("primaries").path("docs");
                // Lucene counts nested objects as documents: every chunk plus its parent.
                double chunksPerDoc = (nested.path("count").asDouble() - set.passages().size()) / set.passages().size();
                double secondsPerPassage = ingest.seconds() / set.passages().size();
                rows.add(row("chunked-" + window, window, overlap, runSearches(client, name, search, set), chunksPerDoc,
                    secondsPerPassage));
                if (window + 2 < MODEL_MAX_SEQ_LENGTH) {
                    rows.add(truncated(node, client, esConfig, set, window));
                }
            }
            if (unchunked) {
                client.sendOk("PUT", "/_ingest/pipeline/dense-passages", Files.readString(esConfig.resolve("pipeline.json")));
                JsonNode plain = ClusterClient.json().readTree(Files.readString(esConfig.resolve("index-template.json")));
                client.sendOk("PUT", "/dense-unchunked", "{\"settings\":{\"number_of_shards\":1,\"number_of_replicas\":0},\"mappings\":"
                    + plain.path("template").path("mappings") + "}");
                CorpusIngester.Result ingest = new CorpusIngester(client, "dense-unchunked", "dense-passages", 100, true).ingest(set.passages());
                String plainSearch = Files.readString(esConfig.resolve("searches/dense.json"), StandardCharsets.UTF_8);
                rows.add(row("unchunked", 0, 0, runSearches(client, "dense-unchunked", plainSearch, set), 1,
                    ingest.seconds() / set.passages().size()));
            }
        }
        if (out != null) {
            Files.createDirectories(out.toAbsolutePath().getParent());
            Files.writeString(out, ClusterClient.json().writerWithDefaultPrettyPrinter().writeValueAsString(results));
            System.out.println("wrote " + out);
        }
        return 0;
    }

    private static ObjectNode row(String name, int window, int overlap, MetricSummary m, double chunksPerDoc, double secondsPerPassage) {
        ObjectNode row = ClusterClient.json().createObjectNode();
        row.put("run", name).put("window_tokens", window).put("overlap_tokens", overlap).put("ndcg_at_10", m.ndcgAt10())
            .put("mrr_at_10", m.mrrAt10()).put("recall_at_100", m.recallAt100()).put("chunks_per_passage", chunksPerDoc);
        if (Double.isNaN(secondsPerPassage) == false) {
            row.put("ingest_seconds_per_passage", secondsPerPassage);
        }
        System.out.printf(Locale.ROOT, "%-22s %8.4f %8.4f %8.4f %10.2f %12s%n", name, m.ndcgAt10(), m.mrrAt10(), m.recallAt100(),
            chunksPerDoc, Double.isNaN(secondsPerPassage) ? "-" : String.format(Locale.ROOT, "%.3f", secondsPerPassage));
        return row;
    }

    /**
     * The truncation baseline for {@code window}: a copy of the bundled model that reads only
     * {@code window} tokens (plus its two special tokens), through es-config's plain pipeline and
     * dense search. (A filter on the first window inside a nested kNN query cannot serve: Elasticsearch
     * applies kNN filters to the parent documents.)
     */
    private ObjectNode truncated(ElasticsearchNode node, ClusterClient client, Path esConfig, EvaluationSet set, int window)
        throws IOException, InterruptedException {
        String model = ClusterSetup.DEFAULT_MODEL + "-first-" + window;
        Path bundled = node.configDir().getParent().resolve("plugins/dense-retrieval/models").resolve(ClusterSetup.DEFAULT_MODEL);
        Path copy = node.configDir().resolve(DENSE_MODELS).resolve(model);
        Files.createDirectories(copy);
        for (String f : List.of("tokenizer.json", "model.onnx")) {
            Files.copy(bundled.resolve(f), copy.resolve(f), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
        ObjectNode manifest = (ObjectNode) ClusterClient.json().readTree(Files.readString(bundled.resolve("model.json")));
        manifest.put("name", model).put("max_seq_length", window + 2);
        Files.writeString(copy.resolve("model.json"), manifest.toString());
        node.handToNodeUser(node.configDir().resolve(DENSE_MODELS));
        client.sendOk("POST", "/_dense/models/_reload", null);
        String name = "dense-first-" + window;
        client.sendOk("PUT", "/_ingest/pipeline/" + name, ClusterSetup.withModel(Files.readString(esConfig.resolve("pipeline.json")), model));
        JsonNode plain = ClusterClient.json().readTree(Files.readString(esConfig.resolve("index-template.json")));
        client.sendOk("PUT", "/" + name, "{\"settings\":{\"number_of_shards\":1,\"number_of_replicas\":0},\"mappings\":"
            + plain.path("template").path("mappings") + "}");
        CorpusIngester.Result ingest = new CorpusIngester(client, name, name, 100, true).ingest(set.passages());
        String search = ClusterSetup.withModel(Files.readString(esConfig.resolve("searches/dense.json"), StandardCharsets.UTF_8), model);
        return row("truncated-" + window, window, 0, runSearches(client, name, search, set), 1, ingest.seconds() / set.passages().size());
    }

    private static MetricSummary runSearches(ClusterClient client, String index, String template, EvaluationSet set) throws IOException {
        return Evaluator.evaluate(set.qrels(), new ClusterSearch(client.url(), index, template, null).timedRun(set.queries(), index).run());
    }
}
