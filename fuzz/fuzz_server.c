/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: the server's parsers — config.pbtxt (ei__model_config_parse), a load
 * request's config JSON override (ei__model_config_load_from) and base64 file overrides
 * (ei__base64_decode), KServe v2 inference requests (ei__v2_parse_request, JSON and binary forms)
 * against a fixed config with several datatypes, and the gzip/deflate request-body inflater
 * (ei__inflate, 64 KiB limit). The first byte picks the parser (0xff config, 0xfe gzip, 0xfd
 * deflate, 0xfc config JSON, 0xfb base64, 0xfa a gRPC ModelInferRequest) and, for requests, the
 * binary header length.
 */
#include "http.h"
#include "model_config.h"
#include "v2_json.h"
#ifdef EI_HAVE_GRPC
#include "grpc_parse.h"
#endif

#include <stddef.h>
#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char cfg_text[] = "name: \"m\"\n"
                               "max_batch_size: 4\n"
                               "input [ { name: \"x\" data_type: TYPE_FP32 dims: [ 3 ] },\n"
                               "        { name: \"s\" data_type: TYPE_STRING dims: [ -1 ] },\n"
                               "        { name: \"h\" data_type: TYPE_FP16 dims: [ 2, 2 ] } ]\n"
                               "output [ { name: \"y\" data_type: TYPE_FP32 dims: [ 3 ] } ]\n";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static ei__model_config_t *cfg;
    ei_error_t err = {0};
    if (cfg == NULL &&
        ei__model_config_parse(cfg_text, strlen(cfg_text), "fuzz.pbtxt", &cfg, &err) != EI_OK)
        __builtin_trap();
    if (size < 1)
        return 0;
    const char *body = (const char *)data + 1;
    size_t len = size - 1;
    if (data[0] == 0xfe || data[0] == 0xfd) {
        char *out = NULL;
        size_t n = 0;
        if (ei__inflate(data[0] == 0xfe ? EI__ENC_GZIP : EI__ENC_DEFLATE, body, len, 65536, &out,
                        &n, &err) == EI_OK &&
            (n > 65536 || out[n] != '\0'))
            __builtin_trap();
        ei__free(out);
        return 0;
    }
    if (data[0] == 0xfc) {
        char *json = ei__strndup(body, len); /* stops at a NUL, as the HTTP side does */
        ei__model_config_t *c = NULL;
        if (json != NULL &&
            ei__model_config_load_from("/nonexistent", "m", json, true, &c, &err) == EI_OK)
            ei__model_config_destroy(c);
        ei__free(json);
        return 0;
    }
    if (data[0] == 0xfb) {
        unsigned char *out = NULL;
        size_t n = 0;
        if (ei__base64_decode(body, len, &out, &n) && (n > len || out[n] != 0))
            __builtin_trap();
        ei__free(out);
        return 0;
    }
#ifdef EI_HAVE_GRPC
    if (data[0] == 0xfa) {
        /* A gRPC ModelInferRequest (protobuf-c unpack, then the request object). */
        ei__v2_request_t grq;
        (void)!ei__grpc_parse_infer((const uint8_t *)body, len, 1u << 20, NULL, &grq, &err);
        ei__v2_request_dispose(&grq);
        return 0;
    }
#endif
    if (data[0] == 0xff) {
        ei__model_config_t *c = NULL;
        if (ei__model_config_parse(body, len, "fuzz.pbtxt", &c, &err) == EI_OK)
            ei__model_config_destroy(c);
        return 0;
    }
    /* 0: JSON only; otherwise the JSON header is that many bytes, the rest binary tensors. */
    int64_t header_len = data[0] == 0 ? -1 : (int64_t)(data[0] - 1) * 4;
    if (header_len > (int64_t)len)
        header_len = (int64_t)len;
    ei__v2_request_t rq;
    memset(&rq, 0, sizeof(rq));
    (void)!ei__v2_parse_request(body, len, header_len, 1u << 20, (data[0] & 1) ? cfg : NULL, NULL,
                                &rq, &err);
    ei__v2_request_dispose(&rq);
    return 0;
}
