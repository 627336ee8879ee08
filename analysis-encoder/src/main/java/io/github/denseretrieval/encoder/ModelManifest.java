package io.github.denseretrieval.encoder;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
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
 * <p>Model folders are read from a folder operators (and anything with write access to it) can
 * fill, so reading is bounded: {@code model.json} may hold at most {@value #MAX_FILE_BYTES} bytes,
 * {@code max_seq_length} may be at most {@value #MAX_SEQ_LENGTH} (it multiplies into array sizes),
 * and {@link #weightsPath} refuses weights outside the folder.
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

    /** Largest {@code model.json} accepted (1 MiB): a manifest is a few hundred bytes plus provenance. */
    public static final int MAX_FILE_BYTES = 1 << 20;

    /**
     * Largest {@code max_seq_length} accepted. Far above any BERT-style encoder's position table
     * (512 for the bundled models); the bound keeps batch arrays ({@code rows x max_seq_length},
     * and the character cut of {@link TextTokenizer}) far from integer overflow.
     */
    public static final int MAX_SEQ_LENGTH = 8192;

    private static final Set<String> SIMILARITIES = Set.of("dot_product", "cosine", "max_inner_product", "l2_norm");
    private static final Gson GSON = new GsonBuilder().setPrettyPrinting().disableHtmlEscaping().create();

    public ModelManifest {
        require(name != null && !name.isBlank(), "name", name, "a non-empty string");
        require(engine != null, "engine", null, "one of [onnx, tensorflow]");
        require(weights != null && !weights.isBlank(), "weights", weights, "a file or directory name in the model folder");
        require(dimensions > 0, "dimensions", dimensions, "a positive integer");
        require(pooling != null, "pooling", null, "one of [cls, mean]");
        require(similarity != null && SIMILARITIES.contains(similarity), "similarity", similarity, "one of " + SIMILARITIES);
        require(maxSeqLength >= 8 && maxSeqLength <= MAX_SEQ_LENGTH, "max_seq_length", maxSeqLength,
            "an integer in [8, " + MAX_SEQ_LENGTH + "]");
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
            JsonElement json = JsonParser.parseString(readBounded(file));
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

    private static String readBounded(Path file) throws IOException {
        // Read at most one byte past the limit instead of trusting Files.size: the file may change
        // between the two calls, and some special files report size 0.
        try (InputStream in = Files.newInputStream(file)) {
            byte[] bytes = in.readNBytes(MAX_FILE_BYTES + 1);
            if (bytes.length > MAX_FILE_BYTES) {
                throw new InvalidModelException(file + " is larger than the limit of " + MAX_FILE_BYTES
                    + " bytes (1 MiB) for " + FILE_NAME);
            }
            return new String(bytes, StandardCharsets.UTF_8);
        }
    }

    /**
     * The weights file or directory inside {@code folder}. Refuses, naming the manifest and the value,
     * a {@code weights} that is absolute, climbs with {@code ..}, or resolves (through symbolic
     * links) outside the folder: the folder is the unit an operator installs and that
     * {@link ModelFolderDigest} identifies, so what is served must live in it. Weights that do not
     * exist are returned as they are, for the engine to report as not found.
     *
     * @throws InvalidModelException if {@code weights} points outside {@code folder}
     */
    public Path weightsPath(Path folder) {
        Path relative;
        try {
            relative = Path.of(weights);
        } catch (InvalidPathException e) {
            throw outside(folder, "is not a valid path: " + e.getMessage());
        }
        if (relative.isAbsolute() || relative.getRoot() != null) {
            throw outside(folder, "is an absolute path");
        }
        for (Path part : relative) {
            if (part.toString().equals("..")) {
                throw outside(folder, "climbs out with [..]");
            }
        }
        Path resolved = folder.resolve(relative).normalize();
        if (!Files.exists(resolved)) {
            return resolved;
        }
        try {
            Path real = resolved.toRealPath();
            Path realFolder = folder.toRealPath();
            if (!real.startsWith(realFolder)) {
                throw outside(folder, "resolves to [" + real + "] through a symbolic link");
            }
            return resolved;
        } catch (IOException e) {
            throw new InvalidModelException("cannot resolve weights [" + weights + "] in model folder [" + folder + "]: " + e, e);
        }
    }

    private InvalidModelException outside(Path folder, String why) {
        return new InvalidModelException(folder.resolve(FILE_NAME) + ": [weights] is [" + weights + "] which " + why
            + "; weights must be a file or directory inside the model folder [" + folder + "]");
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
