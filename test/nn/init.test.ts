// The initialisers' statistics against their formulas (PyTorch's nn.init), on 10⁵ samples each.
//
// For n independent samples of a distribution with variance σ² and fourth central moment μ₄, the
// sample mean has standard error σ/√n and the sample variance (μ₄ − σ⁴)/n under the root:
// uniform U(−a, a): σ² = a²/3, μ₄ = a⁴/5, so SE(s²) = a²·√(4/45n); normal: μ₄ = 3σ⁴, SE(s²) = σ²·√(2/n).
// Every statistic must be within Z = 5 standard errors (a false alarm once in ~3.5 million runs),
// and the seed is fixed. A wrong formula (fan in for fan out, a missing √3, a wrong gain) moves a
// statistic by tens to hundreds of standard errors.
import { beforeEach, describe, expect, test } from 'vitest';
import * as gn from '../../src/index';
import { Generator } from '../../src/random';
import type { Tensor } from '../../src/tensor';

const init = gn.nn.init;
const Z = 5;

beforeEach(() => {
  gn.manualSeed(2024);
});

function moments(t: Tensor): { n: number; mean: number; variance: number; maxAbs: number } {
  const n = t.numel;
  let s = 0;
  let maxAbs = 0;
  for (const v of t.data) {
    s += v;
    maxAbs = Math.max(maxAbs, Math.abs(v));
  }
  const mean = s / n;
  let ss = 0;
  for (const v of t.data) ss += (v - mean) ** 2;
  return { n, mean, variance: ss / (n - 1), maxAbs };
}

/** U(−a, a): every sample inside, the extremes reached, mean 0 and variance a²/3 within Z SE. */
function expectUniform(t: Tensor, a: number): void {
  const { n, mean, variance, maxAbs } = moments(t);
  expect(maxAbs).toBeLessThanOrEqual(a);
  // P(every |x| < (1 − 1e-3)·a) = (1 − 1e-3)^n: e^-100 for n = 10⁵, e^-25 for n = 25,600. The range is really ±a.
  expect(maxAbs).toBeGreaterThan(a * (1 - 1e-3));
  expect(Math.abs(mean)).toBeLessThanOrEqual((Z * a) / Math.sqrt(3 * n));
  expect(Math.abs(variance - (a * a) / 3)).toBeLessThanOrEqual(Z * a * a * Math.sqrt(4 / (45 * n)));
}

/** N(0, σ²): mean, variance, and the share within one σ (0.682689) within Z SE. */
function expectNormal(t: Tensor, sigma: number): void {
  const { n, mean, variance } = moments(t);
  expect(Math.abs(mean)).toBeLessThanOrEqual((Z * sigma) / Math.sqrt(n));
  expect(Math.abs(variance - sigma * sigma)).toBeLessThanOrEqual(Z * sigma * sigma * Math.sqrt(2 / n));
  const p = 0.6826894921370859;
  const inside = Array.from(t.data).filter((v) => Math.abs(v) < sigma).length / n;
  expect(Math.abs(inside - p)).toBeLessThanOrEqual(Z * Math.sqrt((p * (1 - p)) / n));
}

// 10⁵ samples: a Linear weight [out 250, in 400] and a conv weight [out 64, in 174, 3, 3] (≈10⁵).
const linearWeight = () => gn.zeros([250, 400]);
const convWeight = () => gn.zeros([64, 174, 3, 3]);

describe('fans and gains', () => {
  test('fanIn = in · kernel area, fanOut = out · kernel area', () => {
    expect(init.fans(linearWeight())).toEqual([400, 250]);
    expect(init.fans(convWeight())).toEqual([174 * 9, 64 * 9]);
    expect(() => init.fans(gn.zeros([5]))).toThrow(/at least 2 dims/);
  });

  test("calculateGain matches PyTorch's calculate_gain", () => {
    expect(init.calculateGain('linear')).toBe(1);
    expect(init.calculateGain('conv2d')).toBe(1);
    expect(init.calculateGain('sigmoid')).toBe(1);
    expect(init.calculateGain('tanh')).toBeCloseTo(5 / 3, 15);
    expect(init.calculateGain('relu')).toBeCloseTo(Math.SQRT2, 15);
    expect(init.calculateGain('leakyRelu')).toBeCloseTo(Math.sqrt(2 / (1 + 0.01 ** 2)), 15);
    expect(init.calculateGain('leakyRelu', 0.2)).toBeCloseTo(Math.sqrt(2 / 1.04), 15);
    expect(init.calculateGain('selu')).toBe(0.75);
  });
});

describe('Xavier (Glorot)', () => {
  test('uniform: U(±gain·√(6 / (fanIn + fanOut)))', () => {
    expectUniform(init.xavierUniform_(linearWeight()), Math.sqrt(6 / 650));
    expectUniform(init.xavierUniform_(convWeight(), 5 / 3), (5 / 3) * Math.sqrt(6 / (9 * (174 + 64))));
  });

  test('normal: N(0, (gain·√(2 / (fanIn + fanOut)))²)', () => {
    expectNormal(init.xavierNormal_(linearWeight()), Math.sqrt(2 / 650));
    expectNormal(init.xavierNormal_(convWeight(), Math.SQRT2), Math.SQRT2 * Math.sqrt(2 / (9 * (174 + 64))));
  });
});

describe('Kaiming (He)', () => {
  test('uniform, fan in, relu: U(±√2·√(3 / fanIn))', () => {
    expectUniform(init.kaimingUniform_(convWeight(), { nonlinearity: 'relu' }), Math.SQRT2 * Math.sqrt(3 / (174 * 9)));
  });

  test('uniform, fan out, leaky relu a = 0.2', () => {
    const gain = Math.sqrt(2 / (1 + 0.04));
    expectUniform(init.kaimingUniform_(linearWeight(), { a: 0.2, mode: 'fanOut' }), gain * Math.sqrt(3 / 250));
  });

  test('normal, fan in, default (leaky relu with a = 0, i.e. relu): N(0, 2 / fanIn)', () => {
    expectNormal(init.kaimingNormal_(linearWeight()), Math.sqrt(2 / 400));
  });

  test('normal, fan out, tanh', () => {
    expectNormal(init.kaimingNormal_(convWeight(), { mode: 'fanOut', nonlinearity: 'tanh' }), (5 / 3) / Math.sqrt(64 * 9));
  });
});

describe('uniform_, normal_, constants and generators', () => {
  test('uniform_(a, b) and normal_(mean, std)', () => {
    const u = init.uniform_(linearWeight(), 1, 3);
    const mu = moments(u);
    expect(Math.min(...u.data)).toBeGreaterThanOrEqual(1);
    expect(Math.max(...u.data)).toBeLessThan(3);
    expect(Math.abs(mu.mean - 2)).toBeLessThanOrEqual(Z / Math.sqrt(3 * mu.n));
    const g = init.normal_(linearWeight(), -1, 0.5);
    const mg = moments(g);
    expect(Math.abs(mg.mean + 1)).toBeLessThanOrEqual((Z * 0.5) / Math.sqrt(mg.n));
    expect(Math.abs(mg.variance - 0.25)).toBeLessThanOrEqual(Z * 0.25 * Math.sqrt(2 / mg.n));
  });

  test('constant_, zeros_, ones_', () => {
    expect(Array.from(init.constant_(gn.zeros([3]), 2.5).data)).toEqual([2.5, 2.5, 2.5]);
    expect(Array.from(init.ones_(gn.zeros([2])).data)).toEqual([1, 1]);
    expect(Array.from(init.zeros_(gn.ones([2])).data)).toEqual([0, 0]);
  });

  test('a given generator makes the draw reproducible and leaves the default generator alone', () => {
    const a = init.xavierUniform_(gn.zeros([4, 5]), 1, new Generator(3));
    gn.manualSeed(2024);
    const next = gn.rand([3]);
    gn.manualSeed(2024);
    const b = init.xavierUniform_(gn.zeros([4, 5]), 1, new Generator(3));
    expect(Array.from(b.data)).toEqual(Array.from(a.data));
    expect(Array.from(gn.rand([3]).data)).toEqual(Array.from(next.data));
  });

  test('initialising a parameter records no graph', () => {
    const w = new gn.nn.Parameter(gn.zeros([3, 3]));
    init.kaimingUniform_(w);
    expect(w.isLeaf).toBe(true);
    expect(w.requiresGrad).toBe(true);
  });
});

describe("layers' default initialisation (PyTorch's)", () => {
  test('Linear: weight and bias U(±1/√in)', () => {
    const l = new gn.nn.Linear(400, 250);
    expectUniform(l.weight, 1 / Math.sqrt(400));
    const b = l.bias as Tensor;
    expect(Math.max(...Array.from(b.data).map(Math.abs))).toBeLessThanOrEqual(1 / Math.sqrt(400));
  });

  test('Conv2d: weight U(±1/√(in · kh · kw))', () => {
    expectUniform(new gn.nn.Conv2d(174, 64, 3).weight, 1 / Math.sqrt(174 * 9));
  });

  test('Embedding: N(0, 1); RNN: every tensor U(±1/√hidden)', () => {
    expectNormal(new gn.nn.Embedding(1000, 100).weight, 1);
    const rnn = new gn.nn.LSTM(100, 64, { numLayers: 2 });
    for (const p of rnn.parameters()) expect(Math.max(...Array.from(p.data).map(Math.abs))).toBeLessThanOrEqual(1 / 8);
    expectUniform(rnn.parameters()[0] as Tensor, 1 / 8); // weight_ih_l0: 256 x 100 = 25,600 samples
  });
});
