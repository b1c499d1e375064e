// SPDX-License-Identifier: MIT
// sharp (libvips) baseline for bench/image/run.sh: per file, read + decode + resize 256 + centre
// crop 224 + ImageNet normalise into a Float32Array 1x3x224x224, one thread, N runs. sharp's
// defaults are kept (JPEG shrink-on-load, lanczos3 kernel). Prints wall-clock and process CPU
// times (all threads: sharp works on the libuv pool thread).
//   UV_THREADPOOL_SIZE=1 node bench_sharp.js NODE_MODULES_DIR RUNS WARMUP DUMPDIR|- FILE...
'use strict';
const fs = require('fs');
const path = require('path');
const [modDir, runsArg, warmArg, dumpDir, ...files] = process.argv.slice(2);
const sharp = require(path.resolve(modDir, 'sharp'));
sharp.concurrency(1);
sharp.cache(false);
const MEAN = [0.485, 0.456, 0.406], STD = [0.229, 0.224, 0.225];

async function pipeline(file) {
  const buf = fs.readFileSync(file);
  const m = await sharp(buf).metadata();
  const w = m.width, h = m.height;
  const [rw, rh] = w <= h ? [256, Math.trunc(256 * h / w)] : [Math.trunc(256 * w / h), 256];
  const left = Math.round((rw - 224) / 2), top = Math.round((rh - 224) / 2);
  const px = await sharp(buf).resize(rw, rh, { fit: 'fill' })
    .extract({ left, top, width: 224, height: 224 }).removeAlpha().raw().toBuffer();
  const out = new Float32Array(3 * 224 * 224);
  const hw = 224 * 224;
  for (let c = 0; c < 3; c++) {
    const s = 1 / (255 * STD[c]), b = MEAN[c] / STD[c];
    for (let i = 0; i < hw; i++) out[c * hw + i] = px[3 * i + c] * s - b;
  }
  return out;
}

(async () => {
  const runs = parseInt(runsArg, 10), warm = parseInt(warmArg, 10);
  for (const f of files) {
    let out;
    for (let i = 0; i < warm; i++) out = await pipeline(f);
    const t = [], c = [];
    for (let i = 0; i < runs; i++) {
      const t0 = process.hrtime.bigint();
      const c0 = process.cpuUsage();
      out = await pipeline(f);
      t.push(Number(process.hrtime.bigint() - t0) / 1e6);
      const dc = process.cpuUsage(c0);
      c.push((dc.user + dc.system) / 1e3);
    }
    console.log(`sharp - ${path.basename(f)} ` + t.map((x) => x.toFixed(4)).join(',') + ' ' +
      c.map((x) => x.toFixed(4)).join(','));
    if (dumpDir !== '-') fs.writeFileSync(path.join(dumpDir, `sharp_${path.basename(f)}.f32`), Buffer.from(out.buffer));
  }
})();
