/* SPDX-License-Identifier: MIT */
/*
 * OCR latency per page through the public API, for bench/ocr/run.sh. Loads the models once, then
 * reads commands on stdin, one per line, so that a driver (bench/ocr/pair.py) can interleave it
 * with the peer page by page:
 *
 *     PATH   runs the page once (decode included, as a user's call would) and prints
 *            {"tool","page","ms","stages":{...},"text":[lines]}: the wall time of the call and
 *            the library's own per-stage timings (ei_ocr_timings_t) in milliseconds
 *     rss    prints {"tool","peak_rss_mb"}
 *
 * Not a test.
 *
 *     ei_bench_ocr -m MODELS_DIR [-t THREADS]
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

static json_t *stages(const ei_ocr_timings_t *t)
{
    const struct {
        const char *name;
        uint64_t ns;
    } s[] = {
        {"decode", t->decode},       {"det_pre", t->det_pre}, {"det_infer", t->det_infer},
        {"det_post", t->det_post},   {"crop", t->crop},       {"cls_other", t->cls - t->cls_infer},
        {"cls_infer", t->cls_infer}, {"rec_pre", t->rec_pre}, {"rec_infer", t->rec_infer},
        {"rec_post", t->rec_post},   {"total", t->total}};
    json_t *o = json_object();
    for (size_t i = 0; i < sizeof(s) / sizeof(s[0]); i++)
        json_object_set_new(o, s[i].name, json_real((double)s[i].ns / 1e6));
    return o;
}

int main(int argc, char **argv)
{
    const char *models = NULL;
    int threads = 0, c;
    while ((c = getopt(argc, argv, "m:t:")) != -1) {
        if (c == 'm')
            models = optarg;
        else if (c == 't')
            threads = atoi(optarg);
        else
            return 2;
    }
    if (models == NULL || optind != argc) {
        fprintf(stderr, "usage: ei_bench_ocr -m MODELS [-t THREADS] < commands\n");
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
    so.inter_op_threads = 1;
    ei_ocr_opts_t o;
    ei_ocr_opts_init(&o);
    o.models_dir = models;
    o.session = &so;
    ei_ocr_t *ocr = NULL;
    if (ei_ocr_create(&o, &ocr, &err) != EI_OK) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    char cmd[4096];
    int rc = 0;
    while (fgets(cmd, sizeof(cmd), stdin) != NULL) {
        cmd[strcspn(cmd, "\r\n")] = '\0';
        if (cmd[0] == '\0')
            continue;
        if (strcmp(cmd, "rss") == 0) {
            struct rusage ru;
            getrusage(RUSAGE_SELF, &ru);
            printf("{\"tool\":\"edgeinfer\",\"peak_rss_mb\":%.1f}\n",
                   (double)ru.ru_maxrss / 1024.0);
            fflush(stdout);
            continue;
        }
        ei_ocr_result_t r;
        double t0 = now_ms();
        if (ei_ocr_run_file(ocr, cmd, &r, &err) != EI_OK) {
            fprintf(stderr, "%s: %s\n", cmd, err.msg);
            rc = 1;
            break;
        }
        double t1 = now_ms();
        json_t *text = json_array();
        for (size_t k = 0; k < r.n_lines; k++)
            json_array_append_new(text, json_string(r.lines[k].text));
        json_t *line = json_pack("{s:s,s:s,s:f,s:o,s:o}", "tool", "edgeinfer", "page", cmd, "ms",
                                 t1 - t0, "stages", stages(&r.timings), "text", text);
        ei_ocr_result_dispose(&r);
        char *s = json_dumps(line, JSON_COMPACT);
        printf("%s\n", s);
        free(s);
        json_decref(line);
        fflush(stdout);
    }
    ei_ocr_destroy(ocr);
    ei_global_cleanup();
    return rc;
}
