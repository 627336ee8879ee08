package io.github.denseretrieval.encoder;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The content identity of model folders: equal for equal content wherever it lives, different for any change. */
class ModelFolderDigestTests {

    /** A small model folder: the real manifest, a short tokenizer stand-in and weights of a few bytes. */
    private static Path folder(Path dir, String weights, byte[] weightBytes) throws IOException {
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("model.json"), ModelManifest.read(TextEncoderTests.BGE).toJson().toString()
            .replace("\"model.onnx\"", "\"" + weights + "\""));
        Files.writeString(dir.resolve("tokenizer.json"), "{\"model\": {}}");
        Path w = dir.resolve(weights);
        Files.createDirectories(w.getParent());
        Files.write(w, weightBytes);
        return dir;
    }

    @Test
    void sameContentInTwoFoldersHasTheSameDigest(@TempDir Path dir) throws IOException {
        String a = ModelFolderDigest.sha256(folder(dir.resolve("a"), "model.onnx", new byte[] {1, 2, 3}));
        String b = ModelFolderDigest.sha256(folder(dir.resolve("somewhere/else/b"), "model.onnx", new byte[] {1, 2, 3}));
        assertEquals(a, b);
        assertTrue(a.matches("[0-9a-f]{64}"), a);
    }

    @Test
    void oneChangedByteChangesTheDigest(@TempDir Path dir) throws IOException {
        String a = ModelFolderDigest.sha256(folder(dir.resolve("a"), "model.onnx", new byte[] {1, 2, 3}));
        String b = ModelFolderDigest.sha256(folder(dir.resolve("b"), "model.onnx", new byte[] {1, 2, 4}));
        assertNotEquals(a, b);
    }

    @Test
    void renamedOrAddedFilesChangeTheDigestButUnrelatedSubfoldersDoNot(@TempDir Path dir) throws IOException {
        Path a = folder(dir.resolve("a"), "model.onnx", new byte[] {1, 2, 3});
        String before = ModelFolderDigest.sha256(a);
        Files.createDirectories(a.resolve("training-logs"));
        Files.writeString(a.resolve("training-logs/curve.csv"), "step,loss\n");
        assertEquals(before, ModelFolderDigest.sha256(a), "only the model's own files count");
        Files.writeString(a.resolve("README.md"), "notes");
        assertNotEquals(before, ModelFolderDigest.sha256(a));
        Files.delete(a.resolve("README.md"));
        Files.move(a.resolve("tokenizer.json"), a.resolve("tokenizer2.json"));
        assertNotEquals(before, ModelFolderDigest.sha256(a));
    }

    @Test
    void weightsDirectoryIsHashedToTheBottom(@TempDir Path dir) throws IOException {
        Path a = folder(dir.resolve("a"), "saved_model/variables/variables.data", new byte[] {9});
        Path b = folder(dir.resolve("b"), "saved_model/variables/variables.data", new byte[] {8});
        String digestA = ModelFolderDigest.sha256(Files.writeString(a.resolve("model.json"),
            Files.readString(a.resolve("model.json")).replace("saved_model/variables/variables.data", "saved_model")).getParent());
        String digestB = ModelFolderDigest.sha256(Files.writeString(b.resolve("model.json"),
            Files.readString(b.resolve("model.json")).replace("saved_model/variables/variables.data", "saved_model")).getParent());
        assertNotEquals(digestA, digestB);
    }

    @Test
    void realModelFoldersDiffer() {
        assertNotEquals(ModelFolderDigest.sha256(TextEncoderTests.BGE), ModelFolderDigest.sha256(TextEncoderTests.MODELS.resolve("bge-small-en-v1.5-q")));
    }

    @Test
    void folderWithoutManifestIsAnInvalidModel(@TempDir Path dir) {
        assertThrows(InvalidModelException.class, () -> ModelFolderDigest.sha256(dir));
    }
}
