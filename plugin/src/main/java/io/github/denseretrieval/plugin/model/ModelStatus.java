package io.github.denseretrieval.plugin.model;

import io.github.denseretrieval.encoder.ModelManifest;

import java.nio.file.Path;

/**
 * What a node knows about one model folder: loaded (with its manifest, engine, content digest and
 * native footprint) or failed (with the reason). Immutable.
 *
 * @param manifest      null when the folder's manifest itself could not be read
 * @param error         null when the model is served
 * @param digest        SHA-256 of the folder's files as loaded (null when not loaded), so that
 *                      nodes serving different weights under one id are visible
 * @param nativeBytes   growth of the node's resident memory while the model loaded, in bytes (-1
 *                      when unknown); approximate, since other work may allocate at the same time
 * @param reloadError   the latest reload's failure to load a changed folder while the previous
 *                      weights stay in service (null when the last reload of this model succeeded)
 */
public record ModelStatus(String modelId, Path folder, ModelManifest manifest, String engine, String error, boolean bundled,
                          String digest, long nativeBytes, String reloadError) {

    public boolean loaded() {
        return error == null;
    }

    /** This status with {@code failure} recorded as the latest reload's error. */
    ModelStatus withReloadError(String failure) {
        return new ModelStatus(modelId, folder, manifest, engine, error, bundled, digest, nativeBytes, failure);
    }
}
