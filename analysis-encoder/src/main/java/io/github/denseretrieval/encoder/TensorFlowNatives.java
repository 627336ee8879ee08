package io.github.denseretrieval.encoder;

import ai.djl.util.Utils;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Properties;

/**
 * Makes DJL's TensorFlow engine load the natives that ship in the
 * {@code ai.djl.tensorflow:tensorflow-native-cpu:2.10.1:linux-x86_64} jar, with no download.
 *
 * <p>Why this exists: that jar's {@code tensorflow.properties} labels its build
 * {@code cu113-linux-x86_64}, so on a machine without CUDA DJL decides the classpath natives do
 * not match and tries to download a CPU build (which fails offline, and is not allowed here).
 * The build is TensorFlow's usual one, which runs on CPU when no GPU is found. So we extract the
 * libraries once into DJL's engine cache directory and point DJL at them through its documented
 * override, {@code TENSORFLOW_LIBRARY_PATH}. An operator's own setting of that variable wins.
 * Thread-safe: extraction is synchronized and idempotent (a marker file records completion).
 */
final class TensorFlowNatives {

    private static final String OVERRIDE = "TENSORFLOW_LIBRARY_PATH";
    private static final String PROPERTIES = "native/lib/tensorflow.properties";

    private TensorFlowNatives() {}

    static synchronized void prepare() {
        if (Utils.getEnvOrSystemProperty(OVERRIDE) != null) {
            return;
        }
        ClassLoader loader = TensorFlowNatives.class.getClassLoader();
        Properties props = new Properties();
        try (InputStream in = loader.getResourceAsStream(PROPERTIES)) {
            if (in == null) {
                return; // no bundled natives: let DJL report what it finds
            }
            props.load(in);
        } catch (IOException e) {
            throw new InvalidModelException("cannot read " + PROPERTIES + " from the classpath: " + e.getMessage(), e);
        }
        String version = props.getProperty("version", "unknown");
        String[] libraries = props.getProperty("libraries", "").split(",");
        Path dir = Utils.getEngineCacheDir("tensorflow").resolve(version + "-bundled");
        Path done = dir.resolve(".extracted");
        try {
            if (!Files.exists(done)) {
                Files.createDirectories(dir);
                for (String lib : libraries) {
                    try (InputStream in = loader.getResourceAsStream("native/lib/" + lib.trim())) {
                        if (in == null) {
                            throw new InvalidModelException("TensorFlow native library native/lib/" + lib + " missing from the classpath");
                        }
                        Path tmp = Files.createTempFile(dir, lib.trim(), ".part");
                        Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
                        Files.move(tmp, dir.resolve(lib.trim()), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
                    }
                }
                Files.writeString(done, version);
            }
        } catch (IOException e) {
            throw new InvalidModelException("cannot extract TensorFlow natives into " + dir + ": " + e.getMessage(), e);
        }
        System.setProperty(OVERRIDE, dir.toString());
    }
}
