#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Runs two OCR tools page by page, interleaved, for bench/ocr/run.sh: each tool is a long-lived
process that loads its models once and answers one page path per stdin line with one JSON line
(ei_bench_ocr, peer.mjs). After WARMUP passes over the pages (not recorded), every round sends
each page to both tools one after the other, alternating which goes first (ABAB, then BABA), so
that both see the same machine load within a second or two of each other. Writes every answer as
a JSON line (with "round") to OUT, then each tool's peak resident memory.

    pair.py OUT --rounds R --warmup W --pages PAGE... --tool NAME CMD... [--tool NAME CMD...]"""
import argparse
import json
import shlex
import subprocess
import sys


class Tool:
    def __init__(self, name, cmd, cwd):
        self.name = name
        self.p = subprocess.Popen(cmd, cwd=cwd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  text=True, bufsize=1)

    def ask(self, line):
        self.p.stdin.write(line + "\n")
        self.p.stdin.flush()
        while True:
            out = self.p.stdout.readline()
            if out == "":
                sys.exit("bench-ocr: %s exited (rc %s) on %r" % (self.name, self.p.wait(), line))
            if out.startswith("{"):
                return json.loads(out)

    def close(self):
        self.p.stdin.close()
        return self.p.wait()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--pages", nargs="+", required=True)
    ap.add_argument("--tool", nargs=3, action="append", metavar=("NAME", "CWD", "CMD"),
                    required=True, help="CMD is one shell-quoted string")
    a = ap.parse_args()
    tools = [Tool(n, shlex.split(c), cwd) for n, cwd, c in a.tool]
    with open(a.out, "w") as out:
        for w in range(a.warmup):
            for p in a.pages:
                for t in tools:
                    t.ask(p)
        k = 0
        for r in range(a.rounds):
            print("bench-ocr: round %d/%d" % (r + 1, a.rounds), file=sys.stderr)
            for p in a.pages:
                order = tools if k % 2 == 0 else tools[::-1]
                k += 1
                for t in order:
                    d = t.ask(p)
                    d["tool"] = t.name
                    d["round"] = r
                    out.write(json.dumps(d) + "\n")
                out.flush()
        for t in tools:
            d = t.ask("rss")
            d["tool"] = t.name
            out.write(json.dumps(d) + "\n")
    for t in tools:
        if t.close() != 0:
            sys.exit("bench-ocr: %s failed" % t.name)


if __name__ == "__main__":
    main()
