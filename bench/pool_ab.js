// Two builds' pooling passes in one process, alternating: on a shared host whose speed moves
// 1.5x from one process to the next, only calls timed side by side compare two builds. Both
// addons are loaded (each package root's own build); rounds of `inner` calls alternate between
// them, in swapped order every other round, and the best round of each is printed. Plain Node:
//
//   node bench/pool_ab.js <base root> <head root> n c h w k stride pad [passes mf,mb,af,ab]
//   node bench/pool_ab.js /tmp/base . 32 16 32 32 3 2 1      (the ResNet stem's 3x3 / 2 max pool)
//
// Passes: mf / mb max forward / backward, af / ab average forward / backward (count_include_pad).
// Prints "<pass> base <us> head <us> (<base / head>x)". A root is a checkout with its dist/ and
// addon built (npm run build:native && npm run build:ts); for an older commit, a git worktree.
// ROUNDS (default 40) and INNER (default 10) in the environment change the counts.
'use strict';

const path = require('path');

const args = process.argv.slice(2);
if (args.length < 9) {
  console.error('usage: node bench/pool_ab.js <base root> <head root> n c h w k stride pad [passes mf,mb,af,ab]');
  process.exit(2);
}
const load = (root) => {
  const { loadAddon, createNativeBackend } = require(path.join(path.resolve(root), 'dist/backend/native.js'));
  return createNativeBackend(loadAddon().addon);
};
const builds = { base: load(args[0]), head: load(args[1]) };
const [n, c, h, w, k, s, pad] = args.slice(2, 9).map(Number);
const passes = (args[9] ?? 'mf,mb,af,ab').split(',');
const oh = Math.floor((h + 2 * pad - k) / s) + 1, ow = Math.floor((w + 2 * pad - k) / s) + 1;
const p = { n, c, h, w, oh, ow, kh: k, kw: k, strideH: s, strideW: s, padH: pad, padW: pad };
const x = Float32Array.from({ length: n * c * h * w }, (_, i) => Math.sin(i * 0.37) * 3);
const y = new Float32Array(n * c * oh * ow), argmax = new Int32Array(y.length);
const dy = Float32Array.from(y, (_, i) => Math.cos(i)), dx = new Float32Array(x.length);
builds.base.maxPool2dForward(x, y, argmax, p);

const rounds = Number(process.env.ROUNDS ?? 40), inner = Number(process.env.INNER ?? 10);
const out = [];
for (const pass of passes) {
  const call = (be) => ({
    mf: () => be.maxPool2dForward(x, y, argmax, p),
    mb: () => be.maxPool2dBackward(dy, argmax, dx, p),
    af: () => be.avgPool2dForward(x, y, p, true),
    ab: () => be.avgPool2dBackward(dy, dx, p, true),
  })[pass];
  if (!call(builds.base)) throw new Error(`unknown pass ${pass} (mf, mb, af or ab)`);
  const fn = { base: call(builds.base), head: call(builds.head) }, best = { base: Infinity, head: Infinity };
  for (const b of ['base', 'head']) for (let i = 0; i < 30; i++) fn[b]();
  for (let r = 0; r < rounds; r++) {
    for (const b of r % 2 ? ['head', 'base'] : ['base', 'head']) {
      const t0 = process.hrtime.bigint();
      for (let i = 0; i < inner; i++) fn[b]();
      best[b] = Math.min(best[b], Number(process.hrtime.bigint() - t0) / 1e3 / inner);
    }
  }
  out.push(`${pass} base ${best.base.toFixed(1)} head ${best.head.toFixed(1)} (${(best.base / best.head).toFixed(2)}x)`);
}
console.log(out.join(' | '));
