/* SPDX-License-Identifier: MIT */
/*
 * `edgeinfer info MODEL [--json]`: what a model file declares (format, producer, metadata, opsets,
 * operator counts, initializer sizes, from ei_model_inspect()) and what ONNX Runtime makes of its
 * inputs and outputs (types, shapes, symbolic dim names, from a session created with graph
 * optimisation off so that it loads fast). Runs nothing.
 */
#include "cli.h"
#include "commands.h"
#include "output.h"
#include "session_args.h"

#include <stdio.h>
#include <string.h>

#define CMD "info"

static void print_help(void)
{
    printf("usage: edgeinfer info MODEL [--json] [--verify-key PATH] [--key-file FILE]\n\n"
           "Describes an ONNX model: inputs and outputs (element types, shapes, symbolic dim\n"
           "names), metadata (producer, graph name, domain, description, version, custom\n"
           "entries), opset imports, node counts by operator and initializer sizes.\n\n"
           "options:\n"
           "  --json       print one JSON document instead of text\n"
           "  --verify-key PATH  refuse the model unless MODEL.sig is a valid signature by\n"
           "               this public key (or any *.pub key in directory PATH)\n"
           "  --key-file FILE    key of an encrypted model (default: $EDGEINFER_MODEL_KEY)\n"
           "  -h, --help   show this help\n\n"
           "Exit codes: 0 ok, 1 the model cannot be read or loaded, 2 usage error.\n");
}

/*
 * Inputs and outputs come from the session when ONNX Runtime loaded the model, else (to still say
 * something useful about a model ORT refuses) from the file's declarations.
 */
static size_t value_count(const ei_model_info_t *m, const ei_session_t *s, bool inputs)
{
    if (s != NULL)
        return inputs ? ei_session_input_count(s) : ei_session_output_count(s);
    return inputs ? m->n_inputs : m->n_outputs;
}

static const ei_value_info_t *value_at(const ei_model_info_t *m, const ei_session_t *s, bool inputs,
                                       size_t i, ei_value_info_t *tmp)
{
    if (s != NULL)
        return inputs ? ei_session_input(s, i) : ei_session_output(s, i);
    const ei_model_value_t *v = inputs ? &m->inputs[i] : &m->outputs[i];
    tmp->name = v->name;
    tmp->kind = v->is_tensor ? EI_VALUE_TENSOR : EI_VALUE_OTHER;
    tmp->dtype = v->dtype;
    tmp->rank = v->rank;
    tmp->rank_known = v->rank_known;
    tmp->shape = v->shape;
    tmp->dim_names = v->dim_names;
    return tmp;
}

static void print_values(const char *title, const ei_model_info_t *m, const ei_session_t *s,
                         bool inputs)
{
    size_t n = value_count(m, s, inputs);
    size_t width = 4;
    ei_value_info_t tmp;
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(value_at(m, s, inputs, i, &tmp)->name);
        if (len > width)
            width = len;
    }
    printf("%s (%zu)%s:\n", title, n, s == NULL ? ", as the file declares them" : "");
    for (size_t i = 0; i < n; i++) {
        const ei_value_info_t *v = value_at(m, s, inputs, i, &tmp);
        char dims[512];
        ei_cli_format_dims(v->shape, v->dim_names, v->rank, v->rank_known, dims, sizeof(dims));
        const char *kind = v->kind == EI_VALUE_TENSOR ? "" : ei_cli_value_kind_name(v->kind);
        printf("  %-*s  %-8s %s%s%s\n", (int)width, v->name, ei_dtype_name(v->dtype), dims,
               kind[0] ? "  " : "", kind);
    }
}

/* The element types in a bit mask (bit 1 << dtype), as "int8, uint8". */
static void type_list(uint32_t mask, char *buf, size_t size)
{
    size_t used = 0;
    buf[0] = '\0';
    for (int t = 0; t < 32 && used < size; t++) {
        if (mask & (1u << t)) {
            int n = snprintf(buf + used, size - used, "%s%s", used ? ", " : "",
                             ei_dtype_name((ei_dtype_t)t));
            if (n < 0)
                break;
            used += (size_t)n;
        }
    }
}

static json_t *json_type_list(uint32_t mask)
{
    json_t *a = json_array();
    for (int t = 0; a != NULL && t < 32; t++) {
        if (mask & (1u << t))
            json_array_append_new(a, json_string(ei_dtype_name((ei_dtype_t)t)));
    }
    return a;
}

/* "quantization: QDQ, 12 nodes; scales float32 (per-channel); zero points uint8, int8; ..." */
static void print_quant(const ei_model_info_t *m)
{
    if (m->quant_format == EI_QUANT_NONE) {
        printf("quantization: none\n");
        return;
    }
    char types[128];
    printf("quantization: %s, %zu node%s", ei_quant_format_name(m->quant_format), m->n_quant_nodes,
           m->n_quant_nodes == 1 ? "" : "s");
    if (m->quant_scale_types) {
        type_list(m->quant_scale_types, types, sizeof(types));
        printf("; scales %s (%s)", types, m->quant_per_channel ? "per-channel" : "per-tensor");
    }
    if (m->quant_zero_point_types) {
        type_list(m->quant_zero_point_types, types, sizeof(types));
        printf("; zero points %s", types);
    }
    if (m->quant_weight_types) {
        type_list(m->quant_weight_types, types, sizeof(types));
        printf("; weights %s", types);
    }
    printf("\n");
}

static json_t *json_quant(const ei_model_info_t *m)
{
    json_t *q = json_object();
    if (q == NULL)
        return NULL;
    json_object_set_new(q, "format", json_string(ei_quant_format_name(m->quant_format)));
    json_object_set_new(q, "nodes", json_integer((json_int_t)m->n_quant_nodes));
    json_object_set_new(q, "scale_types", json_type_list(m->quant_scale_types));
    json_object_set_new(q, "zero_point_types", json_type_list(m->quant_zero_point_types));
    json_object_set_new(q, "weight_types", json_type_list(m->quant_weight_types));
    json_object_set_new(q, "per_channel", json_boolean(m->quant_per_channel));
    return q;
}

static void print_text(const char *path, const ei_model_info_t *m, const ei_session_t *s)
{
    char size[32];
    printf("model: %s (%s)\n", path, ei_cli_format_bytes(m->file_size, size, sizeof(size)));
    printf("format: ONNX IR version %lld\n", (long long)m->ir_version);
    if (m->producer_name[0] || m->producer_version[0])
        printf("producer: %s%s%s\n", m->producer_name, m->producer_version[0] ? " " : "",
               m->producer_version);
    if (m->graph_name[0])
        printf("graph: %s\n", m->graph_name);
    if (m->domain[0])
        printf("domain: %s\n", m->domain);
    printf("model version: %lld\n", (long long)m->model_version);
    if (m->doc_string[0])
        printf("description: %s\n", m->doc_string);
    if (m->graph_doc_string[0])
        printf("graph description: %s\n", m->graph_doc_string);
    print_values("inputs", m, s, true);
    print_values("outputs", m, s, false);
    if (m->n_metadata > 0) {
        printf("metadata (%zu):\n", m->n_metadata);
        for (size_t i = 0; i < m->n_metadata; i++)
            printf("  %s: %s\n", m->metadata_keys[i], m->metadata_values[i]);
    }
    printf("opsets:");
    for (size_t i = 0; i < m->n_opsets; i++)
        printf("%s %s %lld", i ? "," : "", m->opsets[i].domain[0] ? m->opsets[i].domain : "ai.onnx",
               (long long)m->opsets[i].version);
    printf("\n");
    printf("nodes: %zu", m->n_nodes);
    if (m->n_subgraphs > 0)
        printf(" (+%zu in %zu subgraph%s)", m->n_subgraph_nodes, m->n_subgraphs,
               m->n_subgraphs == 1 ? "" : "s");
    printf("\n");
    size_t width = 8;
    for (size_t i = 0; i < m->n_op_types; i++) {
        size_t len = strlen(m->op_counts[i].op_type);
        if (len > width)
            width = len;
    }
    for (size_t i = 0; i < m->n_op_types; i++) {
        const ei_op_count_t *op = &m->op_counts[i];
        printf("  %-*s %6zu", (int)width, op->op_type, op->count);
        if (op->in_subgraphs > 0)
            printf("  (%zu in subgraphs)", op->in_subgraphs);
        printf("\n");
    }
    char bytes[32];
    printf("initializers: %zu (%s", m->n_initializers,
           ei_cli_format_bytes(m->initializer_bytes, bytes, sizeof(bytes)));
    if (m->n_external_initializers > 0)
        printf(", %zu external: %s", m->n_external_initializers,
               ei_cli_format_bytes(m->external_bytes, bytes, sizeof(bytes)));
    printf(")\n");
    if (m->n_functions > 0)
        printf("functions: %zu\n", m->n_functions);
    print_quant(m);
}

static json_t *json_values(const ei_model_info_t *m, const ei_session_t *s, bool inputs)
{
    size_t n = value_count(m, s, inputs);
    json_t *a = json_array();
    ei_value_info_t tmp;
    for (size_t i = 0; a != NULL && i < n; i++)
        json_array_append_new(a, ei_cli_json_value_info(value_at(m, s, inputs, i, &tmp)));
    return a;
}

static json_t *json_doc(const char *path, const ei_model_info_t *m, const ei_session_t *s)
{
    json_t *o = json_object();
    if (o == NULL)
        return NULL;
    ei_cli_json_set_str(o, "model", path);
    json_object_set_new(o, "file_size", json_integer((json_int_t)m->file_size));
    json_object_set_new(o, "ir_version", json_integer((json_int_t)m->ir_version));
    ei_cli_json_set_str(o, "producer_name", m->producer_name);
    ei_cli_json_set_str(o, "producer_version", m->producer_version);
    ei_cli_json_set_str(o, "graph_name", m->graph_name);
    ei_cli_json_set_str(o, "domain", m->domain);
    json_object_set_new(o, "model_version", json_integer((json_int_t)m->model_version));
    ei_cli_json_set_str(o, "description", m->doc_string);
    ei_cli_json_set_str(o, "graph_description", m->graph_doc_string);
    json_object_set_new(o, "inputs", json_values(m, s, true));
    json_object_set_new(o, "outputs", json_values(m, s, false));
    json_t *meta = json_object();
    for (size_t i = 0; meta != NULL && i < m->n_metadata; i++)
        json_object_set_new(meta, m->metadata_keys[i],
                            ei_cli_json_str(m->metadata_values[i], strlen(m->metadata_values[i])));
    json_object_set_new(o, "metadata", meta);
    json_t *opsets = json_array();
    for (size_t i = 0; opsets != NULL && i < m->n_opsets; i++) {
        json_t *e = json_object();
        ei_cli_json_set_str(e, "domain", m->opsets[i].domain);
        json_object_set_new(e, "version", json_integer((json_int_t)m->opsets[i].version));
        json_array_append_new(opsets, e);
    }
    json_object_set_new(o, "opsets", opsets);
    json_object_set_new(o, "nodes", json_integer((json_int_t)m->n_nodes));
    json_object_set_new(o, "subgraph_nodes", json_integer((json_int_t)m->n_subgraph_nodes));
    json_object_set_new(o, "subgraphs", json_integer((json_int_t)m->n_subgraphs));
    json_t *ops = json_array();
    for (size_t i = 0; ops != NULL && i < m->n_op_types; i++) {
        json_t *e = json_object();
        ei_cli_json_set_str(e, "op_type", m->op_counts[i].op_type);
        json_object_set_new(e, "count", json_integer((json_int_t)m->op_counts[i].count));
        json_object_set_new(e, "in_subgraphs",
                            json_integer((json_int_t)m->op_counts[i].in_subgraphs));
        json_array_append_new(ops, e);
    }
    json_object_set_new(o, "op_counts", ops);
    json_t *init = json_object();
    json_object_set_new(init, "count", json_integer((json_int_t)m->n_initializers));
    json_object_set_new(init, "bytes", json_integer((json_int_t)m->initializer_bytes));
    json_object_set_new(init, "external_count",
                        json_integer((json_int_t)m->n_external_initializers));
    json_object_set_new(init, "external_bytes", json_integer((json_int_t)m->external_bytes));
    json_object_set_new(o, "initializers", init);
    json_object_set_new(o, "functions", json_integer((json_int_t)m->n_functions));
    json_object_set_new(o, "quantization", json_quant(m));
    return o;
}

static int run_info(int argc, char **argv)
{
    const char *path = NULL;
    bool json = false;
    ei_cli_session_args_t keys; /* only --verify-key, --key-file, --custom-op-library are used */
    ei_cli_session_args_init(&keys);
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            print_help();
            return EI_EXIT_OK;
        } else if (strcmp(argv[i], "--json") == 0) {
            json = true;
        } else if (strcmp(argv[i], "--verify-key") == 0 || strcmp(argv[i], "--key-file") == 0 ||
                   strcmp(argv[i], "--custom-op-library") == 0) {
            if (i + 1 >= argc || argv[i + 1][0] == '\0')
                return ei_cli_usage_error(CMD, "option '%s' needs a value", argv[i]);
            int opt = argv[i][2] == 'v'   ? EI_CLI_OPT_VERIFY_KEY
                      : argv[i][2] == 'k' ? EI_CLI_OPT_KEY_FILE
                                          : EI_CLI_OPT_CUSTOM_OP_LIBRARY;
            int urc = ei_cli_session_arg(&keys, CMD, opt, argv[++i]);
            if (urc != EI_EXIT_OK)
                return urc;
        } else if (strcmp(argv[i], "--") == 0 && i + 1 < argc && path == NULL) {
            path = argv[++i];
        } else if (argv[i][0] == '-' && argv[i][1] != '\0') {
            return ei_cli_usage_error(CMD, "unknown option '%s'", argv[i]);
        } else if (path != NULL) {
            return ei_cli_usage_error(CMD, "expected one MODEL, got '%s' too", argv[i]);
        } else {
            path = argv[i];
        }
    }
    if (path == NULL)
        return ei_cli_usage_error(CMD, "missing MODEL");

    ei_error_t err = {0};
    ei_model_info_t *m = NULL;
    ei_session_t *s = NULL;
    void *bytes = NULL; /* a signed or encrypted model, checked / decrypted in memory */
    size_t n_bytes = 0;
    int rc = ei_cli_session_load_keys(&keys);
    if (rc != EI_EXIT_OK)
        goto out;
    rc = EI_EXIT_FAILURE;
    if (keys.keyring != NULL || ei_model_is_encrypted(path)) {
        if (ei_model_read(path, keys.keyring, keys.model_key, &bytes, &n_bytes, &err) != EI_OK) {
            rc = ei_cli_fail(&err, "reading model");
            goto out;
        }
    }
    /* The file first: its messages (missing, not ONNX, truncated) are clearer than ORT's. */
    if ((bytes != NULL ? ei_model_inspect_memory(bytes, n_bytes, path, &m, &err)
                       : ei_model_inspect(path, &m, &err)) != EI_OK) {
        rc = ei_cli_fail(&err, "reading model");
        goto out;
    }
    rc = ei_cli_init_runtime(EI_LOG_WARN, false, 0);
    if (rc != EI_EXIT_OK)
        goto out;
    ei_session_opts_t opts;
    ei_session_opts_init(&opts);
    opts.graph_opt = EI_GRAPH_OPT_DISABLE;
    opts.intra_op_threads = 1;
    opts.custom_op_libraries = keys.n_custom_ops > 0 ? keys.custom_ops : NULL;
    opts.n_custom_op_libraries = keys.n_custom_ops;
    /*
     * A model ONNX Runtime refuses is still described from the file (that often shows why: an
     * opset or operator it lacks), and the command then fails with ORT's reason.
     */
    bool loaded = (bytes != NULL ? ei_session_create_from_memory(bytes, n_bytes, &opts, &s, &err)
                                 : ei_session_create(path, &opts, &s, &err)) == EI_OK;
    ei_model_bytes_free(bytes, n_bytes); /* wiped as soon as ONNX Runtime has its copy */
    bytes = NULL;
    if (json) {
        json_t *doc = json_doc(path, m, s);
        if (doc != NULL && !loaded)
            ei_cli_json_set_str(doc, "error", err.msg);
        rc = ei_cli_print_json(doc);
    } else {
        print_text(path, m, s);
        rc = fflush(stdout) == 0 ? EI_EXIT_OK : EI_EXIT_FAILURE;
    }
    if (!loaded)
        rc = ei_cli_fail(&err, "loading the model in ONNX Runtime");
out:
    ei_model_bytes_free(bytes, n_bytes);
    ei_cli_session_args_dispose(&keys);
    ei_session_destroy(s);
    ei_model_info_destroy(m);
    return rc;
}

const ei_cli_command_t ei_cli_cmd_info = {"info", run_info,
                                          "describe a model: inputs, outputs, metadata, operators"};
