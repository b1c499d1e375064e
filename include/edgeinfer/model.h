/* SPDX-License-Identifier: MIT */
/*
 * ONNX file inspection: what a model file declares, read straight from its ModelProto without
 * ONNX Runtime (so it is cheap, and works for models ORT cannot load): format and producer,
 * opset imports, node counts by operator, initializer sizes, graph inputs and outputs, metadata.
 * For the shapes and types a session will actually use, create a session (session.h).
 */
#ifndef EDGEINFER_MODEL_H
#define EDGEINFER_MODEL_H

#include "status.h"
#include "tensor.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** One opset import. */
typedef struct ei_opset {
    const char *domain; /**< "" for the default ONNX domain (also written "ai.onnx") */
    int64_t version;
} ei_opset_t;

/** How often an operator occurs. */
typedef struct ei_op_count {
    /**
     * The op type, qualified as "domain:OpType" when the node's domain is not the default ONNX
     * domain ("" or "ai.onnx"), for example "com.microsoft:FusedConv".
     */
    const char *op_type;
    size_t count;        /**< every occurrence, subgraphs included */
    size_t in_subgraphs; /**< how many of `count` sit inside If/Loop/Scan bodies */
} ei_op_count_t;

/** A graph input or output as the file declares it. */
typedef struct ei_model_value {
    const char *name;
    ei_dtype_t dtype; /**< UNDEFINED when not a tensor or not given */
    bool is_tensor;   /**< false for sequences, maps, optionals, sparse tensors */
    bool rank_known;  /**< false when the file gives no shape */
    size_t rank;
    const int64_t *shape;         /**< -1 for a free (symbolic or unnamed) dim */
    const char *const *dim_names; /**< "" when the dim has no symbolic name */
} ei_model_value_t;

/** How a model is quantised (see ei_model_info_t.quant_format). */
typedef enum ei_quant_format {
    EI_QUANT_NONE = 0,
    EI_QUANT_QDQ,       /**< QuantizeLinear/DequantizeLinear pairs around float ops */
    EI_QUANT_QOPERATOR, /**< quantised operators: QLinearConv, QLinearMatMul, MatMulInteger... */
    EI_QUANT_DYNAMIC    /**< activations quantised at run time: DynamicQuantizeLinear... */
} ei_quant_format_t;

/** "none", "QDQ", "QOperator", "dynamic". Static storage. */
EI_API const char *ei_quant_format_name(ei_quant_format_t f);

/**
 * What ei_model_inspect() found. Every string is non-NULL ("" when absent); every pointer is
 * valid until ei_model_info_destroy().
 */
typedef struct ei_model_info {
    uint64_t file_size;
    int64_t ir_version;
    const char *producer_name;
    const char *producer_version;
    const char *domain;
    int64_t model_version;
    const char *doc_string;
    const char *graph_name;
    const char *graph_doc_string;

    size_t n_opsets;
    const ei_opset_t *opsets; /**< in file order */

    size_t n_nodes;          /**< nodes of the main graph */
    size_t n_subgraph_nodes; /**< nodes inside subgraphs (If/Loop/Scan...), any depth */
    size_t n_subgraphs;      /**< subgraphs found in node attributes, any depth */
    size_t n_op_types;
    const ei_op_count_t *op_counts; /**< most frequent first, then by name */

    size_t n_initializers; /**< dense and sparse, main graph only */
    /**
     * Bytes of initializer data as declared (elements x element size; strings: their lengths;
     * sparse: values + indices), external ones included.
     */
    uint64_t initializer_bytes;
    size_t n_external_initializers; /**< initializers whose data lives in another file */
    uint64_t external_bytes;        /**< their declared bytes (part of initializer_bytes) */

    size_t n_inputs;
    const ei_model_value_t *inputs; /**< graph inputs that are not initializers */
    size_t n_outputs;
    const ei_model_value_t *outputs;

    size_t n_metadata;
    const char *const *metadata_keys; /**< metadata_props, in file order */
    const char *const *metadata_values;

    size_t n_functions; /**< model-local functions */

    /*
     * Quantisation, from the operators (any depth) and the initializers they read. The type sets
     * are bit masks: bit `1u << dtype` for each ei_dtype_t found.
     */
    ei_quant_format_t quant_format;  /**< DYNAMIC over QOPERATOR over QDQ when several appear */
    size_t n_quant_nodes;            /**< Quantize/Dequantize, QLinear*, *Integer, Dynamic* nodes */
    uint32_t quant_scale_types;      /**< element types of the scales (float32, float16...) */
    uint32_t quant_zero_point_types; /**< element types of the zero points (uint8, int8...) */
    uint32_t quant_weight_types;     /**< element types of quantised constant data (weights) */
    bool quant_per_channel;          /**< some scale has more than one element (per-axis) */
} ei_model_info_t;

/**
 * Reads and parses the ONNX file at `path` (read once; ONNX Runtime is not involved). On success
 * `*out` is released with ei_model_info_destroy(). A missing file is EI_ENOENT; a file that is not
 * an ONNX ModelProto (text, truncated, no graph) is EI_EMODEL, with the file named in the message.
 * Thread-safe.
 */
EI_API EI_NODISCARD ei_code_t ei_model_inspect(const char *path, ei_model_info_t **out,
                                               ei_error_t *err);

/** Like ei_model_inspect() from `size` bytes in memory; `what` names the source in errors. */
EI_API EI_NODISCARD ei_code_t ei_model_inspect_memory(const void *data, size_t size,
                                                      const char *what, ei_model_info_t **out,
                                                      ei_error_t *err);

/** Releases what ei_model_inspect() returned. NULL is a no-op. */
EI_API void ei_model_info_destroy(ei_model_info_t *info);

#ifdef __cplusplus
}
#endif
#endif
