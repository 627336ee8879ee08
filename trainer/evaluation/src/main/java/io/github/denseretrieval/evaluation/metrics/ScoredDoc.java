package io.github.denseretrieval.evaluation.metrics;

/** One retrieved document and its score. */
public record ScoredDoc(String docId, double score) {}
