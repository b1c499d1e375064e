/* SPDX-License-Identifier: MIT */
/*
 * config.pbtxt: the text-format reader (syntax, lists, escapes, comments, malformed input) and the
 * ModelConfig mapping (every field of the subset, unknown-field warnings, type errors), plus the
 * auto-complete/validation against the PP-OCR classifier and the JSON form.
 */
#include "ei_util.h"
#include "model_config.h"
#include "pbtxt.h"
#include "test.h"

#include <edgeinfer/alloc.h>
#include <edgeinfer/log.h>
#include <edgeinfer/session.h>
#include <stdlib.h>
#include <string.h>

static char warn_buf[4096];

static void capture(ei_log_level_t level, const char *component, const char *msg, void *user)
{
    (void)level;
    (void)component;
    (void)user;
    size_t n = strlen(warn_buf);
    snprintf(warn_buf + n, sizeof(warn_buf) - n, "%s\n", msg);
}

static ei_code_t parse(const char *text, ei__model_config_t **c, ei_error_t *err)
{
    return ei__model_config_parse(text, strlen(text), "m/config.pbtxt", c, err);
}

static const char *const full_text =
    "# a comment\n"
    "name: \"resnet\"\n"
    "platform: \"onnxruntime_onnx\"\n"
    "max_batch_size: 8\n"
    "input [\n"
    "  { name: \"in\" data_type: TYPE_FP32 dims: [ 3, -1, 224 ] reshape { shape: [3, 224] } },\n"
    "  { name: 'ids', data_type: TYPE_INT64; dims: 4 dims: 5 }\n"
    "]\n"
    "output { name: \"probs\" data_type: TYPE_FP16 dims: [1000] label_filename: \"labels.txt\" }\n"
    "dynamic_batching {\n"
    "  preferred_batch_size: [ 4, 8 ]\n"
    "  max_queue_delay_microseconds: 100\n"
    "  default_queue_policy { max_queue_size: 16 default_timeout_microseconds: 5000\n"
    "                         timeout_action: DELAY allow_timeout_override: true }\n"
    "}\n"
    "instance_group [ { count: 2 kind: KIND_CPU } ]\n"
    "version_policy: { specific: { versions: [1, 3] } }\n"
    "optimization { execution_accelerators { gpu_execution_accelerator : [ { name : "
    "\"tensorrt\" parameters { key: \"precision_mode\" value: \"FP16\" } } ]\n"
    "  cpu_execution_accelerator: [{ name: \"openvino\" }] }\n"
    "  graph: { level: 1 } }\n"
    "parameters { key: \"intra_op_thread_count\" value: { string_value: \"2\" } }\n"
    "parameters: { key: \"execution_mode\" value { string_value: \"1\" } }\n"
    "default_model_filename: \"net\" \".onnx\"\n";

TEST(full_config)
{
    const char *text = full_text;
    ei_error_t err = {0};
    ei__model_config_t *c = NULL;
    ASSERT_OK(parse(text, &c, &err), &err);
    ASSERT_STR_EQ(c->name, "resnet");
    ASSERT_STR_EQ(c->platform, "onnxruntime_onnx");
    ASSERT_EQ(c->max_batch_size, 8);
    ASSERT_EQ(c->n_inputs, 2);
    ASSERT_STR_EQ(c->inputs[0].name, "in");
    ASSERT_EQ(c->inputs[0].dtype, EI_DTYPE_FLOAT32);
    ASSERT_EQ(c->inputs[0].n_dims, 3);
    ASSERT_EQ(c->inputs[0].dims[1], -1);
    ASSERT_EQ(c->inputs[0].dims[2], 224);
    ASSERT_TRUE(c->inputs[0].has_reshape);
    ASSERT_EQ(c->inputs[0].n_reshape, 2);
    ASSERT_STR_EQ(c->inputs[1].name, "ids");
    ASSERT_EQ(c->inputs[1].dtype, EI_DTYPE_INT64);
    ASSERT_EQ(c->inputs[1].n_dims, 2);
    ASSERT_EQ(c->inputs[1].dims[1], 5);
    ASSERT_EQ(c->n_outputs, 1);
    ASSERT_EQ(c->outputs[0].dtype, EI_DTYPE_FLOAT16);
    ASSERT_STR_EQ(c->outputs[0].label_filename, "labels.txt");
    ASSERT_TRUE(c->dynamic_batching);
    ASSERT_EQ(c->n_preferred, 2);
    ASSERT_EQ(c->preferred_batch_sizes[1], 8);
    ASSERT_EQ(c->max_queue_delay_us, 100);
    ASSERT_EQ(c->max_queue_size, 16);
    ASSERT_EQ(c->default_timeout_us, 5000);
    ASSERT_TRUE(c->timeout_action_delay);
    ASSERT_TRUE(c->allow_timeout_override);
    ASSERT_EQ(c->instance_count, 2);
    ASSERT_EQ(c->instance_kind, EI__KIND_CPU);
    ASSERT_EQ(c->version_policy, EI__VPOLICY_SPECIFIC);
    ASSERT_EQ(c->n_versions, 2);
    ASSERT_EQ(c->versions[1], 3);
    ASSERT_EQ(c->n_accels, 2);
    ASSERT_STR_EQ(c->accels[0].name, "tensorrt");
    ASSERT_TRUE(c->accels[0].gpu);
    ASSERT_EQ(c->accels[0].n_params, 1);
    ASSERT_STR_EQ(c->accels[0].keys[0], "precision_mode");
    ASSERT_STR_EQ(c->accels[0].values[0], "FP16");
    ASSERT_TRUE(!c->accels[1].gpu);
    ASSERT_TRUE(c->has_graph_level);
    ASSERT_EQ(c->graph_level, 1);
    ASSERT_STR_EQ(ei__model_config_param(c, "intra_op_thread_count"), "2");
    ASSERT_STR_EQ(ei__model_config_param(c, "execution_mode"), "1");
    ASSERT_NULL(ei__model_config_param(c, "nope"));
    ASSERT_STR_EQ(c->default_model_filename, "net.onnx");

    ei_session_opts_t so;
    ei_session_opts_init(&so);
    ei_provider_opts_t prov[4];
    ei__model_config_session_opts(c, &so, prov, 4);
    ASSERT_EQ(so.intra_op_threads, 2);
    ASSERT_TRUE(so.parallel_execution);
    ASSERT_EQ(so.graph_opt, EI_GRAPH_OPT_EXTENDED);
    ASSERT_EQ(so.n_providers, 2);
    ASSERT_STR_EQ(so.providers[0].name, "tensorrt");
    ASSERT_TRUE(!so.providers[0].required);
    ASSERT_STR_EQ(so.providers[0].values[0], "FP16");

    json_t *j = ei__model_config_json(c);
    ASSERT_NOT_NULL(j);
    char *s = json_dumps(j, JSON_COMPACT);
    ASSERT_CONTAINS(s, "\"max_batch_size\":8");
    ASSERT_CONTAINS(s, "\"data_type\":\"TYPE_FP16\"");
    ASSERT_CONTAINS(s, "\"preferred_batch_size\":[4,8]");
    ASSERT_CONTAINS(s, "\"intra_op_thread_count\":{\"string_value\":\"2\"}");
    ASSERT_CONTAINS(s, "\"specific\":{\"versions\":[1,3]}");
    free(s);
    json_decref(j);
    ei__model_config_destroy(c);
}

TEST(escapes_and_version_policies)
{
    ei_error_t err = {0};
    ei__model_config_t *c = NULL;
    ASSERT_OK(parse("name: \"a\\tb\\x41\\101\\n\\\"q\\\"\" version_policy { all {} }", &c, &err),
              &err);
    ASSERT_STR_EQ(c->name, "a\tbAA\n\"q\"");
    ASSERT_EQ(c->version_policy, EI__VPOLICY_ALL);
    ei__model_config_destroy(c);
    ASSERT_OK(parse("version_policy: { latest: { num_versions: 2 } }", &c, &err), &err);
    ASSERT_EQ(c->version_policy, EI__VPOLICY_LATEST);
    ASSERT_EQ(c->num_versions, 2);
    ei__model_config_destroy(c);
    ASSERT_OK(parse("", &c, &err), &err); /* empty is a valid, empty config */
    ASSERT_EQ(c->num_versions, 1);
    ASSERT_EQ(c->n_inputs, 0);
    ei__model_config_destroy(c);
}

TEST(unknown_fields_warn)
{
    ei_error_t err = {0};
    ei__model_config_t *c = NULL;
    warn_buf[0] = '\0';
    ei_log_set(capture, NULL);
    ei_code_t rc = parse("name: \"x\"\n\nfrobnicate: 3\ninput { name: \"i\" wobble: true "
                         "data_type: TYPE_UINT8 }\nmodel_warmup [{ name: \"w\" }]\n",
                         &c, &err);
    ei_log_set(NULL, NULL);
    ASSERT_OK(rc, &err);
    ASSERT_CONTAINS(warn_buf, "m/config.pbtxt:3: unknown field 'frobnicate'");
    ASSERT_CONTAINS(warn_buf, "m/config.pbtxt:4: unknown field 'wobble' in input/output");
    ASSERT_CONTAINS(warn_buf, "m/config.pbtxt:5: field 'model_warmup' is not supported");
    ASSERT_EQ(c->inputs[0].dtype, EI_DTYPE_UINT8);
    ei__model_config_destroy(c);
}

/* Each malformed text must fail with EI_EFORMAT and a message containing `where`. */
static const struct {
    const char *text;
    const char *where;
} bad_cases[] = {
    {"name: \"abc", "m/config.pbtxt:1:7: unterminated string"},
    {"model_operations { op_library_filename: \"\" }", "1:20: field 'op_library_filename': empty"},
    {"model_operations { op_library_filename: 3 }", "expected a quoted string"},
    {"model_operations: \"x.so\"", "field 'model_operations': expected a message"},
    {"name: \"ab\nc\"", "1:7: unterminated string"},
    {"input { name: \"x\"", "missing closing brace"},
    {"input { name: \"x\" } }", "1:21: unbalanced closing brace"},
    {"max_batch_size: 4x", "1:1: field 'max_batch_size': expected an integer, got '4x'"},
    {"max_batch_size: 99999999999999999999999", "expected an integer"},
    {"max_batch_size: \"4\"", "expected an integer"},
    {"max_batch_size: -1", "between 0 and"},
    {"input { dims: [1, 2 }", "expected ',' or ']'"},
    {"input { name: \"a\" dims: -7 }", "-1 (variable) or >= 0"},
    {"input { name: \"a\" data_type: TYPE_FLOAT }", "unknown data type"},
    {"input { data_type: TYPE_FP32 }", "missing 'name'"},
    {"name \"x\"", "expected ':' or '{'"},
    {": 3", "expected a field name"},
    {"name: ", "expected a value"},
    {"name: \"bad\\q\"", "unknown escape"},
    {"dynamic_batching: 3", "expected a message"},
    {"dynamic_batching { default_queue_policy { timeout_action: MAYBE } }", "REJECT or DELAY"},
    {"instance_group { count: 0 }", "between 1 and 64"},
    {"parameters { key: \"k\" }", "missing 'value'"},
    {"input { name: \"a\" } input { name: \"a\" }", "declared twice"},
    {"version_policy { latest { num_versions: 0 } }", ">= 1"},
};

TEST(malformed)
{
    for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
        ei_error_t err = {0};
        ei__model_config_t *c = NULL;
        ei_code_t rc = parse(bad_cases[i].text, &c, &err);
        if (rc != EI_EFORMAT)
            fprintf(stderr, "case %zu: '%s' -> %d (%s)\n", i, bad_cases[i].text, rc, err.msg);
        ASSERT_EQ(rc, EI_EFORMAT);
        ASSERT_NULL(c);
        ASSERT_CONTAINS(err.msg, bad_cases[i].where);
    }
}

TEST(huge_nesting_and_nul)
{
    size_t depth = 100000;
    char *t = malloc(depth * 4 + 1);
    ASSERT_NOT_NULL(t);
    for (size_t i = 0; i < depth; i++)
        memcpy(t + i * 3, "a {", 3);
    memset(t + depth * 3, '}', depth);
    t[depth * 4] = '\0';
    ei_error_t err = {0};
    ei__model_config_t *c = NULL;
    ei_code_t rc = parse(t, &c, &err);
    free(t);
    ASSERT_EQ(rc, EI_EFORMAT);
    ASSERT_CONTAINS(err.msg, "nested too deeply");
    /* 60 levels of an unknown message are fine (only warned about). */
    char ok[200];
    for (int i = 0; i < 60; i++) {
        ok[2 * i] = 'a';
        ok[2 * i + 1] = '{';
        ok[120 + i] = '}';
    }
    ok[180] = '\0';
    ei_log_set_level(EI_LOG_ERROR);
    rc = parse(ok, &c, &err);
    ei_log_set_level(EI_LOG_WARN);
    ASSERT_OK(rc, &err);
    ei__model_config_destroy(c);
    c = NULL;
    rc = ei__model_config_parse("name: \"a\"\0x", 11, "z.pbtxt", &c, &err);
    ASSERT_EQ(rc, EI_EFORMAT);
    ASSERT_CONTAINS(err.msg, "z.pbtxt:1:10: NUL byte");
}

TEST(type_names)
{
    const ei_dtype_t all[] = {EI_DTYPE_BOOL,   EI_DTYPE_UINT8,   EI_DTYPE_UINT16,  EI_DTYPE_UINT32,
                              EI_DTYPE_UINT64, EI_DTYPE_INT8,    EI_DTYPE_INT16,   EI_DTYPE_INT32,
                              EI_DTYPE_INT64,  EI_DTYPE_FLOAT16, EI_DTYPE_FLOAT32, EI_DTYPE_FLOAT64,
                              EI_DTYPE_STRING, EI_DTYPE_BFLOAT16};
    for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
        const char *n = ei__config_type_name(all[i]);
        ASSERT_TRUE(strncmp(n, "TYPE_", 5) == 0 && strcmp(n, "TYPE_INVALID") != 0);
        ASSERT_EQ(ei__config_type_parse(n), all[i]);
    }
    ASSERT_STR_EQ(ei__config_type_name(EI_DTYPE_FLOAT32), "TYPE_FP32");
    ASSERT_STR_EQ(ei__config_type_name(EI_DTYPE_STRING), "TYPE_STRING");
    ASSERT_STR_EQ(ei__config_type_name(EI_DTYPE_COMPLEX64), "TYPE_INVALID");
    ASSERT_EQ(ei__config_type_parse("TYPE_NOPE"), EI_DTYPE_UNDEFINED);
}

static ei_session_t *open_cls(void)
{
    const char *models = getenv("EI_MODELS");
    char path[1024];
    snprintf(path, sizeof(path), "%s/ppocr/cls.onnx", models != NULL ? models : ".deps/models");
    ei_session_t *s = NULL;
    ei_session_opts_t so;
    ei_session_opts_init(&so);
    so.intra_op_threads = 1;
    if (ei_session_create(path, &so, &s, NULL) != EI_OK)
        return NULL;
    return s;
}

TEST(autocomplete_from_model)
{
    ei_session_t *s = open_cls();
    ASSERT_NOT_NULL(s);
    ei_error_t err = {0};
    ei__model_config_t *c = NULL;
    ASSERT_OK(parse("", &c, &err), &err);
    ASSERT_OK(ei__model_config_complete(c, s, 0, &err), &err);
    ASSERT_EQ(c->max_batch_size, 4);
    ASSERT_TRUE(c->dynamic_batching);
    ASSERT_EQ(c->instance_count, 1);
    ASSERT_EQ(c->n_inputs, 1);
    ASSERT_STR_EQ(c->inputs[0].name, "x");
    ASSERT_EQ(c->inputs[0].n_dims, 3);
    ASSERT_EQ(c->inputs[0].dims[0], 3);
    ASSERT_EQ(c->inputs[0].dims[1], -1);
    ASSERT_EQ(c->n_outputs, 1);
    ASSERT_EQ(c->outputs[0].n_dims, 1);
    ASSERT_EQ(c->outputs[0].dims[0], 2);
    ASSERT_STR_EQ(c->platform, "onnxruntime_onnx");
    ei__model_config_destroy(c);

    /* Explicit max_batch_size 0: no batching, dims keep the model's first dim. */
    ASSERT_OK(parse("max_batch_size: 0", &c, &err), &err);
    ASSERT_OK(ei__model_config_complete(c, s, 4, &err), &err);
    ASSERT_EQ(c->max_batch_size, 0);
    ASSERT_TRUE(!c->dynamic_batching);
    ASSERT_EQ(c->inputs[0].n_dims, 4);
    ei__model_config_destroy(c);

    /* Partial config: inputs given, outputs completed. */
    ASSERT_OK(
        parse("max_batch_size: 2 input { name: \"x\" data_type: TYPE_FP32 dims: [3, 48, -1] }", &c,
              &err),
        &err);
    ASSERT_OK(ei__model_config_complete(c, s, 4, &err), &err);
    ASSERT_EQ(c->n_outputs, 1);
    ASSERT_STR_EQ(c->outputs[0].name, "softmax_0.tmp_0");
    ei__model_config_destroy(c);

    static const struct {
        const char *text, *msg;
    } bad[] = {
        {"input { name: \"nope\" data_type: TYPE_FP32 dims: [3, -1, -1] }",
         "config input 'nope' does not exist in the model"},
        {"input { name: \"x\" data_type: TYPE_INT64 dims: [3, -1, -1] }",
         "config data_type TYPE_INT64 does not match the model's TYPE_FP32"},
        {"input { name: \"x\" data_type: TYPE_FP32 dims: [4, -1, -1] }", "do not match"},
        {"input { name: \"x\" data_type: TYPE_FP32 dims: [3, -1] }", "do not match"},
        {"output { name: \"y\" data_type: TYPE_FP32 dims: [2] }",
         "config output 'y' does not exist"},
        {"max_batch_size: 2 dynamic_batching { preferred_batch_size: 3 }",
         "exceeds max_batch_size"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ASSERT_OK(parse(bad[i].text, &c, &err), &err);
        ei_code_t rc = ei__model_config_complete(c, s, 4, &err);
        ei__model_config_destroy(c);
        ASSERT_EQ(rc, EI_EMODEL);
        ASSERT_CONTAINS(err.msg, bad[i].msg);
    }
    ei_session_destroy(s);
}

/* Random mutations of a full config: every result is EI_OK or EI_EFORMAT, never a crash. */
/* A config rendered as Triton's JSON and read back through the JSON path renders the same. */
static void round_trip(const char *text, const char *name)
{
    ei_error_t err = {0};
    ei__model_config_t *c = NULL, *back = NULL;
    ASSERT_OK(parse(text, &c, &err), &err);
    json_t *j1 = ei__model_config_json(c);
    char *s1 = json_dumps(j1, JSON_COMPACT);
    ASSERT_NOT_NULL(s1);
    warn_buf[0] = '\0';
    ei_log_set(capture, NULL);
    ei_code_t rc = ei__model_config_load_from("/nonexistent", name, s1, false, &back, &err);
    ei_log_set(NULL, NULL);
    ASSERT_OK(rc, &err);
    if (warn_buf[0] != '\0')
        fprintf(stderr, "%s", warn_buf);
    ASSERT_TRUE(warn_buf[0] == '\0'); /* nothing Triton prints is "unknown" or "unsupported" */
    json_t *j2 = ei__model_config_json(back);
    char *s2 = json_dumps(j2, JSON_COMPACT);
    if (!json_equal(j1, j2))
        fprintf(stderr, "pbtxt: %s\njson:  %s\n", s1, s2);
    ASSERT_TRUE(json_equal(j1, j2));
    free(s1);
    free(s2);
    json_decref(j1);
    json_decref(j2);
    ei__model_config_destroy(c);
    ei__model_config_destroy(back);
}

TEST(json_config_round_trip)
{
    round_trip(full_text, "resnet");
    round_trip("name: \"seq\" max_batch_size: 4 instance_group { count: 3 }\n"
               "sequence_batching { max_sequence_idle_microseconds: 5000\n"
               "  oldest { max_candidate_sequences: 6 preferred_batch_size: [2, 4] "
               "max_queue_delay_microseconds: 7 }\n"
               "  control_input [ { name: \"S\" control [ { kind: CONTROL_SEQUENCE_START "
               "bool_false_true: [false, true] } ] },\n"
               "    { name: \"E\" control [ { kind: CONTROL_SEQUENCE_END fp32_false_true: [0, 1] "
               "} ] },\n"
               "    { name: \"R\" control [ { kind: CONTROL_SEQUENCE_READY int32_false_true: [5, "
               "9] } ] },\n"
               "    { name: \"C\" control [ { kind: CONTROL_SEQUENCE_CORRID data_type: TYPE_STRING "
               "} ] } ]\n"
               "  state [ { input_name: \"i\" output_name: \"o\" data_type: TYPE_FP32 dims: "
               "[-1, 2] initial_state { data_type: TYPE_FP32 dims: [3, 2] zero_data: true name: "
               "\"z\" } } ] }\n"
               "input [ { name: \"x\" data_type: TYPE_FP32 dims: [2] format: FORMAT_NCHW } ]\n",
               "seq");
    /* Strings for enums and 64-bit integers, as protobuf's JSON mapping allows. */
    ei__model_config_t *c = NULL;
    ei_error_t err = {0};
    const char *j = "{\"max_batch_size\": \"8\", \"input\": [{\"name\": \"a\", \"data_type\": "
                    "\"TYPE_INT64\", \"dims\": [\"-1\", 3]}], \"parameters\": {\"k\": "
                    "{\"string_value\": \"v\"}}}";
    ASSERT_OK(ei__model_config_load_from("/nonexistent", "m", j, false, &c, &err), &err);
    ASSERT_EQ(c->max_batch_size, 8);
    ASSERT_EQ(c->inputs[0].dtype, EI_DTYPE_INT64);
    ASSERT_EQ(c->inputs[0].dims[0], -1);
    ASSERT_STR_EQ(ei__model_config_param(c, "k"), "v");
    ei__model_config_destroy(c);
    const char *bad[][2] = {
        {"[1]", "config JSON: expected an object"},
        {"{\"max_batch_size\": null}", "null is not a value"},
        {"{\"max_batch_size\": \"x\"}", "field 'max_batch_size': expected an integer"},
        {"{\"input\": [[1]]}", "an array in an array"},
        {"{\"name\": \"other\"}", "does not match the directory name"},
        {"{\"a\": 1, \"a\": 2}", "config JSON: duplicate object key"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        c = NULL;
        ASSERT_NE(ei__model_config_load_from("/nonexistent", "m", bad[i][0], false, &c, &err),
                  EI_OK);
        ASSERT_NULL(c);
        ASSERT_CONTAINS(err.msg, bad[i][1]);
    }
}

TEST(base64)
{
    const char *ok[][2] = {
        {"", ""},           {"Zg==", "f"},        {"Zm8=", "fo"},        {"Zm9v", "foo"},
        {"Zm9vYg", "foob"}, {"Zm9vYmE", "fooba"}, {"Zm9vYmFy", "foobar"}};
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        unsigned char *out = NULL;
        size_t n = 0;
        ASSERT_TRUE(ei__base64_decode(ok[i][0], strlen(ok[i][0]), &out, &n));
        ASSERT_EQ(n, strlen(ok[i][1]));
        ASSERT_TRUE(memcmp(out, ok[i][1], n) == 0);
        ASSERT_EQ(out[n], 0);
        ei__free(out);
    }
    const char *bad[] = {"Z", "Zg=", "Zg===", "Zh==", "Zm9v\n", "Zm9v!", "=Zm9", "Zm=v"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        unsigned char *out = (unsigned char *)"x";
        size_t n = 0;
        ASSERT_TRUE(!ei__base64_decode(bad[i], strlen(bad[i]), &out, &n));
        ASSERT_NULL(out);
    }
}

TEST(mutations_never_crash)
{
    size_t len = strlen(full_text);
    char *buf = malloc(len + 64);
    ASSERT_NOT_NULL(buf);
    unsigned x = 12345;
    int ok = 0, bad = 0;
    ei_log_set_level(EI_LOG_OFF);
    for (int iter = 0; iter < 3000; iter++) {
        memcpy(buf, full_text, len);
        size_t n = len;
        int edits = 1 + iter % 4;
        for (int e = 0; e < edits; e++) {
            x = x * 1103515245u + 12345u;
            size_t at = (x >> 8) % n;
            x = x * 1103515245u + 12345u;
            static const char alphabet[] = "{}[]<>:;,\"'#\\-0123456789eExX._ \nabcTYPE_";
            char ch = alphabet[(x >> 8) % (sizeof(alphabet) - 1)];
            switch ((x >> 20) % 4) {
            case 0: /* replace */
                buf[at] = ch;
                break;
            case 1: /* delete */
                memmove(buf + at, buf + at + 1, n - at - 1);
                n--;
                break;
            case 2: /* insert */
                if (n + 1 < len + 64) {
                    memmove(buf + at + 1, buf + at, n - at);
                    buf[at] = ch;
                    n++;
                }
                break;
            default: /* truncate */
                n = at + 1;
                break;
            }
        }
        ei_error_t err = {0};
        ei__model_config_t *c = NULL;
        ei_code_t rc = ei__model_config_parse(buf, n, "fuzz.pbtxt", &c, &err);
        if (rc != EI_OK && rc != EI_EFORMAT) {
            ei_log_set_level(EI_LOG_WARN);
            fprintf(stderr, "iteration %d: rc %d: %s\n", iter, rc, err.msg);
        }
        ASSERT_TRUE(rc == EI_OK || rc == EI_EFORMAT);
        if (rc == EI_OK) {
            json_t *j = ei__model_config_json(c);
            json_decref(j);
            ok++;
        } else {
            ASSERT_CONTAINS(err.msg, "fuzz.pbtxt");
            bad++;
        }
        ei__model_config_destroy(c);
    }
    ei_log_set_level(EI_LOG_WARN);
    free(buf);
    ASSERT_TRUE(ok > 0 && bad > 0);
}

/* Out of memory at every allocation of a full parse: EI_ENOMEM, no leak, no crash. */
TEST(out_of_memory_loop)
{
    long n = 0;
    ei_log_set_level(EI_LOG_OFF);
    ei_test_oom_install();
    for (; n < 100000; n++) {
        ei_test_oom_arm(n);
        ei_error_t err = {0};
        ei__model_config_t *c = NULL;
        ei_code_t rc = ei__model_config_parse(full_text, strlen(full_text), "m.pbtxt", &c, &err);
        if (rc == EI_OK) {
            ei__model_config_destroy(c);
            break;
        }
        if (rc != EI_ENOMEM) {
            ei_test_oom_disarm();
            ei_test_oom_uninstall();
            fprintf(stderr, "budget %ld: rc %d: %s\n", n, rc, err.msg);
        }
        ASSERT_EQ(rc, EI_ENOMEM);
        ASSERT_NULL(c);
    }
    ei_test_oom_disarm();
    ei_test_oom_uninstall();
    ei_log_set_level(EI_LOG_WARN);
    ASSERT_TRUE(n > 10 && n < 100000);
}

TEST(model_operations)
{
    ei_error_t err = {0};
    ei__model_config_t *c = NULL;
    ASSERT_OK(parse("model_operations { op_library_filename: [\"a.so\", \"/opt/b.so\"] }\n"
                    "model_operations { op_library_filename: \"c.so\" }",
                    &c, &err),
              &err);
    ASSERT_EQ(c->n_op_libraries, 3);
    ASSERT_STR_EQ(c->op_libraries[0], "a.so");
    ASSERT_STR_EQ(c->op_libraries[1], "/opt/b.so");
    ASSERT_STR_EQ(c->op_libraries[2], "c.so");
    ei__model_config_destroy(c);
}

int main(void)
{
    return RUN_TESTS(model_operations, full_config, escapes_and_version_policies,
                     unknown_fields_warn, malformed, huge_nesting_and_nul, type_names,
                     autocomplete_from_model, json_config_round_trip, base64, mutations_never_crash,
                     out_of_memory_loop);
}
