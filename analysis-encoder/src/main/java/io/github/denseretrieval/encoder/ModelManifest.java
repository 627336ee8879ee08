package io.github.denseretrieval.encoder;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Set;

/**
 * The {@code model.json} of a model folder: what the weights are and how to use them. It is the
 * one contract between the trainer that writes model folders and the plugin that serves them.
 *
 * <pre>
 * { "name": "bge-small-en-v1.5", "engine": "onnx", "weights": "model.onnx", "dimensions": 384,
 *   "pooling": "cls", "normalize": true, "similarity": "dot_product", "max_seq_length": 512,
 *   "query_prefix": "Represent this sentence for searching relevant passages: ",
 *   "passage_prefix": "", "provenance": { "base_model": "...", "recipe": "...", ... } }
 * </pre>
 *
 * @param similarity the Elasticsearch {@code dense_vector} similarity the vectors are meant for:
 *                   {@code dot_product} and {@code cosine} need no extra care for normalised vectors,
 *                   {@code max_inner_product} and {@code l2_norm} are accepted for other models
 * @param provenance free-form JSON: base model, training recipe, data, metrics
 */
public record ModelManifest(
    String name,
    EngineType engine,
    String weights,
    int dimensions,
    Pooling pooling,
    boolean normalize,
    String similarity,
    int maxSeqLength,
    String queryPrefix,
    String passagePrefix,
    JsonObject provenance
) {
    /** The manifest's file name inside a model folder. */
    public static final String FILE_NAME = "model.json";

    private static final Set<String> SIMILARITIES = Set.of("dot_product", "cosine", "max_inner_product", "l2_norm");
    private static final Gson GSON = new GsonBuilder().setPrettyPrinting().disableHtmlEscaping().create();

    public ModelManifest {
        require(name != null && !name.isBlank(), "name", name, "a non-empty string");
        require(engine != null, "engine", null, "one of [onnx, tensorflow]");
        require(weights != null && !weights.isBlank(), "weights", weights, "a file or directory name in the model folder");
        require(dimensions > 0, "dimensions", dimensions, "a positive integer");
        require(pooling != null, "pooling", null, "one of [cls, mean]");
        require(similarity != null && SIMILARITIES.contains(similarity), "similarity", similarity, "one of " + SIMILARITIES);
        require(maxSeqLength >= 8, "max_seq_length", maxSeqLength, "an integer >= 8");
        queryPrefix = queryPrefix == null ? "" : queryPrefix;
        passagePrefix = passagePrefix == null ? "" : passagePrefix;
        provenance = provenance == null ? new JsonObject() : provenance;
    }

    /** Reads and validates {@code folder/model.json}; errors name the folder and the offending field. */
    public static ModelManifest read(Path folder) {
        Path file = folder.resolve(FILE_NAME);
        if (!Files.isRegularFile(file)) {
            throw new InvalidModelException("model folder [" + folder + "] has no " + FILE_NAME);
        }
        try {
            JsonElement json = JsonParser.parseString(Files.readString(file, StandardCharsets.UTF_8));
            if (!json.isJsonObject()) {
                throw new InvalidModelException(file + " must hold a JSON object");
            }
            return fromJson(json.getAsJsonObject());
        } catch (IOException | JsonParseException e) {
            throw new InvalidModelException("cannot read " + file + ": " + e.getMessage(), e);
        } catch (IllegalArgumentException | IllegalStateException | ClassCastException e) {
            throw new InvalidModelException("invalid " + file + ": " + e.getMessage(), e);
        }
    }

    /** Parses a manifest from its JSON form. */
    public static ModelManifest fromJson(JsonObject o) {
        return new ModelManifest(
            string(o, "name", null),
            EngineType.fromName(string(o, "engine", "onnx")),
            string(o, "weights", null),
            integer(o, "dimensions"),
            Pooling.fromName(string(o, "pooling", "cls")),
            !o.has("normalize") || o.get("normalize").getAsBoolean(),
            string(o, "similarity", "dot_product"),
            integer(o, "max_seq_length"),
            string(o, "query_prefix", ""),
            string(o, "passage_prefix", ""),
            o.has("provenance") ? o.getAsJsonObject("provenance") : new JsonObject()
        );
    }

    /** The JSON form, with the same field names {@link #fromJson} reads. */
    public JsonObject toJson() {
        JsonObject o = new JsonObject();
        o.addProperty("name", name);
        o.addProperty("engine", engine.jsonName());
        o.addProperty("weights", weights);
        o.addProperty("dimensions", dimensions);
        o.addProperty("pooling", pooling.jsonName());
        o.addProperty("normalize", normalize);
        o.addProperty("similarity", similarity);
        o.addProperty("max_seq_length", maxSeqLength);
        o.addProperty("query_prefix", queryPrefix);
        o.addProperty("passage_prefix", passagePrefix);
        o.add("provenance", provenance.deepCopy());
        return o;
    }

    /** Writes {@code folder/model.json}. */
    public void write(Path folder) throws IOException {
        Files.writeString(folder.resolve(FILE_NAME), GSON.toJson(toJson()) + "\n", StandardCharsets.UTF_8);
    }

    /** A copy for other weights served by another engine (what the SavedModel exporter writes). */
    public ModelManifest withEngine(EngineType newEngine, String newWeights) {
        return new ModelManifest(name, newEngine, newWeights, dimensions, pooling, normalize, similarity,
            maxSeqLength, queryPrefix, passagePrefix, provenance.deepCopy());
    }

    private static String string(JsonObject o, String field, String fallback) {
        JsonElement e = o.get(field);
        if (e == null || e.isJsonNull()) {
            return fallback;
        }
        if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isString()) {
            throw new IllegalArgumentException("[" + field + "] must be a string, got " + e);
        }
        return e.getAsString();
    }

    private static int integer(JsonObject o, String field) {
        JsonElement e = o.get(field);
        if (e == null || !e.isJsonPrimitive() || !e.getAsJsonPrimitive().isNumber()) {
            throw new IllegalArgumentException("[" + field + "] is required and must be an integer, got " + e);
        }
        return e.getAsInt();
    }

    private static void require(boolean ok, String field, Object value, String valid) {
        if (!ok) {
            throw new IllegalArgumentException(String.format(Locale.ROOT,
                "[%s] is [%s] but must be %s", field, value, valid));
        }
    }
}
