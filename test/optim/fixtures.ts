/**
 * The PyTorch reference data of fixtures/optim.py (test/fixtures/optim/*.json) and the problem it
 * describes, rebuilt in gradnode: a linear model pred = x·Wᵀ + b with loss mean((pred − y)²), a
 * parameter `frozen` that never gets a gradient, and two groups: [W, frozen] with the
 * configuration's defaults and [b] with its overrides.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import * as gn from '../../src/index';
import type { Tensor } from '../../src/index';

const DIR = path.resolve(__dirname, '..', 'fixtures', 'optim');

function load<T>(name: string): T {
  return JSON.parse(readFileSync(path.join(DIR, name), 'utf8')) as T;
}

interface Stored {
  shape: number[];
  data: number[];
}

export interface StepParams {
  W: number[];
  b: number[];
  frozen: number[];
}

export interface OptimizerConfig {
  name: string;
  optimizer: 'SGD' | 'Adam' | 'AdamW' | 'RMSprop' | 'Adagrad' | 'Adadelta';
  defaults: Record<string, unknown>;
  groupOverrides: Record<string, unknown>;
  /** loss[t]: the loss evaluated before step t + 1. */
  loss: number[];
  /** params[t]: the parameters after step t + 1. */
  params: StepParams[];
}

export interface OptimizersFixture {
  torch: string;
  steps: number;
  problem: { x: Stored; y: Stored; w0: Stored; b0: Stored; frozen0: Stored };
  configs: OptimizerConfig[];
}

export interface SchedulerConfig {
  name: string;
  scheduler: string;
  options: Record<string, unknown>;
  metrics: number[] | null;
  /** lrs[0]: after construction; lrs[e]: after the e-th step(). */
  lrs: number[][];
}

export interface SchedulersFixture {
  torch: string;
  epochs: number;
  groupLrs: number[];
  configs: SchedulerConfig[];
}

export interface ClipFixture {
  torch: string;
  grads: { W: number[]; b: number[] };
  norm: { normType: number | 'inf'; maxNorm: number; totalNorm: number; W: number[]; b: number[] }[];
  value: { clipValue: number; W: number[]; b: number[] }[];
}

export const optimizersFixture = load<OptimizersFixture>('optimizers.json');
export const schedulersFixture = load<SchedulersFixture>('schedulers.json');
export const clipFixture = load<ClipFixture>('clip.json');

const OPTIMIZERS = {
  SGD: gn.optim.SGD,
  Adam: gn.optim.Adam,
  AdamW: gn.optim.AdamW,
  RMSprop: gn.optim.RMSprop,
  Adagrad: gn.optim.Adagrad,
  Adadelta: gn.optim.Adadelta,
};

function tensorOf(s: Stored): Tensor {
  return gn.tensor(Float32Array.from(s.data), { shape: s.shape });
}

export interface Problem {
  x: Tensor;
  y: Tensor;
  W: gn.nn.Parameter;
  b: gn.nn.Parameter;
  frozen: gn.nn.Parameter;
}

/** Fresh parameters at the fixture's starting point (or at `at`). */
export function makeProblem(at?: StepParams): Problem {
  const p = optimizersFixture.problem;
  const param = (s: Stored, values?: number[]) => new gn.nn.Parameter(tensorOf(values ? { shape: s.shape, data: values } : s));
  return {
    x: tensorOf(p.x),
    y: tensorOf(p.y),
    W: param(p.w0, at?.W),
    b: param(p.b0, at?.b),
    frozen: param(p.frozen0, at?.frozen),
  };
}

export function lossOf(pr: Problem): Tensor {
  const d = pr.x.matmul(pr.W.t()).add(pr.b).sub(pr.y);
  return d.mul(d).mean();
}

/** The configuration's optimizer over the two groups [W, frozen] and [b]. */
export function makeOptimizer(cfg: OptimizerConfig, pr: Problem): gn.optim.Optimizer {
  const Cls = OPTIMIZERS[cfg.optimizer] as unknown as new (params: unknown, options: unknown) => gn.optim.Optimizer;
  return new Cls([{ params: [pr.W, pr.frozen] }, { params: [pr.b], ...cfg.groupOverrides }], cfg.defaults);
}

/** One training step as the fixture ran it; returns the loss before the step. */
export function trainStep(opt: gn.optim.Optimizer, pr: Problem): number {
  opt.zeroGrad();
  const loss = lossOf(pr);
  loss.backward();
  opt.step();
  return loss.item();
}

export function snapshot(pr: Problem): StepParams {
  return { W: Array.from(pr.W.data), b: Array.from(pr.b.data), frozen: Array.from(pr.frozen.data) };
}

/** float32 unit roundoff (half the spacing of float32 numbers at 1). */
export const U32 = 2 ** -24;

/** The spacing of float32 numbers at magnitude v > 0. */
export function ulp32(v: number): number {
  return 2 ** (Math.floor(Math.log2(v)) - 23);
}
