// SPDX-License-Identifier: MIT
// The npm peer for bench/ocr/run.sh: @gutenye/ocr-node (PP-OCRv4 with onnxruntime-node, sharp,
// opencv-js, js-clipper). Same protocol as ei_bench_ocr: loads once, runs each page WARMUP + RUNS
// times, prints one JSON line per page and the peak resident memory.
//   node peer.mjs THREADS RUNS WARMUP PAGE...
import Ocr from '@gutenye/ocr-node'

const [threads, runs, warmup, ...pages] = process.argv.slice(2)
const onnxOptions = {}
if (Number(threads) > 0) {
  onnxOptions.intraOpNumThreads = Number(threads)
  onnxOptions.interOpNumThreads = 1
}
const ocr = await Ocr.create({ onnxOptions })
for (const page of pages) {
  const ms = []
  let text = []
  for (let i = 0; i < Number(warmup) + Number(runs); i++) {
    const t0 = performance.now()
    const lines = await ocr.detect(page)
    const t1 = performance.now()
    if (i >= Number(warmup)) ms.push(t1 - t0)
    text = lines.map((l) => l.text)
  }
  console.log(JSON.stringify({ tool: 'ocr-node', page, ms, text }))
}
console.log(JSON.stringify({ tool: 'ocr-node', peak_rss_mb: process.resourceUsage().maxRSS / 1024 }))
