/* SPDX-License-Identifier: MIT */
/*
 * Latency statistics, the sample array and the text report shared by `edgeinfer bench` and the
 * bare ONNX Runtime loop (bench/core/bare_ort.c). Everything here runs outside the timed region:
 * the loop only stores samples; sorting and the arithmetic happen once it is over.
 */
#include "bench_stats.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

double ei_bench_percentile(const double *sorted, size_t n, double p)
{
    if (n == 0)
        return 0.0;
    if (p <= 0.0)
        return sorted[0];
    if (p >= 100.0)
        return sorted[n - 1];
    double pos = p / 100.0 * (double)(n - 1);
    size_t lo = (size_t)pos;
    double frac = pos - (double)lo;
    if (lo + 1 >= n)
        return sorted[n - 1];
    return sorted[lo] + (sorted[lo + 1] - sorted[lo]) * frac;
}

/* Percentile straight from the sorted nanosecond array, in milliseconds. */
static double percentile_ms(const uint64_t *sorted, size_t n, double p)
{
    if (n == 0)
        return 0.0;
    double pos = p / 100.0 * (double)(n - 1);
    size_t lo = (size_t)pos;
    if (lo >= n - 1)
        return (double)sorted[n - 1] / 1e6;
    double frac = pos - (double)lo;
    double a = (double)sorted[lo], b = (double)sorted[lo + 1];
    return (a + (b - a) * frac) / 1e6;
}

void ei_bench_stats_compute(uint64_t *ns, size_t n, ei_bench_stats_t *out)
{
    memset(out, 0, sizeof(*out));
    if (n == 0)
        return;
    qsort(ns, n, sizeof(*ns), cmp_u64);
    /* Two passes (mean, then squared deviations) keep the variance accurate for long runs. */
    double sum = 0.0;
    for (size_t i = 0; i < n; i++)
        sum += (double)ns[i];
    double mean = sum / (double)n;
    double sq = 0.0;
    for (size_t i = 0; i < n; i++) {
        double d = (double)ns[i] - mean;
        sq += d * d;
    }
    out->n = n;
    out->min = (double)ns[0] / 1e6;
    out->max = (double)ns[n - 1] / 1e6;
    out->mean = mean / 1e6;
    out->stddev = n > 1 ? sqrt(sq / (double)(n - 1)) / 1e6 : 0.0;
    out->median = percentile_ms(ns, n, 50.0);
    out->p90 = percentile_ms(ns, n, 90.0);
    out->p95 = percentile_ms(ns, n, 95.0);
    out->p99 = percentile_ms(ns, n, 99.0);
    out->total = sum / 1e6;
}

uint64_t ei_bench_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

long ei_bench_peak_rss_kib(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    if (f == NULL)
        return -1;
    char line[256];
    long kib = -1;
    while (fgets(line, sizeof(line), f) != NULL) {
        if (strncmp(line, "VmHWM:", 6) == 0) {
            char *end = NULL;
            long v = strtol(line + 6, &end, 10);
            if (end != line + 6 && v >= 0)
                kib = v;
            break;
        }
    }
    fclose(f);
    return kib;
}

bool ei_bench_samples_reserve(ei_bench_samples_t *s, size_t cap)
{
    if (cap <= s->cap)
        return true;
    if (cap > SIZE_MAX / sizeof(*s->ns))
        return false;
    uint64_t *p = realloc(s->ns, cap * sizeof(*s->ns));
    if (p == NULL)
        return false;
    s->ns = p;
    s->cap = cap;
    return true;
}

bool ei_bench_samples_push(ei_bench_samples_t *s, uint64_t ns)
{
    if (s->n == s->cap && !ei_bench_samples_reserve(s, s->cap ? s->cap * 2 : 1024))
        return false;
    s->ns[s->n++] = ns;
    return true;
}

void ei_bench_samples_free(ei_bench_samples_t *s)
{
    free(s->ns);
    memset(s, 0, sizeof(*s));
}

double ei_bench_runs_per_s(const ei_bench_report_t *r)
{
    if (r->lat.n == 0 || r->wall_s <= 0.0)
        return 0.0;
    return (double)r->lat.n / r->wall_s;
}

void ei_bench_report_print(FILE *f, const ei_bench_report_t *r)
{
    double rps = ei_bench_runs_per_s(r);
    fprintf(f, "%s: %s\n", r->tool, r->model);
    fprintf(f, "settings: providers %s, threads %d%s, batch %lld, warm-up %ld, ", r->providers,
            r->threads, r->threads == 0 ? " (onnxruntime default)" : "", (long long)r->batch,
            r->warmup);
    if (r->by_duration)
        fprintf(f, "duration %.3f s\n", r->duration_s);
    else
        fprintf(f, "iterations %ld\n", r->iterations);
    fprintf(f, "session creation: %.3f ms\n", r->create_ms);
    fprintf(f, "first run:        %.3f ms\n", r->first_run_ms);
    fprintf(f, "measured runs:    %zu in %.3f s\n", r->lat.n, r->wall_s);
    /* Keep about four significant digits of the median, so microsecond models still show. */
    int dp = r->lat.median >= 100.0 ? 2 : r->lat.median >= 1.0 ? 3 : r->lat.median >= 0.1 ? 4 : 5;
    fprintf(f,
            "latency (ms):     min %.*f  mean %.*f +- %.*f  median %.*f  p90 %.*f  p95 %.*f  "
            "p99 %.*f  max %.*f\n",
            dp, r->lat.min, dp, r->lat.mean, dp, r->lat.stddev, dp, r->lat.median, dp, r->lat.p90,
            dp, r->lat.p95, dp, r->lat.p99, dp, r->lat.max);
    fprintf(f, "throughput:       %.2f runs/s, %.2f items/s\n", rps, rps * (double)r->batch);
    if (r->peak_rss_kib >= 0)
        fprintf(f, "peak memory:      %.1f MiB (VmHWM)\n", (double)r->peak_rss_kib / 1024.0);
    else
        fprintf(f, "peak memory:      unknown\n");
}
