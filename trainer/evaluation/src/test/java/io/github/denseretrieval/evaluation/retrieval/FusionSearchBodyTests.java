package io.github.denseretrieval.evaluation.retrieval;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.github.denseretrieval.fusion.FusionSpec;
import io.github.denseretrieval.fusion.ScoreNormalizer;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The search body tune-fusion writes, from es-config's own child bodies. */
class FusionSearchBodyTests {

    // The module sits at trainer/evaluation: es-config is two folders up.
    private static final Path SEARCHES = Path.of("..", "..", "es-config", "searches");

    @Test
    void aDenseWindowFusionNamesItsCandidatesOnTheDenseEntryOnly() throws Exception {
        FusionSpec spec = FusionSpec.linear(ScoreNormalizer.MIN_MAX, 0.35f, 0.65f).withCandidates(1, 100);
        JsonObject body = JsonParser.parseString(FusionSearchBody.write(spec, SEARCHES.resolve("bm25-standard.json"),
            SEARCHES.resolve("dense.json"), 100)).getAsJsonObject();
        JsonObject linear = body.getAsJsonObject("retriever").getAsJsonObject("hybrid_linear");
        JsonArray children = linear.getAsJsonArray("retrievers");
        assertFalse(children.get(0).getAsJsonObject().has("candidates"));
        assertEquals(100, children.get(1).getAsJsonObject().get("candidates").getAsInt());
        assertEquals("min_max", children.get(1).getAsJsonObject().get("normalizer").getAsString());
        assertEquals(0.35f, children.get(0).getAsJsonObject().get("weight").getAsFloat());
        assertTrue(children.get(1).getAsJsonObject().getAsJsonObject("retriever").getAsJsonObject("standard").getAsJsonObject("query")
            .has("dense"));
        assertEquals(100, linear.get("rank_window_size").getAsInt());
    }
}
