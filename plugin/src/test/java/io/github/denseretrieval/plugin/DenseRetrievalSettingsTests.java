package io.github.denseretrieval.plugin;

import org.elasticsearch.common.settings.Settings;
import org.elasticsearch.test.ESTestCase;

/** Which nodes load models by default: all but dedicated masters. */
public class DenseRetrievalSettingsTests extends ESTestCase {

    private static boolean loads(String... roles) {
        return DenseRetrievalSettings.MODELS_LOAD.get(Settings.builder().putList("node.roles", roles).build());
    }

    public void testOnlyDedicatedMastersSkipModelsByDefault() {
        assertFalse(loads("master"));
        assertFalse(loads("master", "voting_only"));
        assertTrue(loads("master", "data", "ingest"));
        assertTrue(loads("ingest"));
        assertTrue("a coordinating-only node encodes questions", loads());
        assertTrue(DenseRetrievalSettings.MODELS_LOAD.get(Settings.EMPTY));
        assertTrue(DenseRetrievalSettings.MODELS_LOAD.get(Settings.builder().putList("node.roles", "master")
            .put("dense_retrieval.models.load", true).build()));
    }
}
