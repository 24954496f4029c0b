// float32 backward on the native backend against float64 backward on the reference backend, op by
// op, through .backward() on both (KERNELS.md §8.3: gradcheck shows the formulas are right; this
// shows the float32 kernels compute them accurately). The loss is sum(op(inputs) · R) for a fixed
// random R, so the gradient reaching the op is R exactly on both sides.
//
// Bound per gradient element: (γ_{K+4} + extra) · M + FLT_MIN, where K bounds the number of terms
// any gradient element sums (stated per case), the +4 covers the few roundings around the sums, and
// M is the magnitude of the terms: by default the same backward in float64 on |inputs| and |R|
// (exact for the multilinear ops: matmul, linear, conv2d, sums, pooling, broadcasting arithmetic,
// data movement; an upper bound for exp, log, sqrt, relu, abs, whose derivatives only grow under
// |x|). Inputs whose sign decides routing (max, maximum, pooling) keep their sign. Ops whose
// backward subtracts nearly equal terms (tanh, sigmoid, elu, softmax, variance, std, logSumExp, pow)
// get the magnitude of the terms of their derivative formula instead, written out per case.
// extra = 2·EPS_T (the ulp budget of test/util/bounds.ts, twice: forward value and backward use)
// for ops that go through a transcendental kernel.
import { describe, expect, test } from 'vitest';
import * as gn from '../../src/index';
import { Tensor } from '../../src/tensor';
import { assertWithin } from '../util/assert_close';
import { EPS_T, FLT_MIN, U, gamma, softmaxBound, softmaxBackwardBound } from '../util/bounds';
import { awayFromZero, distinct, uniform } from '../util/data';

type Fn = (...ts: Tensor[]) => Tensor;

interface Case {
  name: string;
  /** float32 inputs (data only; the test makes leaves of them). */
  inputs: Float32Array[];
  shapes: number[][];
  fn: Fn;
  /** Upper bound on the terms one gradient element sums. */
  K: number;
  /** Relative budget added for transcendental kernels. */
  extra?: number;
  /** Inputs that keep their sign in the magnitude run (routing ops). Default: all made absolute. */
  keepSign?: boolean[];
  /** Magnitude of the derivative's terms, per input, from float64 inputs and R (overrides the |x| run). */
  magnitude?: (xs: Float64Array[], r: Float64Array, out: Float64Array) => Float64Array[];
  /** An absolute bound per input derived for this op (overrides K, extra and magnitude). */
  bound?: (xs: Float64Array[], r: Float64Array, out: Float64Array) => Float64Array[];
}

const numel = (s: number[]) => s.reduce((a, b) => a * b, 1);
let seed = 500;
const u = (shape: number[], low = -1, high = 1) => uniform(numel(shape), seed++, low, high);

function leaves(inputs: Float32Array[], shapes: number[][], dtype: 'float32' | 'float64', map: (v: number, i: number, k: number) => number = (v) => v): Tensor[] {
  return inputs.map((d, k) => {
    const data = dtype === 'float64' ? Float64Array.from(d, (v, i) => map(v, i, k)) : Float32Array.from(d, (v, i) => map(v, i, k));
    return new Tensor(data, shapes[k], true);
  });
}

function gradsOf(xs: Tensor[], fn: Fn, r: Tensor): { grads: Float64Array[]; out: Tensor } {
  const out = fn(...xs);
  out.mul(r).sum().backward();
  return { grads: xs.map((x) => Float64Array.from(x.grad ? x.grad.data : new Float64Array(x.numel))), out };
}

function checkCase(c: Case): void {
  const outShape = gn.withBackend('native', () => c.fn(...leaves(c.inputs, c.shapes, 'float32').map((t) => t.detach())).shape.slice());
  const rData = uniform(numel(outShape), 77, -1, 1);
  const xs32 = leaves(c.inputs, c.shapes, 'float32');
  const got = gn.withBackend('native', () => gradsOf(xs32, c.fn, new Tensor(rData, outShape)));
  const xs64 = leaves(c.inputs, c.shapes, 'float64');
  const want = gradsOf(xs64, c.fn, new Tensor(Float64Array.from(rData), outShape));
  const xs = c.inputs.map((d) => Float64Array.from(d));
  const r = Float64Array.from(rData);
  const out = Float64Array.from(want.out.data);
  const rel = gamma(c.K + 4) + (c.extra ?? 0);
  const bounds = c.bound
    ? c.bound(xs, r, out).map((b) => b.map((v) => v + FLT_MIN))
    : magnitudes(c, xs, r, out, outShape).map((m) => m.map((v) => rel * v + FLT_MIN));
  expect(got.grads.length).toBe(c.inputs.length);
  got.grads.forEach((g, k) => {
    assertWithin(g, want.grads[k], bounds[k], { name: `${c.name}: gradient of input ${k}`, shape: c.shapes[k] });
  });
}

function magnitudes(c: Case, xs: Float64Array[], r: Float64Array, out: Float64Array, outShape: number[]): Float64Array[] {
  if (c.magnitude) return c.magnitude(xs, r, out);
  const keep = c.keepSign ?? [];
  const xsAbs = leaves(c.inputs, c.shapes, 'float64', (v, _i, k) => (keep[k] ? v : Math.abs(v)));
  return gradsOf(xsAbs, c.fn, new Tensor(r.map(Math.abs), outShape)).grads.map((g) => g.map(Math.abs));
}

function cases(): Case[] {
  const T = 2 * EPS_T;
  const list: Case[] = [];
  const add = (c: Omit<Case, 'inputs'> & { inputs?: Float32Array[] }) => list.push({ ...c, inputs: c.inputs ?? c.shapes.map((s) => u(s)) });

  // Broadcasting arithmetic: K = how many output elements fold into one gradient element.
  add({ name: 'add [3,1,5] + [4,1]', shapes: [[3, 1, 5], [4, 1]], fn: (a, b) => a.add(b), K: 15 });
  add({ name: 'sub [2,3,4] - [4]', shapes: [[2, 3, 4], [4]], fn: (a, b) => a.sub(b), K: 6 });
  add({ name: 'mul [5,7] * [5,1]', shapes: [[5, 7], [5, 1]], fn: (a, b) => a.mul(b), K: 7 });
  add({
    name: 'div [4,6] / [6] (divisor away from 0)',
    shapes: [[4, 6], [6]],
    inputs: [u([4, 6]), awayFromZero(6, 9, 0.3, 2)],
    fn: (a, b) => a.div(b),
    K: 4 + 3,
  });
  add({
    name: 'pow [3,4] ^ [4] (base in [0.5, 2], exponent in [-2, 2])',
    shapes: [[3, 4], [4]],
    inputs: [u([3, 4], 0.5, 2), u([4], -2, 2)],
    fn: (a, b) => a.pow(b),
    K: 0,
    // d/da = g·b·a^(b−1): the pow kernel's budget EPS_T (1 + |(b−1) ln a|), b − 1 rounded (u |ln a| |b − 1|),
    // two products (2u). d/db = Σ g·y·ln a over the broadcast: y within EPS_T (1 + |b ln a|), ln a
    // within EPS_T, two products, and a sum of 3 terms (γ_3).
    bound: ([a, b], r) => {
      const ga = new Float64Array(12);
      const gb = new Float64Array(4);
      for (let i = 0; i < 12; i++) {
        const j = i % 4;
        const la = Math.log(a[i]);
        ga[i] = Math.abs(r[i] * b[j] * a[i] ** (b[j] - 1)) * (EPS_T * (1 + Math.abs((b[j] - 1) * la)) + U * Math.abs(la * (b[j] - 1)) + 3 * U);
        gb[j] += Math.abs(r[i] * a[i] ** b[j] * la) * (EPS_T * (2 + Math.abs(b[j] * la)) + 3 * U + gamma(3));
      }
      return [ga, gb];
    },
  });
  add({
    name: 'maximum / minimum (distinct operands)',
    shapes: [[4, 5], [5]],
    inputs: [distinct(20, 10, 0.1), distinct(5, 11, 0.1).map((v) => v + 0.025)], // never tied
    fn: (a, b) => a.maximum(b).add(a.minimum(b).mul(3)),
    K: 2 * 4 + 2,
    keepSign: [true, true],
  });
  add({
    name: 'where with broadcast operands',
    shapes: [[3, 4], [4]],
    fn: (a, b) => gn.where(gn.tensor([[1, 0, 1, 0], [0, 0, 1, 1], [1, 1, 1, 0]]), a, b),
    K: 3,
  });

  // Unary ops and activations.
  add({ name: 'neg, abs, relu, leakyRelu, clamp', shapes: [[33]], inputs: [awayFromZero(33, 12, 0.05, 2)], fn: (x) => x.neg().add(x.abs()).add(x.relu()).add(x.leakyRelu(0.1)).add(x.clamp(-0.5, 0.5)), K: 5 });
  add({ name: 'exp', shapes: [[33]], inputs: [u([33], -5, 5)], fn: (x) => x.exp(), K: 1, extra: T });
  add({ name: 'log, sqrt (inputs >= 0.1)', shapes: [[33]], inputs: [u([33], 0.1, 10)], fn: (x) => x.log().add(x.sqrt()), K: 2, extra: T });
  const activation = (name: string, fn: Fn, term: (x: number, y: number) => number): Case => ({
    name,
    shapes: [[65]],
    inputs: [u([65], -6, 6)],
    fn,
    K: 1,
    extra: T,
    magnitude: ([x], r, y) => [Float64Array.from(x, (v, i) => Math.abs(r[i]) * term(v, y[i]))],
  });
  // tanh' = 1 − y²: terms 1 and y²; sigmoid' = y (1 − y): terms y and y²; elu' = y + α for x <= 0.
  list.push(activation('tanh', (x) => x.tanh(), (_x, y) => 1 + y * y));
  list.push(activation('sigmoid', (x) => x.sigmoid(), (_x, y) => Math.abs(y) + y * y));
  list.push(activation('elu alpha 0.7', (x) => x.elu(0.7), (x, y) => (x > 0 ? 1 : Math.abs(y) + 0.7)));

  // Reductions.
  add({ name: 'sum dims [0,2]', shapes: [[3, 4, 5]], fn: (x) => x.sum([0, 2]), K: 1 });
  add({ name: 'mean all', shapes: [[3, 4, 5]], fn: (x) => x.mean(), K: 2 });
  add({ name: 'max dim 1, min all (unique extremes)', shapes: [[3, 4, 5]], inputs: [distinct(60, 13, 0.05)], fn: (x) => x.max(1).sum().add(x.min()), K: 2, keepSign: [true] });
  // variance = Σ c² / (N − 1), c = x − μ̂, μ̂ = Σx / N, all in float32. Backward: g_S = g / (N − 1),
  // g_c = 2 g_S ĉ, g_x = g_c − mean(g_c). Errors: |μ̂ − μ| <= γ_{N+1} mean|x|, |ĉ − c| <= that + u|c|,
  // the products and the sum of N terms of mean(g_c) (γ_N), a few roundings (4u):
  //   |error_i| <= γ_{N+6} · 2|g| / (N − 1) · (2 mean|x| + 2 mean|c| + 2|c_i|).
  // std = sqrt(var) feeds g / (2σ̂) into the same path; σ̂ carries var's relative error halved plus
  // the sqrt kernel's EPS_T, which scales the exact gradient g c_i / ((N − 1) σ).
  const N = 12;
  const varBound = (std: boolean) => ([x]: Float64Array[], r: Float64Array, out: Float64Array) => {
    const bound = new Float64Array(x.length);
    for (let row = 0; row < x.length / N; row++) {
      const xs = x.subarray(row * N, (row + 1) * N);
      const mu = xs.reduce((acc, v) => acc + v, 0) / N;
      const meanAbsX = xs.reduce((acc, v) => acc + Math.abs(v), 0) / N;
      const meanAbsC = xs.reduce((acc, v) => acc + Math.abs(v - mu), 0) / N;
      const meanC2 = xs.reduce((acc, v) => acc + (v - mu) ** 2, 0) / N;
      const sigma = std ? out[row] : 1;
      const g = std ? Math.abs(r[row]) / (2 * sigma) : Math.abs(r[row]);
      const relVar = gamma(N + 2) + 2 * gamma(N + 1) * ((meanAbsC * meanAbsX) / meanC2);
      const relSigma = relVar / 2 + EPS_T + 2 * U;
      for (let i = 0; i < N; i++) {
        const c = Math.abs(xs[i] - mu);
        bound[row * N + i] =
          ((gamma(N + 6) * 2 * g) / (N - 1)) * (2 * meanAbsX + 2 * meanAbsC + 2 * c) +
          (std ? ((Math.abs(r[row]) * c) / ((N - 1) * sigma)) * relSigma : 0);
      }
    }
    return [bound];
  };
  add({ name: 'variance dim 1', shapes: [[3, N]], fn: (x) => x.var(1), K: 0, bound: varBound(false) });
  add({ name: 'std dim 1', shapes: [[3, N]], fn: (x) => x.std(1), K: 0, bound: varBound(true) });
  add({
    name: 'logSumExp dim 1',
    shapes: [[3, 17]],
    inputs: [u([3, 17], -4, 4)],
    fn: (x) => x.logSumExp(1),
    K: 0,
    // The gradient is g·e^{x−m}/S = g·softmax(x): the softmax forward bound of test/util/bounds.ts
    // (the same exp, sum and division), scaled by |g|, plus u for the extra product by g.
    bound: ([x], r) => {
      const y = gn.softmax(new Tensor(x, [3, 17]), 1).data;
      const b = softmaxBound(x, y, 3, 17, 1, false);
      return [Float64Array.from(b, (v, i) => Math.abs(r[Math.floor(i / 17)]) * (v + U * y[i]))];
    },
  });

  // softmax / logSoftmax: the backward bound of test/util/bounds.ts from the float64 y and R, plus
  // the forward error of the saved y propagated through the backward formula.
  for (const log of [false, true]) {
    add({
      name: `${log ? 'logSoftmax' : 'softmax'} dim 1 of [2,9,3]`,
      shapes: [[2, 9, 3]],
      inputs: [u([2, 9, 3], -3, 3)],
      fn: (x) => (log ? x.logSoftmax(1) : x.softmax(1)),
      K: 0,
      bound: ([x], r, y) => {
        const back = softmaxBackwardBound(y, r, 2, 9, 3, log);
        const fwd = softmaxBound(x, y, 2, 9, 3, log);
        const out = new Float64Array(x.length);
        for (let o = 0; o < 2; o++) {
          for (let i = 0; i < 3; i++) {
            const idx = Array.from({ length: 9 }, (_, k) => (o * 9 + k) * 3 + i);
            const sumAbsR = idx.reduce((a, k) => a + Math.abs(r[k]), 0);
            const sumAbsRy = idx.reduce((a, k) => a + Math.abs(r[k] * y[k]), 0);
            for (const k of idx) {
              // softmax: dx = y (r − Σ r y): a change δy in y moves dx by δy_k (|r_k| + Σ|r y|) + y_k Σ|r| δy.
              // log-softmax: dx = r − e^y Σ r: δy moves it by e^{y_k} |Σ r| δy_k.
              const prop = log
                ? Math.exp(y[k]) * sumAbsR * fwd[k]
                : fwd[k] * (Math.abs(r[k]) + sumAbsRy) + Math.abs(y[k]) * idx.reduce((a, j) => a + Math.abs(r[j]) * fwd[j], 0);
              out[k] = back[k] + prop;
            }
          }
        }
        return [out];
      },
    });
  }

  // Matrix products and convolution: K = the longest sum any gradient element is.
  add({ name: 'matmul 2-D', shapes: [[7, 9], [9, 17]], fn: (a, b) => a.matmul(b), K: 17 });
  add({ name: 'matmul broadcast batch [2,1,5,7] @ [3,7,6]', shapes: [[2, 1, 5, 7], [3, 7, 6]], fn: (a, b) => a.matmul(b), K: 3 * 6 + 2 * 5 });
  add({ name: 'matmul batched @ shared 2-D [4,5,33] @ [33,9]', shapes: [[4, 5, 33], [33, 9]], fn: (a, b) => a.matmul(b), K: 20 });
  add({ name: 'matmul 1-D @ batched', shapes: [[8], [3, 8, 5]], fn: (a, b) => a.matmul(b), K: 15 });
  add({ name: 'linear 3-D input with bias', shapes: [[2, 5, 31], [17, 31], [17]], fn: (x, w, b) => gn.linear(x, w, b), K: 17 + 10 });
  add({ name: 'conv2d stride 2 pad 1 with bias', shapes: [[2, 3, 9, 8], [5, 3, 3, 3], [5]], fn: (x, w, b) => gn.conv2d(x, w, b, { stride: 2, padding: 1 }), K: 2 * 5 * 4 + 5 * 9 });
  add({ name: "conv2d depthwise 'same' dilation 2", shapes: [[2, 4, 7, 7], [4, 1, 3, 3]], fn: (x, w) => gn.conv2d(x, w, null, { groups: 4, padding: 'same', dilation: 2 }), K: 2 * 49 + 9 });
  add({
    name: 'maxPool2d 3x3 stride 2 pad 1 (overlapping, unique maxima)',
    shapes: [[2, 3, 9, 9]],
    inputs: [distinct(2 * 3 * 81, 14, 0.01)],
    fn: (x) => x.maxPool2d(3, { stride: 2, padding: 1 }),
    K: 4,
    keepSign: [true],
  });
  add({ name: 'avgPool2d 3x3 stride 2 ceilMode, countIncludePad false', shapes: [[2, 3, 8, 9]], fn: (x) => x.avgPool2d(3, { stride: 2, ceilMode: true, padding: 1, countIncludePad: false }), K: 4 + 2 });

  // Data movement and views (exact except where expand sums).
  add({
    name: 'permute, transpose, expand, cat, stack, pad, slice, select, index, split, reshape',
    shapes: [[2, 3, 4], [2, 3, 1]],
    fn: (a, b) => {
      const joined = gn.cat([a.permute(0, 2, 1).transpose(1, 2), b.expand(2, 3, 5)], 2); // [2, 3, 9]
      const stacked = gn.stack([joined, joined.pad([0, 0], 1)], 0).slice(3, 1, null, 2); // [2, 2, 3, 4]
      const pieces = stacked.select(0, 1).index(null, [0, 3]).split([1, 2], 1); // [2,1,4], [2,2,4]
      const first = pieces[0].flatten();
      return pieces[1].reshape(-1).add(gn.cat([first, first], 0));
    },
    K: 5 + 2,
  });
  add({
    name: 'narrow, chunk, clone, flatten / unflatten, squeeze / unsqueeze, t, to',
    shapes: [[4, 6]],
    fn: (x) => {
      const [c0, c1] = x.narrow(1, 1, 4).chunk(2, 0); // [2, 4] each
      const v = c0.clone().flatten().unflatten(0, [4, 2]).unsqueeze(0).squeeze(0).t(); // [2, 4]
      return v.mul(c1.to('float64').to(x.dtype));
    },
    K: 2,
  });
  add({ name: 'matmul 1-D @ 1-D (dot)', shapes: [[257], [257]], fn: (a, b) => a.matmul(b), K: 1 });
  add({ name: 'linear 2-D without bias', shapes: [[9, 33], [5, 33]], fn: (x, w) => gn.linear(x, w), K: 9 });
  add({ name: 'conv2d groups 2 with bias, 3-D input', shapes: [[4, 6, 5], [6, 2, 2, 3], [6]], fn: (x, w, b) => gn.conv2d(x, w, b, { groups: 2, padding: [1, 0] }), K: 6 * 6 + 7 * 3 });
  add({ name: 'maxPool2d 2x2 (non-overlapping: exact)', shapes: [[2, 2, 6, 6]], inputs: [distinct(144, 15, 0.01)], fn: (x) => x.maxPool2d(2), K: 0, keepSign: [true] });
  add({ name: 'avgPool2d 3x3 stride 1 padding 1, countIncludePad true', shapes: [[1, 2, 5, 5]], fn: (x) => x.avgPool2d(3, { stride: 1, padding: 1 }), K: 9 + 2 });
  add({
    name: 'dropout p 0.3 (the same seeded mask on both backends)',
    shapes: [[9, 17]],
    fn: (x) => gn.dropout(x, 0.3, true, new gn.Generator(3)),
    K: 1,
  });
  return list;
}

describe('float32 native backward against float64 reference backward', () => {
  for (const c of cases()) test(c.name, () => checkCase(c));
});
