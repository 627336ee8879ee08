package io.github.denseretrieval.trainer.recipe;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What one stage of a recipe produced: its model folder, how long it trained, how many of its
 * updates were skipped for a non-finite gradient, when the run has an evaluation split its
 * figures there, and notes on what the recipe decided around it ({@link #NOTE_KEYS}, e.g.
 * {@code "denoising": "skipped: teacher dev nDCG@10 0.5400 <= student 0.7200"}). Written as
 * {@code result.json} in the stage folder; its presence marks the stage done.
 */
public record StageResult(String stage, String recipe, Path model, int examples, int updates, double trainSeconds, String evalSplit,
                          double ndcgAt10, double recallAt100, double mrrAt10, double evalSeconds, int skippedUpdates,
                          Map<String, String> notes) {

    static final String FILE = "result.json";
    /** The notes a result may carry, written as top-level fields of its JSON. */
    static final List<String> NOTE_KEYS = List.of("denoising", "augmentation", "wise_ft");

    public StageResult {
        for (String key : notes.keySet()) {
            if (!NOTE_KEYS.contains(key)) {
                throw new IllegalArgumentException("unknown stage note [" + key + "], expected one of " + NOTE_KEYS);
            }
        }
        notes = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(notes));
    }

    /** The same result with {@code replacement} as its notes. */
    StageResult withNotes(Map<String, String> replacement) {
        return new StageResult(stage, recipe, model, examples, updates, trainSeconds, evalSplit, ndcgAt10, recallAt100, mrrAt10, evalSeconds,
            skippedUpdates, replacement);
    }

    public JsonObject toJson() {
        JsonObject o = new JsonObject();
        o.addProperty("stage", stage);
        o.addProperty("recipe", recipe);
        o.addProperty("model", model.toString());
        o.addProperty("examples", examples);
        o.addProperty("updates", updates);
        o.addProperty("train_seconds", Math.round(trainSeconds));
        o.addProperty("skipped_updates", skippedUpdates);
        if (evalSplit != null) {
            o.addProperty("eval_split", evalSplit);
            o.addProperty("ndcg@10", ndcgAt10);
            o.addProperty("recall@100", recallAt100);
            o.addProperty("mrr@10", mrrAt10);
            o.addProperty("eval_seconds", Math.round(evalSeconds));
        }
        notes.forEach(o::addProperty);
        return o;
    }

    void write(Path file) throws IOException {
        Files.createDirectories(file.getParent());
        Files.writeString(file, new GsonBuilder().setPrettyPrinting().create().toJson(toJson()) + "\n", StandardCharsets.UTF_8);
    }

    static StageResult read(Path file) throws IOException {
        JsonObject o = JsonParser.parseString(Files.readString(file, StandardCharsets.UTF_8)).getAsJsonObject();
        boolean evaluated = o.has("eval_split");
        Map<String, String> notes = new LinkedHashMap<>();
        NOTE_KEYS.stream().filter(o::has).forEach(k -> notes.put(k, o.get(k).getAsString()));
        return new StageResult(o.get("stage").getAsString(), o.get("recipe").getAsString(), Path.of(o.get("model").getAsString()),
            o.get("examples").getAsInt(), o.get("updates").getAsInt(), o.get("train_seconds").getAsDouble(),
            evaluated ? o.get("eval_split").getAsString() : null, evaluated ? o.get("ndcg@10").getAsDouble() : Double.NaN,
            evaluated ? o.get("recall@100").getAsDouble() : Double.NaN, evaluated ? o.get("mrr@10").getAsDouble() : Double.NaN,
            evaluated ? o.get("eval_seconds").getAsDouble() : 0, o.has("skipped_updates") ? o.get("skipped_updates").getAsInt() : 0,
            notes);
    }
}
