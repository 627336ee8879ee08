package io.github.denseretrieval.trainer.export;

import com.google.gson.JsonObject;
import io.github.denseretrieval.encoder.EngineType;
import io.github.denseretrieval.encoder.ModelManifest;
import io.github.denseretrieval.encoder.TextEncoder;
import io.github.denseretrieval.trainer.export.OnnxModelFile.FloatTensor;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Map;

/**
 * Writes a trained encoder as model folders the plugin serves unchanged: {@code <out>/onnx} (the
 * base model's ONNX graph with the trained tensors put in) and, unless skipped,
 * {@code <out>/tensorflow} (a SavedModel built from the same tensors). Both carry the base
 * folder's tokenizer, prefixes, pooling and normalisation, and a {@code model.json} whose
 * provenance names the base model, recipe, data and metrics.
 */
public final class TrainedModelExport {

    public static final String ONNX_DIR = "onnx";
    public static final String TENSORFLOW_DIR = "tensorflow";
    /** Where a two-tower model keeps its question tower, beside the passage tower: {@code <out>/query/onnx}. */
    public static final String QUERY_TOWER_DIR = "query";

    private TrainedModelExport() {}

    /**
     * The question tower that goes with an exported (or any) model folder: {@code ../query/onnx}
     * when training wrote separate towers, else the folder itself, which serves both roles.
     */
    public static Path queryTowerOf(Path modelFolder) {
        Path parent = modelFolder.toAbsolutePath().normalize().getParent();
        Path query = parent == null ? null : parent.resolve(QUERY_TOWER_DIR).resolve(ONNX_DIR);
        return query != null && modelFolder.getFileName().toString().equals(ONNX_DIR) && Files.isDirectory(query) ? query : modelFolder;
    }

    /**
     * @param base       the ONNX model folder training started from
     * @param weights    the base's encoder with the trained tensors ({@link BertWeights#replacing})
     * @param trained    the trained tensors by ONNX name
     * @param name       the new model's name
     * @param provenance what to record in {@code model.json}
     * @param tensorflow also write the SavedModel folder
     * @return the ONNX model folder
     */
    public static Path write(Path base, BertWeights weights, Map<String, FloatTensor> trained, Path out, String name, JsonObject provenance,
                             boolean tensorflow) throws IOException {
        ModelManifest source = ModelManifest.read(base);
        if (source.engine() != EngineType.ONNX) {
            throw new IllegalArgumentException("base model folder [" + base + "] is not an ONNX model folder");
        }
        JsonObject record = provenance.deepCopy();
        record.addProperty("base_model", source.provenance().has("base_model") ? source.provenance().get("base_model").getAsString() : source.name());
        record.addProperty("base_folder", source.name());
        ModelManifest manifest = new ModelManifest(name, EngineType.ONNX, source.weights(), source.dimensions(), source.pooling(),
            source.normalize(), source.similarity(), source.maxSeqLength(), source.queryPrefix(), source.passagePrefix(), record);

        Path onnx = out.resolve(ONNX_DIR);
        Files.createDirectories(onnx);
        OnnxWeightSwap.write(base.resolve(source.weights()), onnx.resolve(source.weights()), trained);
        Files.copy(base.resolve(TextEncoder.TOKENIZER_FILE), onnx.resolve(TextEncoder.TOKENIZER_FILE), StandardCopyOption.REPLACE_EXISTING);
        manifest.write(onnx);

        if (tensorflow) {
            Path tf = out.resolve(TENSORFLOW_DIR);
            Files.createDirectories(tf);
            SavedModelExporter.export(weights, tf.resolve(ModelFolderExport.SAVED_MODEL_DIR));
            Files.copy(base.resolve(TextEncoder.TOKENIZER_FILE), tf.resolve(TextEncoder.TOKENIZER_FILE), StandardCopyOption.REPLACE_EXISTING);
            manifest.withEngine(EngineType.TENSORFLOW, ModelFolderExport.SAVED_MODEL_DIR).write(tf);
        }
        return onnx;
    }
}
