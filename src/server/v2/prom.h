/* SPDX-License-Identifier: MIT */
/*
 * Prometheus text format (0.0.4) pieces shared by the front-ends' /metrics sections (http/metrics.c
 * writes the page; the gRPC front-end adds its own families through ei__v2_core_t.metrics_extra),
 * so every histogram is written the same way whatever protocol it counts.
 */
#ifndef EI_SERVER_PROM_H
#define EI_SERVER_PROM_H

#include "model_repo.h"
#include "sbuf.h"

/** The `# HELP` and `# TYPE` lines that open a family. */
void ei__prom_family(ei__sbuf_t *b, const char *name, const char *type, const char *help);

/**
 * The samples of histogram `h` as family `name`: cumulative `_bucket`s in seconds (bounds
 * ei__stats_bucket_us, then +Inf), `_sum` in seconds and `_count`. `labels` are the label pairs
 * every sample carries, already escaped and without braces (`method="ModelInfer"`), or NULL.
 */
void ei__prom_histogram(ei__sbuf_t *b, const char *name, ei__histogram_t *h, const char *labels);

#endif
