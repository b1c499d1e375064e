/* SPDX-License-Identifier: MIT */
/*
 * Image preprocessing benchmark: per file, read + decode + resize 256 + centre crop 224 +
 * ImageNet normalise into a 1x3x224x224 float32 tensor, one thread, with and without DCT-domain
 * scaling (oversample 1 and 2). Prints one line per (file, mode) with the N wall-clock and process
 * CPU times, and can dump
 * the tensor for the fidelity comparison in bench/image/compare.py. Not run by the tests;
 * bench/image/run.sh drives it together with the PIL, OpenCV and sharp baselines.
 *
 *     ei_bench_image [-n RUNS] [-w WARMUP] [-d DUMPDIR] FILE...
 */
#include <edgeinfer/image.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double clock_ms(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static const char *base_name(const char *p)
{
    const char *s = strrchr(p, '/');
    return s ? s + 1 : p;
}

static int parse_int(const char *s, int *out)
{
    char *end = NULL;
    long v = strtol(s, &end, 10);
    if (end == s || *end != '\0' || v < 0 || v > 1000000)
        return -1;
    *out = (int)v;
    return 0;
}

int main(int argc, char **argv)
{
    int runs = 30, warmup = 3;
    const char *dump = NULL;
    int i = 1;
    for (; i < argc && argv[i][0] == '-'; i++) {
        if (i + 1 >= argc)
            break;
        if (strcmp(argv[i], "-n") == 0 && parse_int(argv[i + 1], &runs) == 0)
            i++;
        else if (strcmp(argv[i], "-w") == 0 && parse_int(argv[i + 1], &warmup) == 0)
            i++;
        else if (strcmp(argv[i], "-d") == 0)
            dump = argv[++i];
        else
            break;
    }
    if (i >= argc || runs < 1) {
        fprintf(stderr, "usage: ei_bench_image [-n RUNS] [-w WARMUP] [-d DUMPDIR] FILE...\n");
        return 2;
    }
    int64_t shape[4] = {1, 3, 224, 224};
    double *t = malloc(sizeof(double) * (size_t)runs);
    double *c = malloc(sizeof(double) * (size_t)runs);
    int rc = 0;
    printf("# tool mode file wall_ms... cpu_ms... (comma-separated, in run order)\n");
    for (; i < argc; i++) {
        static const char *const mode_names[3] = {"full", "dct", "dct2"};
        for (int mode = 0; mode < 3; mode++) {
            ei_error_t err = {0};
            ei_image_opts_t o;
            ei_image_opts_init(&o);
            o.dct_scaling = mode >= 1;
            o.dct_oversample = mode == 2 ? 2.0f : 1.0f;
            ei_image_pipeline_t *p = NULL;
            ei_tensor_t *x = NULL;
            if (ei_image_pipeline_create(&o, &p, &err) != EI_OK ||
                ei_tensor_create(EI_DTYPE_FLOAT32, shape, 4, &x, &err) != EI_OK) {
                fprintf(stderr, "setup: %s\n", err.msg);
                rc = 1;
                ei_image_pipeline_destroy(p);
                break;
            }
            for (int r = -warmup; r < runs; r++) {
                double t0 = clock_ms(CLOCK_MONOTONIC);
                double c0 = clock_ms(CLOCK_PROCESS_CPUTIME_ID);
                if (ei_image_pipeline_load(p, argv[i], x, 0, NULL, &err) != EI_OK) {
                    fprintf(stderr, "%s\n", err.msg);
                    rc = 1;
                    break;
                }
                if (r >= 0) {
                    t[r] = clock_ms(CLOCK_MONOTONIC) - t0;
                    c[r] = clock_ms(CLOCK_PROCESS_CPUTIME_ID) - c0;
                }
            }
            if (rc == 0) {
                printf("edgeinfer %s %s ", mode_names[mode], base_name(argv[i]));
                for (int r = 0; r < runs; r++)
                    printf("%s%.4f", r ? "," : "", t[r]);
                printf(" ");
                for (int r = 0; r < runs; r++)
                    printf("%s%.4f", r ? "," : "", c[r]);
                printf("\n");
                fflush(stdout);
                if (dump != NULL) {
                    char path[1024];
                    snprintf(path, sizeof(path), "%s/edgeinfer_%s_%s.f32", dump, mode_names[mode],
                             base_name(argv[i]));
                    FILE *f = fopen(path, "wb");
                    if (f != NULL) {
                        fwrite(ei_tensor_data(x), 1, ei_tensor_nbytes(x), f);
                        fclose(f);
                    }
                }
            }
            ei_tensor_destroy(x);
            ei_image_pipeline_destroy(p);
        }
    }
    free(t);
    free(c);
    return rc;
}
