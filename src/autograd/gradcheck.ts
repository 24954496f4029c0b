/**
 * gradcheck: compares the analytic gradients of a function (its backward) with central finite
 * differences, in float64 on the reference backend (PyTorch's torch.autograd.gradcheck, with its
 * defaults eps 1e-6, atol 1e-5, rtol 1e-3).
 *
 * Method: the function's outputs are projected on random vectors v (two by default), so that one
 * backward pass per projection gives vᵀJ for every input at once; the numeric side perturbs each
 * input element by ±eps and forms vᵀ(f(x + eps) − f(x − eps)) / 2eps. Every input element is
 * checked against every projection.
 */
import { Generator } from '../random';
import { fmtShape } from '../shape';
import { Tensor } from '../tensor';
import { backward } from './engine';
import { noGrad } from './grad_mode';

export interface GradcheckOptions {
  /** Finite-difference step. */
  eps?: number;
  atol?: number;
  rtol?: number;
  /** Throw with a description of the first mismatch (default), or return false. */
  raiseException?: boolean;
  /** Number of random projections of the outputs. */
  projections?: number;
  /** Seed of the projections (gradcheck never touches the library's default generator). */
  seed?: number;
}

type Fn = (...inputs: Tensor[]) => Tensor | Tensor[];

function outputsOf(op: string, r: Tensor | Tensor[]): Tensor[] {
  const list = Array.isArray(r) ? r : [r];
  list.forEach((o) => {
    if (!(o instanceof Tensor)) throw new TypeError(`${op}: the function must return a Tensor or an array of Tensors`);
  });
  return list;
}

export function gradcheck(fn: Fn, inputs: readonly Tensor[], opts: GradcheckOptions = {}): boolean {
  const eps = opts.eps ?? 1e-6;
  const atol = opts.atol ?? 1e-5;
  const rtol = opts.rtol ?? 1e-3;
  const projections = opts.projections ?? 2;
  inputs.forEach((t, i) => {
    if (!(t instanceof Tensor)) throw new TypeError(`gradcheck: inputs[${i}] is not a Tensor`);
  });
  const checked = inputs.map((t) => t.requiresGrad);
  if (!checked.some(Boolean)) throw new Error('gradcheck: no input requires grad; mark the inputs to check with requiresGrad');
  // float64 leaf copies: float64 always runs on the reference backend.
  const xs = inputs.map((t) => new Tensor(Float64Array.from(t.data), t.shape, t.requiresGrad));

  const outputs = outputsOf('gradcheck', fn(...xs));
  outputs.forEach((o, i) => {
    if (o.dtype !== 'float64') {
      throw new Error(`gradcheck: output ${i} is ${o.dtype}; build it only from the inputs (and float64 constants) so it stays float64`);
    }
  });
  const rng = new Generator(opts.seed ?? 1234);
  const vs = Array.from({ length: projections }, () =>
    outputs.map((o) => {
      const v = new Float64Array(o.numel);
      for (let i = 0; i < v.length; i++) v[i] = rng.normal();
      return v;
    }),
  );

  // Analytic: vᵀJ by backward, one pass per projection.
  const analytic: Float64Array[][] = vs.map((v) => {
    xs.forEach((x) => {
      x.grad = null;
    });
    outputs.forEach((o, k) => {
      if (o.requiresGrad) backward(o, new Tensor(v[k], o.shape), { retainGraph: true });
    });
    return xs.map((x) => (x.grad ? Float64Array.from(x.grad.data) : new Float64Array(x.numel)));
  });

  // Numeric: central differences of vᵀf, one pair of evaluations per input element. The outputs
  // are projected as soon as they are computed: an output may share storage with an input (an
  // identity, a reshape view), so its values change when the input is perturbed again.
  const projected = () => {
    const outs = noGrad(() => outputsOf('gradcheck', fn(...xs)));
    return vs.map((v) => outs.reduce((acc, o, k) => acc + dot(o.data, v[k]), 0));
  };
  for (let i = 0; i < xs.length; i++) {
    if (!checked[i]) continue;
    const data = xs[i].data;
    for (let j = 0; j < data.length; j++) {
      const orig = data[j];
      data[j] = orig + eps;
      const plus = projected();
      data[j] = orig - eps;
      const minus = projected();
      data[j] = orig;
      for (let p = 0; p < projections; p++) {
        const numeric = (plus[p] - minus[p]) / (2 * eps);
        const a = analytic[p][i][j];
        if (!(Math.abs(a - numeric) <= atol + rtol * Math.abs(numeric))) {
          if (opts.raiseException === false) return false;
          throw new Error(
            `gradcheck: the gradient of input ${i} (shape ${fmtShape(xs[i].shape)}) at element ${j} disagrees ` +
              `with finite differences: analytic ${a}, numeric ${numeric} (projection ${p}; atol ${atol}, rtol ${rtol})`,
          );
        }
      }
    }
  }
  return true;
}

function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}
