/**
 * The bandwidth-bound kernels: pooling, batch norm, elementwise (unary, unary backward, binary,
 * where, bias add), reductions, softmax / log-softmax and cross-entropy through the ops, strided
 * copies. Each row counts compulsory bytes (every input read once, every output written once, except
 * where the algorithm needs two passes: see `bytes` of each row) and is compared with the bandwidth
 * of the calibration loop of the same shape (1R, 1R+1W or 2R+1W) at the cache level that holds its
 * footprint, for the benchmark's thread count.
 *
 * Shapes: pooling from test/shapes/pool2d.ts; batch norm and the mid-sized activations on the
 * outputs of conv layers of test/shapes/conv2d.ts; an L2-sized and a DRAM-sized elementwise case;
 * softmax rows of LeNet (64 x 10) and of 1000-class problems.
 */
import type { Backend, UnaryOp } from '../../src/backend/backend';
import { conv2dParams, conv2dShapes } from '../../test/shapes/conv2d';
import { pool2dParams, pool2dShapes } from '../../test/shapes/pool2d';
import { type Context, fmtBytes, type Row } from '../lib/context';
import type { Loop } from '../lib/native_helper';
import { sumTimings, timeIt, uniform } from '../lib/timing';
import type { TorchItem } from '../lib/torch';

interface MemSpec {
  family: string;
  name: string;
  pass: string;
  shape: string;
  bytes: number;
  footprint: number;
  loop: Loop;
  run: (be: Backend) => void;
  torch?: { kind: string; pass: string; [key: string]: unknown };
  note?: string;
}

function memRow(ctx: Context, m: MemSpec): Row {
  const row: Row = {
    family: m.family,
    name: m.name,
    pass: m.pass,
    shape: m.shape,
    unit: 'GB/s',
    work: m.bytes,
    loop: m.loop,
    footprint: m.footprint,
    native: null,
    note: m.note,
  };
  try {
    row.native = timeIt(() => m.run(ctx.native), ctx.timing);
  } catch (e) {
    row.nativeError = e instanceof Error ? e.message : String(e);
  }
  if (!ctx.noReference && m.footprint <= ctx.refMaxBytes) row.reference = timeIt(() => m.run(ctx.reference), ctx.refTiming);
  if (m.torch) row.torchItem = { id: `${m.family}/${m.name}/${m.pass}`, ...m.torch } as TorchItem;
  return row;
}

/** Output sizes of the conv training layers: [n, c, inner] with their names. */
function convOutputs(minChannels: number): { name: string; n: number; c: number; inner: number }[] {
  return conv2dShapes
    .filter((s) => s.training && s.cOut >= minChannels)
    .map((s) => {
      const p = conv2dParams(s);
      return { name: `${s.name}.out`, n: p.n, c: p.cOut, inner: p.oh * p.ow };
    });
}

export function runPool(ctx: Context): Row[] {
  const rows: Row[] = [];
  for (const s of pool2dShapes.filter((q) => q.training)) {
    const p = pool2dParams(s);
    const nin = p.n * p.c * p.h * p.w;
    const nout = p.n * p.c * p.oh * p.ow;
    const x = uniform(nin, 1);
    const y = new Float32Array(nout);
    const argmax = new Int32Array(nout);
    const dy = uniform(nout, 2);
    const dx = new Float32Array(nin);
    ctx.native.maxPool2dForward(x, y, argmax, p);
    const shape = `N${p.n} C${p.c} ${p.h}x${p.w} k${p.kh}x${p.kw} s${p.strideH}${p.padH ? ` p${p.padH}` : ''} -> ${p.oh}x${p.ow}`;
    const fp = 4 * (nin + nout);
    const torch = { kind: 'pool', p, ceilMode: s.ceilMode === true, countIncludePad: true };
    const base = { family: 'pool', name: s.name, shape, loop: '1R+1W' as Loop };
    rows.push(
      memRow(ctx, { ...base, pass: 'max_fwd', bytes: 4 * (nin + 2 * nout), footprint: 4 * (nin + 2 * nout), run: (be) => be.maxPool2dForward(x, y, argmax, p), torch: { ...torch, pass: 'max_fwd' }, note: 'reads x; writes y and the argmax' }),
      memRow(ctx, { ...base, pass: 'max_bwd', bytes: 4 * (2 * nout + nin), footprint: 4 * (2 * nout + nin), run: (be) => be.maxPool2dBackward(dy, argmax, dx, p), torch: { ...torch, pass: 'max_bwd' } }),
      memRow(ctx, { ...base, pass: 'avg_fwd', bytes: fp, footprint: fp, run: (be) => be.avgPool2dForward(x, y, p, true), torch: { ...torch, pass: 'avg_fwd' } }),
      memRow(ctx, { ...base, pass: 'avg_bwd', bytes: fp, footprint: fp, run: (be) => be.avgPool2dBackward(dy, dx, p, true), torch: { ...torch, pass: 'avg_bwd' } }),
    );
  }
  return rows;
}

export function runNorm(ctx: Context): Row[] {
  const rows: Row[] = [];
  for (const o of convOutputs(16)) {
    const { n, c, inner } = o;
    const m = n * c * inner;
    const x = uniform(m, 1);
    const dy = uniform(m, 2);
    const y = new Float32Array(m);
    const dx = new Float32Array(m);
    const mean = new Float32Array(c);
    const variance = new Float32Array(c);
    const invstd = new Float32Array(c).fill(1.5);
    const weight = uniform(c, 3);
    const scale = uniform(c, 4);
    const shift = uniform(c, 5);
    const dw = new Float32Array(c);
    const dbias = new Float32Array(c);
    const shape = `[${n}, ${c}, ${inner}] (${fmtBytes(4 * m)})`;
    const base = { family: 'batchnorm', name: o.name, shape };
    const torch = { kind: 'bn', n, c, inner };
    const stats = memRow(ctx, { ...base, pass: 'stats', bytes: 4 * m, footprint: 4 * m, loop: '1R', run: (be) => be.batchNormStats(x, mean, variance, n, c, inner) });
    const affine = memRow(ctx, { ...base, pass: 'affine', bytes: 8 * m, footprint: 8 * m, loop: '1R+1W', run: (be) => be.channelAffine(x, scale, shift, y, n, c, inner) });
    const fwd: Row = {
      ...base,
      pass: 'fwd',
      unit: 'GB/s',
      work: 12 * m,
      loop: '1R+1W',
      footprint: 8 * m,
      native: stats.native && affine.native ? sumTimings([stats.native, affine.native]) : null,
      reference: stats.reference && affine.reference ? sumTimings([stats.reference, affine.reference]) : undefined,
      torchItem: { id: `batchnorm/${o.name}/fwd`, pass: 'fwd', ...torch },
      note: 'stats + affine, 12 B/element (x read twice, y written)',
    };
    const bwd = memRow(ctx, {
      ...base,
      pass: 'bwd',
      bytes: 20 * m,
      footprint: 12 * m,
      loop: '2R+1W',
      run: (be) => be.batchNormBackward(x, dy, mean, invstd, weight, dx, dw, dbias, n, c, inner, true),
      torch: { ...torch, pass: 'bwd' },
      note: 'training mode, all three gradients; 20 B/element (two passes over x and dy, dx written)',
    });
    rows.push(stats, affine, fwd, bwd);
  }
  return rows;
}

export function runEltwise(ctx: Context): Row[] {
  const rows: Row[] = [];
  const lenet = conv2dShapes.find((s) => s.name === 'lenet5_conv1_b64');
  const sizes: { name: string; numel: number }[] = [{ name: 'n32k', numel: 32768 }];
  if (lenet) {
    const p = conv2dParams(lenet);
    sizes.push({ name: 'lenet5_conv1_b64.out', numel: p.n * p.cOut * p.oh * p.ow });
  }
  if (!ctx.quick) sizes.push({ name: 'n16M', numel: 16 * 2 ** 20 });
  for (const { name, numel } of sizes) {
    const x = uniform(numel, 1);
    const a = uniform(numel, 2);
    const b = uniform(numel, 3);
    const dy = uniform(numel, 4);
    const y = new Float32Array(numel);
    const s = new Float32Array(numel);
    ctx.native.unary('sigmoid', x, s, 0, 0);
    const cond = uniform(numel, 5).map((v) => (v > 0 ? 1 : 0));
    const strides = [1];
    const shape = [numel];
    const desc = `${numel} elements (${fmtBytes(4 * numel)} each)`;
    const base = { family: 'eltwise', name, shape: desc };
    const tb = { kind: 'eltwise', numel };
    const unary = (op: UnaryOp, tpass: string) =>
      memRow(ctx, { ...base, pass: op, bytes: 8 * numel, footprint: 8 * numel, loop: '1R+1W', run: (be) => be.unary(op, x, y, 0, 0), torch: { ...tb, pass: tpass } });
    rows.push(
      unary('relu', 'relu'),
      unary('sigmoid', 'sigmoid'),
      unary('tanh', 'tanh'),
      unary('exp', 'exp'),
      memRow(ctx, { ...base, pass: 'relu_bwd', bytes: 12 * numel, footprint: 12 * numel, loop: '2R+1W', run: (be) => be.unaryBackward('relu', x, null, dy, y, 0, 0), torch: { ...tb, pass: 'relu_bwd' } }),
      memRow(ctx, { ...base, pass: 'sigmoid_bwd', bytes: 12 * numel, footprint: 12 * numel, loop: '2R+1W', run: (be) => be.unaryBackward('sigmoid', null, s, dy, y, 0, 0), torch: { ...tb, pass: 'sigmoid_bwd' } }),
      memRow(ctx, { ...base, pass: 'add', bytes: 12 * numel, footprint: 12 * numel, loop: '2R+1W', run: (be) => be.binary('add', a, strides, b, strides, y, shape), torch: { ...tb, pass: 'add' } }),
      memRow(ctx, { ...base, pass: 'mul', bytes: 12 * numel, footprint: 12 * numel, loop: '2R+1W', run: (be) => be.binary('mul', a, strides, b, strides, y, shape), torch: { ...tb, pass: 'mul' } }),
      memRow(ctx, {
        ...base,
        pass: 'where',
        bytes: 16 * numel,
        footprint: 16 * numel,
        loop: '2R+1W',
        run: (be) => be.where(cond, strides, a, strides, b, strides, y, shape),
        torch: { ...tb, pass: 'where' },
        note: '3 reads + 1 write (PyTorch: bool condition, allocates its output)',
      }),
    );
  }
  // Bias add as the conv ops do it: [n, c, inner] + [1, c, 1] broadcast.
  for (const o of convOutputs(1).filter((q) => q.name.startsWith('lenet5') || q.name.startsWith('resnet20_stage1'))) {
    const m = o.n * o.c * o.inner;
    const x = uniform(m, 1);
    const bias = uniform(o.c, 2);
    const y = new Float32Array(m);
    rows.push(
      memRow(ctx, {
        family: 'eltwise',
        name: o.name,
        pass: 'bias_add',
        shape: `[${o.n}, ${o.c}, ${o.inner}] + [1, ${o.c}, 1]`,
        bytes: 8 * m,
        footprint: 8 * m,
        loop: '1R+1W',
        run: (be) => be.binary('add', x, [o.c * o.inner, o.inner, 1], bias, [0, 1, 0], y, [o.n, o.c, o.inner]),
        torch: { kind: 'bias_add', pass: 'bias_add', n: o.n, c: o.c, inner: o.inner },
      }),
    );
  }
  return rows;
}

export function runReduce(ctx: Context): Row[] {
  const rows: Row[] = [];
  const cases = [
    { name: 'rows_4096x1000', outer: 4096, n: 1000, inner: 1, shape: 'sum over the last axis of [4096, 1000]' },
    { name: 'cols_4096x1000', outer: 1, n: 4096, inner: 1000, shape: 'sum over the first axis of [4096, 1000]' },
  ];
  for (const c of cases) {
    const m = c.outer * c.n * c.inner;
    const x = uniform(m, 1);
    const y = new Float32Array(c.outer * c.inner);
    const base = { family: 'reduce', name: c.name, shape: c.shape, bytes: 4 * m, footprint: 4 * m, loop: '1R' as Loop };
    const torch = { kind: 'reduce', outer: c.outer, n: c.n, inner: c.inner };
    rows.push(
      memRow(ctx, { ...base, pass: 'sum', run: (be) => be.reduce('sum', x, y, c.outer, c.n, c.inner), torch: { ...torch, pass: 'sum' } }),
      memRow(ctx, { ...base, pass: 'max', run: (be) => be.reduce('max', x, y, c.outer, c.n, c.inner), torch: { ...torch, pass: 'max' } }),
      memRow(ctx, { ...base, pass: 'argmax', run: (be) => be.argReduce('max', x, y, c.outer, c.n, c.inner), torch: { ...torch, pass: 'argmax' }, note: 'PyTorch returns int64 indices' }),
    );
  }
  return rows;
}

export function runSoftmax(ctx: Context): Row[] {
  const rows: Row[] = [];
  const { gn } = ctx.pkg;
  const cases = [
    { name: 'lenet_logits_64x10', rows: 64, cols: 10 },
    { name: 'b256x1000', rows: 256, cols: 1000 },
    { name: 'b4096x1000', rows: 4096, cols: 1000 },
  ];
  for (const c of cases) {
    const m = c.rows * c.cols;
    const x = uniform(m, 1);
    const y = new Float32Array(m);
    const ly = new Float32Array(m);
    const dy = uniform(m, 2);
    const dx = new Float32Array(m);
    ctx.native.softmax(x, y, c.rows, c.cols, 1, false);
    ctx.native.softmax(x, ly, c.rows, c.cols, 1, true);
    const shape = `[${c.rows}, ${c.cols}] over the last axis`;
    const base = { family: 'softmax', name: c.name, shape };
    const torch = { kind: 'softmax', rows: c.rows, cols: c.cols };
    // (outer, n, inner) = (rows, cols, 1): softmax over the last axis.
    rows.push(
      memRow(ctx, { ...base, pass: 'softmax', bytes: 8 * m, footprint: 8 * m, loop: '1R+1W', run: (be) => be.softmax(x, y, c.rows, c.cols, 1, false), torch: { ...torch, pass: 'softmax' } }),
      memRow(ctx, { ...base, pass: 'softmax_bwd', bytes: 12 * m, footprint: 12 * m, loop: '2R+1W', run: (be) => be.softmaxBackward(y, dy, dx, c.rows, c.cols, 1, false), torch: { ...torch, pass: 'softmax_bwd' } }),
      memRow(ctx, { ...base, pass: 'log_softmax', bytes: 8 * m, footprint: 8 * m, loop: '1R+1W', run: (be) => be.softmax(x, ly, c.rows, c.cols, 1, true), torch: { ...torch, pass: 'log_softmax' } }),
      memRow(ctx, { ...base, pass: 'log_softmax_bwd', bytes: 12 * m, footprint: 12 * m, loop: '2R+1W', run: (be) => be.softmaxBackward(ly, dy, dx, c.rows, c.cols, 1, true), torch: { ...torch, pass: 'log_softmax_bwd' } }),
    );
    // Cross-entropy through the ops (gn.nn.crossEntropy with integer labels: the log-softmax kernel,
    // the picked entries, the mean) and its backward (one fused kernel), on the active backend: what
    // a training step pays for its loss.
    const logits = new gn.Tensor(uniform(m, 3), [c.rows, c.cols]).requiresGrad_();
    const labels = new gn.Tensor(Float32Array.from({ length: c.rows }, (_, i) => (i * 7) % c.cols), [c.rows]);
    const ce = () => {
      logits.zeroGrad();
      gn.nn.crossEntropy(logits, labels).backward();
    };
    const row: Row = {
      family: 'softmax',
      name: c.name,
      pass: 'cross_entropy_op',
      shape: `${shape}, labels [${c.rows}]`,
      unit: 'GB/s',
      work: 8 * m,
      loop: '1R+1W',
      footprint: 8 * m,
      native: timeIt(ce, ctx.timing),
      torchItem: { id: `softmax/${c.name}/cross_entropy_op`, kind: 'softmax', pass: 'cross_entropy_fwd_bwd', rows: c.rows, cols: c.cols },
      note: 'forward + backward through the ops; bytes: logits read, gradient written',
    };
    if (!ctx.noReference && 8 * m <= ctx.refMaxBytes) row.reference = gn.withBackend('reference', () => timeIt(ce, ctx.refTiming));
    rows.push(row);
  }
  return rows;
}

export function runCopy(ctx: Context): Row[] {
  const rows: Row[] = [];
  const cases: { name: string; shape: number[]; perm: number[] }[] = [
    { name: 'nchw_to_nhwc_64x16x32x32', shape: [64, 16, 32, 32], perm: [0, 2, 3, 1] },
    { name: 'transpose_2048x2048', shape: [2048, 2048], perm: [1, 0] },
  ];
  if (!ctx.quick) cases.push({ name: 'contiguous_16M', shape: [16 * 2 ** 20], perm: [0] });
  for (const c of cases) {
    const m = c.shape.reduce((p, d) => p * d, 1);
    const src = uniform(m, 1);
    const dst = new Float32Array(m);
    // Row-major strides of the source, permuted: dst (contiguous, permuted shape) <- src.
    const srcStrides = c.shape.map((_, i) => c.shape.slice(i + 1).reduce((p, d) => p * d, 1));
    const outShape = c.perm.map((i) => c.shape[i]);
    const permutedSrcStrides = c.perm.map((i) => srcStrides[i]);
    const dstStrides = outShape.map((_, i) => outShape.slice(i + 1).reduce((p, d) => p * d, 1));
    rows.push(
      memRow(ctx, {
        family: 'copy',
        name: c.name,
        pass: 'copyStrided',
        shape: `[${c.shape.join(', ')}] permuted (${c.perm.join(', ')})`,
        bytes: 8 * m,
        footprint: 8 * m,
        loop: '1R+1W',
        run: (be) => be.copyStrided(src, 0, permutedSrcStrides, dst, 0, dstStrides, outShape),
        torch: { kind: 'copy', pass: 'copy', shape: c.shape, perm: c.perm },
      }),
    );
  }
  return rows;
}

/**
 * Optimizer steps and dropout: sgdStep with momentum (reads param, grad, buffer; writes param,
 * buffer: 20 B/element), adamStep (reads param, grad, both moments; writes param and moments:
 * 28 B/element), dropoutForward at p = 0.5 (reads x; writes y and the mask: 12 B/element). Sizes:
 * LeNet-5's first FC weight, 1 M parameters (L3), 16 M parameters (DRAM); dropout on the
 * activation sizes of the elementwise family.
 */
export function runOptim(ctx: Context): Row[] {
  const rows: Row[] = [];
  const params = [
    { name: 'lenet5_fc1_400x120', numel: 400 * 120 },
    { name: 'p1M', numel: 2 ** 20 },
  ];
  if (!ctx.quick) params.push({ name: 'p16M', numel: 16 * 2 ** 20 });
  for (const { name, numel } of params) {
    const param = uniform(numel, 1);
    const grad = uniform(numel, 2);
    const buf = uniform(numel, 3);
    const m1 = uniform(numel, 4);
    const m2 = uniform(numel, 5).map(Math.abs);
    const shape = `${numel} parameters (${fmtBytes(4 * numel)} each array)`;
    const base = { family: 'optim', name, shape, loop: '2R+1W' as Loop };
    rows.push(
      memRow(ctx, {
        ...base,
        pass: 'sgd_momentum',
        bytes: 20 * numel,
        footprint: 12 * numel,
        run: (be) => be.sgdStep(param, grad, buf, false, 1e-6, 0.9, 0, 0, false),
        torch: { kind: 'optim', pass: 'sgd_momentum', numel },
        note: 'lr 1e-6 (keeps the values bounded over many calls), momentum 0.9',
      }),
      memRow(ctx, {
        ...base,
        pass: 'adam',
        bytes: 28 * numel,
        footprint: 16 * numel,
        run: (be) => be.adamStep(param, grad, m1, m2, null, 1e-6, 1, 0.9, 0.999, 1e-8, 0, 1),
        torch: { kind: 'optim', pass: 'adam', numel },
      }),
    );
  }
  const sizes = [{ name: 'n32k', numel: 32768 }];
  const lenet = conv2dShapes.find((s) => s.name === 'lenet5_conv1_b64');
  if (lenet) {
    const p = conv2dParams(lenet);
    sizes.push({ name: 'lenet5_conv1_b64.out', numel: p.n * p.cOut * p.oh * p.ow });
  }
  if (!ctx.quick) sizes.push({ name: 'n16M', numel: 16 * 2 ** 20 });
  for (const { name, numel } of sizes) {
    const x = uniform(numel, 1);
    const y = new Float32Array(numel);
    const mask = new Float32Array(numel);
    rows.push(
      memRow(ctx, {
        family: 'optim',
        name,
        pass: 'dropout_fwd',
        shape: `${numel} elements, p = 0.5`,
        bytes: 12 * numel,
        footprint: 12 * numel,
        loop: '1R+1W',
        run: (be) => be.dropoutForward(x, y, mask, 2 ** 23, 2, 12345, 67890),
        torch: { kind: 'eltwise', pass: 'dropout', numel },
        note: 'x read; y and the mask written (PyTorch: F.dropout, allocating)',
      }),
    );
  }
  return rows;
}
