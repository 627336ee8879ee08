package io.github.denseretrieval.plugin;

import io.github.denseretrieval.encoder.DeviceChoice;
import io.github.denseretrieval.encoder.EncoderOptions;
import io.github.denseretrieval.plugin.action.EncodeTextAction;
import io.github.denseretrieval.plugin.action.ModelsNodesAction;
import io.github.denseretrieval.plugin.action.TransportEncodeTextAction;
import io.github.denseretrieval.plugin.action.StatsNodesAction;
import io.github.denseretrieval.plugin.action.TransportModelsNodesAction;
import io.github.denseretrieval.plugin.action.TransportStatsNodesAction;
import io.github.denseretrieval.plugin.ingest.DenseEncodeProcessor;
import io.github.denseretrieval.plugin.ingest.PassageBatchers;
import io.github.denseretrieval.plugin.model.ModelRegistry;
import io.github.denseretrieval.plugin.rest.RestEncodeAction;
import io.github.denseretrieval.plugin.rest.RestModelsAction;
import io.github.denseretrieval.plugin.rest.RestStatsAction;
import io.github.denseretrieval.plugin.stats.NodeEncodeStats;
import io.github.denseretrieval.plugin.search.DenseEncodeVectorBuilder;
import io.github.denseretrieval.plugin.search.DenseQueryBuilder;
import io.github.denseretrieval.plugin.search.hybrid.HybridRankDoc;
import io.github.denseretrieval.plugin.search.hybrid.HybridRetrieverBuilder;
import org.apache.lucene.util.SetOnce;
import org.elasticsearch.action.ActionRequest;
import org.elasticsearch.action.ActionResponse;
import org.elasticsearch.cluster.metadata.IndexNameExpressionResolver;
import org.elasticsearch.cluster.node.DiscoveryNodes;
import org.elasticsearch.common.io.stream.NamedWriteableRegistry;
import org.elasticsearch.common.settings.ClusterSettings;
import org.elasticsearch.common.settings.IndexScopedSettings;
import org.elasticsearch.common.settings.Setting;
import org.elasticsearch.common.settings.Settings;
import org.elasticsearch.common.settings.SettingsFilter;
import org.elasticsearch.common.util.concurrent.EsExecutors;
import org.elasticsearch.env.Environment;
import org.elasticsearch.features.NodeFeature;
import org.elasticsearch.ingest.Processor;
import org.elasticsearch.plugins.ActionPlugin;
import org.elasticsearch.plugins.IngestPlugin;
import org.elasticsearch.plugins.Plugin;
import org.elasticsearch.plugins.SearchPlugin;
import org.elasticsearch.rest.RestController;
import org.elasticsearch.rest.RestHandler;
import org.elasticsearch.search.rank.RankDoc;
import org.elasticsearch.threadpool.ExecutorBuilder;
import org.elasticsearch.threadpool.FixedExecutorBuilder;

import java.nio.file.Path;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * The {@code dense-retrieval} plugin: dense passage retrieval inside Elasticsearch. Adds the
 * {@code dense_encode} ingest processor, the {@code dense} query, the {@code dense_encode} query
 * vector builder, the {@code hybrid_linear} and {@code hybrid_rrf} retrievers (and the deprecated
 * {@code hybrid}) and the {@code _dense/models} APIs, all served by
 * one {@link ModelRegistry} per node.
 */
public class DenseRetrievalPlugin extends Plugin implements IngestPlugin, SearchPlugin, ActionPlugin {

    /** Folder of operator-supplied model folders, under the node's config directory. */
    public static final String CONFIG_MODELS_DIR = "dense-retrieval/models";

    private final Settings settings;
    // The ingest service asks for processor factories before components exist, so factories
    // look the registry up when a pipeline is created.
    private final SetOnce<ModelRegistry> registry = new SetOnce<>();
    private final SetOnce<PassageBatchers> batchers = new SetOnce<>();

    public DenseRetrievalPlugin(Settings settings) {
        this.settings = settings;
    }

    @Override
    public Collection<?> createComponents(PluginServices services) {
        Environment env = services.environment();
        NativeLibraries.prepare(env.tmpDir());
        int processors = EsExecutors.allocatedProcessors(settings);
        int engineThreads = DenseRetrievalSettings.ENGINE_THREADS.get(settings);
        EncoderOptions options = new EncoderOptions(DenseRetrievalSettings.INGEST_BATCH_SIZE.get(settings),
            engineThreads > 0 ? engineThreads : processors, Math.max(1, processors / 2),
            DeviceChoice.fromName(DenseRetrievalSettings.DEVICE.get(settings)))
            .withMaxBatchTokens(DenseRetrievalSettings.MAX_BATCH_TOKENS.get(settings))
            .withCpuMemoryArena(DenseRetrievalSettings.MEMORY_ARENA.get(settings));
        ModelRegistry models = new ModelRegistry(pluginModelsDir(env), env.configDir().resolve(CONFIG_MODELS_DIR), options,
            services.clusterService().getNodeName(), DenseRetrievalSettings.MODELS_LOAD.get(settings));
        models.reload();
        registry.set(models);
        NodeEncodeStats stats = new NodeEncodeStats();
        PassageBatchers passageBatchers = new PassageBatchers(models, stats, services.threadPool(), DenseRetrievalSettings.INGEST_EXECUTOR,
            DenseRetrievalSettings.INGEST_BATCH_SIZE.get(settings), DenseRetrievalSettings.INGEST_MAX_WAIT.get(settings),
            DenseRetrievalSettings.INGEST_MAX_QUEUED.get(settings));
        batchers.set(passageBatchers);
        return List.of(models, passageBatchers, stats);
    }

    /** The bundled models ship inside the plugin's own folder. */
    static Path pluginModelsDir(Environment env) {
        return env.pluginsDir().resolve("dense-retrieval").resolve("models");
    }

    @Override
    public Map<String, Processor.Factory> getProcessors(Processor.Parameters parameters) {
        return Map.of(DenseEncodeProcessor.TYPE, new DenseEncodeProcessor.Factory(registry::get, batchers::get));
    }

    @Override
    public List<QuerySpec<?>> getQueries() {
        return List.of(new QuerySpec<>(DenseQueryBuilder.NAME, DenseQueryBuilder::new, DenseQueryBuilder::fromXContent));
    }

    @Override
    public List<QueryVectorBuilderSpec<?>> getQueryVectorBuilders() {
        return List.of(new QueryVectorBuilderSpec<>(DenseEncodeVectorBuilder.NAME, DenseEncodeVectorBuilder::new,
            (parser, context) -> DenseEncodeVectorBuilder.fromXContent(parser)));
    }

    @Override
    public List<RetrieverSpec<?>> getRetrievers() {
        return List.of(new RetrieverSpec<>(HybridRetrieverBuilder.LINEAR_NAME, HybridRetrieverBuilder::linearFromXContent),
            new RetrieverSpec<>(HybridRetrieverBuilder.RRF_NAME, HybridRetrieverBuilder::rrfFromXContent),
            new RetrieverSpec<>(HybridRetrieverBuilder.NAME, HybridRetrieverBuilder::fromXContent));
    }

    @Override
    public List<NamedWriteableRegistry.Entry> getNamedWriteables() {
        return List.of(new NamedWriteableRegistry.Entry(RankDoc.class, HybridRankDoc.NAME, HybridRankDoc::new));
    }

    @Override
    public Collection<ActionHandler<? extends ActionRequest, ? extends ActionResponse>> getActions() {
        return List.of(new ActionHandler<>(EncodeTextAction.INSTANCE, TransportEncodeTextAction.ForApi.class),
            new ActionHandler<>(EncodeTextAction.FOR_SEARCH, TransportEncodeTextAction.ForSearch.class),
            new ActionHandler<>(ModelsNodesAction.LIST, TransportModelsNodesAction.ListModels.class),
            new ActionHandler<>(ModelsNodesAction.RELOAD, TransportModelsNodesAction.ReloadModels.class),
            new ActionHandler<>(StatsNodesAction.INSTANCE, TransportStatsNodesAction.class));
    }

    @Override
    public Collection<RestHandler> getRestHandlers(Settings settings, NamedWriteableRegistry namedWriteableRegistry,
                                                   RestController restController, ClusterSettings clusterSettings,
                                                   IndexScopedSettings indexScopedSettings, SettingsFilter settingsFilter,
                                                   IndexNameExpressionResolver indexNameExpressionResolver,
                                                   Supplier<DiscoveryNodes> nodesInCluster, Predicate<NodeFeature> clusterSupportsFeature) {
        return List.of(new RestModelsAction(), new RestEncodeAction(), new RestStatsAction());
    }

    @Override
    public List<Setting<?>> getSettings() {
        return DenseRetrievalSettings.all();
    }

    @Override
    public List<ExecutorBuilder<?>> getExecutorBuilders(Settings settings) {
        int processors = EsExecutors.allocatedProcessors(settings);
        return List.of(
            new FixedExecutorBuilder(settings, DenseRetrievalSettings.INGEST_EXECUTOR, DenseRetrievalSettings.defaultIngestThreads(settings),
                64, "thread_pool." + DenseRetrievalSettings.INGEST_EXECUTOR, EsExecutors.TaskTrackingConfig.DO_NOT_TRACK),
            new FixedExecutorBuilder(settings, DenseRetrievalSettings.SEARCH_EXECUTOR, Math.max(1, processors / 2), 1000,
                "thread_pool." + DenseRetrievalSettings.SEARCH_EXECUTOR, EsExecutors.TaskTrackingConfig.DO_NOT_TRACK));
    }

    /**
     * Elasticsearch closes plugins before it stops their thread pools, so forward passes may still be
     * running here: waiting passages are answered with a retryable 503 first, then the registry drops
     * its references and each model's natives are freed when its last running pass releases them.
     */
    @Override
    public void close() {
        PassageBatchers passageBatchers = batchers.get();
        if (passageBatchers != null) {
            passageBatchers.close();
        }
        ModelRegistry models = registry.get();
        if (models != null) {
            models.close();
        }
    }
}
