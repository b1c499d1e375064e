#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Summarises bench/ocr/run.sh's results (bench/ocr/pair.py's JSON lines) as the Markdown tables of
docs/BENCHMARKS.md part 7:

- per tool: the median page latency with its spread (interquartile range of all runs, and the
  min-max of the per-page medians), the peak resident memory, and the character error rate
  against each page's known text (pages.py writes page_NN.txt next to page_NN.png);
- the paired ratio: for each (round, page) the peer's time over edgeinfer's, both taken one right
  after the other, so the two saw the same machine load; its median and interquartile range are
  the figure to trust on a shared machine;
- where each tool's time goes: per stage, the median over all runs, and the share of ONNX
  Runtime's own time (session runs) in the total."""
import argparse
import json
import os
import statistics
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests",
                                "ocr"))
from accuracy import levenshtein  # noqa: E402

INFER = ("det_infer", "cls_infer", "rec_infer")


def quart(v):
    v = sorted(v)
    if len(v) < 4:
        return v[0], statistics.median(v), v[-1]
    q = statistics.quantiles(v, n=4)
    return q[0], statistics.median(v), q[2]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("results")
    ap.add_argument("--base", default="edgeinfer")
    ap.add_argument("--peer", default="ocr-node")
    ap.add_argument("--threads", default="?")
    ap.add_argument("--rounds", default="?")
    ap.add_argument("--load", default="?")
    a = ap.parse_args()
    tools = {}
    runs = {}
    with open(a.results) as f:
        for line in f:
            if not line.startswith("{"):
                continue
            d = json.loads(line)
            t = tools.setdefault(d["tool"], {"ms": {}, "text": {}, "rss": 0.0, "stages": []})
            if "peak_rss_mb" in d:
                t["rss"] = max(t["rss"], d["peak_rss_mb"])
                continue
            t["ms"].setdefault(d["page"], []).append(d["ms"])
            t["text"][d["page"]] = d["text"]
            st = dict(d.get("stages", {}))
            st["infer"] = sum(st.get(k, 0.0) for k in INFER)
            t["stages"].append(st)
            runs[(d["tool"], d["round"], d["page"])] = (d["ms"], st["infer"])
    print("threads %s, %s interleaved rounds, load average %s" % (a.threads, a.rounds, a.load))
    print()
    print("| tool | median page latency (ms) | IQR of all runs | per-page medians min-max | "
          "peak RSS (MB) | character error rate |")
    print("|---|---|---|---|---|---|")
    for name, t in tools.items():
        all_ms = [m for v in t["ms"].values() for m in v]
        q1, med, q3 = quart(all_ms)
        pm = [statistics.median(v) for v in t["ms"].values()]
        err = n = 0
        for page, lines in t["text"].items():
            with open(page[:-4] + ".txt", encoding="utf-8") as f:
                ref = "\n".join(f.read().splitlines())
            err += levenshtein(ref, "\n".join(l.strip() for l in lines))
            n += len(ref)
        t["cer"] = err / max(n, 1)
        t["med"] = med
        print("| %s | %.0f | %.0f-%.0f | %.0f-%.0f | %.0f | %.2f%% |" %
              (name, med, q1, q3, min(pm), max(pm), t["rss"], 100 * t["cer"]))
    print()
    print("Where the time goes (median over all runs, ms; `infer` = time inside ONNX Runtime's "
          "session runs):")
    print()
    for name, t in tools.items():
        keys = [k for k in t["stages"][0]]
        print("- %s: %s" % (name, ", ".join(
            "%s %.1f" % (k, statistics.median(s.get(k, 0.0) for s in t["stages"])) for k in keys)))
    if a.base not in tools or a.peer not in tools:
        return
    ratio, infer_share = [], []
    for (tool, r, page), (ms, _) in runs.items():
        if tool != a.peer or (a.base, r, page) not in runs:
            continue
        base_ms, base_infer = runs[(a.base, r, page)]
        ratio.append(ms / base_ms)
        infer_share.append(base_infer / ms)
    b, p = tools[a.base], tools[a.peer]
    q1, med, q3 = quart(ratio)
    s1, smed, s3 = quart(infer_share)
    print()
    print("%s vs %s, %d paired runs: latency %.2fx faster (median of the paired ratios; IQR "
          "%.2f-%.2f), peak memory %.2fx, character error rate %.2f%% vs %.2f%%" %
          (a.base, a.peer, len(ratio), med, q1, q3, b["rss"] / max(p["rss"], 1e-9),
           100 * b["cer"], 100 * p["cer"]))
    print("%s's ONNX Runtime time alone over %s's whole page time: median %.2f (IQR %.2f-%.2f); "
          "2x needs it under 0.5" % (a.base, a.peer, smed, s1, s3))


if __name__ == "__main__":
    main()
