package io.github.denseretrieval.encoder;

import com.google.gson.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Bounds on what a model folder's {@code model.json} may ask for: size, sequence length, where the weights are. */
class ModelManifestTests {

    private static JsonObject manifest(String weights) throws IOException {
        JsonObject o = ModelManifest.read(TextEncoderTests.BGE).toJson();
        o.addProperty("weights", weights);
        return o;
    }

    private static void write(Path folder, JsonObject manifest) throws IOException {
        Files.writeString(folder.resolve(ModelManifest.FILE_NAME), manifest.toString());
    }

    @Test
    void manifestOverOneMebibyteIsRefusedWithTheFileAndTheLimit(@TempDir Path dir) throws IOException {
        JsonObject o = manifest("model.onnx");
        o.getAsJsonObject("provenance").addProperty("notes", "x".repeat(ModelManifest.MAX_FILE_BYTES));
        write(dir, o);
        InvalidModelException e = assertThrows(InvalidModelException.class, () -> ModelManifest.read(dir));
        assertTrue(e.getMessage().contains(dir.resolve("model.json").toString()) && e.getMessage().contains("1 MiB"), e.getMessage());
    }

    @Test
    void maxSeqLengthAboveTheLimitIsRefusedWithTheFileAndTheLimit(@TempDir Path dir) throws IOException {
        JsonObject o = manifest("model.onnx");
        o.addProperty("max_seq_length", ModelManifest.MAX_SEQ_LENGTH);
        write(dir, o);
        assertEquals(8192, ModelManifest.read(dir).maxSeqLength());
        // Integer.MAX_VALUE used to be accepted, and rows x max_seq_length overflowed an int.
        for (int tooLong : new int[] {8193, Integer.MAX_VALUE}) {
            o.addProperty("max_seq_length", tooLong);
            write(dir, o);
            InvalidModelException e = assertThrows(InvalidModelException.class, () -> ModelManifest.read(dir));
            assertTrue(e.getMessage().contains("model.json") && e.getMessage().contains("[max_seq_length] is [" + tooLong + "]")
                && e.getMessage().contains("8192"), e.getMessage());
        }
    }

    @Test
    void absoluteWeightsAreRefused(@TempDir Path dir) throws IOException {
        String absolute = TextEncoderTests.BGE.resolve("model.onnx").toAbsolutePath().toString();
        assertOutside(dir, absolute, "absolute");
    }

    @Test
    void weightsClimbingOutOfTheFolderAreRefused(@TempDir Path dir) throws IOException {
        assertOutside(dir, "../model.onnx", "[..]");
        assertOutside(dir, "sub/../../model.onnx", "[..]");
    }

    @Test
    void weightsThroughASymbolicLinkOutOfTheFolderAreRefused(@TempDir Path dir) throws IOException {
        Files.createSymbolicLink(dir.resolve("model.onnx"), TextEncoderTests.BGE.resolve("model.onnx").toAbsolutePath());
        assertOutside(dir, "model.onnx", "symbolic link");
        // A linked directory on the way out counts too.
        Files.createSymbolicLink(dir.resolve("elsewhere"), TextEncoderTests.BGE.toAbsolutePath());
        assertOutside(dir, "elsewhere/model.onnx", "symbolic link");
    }

    @Test
    void weightsInsideTheFolderAreServedEvenThroughALinkOrASubfolder(@TempDir Path dir) throws IOException {
        Files.createDirectories(dir.resolve("onnx"));
        Files.writeString(dir.resolve("onnx/model.onnx"), "weights");
        Files.createSymbolicLink(dir.resolve("model.onnx"), dir.resolve("onnx/model.onnx"));
        write(dir, manifest("model.onnx"));
        assertEquals(dir.resolve("model.onnx"), ModelManifest.read(dir).weightsPath(dir));
        write(dir, manifest("onnx/model.onnx"));
        assertEquals(dir.resolve("onnx/model.onnx"), ModelManifest.read(dir).weightsPath(dir));
        write(dir, manifest("./onnx"));
        assertEquals(dir.resolve("onnx"), ModelManifest.read(dir).weightsPath(dir));
        // Missing weights are for the engine to report as not found.
        write(dir, manifest("absent.onnx"));
        assertEquals(dir.resolve("absent.onnx"), ModelManifest.read(dir).weightsPath(dir));
    }

    private static void assertOutside(Path dir, String weights, String why) throws IOException {
        if (!Files.exists(dir.resolve(TextEncoder.TOKENIZER_FILE))) {
            Files.copy(TextEncoderTests.BGE.resolve(TextEncoder.TOKENIZER_FILE), dir.resolve(TextEncoder.TOKENIZER_FILE));
        }
        write(dir, manifest(weights));
        ModelManifest m = ModelManifest.read(dir);
        InvalidModelException e = assertThrows(InvalidModelException.class, () -> m.weightsPath(dir));
        assertTrue(e.getMessage().contains("model.json") && e.getMessage().contains("[weights] is [" + weights + "]")
            && e.getMessage().contains(why) && e.getMessage().contains("inside the model folder"), e.getMessage());
        InvalidModelException open = assertThrows(InvalidModelException.class, () -> TextEncoder.open(dir));
        assertEquals(e.getMessage(), open.getMessage());
    }
}
