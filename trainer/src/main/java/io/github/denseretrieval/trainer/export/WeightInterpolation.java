package io.github.denseretrieval.trainer.export;

import io.github.denseretrieval.trainer.export.OnnxModelFile.FloatTensor;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Weight-space interpolation between a model and the model fine-tuned from it, {@code (1 - a) x
 * start + a x tuned} tensor by tensor (WiSE-FT, Wortsman et al. 2022): fine-tuning on a few hundred
 * questions moves the weights a short way, and a point between the two often keeps the base
 * model's breadth while taking the fine-tuning's gain. {@code a = 0} gives the start and {@code
 * a = 1} the tuned model bit for bit, and an element training left unchanged (a frozen layer)
 * keeps its exact value, so the frozen-layer outputs cached for either model stay valid.
 */
public final class WeightInterpolation {

    private WeightInterpolation() {}

    /**
     * The tensors of {@code tuned} that differ from {@code start}, moved to {@code alpha} of the way
     * from start to tuned. Fails naming the tensor if {@code tuned} has one {@code start} lacks or
     * shapes differ: the two must be one model before and after training.
     */
    public static Map<String, FloatTensor> between(Map<String, FloatTensor> start, Map<String, FloatTensor> tuned, float alpha) {
        if (!(alpha >= 0 && alpha <= 1)) {
            throw new IllegalArgumentException("interpolation weight must be in [0, 1], got " + alpha);
        }
        Map<String, FloatTensor> out = new LinkedHashMap<>();
        for (FloatTensor t : tuned.values()) {
            FloatTensor s = start.get(t.name());
            if (s == null || !Arrays.equals(s.dims(), t.dims())) {
                throw new IllegalArgumentException("tensor [" + t.name() + "] " + (s == null ? "is not in the start model"
                    : "has shape " + Arrays.toString(t.dims()) + " but " + Arrays.toString(s.dims()) + " in the start model")
                    + ": was the tuned model trained from it?");
            }
            if (Arrays.equals(s.values(), t.values())) {
                continue;
            }
            float[] v = new float[t.values().length];
            for (int i = 0; i < v.length; i++) {
                float a = s.values()[i];
                float b = t.values()[i];
                // Written so that a = 0 and a = 1 return the end points exactly, and an unchanged element stays as it was.
                v[i] = a == b ? a : (1 - alpha) * a + alpha * b;
            }
            out.put(t.name(), new FloatTensor(t.name(), t.dims(), v));
        }
        return out;
    }
}
