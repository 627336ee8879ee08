package io.github.denseretrieval.it;

import com.fasterxml.jackson.databind.JsonNode;
import io.github.denseretrieval.evaluation.beir.BeirDataset;
import io.github.denseretrieval.evaluation.retrieval.EvaluationSet;
import io.github.denseretrieval.evaluation.retrieval.RunFusion;
import io.github.denseretrieval.evaluation.metrics.Evaluator;
import io.github.denseretrieval.evaluation.metrics.MetricSummary;
import io.github.denseretrieval.evaluation.metrics.Run;
import io.github.denseretrieval.evaluation.metrics.ScoredDoc;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.nio.file.Files;
import java.util.List;
import java.util.Locale;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A reduced-size run of the quickstart's pieces on real SciFact data: ingest through the
 * es-config pipeline, the three search modes from es-config/searches, and the hybrid retriever's
 * fusion checked against the same fusion computed client-side. Quality figures on the full data
 * come from ./quickstart, not from this test.
 */
@ExtendWith(RealNode.class)
class SciFactOnRealNodeIT {

    @Test
    void ingestSearchAndFuseOnAReducedSciFact() throws Exception {
        Assumptions.assumeTrue(Files.isDirectory(RealNode.SCIFACT), "SciFact not present at " + RealNode.SCIFACT);
        EvaluationSet set = EvaluationSet.load(BeirDataset.open(RealNode.SCIFACT), "test", 40, 120);
        ClusterClient es = RealNode.client();
        ClusterSetup setup = new ClusterSetup(es, RealNode.ES_CONFIG);
        setup.apply("bge-small-en-v1.5");
        String index = "dense-scifact-it";
        CorpusIngester.Result ingest = setup.ensureIndex(index, set, 384, RealNode.SCIFACT);
        assertEquals(List.of(), ingest.failures());
        assertEquals(set.passages().size(), ingest.indexed());
        System.out.printf(Locale.ROOT, "reduced SciFact: %d passages ingested at %.1f docs/s%n", ingest.indexed(), ingest.docsPerSecond());

        // The index keeps es-config's vector settings (exact float HNSW, dot product), not Elasticsearch's int8 default.
        JsonNode vectorMapping = es.sendOk("GET", "/" + index + "/_mapping", null).path(index).path("mappings").path("properties")
            .path("text_vector");
        assertEquals("hnsw", vectorMapping.path("index_options").path("type").asText(), vectorMapping.toString());
        assertEquals("dot_product", vectorMapping.path("similarity").asText(), vectorMapping.toString());

        JsonNode withVectors = es.sendOk("POST", "/" + index + "/_count", "{\"query\":{\"exists\":{\"field\":\"text_vector\"}}}");
        assertEquals(set.passages().size(), withVectors.path("count").asInt(), "every passage must have a vector");
        JsonNode doc = es.sendOk("GET", "/" + index + "/_doc/" + set.passages().get(0).id(), null);
        assertEquals(384, doc.path("_source").path("text_vector").size());

        SearchTemplates templates = SearchTemplates.load(RealNode.ES_CONFIG);
        String url = RealNode.node().url();
        Run bm25 = templates.search(url, index, SearchTemplates.BM25, null).run(set.queries());
        Run dense = templates.search(url, index, SearchTemplates.DENSE, null).run(set.queries());
        Run hybrid = templates.search(url, index, SearchTemplates.HYBRID, null).run(set.queries());

        MetricSummary mb = Evaluator.evaluate(set.qrels(), bm25);
        MetricSummary md = Evaluator.evaluate(set.qrels(), dense);
        MetricSummary mh = Evaluator.evaluate(set.qrels(), hybrid);
        System.out.printf(Locale.ROOT, "reduced SciFact nDCG@10: bm25 %.4f dense %.4f hybrid %.4f%n", mb.ndcgAt10(), md.ndcgAt10(), mh.ndcgAt10());
        // Sanity, not a benchmark: a working dense path finds relevant passages in a small corpus.
        assertTrue(md.ndcgAt10() > 0.5, "dense nDCG@10 on the reduced set: " + md.ndcgAt10());

        // The node's hybrid ranking is the client-side fusion of its two children.
        // es-config's hybrid fuses BM25 over the .standard sub-fields (see es-config/README.md) with dense.
        Run bm25Standard = templates.search(url, index, SearchTemplates.BM25_STANDARD, null).run(set.queries());
        Run expected = RunFusion.fuse(templates.hybridSpec(), List.of(bm25Standard, dense), 100);
        int compared = 0;
        for (String qid : set.queries().keySet()) {
            java.util.Map<String, Double> want = new java.util.HashMap<>();
            expected.get(qid).forEach(d -> want.put(d.docId(), d.score()));
            List<ScoredDoc> got = Evaluator.trecOrder(hybrid.get(qid)).stream().limit(10).toList();
            List<Double> wantTop = Evaluator.trecOrder(expected.get(qid)).stream().limit(10).map(ScoredDoc::score).toList();
            // Same fused score for every document the node returns, and the same top-10 scores:
            // the ranking agrees up to the order of exact ties.
            for (int i = 0; i < got.size(); i++) {
                ScoredDoc d = got.get(i);
                assertTrue(want.containsKey(d.docId()), "question " + qid + ": node returned " + d.docId() + " which neither child ranked");
                assertEquals(want.get(d.docId()), d.score(), 1e-5, "fused score of " + d.docId() + " for question " + qid);
                assertEquals(wantTop.get(i), d.score(), 1e-5, "rank " + (i + 1) + " score for question " + qid);
            }
            compared++;
        }
        assertEquals(set.queries().size(), compared);
    }
}
