/* SPDX-License-Identifier: MIT */
/* Prometheus text format pieces (see prom.h). */
#include "prom.h"

#define LD(x) atomic_load_explicit(&(x), memory_order_relaxed)

void ei__prom_family(ei__sbuf_t *b, const char *name, const char *type, const char *help)
{
    ei__sbuf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

void ei__prom_histogram(ei__sbuf_t *b, const char *name, ei__histogram_t *h, const char *labels)
{
    const char *l = labels ? labels : "";
    const char *sep = *l ? "," : "";
    uint64_t cum = 0;
    for (size_t i = 0; i <= EI__STATS_NBUCKETS; i++) {
        cum += LD(h->bucket[i]);
        if (i < EI__STATS_NBUCKETS)
            ei__sbuf_printf(b, "%s_bucket{%s%sle=\"%g\"} %llu\n", name, l, sep,
                            (double)ei__stats_bucket_us[i] / 1e6, (unsigned long long)cum);
        else
            ei__sbuf_printf(b, "%s_bucket{%s%sle=\"+Inf\"} %llu\n", name, l, sep,
                            (unsigned long long)cum);
    }
    const char *open = *l ? "{" : "", *close = *l ? "}" : "";
    ei__sbuf_printf(b, "%s_sum%s%s%s %.6f\n", name, open, l, close, (double)LD(h->sum_ns) / 1e9);
    ei__sbuf_printf(b, "%s_count%s%s%s %llu\n", name, open, l, close,
                    (unsigned long long)LD(h->count));
}
