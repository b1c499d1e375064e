/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: the .npy and .pb parsers (ei_tensor_parse_npy, ei_tensor_parse_pb, and
 * ei_value_parse_pb for SequenceProto / MapProto / OptionalProto). The first byte picks the
 * parser: odd: .npy; even: bits 1-2 pick TensorProto (0), SequenceProto (1), MapProto (2),
 * OptionalProto (3). The rest is the file. Any input must give EI_OK or an error code.
 */
#include <edgeinfer/edgeinfer.h>
#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Touch every byte so that a tensor larger than its buffer would be caught by ASan. */
static void touch_tensor(const ei_tensor_t *t)
{
    volatile uint8_t sink = 0;
    if (t == NULL)
        return;
    if (ei_tensor_dtype(t) == EI_DTYPE_STRING) {
        for (size_t i = 0; i < ei_tensor_count(t); i++) {
            size_t len = 0;
            const char *s = ei_tensor_string(t, i, &len);
            for (size_t k = 0; k < len; k++)
                sink ^= (uint8_t)s[k];
        }
        return;
    }
    const uint8_t *p = ei_tensor_data(t);
    for (size_t i = 0; i < ei_tensor_nbytes(t); i++)
        sink ^= p[i];
    (void)sink;
}

static void touch_value(const ei_value_t *v)
{
    touch_tensor(ei_value_tensor(v));
    touch_tensor(ei_value_map_keys(v));
    touch_tensor(ei_value_map_values(v));
    if (ei_value_kind(v) == EI_VALUE_SEQUENCE || ei_value_kind(v) == EI_VALUE_OPTIONAL) {
        for (size_t i = 0; i < ei_value_count(v); i++)
            touch_value(ei_value_element(v, i));
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    ei_tensor_t *t = NULL;
    ei_value_t *v = NULL;
    ei_error_t err = {0};
    char *name = NULL;
    static const ei_value_kind_t kinds[4] = {EI_VALUE_TENSOR, EI_VALUE_SEQUENCE, EI_VALUE_MAP,
                                             EI_VALUE_OPTIONAL};
    ei_value_kind_t kind = kinds[(data[0] >> 1) & 3];
    if (data[0] & 1)
        (void)!ei_tensor_parse_npy(data + 1, size - 1, "fuzz", &t, &err);
    else if (kind == EI_VALUE_TENSOR)
        (void)!ei_tensor_parse_pb(data + 1, size - 1, "fuzz", &t, &name, &err);
    else
        (void)!ei_value_parse_pb(data + 1, size - 1, "fuzz", kind, &v, &name, &err);
    touch_tensor(t);
    if (v != NULL)
        touch_value(v);
    ei_free(name);
    ei_tensor_destroy(t);
    ei_value_destroy(v);
    return 0;
}
