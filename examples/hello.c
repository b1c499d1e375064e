/* SPDX-License-Identifier: MIT */
/*
 * The smallest useful edgeinfer program: load a model, list its inputs and outputs, run it once
 * on zero-filled inputs (free dims set to 1) and print each output's shape and first value.
 *
 *     cc hello.c $(pkg-config --cflags --libs edgeinfer) -o hello && ./hello model.onnx
 */
#include <edgeinfer/edgeinfer.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s MODEL.onnx\n", argv[0]);
        return 2;
    }
    ei_error_t err = {0};
    ei_session_t *s = NULL;
    if (ei_session_create(argv[1], NULL, &s, &err) != EI_OK) {
        fprintf(stderr, "hello: %s [%s]\n", err.msg, ei_code_name(err.code));
        return 1;
    }
    size_t n_in = ei_session_input_count(s), n_out = ei_session_output_count(s);
    const char **names = calloc(n_in, sizeof(*names));
    ei_tensor_t **ins = calloc(n_in, sizeof(*ins));
    ei_tensor_t **outs = calloc(n_out, sizeof(*outs));
    int rc = 1;
    char buf[128];
    for (size_t i = 0; i < n_in; i++) {
        const ei_value_info_t *vi = ei_session_input(s, i);
        int64_t shape[EI_MAX_RANK];
        for (size_t d = 0; d < vi->rank; d++)
            shape[d] = vi->shape[d] < 0 ? 1 : vi->shape[d];
        printf("input  %s %s %s\n", vi->name, ei_dtype_name(vi->dtype),
               ei_shape_format(vi->shape, vi->rank, buf, sizeof(buf)));
        names[i] = vi->name;
        if (ei_tensor_create(vi->dtype, shape, vi->rank, &ins[i], &err) != EI_OK)
            goto out;
    }
    if (ei_session_run(s, names, ins, n_in, NULL, outs, n_out, &err) != EI_OK)
        goto out;
    for (size_t i = 0; i < n_out; i++) {
        printf("output %s %s %s first=%g\n", ei_session_output(s, i)->name,
               ei_dtype_name(ei_tensor_dtype(outs[i])),
               ei_shape_format(ei_tensor_shape(outs[i]), ei_tensor_rank(outs[i]), buf, sizeof(buf)),
               ei_tensor_count(outs[i]) ? ei_tensor_get_f64(outs[i], 0) : 0.0);
    }
    rc = 0;
out:
    if (rc != 0)
        fprintf(stderr, "hello: %s [%s]\n", err.msg, ei_code_name(err.code));
    for (size_t i = 0; i < n_in; i++)
        ei_tensor_destroy(ins[i]);
    for (size_t i = 0; i < n_out; i++)
        ei_tensor_destroy(outs[i]);
    free(names);
    free(ins);
    free(outs);
    ei_session_destroy(s);
    ei_global_cleanup();
    return rc;
}
