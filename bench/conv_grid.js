'use strict';
// A grid of random conv2d layers (batch 1-32, 3-512 channels, planes 2-28, kernels 1-7, strides
// 1-2, the same 70 for any run), each pass timed from the backend (best of 5-100 calls): for
// comparing the engines' path choices of two builds, where npm run bench's fixed shapes would not
// see a layer a rule sent the wrong way. Plain Node, no compile step:
//
//   node bench/conv_grid.js <package root> > /tmp/a.jsonl      (a line per layer: name, fwd, bwd_data, bwd_filter in us)
//   node bench/conv_grid.js --compare <base.jsonl>... -- <head.jsonl>...
//
// Run each build twice or more, alternating; --compare takes each pass's best over a side's files
// and lists the passes more than 15 % apart.
const path = require('node:path');
const fs = require('node:fs');

function compare(args) {
  const cut = args.indexOf('--');
  if (cut < 1 || cut === args.length - 1) throw new Error('usage: --compare <base files> -- <head files>');
  const load = (files) => {
    const runs = files.map((f) => fs.readFileSync(f, 'utf8').trim().split('\n').map((l) => JSON.parse(l)));
    return runs[0].map((row, i) => [row[0], ...[1, 2, 3].map((j) => Math.min(...runs.map((r) => r[i][j])))]);
  };
  const base = load(args.slice(0, cut)), head = load(args.slice(cut + 1));
  const passes = ['fwd', 'bwd_data', 'bwd_filter'];
  let faster = 0, slower = 0;
  for (let i = 0; i < base.length; i++)
    for (let j = 1; j <= 3; j++) {
      const ratio = head[i][j] / base[i][j];
      if (ratio < 1 / 1.15) faster++;
      if (ratio > 1.15) {
        slower++;
        console.log(`slower ${base[i][0]} ${passes[j - 1]}: ${base[i][j].toFixed(1)} -> ${head[i][j].toFixed(1)} us`);
      }
    }
  console.log(`${base.length * 3} passes: ${faster} faster and ${slower} slower by more than 15 %`);
}

function run(root) {
  const m = require(path.resolve(root, 'dist/backend/native.js'));
  const be = m.createNativeBackend(m.loadAddon().addon);
  let seed = 12345;
  const rnd = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  const pick = (a) => a[Math.floor(rnd() * a.length)];
  const layers = [];
  while (layers.length < 70) {
    const n = pick([1, 2, 4, 8, 16, 32]), c = pick([3, 8, 16, 32, 64, 128, 256, 512]);
    const k = pick([1, 4, 8, 16, 32, 64, 128, 256, 512]), h = pick([2, 4, 7, 8, 14, 16, 28]);
    const ks = pick([1, 3, 3, 3, 5, 7]), st = pick([1, 1, 2]), pad = pick([0, ks >> 1, ks >> 1]);
    const oh = Math.floor((h + 2 * pad - ks) / st) + 1;
    if (oh < 1) continue;
    const macs = n * c * k * ks * ks * oh * oh;
    if (macs > 1.5e8 || macs < 1e4) continue;
    layers.push({ n, cIn: c, h, w: h, cOut: k, kh: ks, kw: ks, oh, ow: oh, strideH: st, strideW: st, padH: pad, padW: pad, dilH: 1, dilW: 1, groups: 1, macs });
  }
  const data = (len, s) => Float32Array.from({ length: len }, (_, i) => ((i * 7919 + s) % 1000) / 1000 - 0.5);
  const best = (fn, reps) => {
    for (let i = 0; i < 3; i++) fn();
    let b = Infinity;
    for (let i = 0; i < reps; i++) {
      const t = process.hrtime.bigint();
      fn();
      b = Math.min(b, Number(process.hrtime.bigint() - t) / 1e3);
    }
    return b;
  };
  for (const p of layers) {
    const x = data(p.n * p.cIn * p.h * p.w, 1), w = data(p.cOut * p.cIn * p.kh * p.kw, 2);
    const y = new Float32Array(p.n * p.cOut * p.oh * p.ow), dy = data(y.length, 3);
    const dx = new Float32Array(x.length), dw = new Float32Array(w.length), db = new Float32Array(p.cOut);
    const reps = Math.max(5, Math.min(100, Math.round(3e8 / p.macs)));
    const name = `N${p.n} C${p.cIn} ${p.h}x${p.w} -> ${p.cOut} k${p.kh} s${p.strideH} p${p.padH}`;
    console.log(JSON.stringify([name,
      best(() => be.conv2dForward(x, w, null, y, p), reps),
      best(() => be.conv2dBackwardData(dy, w, dx, p), reps),
      best(() => be.conv2dBackwardFilter(x, dy, dw, db, p), reps)]));
  }
}

const args = process.argv.slice(2);
if (args[0] === '--compare') compare(args.slice(1));
else if (args.length === 1) run(args[0]);
else {
  console.error('usage: node bench/conv_grid.js <package root> | --compare <base files> -- <head files>');
  process.exit(2);
}
