package io.github.denseretrieval.evaluation.retrieval;

import io.github.denseretrieval.evaluation.beir.Passage;
import io.github.denseretrieval.evaluation.metrics.ScoredDoc;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MultiMatchBm25Tests {

    private static final List<Passage> CORPUS = List.of(
        new Passage("1", "Malaria", "Mosquitoes transmit the parasite."),
        new Passage("2", "", "A mosquito bit the traveller."),
        new Passage("3", "Cancer", "Smoking raises the risk of lung cancer."));

    @Test
    void englishAnalysisStemsAndStandardDoesNot() throws IOException {
        try (MultiMatchBm25 english = new MultiMatchBm25(CORPUS, MultiMatchBm25.Analysis.ENGLISH);
             MultiMatchBm25 standard = new MultiMatchBm25(CORPUS, MultiMatchBm25.Analysis.STANDARD)) {
            List<String> stemmed = english.search("mosquito", 10).stream().map(ScoredDoc::docId).toList();
            assertEquals(2, stemmed.size(), stemmed.toString());
            assertEquals(List.of("2"), standard.search("mosquito", 10).stream().map(ScoredDoc::docId).toList());
        }
    }

    @Test
    void titlesCountAndAQuestionWithNoIndexedTokenFindsNothing() throws IOException {
        try (MultiMatchBm25 bm25 = new MultiMatchBm25(CORPUS, MultiMatchBm25.Analysis.STANDARD)) {
            assertEquals(List.of("1"), bm25.search("malaria", 10).stream().map(ScoredDoc::docId).toList());
            assertEquals(3, bm25.search("the", 10).size());
            assertTrue(bm25.search("", 10).isEmpty());
            assertTrue(bm25.search("!!!", 10).isEmpty());
        }
    }
}
