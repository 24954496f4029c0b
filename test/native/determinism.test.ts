// Determinism of the native kernels (KERNELS.md §8.2.5 and the contracts in native/kernels/*.h):
// the same call twice gives bitwise-identical results, and so do 1 and 2 threads, for GEMM, conv
// (forward, backward-data, backward-filter with bias), pooling, reductions, softmax and the LSTM
// cell. Sizes are large enough that every kernel actually splits its work between threads.
import { afterAll, describe, expect, test } from 'vitest';
import type { Backend } from '../../src/backend/backend';
import { getNumThreads, setNumThreads } from '../../src/backend';
import { assertBitwiseEqual } from '../util/assert_close';
import { nativeKernels } from '../util/backends';
import { normal, uniform } from '../util/data';
import { conv2dParams } from '../shapes/conv2d';
import { pool2dParams } from '../shapes/pool2d';

const native = nativeKernels();
const initialThreads = getNumThreads();
afterAll(() => {
  setNumThreads(initialThreads);
});

/**
 * Runs `run` (which returns its outputs) with 2 threads twice and with 1 thread once, and requires
 * all three to be bitwise identical.
 */
function checkDeterministic(name: string, run: (be: Backend) => Float32Array[]): void {
  expect(setNumThreads(2), 'setNumThreads(2)').toBe(2);
  const first = run(native);
  const second = run(native);
  setNumThreads(1);
  const single = run(native);
  setNumThreads(2);
  first.forEach((out, i) => {
    assertBitwiseEqual(second[i], out, { name: `${name} output ${i}: run 2 vs run 1 (2 threads)` });
    assertBitwiseEqual(single[i], out, { name: `${name} output ${i}: 1 thread vs 2 threads` });
  });
}

describe('native kernels are bitwise reproducible, run to run and across thread counts', () => {
  test('gemm: square, FC-layer and batched shapes, all transposes', () => {
    for (const [m, n, k, batch] of [[256, 256, 300, 1], [64, 784, 256, 1], [300, 20, 513, 1], [37, 45, 61, 8]]) {
      for (const [transA, transB] of [[false, false], [true, false], [false, true], [true, true]]) {
        const a = uniform(batch * m * k, m);
        const b = uniform(batch * k * n, n);
        const c0 = uniform(batch * m * n, k);
        const args = { transA, transB, batch, m, n, k, alpha: 1, beta: 0.5, strideA: m * k, strideB: k * n, strideC: m * n };
        checkDeterministic(`gemm ${m}x${n}x${k} batch ${batch} transA ${transA} transB ${transB}`, (be) => {
          const c = c0.slice();
          be.gemm(a, b, c, args);
          return [c];
        });
      }
    }
  });

  test('conv2d forward, backward-data and backward-filter (+ bias)', () => {
    const shapes = [
      { name: 'resnet20_stage3_b16', n: 16, cIn: 64, h: 8, w: 8, cOut: 64, kh: 3, kw: 3, padH: 1, padW: 1 },
      { name: 'stride2_b16', n: 16, cIn: 16, h: 16, w: 16, cOut: 32, kh: 3, kw: 3, strideH: 2, strideW: 2, padH: 1, padW: 1 },
      { name: 'depthwise_b16', n: 16, cIn: 32, h: 16, w: 16, cOut: 32, kh: 3, kw: 3, padH: 1, padW: 1, groups: 32 },
      { name: 'lenet5_conv2_b64', n: 64, cIn: 6, h: 14, w: 14, cOut: 16, kh: 5, kw: 5 },
    ];
    for (const s of shapes) {
      const p = conv2dParams(s);
      const x = uniform(p.n * p.cIn * p.h * p.w, 1);
      const w = uniform((p.cOut * p.cIn * p.kh * p.kw) / p.groups, 2);
      const bias = uniform(p.cOut, 3);
      const dy = uniform(p.n * p.cOut * p.oh * p.ow, 4);
      checkDeterministic(`conv2d ${s.name}`, (be) => {
        const y = new Float32Array(dy.length);
        const dx = new Float32Array(x.length);
        const dw = new Float32Array(w.length);
        const db = new Float32Array(p.cOut);
        be.conv2dForward(x, w, bias, y, p);
        be.conv2dBackwardData(dy, w, dx, p);
        be.conv2dBackwardFilter(x, dy, dw, db, p);
        return [y, dx, dw, db];
      });
    }
  });

  test('max and average pooling, forward and backward (overlapping windows accumulate)', () => {
    for (const s of [
      { name: 'k3s2p1', n: 32, c: 16, h: 32, w: 32, kh: 3, kw: 3, strideH: 2, strideW: 2, padH: 1, padW: 1 },
      { name: 'k2s2', n: 64, c: 16, h: 28, w: 28, kh: 2, kw: 2 },
    ]) {
      const p = pool2dParams(s);
      const x = uniform(p.n * p.c * p.h * p.w, 5);
      const dy = uniform(p.n * p.c * p.oh * p.ow, 6);
      checkDeterministic(`pooling ${s.name}`, (be) => {
        const y = new Float32Array(dy.length);
        const argmax = new Int32Array(dy.length);
        const dx = new Float32Array(x.length);
        const ya = new Float32Array(dy.length);
        const dxa = new Float32Array(x.length);
        be.maxPool2dForward(x, y, argmax, p);
        be.maxPool2dBackward(dy, argmax, dx, p);
        be.avgPool2dForward(x, ya, p, false);
        be.avgPool2dBackward(dy, dxa, p, false);
        return [y, new Float32Array(argmax), dx, ya, dxa];
      });
    }
  });

  test('reductions: a long row, many rows, strided rows; argmax', () => {
    const x = uniform(1_000_003, 7, -1, 3);
    for (const [outer, n, inner] of [[1, 1_000_003, 1], [1000, 1000, 1], [3, 1000, 333], [1, 1000, 1000]]) {
      const len = outer * n * inner;
      const xs = x.subarray(0, len);
      checkDeterministic(`reduce outer ${outer} n ${n} inner ${inner}`, (be) =>
        (['sum', 'max', 'min'] as const)
          .map((op) => {
            const y = new Float32Array(outer * inner);
            be.reduce(op, xs, y, outer, n, inner);
            return y;
          })
          .concat([
            (() => {
              const y = new Float32Array(outer * inner);
              be.argReduce('max', xs, y, outer, n, inner);
              return y;
            })(),
          ]),
      );
    }
  });

  test('softmax and log-softmax, forward and backward', () => {
    const x = normal(4096 * 100, 8, 3);
    const dy = normal(x.length, 9);
    for (const [outer, n, inner] of [[4096, 100, 1], [4, 102_400, 1], [16, 100, 256]]) {
      for (const log of [false, true]) {
        checkDeterministic(`${log ? 'logSoftmax' : 'softmax'} outer ${outer} n ${n} inner ${inner}`, (be) => {
          const y = new Float32Array(x.length);
          const dx = new Float32Array(x.length);
          be.softmax(x, y, outer, n, inner, log);
          be.softmaxBackward(y, dy, dx, outer, n, inner, log);
          return [y, dx];
        });
      }
    }
  });

  test('LSTM cell, forward and backward', () => {
    const [rows, hidden] = [64, 256];
    const n = rows * hidden;
    const pre = normal(4 * n, 10, 3);
    const cPrev = normal(n, 11);
    const dh = normal(n, 12);
    const dc = normal(n, 13);
    checkDeterministic(`lstmCell [${rows}, ${hidden}]`, (be) => {
      const gates = pre.slice();
      const [c, tc, h, dcPrev] = [0, 1, 2, 3].map(() => new Float32Array(n));
      const dgates = new Float32Array(4 * n);
      be.lstmCell(gates, cPrev, c, tc, h, rows, hidden);
      be.lstmCellBackward(gates, cPrev, tc, dh, dc, dgates, dcPrev, rows, hidden);
      return [gates, c, tc, h, dgates, dcPrev];
    });
  });
});
