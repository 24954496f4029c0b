/**
 * Elementwise ops with NumPy broadcasting: arithmetic, comparisons (masks of 0 and 1, not
 * differentiable) and where. Each op's forward and backward sit together; gradients of broadcast
 * operands are summed back to the operand's shape.
 */
import { defineOp } from '../autograd/function';
import type { Context } from '../autograd/node';
import type { BinaryOp } from '../backend/backend';
import type { Tensor } from '../tensor';
import { binaryRaw, scalarRaw, sumTo, unaryRaw, whereRaw } from './kernels';
import { type TensorLike, operands, zerosOf } from './util';

type Shapes = { aShape: readonly number[]; bShape: readonly number[] };

function saveShapes(ctx: Context, a: Tensor, b: Tensor): void {
  ctx.aShape = a.shape;
  ctx.bShape = b.shape;
}

function shapes(ctx: Context): Shapes {
  return ctx as unknown as Shapes;
}

const Add = defineOp({
  name: 'add',
  forward(ctx, a: Tensor, b: Tensor) {
    saveShapes(ctx, a, b);
    return binaryRaw('add', a, b);
  },
  backward(ctx, g) {
    const { aShape, bShape } = shapes(ctx);
    return [ctx.needsInputGrad[0] ? sumTo(g, aShape) : null, ctx.needsInputGrad[1] ? sumTo(g, bShape) : null];
  },
});

const Sub = defineOp({
  name: 'sub',
  forward(ctx, a: Tensor, b: Tensor) {
    saveShapes(ctx, a, b);
    return binaryRaw('sub', a, b);
  },
  backward(ctx, g) {
    const { aShape, bShape } = shapes(ctx);
    return [
      ctx.needsInputGrad[0] ? sumTo(g, aShape) : null,
      ctx.needsInputGrad[1] ? sumTo(unaryRaw('neg', g), bShape) : null,
    ];
  },
});

const Mul = defineOp({
  name: 'mul',
  forward(ctx, a: Tensor, b: Tensor) {
    saveShapes(ctx, a, b);
    ctx.saveForBackward(a, b);
    return binaryRaw('mul', a, b);
  },
  backward(ctx, g) {
    const [a, b] = ctx.savedTensors;
    return [
      ctx.needsInputGrad[0] ? sumTo(binaryRaw('mul', g, b), a.shape) : null,
      ctx.needsInputGrad[1] ? sumTo(binaryRaw('mul', g, a), b.shape) : null,
    ];
  },
});

const Div = defineOp({
  name: 'div',
  forward(ctx, a: Tensor, b: Tensor) {
    ctx.saveForBackward(a, b);
    return binaryRaw('div', a, b);
  },
  backward(ctx, g) {
    const [a, b] = ctx.savedTensors;
    const ga = binaryRaw('div', g, b);
    return [
      ctx.needsInputGrad[0] ? sumTo(ga, a.shape) : null,
      // d(a/b)/db = -a / b^2 = -(g / b) * (a / b)
      ctx.needsInputGrad[1] ? sumTo(unaryRaw('neg', binaryRaw('mul', ga, binaryRaw('div', a, b))), b.shape) : null,
    ];
  },
});

const Pow = defineOp({
  name: 'pow',
  forward(ctx, a: Tensor, b: Tensor) {
    const y = binaryRaw('pow', a, b);
    ctx.saveForBackward(a, b, y);
    return y;
  },
  backward(ctx, g) {
    const [a, b, y] = ctx.savedTensors;
    let ga: Tensor | null = null;
    let gb: Tensor | null = null;
    if (ctx.needsInputGrad[0]) {
      // b * a^(b-1)
      const d = binaryRaw('mul', b, binaryRaw('pow', a, scalarRaw('sub', b, 1)));
      ga = sumTo(binaryRaw('mul', g, d), a.shape);
    }
    if (ctx.needsInputGrad[1]) {
      // a^b * log(a), taken as 0 where a^b is 0 (PyTorch's convention for a = 0)
      const logA = unaryRaw('log', a);
      const d = binaryRaw('mul', y, logA);
      const zero = binaryRaw('eq', y, zerosOf([], y.dtype));
      const safe = whereRaw(zero, zerosOf([], y.dtype), d);
      gb = sumTo(binaryRaw('mul', g, safe), b.shape);
    }
    return [ga, gb];
  },
});

/**
 * The gradient of maximum / minimum goes to the larger (smaller) operand, split evenly on ties:
 * g times where(x == y, 1/2, x op y) for each operand x that needs it (four passes; computing both
 * weights as sums of masks took seven, and the constant operand of minimum(x, 0) paid for its own).
 */
function extremumBackward(op: 'gt' | 'lt', ctx: Context, g: Tensor): (Tensor | null)[] {
  const [a, b] = ctx.savedTensors;
  const half = zerosOf([], g.dtype);
  half.data[0] = 0.5;
  const grad = (x: Tensor, y: Tensor) => sumTo(binaryRaw('mul', g, whereRaw(binaryRaw('eq', x, y), half, binaryRaw(op, x, y))), x.shape);
  return [ctx.needsInputGrad[0] ? grad(a, b) : null, ctx.needsInputGrad[1] ? grad(b, a) : null];
}

const Maximum = defineOp({
  name: 'maximum',
  forward(ctx, a: Tensor, b: Tensor) {
    ctx.saveForBackward(a, b);
    return binaryRaw('maximum', a, b);
  },
  backward: (ctx, g) => extremumBackward('gt', ctx, g),
});

const Minimum = defineOp({
  name: 'minimum',
  forward(ctx, a: Tensor, b: Tensor) {
    ctx.saveForBackward(a, b);
    return binaryRaw('minimum', a, b);
  },
  backward: (ctx, g) => extremumBackward('lt', ctx, g),
});

export function add(a: TensorLike, b: TensorLike): Tensor {
  return Add(...operands('add', a, b));
}
export function sub(a: TensorLike, b: TensorLike): Tensor {
  return Sub(...operands('sub', a, b));
}
export function mul(a: TensorLike, b: TensorLike): Tensor {
  return Mul(...operands('mul', a, b));
}
export function div(a: TensorLike, b: TensorLike): Tensor {
  return Div(...operands('div', a, b));
}
export function pow(a: TensorLike, b: TensorLike): Tensor {
  return Pow(...operands('pow', a, b));
}
/** Elementwise maximum (NaN propagates); the gradient is split evenly where the operands tie. */
export function maximum(a: TensorLike, b: TensorLike): Tensor {
  return Maximum(...operands('maximum', a, b));
}
export function minimum(a: TensorLike, b: TensorLike): Tensor {
  return Minimum(...operands('minimum', a, b));
}

function compare(op: BinaryOp, a: TensorLike, b: TensorLike): Tensor {
  const [x, y] = operands(op, a, b);
  return binaryRaw(op, x, y);
}
/** Masks: 1 where the comparison holds, 0 elsewhere (not differentiable). */
export const eq = (a: TensorLike, b: TensorLike): Tensor => compare('eq', a, b);
export const ne = (a: TensorLike, b: TensorLike): Tensor => compare('ne', a, b);
export const lt = (a: TensorLike, b: TensorLike): Tensor => compare('lt', a, b);
export const le = (a: TensorLike, b: TensorLike): Tensor => compare('le', a, b);
export const gt = (a: TensorLike, b: TensorLike): Tensor => compare('gt', a, b);
export const ge = (a: TensorLike, b: TensorLike): Tensor => compare('ge', a, b);

const Where = defineOp({
  name: 'where',
  forward(ctx, cond: Tensor, a: Tensor, b: Tensor) {
    ctx.saveForBackward(cond);
    saveShapes(ctx, a, b);
    return whereRaw(cond, a, b);
  },
  backward(ctx, g) {
    const [cond] = ctx.savedTensors;
    const { aShape, bShape } = shapes(ctx);
    const zero = zerosOf([], g.dtype);
    return [
      null,
      ctx.needsInputGrad[1] ? sumTo(whereRaw(cond, g, zero), aShape) : null,
      ctx.needsInputGrad[2] ? sumTo(whereRaw(cond, zero, g), bShape) : null,
    ];
  },
});

/** cond != 0 ? a : b, elementwise with broadcasting; differentiable in a and b. */
export function where(cond: Tensor, a: TensorLike, b: TensorLike): Tensor {
  const [x, y] = operands('where', a, b);
  const c = cond.requiresGrad ? cond.detach() : cond;
  return Where(c, x, y);
}

export { whereRaw };
