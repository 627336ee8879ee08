package io.github.denseretrieval.trainer.model;

import ai.djl.ndarray.NDArray;

/**
 * A scalar operand for a graph the engine records for the backward pass: use
 * {@code x.mul(GraphScalar.of(x, 0.5f))}, never {@code x.mul(0.5f)}, wherever gradients flow.
 *
 * <p>Why: DJL 0.28's PyTorch {@code mul(Number)}, {@code div(Number)}, {@code maximum(Number)} and
 * the like wrap the number in a tensor over a Java direct buffer ({@code torch::from_blob}, which
 * does not own its memory), run the op and close that wrapper at once. PyTorch's autograd keeps
 * the scalar for the backward pass (the gradient of {@code x * c} is {@code c}), but once the
 * wrapper is closed the buffer belongs to the garbage collector, and a collection between the
 * forward and the backward pass frees the memory autograd then reads. The loss stays finite; the
 * gradients get whatever the memory holds by then: 7 of 49 updates had a NaN gradient in a budget
 * run with the frozen-layer cache's gigabyte on the heap, most of them with a thread forcing
 * collections ({@code GcPressureTrainingTests}); before such updates were skipped they turned the
 * weights into NaN. A scalar made here is attached to the operand's manager instead, so it lives
 * until that scope closes, after the backward pass.
 */
public final class GraphScalar {

    private GraphScalar() {}

    /** {@code value} as a 0-d float32 tensor on {@code like}'s manager and device, alive until that manager closes. */
    public static NDArray of(NDArray like, float value) {
        return like.getManager().create(value).toDevice(like.getDevice(), false);
    }
}
