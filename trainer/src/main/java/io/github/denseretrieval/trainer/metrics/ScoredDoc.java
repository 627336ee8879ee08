package io.github.denseretrieval.trainer.metrics;

/** One retrieved document and its score. */
public record ScoredDoc(String docId, double score) {}
