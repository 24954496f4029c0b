'use strict';
// Loads an addon binary directly and checks that it computes: a small GEMM against plain loops.
// Usage: node scripts/smoke-addon.js path/to/gradnode.node
const file = process.argv[2];
const addon = require(file);
const m = 7, n = 5, k = 9;
const a = Float32Array.from({ length: m * k }, (_, i) => ((i * 37) % 11) - 5);
const b = Float32Array.from({ length: k * n }, (_, i) => ((i * 17) % 7) - 3);
const c = new Float32Array(m * n);
addon.gemm(false, false, 1, m, n, k, 1, a, 0, b, 0, 0, c, 0, null, false);
for (let i = 0; i < m; i++)
  for (let j = 0; j < n; j++) {
    let s = 0;
    for (let p = 0; p < k; p++) s += a[i * k + p] * b[p * n + j];
    if (c[i * n + j] !== s) {
      console.error(`smoke-addon: ${file}: gemm gives ${c[i * n + j]} at (${i}, ${j}), expected ${s}`);
      process.exit(1);
    }
  }
console.log(`smoke-addon: ${file} loads (isa ${addon.backendInfo().isa}) and computes a GEMM correctly`);
