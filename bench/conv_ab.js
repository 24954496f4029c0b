// Two builds' conv2d passes in one process, alternating (bench/ab_timer.js): the way to compare
// two commits on a layer when the host's speed moves from one process to the next. Plain Node:
//
//   node bench/conv_ab.js <base root> <head root> n cIn h w cOut k [stride 1] [pad 0] [groups 1] [passes fdb]
//   node bench/conv_ab.js /tmp/base . 32 32 16 16 64 3 2 1     (ResNet-20's 32 -> 64 stride-2 layer)
//
// Passes: f forward (with bias), d backward-data, b backward-filter (with the bias gradient).
// Prints "<pass> base <us> head <us> (<base / head>x)". A root is a checkout with its dist/ and
// addon built (npm run build:native && npm run build:ts); for an older commit, a git worktree.
// ROUNDS (default 40) and INNER (default 10) in the environment change the counts.
'use strict';

const { loadBackend, alternate, line } = require('./ab_timer');

const args = process.argv.slice(2);
if (args.length < 8) {
  console.error('usage: node bench/conv_ab.js <base root> <head root> n cIn h w cOut k [stride] [pad] [groups] [passes fdb]');
  process.exit(2);
}
const builds = { base: loadBackend(args[0]), head: loadBackend(args[1]) };
const [n, cIn, h, w, cOut, k] = args.slice(2, 8).map(Number);
const stride = Number(args[8] ?? 1), pad = Number(args[9] ?? 0), groups = Number(args[10] ?? 1);
const passes = args[11] ?? 'fdb';
const oh = Math.floor((h + 2 * pad - k) / stride) + 1, ow = Math.floor((w + 2 * pad - k) / stride) + 1;
const p = { n, cIn, h, w, cOut, kh: k, kw: k, oh, ow, strideH: stride, strideW: stride, padH: pad, padW: pad, dilH: 1, dilW: 1, groups };
const x = Float32Array.from({ length: n * cIn * h * w }, (_, i) => Math.sin(i * 0.37));
const wt = Float32Array.from({ length: cOut * (cIn / groups) * k * k }, (_, i) => Math.cos(i * 0.11));
const bias = Float32Array.from({ length: cOut }, (_, i) => i / cOut);
const dy = Float32Array.from({ length: n * cOut * oh * ow }, (_, i) => Math.cos(i * 0.23));
const y = new Float32Array(dy.length), dx = new Float32Array(x.length);
const dw = new Float32Array(wt.length), db = new Float32Array(cOut);

const out = [];
for (const pass of passes) {
  const call = (be) => ({
    f: () => be.conv2dForward(x, wt, bias, y, p),
    d: () => be.conv2dBackwardData(dy, wt, dx, p),
    b: () => be.conv2dBackwardFilter(x, dy, dw, db, p),
  })[pass];
  if (!call(builds.base)) throw new Error(`unknown pass ${pass} (f, d or b)`);
  out.push(line(pass, alternate({ base: call(builds.base), head: call(builds.head) })));
}
console.log(out.join(' | '));
