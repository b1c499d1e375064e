#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Summarises bench/ocr/run.sh's results (JSON lines from ei_bench_ocr and peer.mjs) as the
Markdown table of docs/BENCHMARKS.md part 7: per tool the median page latency with its spread
(min-max of the per-page medians, and the interquartile range of all runs), the peak resident
memory, and the character error rate against each page's known text (pages.py writes
page_NN.txt next to page_NN.png)."""
import argparse
import json
import os
import statistics
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests",
                                "ocr"))
from accuracy import levenshtein  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("results")
    ap.add_argument("--threads", default="?")
    ap.add_argument("--runs", default="?")
    ap.add_argument("--load", default="?")
    a = ap.parse_args()
    tools = {}
    with open(a.results) as f:
        for line in f:
            line = line.strip()
            if not line.startswith("{"):
                continue
            d = json.loads(line)
            t = tools.setdefault(d["tool"], {"ms": {}, "text": {}, "rss": 0.0})
            if "peak_rss_mb" in d:
                t["rss"] = max(t["rss"], d["peak_rss_mb"])
            else:
                t["ms"].setdefault(d["page"], []).extend(d["ms"])
                t["text"][d["page"]] = d["text"]
    rows = []
    for name, t in tools.items():
        all_ms = sorted(m for v in t["ms"].values() for m in v)
        page_medians = [statistics.median(v) for v in t["ms"].values()]
        q = statistics.quantiles(all_ms, n=4) if len(all_ms) >= 4 else [all_ms[0], 0, all_ms[-1]]
        err = n = 0
        per_page = []
        for page, lines in t["text"].items():
            with open(page[:-4] + ".txt", encoding="utf-8") as f:
                ref = f.read().splitlines()
            e = levenshtein("\n".join(ref), "\n".join(l.strip() for l in lines))
            err += e
            n += len("\n".join(ref))
            per_page.append(e)
        rows.append((name, statistics.median(all_ms), min(page_medians), max(page_medians), q[0],
                     q[2], t["rss"], err / max(n, 1), len(t["ms"])))
    print("threads %s, %s runs per page, load %s" % (a.threads, a.runs, a.load))
    print()
    print("| tool | median page latency (ms) | per-page medians min-max | IQR of all runs | "
          "peak RSS (MB) | character error rate |")
    print("|---|---|---|---|---|---|")
    for r in rows:
        print("| %s | %.0f | %.0f-%.0f | %.0f-%.0f | %.0f | %.2f%% |" %
              (r[0], r[1], r[2], r[3], r[4], r[5], r[6], 100 * r[7]))
    by = {r[0]: r for r in rows}
    if "edgeinfer" in by and "ocr-node" in by:
        e, p = by["edgeinfer"], by["ocr-node"]
        print()
        print("edgeinfer vs ocr-node: latency %.2fx faster (median), peak memory %.2fx, "
              "character error rate %.2f%% vs %.2f%%" %
              (p[1] / e[1], e[6] / p[6], 100 * e[7], 100 * p[7]))


if __name__ == "__main__":
    main()
