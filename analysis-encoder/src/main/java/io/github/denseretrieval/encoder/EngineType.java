package io.github.denseretrieval.encoder;

/** The inference engine a model folder's weights are for, as named by {@code model.json}'s {@code engine}. */
public enum EngineType {
    /** {@code model.onnx}, run with ONNX Runtime. */
    ONNX("onnx"),
    /** A TensorFlow SavedModel directory, run with DJL's TensorFlow engine (TF 2.10.1). */
    TENSORFLOW("tensorflow");

    private final String jsonName;

    EngineType(String jsonName) {
        this.jsonName = jsonName;
    }

    /** The manifest spelling. */
    public String jsonName() {
        return jsonName;
    }

    /** Parses the manifest's {@code engine} value. */
    public static EngineType fromName(String name) {
        for (EngineType e : values()) {
            if (e.jsonName.equalsIgnoreCase(name)) {
                return e;
            }
        }
        throw new IllegalArgumentException("unknown engine [" + name + "]; valid values are [onnx, tensorflow]");
    }
}
