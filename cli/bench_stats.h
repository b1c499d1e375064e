/* SPDX-License-Identifier: MIT */
/*
 * Latency statistics and the text report of `edgeinfer bench`, shared with the bare ONNX Runtime
 * loop in bench/core/ (which compiles bench_stats.c on its own) so that both print the very same
 * numbers computed the very same way. Plain C and libc only: no edgeinfer, no ORT, no jansson.
 * Not for timing itself: the callers take their own clock_gettime() stamps around each run and
 * hand the samples over once the loop is done.
 */
#ifndef EI_BENCH_STATS_H
#define EI_BENCH_STATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/** Summary of a set of latency samples, in milliseconds. All zero when there are no samples. */
typedef struct ei_bench_stats {
    size_t n;
    double min, max;
    double mean;
    double stddev; /**< sample standard deviation (n - 1 in the denominator; 0 when n < 2) */
    double median, p90, p95, p99;
    double total; /**< sum of the samples */
} ei_bench_stats_t;

/**
 * The p-th percentile (0 <= p <= 100) of `sorted` (ascending, n > 0), interpolating linearly
 * between the two nearest ranks (NumPy's default): index p/100 * (n - 1). Returns 0 when n is 0.
 */
double ei_bench_percentile(const double *sorted, size_t n, double p);

/**
 * Sorts `ns` (n nanosecond samples) in place and fills `out` in milliseconds. `n` may be 0
 * (everything zero).
 */
void ei_bench_stats_compute(uint64_t *ns, size_t n, ei_bench_stats_t *out);

/** Nanoseconds from CLOCK_MONOTONIC. */
uint64_t ei_bench_now_ns(void);

/**
 * Peak resident set size of this process in KiB (VmHWM from /proc/self/status), or -1 when it
 * cannot be read.
 */
long ei_bench_peak_rss_kib(void);

/**
 * A growable array of nanosecond samples. Reserve the expected count before the timed loop; a
 * push past the capacity doubles it (so a --duration run allocates O(log n) times, never in the
 * timed region, which only takes the two stamps).
 */
typedef struct ei_bench_samples {
    uint64_t *ns;
    size_t n, cap;
} ei_bench_samples_t;

/** Makes room for `cap` samples; false when out of memory (the array is unchanged). */
bool ei_bench_samples_reserve(ei_bench_samples_t *s, size_t cap);
/** Appends one sample, growing as needed; false when out of memory. */
bool ei_bench_samples_push(ei_bench_samples_t *s, uint64_t ns);
/** Frees the array and zeroes `s`. */
void ei_bench_samples_free(ei_bench_samples_t *s);

/** Everything one benchmark reports, filled by the caller. Strings are borrowed. */
typedef struct ei_bench_report {
    const char *tool; /**< "edgeinfer bench" or "bare-ort" */
    const char *model;
    const char *providers; /**< what the session ended up with, "cpu" at least */
    int threads;           /**< intra-op threads asked for (0: ORT's default) */
    int64_t batch;
    long warmup;         /**< warm-up runs after the first run */
    bool by_duration;    /**< stopped on time (--duration) instead of a count */
    long iterations;     /**< --iterations asked for (when !by_duration) */
    double duration_s;   /**< --duration asked for (when by_duration) */
    double create_ms;    /**< session creation */
    double first_run_ms; /**< the first run (not measured, not a warm-up) */
    double wall_s;       /**< first measured run's start to last one's end */
    ei_bench_stats_t lat;
    long peak_rss_kib; /**< -1 if unknown */
} ei_bench_report_t;

/** Measured runs per second (lat.n / wall_s; 0 when nothing was measured). */
double ei_bench_runs_per_s(const ei_bench_report_t *r);

/** Prints the human-readable report (onnxruntime_perf_test-like) to `f`. */
void ei_bench_report_print(FILE *f, const ei_bench_report_t *r);

#endif
