package io.github.denseretrieval.trainer.recipe;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * What one stage of a recipe produced: its model folder, how long it trained, how many of its
 * updates were skipped for a non-finite gradient and, when the run has an evaluation split, its
 * figures there. Written as {@code result.json} in the stage folder;
 * its presence marks the stage done.
 */
public record StageResult(String stage, String recipe, Path model, int examples, int updates, double trainSeconds, String evalSplit,
                          double ndcgAt10, double recallAt100, double mrrAt10, double evalSeconds, int skippedUpdates) {

    static final String FILE = "result.json";

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
        return o;
    }

    void write(Path file) throws IOException {
        Files.createDirectories(file.getParent());
        Files.writeString(file, new GsonBuilder().setPrettyPrinting().create().toJson(toJson()) + "\n", StandardCharsets.UTF_8);
    }

    static StageResult read(Path file) throws IOException {
        JsonObject o = JsonParser.parseString(Files.readString(file, StandardCharsets.UTF_8)).getAsJsonObject();
        boolean evaluated = o.has("eval_split");
        return new StageResult(o.get("stage").getAsString(), o.get("recipe").getAsString(), Path.of(o.get("model").getAsString()),
            o.get("examples").getAsInt(), o.get("updates").getAsInt(), o.get("train_seconds").getAsDouble(),
            evaluated ? o.get("eval_split").getAsString() : null, evaluated ? o.get("ndcg@10").getAsDouble() : Double.NaN,
            evaluated ? o.get("recall@100").getAsDouble() : Double.NaN, evaluated ? o.get("mrr@10").getAsDouble() : Double.NaN,
            evaluated ? o.get("eval_seconds").getAsDouble() : 0, o.has("skipped_updates") ? o.get("skipped_updates").getAsInt() : 0);
    }
}
