package io.github.denseretrieval.trainer.mining;

import io.github.denseretrieval.evaluation.beir.Passage;
import io.github.denseretrieval.evaluation.metrics.ScoredDoc;
import io.github.denseretrieval.evaluation.retrieval.InMemoryLuceneIndex;
import org.apache.lucene.analysis.Analyzer;
import org.apache.lucene.analysis.TokenStream;
import org.apache.lucene.analysis.en.EnglishAnalyzer;
import org.apache.lucene.analysis.tokenattributes.CharTermAttribute;
import org.apache.lucene.document.Field;
import org.apache.lucene.document.TextField;
import org.apache.lucene.index.Term;
import org.apache.lucene.search.BooleanClause;
import org.apache.lucene.search.BooleanQuery;
import org.apache.lucene.search.TermQuery;
import org.apache.lucene.search.similarities.BM25Similarity;

import java.io.Closeable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * An in-memory Lucene BM25 index (k1 0.9, b 0.4, Anserini's BEIR setting; English analysis:
 * stemming and stop words) over a corpus's title and text, for mining hard negatives in-process.
 * Questions are analysed with the same analyzer and searched as a disjunction of their terms, so
 * no query syntax can fail. Thread-safe for searches.
 */
public final class Bm25Index implements Closeable {

    private static final String BODY = "body";
    /** BooleanQuery's default clause limit; longer questions keep their first terms. */
    private static final int MAX_TERMS = 1024;

    private final Analyzer analyzer = new EnglishAnalyzer();
    private final InMemoryLuceneIndex index;

    private Bm25Index(List<Passage> corpus) throws IOException {
        index = new InMemoryLuceneIndex(corpus, analyzer, new BM25Similarity(0.9f, 0.4f),
            (p, doc) -> doc.add(new TextField(BODY, p.titleAndText(), Field.Store.NO)));
    }

    public static Bm25Index build(List<Passage> corpus) throws IOException {
        return new Bm25Index(corpus);
    }

    /** The {@code k} best passages for {@code question}, best first (empty if no term matches). */
    public List<ScoredDoc> search(String question, int k) {
        try {
            BooleanQuery.Builder query = new BooleanQuery.Builder();
            for (String term : terms(question)) {
                query.add(new TermQuery(new Term(BODY, term)), BooleanClause.Occur.SHOULD);
            }
            return index.search(query.build(), k);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private Set<String> terms(String text) throws IOException {
        Set<String> terms = new LinkedHashSet<>();
        try (TokenStream stream = analyzer.tokenStream(BODY, text)) {
            CharTermAttribute term = stream.addAttribute(CharTermAttribute.class);
            stream.reset();
            while (stream.incrementToken() && terms.size() < MAX_TERMS) {
                terms.add(term.toString());
            }
            stream.end();
        }
        return terms;
    }

    @Override
    public void close() throws IOException {
        index.close();
        analyzer.close();
    }
}
