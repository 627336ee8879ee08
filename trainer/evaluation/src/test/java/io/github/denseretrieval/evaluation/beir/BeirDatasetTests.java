package io.github.denseretrieval.evaluation.beir;

import io.github.denseretrieval.evaluation.metrics.Qrels;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BeirDatasetTests {

    static final Path SCIFACT = Path.of(System.getProperty("beir.data.dir", "../../shared/data")).resolve("scifact");

    private static Path tinyDataset(Path dir, String corpus) throws IOException {
        Files.writeString(dir.resolve("corpus.jsonl"), corpus);
        Files.writeString(dir.resolve("queries.jsonl"), "{\"_id\":\"q1\",\"text\":\"question one\",\"metadata\":{}}\n");
        Files.createDirectories(dir.resolve("qrels"));
        Files.writeString(dir.resolve("qrels/test.tsv"), "query-id\tcorpus-id\tscore\nq1\td1\t1\nq1\tmissing\t1\n");
        return dir;
    }

    @Test
    void readsCorpusQueriesAndQrels(@TempDir Path dir) throws IOException {
        BeirDataset d = BeirDataset.open(tinyDataset(dir, "{\"_id\":\"d1\",\"title\":\"T\",\"text\":\"body\"}\n"));
        List<Passage> corpus = d.corpus();
        assertEquals(1, corpus.size());
        assertEquals("T body", corpus.get(0).titleAndText());
        Qrels qrels = d.qrels("test");
        assertEquals(2, qrels.size());
        assertEquals("question one", d.queriesOf(qrels).get("q1"));
        List<String> problems = d.validate(qrels);
        assertEquals(1, problems.size());
        assertTrue(problems.get(0).contains("[missing]"), problems.toString());
    }

    @Test
    void badJsonLineIsReportedWithItsLineNumber(@TempDir Path dir) throws IOException {
        BeirDataset d = BeirDataset.open(tinyDataset(dir, "{\"_id\":\"d1\",\"text\":\"ok\"}\nnot json at all\n"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, d::corpus);
        assertTrue(e.getMessage().contains("line 2"), e.getMessage());
    }

    @Test
    void missingFolderAndMissingSplitAreExplained(@TempDir Path dir) throws IOException {
        IllegalArgumentException none = assertThrows(IllegalArgumentException.class, () -> BeirDataset.open(dir.resolve("nope")));
        assertTrue(none.getMessage().contains("corpus.jsonl"), none.getMessage());
        BeirDataset d = BeirDataset.open(tinyDataset(dir, "{\"_id\":\"d1\",\"text\":\"ok\"}\n"));
        IllegalArgumentException split = assertThrows(IllegalArgumentException.class, () -> d.qrels("dev"));
        assertTrue(split.getMessage().contains("available splits: [test]"), split.getMessage());
    }

    @Test
    void sciFactHasThePublishedCounts() throws IOException {
        Assumptions.assumeTrue(Files.isDirectory(SCIFACT), "SciFact not present at " + SCIFACT);
        BeirDataset d = BeirDataset.open(SCIFACT);
        assertEquals(5183, d.corpus().size());
        assertEquals(1109, d.queries().size());
        Qrels train = d.qrels("train");
        Qrels test = d.qrels("test");
        assertEquals(809, train.queryIds().size());
        assertEquals(919, train.size());
        assertEquals(300, test.queryIds().size());
        assertEquals(339, test.size());
        assertEquals(List.of(), d.validate(test));
    }
}
