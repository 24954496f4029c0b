// Two builds' pooling passes in one process, alternating (bench/ab_timer.js): on a shared host
// whose speed moves 1.5x from one process to the next, only calls timed side by side compare two
// builds. Both addons are loaded (each package root's own build). Plain Node:
//
//   node bench/pool_ab.js <base root> <head root> n c h w k stride pad [passes mf,mb,af,ab]
//   node bench/pool_ab.js /tmp/base . 32 16 32 32 3 2 1      (the ResNet stem's 3x3 / 2 max pool)
//
// Passes: mf / mb max forward / backward, af / ab average forward / backward (count_include_pad).
// Prints "<pass> base <us> head <us> (<base / head>x)". A root is a checkout with its dist/ and
// addon built (npm run build:native && npm run build:ts); for an older commit, a git worktree.
// ROUNDS (default 40) and INNER (default 10) in the environment change the counts.
'use strict';

const { loadBackend, alternate, line } = require('./ab_timer');

const args = process.argv.slice(2);
if (args.length < 9) {
  console.error('usage: node bench/pool_ab.js <base root> <head root> n c h w k stride pad [passes mf,mb,af,ab]');
  process.exit(2);
}
const builds = { base: loadBackend(args[0]), head: loadBackend(args[1]) };
const [n, c, h, w, k, s, pad] = args.slice(2, 9).map(Number);
const passes = (args[9] ?? 'mf,mb,af,ab').split(',');
const oh = Math.floor((h + 2 * pad - k) / s) + 1, ow = Math.floor((w + 2 * pad - k) / s) + 1;
const p = { n, c, h, w, oh, ow, kh: k, kw: k, strideH: s, strideW: s, padH: pad, padW: pad };
const x = Float32Array.from({ length: n * c * h * w }, (_, i) => Math.sin(i * 0.37) * 3);
const y = new Float32Array(n * c * oh * ow), argmax = new Int32Array(y.length);
const dy = Float32Array.from(y, (_, i) => Math.cos(i)), dx = new Float32Array(x.length);
builds.base.maxPool2dForward(x, y, argmax, p);

const out = [];
for (const pass of passes) {
  const call = (be) => ({
    mf: () => be.maxPool2dForward(x, y, argmax, p),
    mb: () => be.maxPool2dBackward(dy, argmax, dx, p),
    af: () => be.avgPool2dForward(x, y, p, true),
    ab: () => be.avgPool2dBackward(dy, dx, p, true),
  })[pass];
  if (!call(builds.base)) throw new Error(`unknown pass ${pass} (mf, mb, af or ab)`);
  out.push(line(pass, alternate({ base: call(builds.base), head: call(builds.head) })));
}
console.log(out.join(' | '));
