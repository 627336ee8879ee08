package io.github.denseretrieval.evaluation.retrieval;

import io.github.denseretrieval.evaluation.beir.Passage;
import io.github.denseretrieval.evaluation.metrics.ScoredDoc;
import org.apache.lucene.analysis.Analyzer;
import org.apache.lucene.document.Document;
import org.apache.lucene.document.StoredField;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.index.IndexWriterConfig;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.Query;
import org.apache.lucene.search.ScoreDoc;
import org.apache.lucene.search.similarities.Similarity;
import org.apache.lucene.store.ByteBuffersDirectory;

import java.io.Closeable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiConsumer;

/**
 * A corpus in one in-memory Lucene segment, searched with a caller's query and similarity and
 * answered as passage ids. The BM25 flavours built on it ({@link MultiMatchBm25} for es-config's
 * search, the trainer's miner for Anserini's) differ only in fields, analysis and similarity.
 * Thread-safe for searches.
 */
public final class InMemoryLuceneIndex implements Closeable {

    private static final String ID = "_id";

    private final ByteBuffersDirectory directory = new ByteBuffersDirectory();
    private final DirectoryReader reader;
    private final IndexSearcher searcher;

    /**
     * @param fields adds a passage's searchable fields to its document (the id is stored by this class)
     */
    public InMemoryLuceneIndex(List<Passage> corpus, Analyzer analyzer, Similarity similarity, BiConsumer<Passage, Document> fields)
        throws IOException {
        try (IndexWriter writer = new IndexWriter(directory, new IndexWriterConfig(analyzer).setSimilarity(similarity))) {
            for (Passage p : corpus) {
                Document doc = new Document();
                doc.add(new StoredField(ID, p.id()));
                fields.accept(p, doc);
                writer.addDocument(doc);
            }
            // One segment, so term statistics are those of a one-shard index whatever the corpus size.
            writer.forceMerge(1);
        }
        reader = DirectoryReader.open(directory);
        searcher = new IndexSearcher(reader);
        searcher.setSimilarity(similarity);
    }

    /** The {@code k} best passages for {@code query}, best first. */
    public List<ScoredDoc> search(Query query, int k) {
        try {
            List<ScoredDoc> out = new ArrayList<>(k);
            for (ScoreDoc hit : searcher.search(query, k).scoreDocs) {
                out.add(new ScoredDoc(searcher.storedFields().document(hit.doc).get(ID), hit.score));
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() throws IOException {
        reader.close();
        directory.close();
    }
}
