/* SPDX-License-Identifier: MIT */
/*
 * OCR latency per page through the public API, for bench/ocr/run.sh: loads the models once, then
 * runs each page WARMUP + RUNS times (decode included, as a user's call would) and prints one
 * JSON object per page: {"tool","page","ms":[...],"text":[lines]} and a last one with the peak
 * resident memory. Not a test.
 *
 *     ei_bench_ocr -m MODELS_DIR [-t THREADS] [-n RUNS] [-w WARMUP] PAGE...
 */
#include <edgeinfer/edgeinfer.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

int main(int argc, char **argv)
{
    const char *models = NULL;
    int threads = 0, runs = 5, warmup = 1, c;
    while ((c = getopt(argc, argv, "m:t:n:w:")) != -1) {
        if (c == 'm')
            models = optarg;
        else if (c == 't')
            threads = atoi(optarg);
        else if (c == 'n')
            runs = atoi(optarg);
        else if (c == 'w')
            warmup = atoi(optarg);
        else
            return 2;
    }
    if (models == NULL || optind >= argc || runs < 1) {
        fprintf(stderr, "usage: ei_bench_ocr -m MODELS [-t N] [-n RUNS] [-w WARMUP] PAGE...\n");
        return 2;
    }
    ei_error_t err = {0};
    if (ei_global_init(NULL, &err) != EI_OK) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    ei_session_opts_t so;
    ei_session_opts_init(&so);
    so.intra_op_threads = threads;
    ei_ocr_opts_t o;
    ei_ocr_opts_init(&o);
    o.models_dir = models;
    o.session = &so;
    ei_ocr_t *ocr = NULL;
    if (ei_ocr_create(&o, &ocr, &err) != EI_OK) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    for (int p = optind; p < argc; p++) {
        json_t *ms = json_array(), *text = json_array();
        for (int i = 0; i < warmup + runs; i++) {
            ei_ocr_result_t r;
            double t0 = now_ms();
            if (ei_ocr_run_file(ocr, argv[p], &r, &err) != EI_OK) {
                fprintf(stderr, "%s: %s\n", argv[p], err.msg);
                return 1;
            }
            double t1 = now_ms();
            if (i >= warmup)
                json_array_append_new(ms, json_real(t1 - t0));
            if (i == warmup + runs - 1)
                for (size_t k = 0; k < r.n_lines; k++)
                    json_array_append_new(text, json_string(r.lines[k].text));
            ei_ocr_result_dispose(&r);
        }
        json_t *line = json_pack("{s:s,s:s,s:o,s:o}", "tool", "edgeinfer", "page", argv[p], "ms",
                                 ms, "text", text);
        char *s = json_dumps(line, JSON_COMPACT);
        printf("%s\n", s);
        free(s);
        json_decref(line);
        fflush(stdout);
    }
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("{\"tool\":\"edgeinfer\",\"peak_rss_mb\":%.1f}\n", (double)ru.ru_maxrss / 1024.0);
    ei_ocr_destroy(ocr);
    ei_global_cleanup();
    return 0;
}
