/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: the .npy and TensorProto .pb parsers (ei_tensor_parse_npy/_pb). The first
 * byte picks the parser; the rest is the file. Any input must give EI_OK or an error code.
 */
#include <edgeinfer/edgeinfer.h>
#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    ei_tensor_t *t = NULL;
    ei_error_t err = {0};
    char *name = NULL;
    if (data[0] & 1)
        (void)!ei_tensor_parse_npy(data + 1, size - 1, "fuzz", &t, &err);
    else
        (void)!ei_tensor_parse_pb(data + 1, size - 1, "fuzz", &t, &name, &err);
    if (t != NULL && ei_tensor_dtype(t) != EI_DTYPE_STRING) {
        /* Touch every byte so that a tensor larger than its buffer would be caught by ASan. */
        volatile uint8_t sink = 0;
        const uint8_t *p = ei_tensor_data(t);
        for (size_t i = 0; i < ei_tensor_nbytes(t); i++)
            sink ^= p[i];
        (void)sink;
    }
    ei_free(name);
    ei_tensor_destroy(t);
    return 0;
}
