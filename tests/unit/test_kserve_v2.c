/* SPDX-License-Identifier: MIT */
/*
 * KServe v2 wire format (src/server/v2/json_request.c, json_reply.c, reply.c): JSON requests with
 * flat and nested data in every datatype, range and count checks, Triton's binary extension (also
 * the raw single-input form), output selection, the classification extension, response writing, and
 * a small fuzz loop over mutated and truncated bodies (nothing may crash or leak).
 */
#include "ei_util.h"
#include "http.h"
#include "model_config.h"
#include "sbuf.h"
#include "test.h"
#include "v2_json.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *cfg_text = "name: \"m\"\n"
                              "max_batch_size: 4\n"
                              "input [ { name: \"x\" data_type: TYPE_FP32 dims: [ 3 ] } ]\n"
                              "output [ { name: \"y\" data_type: TYPE_FP32 dims: [ 3 ] } ]\n";

static ei__model_config_t *make_cfg(const char *text)
{
    ei__model_config_t *c = NULL;
    ei_error_t err = {0};
    if (ei__model_config_parse(text, strlen(text), "test.pbtxt", &c, &err) != EI_OK) {
        fprintf(stderr, "config: %s\n", err.msg);
        abort();
    }
    return c;
}

static ei_code_t parse(const char *body, ei__v2_request_t *rq, ei_error_t *err)
{
    return ei__v2_parse_request(body, strlen(body), -1, 1000, NULL, NULL, rq, err);
}

TEST(json_flat_and_nested)
{
    ei__v2_request_t rq;
    ei_error_t err = {0};
    const char *b =
        "{\"id\":\"r1\",\"inputs\":[{\"name\":\"x\",\"datatype\":\"FP32\",\"shape\":[2,2],"
        "\"data\":[[1,2.5],[3,-4]]}],\"outputs\":[{\"name\":\"y\"}]}";
    ASSERT_OK(parse(b, &rq, &err), &err);
    ASSERT_EQ(rq.n_inputs, 1);
    ASSERT_STR_EQ(rq.input_names[0], "x");
    ASSERT_STR_EQ(rq.id, "r1");
    ASSERT_EQ(ei_tensor_rank(rq.inputs[0]), 2);
    const float *f = ei_tensor_data(rq.inputs[0]);
    ASSERT_NEAR(f[1], 2.5, 0);
    ASSERT_NEAR(f[3], -4, 0);
    ASSERT_EQ(rq.n_outputs, 1);
    ASSERT_STR_EQ(rq.outputs[0].name, "y");
    ASSERT_TRUE(!rq.outputs[0].binary);
    ei__v2_request_dispose(&rq);

    const char *flat = "{\"inputs\":[{\"name\":\"x\",\"datatype\":\"INT64\",\"shape\":[2,2],"
                       "\"data\":[1,2,3,9007199254740993]}]}";
    ASSERT_OK(parse(flat, &rq, &err), &err);
    const int64_t *q = ei_tensor_data(rq.inputs[0]);
    ASSERT_EQ(q[3], 9007199254740993LL);
    ei__v2_request_dispose(&rq);
}

TEST(json_errors_name_the_problem)
{
    static const struct {
        const char *body, *needle;
    } cases[] = {
        {"{\"inputs\":[{\"name\":\"x\",\"datatype\":\"FP32\",\"shape\":[3],\"data\":[1,2]}]}",
         "'data' has 2 elements, shape [3] needs 3"},
        {"{\"inputs\":[{\"name\":\"x\",\"datatype\":\"FP32\",\"shape\":[1],\"data\":[1,2]}]}",
         "more elements"},
        {"{\"inputs\":[{\"name\":\"x\",\"datatype\":\"FLOAT\",\"shape\":[1],\"data\":[1]}]}",
         "unknown datatype 'FLOAT'"},
        {"{\"inputs\":[{\"name\":\"x\",\"datatype\":\"UINT8\",\"shape\":[1],\"data\":[256]}]}",
         "out of range for UINT8"},
        {"{\"inputs\":[{\"name\":\"x\",\"datatype\":\"INT8\",\"shape\":[1],\"data\":[-129]}]}",
         "out of range for INT8"},
        {"{\"inputs\":[{\"name\":\"x\",\"datatype\":\"UINT32\",\"shape\":[1],\"data\":[-1]}]}",
         "out of range"},
        {"{\"inputs\":[{\"name\":\"x\",\"datatype\":\"INT32\",\"shape\":[1],\"data\":[1.5]}]}",
         "expected an integer"},
        {"{\"inputs\":[{\"name\":\"x\",\"datatype\":\"BOOL\",\"shape\":[1],\"data\":[2]}]}",
         "not a boolean"},
        {"{\"inputs\":[{\"name\":\"x\",\"datatype\":\"BYTES\",\"shape\":[1],\"data\":[1]}]}",
         "not a string"},
        {"{\"inputs\":[{\"name\":\"x\",\"datatype\":\"FP32\",\"shape\":[-1],\"data\":[1]}]}",
         "non-negative"},
        {"{\"inputs\":[{\"name\":\"x\",\"datatype\":\"FP32\",\"shape\":[100000],\"data\":[1]}]}",
         "limit of 1000 elements"},
        {"{\"inputs\":[{\"name\":\"x\",\"datatype\":\"FP32\",\"shape\":[1]}]}", "no 'data'"},
        {"{\"inputs\":[]}", "non-empty"},
        {"{\"inputs\":[{\"name\":\"x\",\"datatype\":\"FP32\",\"shape\":[1],\"data\":[1]},"
         "{\"name\":\"x\",\"datatype\":\"FP32\",\"shape\":[1],\"data\":[1]}]}",
         "given twice"},
        {"{\"inputs\":[{\"name\":\"x\",\"datatype\":\"FP32\",\"shape\":[1],\"parameters\":"
         "{\"binary_data_size\":4}}]}",
         "without an Inference-Header-Content-Length"},
        {"{\"inputs\":[{\"name\":\"x\",\"datatype\":\"FP32\",\"shape\":[1],\"data\":[1]}],"
         "\"outputs\":[{\"name\":\"y\",\"parameters\":{\"classification\":0}}]}",
         "positive integer"},
        {"{\"id\":5,\"inputs\":[]}", "'id' must be a string"},
        {"[1,2]", "expected an object"},
        {"{\"inputs\":", "request JSON:"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        ei__v2_request_t rq;
        ei_error_t err = {0};
        ASSERT_EQ(parse(cases[i].body, &rq, &err), EI_EINVAL);
        ASSERT_CONTAINS(err.msg, cases[i].needle);
        ei__v2_request_dispose(&rq);
    }
}

TEST(every_datatype_in_json)
{
    const char *b =
        "{\"inputs\":["
        "{\"name\":\"a\",\"datatype\":\"BOOL\",\"shape\":[2],\"data\":[true,false]},"
        "{\"name\":\"b\",\"datatype\":\"UINT8\",\"shape\":[1],\"data\":[255]},"
        "{\"name\":\"c\",\"datatype\":\"UINT16\",\"shape\":[1],\"data\":[65535]},"
        "{\"name\":\"d\",\"datatype\":\"UINT32\",\"shape\":[1],\"data\":[4294967295]},"
        "{\"name\":\"e\",\"datatype\":\"UINT64\",\"shape\":[1],\"data\":[9223372036854775807]},"
        "{\"name\":\"f\",\"datatype\":\"INT8\",\"shape\":[1],\"data\":[-128]},"
        "{\"name\":\"g\",\"datatype\":\"INT16\",\"shape\":[1],\"data\":[-32768]},"
        "{\"name\":\"h\",\"datatype\":\"INT32\",\"shape\":[1],\"data\":[-2147483648]},"
        "{\"name\":\"i\",\"datatype\":\"INT64\",\"shape\":[1],\"data\":[-5]},"
        "{\"name\":\"j\",\"datatype\":\"FP16\",\"shape\":[1],\"data\":[1.5]},"
        "{\"name\":\"k\",\"datatype\":\"FP32\",\"shape\":[1],\"data\":[0.1]},"
        "{\"name\":\"l\",\"datatype\":\"FP64\",\"shape\":[1],\"data\":[0.1]},"
        "{\"name\":\"m\",\"datatype\":\"BF16\",\"shape\":[1],\"data\":[-2]},"
        "{\"name\":\"n\",\"datatype\":\"BYTES\",\"shape\":[2],\"data\":[\"hi\",\"\\u00e9\"]}]}";
    ei__v2_request_t rq;
    ei_error_t err = {0};
    ASSERT_OK(parse(b, &rq, &err), &err);
    ASSERT_EQ(rq.n_inputs, 14);
    static const ei_dtype_t want[] = {
        EI_DTYPE_BOOL,    EI_DTYPE_UINT8,   EI_DTYPE_UINT16,   EI_DTYPE_UINT32, EI_DTYPE_UINT64,
        EI_DTYPE_INT8,    EI_DTYPE_INT16,   EI_DTYPE_INT32,    EI_DTYPE_INT64,  EI_DTYPE_FLOAT16,
        EI_DTYPE_FLOAT32, EI_DTYPE_FLOAT64, EI_DTYPE_BFLOAT16, EI_DTYPE_STRING};
    for (size_t i = 0; i < 14; i++)
        ASSERT_EQ(ei_tensor_dtype(rq.inputs[i]), want[i]);
    ASSERT_NEAR(ei_tensor_get_f64(rq.inputs[0], 0), 1, 0);
    ASSERT_NEAR(ei_tensor_get_f64(rq.inputs[3], 0), 4294967295.0, 0);
    ASSERT_NEAR(ei_tensor_get_f64(rq.inputs[7], 0), -2147483648.0, 0);
    ASSERT_NEAR(ei_tensor_get_f64(rq.inputs[9], 0), 1.5, 0);
    ASSERT_NEAR(ei_tensor_get_f64(rq.inputs[12], 0), -2, 0);
    size_t l = 0;
    ASSERT_STR_EQ(ei_tensor_string(rq.inputs[13], 1, &l), "\xc3\xa9");
    ASSERT_EQ(l, 2);
    ei__v2_request_dispose(&rq);
}

/* header + binary blobs, as a Triton client sends them */
static char *binary_body(const char *json, const void *bin, size_t n, size_t *len)
{
    size_t h = strlen(json);
    char *b = malloc(h + n + 1);
    memcpy(b, json, h);
    memcpy(b + h, bin, n);
    b[h + n] = 0;
    *len = h + n;
    return b;
}

TEST(binary_inputs)
{
    float x[3] = {1, 2, 3};
    const char *j = "{\"inputs\":[{\"name\":\"x\",\"datatype\":\"FP32\",\"shape\":[1,3],"
                    "\"parameters\":{\"binary_data_size\":12}},"
                    "{\"name\":\"s\",\"datatype\":\"BYTES\",\"shape\":[2],"
                    "\"parameters\":{\"binary_data_size\":13}}],"
                    "\"parameters\":{\"binary_data_output\":true}}";
    unsigned char blob[12 + 13];
    memcpy(blob, x, 12);
    uint32_t l1 = 3, l2 = 2;
    memcpy(blob + 12, &l1, 4);
    memcpy(blob + 16, "abc", 3);
    memcpy(blob + 19, &l2, 4);
    memcpy(blob + 23, "de", 2);
    size_t len;
    char *body = binary_body(j, blob, sizeof blob, &len);
    ei__v2_request_t rq;
    ei_error_t err = {0};
    ASSERT_OK(ei__v2_parse_request(body, len, (int64_t)strlen(j), 1000, NULL, NULL, &rq, &err),
              &err);
    ASSERT_TRUE(rq.binary_output);
    ASSERT_NEAR(ei_tensor_get_f64(rq.inputs[0], 2), 3, 0);
    size_t sl = 0;
    ASSERT_STR_EQ(ei_tensor_string(rq.inputs[1], 0, &sl), "abc");
    ASSERT_STR_EQ(ei_tensor_string(rq.inputs[1], 1, &sl), "de");
    ei__v2_request_dispose(&rq);

    /* One byte short, one byte too many, a header length past the end. */
    ASSERT_EQ(ei__v2_parse_request(body, len - 1, (int64_t)strlen(j), 1000, NULL, NULL, &rq, &err),
              EI_EINVAL);
    ei__v2_request_dispose(&rq);
    ASSERT_EQ(ei__v2_parse_request(body, len, (int64_t)len + 1, 1000, NULL, NULL, &rq, &err),
              EI_EINVAL);
    ASSERT_CONTAINS(err.msg, "larger than the body");
    ei__v2_request_dispose(&rq);
    free(body);

    const char *j2 = "{\"inputs\":[{\"name\":\"x\",\"datatype\":\"FP32\",\"shape\":[1,3],"
                     "\"parameters\":{\"binary_data_size\":8}}]}";
    body = binary_body(j2, x, 8, &len);
    ASSERT_EQ(ei__v2_parse_request(body, len, (int64_t)strlen(j2), 1000, NULL, NULL, &rq, &err),
              EI_EINVAL);
    ASSERT_CONTAINS(err.msg, "binary_data_size is 8 bytes, shape [1,3] of FP32 needs 12");
    ei__v2_request_dispose(&rq);
    free(body);
}

TEST(raw_binary_form)
{
    ei__model_config_t *c = make_cfg(cfg_text);
    float x[3] = {4, 5, 6};
    ei__v2_request_t rq;
    ei_error_t err = {0};
    ASSERT_OK(ei__v2_parse_request((const char *)x, sizeof x, 0, 1000, c, NULL, &rq, &err), &err);
    ASSERT_TRUE(rq.raw && rq.binary_output);
    ASSERT_STR_EQ(rq.input_names[0], "x");
    ASSERT_EQ(ei_tensor_rank(rq.inputs[0]), 2); /* the batch dim of 1 is added */
    ASSERT_EQ(ei_tensor_shape(rq.inputs[0])[0], 1);
    ASSERT_EQ(ei_tensor_shape(rq.inputs[0])[1], 3);
    ei__v2_request_dispose(&rq);
    ASSERT_EQ(ei__v2_parse_request((const char *)x, 8, 0, 1000, c, NULL, &rq, &err), EI_EINVAL);
    ei__v2_request_dispose(&rq);
    ei__model_config_destroy(c);
}

TEST(response_json_binary_and_classification)
{
    ei__model_config_t *c = make_cfg(cfg_text);
    /* Labels for the classification extension, as the repository loads them. */
    ei_error_t err0 = {0};
    ei__config_io_t *io = &c->outputs[0];
    ASSERT_OK(ei_labels_parse("cat\ndog\neel\n", 12, "test labels", &io->labels, &err0), &err0);

    int64_t shape[2] = {2, 3};
    ei_tensor_t *y = NULL;
    ei_error_t err = {0};
    ASSERT_OK(ei_tensor_create(EI_DTYPE_FLOAT32, shape, 2, &y, &err), &err);
    float *d = ei_tensor_data(y);
    float vals[6] = {0.1f, 0.7f, 0.2f, 0.5f, 0.25f, 0.25f};
    memcpy(d, vals, sizeof vals);
    const char *names[1] = {"y"};

    ei__v2_request_t rq;
    const char *b =
        "{\"id\":\"q\",\"inputs\":[{\"name\":\"x\",\"datatype\":\"FP32\",\"shape\":[1,3],"
        "\"data\":[1,2,3]}],\"outputs\":[{\"name\":\"y\"}]}";
    ASSERT_OK(parse(b, &rq, &err), &err);
    char *body = NULL;
    size_t len = 0, jlen = 0;
    ASSERT_OK(ei__v2_write_response(&rq, "m", 3, c, &y, names, 1, &body, &len, &jlen, &err), &err);
    ASSERT_EQ(jlen, 0);
    ASSERT_STR_EQ(body, "{\"model_name\":\"m\",\"model_version\":\"3\",\"id\":\"q\",\"outputs\":["
                        "{\"name\":\"y\",\"datatype\":\"FP32\",\"shape\":[2,3],"
                        "\"data\":[0.1,0.7,0.2,0.5,0.25,0.25]}]}");
    ei__free(body);
    ei__v2_request_dispose(&rq);

    /* binary output: JSON header then the 24 raw bytes */
    const char *bb = "{\"inputs\":[{\"name\":\"x\",\"datatype\":\"FP32\",\"shape\":[1,3],"
                     "\"data\":[1,2,3]}],\"outputs\":[{\"name\":\"y\",\"parameters\":"
                     "{\"binary_data\":true}}]}";
    ASSERT_OK(parse(bb, &rq, &err), &err);
    ASSERT_OK(ei__v2_write_response(&rq, "m", 3, c, &y, names, 1, &body, &len, &jlen, &err), &err);
    ASSERT_EQ(len, jlen + 24);
    ASSERT_TRUE(memcmp(body + jlen, vals, 24) == 0);
    json_t *hdr = json_loadb(body, jlen, 0, NULL);
    ASSERT_NOT_NULL(hdr);
    json_t *o0 = json_array_get(json_object_get(hdr, "outputs"), 0);
    ASSERT_EQ(
        json_integer_value(json_object_get(json_object_get(o0, "parameters"), "binary_data_size")),
        24);
    json_decref(hdr);
    ei__free(body);
    ei__v2_request_dispose(&rq);

    /* classification: top 2 per batch item, "value:index:label", ties by index */
    const char *cb = "{\"inputs\":[{\"name\":\"x\",\"datatype\":\"FP32\",\"shape\":[1,3],"
                     "\"data\":[1,2,3]}],\"outputs\":[{\"name\":\"y\",\"parameters\":"
                     "{\"classification\":2}}]}";
    ASSERT_OK(parse(cb, &rq, &err), &err);
    ASSERT_OK(ei__v2_write_response(&rq, "m", 3, c, &y, names, 1, &body, &len, &jlen, &err), &err);
    ASSERT_CONTAINS(body, "\"datatype\":\"BYTES\",\"shape\":[2,2],\"data\":[\"0.700000:1:dog\","
                          "\"0.200000:2:eel\",\"0.500000:0:cat\",\"0.250000:1:dog\"]");
    ei__free(body);
    ei__v2_request_dispose(&rq);
    ei_tensor_destroy(y);
    ei__model_config_destroy(c);
}

/* The numeric fast path must give exactly what strtod gives (FP64) and (float)strtod (FP32). */
TEST(numeric_fast_path_matches_strtod)
{
    ei__sbuf_t b = {0};
    enum { N = 2000 };
    double want[N];
    unsigned seed = 7;
    ei__sbuf_adds(&b, "{\"inputs\":[{\"name\":\"s\",\"datatype\":\"BYTES\",\"shape\":[1],"
                      "\"data\":[\"x\"]},{\"data\": [[");
    for (int i = 0; i < N; i++) {
        seed = seed * 1103515245u + 12345u;
        double mant = (double)(seed >> 8) / (double)(1u << 24) - 0.5;
        int ex = (int)((seed >> 3) % 60) - 30;
        char tmp[64];
        double v = mant * pow(10, ex % 4 == 3 ? ex : ex / 8);
        if (i % 4 == 0)
            snprintf(tmp, sizeof tmp, "%.17g", v);
        else if (i % 4 == 1)
            snprintf(tmp, sizeof tmp, "%.9g", v);
        else if (i % 4 == 2)
            snprintf(tmp, sizeof tmp, "%.3f", v);
        else
            snprintf(tmp, sizeof tmp, "%.0f", v);
        want[i] = strtod(tmp, NULL);
        ei__sbuf_printf(&b, "%s%s", i == 0 ? "" : (i == N / 2 ? "],[" : ", "), tmp);
    }
    ei__sbuf_adds(&b, "]], \"name\":\"x\",\"shape\":[2,1000],\"datatype\":\"FP64\"},"
                      "{\"name\":\"y\",\"datatype\":\"FP32\",\"shape\":[3],\"data\":[1e39,-0.1,7]},"
                      "{\"name\":\"z\",\"datatype\":\"INT64\",\"shape\":[2],"
                      "\"data\":[-9223372036854775808,12e1]}]}");
    ASSERT_TRUE(!b.oom);
    ei__v2_request_t rq;
    ei_error_t err = {0};
    ASSERT_OK(ei__v2_parse_request(b.data, b.len, -1, 1 << 20, NULL, NULL, &rq, &err), &err);
    ASSERT_EQ(rq.n_inputs, 4);
    const double *x = ei_tensor_data(rq.inputs[1]);
    size_t bad = 0;
    for (int i = 0; i < N; i++)
        if (memcmp(&x[i], &want[i], 8) != 0 && bad++ < 3)
            fprintf(stderr, "%d: got %.17g want %.17g\n", i, x[i], want[i]);
    ASSERT_EQ(bad, 0);
    const float *y = ei_tensor_data(rq.inputs[2]);
    ASSERT_TRUE(isinf(y[0]));
    ASSERT_TRUE(y[1] == (float)strtod("-0.1", NULL));
    const int64_t *z = ei_tensor_data(rq.inputs[3]);
    ASSERT_EQ(z[1], 120);
    ASSERT_TRUE(z[0] == INT64_MIN);
    ei__v2_request_dispose(&rq);
    ei__sbuf_free(&b);

    /* Errors found on the fast path read as on the jansson path. */
    const char *cnt = "{\"inputs\":[{\"name\":\"x\",\"datatype\":\"FP32\",\"shape\":[3],"
                      "\"data\":[[1,2],[3,4]]}]}";
    ASSERT_EQ(parse(cnt, &rq, &err), EI_EINVAL);
    ASSERT_CONTAINS(err.msg, "more elements");
    ei__v2_request_dispose(&rq);
    const char *rng = "{\"inputs\":[{\"name\":\"x\",\"datatype\":\"UINT8\",\"shape\":[2],"
                      "\"data\":[1,300]}]}";
    ASSERT_EQ(parse(rng, &rq, &err), EI_EINVAL);
    ASSERT_CONTAINS(err.msg, "out of range for UINT8");
    ei__v2_request_dispose(&rq);
    const char *str = "{\"inputs\":[{\"name\":\"x\",\"datatype\":\"BYTES\",\"shape\":[1],"
                      "\"data\":[1]}]}";
    ASSERT_EQ(parse(str, &rq, &err), EI_EINVAL);
    ASSERT_CONTAINS(err.msg, "not a string");
    ei__v2_request_dispose(&rq);
    const char *dup = "{\"inputs\":[{\"name\":\"x\",\"datatype\":\"FP32\",\"shape\":[1],"
                      "\"data\":[1],\"data\":[2]}]}";
    ASSERT_EQ(parse(dup, &rq, &err), EI_EINVAL);
    ei__v2_request_dispose(&rq);
}

TEST(status_mapping_and_json_text)
{
    ASSERT_EQ(ei__http_status_for(EI_OK), 200);
    ASSERT_EQ(ei__http_status_for(EI_EINVAL), 400);
    ASSERT_EQ(ei__http_status_for(EI_EFORMAT), 400);
    ASSERT_EQ(ei__http_status_for(EI_ENOTFOUND), 404);
    ASSERT_EQ(ei__http_status_for(EI_EBUSY), 503);
    ASSERT_EQ(ei__http_status_for(EI_ETIMEDOUT), 504);
    ASSERT_EQ(ei__http_status_for(EI_ERUNTIME), 500);
    ASSERT_EQ(ei__http_status_for(EI_ENOMEM), 503); /* no room now (run-memory limit): retry */
    ASSERT_EQ(ei__http_status_for(EI_EUNSUPPORTED), 501);
    ei__sbuf_t b = {0};
    ei__sbuf_json_str(&b, "a\"\\\n\x01\xc3\xa9\xff", 8);
    ei__sbuf_addc(&b, ' ');
    ei__sbuf_json_num(&b, 0.1f, 9);
    ei__sbuf_addc(&b, ' ');
    ei__sbuf_json_num(&b, 1.0 / 3.0, 17);
    ei__sbuf_addc(&b, ' ');
    ei__sbuf_json_num(&b, NAN, 9);
    ei__sbuf_addc(&b, ' ');
    ei__sbuf_json_num(&b, -42, 9);
    ASSERT_STR_EQ(b.data, "\"a\\\"\\\\\\n\\u0001\xc3\xa9\\u00ff\" 0.1 0.3333333333333333 null -42");
    ei__sbuf_free(&b);
}

TEST(fuzz_mutated_and_truncated_bodies)
{
    ei__model_config_t *c = make_cfg(cfg_text);
    const char *seeds[] = {
        "{\"id\":\"r\",\"parameters\":{\"timeout\":5,\"binary_data_output\":false},\"inputs\":"
        "[{\"name\":\"x\",\"datatype\":\"FP32\",\"shape\":[2,3],\"data\":[[1,2,3],[4,5,6]]}],"
        "\"outputs\":[{\"name\":\"y\",\"parameters\":{\"classification\":2,\"binary_data\":true}}]"
        "}",
        "{\"inputs\":[{\"name\":\"s\",\"datatype\":\"BYTES\",\"shape\":[2],\"data\":[\"a\",\"b\"]},"
        "{\"name\":\"b\",\"datatype\":\"BOOL\",\"shape\":[1,1],\"data\":[[[true]]]}]}",
        "{\"inputs\":[{\"name\":\"x\",\"datatype\":\"UINT16\",\"shape\":[2],\"parameters\":"
        "{\"binary_data_size\":4}}]}\x01\x02\x03\x04",
    };
    static const char alphabet[] = "{}[],:\"0123456789-.eE truefalsnul\\xFP32BYTES";
    unsigned seed = 12345;
    char buf[512];
    for (int iter = 0; iter < 3000; iter++) {
        const char *s = seeds[iter % 3];
        size_t n = strlen(s);
        if (iter % 3 == 2)
            n += 4;
        if (n > sizeof buf)
            n = sizeof buf;
        /* The extra bytes of the n += 4 case are NULs: never read past the seed literal. */
        memset(buf, 0, n);
        memcpy(buf, s, strlen(s) < n ? strlen(s) : n);
        seed = seed * 1103515245u + 12345u;
        int kind = (int)((seed >> 16) % 3);
        size_t len = n;
        if (kind == 0) {
            len = (seed >> 8) % (n + 1); /* truncate */
        } else {
            int edits = 1 + (int)((seed >> 4) % 4);
            for (int e = 0; e < edits; e++) {
                seed = seed * 1103515245u + 12345u;
                size_t pos = (seed >> 16) % n;
                buf[pos] =
                    kind == 1 ? alphabet[(seed >> 8) % (sizeof alphabet - 1)] : (char)(seed >> 8);
            }
        }
        int64_t hlen = iter % 3 == 2 ? (int64_t)(len >= 4 ? len - 4 : 0) : -1;
        if (iter % 7 == 0)
            hlen = 0; /* the raw form */
        ei__v2_request_t rq;
        ei_error_t err = {0};
        ei_code_t rc = ei__v2_parse_request(buf, len, hlen, 64, c, NULL, &rq, &err);
        ASSERT_TRUE(rc == EI_OK || rc == EI_EINVAL);
        if (rc != EI_OK)
            ASSERT_TRUE(err.msg[0] != '\0');
        ei__v2_request_dispose(&rq);
    }
    ei__model_config_destroy(c);
}

int main(void)
{
    return RUN_TESTS(json_flat_and_nested, json_errors_name_the_problem, every_datatype_in_json,
                     binary_inputs, raw_binary_form, response_json_binary_and_classification,
                     numeric_fast_path_matches_strtod, status_mapping_and_json_text,
                     fuzz_mutated_and_truncated_bodies);
}
