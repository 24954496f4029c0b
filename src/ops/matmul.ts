/**
 * Matrix products: matmul (1-D, 2-D and batched with broadcast batch dims, as torch.matmul) and
 * linear (x wᵀ + b, the fully connected layer), both on the backend's batched GEMM.
 */
import { defineOp } from '../autograd/function';
import type { Context } from '../autograd/node';
import { backendFor } from '../backend';
import { broadcastShapes, fmtShape, numel } from '../shape';
import { Tensor } from '../tensor';
import { expandRaw, reduceKeepdim, sumTo, unaryGradRaw } from './kernels';
import { checkTensor, dataAs, empty, resultDtype } from './util';
import { squeeze, unsqueeze } from './views';

/**
 * op(x) · op(y) over broadcast batch dims, where x is [...bx, r, c] and op transposes the last two
 * dims when its flag is set. An operand whose batch is a single matrix is shared (stride 0).
 */
function batchedProduct(x: Tensor, tx: boolean, y: Tensor, ty: boolean): Tensor {
  const [xr, xc] = x.shape.slice(-2);
  const [yr, yc] = y.shape.slice(-2);
  const m = tx ? xc : xr;
  const k = tx ? xr : xc;
  const n = ty ? yr : yc;
  const bx = x.shape.slice(0, -2);
  const by = y.shape.slice(0, -2);
  const batch = broadcastShapes('matmul', bx, by);
  const count = numel(batch);
  const dtype = resultDtype(x, y);
  const operand = (t: Tensor, b: readonly number[], size: number): [Tensor, number] => {
    if (numel(b) === count) return [t, size];
    if (numel(b) === 1) return [t, 0];
    return [expandRaw(t, [...batch, ...t.shape.slice(-2)]), size];
  };
  const [xe, sx] = operand(x, bx, m * k);
  const [ye, sy] = operand(y, by, k * n);
  const out = empty([...batch, m, n], dtype);
  if (out.numel === 0) return out;
  const xd = dataAs(xe, dtype);
  const yd = dataAs(ye, dtype);
  backendFor(xd, yd).gemm(xd, yd, out.data, {
    transA: tx,
    transB: ty,
    batch: count,
    m,
    n,
    k,
    alpha: 1,
    beta: 0,
    strideA: sx,
    strideB: sy,
    strideC: m * n,
  });
  return out;
}

/** Views a tensor of >= 2 dims as a 2-D matrix [rows, last dim]. */
function asMatrix(t: Tensor): Tensor {
  return new Tensor(t.data, [t.numel / t.shape[t.ndim - 1], t.shape[t.ndim - 1]]);
}

const Matmul = defineOp({
  name: 'matmul',
  forward(ctx, a: Tensor, b: Tensor) {
    ctx.saveForBackward(a, b);
    return batchedProduct(a, false, b, false);
  },
  backward(ctx, g) {
    const [a, b] = ctx.savedTensors;
    let ga: Tensor | null = null;
    let gb: Tensor | null = null;
    if (ctx.needsInputGrad[0]) ga = sumTo(batchedProduct(g, false, b, true), a.shape);
    if (ctx.needsInputGrad[1]) {
      if (b.ndim === 2 && a.ndim > 2) {
        // One shared matrix: dB = sum over the batch of aᵢᵀ gᵢ, a single GEMM over the stacked rows.
        gb = batchedProduct(asMatrix(a), true, asMatrix(g), false);
      } else {
        gb = sumTo(batchedProduct(a, true, g, false), b.shape);
      }
    }
    return [ga, gb];
  },
});

/** Matrix product with torch.matmul's rules for 1-D operands and broadcast batch dims. */
export function matmul(a: Tensor, b: Tensor): Tensor {
  checkTensor('matmul', 'input', a);
  checkTensor('matmul', 'other', b);
  if (a.ndim === 0 || b.ndim === 0) {
    throw new RangeError(`matmul: both arguments need at least 1 dimension, got shapes ${fmtShape(a.shape)} and ${fmtShape(b.shape)}`);
  }
  const a2 = a.ndim === 1 ? unsqueeze(a, 0) : a;
  const b2 = b.ndim === 1 ? unsqueeze(b, -1) : b;
  const k1 = a2.shape[a2.ndim - 1];
  const k2 = b2.shape[b2.ndim - 2];
  if (k1 !== k2) {
    throw new RangeError(`matmul: shapes ${fmtShape(a.shape)} and ${fmtShape(b.shape)} cannot be multiplied (${k1} != ${k2})`);
  }
  broadcastShapes('matmul', a2.shape.slice(0, -2), b2.shape.slice(0, -2));
  let out = Matmul(a2, b2);
  if (b.ndim === 1) out = squeeze(out, -1);
  if (a.ndim === 1) out = squeeze(out, b.ndim === 1 ? -1 : -2);
  return out;
}

/** x wᵀ (+ bias, then relu(.) when asked) into a new tensor: one GEMM with the epilogue. */
function linearForward(ctx: Context, x: Tensor, w: Tensor, bias: Tensor | undefined, relu: boolean): Tensor {
  const [outF, inF] = w.shape;
  const rows = x.numel / inF;
  const dtype = resultDtype(x, w);
  const out = empty([...x.shape.slice(0, -1), outF], dtype);
  ctx.hasBias = bias instanceof Tensor;
  if (out.numel === 0) return out;
  // out = x wᵀ, then + bias in the GEMM's epilogue, per tile as it leaves the kernel, instead of
  // copying the bias into every row of out first and accumulating onto it (beta = 1). Forward
  // without grad, alternating builds: [64, 400] -> 120 55-57 -> 47-50 us, -> 84 24.3-24.6 ->
  // 20.5-20.6 us, -> 10 6.8-7.0 -> 5.3-5.5 us; [256, 784] -> 512 unchanged (930-990 us).
  backendFor(out.data).gemm(dataAs(x, dtype), dataAs(w, dtype), out.data, {
    transA: false,
    transB: true,
    batch: 1,
    m: rows,
    n: outF,
    k: inF,
    alpha: 1,
    beta: 0,
    strideA: 0,
    strideB: 0,
    strideC: 0,
    bias: bias instanceof Tensor ? dataAs(bias, dtype) : null,
    relu,
  });
  return out;
}

/** Gradients of x, w and bias from the gradient g of x wᵀ + bias (x and w saved first). */
function linearBackward(ctx: Context, g: Tensor): (Tensor | null)[] {
  const [x, w] = ctx.savedTensors;
  const g2 = asMatrix(g);
  const gx = ctx.needsInputGrad[0] ? new Tensor(batchedProduct(g2, false, w, false).data, x.shape) : null;
  const gw = ctx.needsInputGrad[1] ? batchedProduct(g2, true, asMatrix(x), false) : null;
  const gb = ctx.hasBias && ctx.needsInputGrad[2] ? new Tensor(reduceKeepdim('sum', g2, [0]).data, [w.shape[0]]) : null;
  return [gx, gw, gb];
}

const Linear = defineOp({
  name: 'linear',
  forward(ctx, x: Tensor, w: Tensor, bias?: Tensor) {
    ctx.saveForBackward(x, w);
    return linearForward(ctx, x, w, bias, false);
  },
  backward: linearBackward,
});

/**
 * relu(x wᵀ + bias) with the ReLU in the GEMM's epilogue: no pass over the output of its own, and
 * the same values as linear then relu. Backward: g where the output is positive (exactly where the
 * pre-activation is: relu's derivative from its output), then linear's.
 */
const LinearRelu = defineOp({
  name: 'linearRelu',
  forward(ctx, x: Tensor, w: Tensor, bias?: Tensor) {
    const y = linearForward(ctx, x, w, bias, true);
    ctx.saveForBackward(x, w, y);
    return y;
  },
  backward(ctx, g) {
    const y = ctx.savedTensors[2];
    return linearBackward(ctx, unaryGradRaw('relu', y, null, g));
  },
});

function checkLinear(fn: string, x: Tensor, weight: Tensor, bias?: Tensor | null): void {
  checkTensor(fn, 'input', x);
  checkTensor(fn, 'weight', weight);
  if (weight.ndim !== 2) throw new RangeError(`${fn}: weight must be 2-D [out, in], got shape ${fmtShape(weight.shape)}`);
  if (x.ndim === 0 || x.shape[x.ndim - 1] !== weight.shape[1]) {
    throw new RangeError(
      `${fn}: input of shape ${fmtShape(x.shape)} does not match weight of shape ${fmtShape(weight.shape)} ` +
        `(last input dim must be ${weight.shape[1]})`,
    );
  }
  if (bias !== undefined && bias !== null) {
    checkTensor(fn, 'bias', bias);
    if (bias.ndim !== 1 || bias.shape[0] !== weight.shape[0]) {
      throw new RangeError(`${fn}: bias must have shape [${weight.shape[0]}], got ${fmtShape(bias.shape)}`);
    }
  }
}

/** x wᵀ + bias, for x [..., in], w [out, in], bias [out]: the fully connected layer. */
export function linear(x: Tensor, weight: Tensor, bias?: Tensor | null): Tensor {
  checkLinear('linear', x, weight, bias);
  return bias !== undefined && bias !== null ? Linear(x, weight, bias) : Linear(x, weight);
}

/** relu(linear(x, weight, bias)) in one GEMM (nn.Sequential runs a Linear then a ReLU through it). */
export function linearRelu(x: Tensor, weight: Tensor, bias?: Tensor | null): Tensor {
  checkLinear('linearRelu', x, weight, bias);
  return bias !== undefined && bias !== null ? LinearRelu(x, weight, bias) : LinearRelu(x, weight);
}

