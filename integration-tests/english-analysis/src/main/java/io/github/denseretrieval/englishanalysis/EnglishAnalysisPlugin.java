package io.github.denseretrieval.englishanalysis;

import org.apache.lucene.analysis.Analyzer;
import org.apache.lucene.analysis.en.EnglishAnalyzer;
import org.elasticsearch.index.analysis.AnalyzerProvider;
import org.elasticsearch.index.analysis.AnalyzerScope;
import org.elasticsearch.indices.analysis.AnalysisModule.AnalysisProvider;
import org.elasticsearch.plugins.AnalysisPlugin;
import org.elasticsearch.plugins.Plugin;

import java.util.Map;

/**
 * The {@code english} analyzer for the {@code integ-test-zip} distribution, which lacks the
 * analysis-common module that provides it on every real cluster. It is Lucene's
 * {@link EnglishAnalyzer} with its default stop words, which is what analysis-common's
 * {@code english} analyzer builds when given no settings, so es-config's index template means the
 * same thing on the test distribution and on a real cluster. Test-side only: on a full
 * distribution analysis-common already registers {@code english} and a node with both refuses to
 * start.
 */
public class EnglishAnalysisPlugin extends Plugin implements AnalysisPlugin {

    @Override
    public Map<String, AnalysisProvider<AnalyzerProvider<? extends Analyzer>>> getAnalyzers() {
        return Map.of("english", (indexSettings, environment, name, settings) -> new English(name));
    }

    private record English(String name, EnglishAnalyzer analyzer) implements AnalyzerProvider<EnglishAnalyzer> {

        English(String name) {
            this(name, new EnglishAnalyzer());
        }

        @Override
        public AnalyzerScope scope() {
            return AnalyzerScope.INDEX;
        }

        @Override
        public EnglishAnalyzer get() {
            return analyzer;
        }
    }
}
