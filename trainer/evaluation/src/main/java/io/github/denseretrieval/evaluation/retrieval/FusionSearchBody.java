package io.github.denseretrieval.evaluation.retrieval;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.github.denseretrieval.fusion.FusionMethod;
import io.github.denseretrieval.fusion.FusionSpec;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Writes a fusion as a search body for the plugin's {@code hybrid_linear} or {@code hybrid_rrf}
 * retriever, whose children are the queries of es-config's {@code bm25.json} and
 * {@code dense.json} (so their fields and model id carry over). The body keeps the
 * {@code "{{query}}"} placeholder, like the other files of {@code es-config/searches}. Stateless.
 */
public final class FusionSearchBody {

    private FusionSearchBody() {}

    /** The body, pretty-printed; {@code spec} fuses {@code [bm25, dense]}. */
    public static String write(FusionSpec spec, Path bm25Body, Path denseBody, int window) throws IOException {
        JsonObject bm25 = childQuery(bm25Body);
        JsonObject dense = childQuery(denseBody);
        float[] weights = spec.weights();
        JsonArray children = new JsonArray();
        JsonObject[] queries = {bm25, dense};
        for (int i = 0; i < queries.length; i++) {
            JsonObject standard = new JsonObject();
            standard.add("query", queries[i]);
            JsonObject retriever = new JsonObject();
            retriever.add("standard", standard);
            JsonObject child = new JsonObject();
            child.add("retriever", retriever);
            child.addProperty("weight", weights[i]);
            if (spec.method() == FusionMethod.LINEAR) {
                child.addProperty("normalizer", spec.normalizers()[i].jsonName());
            }
            if (spec.candidatesChild() == i) {
                child.addProperty("candidates", spec.candidates());
            }
            children.add(child);
        }
        JsonObject fusion = new JsonObject();
        fusion.add("retrievers", children);
        if (spec.method() == FusionMethod.RRF) {
            fusion.addProperty("rank_constant", spec.rankConstant());
        }
        fusion.addProperty("rank_window_size", window);
        JsonObject retriever = new JsonObject();
        retriever.add(spec.method() == FusionMethod.RRF ? "hybrid_rrf" : "hybrid_linear", fusion);
        JsonObject body = new JsonObject();
        body.addProperty("size", window);
        body.addProperty("_source", false);
        body.add("retriever", retriever);
        return new GsonBuilder().setPrettyPrinting().create().toJson(body) + "\n";
    }

    private static JsonObject childQuery(Path body) throws IOException {
        if (!Files.isRegularFile(body)) {
            throw new IllegalArgumentException("search body " + body + " not found (run from the repository root, or give --searches DIR)");
        }
        JsonElement json = JsonParser.parseString(Files.readString(body, StandardCharsets.UTF_8));
        JsonElement query = json.isJsonObject() ? json.getAsJsonObject().get("query") : null;
        if (query == null || !query.isJsonObject()) {
            throw new IllegalArgumentException("search body " + body + " has no top-level \"query\" object to fuse");
        }
        return query.getAsJsonObject();
    }
}
