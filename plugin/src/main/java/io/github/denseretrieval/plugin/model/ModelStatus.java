package io.github.denseretrieval.plugin.model;

import io.github.denseretrieval.encoder.ModelManifest;

import java.nio.file.Path;

/**
 * What a node knows about one model folder: loaded (with its manifest and engine) or failed
 * (with the reason). Immutable.
 *
 * @param manifest null when the folder's manifest itself could not be read
 * @param error    null when the model loaded
 */
public record ModelStatus(String modelId, Path folder, ModelManifest manifest, String engine, String error, boolean bundled) {

    public boolean loaded() {
        return error == null;
    }
}
