/**
 * The PyTorch layer fixtures (test/fixtures/layers/*.json, written by fixtures/layers.py): loading
 * them, building the gradnode layer each case names, and replaying a case's steps in float32 or
 * float64. Shared by layers.test.ts (values against PyTorch) and gradcheck.test.ts (finite
 * differences on the same data).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as gn from '../../src/index';
import { Module, Parameter } from '../../src/nn';
import { Tensor } from '../../src/tensor';
import type { DType } from '../../src/tensor';

export interface FixtureTensor {
  shape: number[];
  data: number[];
  /** Integer tensors (class labels, embedding indices). */
  int?: true;
}

type Tensors = Record<string, FixtureTensor>;

export interface StepResult {
  outputs: Tensors;
  grads: Tensors;
  buffers: Tensors;
}

export interface Step {
  train: boolean;
  inputs: Tensors;
  gradOut: Tensors;
  float64: StepResult;
  float32: StepResult;
}

export interface Case {
  name: string;
  layer: string;
  config: Record<string, unknown>;
  params: Tensors;
  buffers: Tensors;
  steps: Step[];
}

const DIR = path.resolve(__dirname, '..', 'fixtures', 'layers');

export const FAMILIES = [
  'linear', 'conv2d', 'conv_transpose2d', 'pooling', 'batchnorm', 'activation', 'shape', 'embedding', 'recurrent', 'losses',
] as const;

export function loadFamily(family: string): Case[] {
  const json = JSON.parse(fs.readFileSync(path.join(DIR, `${family}.json`), 'utf8')) as { cases: Case[] };
  return json.cases;
}

/**
 * A fixture tensor in the given dtype. Fixture inputs and parameters are float32 values written with
 * 9 significant digits; Math.fround recovers the exact float32, which float64 runs then hold exactly.
 */
export function toTensor(t: FixtureTensor, dtype: DType, requiresGrad = false): Tensor {
  const f32 = Float32Array.from(t.data);
  const data = dtype === 'float64' ? Float64Array.from(f32) : f32;
  return new Tensor(data, t.shape, requiresGrad && !t.int);
}

/** A fixture result (float64 oracle values) as a Float64Array, without rounding. */
export function values(t: FixtureTensor): Float64Array {
  return Float64Array.from(t.data);
}

// ------------------------------------------------------------------------------------------------
// gradnode layers from the fixture configs.

type Cfg = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const LAYERS: Record<string, (c: Cfg) => Module> = {
  Linear: (c) => new gn.nn.Linear(c.inFeatures, c.outFeatures, { bias: c.bias }),
  Conv2d: (c) => new gn.nn.Conv2d(c.inChannels, c.outChannels, c.kernelSize, c),
  ConvTranspose2d: (c) => new gn.nn.ConvTranspose2d(c.inChannels, c.outChannels, c.kernelSize, c),
  MaxPool2d: (c) => new gn.nn.MaxPool2d(c.kernelSize, c),
  AvgPool2d: (c) => new gn.nn.AvgPool2d(c.kernelSize, c),
  AdaptiveAvgPool2d: (c) => new gn.nn.AdaptiveAvgPool2d(c.outputSize),
  BatchNorm1d: (c) => new gn.nn.BatchNorm1d(c.numFeatures, c),
  BatchNorm2d: (c) => new gn.nn.BatchNorm2d(c.numFeatures, c),
  Dropout: (c) => new gn.nn.Dropout(c.p),
  Flatten: (c) => new gn.nn.Flatten(c.startDim, c.endDim),
  Upsample: (c) => new gn.nn.Upsample({ scaleFactor: c.scaleFactor }),
  Identity: () => new gn.nn.Identity(),
  ReLU: () => new gn.nn.ReLU(),
  LeakyReLU: (c) => new gn.nn.LeakyReLU(c.negativeSlope),
  PReLU: (c) => new gn.nn.PReLU(c.numParameters),
  ELU: (c) => new gn.nn.ELU(c.alpha),
  Sigmoid: () => new gn.nn.Sigmoid(),
  Tanh: () => new gn.nn.Tanh(),
  Softmax: (c) => new gn.nn.Softmax(c.dim),
  LogSoftmax: (c) => new gn.nn.LogSoftmax(c.dim),
  Maxout: (c) => new gn.nn.Maxout(c.poolSize),
  Embedding: (c) => new gn.nn.Embedding(c.numEmbeddings, c.embeddingDim, { paddingIdx: c.paddingIdx }),
  RNN: (c) => new gn.nn.RNN(c.inputSize, c.hiddenSize, c),
  LSTM: (c) => new gn.nn.LSTM(c.inputSize, c.hiddenSize, c),
};

const LOSSES: Record<string, (x: Tensor, t: Tensor, c: Cfg) => Tensor> = {
  crossEntropy: (x, t, c) => gn.nn.crossEntropy(x, t, c),
  nllLoss: (x, t, c) => gn.nn.nllLoss(x, t, c),
  mseLoss: (x, t, c) => gn.nn.mseLoss(x, t, c),
  euclideanLoss: (x, t, c) => gn.nn.euclideanLoss(x, t, c),
  l1Loss: (x, t, c) => gn.nn.l1Loss(x, t, c),
  bceLoss: (x, t, c) => gn.nn.bceLoss(x, t, c),
  bceWithLogitsLoss: (x, t, c) => gn.nn.bceWithLogitsLoss(x, t, c),
  multiMarginLoss: (x, t, c) => gn.nn.multiMarginLoss(x, t, c),
};

export function isLoss(c: Case): boolean {
  return c.layer in LOSSES;
}

/** The gradnode module of a case (null for a loss, which is a plain function). */
export function buildModule(c: Case): Module | null {
  if (isLoss(c)) return null;
  const make = LAYERS[c.layer];
  if (!make) throw new Error(`${c.name}: no gradnode layer for "${c.layer}"`);
  return make(c.config);
}

/** Runs the layer (or loss) on named inputs; returns its outputs by PyTorch's names. */
export function callLayer(c: Case, m: Module | null, inputs: Record<string, Tensor>): Record<string, Tensor> {
  if (m === null) return { output: LOSSES[c.layer](inputs.input, inputs.target, c.config) };
  if (c.layer === 'RNN') {
    const [output, hN] = (m as gn.nn.RNN).forward(inputs.input, inputs.h0);
    return { output, h_n: hN };
  }
  if (c.layer === 'LSTM') {
    const state: [Tensor, Tensor] | undefined = inputs.h0 ? [inputs.h0, inputs.c0] : undefined;
    const [output, [hN, cN]] = (m as gn.nn.LSTM).forward(inputs.input, state);
    return { output, h_n: hN, c_n: cN };
  }
  return { output: (m as unknown as { forward(x: Tensor): Tensor }).forward(inputs.input) };
}

/**
 * Makes a module float64: every parameter and buffer of it and its submodules is replaced by a
 * float64 copy (parameters stay Parameters, so namedParameters and loadStateDict see them).
 */
export function toFloat64(m: Module): Module {
  for (const [, sub] of m.namedModules()) {
    const own = new Set(sub.namedBuffers().filter(([k]) => !k.includes('.')).map(([k]) => k));
    const self = sub as unknown as Record<string, unknown>;
    for (const [k, v] of Object.entries(sub)) {
      if (v instanceof Parameter) self[k] = new Parameter(new Tensor(Float64Array.from(v.data), v.shape), v.requiresGrad);
      else if (v instanceof Tensor && own.has(k)) self[k] = new Tensor(Float64Array.from(v.data), v.shape);
    }
  }
  return m;
}

/** The case's initial state dict (parameters and buffers) in the given dtype, values mapped by transform. */
export function initialState(c: Case, dtype: DType, transform: (v: number) => number = (v) => v): Record<string, Tensor> {
  const sd: Record<string, Tensor> = {};
  for (const [k, t] of Object.entries({ ...c.params, ...c.buffers })) sd[k] = toTensor({ ...t, data: t.data.map(transform) }, dtype);
  return sd;
}

/** A fresh gradnode layer for the case, in the given dtype, holding the case's initial state. */
export function loadedModule(c: Case, dtype: DType, transform?: (v: number) => number): Module | null {
  const m = buildModule(c);
  if (m === null) return null;
  if (dtype === 'float64') toFloat64(m);
  m.loadStateDict(initialState(c, dtype, transform));
  return m;
}

export interface StepRun {
  outputs: Record<string, Tensor>;
  /** Gradients of every float input and every parameter (zeros where backward left none). */
  grads: Record<string, Float64Array>;
  buffers: Record<string, Float64Array>;
}

/**
 * Replays one step: training mode, forward, backward of sum(output * gradOut) from zeroed
 * gradients. `transform` maps each fixture tensor's values before use (identity, or |.| for the
 * magnitude run of the error bounds).
 */
export function runStep(c: Case, m: Module | null, step: Step, dtype: DType, transform: (v: number) => number = (v) => v): StepRun {
  if (m) {
    m.train(step.train);
    m.zeroGrad();
  }
  const inputs: Record<string, Tensor> = {};
  for (const [k, t] of Object.entries(step.inputs)) {
    inputs[k] = toTensor(t.int ? t : { ...t, data: t.data.map(transform) }, dtype, true);
  }
  const outputs = callLayer(c, m, inputs);
  let total: Tensor | null = null;
  for (const [k, o] of Object.entries(outputs)) {
    const g = step.gradOut[k];
    if (!g) throw new Error(`${c.name}: the layer returned "${k}", which the fixture has no gradient for`);
    const term = o.mul(toTensor({ ...g, data: g.data.map(transform) }, dtype)).sum();
    total = total ? total.add(term) : term;
  }
  if (Object.keys(outputs).length !== Object.keys(step.gradOut).length) {
    throw new Error(`${c.name}: outputs ${Object.keys(outputs)} but the fixture has ${Object.keys(step.gradOut)}`);
  }
  total?.backward();
  const grads: Record<string, Float64Array> = {};
  const gradOf = (t: Tensor) => (t.grad ? Float64Array.from(t.grad.data) : new Float64Array(t.numel));
  for (const [k, t] of Object.entries(inputs)) if (t.requiresGrad) grads[k] = gradOf(t);
  if (m) for (const [k, p] of m.namedParameters()) grads[k] = gradOf(p);
  const buffers: Record<string, Float64Array> = {};
  if (m) for (const [k, b] of m.namedBuffers()) buffers[k] = Float64Array.from(b.data);
  return { outputs, grads, buffers };
}
