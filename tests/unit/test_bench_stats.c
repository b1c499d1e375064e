/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for the latency statistics of `edgeinfer bench` (cli/bench_stats.c): percentiles,
 * mean, standard deviation, the sample array and the VmHWM reader. The CLI sources are not in
 * libedgeinfer, so the file under test is included directly. No timing is asserted.
 */
#include "../../cli/bench_stats.c"
#include "test.h"

TEST(percentile_interpolates)
{
    const double v[] = {1.0, 2.0, 3.0, 4.0, 5.0};
    ASSERT_NEAR(ei_bench_percentile(v, 5, 0.0), 1.0, 1e-12);
    ASSERT_NEAR(ei_bench_percentile(v, 5, 50.0), 3.0, 1e-12);
    ASSERT_NEAR(ei_bench_percentile(v, 5, 100.0), 5.0, 1e-12);
    /* index 0.9 * 4 = 3.6: between 4 and 5 */
    ASSERT_NEAR(ei_bench_percentile(v, 5, 90.0), 4.6, 1e-12);
    ASSERT_NEAR(ei_bench_percentile(v, 5, 25.0), 2.0, 1e-12);
    const double two[] = {10.0, 20.0};
    ASSERT_NEAR(ei_bench_percentile(two, 2, 50.0), 15.0, 1e-12);
    ASSERT_NEAR(ei_bench_percentile(two, 2, 99.0), 19.9, 1e-9);
}

TEST(percentile_edge_cases)
{
    const double one[] = {7.5};
    ASSERT_NEAR(ei_bench_percentile(one, 1, 0.0), 7.5, 1e-12);
    ASSERT_NEAR(ei_bench_percentile(one, 1, 50.0), 7.5, 1e-12);
    ASSERT_NEAR(ei_bench_percentile(one, 1, 99.0), 7.5, 1e-12);
    ASSERT_NEAR(ei_bench_percentile(NULL, 0, 50.0), 0.0, 0.0);
}

TEST(stats_unsorted_input)
{
    /* 1..10 ms in nanoseconds, shuffled. */
    uint64_t ns[] = {7000000, 2000000, 10000000, 1000000, 5000000,
                     3000000, 9000000, 4000000,  8000000, 6000000};
    ei_bench_stats_t st;
    ei_bench_stats_compute(ns, 10, &st);
    ASSERT_EQ(st.n, 10);
    /* sorted in place */
    for (size_t i = 1; i < 10; i++)
        ASSERT_TRUE(ns[i - 1] <= ns[i]);
    ASSERT_NEAR(st.min, 1.0, 1e-12);
    ASSERT_NEAR(st.max, 10.0, 1e-12);
    ASSERT_NEAR(st.mean, 5.5, 1e-12);
    ASSERT_NEAR(st.median, 5.5, 1e-12);
    /* sample stddev of 1..10 is sqrt(82.5 / 9) */
    ASSERT_NEAR(st.stddev, 3.0276503540974917, 1e-9);
    ASSERT_NEAR(st.p90, 9.1, 1e-9);
    ASSERT_NEAR(st.p95, 9.55, 1e-9);
    ASSERT_NEAR(st.p99, 9.91, 1e-9);
    ASSERT_NEAR(st.total, 55.0, 1e-9);
    ASSERT_TRUE(st.min <= st.median && st.median <= st.p90 && st.p90 <= st.p95 &&
                st.p95 <= st.p99 && st.p99 <= st.max);
}

TEST(stats_single_and_empty)
{
    uint64_t one[] = {1500000};
    ei_bench_stats_t st;
    ei_bench_stats_compute(one, 1, &st);
    ASSERT_EQ(st.n, 1);
    ASSERT_NEAR(st.min, 1.5, 1e-12);
    ASSERT_NEAR(st.max, 1.5, 1e-12);
    ASSERT_NEAR(st.median, 1.5, 1e-12);
    ASSERT_NEAR(st.p99, 1.5, 1e-12);
    ASSERT_NEAR(st.stddev, 0.0, 0.0);
    ei_bench_stats_compute(NULL, 0, &st);
    ASSERT_EQ(st.n, 0);
    ASSERT_NEAR(st.mean, 0.0, 0.0);
    ASSERT_NEAR(st.max, 0.0, 0.0);
}

TEST(stats_constant_samples_have_zero_spread)
{
    uint64_t ns[1000];
    for (size_t i = 0; i < 1000; i++)
        ns[i] = 22000000;
    ei_bench_stats_t st;
    ei_bench_stats_compute(ns, 1000, &st);
    ASSERT_NEAR(st.mean, 22.0, 1e-9);
    ASSERT_NEAR(st.stddev, 0.0, 1e-9);
    ASSERT_NEAR(st.p99, 22.0, 1e-9);
}

TEST(samples_grow)
{
    ei_bench_samples_t s = {0};
    ASSERT_TRUE(ei_bench_samples_reserve(&s, 4));
    ASSERT_EQ(s.cap, 4);
    for (uint64_t i = 0; i < 5000; i++)
        ASSERT_TRUE(ei_bench_samples_push(&s, 5000 - i));
    ASSERT_EQ(s.n, 5000);
    ASSERT_TRUE(s.cap >= 5000);
    ASSERT_EQ(s.ns[0], 5000);
    ASSERT_EQ(s.ns[4999], 1);
    /* reserving less than what is there changes nothing */
    size_t cap = s.cap;
    ASSERT_TRUE(ei_bench_samples_reserve(&s, 10));
    ASSERT_EQ(s.cap, cap);
    ei_bench_samples_free(&s);
    ASSERT_NULL(s.ns);
    ASSERT_EQ(s.n, 0);
}

TEST(throughput_and_rss)
{
    ei_bench_report_t r;
    memset(&r, 0, sizeof(r));
    ASSERT_NEAR(ei_bench_runs_per_s(&r), 0.0, 0.0);
    r.lat.n = 50;
    r.wall_s = 2.0;
    ASSERT_NEAR(ei_bench_runs_per_s(&r), 25.0, 1e-12);
    /* On Linux VmHWM is there and at least a few hundred KiB for any process. */
    long kib = ei_bench_peak_rss_kib();
    ASSERT_TRUE(kib > 100);
    uint64_t a = ei_bench_now_ns(), b = ei_bench_now_ns();
    ASSERT_TRUE(b >= a);
}

int main(void)
{
    return RUN_TESTS(percentile_interpolates, percentile_edge_cases, stats_unsorted_input,
                     stats_single_and_empty, stats_constant_samples_have_zero_spread, samples_grow,
                     throughput_and_rss);
}
