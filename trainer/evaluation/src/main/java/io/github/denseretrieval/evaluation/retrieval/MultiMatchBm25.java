package io.github.denseretrieval.evaluation.retrieval;

import io.github.denseretrieval.evaluation.beir.Passage;
import io.github.denseretrieval.evaluation.metrics.Run;
import io.github.denseretrieval.evaluation.metrics.ScoredDoc;
import org.apache.lucene.analysis.Analyzer;
import org.apache.lucene.analysis.en.EnglishAnalyzer;
import org.apache.lucene.analysis.standard.StandardAnalyzer;
import org.apache.lucene.document.Field;
import org.apache.lucene.document.TextField;
import org.apache.lucene.search.DisjunctionMaxQuery;
import org.apache.lucene.search.Query;
import org.apache.lucene.search.similarities.BM25Similarity;
import org.apache.lucene.util.QueryBuilder;

import java.io.Closeable;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * es-config's BM25 search ({@code searches/bm25.json}) run in-process on Lucene, for fusion sweeps
 * that would take hours through a node: {@code title} and {@code text} fields with Elasticsearch's
 * default BM25 (k1 1.2, b 0.75), each question analysed per field and matched as a disjunction of
 * its tokens (a {@code match} query), the two fields combined as {@code multi_match} best_fields
 * with tie_breaker 0.5 does.
 */
public final class MultiMatchBm25 implements Closeable {

    /** The field analysers es-config offers: {@code standard} (any distribution) and {@code english} (stemming, stop words). */
    public enum Analysis {
        STANDARD, ENGLISH;

        Analyzer create() {
            return this == ENGLISH ? new EnglishAnalyzer() : new StandardAnalyzer();
        }

        public String jsonName() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    private static final String TITLE = "title";
    private static final String TEXT = "text";
    private static final float TIE_BREAKER = 0.5f;

    private final Analyzer analyzer;
    private final InMemoryLuceneIndex index;
    private final QueryBuilder queries;

    public MultiMatchBm25(List<Passage> corpus, Analysis analysis) throws IOException {
        analyzer = analysis.create();
        index = new InMemoryLuceneIndex(corpus, analyzer, new BM25Similarity(), (p, doc) -> {
            doc.add(new TextField(TITLE, p.title() == null ? "" : p.title(), Field.Store.NO));
            doc.add(new TextField(TEXT, p.text() == null ? "" : p.text(), Field.Store.NO));
        });
        queries = new QueryBuilder(analyzer);
    }

    /** The {@code k} best passages for {@code question}, best first (empty when no token of it is indexed). */
    public List<ScoredDoc> search(String question, int k) {
        List<Query> perField = new ArrayList<>(2);
        for (String field : List.of(TITLE, TEXT)) {
            Query q = queries.createBooleanQuery(field, question);
            if (q != null) {
                perField.add(q);
            }
        }
        return perField.isEmpty() ? List.of() : index.search(new DisjunctionMaxQuery(perField, TIE_BREAKER), k);
    }

    /** Searches every question, {@code k} hits each. */
    public Run searchAll(Map<String, String> questions, int k) {
        Run run = new Run();
        questions.forEach((id, text) -> run.put(id, search(text, k)));
        return run;
    }

    @Override
    public void close() throws IOException {
        index.close();
        analyzer.close();
    }
}
