package io.github.denseretrieval.trainer.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Parameter;
import ai.djl.nn.core.Embedding;
import ai.djl.ndarray.types.SparseFormat;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import io.github.denseretrieval.trainer.export.BertWeights;

/** Word + position + token-type embeddings, then LayerNorm. Inputs: {@code input_ids, token_type_ids}. */
final class BertEmbeddingBlock extends PretrainedBlock {

    private final Parameter words;
    private final Parameter positions;
    private final Parameter tokenTypes;
    private final LayerNormBlock norm;

    BertEmbeddingBlock(NDManager manager, BertWeights w) {
        this.words = pretrained(manager, "word_embeddings", Parameter.Type.WEIGHT, w.wordEmbeddings());
        this.positions = pretrained(manager, "position_embeddings", Parameter.Type.WEIGHT, w.positionEmbeddings());
        this.tokenTypes = pretrained(manager, "token_type_embeddings", Parameter.Type.WEIGHT, w.tokenTypeEmbeddings());
        this.norm = addChildBlock("norm", new LayerNormBlock(manager, w.embeddingNormG(), w.embeddingNormB(), w.config().layerNormEpsilon()));
    }

    @Override
    protected NDList forwardInternal(ParameterStore store, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray ids = inputs.get(0);
        NDArray types = inputs.get(1);
        NDArray positionIds = ids.getManager().arange(0, (int) ids.getShape().get(1), 1, DataType.INT64, ids.getDevice());
        NDArray x = lookup(ids, words, store, training)
            .add(lookup(types, tokenTypes, store, training))
            .add(lookup(positionIds, positions, store, training));
        return norm.forward(store, new NDList(x), training);
    }

    private static NDArray lookup(NDArray ids, Parameter table, ParameterStore store, boolean training) {
        return Embedding.embedding(ids, store.getValue(table, ids.getDevice(), training), SparseFormat.DENSE).singletonOrThrow();
    }

    /** Embeddings are the largest tensor and the slowest to move: freezing them is the usual first saving. */
    void freeze() {
        getParameters().values().forEach(p -> p.freeze(true));
    }
}
