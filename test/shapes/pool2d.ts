/**
 * Named pooling cases (benchdnn's pool shapes style), shared by the native-vs-reference tests and
 * the benchmarks. NCHW [n, c, h, w]; padding at most half the kernel (PyTorch's rule, which the ops
 * enforce); the output size follows the op's floor / ceil rule (src/shape.ts windowOutputSize).
 */
import type { Pool2dParams } from '../../src/backend/backend';
import { windowOutputSize } from '../../src/shape';

export interface Pool2dShape {
  name: string;
  n: number;
  c: number;
  h: number;
  w: number;
  kh: number;
  kw: number;
  /** Default: the kernel size. */
  strideH?: number;
  strideW?: number;
  padH?: number;
  padW?: number;
  ceilMode?: boolean;
  training?: boolean;
}

export const pool2dShapes: readonly Pool2dShape[] = [
  { name: 'k2s2', n: 2, c: 3, h: 8, w: 8, kh: 2, kw: 2 },
  { name: 'k2s2_odd_input_floor', n: 2, c: 3, h: 7, w: 9, kh: 2, kw: 2 },
  { name: 'k2s2_odd_input_ceil', n: 2, c: 3, h: 7, w: 9, kh: 2, kw: 2, ceilMode: true },
  { name: 'k3s2_overlap', n: 2, c: 3, h: 9, w: 9, kh: 3, kw: 3, strideH: 2, strideW: 2 },
  { name: 'k3s2_pad1', n: 2, c: 3, h: 8, w: 8, kh: 3, kw: 3, strideH: 2, strideW: 2, padH: 1, padW: 1 },
  { name: 'k3s2_pad1_ceil', n: 2, c: 3, h: 8, w: 10, kh: 3, kw: 3, strideH: 2, strideW: 2, padH: 1, padW: 1, ceilMode: true },
  { name: 'ceil_last_window_dropped', n: 1, c: 2, h: 5, w: 5, kh: 2, kw: 2, strideH: 2, strideW: 2, padH: 1, padW: 1, ceilMode: true },
  { name: 'k3s1_pad1', n: 2, c: 3, h: 6, w: 7, kh: 3, kw: 3, strideH: 1, strideW: 1, padH: 1, padW: 1 },
  { name: 'k1s1_identity', n: 1, c: 2, h: 4, w: 5, kh: 1, kw: 1 },
  { name: 'global_window', n: 3, c: 4, h: 5, w: 6, kh: 5, kw: 6 },
  { name: 'asym_kernel_3x2', n: 2, c: 3, h: 9, w: 8, kh: 3, kw: 2 },
  { name: 'asym_stride_2x1', n: 2, c: 3, h: 8, w: 7, kh: 2, kw: 2, strideH: 2, strideW: 1 },
  { name: 'asym_pad_1x0', n: 1, c: 2, h: 7, w: 7, kh: 3, kw: 3, strideH: 2, strideW: 2, padH: 1, padW: 0 },
  { name: 'stride_gt_kernel', n: 1, c: 2, h: 10, w: 11, kh: 2, kw: 2, strideH: 3, strideW: 3 },
  { name: 'k4_pad2_half_kernel', n: 1, c: 2, h: 9, w: 9, kh: 4, kw: 4, strideH: 2, strideW: 2, padH: 2, padW: 2 },
  { name: 'c_tail_17', n: 1, c: 17, h: 6, w: 6, kh: 2, kw: 2 },
  { name: 'w_tail_17', n: 1, c: 2, h: 4, w: 17, kh: 2, kw: 2, strideH: 2, strideW: 1 },
  { name: 'w_33_k3s1', n: 1, c: 1, h: 3, w: 33, kh: 3, kw: 3, strideH: 1, strideW: 1, padH: 1, padW: 1 },
  { name: 'h1_row', n: 2, c: 2, h: 1, w: 9, kh: 1, kw: 3, strideH: 1, strideW: 2 },
  { name: 'batch1', n: 1, c: 1, h: 6, w: 6, kh: 2, kw: 2 },
  // Training layers
  { name: 'lenet5_pool1_b64', n: 64, c: 6, h: 28, w: 28, kh: 2, kw: 2, training: true },
  { name: 'lenet5_pool2_b64', n: 64, c: 16, h: 10, w: 10, kh: 2, kw: 2, training: true },
  { name: 'resnet_stem_maxpool_3x3s2p1_b32', n: 32, c: 16, h: 32, w: 32, kh: 3, kw: 3, strideH: 2, strideW: 2, padH: 1, padW: 1, training: true },
  { name: 'resnet20_global_avgpool_8x8_b32', n: 32, c: 64, h: 8, w: 8, kh: 8, kw: 8, training: true },
];

export function pool2dParams(s: Pool2dShape): Pool2dParams {
  const strideH = s.strideH ?? s.kh;
  const strideW = s.strideW ?? s.kw;
  const padH = s.padH ?? 0;
  const padW = s.padW ?? 0;
  const ceil = s.ceilMode === true;
  return {
    n: s.n,
    c: s.c,
    h: s.h,
    w: s.w,
    oh: windowOutputSize(s.h, s.kh, strideH, padH, padH, 1, ceil),
    ow: windowOutputSize(s.w, s.kw, strideW, padW, padW, 1, ceil),
    kh: s.kh,
    kw: s.kw,
    strideH,
    strideW,
    padH,
    padW,
  };
}
