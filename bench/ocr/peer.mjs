// SPDX-License-Identifier: MIT
// The npm peer for bench/ocr/run.sh: @gutenye/ocr-node (PP-OCRv4 with onnxruntime-node, sharp,
// opencv-js, js-clipper). Same protocol as ei_bench_ocr: loads once, then reads commands on stdin,
// one per line: a page path runs that page once and prints
// {"tool","page","ms","stages":{"det_infer","rec_infer","total"},"text":[lines]}, where the two
// *_infer figures are the time spent inside onnxruntime-node's session.run (detection: inputs
// taller than 48 rows; recognition: the 48-row line strips); "rss" prints the peak resident memory.
//   node peer.mjs THREADS < commands
import readline from 'node:readline'
import Ocr from '@gutenye/ocr-node'
import { InferenceSession } from 'onnxruntime-node'

const [threads] = process.argv.slice(2)
const onnxOptions = {}
if (Number(threads) > 0) {
  onnxOptions.intraOpNumThreads = Number(threads)
  onnxOptions.interOpNumThreads = 1
}

let ort = { det_infer: 0, rec_infer: 0 }
const run = InferenceSession.prototype.run
InferenceSession.prototype.run = async function (feeds, ...rest) {
  const input = feeds[this.inputNames[0]]
  const t0 = performance.now()
  const out = await run.call(this, feeds, ...rest)
  const dt = performance.now() - t0
  if (input.dims[2] > 48) ort.det_infer += dt
  else ort.rec_infer += dt
  return out
}

const ocr = await Ocr.create({ onnxOptions })
const rl = readline.createInterface({ input: process.stdin, terminal: false })
for await (const cmd of rl) {
  if (cmd === '') continue
  if (cmd === 'rss') {
    console.log(JSON.stringify({ tool: 'ocr-node', peak_rss_mb: process.resourceUsage().maxRSS / 1024 }))
    continue
  }
  ort = { det_infer: 0, rec_infer: 0 }
  const t0 = performance.now()
  const lines = await ocr.detect(cmd)
  const ms = performance.now() - t0
  console.log(
    JSON.stringify({
      tool: 'ocr-node',
      page: cmd,
      ms,
      stages: { ...ort, total: ms },
      text: lines.map((l) => l.text),
    }),
  )
}
