'use strict';
// Row-by-row comparison of benchmark results files (`npm run bench -- --out FILE`), to catch a
// change that slows a kernel down before it lands. Plain Node, no compile step:
//
//   node bench/compare.js --base a1.json [--base a2.json ...] --head b1.json [--head b2.json ...]
//
// Each side takes the best native time of every row over its files (run the two builds
// alternately, e.g. `--package <worktree of the old commit>` for the base, see docs/benchmarks.md).
// Prints head / base per row, flags rows more than --flag (default 5 %) slower or faster, and the
// geometric mean. Exits 1 when a file is unreadable or the two sides share no row.
const fs = require('node:fs');
const { parseArgs } = require('node:util');

const { values } = parseArgs({
  options: {
    base: { type: 'string', multiple: true },
    head: { type: 'string', multiple: true },
    flag: { type: 'string', default: '5' },
  },
});
if (!values.base || !values.head) {
  console.error('usage: node bench/compare.js --base A.json [--base ...] --head B.json [--head ...] [--flag PERCENT]');
  process.exit(2);
}
const flag = Number(values.flag) / 100;

/** Best native time (s) of each row over the files, keyed "family name pass". */
function bestTimes(files) {
  const best = new Map();
  for (const file of files) {
    let json;
    try {
      json = JSON.parse(fs.readFileSync(file, 'utf8'));
    } catch (e) {
      console.error(`compare: cannot read ${file}: ${e.message}`);
      process.exit(1);
    }
    for (const r of json.rows ?? []) {
      if (!r.native || !(r.native.best > 0)) continue;
      const key = `${r.family} ${r.name} ${r.pass}`;
      best.set(key, Math.min(best.get(key) ?? Infinity, r.native.best));
    }
  }
  return best;
}

const fmt = (s) => (s >= 1e-3 ? `${(s * 1e3).toFixed(2)} ms` : `${(s * 1e6).toFixed(1)} us`);
const base = bestTimes(values.base);
const head = bestTimes(values.head);
let logSum = 0;
let count = 0;
const flagged = [];
console.log(`${'row'.padEnd(58)} ${'base'.padStart(10)} ${'head'.padStart(10)}  head/base`);
for (const [key, b] of base) {
  const h = head.get(key);
  if (h === undefined) continue;
  const ratio = h / b;
  logSum += Math.log(ratio);
  count++;
  const mark = ratio > 1 + flag ? '  slower' : ratio < 1 - flag ? '  faster' : '';
  if (mark) flagged.push(key);
  console.log(`${key.padEnd(58)} ${fmt(b).padStart(10)} ${fmt(h).padStart(10)}  ${ratio.toFixed(3)}${mark}`);
}
if (count === 0) {
  console.error('compare: the base and head files share no row');
  process.exit(1);
}
console.log(`geometric mean head/base over ${count} rows: ${Math.exp(logSum / count).toFixed(3)}; ` +
  `${flagged.length} row(s) beyond ${(flag * 100).toFixed(0)} %`);
