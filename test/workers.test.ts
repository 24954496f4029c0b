// The addon is context-aware: it loads in several worker_threads at once, and kernels running
// concurrently in two workers (each with its own OpenMP team) and the main thread give correct results.
import { Worker } from 'node:worker_threads';
import * as path from 'node:path';
import { describe, expect, test } from 'vitest';
import { nativeAddon, referenceBackend } from '../src/backend';
import { packageRoot } from '../src/backend/native';

// Runs in each worker: loads the addon itself and computes products and convolutions of inputs
// made from a seed, returning the results for the main thread to check.
const workerSource = `
const { parentPort, workerData } = require('node:worker_threads');
const addon = require(require(workerData.root + '/node_modules/node-gyp-build').resolve(workerData.root));
const { seed, rounds } = workerData;
function fill(n, s) { const a = new Float32Array(n); let x = s >>> 0; for (let i = 0; i < n; i++) { x = (Math.imul(x, 1664525) + 1013904223) >>> 0; a[i] = (x / 4294967296) * 2 - 1; } return a; }
const results = [];
for (let r = 0; r < rounds; r++) {
  const m = 96 + r, n = 80, k = 112;
  const a = fill(m * k, seed + r), b = fill(k * n, seed + 100 + r), c = new Float32Array(m * n);
  addon.gemm(false, true, 1, m, n, k, 1, a, 0, b, 0, 0, c, 0, null, false);
  const x = fill(2 * 3 * 12 * 12, seed + 200 + r), w = fill(4 * 3 * 3 * 3, seed + 300 + r), y = new Float32Array(2 * 4 * 10 * 10);
  addon.conv2dForward(x, w, null, y, Int32Array.from([2, 3, 12, 12, 4, 3, 3, 10, 10, 1, 1, 0, 0, 1, 1, 1]));
  const s = new Float32Array(m * n);
  addon.softmax(c, s, m, n, 1, false);
  results.push({ m, n, k, c, y, s });
}
parentPort.postMessage({ isa: addon.backendInfo().isa, results });
`;

function fill(n: number, s: number): Float32Array {
  const a = new Float32Array(n);
  let x = s >>> 0;
  for (let i = 0; i < n; i++) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    a[i] = (x / 4294967296) * 2 - 1;
  }
  return a;
}

type Result = { m: number; n: number; k: number; c: Float32Array; y: Float32Array; s: Float32Array };

function runWorker(seed: number, rounds: number): Promise<{ isa: string; results: Result[] }> {
  return new Promise((resolve, reject) => {
    const w = new Worker(workerSource, { eval: true, workerData: { root: packageRoot, seed, rounds } });
    w.once('message', resolve);
    w.once('error', reject);
    w.once('exit', (code) => {
      if (code !== 0) reject(new Error(`worker exited with code ${code}`));
    });
  });
}

function maxRelErr(got: Float32Array, want: Float64Array | Float32Array, scale: number): number {
  let e = 0;
  for (let i = 0; i < got.length; i++) e = Math.max(e, Math.abs(got[i] - want[i]) / scale);
  return e;
}

describe('worker_threads', () => {
  test('two workers and the main thread use the addon at the same time, correctly', async () => {
    const addon = nativeAddon();
    expect(addon, 'the native addon must load in the main thread').not.toBeNull();
    const rounds = 6;
    const seeds = [11, 29];
    const running = seeds.map((s) => runWorker(s, rounds));
    // Keep the main thread's own kernels busy while the workers run.
    const mm = 128;
    const a = fill(mm * mm, 1);
    const c = new Float32Array(mm * mm);
    for (let i = 0; i < 20; i++) addon?.gemm(false, false, 1, mm, mm, mm, 1, a, 0, a, 0, 0, c, 0, null, false);
    const outputs = await Promise.all(running);

    for (const [wi, out] of outputs.entries()) {
      expect(out.isa).toBe(addon?.backendInfo().isa);
      for (const [r, res] of out.results.entries()) {
        const seed = seeds[wi] + r;
        const { m, n, k } = res;
        // GEMM: |error| <= gamma_{k+2} * sum |a||b| <= gamma_{k+2} * k (inputs in [-1, 1]).
        const A = fill(m * k, seed);
        const B = fill(k * n, seed + 100);
        const want = new Float64Array(m * n);
        referenceBackend.gemm(A, B, want, { transA: false, transB: true, batch: 1, m, n, k, alpha: 1, beta: 0, strideA: 0, strideB: 0, strideC: 0 });
        const u = 2 ** -24;
        expect(maxRelErr(res.c, want, 1)).toBeLessThanOrEqual(((k + 2) * u) / (1 - (k + 2) * u) * k);
        const X = fill(2 * 3 * 12 * 12, seed + 200);
        const W = fill(4 * 3 * 3 * 3, seed + 300);
        const Y = new Float64Array(2 * 4 * 10 * 10);
        referenceBackend.conv2dForward(X, W, null, Y, {
          n: 2, cIn: 3, h: 12, w: 12, cOut: 4, kh: 3, kw: 3, oh: 10, ow: 10,
          strideH: 1, strideW: 1, padH: 0, padW: 0, dilH: 1, dilW: 1, groups: 1,
        });
        expect(maxRelErr(res.y, Y, 1)).toBeLessThanOrEqual((29 * u) / (1 - 29 * u) * 27);
        // Softmax rows of the worker's own GEMM output: each row sums to 1.
        for (let i = 0; i < m; i++) {
          let s = 0;
          for (let j = 0; j < n; j++) s += res.s[i * n + j];
          expect(Math.abs(s - 1)).toBeLessThan(1e-5);
        }
      }
    }
    // The main thread's result is right too.
    const want = new Float64Array(mm * mm);
    referenceBackend.gemm(a, a, want, { transA: false, transB: false, batch: 1, m: mm, n: mm, k: mm, alpha: 1, beta: 0, strideA: 0, strideB: 0, strideC: 0 });
    expect(maxRelErr(c, want, 1)).toBeLessThanOrEqual(((mm + 2) * 2 ** -24) * mm * 1.01);
  });

  test('the library loads in a worker and trains there', async () => {
    // Uses the compiled package (dist/), as an application's worker would.
    const src = `
      const { parentPort } = require('node:worker_threads');
      const gn = require(${JSON.stringify(path.join(packageRoot, 'dist', 'index.js'))});
      gn.manualSeed(3);
      const x = gn.randn([64, 8]);
      const yTrue = x.sum(1, true);
      const w = gn.zeros([8, 1], { requiresGrad: true });
      let loss;
      for (let i = 0; i < 200; i++) {
        loss = x.matmul(w).sub(yTrue).pow(2).mean();
        w.zeroGrad();
        loss.backward();
        gn.noGrad(() => { for (let j = 0; j < 8; j++) w.data[j] -= 0.1 * w.grad.data[j]; });
      }
      parentPort.postMessage({ loss: loss.item(), backend: gn.backendInfo().backend, w: Array.from(w.data) });
    `;
    const out = await new Promise<{ loss: number; backend: string; w: number[] }>((resolve, reject) => {
      const wk = new Worker(src, { eval: true });
      wk.once('message', resolve);
      wk.once('error', reject);
    });
    expect(out.backend).toBe('native');
    expect(out.loss).toBeLessThan(1e-6);
    for (const v of out.w) expect(v).toBeCloseTo(1, 3);
  });
});
