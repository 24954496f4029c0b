// Every layer and loss against PyTorch 1.13 (fixtures written by fixtures/layers.py): outputs, the
// gradient of every input and every parameter, and the buffers (batch norm's running statistics),
// step by step.
//
// The oracle is PyTorch in float64 on the fixture's data, which are float32 values, so the same
// oracle serves both precisions:
//
// * float64 (gradnode's float64 path, the reference backend), elementwise
//       |got_i - want_i| <= 1e-10 · (|want_i| + max_j |want_j|)
//   i.e. 1e-10 relative, measured against the tensor's scale where an element cancels to near 0.
//   Correct float64 code differs from PyTorch by ~K·1e-16; a wrong index or formula by O(1).
//
// * float32 (gradnode's layers as built, on the reference and on the native backend), elementwise
//       |got_i - want_i| <= γ_K · M_i,    γ_K = K·u / (1 − K·u),  u = 2⁻²⁴        (KERNELS.md §8.2)
//   K is the longest reduction feeding any output or gradient of the layer, plus the roundings of
//   the elementwise steps on the way (reductionLength below, formula per layer). M_i is
//     - for layers linear in each operand (Linear, Conv2d, ConvTranspose2d, AvgPool2d,
//       AdaptiveAvgPool2d, Upsample, Flatten, Identity, Dropout, Embedding): Σ|terms| exactly, from
//       the same layer run in float64 on |inputs|, |parameters| and |gradOut|;
//     - for the others (activations, max pooling, batch norm, recurrent layers, losses):
//       |want_i| + max_j |want_j|, the tensor's scale (a normwise bound: a relative error γ_K in every
//       intermediate of a well-conditioned layer moves each result by about γ_K times that scale).
//   PyTorch's own float32 results must meet the same bound: the check that the bound is attainable.
import { describe, expect, test } from 'vitest';
import { Tensor } from '../../src/tensor';
import { assertShape, assertWithin } from '../util/assert_close';
import { BACKENDS, onBackend } from '../util/backends';
import { TINY, TRANSCENDENTAL_ULPS, gamma } from '../util/bounds';
import {
  type Case,
  FAMILIES,
  type FixtureTensor,
  type Step,
  type StepRun,
  isLoss,
  loadFamily,
  loadedModule,
  runStep,
  values,
} from './layer_fixtures';

const F64_RTOL = 1e-10;

/** Layers that are linear in each operand: Σ|terms| is the layer run on absolute values. */
const MULTILINEAR = new Set(['Linear', 'Conv2d', 'ConvTranspose2d', 'AvgPool2d', 'AdaptiveAvgPool2d', 'Upsample', 'Flatten', 'Identity', 'Dropout', 'Embedding']);

const pair = (v: unknown): [number, number] => (typeof v === 'number' ? [v, v] : (v as [number, number]));
const prod = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);
/** Roundings of a transcendental function (exp, log, tanh, sigmoid, elu) and its derivative. */
const TRANSCENDENTAL = 2 * TRANSCENDENTAL_ULPS + 4;

/**
 * K for the float32 bound: the longest sum feeding any output, gradient or buffer of the case, plus
 * 2 for a final scale or accumulation (as §8.2's γ_{K+2}).
 */
function reductionLength(c: Case, step: Step): number {
  const cfg = c.config as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  const x = step.inputs.input.shape;
  const out = step.float64.outputs.output.shape;
  switch (c.layer) {
    case 'Linear': {
      const rows = prod(x) / cfg.inFeatures;
      return Math.max(cfg.inFeatures + 1, cfg.outFeatures, rows) + 2; // y: in + bias; dx: out; dW, db: rows
    }
    case 'Conv2d': {
      const [kh, kw] = pair(cfg.kernelSize);
      const g = cfg.groups ?? 1;
      const [n, cIn] = x;
      const [, cOut, oh, ow] = out;
      return Math.max((cIn / g) * kh * kw + 1, (cOut / g) * kh * kw, n * oh * ow) + 2; // y; dx; dW and db
    }
    case 'ConvTranspose2d': {
      const [kh, kw] = pair(cfg.kernelSize);
      const g = cfg.groups ?? 1;
      const [n, cIn, h, w] = x;
      const [, cOut, oh, ow] = out;
      return Math.max((cIn / g) * kh * kw + 1, (cOut / g) * kh * kw, n * h * w, n * oh * ow) + 2; // y; dx; dW; db
    }
    case 'MaxPool2d': {
      const [kh, kw] = pair(cfg.kernelSize);
      const [sh, sw] = pair(cfg.stride ?? cfg.kernelSize);
      return Math.ceil(kh / sh) * Math.ceil(kw / sw) + 2; // dx sums over the windows covering a pixel
    }
    case 'AvgPool2d': {
      const [kh, kw] = pair(cfg.kernelSize);
      return kh * kw + 2;
    }
    case 'AdaptiveAvgPool2d':
      return x[2] * x[3] + 2; // a window is at most the whole plane
    case 'Upsample': {
      const [fh, fw] = pair(cfg.scaleFactor);
      return fh * fw + 2; // dx sums the fh·fw copies
    }
    case 'Flatten':
    case 'Identity':
    case 'Dropout':
    case 'ReLU':
    case 'LeakyReLU':
    case 'Maxout':
      return 2;
    case 'PReLU':
      return prod(x) + 2; // dW sums over every element of a channel (or all of them)
    case 'ELU':
    case 'Sigmoid':
    case 'Tanh':
      return TRANSCENDENTAL + 2;
    case 'Softmax':
    case 'LogSoftmax': {
      const d = cfg.dim < 0 ? cfg.dim + x.length : cfg.dim;
      return x[d] + TRANSCENDENTAL + 2; // a sum of exps over dim; backward a sum over dim
    }
    case 'Embedding':
      return prod(x) + 2; // a row of dW sums at most every lookup
    case 'BatchNorm1d':
    case 'BatchNorm2d': {
      const m = prod(x) / x[1];
      return 3 * m + TRANSCENDENTAL + 2; // mean, variance and the two sums of dx, each over m values
    }
    case 'RNN':
    case 'LSTM': {
      const layers = cfg.numLayers ?? 1;
      const unbatched = x.length === 2;
      const t = unbatched ? x[0] : cfg.batchFirst ? x[1] : x[0];
      const n = unbatched ? 1 : cfg.batchFirst ? x[0] : x[1];
      // Every step of every layer sums I + H products and two biases, then a transcendental; the
      // errors of the steps add up along the unrolled graph (forward and backward); dW sums T·N terms.
      return layers * t * (cfg.inputSize + cfg.hiddenSize + 2 + TRANSCENDENTAL) + t * n + 2;
    }
    default:
      if (isLoss(c)) {
        const classes = ['crossEntropy', 'nllLoss', 'multiMarginLoss'].includes(c.layer) ? x[1] : 0;
        return prod(x) + classes + TRANSCENDENTAL + 2; // the reduction over all elements; log-sum-exp over classes
      }
      throw new Error(`${c.name}: no reduction length for ${c.layer}`);
  }
}

function normwise(want: Float64Array, g: number): Float64Array {
  let scale = 0;
  for (const v of want) scale = Math.max(scale, Math.abs(v));
  return want.map((v) => g * (Math.abs(v) + scale) + TINY);
}

function compare(kind: string, name: string, got: ArrayLike<number>, want: FixtureTensor, bound: Float64Array): void {
  assertWithin(got, values(want), bound, { name: `${name}: ${kind}`, shape: want.shape });
}

/** Checks a replayed step against the fixture's expectations, with one bound per result tensor. */
function checkStep(name: string, run: StepRun, want: Step['float64'], bound: (kind: string, want: Float64Array) => Float64Array): void {
  expect(Object.keys(run.outputs).sort()).toEqual(Object.keys(want.outputs).sort());
  for (const [k, t] of Object.entries(want.outputs)) {
    assertShape(run.outputs[k].shape, t.shape, `${name}: output ${k} shape`);
    compare(`output ${k}`, name, run.outputs[k].data, t, bound(`output ${k}`, values(t)));
  }
  expect(Object.keys(run.grads).sort()).toEqual(Object.keys(want.grads).sort());
  for (const [k, t] of Object.entries(want.grads)) compare(`grad ${k}`, name, run.grads[k], t, bound(`grad ${k}`, values(t)));
  expect(Object.keys(run.buffers).sort()).toEqual(Object.keys(want.buffers).sort());
  for (const [k, t] of Object.entries(want.buffers)) {
    if (k === 'num_batches_tracked') expect(Array.from(run.buffers[k]), `${name}: ${k}`).toEqual(t.data);
    else compare(`buffer ${k}`, name, run.buffers[k], t, bound(`buffer ${k}`, values(t)));
  }
}

const f64Bound = (_kind: string, want: Float64Array) => normwise(want, F64_RTOL);

/** The float32 bound of every result of a step: γ_K times Σ|terms| (multilinear layers) or the tensor's scale. */
function f32Bound(c: Case, stepIndex: number): (kind: string, want: Float64Array) => Float64Array {
  const step = c.steps[stepIndex];
  const g = gamma(reductionLength(c, step));
  if (!MULTILINEAR.has(c.layer)) return (_kind, want) => normwise(want, g);
  if (c.steps.length !== 1) throw new Error(`${c.name}: the magnitude run covers single-step cases only`);
  const magnitude = runStep(c, loadedModule(c, 'float64', Math.abs), step, 'float64', Math.abs);
  return (kind) => {
    const [what, key] = kind.split(' ');
    const m = what === 'output' ? Float64Array.from(magnitude.outputs[key].data) : what === 'grad' ? magnitude.grads[key] : null;
    if (!m) throw new Error(`${c.name}: no magnitude for ${kind}`);
    return m.map((v) => g * v + TINY);
  };
}

function stateDictKeys(c: Case): string[] {
  return Object.keys({ ...c.params, ...c.buffers }).sort();
}

for (const family of FAMILIES) {
  describe(`${family} against PyTorch`, () => {
    const cases = loadFamily(family);

    test('the fixture file has cases', () => {
      expect(cases.length).toBeGreaterThan(0);
    });

    for (const c of cases) {
      if (!isLoss(c)) {
        test(`${c.name}: state dict names are PyTorch's`, () => {
          const m = loadedModule(c, 'float32');
          expect(Object.keys(m?.stateDict() ?? {}).sort()).toEqual(stateDictKeys(c));
        });
      }

      test(`${c.name}: float64 within 1e-10 of PyTorch float64`, () => {
        const m = loadedModule(c, 'float64');
        c.steps.forEach((step, i) => {
          const run = runStep(c, m, step, 'float64');
          for (const o of Object.values(run.outputs)) expect(o.dtype).toBe('float64');
          checkStep(`${c.name} step ${i} float64`, run, step.float64, f64Bound);
        });
      });

      for (const backend of BACKENDS) {
        test(`${c.name}: float32 [${backend}] within γ_K of PyTorch float64`, () => {
          onBackend(backend, () => {
            const m = loadedModule(c, 'float32');
            c.steps.forEach((step, i) => {
              const run = runStep(c, m, step, 'float32');
              for (const o of Object.values(run.outputs)) expect(o.dtype).toBe('float32');
              checkStep(`${c.name} step ${i} float32 [${backend}] (K ${reductionLength(c, step)})`, run, step.float64, f32Bound(c, i));
            });
          });
        });
      }

      test(`${c.name}: PyTorch float32 meets the same bound (the bound is attainable)`, () => {
        c.steps.forEach((step, i) => {
          const bound = f32Bound(c, i);
          const got = step.float32;
          const f32 = (t: FixtureTensor) => Float64Array.from(Float32Array.from(t.data)); // 9 digits -> the float32
          const asRun: StepRun = {
            outputs: Object.fromEntries(Object.entries(got.outputs).map(([k, t]) => [k, new Tensor(f32(t), t.shape)])),
            grads: Object.fromEntries(Object.entries(got.grads).map(([k, t]) => [k, f32(t)])),
            buffers: Object.fromEntries(Object.entries(got.buffers).map(([k, t]) => [k, f32(t)])),
          };
          checkStep(`${c.name} step ${i} PyTorch float32`, asRun, step.float64, bound);
        });
      });
    }
  });
}
