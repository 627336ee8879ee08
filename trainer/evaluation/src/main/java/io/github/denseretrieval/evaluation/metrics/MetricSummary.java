package io.github.denseretrieval.evaluation.metrics;

import java.util.Map;

/**
 * Mean retrieval quality over the questions of a qrels split, and each question's values.
 *
 * @param perQuery question id to {@code [ndcg@10, mrr@10, recall@100]}
 */
public record MetricSummary(double ndcgAt10, double mrrAt10, double recallAt100, int queries, Map<String, double[]> perQuery) {}
