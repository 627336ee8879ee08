package io.github.denseretrieval.plugin;

import java.nio.file.Path;

/**
 * Points DJL (the HuggingFace tokenizers binding) at a cache directory inside the node's own
 * temp directory and keeps it offline, before the first DJL call. By default DJL would extract
 * its natives under {@code $HOME/.djl.ai} and may try to download; inside a node neither is
 * acceptable. ONNX Runtime extracts its natives to {@code java.io.tmpdir}, which Elasticsearch
 * already sets to the node's temp directory. Settings an operator passed with {@code -D} win.
 */
final class NativeLibraries {

    private NativeLibraries() {}

    static void prepare(Path nodeTmpDir) {
        String cache = nodeTmpDir.resolve("dense-retrieval-djl").toString();
        setIfAbsent("DJL_CACHE_DIR", cache);
        setIfAbsent("ENGINE_CACHE_DIR", cache);
        setIfAbsent("ai.djl.offline", "true");
    }

    private static void setIfAbsent(String key, String value) {
        if (System.getProperty(key) == null) {
            System.setProperty(key, value);
        }
    }
}
