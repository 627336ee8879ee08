package io.github.denseretrieval.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.github.denseretrieval.evaluation.retrieval.EvaluationSet;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Applies {@code es-config/} to a cluster (the ingest pipeline and the index template, verbatim but
 * for the model id) and creates or reuses the index of a dataset.
 */
public final class ClusterSetup {

    static final String DEFAULT_MODEL = "bge-small-en-v1.5";

    private final ClusterClient client;
    private final Path esConfig;
    private String pipeline;

    public ClusterSetup(ClusterClient client, Path esConfig) {
        this.client = client;
        this.esConfig = esConfig;
    }

    /** Puts the pipeline (for {@code modelId}) and the index template. */
    public void apply(String modelId) throws IOException {
        pipeline = modelId.equals(DEFAULT_MODEL) ? "dense-passages" : "dense-passages-" + modelId;
        String pipelineJson = withModel(Files.readString(esConfig.resolve("pipeline.json"), StandardCharsets.UTF_8), modelId);
        client.sendOk("PUT", "/_ingest/pipeline/" + pipeline, pipelineJson);
        client.sendOk("PUT", "/_index_template/dense-passages", Files.readString(esConfig.resolve("index-template.json"), StandardCharsets.UTF_8));
    }

    /** The ingest pipeline {@link #apply} put. */
    public String pipeline() {
        if (pipeline == null) {
            throw new IllegalStateException("apply(modelId) puts the pipeline first");
        }
        return pipeline;
    }

    /**
     * {@code esConfigJson} with its {@code "model_id": "bge-small-en-v1.5"} pointed at {@code modelId}:
     * es-config names the bundled model, and the quickstart may serve another.
     */
    static String withModel(String esConfigJson, String modelId) {
        return esConfigJson.replace("\"model_id\": \"" + DEFAULT_MODEL + "\"", "\"model_id\": " + ClusterClient.jsonString(modelId));
    }

    /**
     * Reuses {@code index} when it holds this exact passage set (fingerprint in its mapping's
     * {@code _meta} and the same count); otherwise recreates it and ingests. Returns null on reuse.
     */
    public CorpusIngester.Result ensureIndex(String index, EvaluationSet set, int dims, Path dataDir) throws IOException {
        ObjectNode vectorField = vectorMapping(dims);
        // The template's mappings (analyzers, vector options) are part of the fingerprint: an index built with others is rebuilt, not reused.
        JsonNode templateMappings = ClusterClient.json().readTree(Files.readString(esConfig.resolve("index-template.json"), StandardCharsets.UTF_8))
            .path("template").path("mappings");
        String fingerprint = fingerprint(set, dataDir) + "-" + Integer.toHexString(vectorField.toString().hashCode()) + "-"
            + Integer.toHexString(templateMappings.toString().hashCode());
        ClusterClient.Answer existing = client.send("GET", "/" + index + "/_mapping", null);
        if (existing.ok()) {
            JsonNode meta = existing.body().path(index).path("mappings").path("_meta");
            long count = client.sendOk("GET", "/" + index + "/_count", null).path("count").asLong();
            if (fingerprint.equals(meta.path("corpus_fingerprint").asText()) && count == set.passages().size()) {
                System.out.println("reusing index [" + index + "] (" + count + " passages, same corpus)");
                return null;
            }
            client.sendOk("DELETE", "/" + index, null);
        }
        ObjectNode body = ClusterClient.json().createObjectNode();
        ObjectNode settings = body.putObject("settings");
        // A single node cannot place replicas; 0 keeps the index green.
        settings.put("number_of_replicas", 0);
        settings.put("number_of_shards", 1);
        settings.put("index.default_pipeline", pipeline);
        ObjectNode mappings = body.putObject("mappings");
        mappings.putObject("_meta").put("corpus_fingerprint", fingerprint);
        mappings.putObject("properties").set("text_vector", vectorField);
        client.sendOk("PUT", "/" + index, body.toString());
        System.out.println("ingesting " + set.passages().size() + " passages into [" + index + "] through pipeline [" + pipeline + "] ...");
        CorpusIngester.Result result = new CorpusIngester(client, index, pipeline, 128, true).ingest(set.passages());
        if (!result.failures().isEmpty()) {
            System.out.println(result.failures().size() + " passages failed to index; first: " + result.failures().subList(0,
                Math.min(5, result.failures().size())));
        }
        return result;
    }

    /**
     * es-config's {@code text_vector} mapping with {@code dims} put in. A field given at index
     * creation replaces the template's definition of that field whole, so sending only the type
     * and dims would silently drop the template's similarity and index options (Elasticsearch
     * then defaults to cosine and int8-quantised HNSW).
     */
    public ObjectNode vectorMapping(int dims) throws IOException {
        JsonNode template = ClusterClient.json().readTree(Files.readString(esConfig.resolve("index-template.json"), StandardCharsets.UTF_8));
        JsonNode field = template.path("template").path("mappings").path("properties").path("text_vector");
        if (!field.isObject()) {
            throw new IllegalStateException(esConfig.resolve("index-template.json") + " has no [template.mappings.properties.text_vector]");
        }
        ObjectNode copy = ((ObjectNode) field).deepCopy();
        copy.put("dims", dims);
        return copy;
    }

    /** The index mapping's {@code _meta} (where the quickstart records what it derived from the data). */
    public ObjectNode meta(String index) throws IOException {
        JsonNode meta = client.sendOk("GET", "/" + index + "/_mapping", null).path(index).path("mappings").path("_meta");
        return meta.isObject() ? (ObjectNode) meta.deepCopy() : ClusterClient.json().createObjectNode();
    }

    /** Replaces the index mapping's {@code _meta} with {@code meta}. */
    public void putMeta(String index, ObjectNode meta) throws IOException {
        ObjectNode body = ClusterClient.json().createObjectNode();
        body.set("_meta", meta);
        client.sendOk("PUT", "/" + index + "/_mapping", body.toString());
    }

    public long storeBytes(String index) throws IOException {
        return client.sendOk("GET", "/" + index + "/_stats/store", null).path("_all").path("primaries").path("store")
            .path("size_in_bytes").asLong();
    }

    private static String fingerprint(EvaluationSet set, Path dataDir) throws IOException {
        Path corpus = dataDir.resolve("corpus.jsonl");
        return Files.size(corpus) + "-" + Files.getLastModifiedTime(corpus).toMillis() + "-" + set.passages().size() + "-"
            + set.passageIds().hashCode();
    }
}
