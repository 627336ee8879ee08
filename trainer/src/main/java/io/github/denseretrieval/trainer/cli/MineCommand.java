package io.github.denseretrieval.trainer.cli;

import io.github.denseretrieval.evaluation.beir.BeirDataset;
import io.github.denseretrieval.evaluation.beir.Passage;
import io.github.denseretrieval.trainer.data.TrainingData;
import io.github.denseretrieval.trainer.mining.Bm25Index;
import io.github.denseretrieval.trainer.mining.NegativeMiner;
import io.github.denseretrieval.trainer.train.TrainingExample;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;

/**
 * {@code trainer mine}: BM25 hard negatives (Lucene, English analysis) for a BEIR split, written
 * in DPR's JSON format so that {@code train --train-file} or other DPR tooling can use them.
 */
@Command(name = "mine", mixinStandardHelpOptions = true,
    description = "Mine BM25 hard negatives for a BEIR split and write them as DPR JSON.")
final class MineCommand implements Callable<Integer> {

    @Option(names = "--data", required = true, description = "BEIR folder.")
    Path data;

    @Option(names = "--split", defaultValue = "train", description = "qrels split (default: ${DEFAULT-VALUE}).")
    String split;

    @Option(names = "--negatives", defaultValue = "1", description = "Negatives per example (default: ${DEFAULT-VALUE}).")
    int negatives;

    @Option(names = "--depth", defaultValue = "100", description = "BM25 passages searched per question (default: ${DEFAULT-VALUE}).")
    int depth;

    @Option(names = "--out", required = true, description = "Output DPR JSON file.")
    Path out;

    @Override
    public Integer call() throws Exception {
        BeirDataset dataset = BeirDataset.open(data);
        Map<String, Passage> corpus = TrainingData.corpusById(dataset);
        List<TrainingExample> examples = TrainingData.fromBeir(dataset, split, Set.of());
        try (Bm25Index bm25 = Bm25Index.build(List.copyOf(corpus.values()))) {
            List<TrainingExample> mined = new NegativeMiner(corpus, q -> bm25.search(q, depth)).mine(examples, negatives);
            TrainingData.writeDprJson(mined, corpus, out);
            long without = mined.stream().filter(e -> e.negatives().isEmpty()).count();
            System.out.printf("%d examples written to %s (%d without a negative: BM25 found nothing unjudged)%n", mined.size(), out, without);
        }
        return 0;
    }
}
