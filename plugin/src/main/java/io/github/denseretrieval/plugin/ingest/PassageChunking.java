package io.github.denseretrieval.plugin.ingest;

import io.github.denseretrieval.encoder.ChunkingOptions;
import org.elasticsearch.ingest.ConfigurationUtils;

import java.util.Map;

/**
 * The {@code chunking} option of {@code dense_encode}: cut a long text into windows of the model's
 * own tokens and write one nested object per window instead of one vector.
 *
 * <pre>
 * "chunking": { "max_tokens": 256, "overlap_tokens": 32, "max_chunks": 100, "sentence_boundaries": false, "include_text": false }
 * </pre>
 *
 * @param includeText also store each window's text (for display; offsets alone map back to the field)
 */
record PassageChunking(ChunkingOptions options, boolean includeText) {

    static final String OPTION = "chunking";
    static final int DEFAULT_MAX_TOKENS = 256;
    static final int DEFAULT_OVERLAP_TOKENS = 32;
    static final int DEFAULT_MAX_CHUNKS = 100;

    /** Reads {@code chunking} from a processor config; null when the option is absent. */
    static PassageChunking read(String processorType, String tag, Map<String, Object> config) {
        Map<String, Object> chunking = ConfigurationUtils.readOptionalMap(processorType, tag, config, OPTION);
        if (chunking == null) {
            return null;
        }
        Map<String, Object> options = new java.util.HashMap<>(chunking);
        int maxTokens = readInt(processorType, tag, options, "max_tokens", DEFAULT_MAX_TOKENS);
        int overlap = readInt(processorType, tag, options, "overlap_tokens", Math.min(DEFAULT_OVERLAP_TOKENS, maxTokens / 4));
        int maxChunks = readInt(processorType, tag, options, "max_chunks", DEFAULT_MAX_CHUNKS);
        boolean sentences = ConfigurationUtils.readBooleanProperty(processorType, tag, options, "sentence_boundaries", false);
        boolean includeText = ConfigurationUtils.readBooleanProperty(processorType, tag, options, "include_text", false);
        if (options.isEmpty() == false) {
            throw ConfigurationUtils.newConfigurationException(processorType, tag, OPTION, "unknown option(s) " + options.keySet()
                + "; valid are [max_tokens, overlap_tokens, max_chunks, sentence_boundaries, include_text]");
        }
        try {
            return new PassageChunking(new ChunkingOptions(maxTokens, overlap, maxChunks, sentences), includeText);
        } catch (IllegalArgumentException e) {
            throw ConfigurationUtils.newConfigurationException(processorType, tag, OPTION, e.getMessage());
        }
    }

    private static int readInt(String processorType, String tag, Map<String, Object> options, String name, int defaultValue) {
        Object value = options.remove(name);
        if (value == null) {
            return defaultValue;
        }
        if (value instanceof Integer i) {
            return i;
        }
        throw ConfigurationUtils.newConfigurationException(processorType, tag, OPTION + "." + name,
            "must be an integer, got [" + value + "]");
    }
}
