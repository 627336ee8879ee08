package io.github.denseretrieval.trainer.train;

import ai.djl.training.tracker.Tracker;

/**
 * The BERT fine-tuning schedule the three papers use: the learning rate rises linearly over the
 * first {@code warmup} updates, then falls linearly to zero at {@code total}.
 */
final class WarmupLinearDecay implements Tracker {

    private final float peak;
    private final int warmup;
    private final int total;
    private final int offset;

    /** @param offset updates already done before this schedule object (a resumed run) */
    WarmupLinearDecay(float peak, int warmup, int total, int offset) {
        this.peak = peak;
        this.warmup = Math.max(0, warmup);
        this.total = Math.max(1, total);
        this.offset = offset;
    }

    /** {@code update} counts from 1 within this run, as DJL's optimizers pass it. */
    @Override
    public float getNewValue(int update) {
        int numUpdate = update + offset;
        if (numUpdate <= warmup) {
            return peak * numUpdate / (warmup + 1);
        }
        return peak * Math.max(0f, (float) (total - numUpdate + 1) / (total - warmup + 1));
    }
}
