// One conv2d layer's passes timed from the backend (best of 5 rounds of up to 300 calls, 2 threads
// by default): for comparing two builds on a layer, alternating processes, and for the figures in
// commit messages and docs/benchmarks.md. Plain Node, no compile step:
//
//   node bench/conv_layer.js <package root> n cIn h w cOut k [stride 1] [pad 0] [groups 1] [passes fdb]
//   node bench/conv_layer.js . 32 64 32 32 64 3 1 1 64        (MobileNet's depthwise 3x3)
//
// Passes: f forward, d backward-data, b backward-filter (with the bias gradient). Prints
// "f <ms>  d <ms>  b <ms>". <package root> is a checkout with its dist/ and addon built
// (npm run build:native && npm run build:ts); for an older commit, a git worktree of it.
'use strict';

const path = require('path');

const args = process.argv.slice(2);
if (args.length < 7) {
  console.error('usage: node bench/conv_layer.js <package root> n cIn h w cOut k [stride] [pad] [groups] [passes fdb]');
  process.exit(2);
}
const root = path.resolve(args[0]);
const [n, cIn, h, w, cOut, k] = args.slice(1, 7).map(Number);
const stride = Number(args[7] ?? 1), pad = Number(args[8] ?? 0), groups = Number(args[9] ?? 1);
const passes = args[10] ?? 'fdb';
const { loadAddon, createNativeBackend } = require(path.join(root, 'dist/backend/native.js'));
const be = createNativeBackend(loadAddon().addon);

const oh = Math.floor((h + 2 * pad - k) / stride) + 1, ow = Math.floor((w + 2 * pad - k) / stride) + 1;
const p = { n, cIn, h, w, cOut, kh: k, kw: k, oh, ow, strideH: stride, strideW: stride, padH: pad, padW: pad, dilH: 1, dilW: 1, groups };
const random = (m) => Float32Array.from({ length: m }, () => Math.random() - 0.5);
const x = random(n * cIn * h * w), wt = random(cOut * (cIn / groups) * k * k);
const y = new Float32Array(n * cOut * oh * ow), dy = random(y.length);
const dx = new Float32Array(x.length), dw = new Float32Array(wt.length), db = new Float32Array(cOut);
const calls = {
  f: () => be.conv2dForward(x, wt, null, y, p),
  d: () => be.conv2dBackwardData(dy, wt, dx, p),
  b: () => be.conv2dBackwardFilter(x, dy, dw, db, p),
};

const out = [];
for (const c of passes) {
  const fn = calls[c];
  if (!fn) throw new Error(`unknown pass ${c} (f, d or b)`);
  fn();
  let best = Infinity;
  for (let r = 0; r < 5; r++) {
    let count = 0, ms;
    const t0 = process.hrtime.bigint();
    do {
      fn();
      count++;
      ms = Number(process.hrtime.bigint() - t0) / 1e6;
    } while (ms < 100 && count < 300);
    best = Math.min(best, ms / count);
  }
  out.push(`${c} ${best.toFixed(3)}`);
}
console.log(out.join('  '));
