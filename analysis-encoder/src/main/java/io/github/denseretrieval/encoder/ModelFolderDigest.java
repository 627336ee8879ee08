package io.github.denseretrieval.encoder;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * The content identity of a model folder: a SHA-256 over what a node would serve from it, so that
 * nodes serving different weights under one model id can be told apart.
 *
 * <p>What is hashed: every regular file directly in the folder (symbolic links followed, so the
 * content is what counts) and, when the manifest's {@code weights} is a directory (a TensorFlow
 * SavedModel), every regular file below it. Other subfolders are not part of the model and are
 * left out. Files are taken in order of their path relative to the folder ({@code /}-separated);
 * for each, the digest reads the path's UTF-8 bytes, a 0 byte, the content length as 8 bytes and
 * the content, so no two different folders produce the same byte stream. Renaming a file, changing
 * one byte or adding a file changes the digest; the folder's own location and file times do not.
 *
 * <p>Stateless; reads the whole folder (about as long as reading the weights once).
 */
public final class ModelFolderDigest {

    private ModelFolderDigest() {
    }

    /**
     * The lowercase hex SHA-256 (64 characters) of {@code folder}'s model files.
     *
     * @throws InvalidModelException if the folder has no valid {@code model.json} or its weights
     *                               point outside it
     * @throws UncheckedIOException  if a file cannot be read
     */
    public static String sha256(Path folder) {
        ModelManifest manifest = ModelManifest.read(folder);
        Path weights = manifest.weightsPath(folder);
        TreeMap<String, Path> files = new TreeMap<>();
        try {
            try (Stream<Path> top = Files.list(folder)) {
                top.filter(Files::isRegularFile).forEach(f -> files.put(relative(folder, f), f));
            }
            if (Files.isDirectory(weights)) {
                try (Stream<Path> below = Files.walk(weights)) {
                    below.filter(Files::isRegularFile).forEach(f -> files.put(relative(folder, f), f));
                }
            }
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            byte[] buffer = new byte[1 << 16];
            for (var e : files.entrySet()) {
                digest.update(e.getKey().getBytes(StandardCharsets.UTF_8));
                digest.update((byte) 0);
                digest.update(ByteBuffer.allocate(Long.BYTES).putLong(Files.size(e.getValue())).array());
                try (InputStream in = Files.newInputStream(e.getValue())) {
                    for (int n; (n = in.read(buffer)) > 0; ) {
                        digest.update(buffer, 0, n);
                    }
                }
            }
            return HexFormat.of().formatHex(digest.digest());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read model folder [" + folder + "]: " + e.getMessage(), e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("this JVM has no SHA-256, which every Java platform must provide", e);
        }
    }

    private static String relative(Path folder, Path file) {
        List<String> parts = new ArrayList<>();
        for (Path part : folder.relativize(file)) {
            parts.add(part.toString());
        }
        return String.join("/", parts);
    }
}
