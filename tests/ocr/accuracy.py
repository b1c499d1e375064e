#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""`edgeinfer ocr` on rendered pages with known text (tests/ocr/pages.py: Debian fonts, several
sizes and colours, blur, a page turned 180 degrees): the character error rate over all pages
(Levenshtein distance of each page's text, lines joined by newlines, over the reference length)
must be at most --max-cer (1%), and every page's lines must come out in reading order.

    accuracy.py --bin EDGEINFER --work DIR [--pages N] [--max-cer 0.01] [-- extra ocr args]

Exits 77 (skipped) without PIL or the fonts."""
import argparse
import json
import os
import subprocess
import sys


def levenshtein(a, b):
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--pages", type=int, default=10)
    ap.add_argument("--max-cer", type=float, default=0.01)
    ap.add_argument("extra", nargs="*")
    a = ap.parse_args()
    try:
        import PIL  # noqa: F401
    except ImportError:
        print("skipped: python3-pil is not installed")
        return 77
    here = os.path.dirname(os.path.abspath(__file__))
    sys.path.insert(0, here)
    import pages
    for f in pages.FONTS:
        if not os.path.exists(f):
            print("skipped: font %s is not installed" % f)
            return 77
    pages_dir = os.path.join(a.work, "pages")
    subprocess.run([sys.executable, os.path.join(here, "pages.py"), pages_dir, "--count",
                    str(a.pages)], check=True)
    names = sorted(n[:-4] for n in os.listdir(pages_dir) if n.endswith(".png"))
    out = subprocess.run([a.bin, "ocr", "--json"] + a.extra + [pages_dir], capture_output=True,
                         text=True)
    if out.returncode != 0:
        print(out.stderr)
        print("FAIL: edgeinfer ocr exited %d" % out.returncode)
        return 1
    doc = json.loads(out.stdout)
    results = {os.path.basename(r["image"])[:-4]: r for r in doc["results"]}
    total_err = total_len = 0
    failures = []
    for n in names:
        with open(os.path.join(pages_dir, n + ".txt"), encoding="utf-8") as f:
            ref_lines = f.read().splitlines()
        hyp_lines = [l["text"] for l in results[n]["lines"]] if n in results else []
        ref, hyp = "\n".join(ref_lines), "\n".join(hyp_lines)
        e = levenshtein(ref, hyp)
        total_err += e
        total_len += len(ref)
        print("%s: %d lines read of %d, %d edits over %d characters" %
              (n, len(hyp_lines), len(ref_lines), e, len(ref)))
        if e:
            for r_, h_ in zip(ref_lines + [""] * 20, hyp_lines + [""] * 20):
                if r_ != h_:
                    print("   ref %r\n   got %r" % (r_, h_))
        # Reading order: each line read must match its own reference line best.
        for i, h in enumerate(hyp_lines):
            best = min(range(len(ref_lines)), key=lambda k: levenshtein(ref_lines[k], h))
            if best != i and levenshtein(ref_lines[best], h) < levenshtein(
                    ref_lines[i] if i < len(ref_lines) else "", h):
                failures.append("%s: line %d %r is out of order (it is reference line %d)" %
                                (n, i + 1, h, best + 1))
                break
    cer = total_err / max(total_len, 1)
    print("character error rate: %.4f (%d edits / %d characters, %d pages)" %
          (cer, total_err, total_len, len(names)))
    if cer > a.max_cer:
        failures.append("character error rate %.4f above %.4f" % (cer, a.max_cer))
    for f in failures:
        print("FAIL: " + f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
