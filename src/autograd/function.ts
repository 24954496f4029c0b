/**
 * Differentiable functions: a forward and a backward side by side. Every op of the library is
 * defined this way, and so are user-defined ones:
 *
 *   const square = defineFunction({
 *     name: 'square',
 *     forward(ctx, x: Tensor) { ctx.saveForBackward(x); return x.mul(x); },
 *     backward(ctx, grad) { const [x] = ctx.savedTensors; return [grad.mul(x).mul(2)]; },
 *   });
 *
 * or, PyTorch style, `class Square extends Function { static forward(ctx, x) {...}
 * static backward(ctx, g) {...} }` and `Square.apply(x)`.
 *
 * forward runs without recording (its internal ops are not part of the graph); backward returns one
 * gradient per Tensor argument of forward (in order; null where none is needed) and also runs
 * without recording. Non-tensor arguments are passed through to forward.
 */
import { Tensor } from '../tensor';
import { isGradEnabled, noGrad } from './grad_mode';
import { type BackwardResult, Context, type Edge, Node } from './node';

export interface FunctionSpec<Args extends unknown[]> {
  name: string;
  /**
   * Set by the library's own ops (defineOp): their backward neither keeps the gradient it is given
   * nor returns a tensor the user can reach, so the engine may reuse the gradient's buffer once
   * backward has run. User-defined functions never set it.
   */
  libraryOp?: boolean;
  forward(ctx: Context, ...args: Args): Tensor;
  backward(ctx: Context, grad: Tensor): BackwardResult;
}

export function applyFunction<Args extends unknown[]>(spec: FunctionSpec<Args>, args: Args): Tensor {
  const inputs: Tensor[] = [];
  for (const a of args) if (a instanceof Tensor) inputs.push(a);
  const needs = inputs.map((t) => t.requiresGrad);
  const record = isGradEnabled() && needs.some(Boolean);
  const ctx = new Context(needs);
  let out = noGrad(() => spec.forward(ctx, ...args));
  if (!(out instanceof Tensor)) {
    throw new TypeError(`${spec.name}: forward must return a Tensor, got ${typeof out}`);
  }
  if (!record) {
    ctx.release();
    return out;
  }
  // An output that is one of the inputs (an identity forward) becomes a view, so that the input
  // keeps its own place in the graph.
  if (inputs.includes(out) || out.gradFn !== null) out = new Tensor(out.data, out.shape);
  const next: (Edge | null)[] = inputs.map((t) => {
    if (!t.requiresGrad) return null;
    return t.gradFn ? { node: t.gradFn } : { leaf: t };
  });
  out.gradFn = new Node(
    spec.name,
    ctx,
    spec.backward,
    next,
    inputs.map((t) => t.shape),
    inputs.map((t) => t.dtype),
    spec.libraryOp === true,
  );
  out.requiresGrad = true;
  return out;
}

/** Makes a differentiable function from a forward and a backward. */
export function defineFunction<Args extends unknown[]>(spec: FunctionSpec<Args>): (...args: Args) => Tensor {
  return (...args: Args) => applyFunction(spec, args);
}

/** defineFunction for the library's own ops (see FunctionSpec.libraryOp). */
export function defineOp<Args extends unknown[]>(spec: FunctionSpec<Args>): (...args: Args) => Tensor {
  const op = { ...spec, libraryOp: true };
  return (...args: Args) => applyFunction(op, args);
}

/** Base class for PyTorch-style custom functions: subclass with static forward and backward. */
export class Function {
  static forward(_ctx: Context, ..._args: unknown[]): Tensor {
    throw new Error(`${this.name}: a Function subclass must define static forward(ctx, ...args)`);
  }

  static backward(_ctx: Context, _grad: Tensor): BackwardResult {
    throw new Error(`${this.name}: a Function subclass must define static backward(ctx, grad)`);
  }

  static apply(...args: unknown[]): Tensor {
    return applyFunction(
      { name: this.name, forward: this.forward.bind(this), backward: this.backward.bind(this) },
      args,
    );
  }
}

export { Context };
