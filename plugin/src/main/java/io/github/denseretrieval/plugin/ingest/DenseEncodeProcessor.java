package io.github.denseretrieval.plugin.ingest;

import io.github.denseretrieval.encoder.TextChunk;
import io.github.denseretrieval.encoder.TextChunks;
import io.github.denseretrieval.plugin.model.ModelRegistry;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.elasticsearch.ElasticsearchException;
import org.elasticsearch.action.ActionListener;
import org.elasticsearch.action.support.GroupedActionListener;
import org.elasticsearch.core.Tuple;
import org.elasticsearch.ingest.AbstractProcessor;
import org.elasticsearch.ingest.ConfigurationUtils;
import org.elasticsearch.ingest.IngestDocument;
import org.elasticsearch.ingest.Processor;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;
import java.util.function.Supplier;

/**
 * Ingest processor {@code dense_encode}: encodes the text of one field (or several, joined) with a
 * dense retrieval model and stores the vector in {@code target_field}, ready for a
 * {@code dense_vector} mapping.
 *
 * <pre>
 * { "dense_encode": { "model_id": "bge-small-en-v1.5", "field": ["title", "text"], "target_field": "text_vector" } }
 * </pre>
 *
 * <p>Asynchronous: the text goes to the model's {@link MicroBatcher}, which encodes it together
 * with the texts of other documents on the plugin's own thread pool, and the document continues
 * when its vector is back. A missing, null, non-string or blank field fails the document (so
 * {@code on_failure} and the bulk response see it) unless {@code ignore_missing} is set, in which
 * case a missing or null field is skipped and a document with no text at all passes unchanged.
 *
 * <p>The model is looked up per document, not when the pipeline is created: a pipeline is created on
 * every node from the cluster state, and a node that lacks the model at that moment would otherwise
 * keep a broken placeholder pipeline for ever. Here a document on such a node fails with a 404
 * naming the node and the model, and the same pipeline works as soon as the folder is copied and
 * {@code POST _dense/models/_reload} has run.
 */
public final class DenseEncodeProcessor extends AbstractProcessor {

    public static final String TYPE = "dense_encode";

    private final String modelId;
    private final List<String> fields;
    private final String targetField;
    private final boolean ignoreMissing;
    private final String separator;
    private final PassageChunking chunking;
    private final ModelRegistry registry;
    private final PassageBatchers batchers;

    DenseEncodeProcessor(String tag, String description, String modelId, List<String> fields, String targetField,
                         boolean ignoreMissing, String separator, PassageChunking chunking, ModelRegistry registry,
                         PassageBatchers batchers) {
        super(tag, description);
        this.modelId = modelId;
        this.fields = List.copyOf(fields);
        this.targetField = targetField;
        this.ignoreMissing = ignoreMissing;
        this.separator = separator;
        this.chunking = chunking;
        this.registry = registry;
        this.batchers = batchers;
    }

    @Override
    public boolean isAsync() {
        return true;
    }

    @Override
    public void execute(IngestDocument document, BiConsumer<IngestDocument, Exception> handler) {
        String text;
        try {
            text = textOf(document);
        } catch (IllegalArgumentException e) {
            handler.accept(null, e);
            return;
        }
        if (text == null) {
            handler.accept(document, null);
            return;
        }
        try {
            registry.ensureServable(modelId);
        } catch (ElasticsearchException e) {
            handler.accept(null, e);
            return;
        }
        if (chunking != null) {
            executeChunked(document, text, handler);
            return;
        }
        batchers.encodePassage(modelId, text, ActionListener.wrap(vector -> {
            document.setFieldValue(targetField, boxed(vector));
            handler.accept(document, null);
        }, e -> handler.accept(null, e)));
    }

    /**
     * Writes one object per window: {@code index}, {@code start} and {@code end} (UTF-16 offsets
     * into the encoded text, i.e. the fields joined by {@code separator}), {@code vector}, and the
     * window's {@code text} when asked. A text longer than {@code max_chunks} windows also gets
     * {@code <target_field>_capped: true}: its tail was not encoded.
     */
    private void executeChunked(IngestDocument document, String text, BiConsumer<IngestDocument, Exception> handler) {
        TextChunks chunks;
        try {
            chunks = batchers.chunk(modelId, text, chunking.options());
        } catch (RuntimeException e) {
            handler.accept(null, e);
            return;
        }
        List<TextChunk> windows = chunks.chunks();
        ActionListener<Collection<Tuple<Integer, float[]>>> all = ActionListener.wrap(vectors -> {
            List<Map<String, Object>> objects = new ArrayList<>(Collections.nCopies(windows.size(), null));
            for (Tuple<Integer, float[]> v : vectors) {
                TextChunk c = windows.get(v.v1());
                Map<String, Object> object = new LinkedHashMap<>();
                object.put("index", c.index());
                object.put("start", c.start());
                object.put("end", c.end());
                if (chunking.includeText()) {
                    object.put("text", c.text());
                }
                object.put("vector", boxed(v.v2()));
                objects.set(c.index(), object);
            }
            document.setFieldValue(targetField, objects);
            if (chunks.capped()) {
                document.setFieldValue(targetField + "_capped", true);
            }
            handler.accept(document, null);
        }, e -> handler.accept(null, e));
        GroupedActionListener<Tuple<Integer, float[]>> each = new GroupedActionListener<>(windows.size(), all);
        for (TextChunk c : windows) {
            batchers.encodePassage(modelId, c.text(), each.map(vector -> new Tuple<>(c.index(), vector)));
        }
    }

    private static List<Float> boxed(float[] vector) {
        List<Float> values = new ArrayList<>(vector.length);
        for (float v : vector) {
            values.add(v);
        }
        return values;
    }

    /** The text to encode, or null when {@code ignore_missing} lets the document pass without one. */
    private String textOf(IngestDocument document) {
        List<String> parts = new ArrayList<>(fields.size());
        for (String field : fields) {
            Object value = document.hasField(field, true) ? document.getFieldValue(field, Object.class, true) : null;
            if (value == null) {
                if (ignoreMissing) {
                    continue;
                }
                throw new IllegalArgumentException("[" + TYPE + "] field [" + field + "] is missing or null; "
                    + "set [ignore_missing] to true to skip documents without it");
            }
            if (!(value instanceof String s)) {
                throw new IllegalArgumentException("[" + TYPE + "] field [" + field + "] is of type ["
                    + value.getClass().getSimpleName() + "], but only text can be encoded");
            }
            if (s.isBlank() == false) {
                parts.add(s);
            }
        }
        if (parts.isEmpty()) {
            if (ignoreMissing) {
                return null;
            }
            throw new IllegalArgumentException("[" + TYPE + "] field(s) " + fields + " hold no text to encode (empty or whitespace only)");
        }
        return String.join(separator, parts);
    }

    @Override
    public String getType() {
        return TYPE;
    }

    /**
     * Reads the processor's options; a bad option fails pipeline creation with a 400 naming it. A
     * model this node does not serve is only logged (see the class doc for why it is not an error).
     */
    public static final class Factory implements Processor.Factory {

        private static final Logger logger = LogManager.getLogger(Factory.class);

        private final Supplier<ModelRegistry> registry;
        private final Supplier<PassageBatchers> batchers;

        /** Suppliers, because Elasticsearch builds processor factories before plugin components exist. */
        public Factory(Supplier<ModelRegistry> registry, Supplier<PassageBatchers> batchers) {
            this.registry = registry;
            this.batchers = batchers;
        }

        @Override
        public DenseEncodeProcessor create(Map<String, Processor.Factory> registryOfFactories, String tag, String description,
                                           Map<String, Object> config) {
            String modelId = ConfigurationUtils.readStringProperty(TYPE, tag, config, "model_id", ModelRegistry.DEFAULT_MODEL_ID);
            List<String> fields = ConfigurationUtils.readOptionalListOrString(TYPE, tag, config, "field");
            if (fields.isEmpty()) {
                throw ConfigurationUtils.newConfigurationException(TYPE, tag, "field", "required property is missing");
            }
            String defaultTarget = fields.size() == 1 ? fields.get(0) + "_vector" : null;
            String targetField = defaultTarget == null
                ? ConfigurationUtils.readStringProperty(TYPE, tag, config, "target_field")
                : ConfigurationUtils.readStringProperty(TYPE, tag, config, "target_field", defaultTarget);
            boolean ignoreMissing = ConfigurationUtils.readBooleanProperty(TYPE, tag, config, "ignore_missing", false);
            String separator = ConfigurationUtils.readStringProperty(TYPE, tag, config, "separator", " ");
            PassageChunking chunking = PassageChunking.read(TYPE, tag, config);
            if (modelId.isBlank()) {
                throw ConfigurationUtils.newConfigurationException(TYPE, tag, "model_id", "must not be empty");
            }
            for (String field : fields) {
                if (field == null || field.isBlank()) {
                    throw ConfigurationUtils.newConfigurationException(TYPE, tag, "field", "field names must not be empty, got " + fields);
                }
            }
            if (targetField.isBlank()) {
                throw ConfigurationUtils.newConfigurationException(TYPE, tag, "target_field", "must not be empty");
            }
            try {
                registry.get().ensureServable(modelId);
            } catch (ElasticsearchException e) {
                logger.warn("dense-retrieval: pipeline processor [{}] uses model [{}], which this node cannot serve yet ({}); its "
                    + "documents fail with that error until the model is copied here and reloaded", tag, modelId, e.getMessage());
            }
            return new DenseEncodeProcessor(tag, description, modelId, fields, targetField, ignoreMissing, separator, chunking,
                registry.get(), batchers.get());
        }
    }
}
