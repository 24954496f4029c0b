/**
 * The native backend: the C++ addon (native/), loaded with node-gyp-build from a prebuild in
 * prebuilds/<platform>-<arch>/ or from build/Release. Kernels read and write the tensors'
 * Float32Arrays in place. float32 only: float64 work (gradcheck) always runs on the reference.
 */
import { createRequire } from 'node:module';
import * as path from 'node:path';
import type { Backend, BinaryOp, Conv2dParams, FloatArray, GemmArgs, Pool2dParams, ReduceOp, UnaryOp } from './backend';

/** The addon's export table (native/addon/). */
export interface Addon {
  backendInfo(): {
    isa: string;
    bestIsa: string;
    compiledIsas: string[];
    runnableIsas: string[];
    threads: number;
    openmp: string;
    gemmTile: string;
  };
  setNumThreads(n: number): number;
  numThreads(): number;
  scratchBytes(): number;
  releaseScratch(): void;
  gemm(
    transA: boolean,
    transB: boolean,
    batch: number,
    m: number,
    n: number,
    k: number,
    alpha: number,
    a: Float32Array,
    strideA: number,
    b: Float32Array,
    strideB: number,
    beta: number,
    c: Float32Array,
    strideC: number,
    bias: Float32Array | null,
    relu: boolean,
  ): void;
  conv2dForward(x: Float32Array, w: Float32Array, bias: Float32Array | null, y: Float32Array, p: Int32Array): void;
  conv2dBackwardData(dy: Float32Array, w: Float32Array, dx: Float32Array, p: Int32Array): void;
  conv2dBackwardFilter(x: Float32Array, dy: Float32Array, dw: Float32Array, dbias: Float32Array | null, p: Int32Array): void;
  maxPool2dForward(x: Float32Array, y: Float32Array, argmax: Int32Array, p: Int32Array): void;
  maxPool2dBackward(dy: Float32Array, argmax: Int32Array, dx: Float32Array, p: Int32Array, gate: Float32Array | null): void;
  avgPool2dForward(x: Float32Array, y: Float32Array, p: Int32Array, countIncludePad: boolean): void;
  avgPool2dBackward(dy: Float32Array, dx: Float32Array, p: Int32Array, countIncludePad: boolean): void;
  unary(op: number, x: Float32Array, y: Float32Array, alpha: number, beta: number): void;
  unaryBackward(
    op: number,
    x: Float32Array | null,
    y: Float32Array | null,
    dy: Float32Array,
    dx: Float32Array,
    alpha: number,
    beta: number,
  ): void;
  binary(op: number, a: Float32Array, aStrides: Int32Array, b: Float32Array, bStrides: Int32Array, y: Float32Array, shape: Int32Array): void;
  where(
    cond: Float32Array,
    condStrides: Int32Array,
    a: Float32Array,
    aStrides: Int32Array,
    b: Float32Array,
    bStrides: Int32Array,
    y: Float32Array,
    shape: Int32Array,
  ): void;
  reduce(op: number, x: Float32Array, y: Float32Array, outer: number, n: number, inner: number): void;
  argReduce(op: number, x: Float32Array, y: Float32Array, outer: number, n: number, inner: number): void;
  softmax(x: Float32Array, y: Float32Array, outer: number, n: number, inner: number, log: boolean): void;
  softmaxBackward(y: Float32Array, dy: Float32Array, dx: Float32Array, outer: number, n: number, inner: number, log: boolean): void;
  crossEntropyBackward(
    logp: Float32Array,
    labels: Int32Array,
    g: Float32Array,
    dx: Float32Array,
    outer: number,
    n: number,
    inner: number,
    smoothing: number,
  ): void;
  copyStrided(
    src: Float32Array,
    srcOffset: number,
    srcStrides: Int32Array,
    dst: Float32Array,
    dstOffset: number,
    dstStrides: Int32Array,
    shape: Int32Array,
  ): void;
  batchNormStats(x: Float32Array, mean: Float32Array, variance: Float32Array, n: number, c: number, inner: number): void;
  channelAffine(x: Float32Array, scale: Float32Array, shift: Float32Array, y: Float32Array, n: number, c: number, inner: number): void;
  batchNormBackward(
    x: Float32Array,
    dy: Float32Array,
    mean: Float32Array,
    invstd: Float32Array,
    weight: Float32Array | null,
    dx: Float32Array | null,
    dweight: Float32Array | null,
    dbias: Float32Array | null,
    n: number,
    c: number,
    inner: number,
    training: boolean,
  ): void;
  sgdStep(
    param: Float32Array,
    grad: Float32Array,
    buf: Float32Array | null,
    bufIsNew: boolean,
    lr: number,
    momentum: number,
    dampening: number,
    weightDecay: number,
    nesterov: boolean,
  ): void;
  adamStep(
    param: Float32Array,
    grad: Float32Array,
    expAvg: Float32Array,
    expAvgSq: Float32Array,
    maxExpAvgSq: Float32Array | null,
    stepSize: number,
    bc2Sqrt: number,
    beta1: number,
    beta2: number,
    eps: number,
    weightDecay: number,
    shrink: number,
  ): void;
  dropoutForward(x: Float32Array, y: Float32Array, mask: Float32Array, threshold: number, scale: number, seed0: number, seed1: number): void;
  upsampleNearest(x: Float32Array, y: Float32Array, planes: number, h: number, w: number, fh: number, fw: number): void;
  upsampleNearestBackward(dy: Float32Array, dx: Float32Array, planes: number, h: number, w: number, fh: number, fw: number): void;
  lstmCell(gates: Float32Array, cPrev: Float32Array, c: Float32Array, tc: Float32Array, h: Float32Array, rows: number, hidden: number): void;
  lstmCellBackward(
    gates: Float32Array,
    cPrev: Float32Array,
    tc: Float32Array,
    dh: Float32Array,
    dc: Float32Array | null,
    dgates: Float32Array,
    dcPrev: Float32Array,
    rows: number,
    hidden: number,
  ): void;
  unaryOps: Record<UnaryOp, number>;
  binaryOps: Record<BinaryOp, number>;
  reduceOps: Record<ReduceOp, number>;
}

/** The package root: src/backend and dist/backend both sit two levels below it. */
export const packageRoot = path.resolve(__dirname, '..', '..');

export interface AddonLoad {
  addon: Addon | null;
  /** Where the binary was loaded from. */
  file: string | null;
  /** Why it could not be loaded. */
  error: string | null;
}

/** libgomp's spin iterations before a waiting thread sleeps, when the user set no wait policy. */
export const GOMP_SPINCOUNT_DEFAULT = '100000';

/**
 * Loads the addon. Before the OpenMP runtime starts (it starts with the addon), the wait policy is
 * set unless the user chose one (KERNELS.md §7.1). libgomp's default (300,000 spins with no policy
 * set, endless with ACTIVE) can keep a thread spinning for milliseconds after every parallel region,
 * and a fully passive policy puts the threads to sleep at once, after which waking one costs ~11 us
 * per region on a 2-vCPU Zen3 VM and up to ~0.15 ms on a 2-vCPU Xeon VM (the host must reschedule
 * the halted vCPU): there a LeNet-5 training step (about 30 regions) took 2.9 ms with 1000 spins
 * (17 us), 2.2-2.5 ms with 10,000 and 2.2-2.3 ms with GOMP_SPINCOUNT_DEFAULT, which also bridges the
 * gap between two steps (data, optimizer, the JS of the next forward). That is about 1.5 ms of
 * spinning there (2-5 ms on the Zen3) after the last kernel of a burst, then the threads sleep, so
 * an idle process burns nothing. OMP_WAIT_POLICY=PASSIVE keeps other OpenMP runtimes (LLVM's libomp,
 * which ignores GOMP_SPINCOUNT) from spinning at all.
 */
export function loadAddon(): AddonLoad {
  if (process.env.OMP_WAIT_POLICY === undefined && process.env.GOMP_SPINCOUNT === undefined) {
    process.env.OMP_WAIT_POLICY = 'PASSIVE';
    process.env.GOMP_SPINCOUNT = GOMP_SPINCOUNT_DEFAULT;
  }
  let file: string | null = null;
  try {
    const req = createRequire(path.join(packageRoot, 'package.json'));
    const nodeGypBuild = req('node-gyp-build') as { resolve(dir: string): string };
    file = nodeGypBuild.resolve(packageRoot);
    const addon = req(file) as Addon;
    return { addon, file, error: null };
  } catch (e) {
    const message = e instanceof Error ? e.message.split('\n')[0] : String(e);
    return { addon: null, file, error: message };
  }
}

function f32(a: FloatArray, fn: string, name: string): Float32Array {
  if (a instanceof Float32Array) return a;
  throw new TypeError(`native backend: ${fn}: ${name} must be a Float32Array (float64 runs on the reference backend)`);
}

function f32OrNull(a: FloatArray | null, fn: string, name: string): Float32Array | null {
  return a === null ? null : f32(a, fn, name);
}

// Shapes, strides and parameter lists reach the addon as views into one reused Int32Array. A fresh
// small typed array lives on V8's heap, and N-API moves it off the heap when the addon asks for
// its data (about 0.6 us each on the Xeon VM): with three of them a binary op on 16 elements cost
// 2.6 us instead of 0.7. The views are read before the addon call returns, so the ring only has
// to hold one call's lists.
const i32Ring = new Int32Array(4096);
let i32Next = 0;
const i32 = (v: readonly number[]): Int32Array => {
  if (v.length > 256) return Int32Array.from(v);
  if (i32Next + v.length > i32Ring.length) i32Next = 0;
  const view = i32Ring.subarray(i32Next, i32Next + v.length);
  view.set(v);
  i32Next += v.length;
  return view;
};

function convParams(p: Conv2dParams): Int32Array {
  return i32([
    p.n, p.cIn, p.h, p.w, p.cOut, p.kh, p.kw, p.oh, p.ow,
    p.strideH, p.strideW, p.padH, p.padW, p.dilH, p.dilW, p.groups,
  ]);
}

function poolParams(p: Pool2dParams): Int32Array {
  return i32([p.n, p.c, p.h, p.w, p.oh, p.ow, p.kh, p.kw, p.strideH, p.strideW, p.padH, p.padW]);
}

export function createNativeBackend(addon: Addon): Backend {
  const U = addon.unaryOps;
  const B = addon.binaryOps;
  const R = addon.reduceOps;
  return {
    name: 'native',
    gemm(a, b, c, g: GemmArgs) {
      addon.gemm(g.transA, g.transB, g.batch, g.m, g.n, g.k, g.alpha, f32(a, 'gemm', 'a'), g.strideA,
        f32(b, 'gemm', 'b'), g.strideB, g.beta, f32(c, 'gemm', 'c'), g.strideC, f32OrNull(g.bias ?? null, 'gemm', 'bias'),
        g.relu === true);
    },
    conv2dForward(x, w, bias, y, p) {
      addon.conv2dForward(f32(x, 'conv2d', 'x'), f32(w, 'conv2d', 'w'), f32OrNull(bias, 'conv2d', 'bias'),
        f32(y, 'conv2d', 'y'), convParams(p));
    },
    conv2dBackwardData(dy, w, dx, p) {
      addon.conv2dBackwardData(f32(dy, 'conv2d', 'dy'), f32(w, 'conv2d', 'w'), f32(dx, 'conv2d', 'dx'), convParams(p));
    },
    conv2dBackwardFilter(x, dy, dw, dbias, p) {
      addon.conv2dBackwardFilter(f32(x, 'conv2d', 'x'), f32(dy, 'conv2d', 'dy'), f32(dw, 'conv2d', 'dw'),
        f32OrNull(dbias, 'conv2d', 'dbias'), convParams(p));
    },
    maxPool2dForward(x, y, argmax, p) {
      addon.maxPool2dForward(f32(x, 'maxPool2d', 'x'), f32(y, 'maxPool2d', 'y'), argmax, poolParams(p));
    },
    maxPool2dBackward(dy, argmax, dx, p, gate = null) {
      addon.maxPool2dBackward(f32(dy, 'maxPool2d', 'dy'), argmax, f32(dx, 'maxPool2d', 'dx'), poolParams(p),
        f32OrNull(gate, 'maxPool2d', 'gate'));
    },
    avgPool2dForward(x, y, p, countIncludePad) {
      addon.avgPool2dForward(f32(x, 'avgPool2d', 'x'), f32(y, 'avgPool2d', 'y'), poolParams(p), countIncludePad);
    },
    avgPool2dBackward(dy, dx, p, countIncludePad) {
      addon.avgPool2dBackward(f32(dy, 'avgPool2d', 'dy'), f32(dx, 'avgPool2d', 'dx'), poolParams(p), countIncludePad);
    },
    unary(op, x, y, alpha, beta) {
      addon.unary(U[op], f32(x, op, 'x'), f32(y, op, 'y'), alpha, beta);
    },
    unaryBackward(op, x, y, dy, dx, alpha, beta) {
      addon.unaryBackward(U[op], f32OrNull(x, op, 'x'), f32OrNull(y, op, 'y'), f32(dy, op, 'dy'), f32(dx, op, 'dx'), alpha, beta);
    },
    binary(op, a, aStrides, b, bStrides, y, shape) {
      addon.binary(B[op], f32(a, op, 'a'), i32(aStrides), f32(b, op, 'b'), i32(bStrides), f32(y, op, 'y'), i32(shape));
    },
    where(cond, condStrides, a, aStrides, b, bStrides, y, shape) {
      addon.where(f32(cond, 'where', 'cond'), i32(condStrides), f32(a, 'where', 'a'), i32(aStrides),
        f32(b, 'where', 'b'), i32(bStrides), f32(y, 'where', 'y'), i32(shape));
    },
    reduce(op, x, y, outer, n, inner) {
      addon.reduce(R[op], f32(x, op, 'x'), f32(y, op, 'y'), outer, n, inner);
    },
    argReduce(op, x, y, outer, n, inner) {
      addon.argReduce(R[op], f32(x, `arg${op}`, 'x'), f32(y, `arg${op}`, 'y'), outer, n, inner);
    },
    softmax(x, y, outer, n, inner, log) {
      addon.softmax(f32(x, 'softmax', 'x'), f32(y, 'softmax', 'y'), outer, n, inner, log);
    },
    softmaxBackward(y, dy, dx, outer, n, inner, log) {
      addon.softmaxBackward(f32(y, 'softmax', 'y'), f32(dy, 'softmax', 'dy'), f32(dx, 'softmax', 'dx'), outer, n, inner, log);
    },
    crossEntropyBackward(logp, labels, g, dx, outer, n, inner, smoothing) {
      const op = 'crossEntropy';
      addon.crossEntropyBackward(f32(logp, op, 'logp'), labels, f32(g, op, 'g'), f32(dx, op, 'dx'), outer, n, inner, smoothing);
    },
    batchNormStats(x, mean, variance, n, c, inner) {
      addon.batchNormStats(f32(x, 'batchNorm', 'x'), f32(mean, 'batchNorm', 'mean'), f32(variance, 'batchNorm', 'variance'), n, c, inner);
    },
    channelAffine(x, scale, shift, y, n, c, inner) {
      addon.channelAffine(f32(x, 'batchNorm', 'x'), f32(scale, 'batchNorm', 'scale'), f32(shift, 'batchNorm', 'shift'),
        f32(y, 'batchNorm', 'y'), n, c, inner);
    },
    batchNormBackward(x, dy, mean, invstd, weight, dx, dweight, dbias, n, c, inner, training) {
      addon.batchNormBackward(f32(x, 'batchNorm', 'x'), f32(dy, 'batchNorm', 'dy'), f32(mean, 'batchNorm', 'mean'),
        f32(invstd, 'batchNorm', 'invstd'), f32OrNull(weight, 'batchNorm', 'weight'), f32OrNull(dx, 'batchNorm', 'dx'),
        f32OrNull(dweight, 'batchNorm', 'dweight'), f32OrNull(dbias, 'batchNorm', 'dbias'), n, c, inner, training);
    },
    sgdStep(param, grad, buf, bufIsNew, lr, momentum, dampening, weightDecay, nesterov) {
      addon.sgdStep(f32(param, 'SGD', 'param'), f32(grad, 'SGD', 'grad'), f32OrNull(buf, 'SGD', 'momentumBuffer'), bufIsNew, lr,
        momentum, dampening, weightDecay, nesterov);
    },
    adamStep(param, grad, expAvg, expAvgSq, maxExpAvgSq, stepSize, bc2Sqrt, beta1, beta2, eps, weightDecay, shrink) {
      addon.adamStep(f32(param, 'Adam', 'param'), f32(grad, 'Adam', 'grad'), f32(expAvg, 'Adam', 'expAvg'),
        f32(expAvgSq, 'Adam', 'expAvgSq'), f32OrNull(maxExpAvgSq, 'Adam', 'maxExpAvgSq'), stepSize, bc2Sqrt, beta1, beta2, eps,
        weightDecay, shrink);
    },
    dropoutForward(x, y, mask, threshold, scale, seed0, seed1) {
      addon.dropoutForward(f32(x, 'dropout', 'x'), f32(y, 'dropout', 'y'), f32(mask, 'dropout', 'mask'), threshold, scale, seed0, seed1);
    },
    lstmCell(gates, cPrev, c, tc, h, rows, hidden) {
      addon.lstmCell(f32(gates, 'lstmCell', 'gates'), f32(cPrev, 'lstmCell', 'cPrev'), f32(c, 'lstmCell', 'c'),
        f32(tc, 'lstmCell', 'tc'), f32(h, 'lstmCell', 'h'), rows, hidden);
    },
    lstmCellBackward(gates, cPrev, tc, dh, dc, dgates, dcPrev, rows, hidden) {
      const fn = 'lstmCellBackward';
      addon.lstmCellBackward(f32(gates, fn, 'gates'), f32(cPrev, fn, 'cPrev'), f32(tc, fn, 'tc'), f32(dh, fn, 'dh'),
        f32OrNull(dc, fn, 'dc'), f32(dgates, fn, 'dgates'), f32(dcPrev, fn, 'dcPrev'), rows, hidden);
    },
    upsampleNearest(x, y, planes, h, w, fh, fw) {
      addon.upsampleNearest(f32(x, 'upsample', 'x'), f32(y, 'upsample', 'y'), planes, h, w, fh, fw);
    },
    upsampleNearestBackward(dy, dx, planes, h, w, fh, fw) {
      addon.upsampleNearestBackward(f32(dy, 'upsample', 'dy'), f32(dx, 'upsample', 'dx'), planes, h, w, fh, fw);
    },
    copyStrided(src, srcOffset, srcStrides, dst, dstOffset, dstStrides, shape) {
      addon.copyStrided(f32(src, 'copy', 'src'), srcOffset, i32(srcStrides), f32(dst, 'copy', 'dst'), dstOffset,
        i32(dstStrides), i32(shape));
    },
  };
}
