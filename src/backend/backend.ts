/**
 * The kernel contract: everything the ops need from a backend.
 *
 * Two implementations: the reference backend (plain TypeScript loops, generic over Float32Array
 * and Float64Array; the oracle every native kernel is tested against, and the float64 engine of
 * gradcheck) and the native backend (the C++ addon; float32 only). Backends are stateless compute
 * over flat, contiguous, row-major arrays: shapes, broadcasting rules and validation live in the ops
 * (src/ops) and in src/shape.ts. Every method writes its output in place and returns nothing.
 *
 * Kernel semantics are defined here once; native/kernels/ mirrors them (names in camelCase here,
 * snake_case there).
 */

export type FloatArray = Float32Array | Float64Array;

/** y = f(x; alpha, beta). leakyRelu: x > 0 ? x : alpha x. elu: x > 0 ? x : alpha (e^x - 1). clamp: min(max(x, alpha), beta). */
export type UnaryOp =
  | 'neg'
  | 'exp'
  | 'log'
  | 'sqrt'
  | 'abs'
  | 'relu'
  | 'leakyRelu'
  | 'elu'
  | 'sigmoid'
  | 'tanh'
  | 'clamp'
  | 'sign';

/**
 * y = a op b; comparisons give 1 or 0. maximum / minimum propagate NaN. pow is IEEE 754 / C99 pow,
 * as in PyTorch: x^0 = 1 and 1^y = 1 for every x and y (NaN included), (-1)^±Inf = 1.
 */
export type BinaryOp =
  | 'add'
  | 'sub'
  | 'mul'
  | 'div'
  | 'pow'
  | 'maximum'
  | 'minimum'
  | 'eq'
  | 'ne'
  | 'lt'
  | 'le'
  | 'gt'
  | 'ge';

export type ReduceOp = 'sum' | 'max' | 'min';

/**
 * Batched row-major GEMM on contiguous matrices: for each i < batch,
 *   C_i = alpha * op(A_i) * op(B_i) + beta * C_i
 * where op(A_i) is m x k (A_i is k x m when transA), op(B_i) is k x n (B_i is n x k when transB),
 * and C_i is m x n. Matrix i starts at offset i * stride of its array; a stride of 0 shares the
 * operand across the batch. beta = 0 never reads C.
 */
export interface GemmArgs {
  transA: boolean;
  transB: boolean;
  batch: number;
  m: number;
  n: number;
  k: number;
  alpha: number;
  beta: number;
  strideA: number;
  strideB: number;
  strideC: number;
  /**
   * The epilogue, on every element of C once its product is complete: c += bias[j] (bias: n values,
   * the same for every product of the batch), then c = max(c, 0) with relu (NaN stays NaN).
   */
  bias?: FloatArray | null;
  relu?: boolean;
}

/**
 * 2-D convolution (cross-correlation), NCHW.
 *   x [n, cIn, h, w], w [cOut, cIn / groups, kh, kw], y [n, cOut, oh, ow]
 * Output (i, j) reads input row i * strideH - padH + r * dilH and column j * strideW - padW + s * dilW;
 * positions outside the input read zero. padH / padW are the top / left pads; oh / ow are given, so
 * asymmetric padding is expressed by the output size.
 */
export interface Conv2dParams {
  n: number;
  cIn: number;
  h: number;
  w: number;
  cOut: number;
  kh: number;
  kw: number;
  oh: number;
  ow: number;
  strideH: number;
  strideW: number;
  padH: number;
  padW: number;
  dilH: number;
  dilW: number;
  groups: number;
}

/**
 * 2-D pooling, NCHW: x [n, c, h, w] -> y [n, c, oh, ow]. Window (i, j) covers rows
 * i * strideH - padH .. + kh - 1 and columns j * strideW - padW .. + kw - 1.
 * Max pooling ignores padding, takes the first maximum in row-major window order (a NaN counts as
 * the maximum) and records its index inside the h x w plane in argmax.
 * Average pooling clips the window to the padded input; with countIncludePad the divisor is that
 * clipped size, otherwise the number of real input pixels (PyTorch's rule).
 */
export interface Pool2dParams {
  n: number;
  c: number;
  h: number;
  w: number;
  oh: number;
  ow: number;
  kh: number;
  kw: number;
  strideH: number;
  strideW: number;
  padH: number;
  padW: number;
}

export interface Backend {
  readonly name: 'reference' | 'native';

  gemm(a: FloatArray, b: FloatArray, c: FloatArray, args: GemmArgs): void;

  /** y = conv(x, w) + bias (bias [cOut] may be null). */
  conv2dForward(x: FloatArray, w: FloatArray, bias: FloatArray | null, y: FloatArray, p: Conv2dParams): void;
  /** dx = dL/dx given dy (overwrites dx). */
  conv2dBackwardData(dy: FloatArray, w: FloatArray, dx: FloatArray, p: Conv2dParams): void;
  /** dw = dL/dw and dbias = sum of dy over n, oh, ow (may be null); overwrites both. */
  conv2dBackwardFilter(x: FloatArray, dy: FloatArray, dw: FloatArray, dbias: FloatArray | null, p: Conv2dParams): void;

  maxPool2dForward(x: FloatArray, y: FloatArray, argmax: Int32Array, p: Pool2dParams): void;
  /**
   * dx[argmax] += dy, per plane (overwrites dx first). gate (one value per output): dy counts only
   * where gate > 0, the derivative of a ReLU whose output is gate (ops/pool.ts, reluMaxPool2d).
   */
  maxPool2dBackward(dy: FloatArray, argmax: Int32Array, dx: FloatArray, p: Pool2dParams, gate?: FloatArray | null): void;
  avgPool2dForward(x: FloatArray, y: FloatArray, p: Pool2dParams, countIncludePad: boolean): void;
  /** Overwrites dx. */
  avgPool2dBackward(dy: FloatArray, dx: FloatArray, p: Pool2dParams, countIncludePad: boolean): void;

  /** y[i] = f(x[i]); y may be x. */
  unary(op: UnaryOp, x: FloatArray, y: FloatArray, alpha: number, beta: number): void;
  /**
   * dx[i] = dy[i] * f'(x[i]), from the forward input x or output y, whichever the derivative needs:
   * relu, leakyRelu, clamp, abs, log, sign use x; sigmoid, tanh, exp, sqrt use y; elu uses both;
   * neg neither. The others may be null.
   */
  unaryBackward(
    op: UnaryOp,
    x: FloatArray | null,
    y: FloatArray | null,
    dy: FloatArray,
    dx: FloatArray,
    alpha: number,
    beta: number,
  ): void;
  /**
   * y[idx] = a[idx . aStrides] op b[idx . bStrides] for every index of `shape` (y contiguous).
   * Strides are in elements, 0 along broadcast dimensions.
   */
  binary(op: BinaryOp, a: FloatArray, aStrides: number[], b: FloatArray, bStrides: number[], y: FloatArray, shape: number[]): void;
  /** y[idx] = cond[...] != 0 ? a[...] : b[...], broadcasting as in binary. */
  where(
    cond: FloatArray,
    condStrides: number[],
    a: FloatArray,
    aStrides: number[],
    b: FloatArray,
    bStrides: number[],
    y: FloatArray,
    shape: number[],
  ): void;

  /** y [outer, inner] = reduction of x [outer, n, inner] over n. Max and min propagate NaN. */
  reduce(op: ReduceOp, x: FloatArray, y: FloatArray, outer: number, n: number, inner: number): void;
  /** y [outer, inner] = index of the first max (min) over n (the first NaN if any), as a float. */
  argReduce(op: 'max' | 'min', x: FloatArray, y: FloatArray, outer: number, n: number, inner: number): void;
  /** Softmax (log-softmax when log) over n of x viewed as [outer, n, inner]. */
  softmax(x: FloatArray, y: FloatArray, outer: number, n: number, inner: number, log: boolean): void;
  /** From the forward output y: softmax dx = y (dy - sum(dy y)); log-softmax dx = dy - e^y sum(dy). */
  softmaxBackward(y: FloatArray, dy: FloatArray, dx: FloatArray, outer: number, n: number, inner: number, log: boolean): void;
  /**
   * Backward of the cross-entropy of softmax over n against integer labels [outer, inner] (each in
   * [0, n)), from the forward's log-softmax logp [outer, n, inner] and the loss gradient g
   * [outer, inner]: with c = smoothing / n,
   *   dx[o, j, i] = g[o, i] ((exp(logp[o, j, i]) − c) − (j = labels[o, i] ? 1 − smoothing : 0)).
   */
  crossEntropyBackward(
    logp: FloatArray,
    labels: Int32Array,
    g: FloatArray,
    dx: FloatArray,
    outer: number,
    n: number,
    inner: number,
    smoothing: number,
  ): void;

  /**
   * Per-channel statistics of x viewed as [n, c, inner] (the channel is the middle axis): the mean
   * and the biased variance (divided by n * inner), accumulated in double precision.
   */
  batchNormStats(x: FloatArray, mean: FloatArray, variance: FloatArray, n: number, c: number, inner: number): void;
  /** y = x * scale[ch] + shift[ch] for x viewed as [n, c, inner]; y may be x. */
  channelAffine(x: FloatArray, scale: FloatArray, shift: FloatArray, y: FloatArray, n: number, c: number, inner: number): void;
  /**
   * Batch norm backward for x viewed as [n, c, inner], normalised with per-channel mean and invstd
   * (y = (x - mean) invstd weight + bias). With m = n * inner, sdy = sum dy, sdx = sum dy (x - mean):
   *   dbias = sdy, dweight = sdx * invstd,
   *   training (statistics of this batch): dx = weight invstd (dy - sdy / m - (x - mean) invstd² sdx / m)
   *   otherwise (fixed statistics):        dx = weight invstd dy
   * weight null means 1. Any of dx, dweight, dbias may be null (not computed).
   */
  batchNormBackward(
    x: FloatArray,
    dy: FloatArray,
    mean: FloatArray,
    invstd: FloatArray,
    weight: FloatArray | null,
    dx: FloatArray | null,
    dweight: FloatArray | null,
    dbias: FloatArray | null,
    n: number,
    c: number,
    inner: number,
    training: boolean,
  ): void;

  /**
   * One SGD step over a parameter, in place (src/optim/sgd.ts states the algorithm). buf is the
   * momentum buffer (null without momentum); bufIsNew makes this step initialise it.
   */
  sgdStep(
    param: FloatArray,
    grad: FloatArray,
    buf: FloatArray | null,
    bufIsNew: boolean,
    lr: number,
    momentum: number,
    dampening: number,
    weightDecay: number,
    nesterov: boolean,
  ): void;
  /**
   * One Adam / AdamW step over a parameter, in place (src/optim/adam.ts): p *= shrink;
   * g = grad + weightDecay p; m, v updated; v' = max(vmax, v) when vmax is given (amsgrad);
   * p -= stepSize m / (sqrt(v') / bc2Sqrt + eps).
   */
  adamStep(
    param: FloatArray,
    grad: FloatArray,
    expAvg: FloatArray,
    expAvgSq: FloatArray,
    maxExpAvgSq: FloatArray | null,
    stepSize: number,
    bc2Sqrt: number,
    beta1: number,
    beta2: number,
    eps: number,
    weightDecay: number,
    shrink: number,
  ): void;
  /**
   * Dropout with a counter-based random stream: mask[i] = dropoutBits(i, seed0, seed1) < threshold
   * ? 0 : scale and y[i] = x[i] mask[i], where threshold = round(p 2^24) and dropoutBits is the
   * 24-bit hash in src/backend/reference/random.ts (the same in every backend, for any thread count).
   */
  dropoutForward(x: FloatArray, y: FloatArray, mask: FloatArray, threshold: number, scale: number, seed0: number, seed1: number): void;

  /**
   * One LSTM time step after its GEMMs, over `rows` samples with `hidden` units: gates
   * [rows, 4 hidden] holds the pre-activations of the input, forget, cell and output gates (PyTorch's
   * order) and is overwritten with i = σ, f = σ, g = tanh, o = σ of them; then
   *   c = f c_prev + i g,  tc = tanh(c),  h = o tc   (cPrev, c, tc, h: [rows, hidden]).
   * c, tc and h share memory with no other argument.
   */
  lstmCell(gates: FloatArray, cPrev: FloatArray, c: FloatArray, tc: FloatArray, h: FloatArray, rows: number, hidden: number): void;
  /**
   * Its backward, from the activations `gates`, cPrev and tc of the forward and the gradients dh
   * and dc (null: zero) of h and c: dgates (of the pre-activations) and dcPrev, with
   *   dc' = dc + dh o (1 - tc²),  di = dc' g i (1 - i),  df = dc' c_prev f (1 - f),
   *   dg = dc' i (1 - g²),        do = dh tc o (1 - o),  dcPrev = dc' f.
   * dgates and dcPrev share memory with no other argument.
   */
  lstmCellBackward(
    gates: FloatArray,
    cPrev: FloatArray,
    tc: FloatArray,
    dh: FloatArray,
    dc: FloatArray | null,
    dgates: FloatArray,
    dcPrev: FloatArray,
    rows: number,
    hidden: number,
  ): void;

  /**
   * Nearest-neighbour upsampling of `planes` planes [h, w] by integer factors:
   * y[q][i fh + a][j fw + b] = x[q][i][j]. x and y do not overlap.
   */
  upsampleNearest(x: FloatArray, y: FloatArray, planes: number, h: number, w: number, fh: number, fw: number): void;
  /**
   * Its backward: dx[q][i][j] = the sum over a < fh (in order) of the sums over b < fw (in order)
   * of dy[q][i fh + a][j fw + b]. dy and dx do not overlap.
   */
  upsampleNearestBackward(dy: FloatArray, dx: FloatArray, planes: number, h: number, w: number, fh: number, fw: number): void;

  /**
   * dst[dstOffset + idx . dstStrides] = src[srcOffset + idx . srcStrides] for every index of
   * `shape`. The one data-movement kernel: permute, slicing, cat, pad, expand. src and dst must not
   * overlap.
   */
  copyStrided(
    src: FloatArray,
    srcOffset: number,
    srcStrides: number[],
    dst: FloatArray,
    dstOffset: number,
    dstStrides: number[],
    shape: number[],
  ): void;
}
