package io.github.denseretrieval.trainer.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.nn.Parameter;
import ai.djl.util.Pair;
import ai.djl.util.PairList;
import io.github.denseretrieval.trainer.model.BertTower;
import io.github.denseretrieval.trainer.model.TrainableEncoder;

import java.util.ArrayList;
import java.util.List;

/**
 * Copies of one dual encoder on several devices, trained as one model (data parallelism, the
 * multi-GPU form of RocketQA's cross-batch negatives). The gradient cache hands each replica its
 * share of a batch's chunks, gathers every vector into one loss (so every question sees the
 * passages of all devices as negatives), and each replica back-propagates its own chunks. Then
 * {@link #allReduceGradients()} sums the gradients and gives every replica the sum, and the
 * same optimizer step on identical weights keeps the replicas identical, as PyTorch's
 * DistributedDataParallel does. The first replica is the one evaluated and exported; this class
 * does not close the encoders.
 */
public final class Replicas {

    private static final NDIndex ALL = new NDIndex("...");

    private final List<TrainableEncoder> encoders;

    private Replicas(List<TrainableEncoder> encoders) {
        if (encoders.isEmpty()) {
            throw new IllegalArgumentException("at least one replica is needed");
        }
        this.encoders = List.copyOf(encoders);
    }

    public static Replicas of(TrainableEncoder single) {
        return new Replicas(List.of(single));
    }

    /** Replicas opened from the same folder, one per device; the first is the primary. */
    public static Replicas of(List<TrainableEncoder> encoders) {
        return new Replicas(encoders);
    }

    public TrainableEncoder primary() {
        return encoders.get(0);
    }

    /** The replica that encodes the {@code chunk}-th chunk of a batch: chunks go round the devices. */
    TrainableEncoder forChunk(int chunk) {
        return encoders.get(chunk % encoders.size());
    }

    int size() {
        return encoders.size();
    }

    /** Every tower of every replica: what the optimizer updates. */
    List<BertTower> towers() {
        List<BertTower> out = new ArrayList<>();
        encoders.forEach(e -> out.addAll(e.towers()));
        return out;
    }

    /** Replaces each trainable parameter's gradient, on every replica, by the sum over the replicas. */
    void allReduceGradients() {
        if (encoders.size() == 1) {
            return;
        }
        List<List<Parameter>> perReplica = encoders.stream().map(Replicas::trainableParameters).toList();
        int count = perReplica.get(0).size();
        for (int i = 0; i < count; i++) {
            NDArray primaryGradient = perReplica.get(0).get(i).getArray().getGradient();
            for (int r = 1; r < perReplica.size(); r++) {
                try (NDArray g = perReplica.get(r).get(i).getArray().getGradient();
                     NDArray moved = g.toDevice(primaryGradient.getDevice(), true)) {
                    primaryGradient.addi(moved);
                }
            }
            for (int r = 1; r < perReplica.size(); r++) {
                try (NDArray g = perReplica.get(r).get(i).getArray().getGradient();
                     NDArray sum = primaryGradient.toDevice(g.getDevice(), true)) {
                    // Assign, not g - g + sum: a NaN in g would survive the subtraction.
                    g.set(ALL, 0f);
                    g.addi(sum);
                }
            }
            primaryGradient.close();
        }
    }

    /** The trainable parameters of a replica's towers, in block order; replicas of one folder list them alike. */
    private static List<Parameter> trainableParameters(TrainableEncoder encoder) {
        List<Parameter> out = new ArrayList<>();
        for (BertTower tower : encoder.towers()) {
            PairList<String, Parameter> parameters = tower.getParameters();
            for (Pair<String, Parameter> p : parameters) {
                if (p.getValue().requiresGradient()) {
                    out.add(p.getValue());
                }
            }
        }
        return out;
    }
}
