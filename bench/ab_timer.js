// Times two builds' calls side by side in one process, for bench/pool_ab.js and bench/conv_ab.js:
// on a shared host whose speed moves 1.5x from one process to the next, only calls timed in the
// same process compare two builds. Rounds of `inner` calls alternate between base and head, in
// swapped order every other round; the best round of each, in microseconds per call.
'use strict';

const path = require('path');

// The native backend of a package root (a checkout with dist/ and the addon built).
function loadBackend(root) {
  const { loadAddon, createNativeBackend } = require(path.join(path.resolve(root), 'dist/backend/native.js'));
  return createNativeBackend(loadAddon().addon);
}

function alternate(fn, rounds = Number(process.env.ROUNDS ?? 40), inner = Number(process.env.INNER ?? 10)) {
  const best = { base: Infinity, head: Infinity };
  for (const b of ['base', 'head']) for (let i = 0; i < 30; i++) fn[b]();
  for (let r = 0; r < rounds; r++) {
    for (const b of r % 2 ? ['head', 'base'] : ['base', 'head']) {
      const t0 = process.hrtime.bigint();
      for (let i = 0; i < inner; i++) fn[b]();
      best[b] = Math.min(best[b], Number(process.hrtime.bigint() - t0) / 1e3 / inner);
    }
  }
  return best;
}

// "<name> base <us> head <us> (<base / head>x)"
const line = (name, best) =>
  `${name} base ${best.base.toFixed(1)} head ${best.head.toFixed(1)} (${(best.base / best.head).toFixed(2)}x)`;

module.exports = { loadBackend, alternate, line };
