package io.github.denseretrieval.encoder;

/** Whether a text is a question or a passage: asymmetric models (BGE, E5) prefix them differently. */
public enum TextRole {
    QUERY,
    PASSAGE;

    /** The prefix {@code manifest} prescribes for this role. */
    public String prefix(ModelManifest manifest) {
        return this == QUERY ? manifest.queryPrefix() : manifest.passagePrefix();
    }
}
