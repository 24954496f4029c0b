/**
 * Named conv2d cases (benchdnn style: each name says which edge it probes), shared by the
 * native-vs-reference tests and the benchmarks. NCHW input [n, cIn, h, w], weight
 * [cOut, cIn / groups, kh, kw]. Pads are given per side; asymmetric ones reach the kernel as
 * Conv2dParams' top / left pads plus the output size, as the 'same' padding of even kernels does.
 * The `training` cases are layers of LeNet-5 and CIFAR ResNet-20 at their training batch sizes.
 */
import type { Conv2dParams } from '../../src/backend/backend';
import { windowOutputSize } from '../../src/shape';

export interface Conv2dShape {
  name: string;
  n: number;
  cIn: number;
  h: number;
  w: number;
  cOut: number;
  kh: number;
  kw: number;
  strideH?: number;
  strideW?: number;
  /** Top / left pads; bottom / right default to the same. */
  padH?: number;
  padW?: number;
  padBottom?: number;
  padRight?: number;
  dilH?: number;
  dilW?: number;
  groups?: number;
  bias?: boolean;
  training?: boolean;
  /** Benchmarks only: too large for the reference oracle of the tests, which skip it. */
  benchOnly?: boolean;
}

export const conv2dShapes: readonly Conv2dShape[] = [
  // 1x1 convolutions (plain GEMM paths)
  { name: 'k1x1', n: 2, cIn: 8, h: 5, w: 7, cOut: 12, kh: 1, kw: 1, bias: true },
  { name: 'k1x1_stride2', n: 2, cIn: 5, h: 9, w: 8, cOut: 7, kh: 1, kw: 1, strideH: 2, strideW: 2 },
  { name: 'k1x1_pad1', n: 1, cIn: 3, h: 4, w: 4, cOut: 5, kh: 1, kw: 1, padH: 1, padW: 1, bias: true },
  // 3x3 and larger
  { name: 'k3x3_valid', n: 2, cIn: 3, h: 9, w: 11, cOut: 4, kh: 3, kw: 3 },
  { name: 'k3x3_pad1_same', n: 2, cIn: 4, h: 8, w: 8, cOut: 6, kh: 3, kw: 3, padH: 1, padW: 1, bias: true },
  { name: 'stride2_pad1', n: 2, cIn: 3, h: 9, w: 10, cOut: 5, kh: 3, kw: 3, strideH: 2, strideW: 2, padH: 1, padW: 1, bias: true },
  { name: 'stride2_pad0_odd_input', n: 2, cIn: 2, h: 11, w: 13, cOut: 3, kh: 3, kw: 3, strideH: 2, strideW: 2 },
  { name: 'stride3_k2_gaps', n: 1, cIn: 2, h: 10, w: 11, cOut: 3, kh: 2, kw: 2, strideH: 3, strideW: 3 },
  { name: 'stride_2x1', n: 1, cIn: 3, h: 9, w: 9, cOut: 4, kh: 3, kw: 3, strideH: 2, strideW: 1, padH: 1, padW: 1 },
  { name: 'k5x5_pad2', n: 2, cIn: 3, h: 9, w: 9, cOut: 4, kh: 5, kw: 5, padH: 2, padW: 2, bias: true },
  { name: 'k7x7_stride2_pad3_stem', n: 1, cIn: 3, h: 17, w: 17, cOut: 8, kh: 7, kw: 7, strideH: 2, strideW: 2, padH: 3, padW: 3 },
  { name: 'asym_kernel_3x1', n: 2, cIn: 3, h: 7, w: 6, cOut: 4, kh: 3, kw: 1, padH: 1 },
  { name: 'asym_kernel_1x5', n: 2, cIn: 3, h: 6, w: 9, cOut: 4, kh: 1, kw: 5, padW: 2 },
  { name: 'asym_pad', n: 2, cIn: 3, h: 7, w: 8, cOut: 4, kh: 3, kw: 3, padH: 1, padBottom: 0, padW: 2, padRight: 1, bias: true },
  { name: 'same_even_kernel_4x4', n: 1, cIn: 2, h: 7, w: 7, cOut: 3, kh: 4, kw: 4, padH: 1, padBottom: 2, padW: 1, padRight: 2 },
  { name: 'pad_larger_than_half_kernel', n: 1, cIn: 2, h: 5, w: 5, cOut: 3, kh: 3, kw: 3, padH: 3, padW: 2, bias: true },
  { name: 'kernel_eq_input', n: 3, cIn: 4, h: 5, w: 5, cOut: 6, kh: 5, kw: 5 },
  { name: 'input_1x1', n: 4, cIn: 5, h: 1, w: 1, cOut: 3, kh: 1, kw: 1, bias: true },
  { name: 'wide_19x3', n: 1, cIn: 2, h: 3, w: 19, cOut: 3, kh: 3, kw: 3, padW: 1 },
  // Dilation
  { name: 'dilation2', n: 2, cIn: 3, h: 10, w: 10, cOut: 4, kh: 3, kw: 3, dilH: 2, dilW: 2, padH: 2, padW: 2 },
  { name: 'dilation_2x3', n: 1, cIn: 2, h: 11, w: 13, cOut: 3, kh: 3, kw: 3, dilH: 2, dilW: 3 },
  { name: 'dilation2_stride2', n: 2, cIn: 3, h: 12, w: 11, cOut: 4, kh: 3, kw: 3, dilH: 2, dilW: 2, strideH: 2, strideW: 2, padH: 1, padW: 1 },
  // Groups
  { name: 'groups2', n: 2, cIn: 4, h: 7, w: 7, cOut: 6, kh: 3, kw: 3, groups: 2, padH: 1, padW: 1, bias: true },
  { name: 'groups4_cout8', n: 1, cIn: 8, h: 6, w: 6, cOut: 8, kh: 3, kw: 3, groups: 4 },
  { name: 'depthwise', n: 2, cIn: 8, h: 9, w: 9, cOut: 8, kh: 3, kw: 3, groups: 8, padH: 1, padW: 1, bias: true },
  { name: 'depthwise_stride2', n: 2, cIn: 6, h: 10, w: 9, cOut: 6, kh: 3, kw: 3, groups: 6, strideH: 2, strideW: 2, padH: 1, padW: 1 },
  { name: 'depthwise_multiplier2', n: 1, cIn: 4, h: 7, w: 7, cOut: 8, kh: 3, kw: 3, groups: 4 },
  // Channel and batch tails (SIMD widths 8 / 16, GEMM tiles)
  { name: 'c_tail_17', n: 2, cIn: 17, h: 6, w: 6, cOut: 5, kh: 3, kw: 3, padH: 1, padW: 1 },
  { name: 'cout_tail_17', n: 2, cIn: 3, h: 6, w: 6, cOut: 17, kh: 3, kw: 3, padH: 1, padW: 1, bias: true },
  { name: 'cout_33_ohw_17', n: 1, cIn: 4, h: 19, w: 1, cOut: 33, kh: 3, kw: 1 },
  { name: 'batch1', n: 1, cIn: 3, h: 8, w: 8, cOut: 4, kh: 3, kw: 3, padH: 1, padW: 1 },
  { name: 'batch_odd_9', n: 9, cIn: 2, h: 6, w: 5, cOut: 3, kh: 3, kw: 3, bias: true },
  { name: 'batch17_dw_partials', n: 17, cIn: 3, h: 5, w: 5, cOut: 4, kh: 3, kw: 3, padH: 1, padW: 1 },
  // Batch in the vector lanes (native/kernels/conv/conv_lanes.h, stride-1 backward-data into 4 to 16
  // channels, batch >= 16): a partial last block (17 = 16 + 1, 8 + 8 + 1); odd rows with dilation
  // and asymmetric pads; 13 channels (passes of 8 + 5 or 6 + 6 + 1).
  { name: 'lanes_batch17_16to6', n: 17, cIn: 6, h: 10, w: 10, cOut: 16, kh: 5, kw: 5, bias: true },
  { name: 'lanes_dil2_odd_rows', n: 16, cIn: 4, h: 9, w: 11, cOut: 5, kh: 3, kw: 3, dilH: 2, dilW: 2, padH: 2, padW: 1 },
  { name: 'lanes_13_channels', n: 18, cIn: 13, h: 7, w: 6, cOut: 3, kh: 3, kw: 2, padH: 1 },
  // Few output columns in all (native conv_columns.h: explicit column matrices and one GEMM)
  { name: 'deep_small_plane_cols', n: 2, cIn: 48, h: 4, w: 4, cOut: 256, kh: 3, kw: 3, padH: 1, padW: 1, bias: true },
  // ... and a 1x1 layer of 512 channels on 2x2 planes, batched the same way
  { name: 'k1x1_deep_small_plane_cols', n: 3, cIn: 512, h: 2, w: 2, cOut: 8, kh: 1, kw: 1, bias: true },
  // The window is the whole input (native conv_columns.h: X is the column matrix): a DCGAN
  // discriminator's head, and groups on a rectangular plane
  { name: 'whole_plane_head', n: 16, cIn: 64, h: 4, w: 4, cOut: 1, kh: 4, kw: 4, bias: true },
  { name: 'whole_plane_groups2', n: 5, cIn: 8, h: 3, w: 2, cOut: 6, kh: 3, kw: 2, groups: 2, bias: true },
  // Training layers: LeNet-5 at batch 64, CIFAR ResNet-20 3x3 layers at batch 32
  { name: 'lenet5_conv1_b64', n: 64, cIn: 1, h: 28, w: 28, cOut: 6, kh: 5, kw: 5, padH: 2, padW: 2, bias: true, training: true },
  { name: 'lenet5_conv2_b64', n: 64, cIn: 6, h: 14, w: 14, cOut: 16, kh: 5, kw: 5, bias: true, training: true },
  { name: 'resnet20_stage1_3x3_16_b32', n: 32, cIn: 16, h: 32, w: 32, cOut: 16, kh: 3, kw: 3, padH: 1, padW: 1, training: true },
  { name: 'resnet20_stage3_3x3_64_b32', n: 32, cIn: 64, h: 8, w: 8, cOut: 64, kh: 3, kw: 3, padH: 1, padW: 1, training: true },
  { name: 'resnet20_down_3x3_s2_32to64_b32', n: 32, cIn: 32, h: 16, w: 16, cOut: 64, kh: 3, kw: 3, strideH: 2, strideW: 2, padH: 1, padW: 1, training: true },
  // MobileNet-style depthwise layers at batch 32 (stride 1, and stride 2 halving the plane), for the
  // benchmark only (not `training`: their outputs stay out of the batch-norm rows); the depthwise
  // property test of test/native/conv.test.ts covers rows of this width.
  { name: 'mobilenet_dw_3x3_64_32x32_b32', n: 32, cIn: 64, h: 32, w: 32, cOut: 64, kh: 3, kw: 3, padH: 1, padW: 1, groups: 64, benchOnly: true },
  { name: 'mobilenet_dw_3x3_s2_128_16x16_b32', n: 32, cIn: 128, h: 16, w: 16, cOut: 128, kh: 3, kw: 3, strideH: 2, strideW: 2, padH: 1, padW: 1, groups: 128, benchOnly: true },
  // Inference on one sample: the last VGG block's 512 -> 512 layer at 4x4 (CIFAR), and a ResNet-18
  // stage-3 layer at 14x14 (ImageNet).
  { name: 'vgg_3x3_512_4x4_b1', n: 1, cIn: 512, h: 4, w: 4, cOut: 512, kh: 3, kw: 3, padH: 1, padW: 1, bias: true, benchOnly: true },
  { name: 'resnet18_3x3_256_14x14_b1', n: 1, cIn: 256, h: 14, w: 14, cOut: 256, kh: 3, kw: 3, padH: 1, padW: 1, benchOnly: true },
  // A 1x1 layer of 512 channels on 2x2 planes (the column-matrix path of 1x1 layers).
  { name: 'k1x1_512_2x2_b64', n: 64, cIn: 512, h: 2, w: 2, cOut: 512, kh: 1, kw: 1, benchOnly: true },
  // A DCGAN discriminator's head at its training batch: 512 channels at 4x4 -> one logit per image.
  { name: 'dcgan_d_head_512_4x4_b64', n: 64, cIn: 512, h: 4, w: 4, cOut: 1, kh: 4, kw: 4, benchOnly: true },
  // The 64-channel layer of the conv goals (docs/benchmarks.md): 38 M multiply-adds per sample
  { name: 'conv3x3_64to64_32x32_b32', n: 32, cIn: 64, h: 32, w: 32, cOut: 64, kh: 3, kw: 3, padH: 1, padW: 1, training: true, benchOnly: true },
];

/** The kernel parameters of a case (output size from the pads, as the conv2d op computes it). */
export function conv2dParams(s: Conv2dShape): Conv2dParams {
  const strideH = s.strideH ?? 1;
  const strideW = s.strideW ?? 1;
  const padH = s.padH ?? 0;
  const padW = s.padW ?? 0;
  const dilH = s.dilH ?? 1;
  const dilW = s.dilW ?? 1;
  return {
    n: s.n,
    cIn: s.cIn,
    h: s.h,
    w: s.w,
    cOut: s.cOut,
    kh: s.kh,
    kw: s.kw,
    oh: windowOutputSize(s.h, s.kh, strideH, padH, s.padBottom ?? padH, dilH),
    ow: windowOutputSize(s.w, s.kw, strideW, padW, s.padRight ?? padW, dilW),
    strideH,
    strideW,
    padH,
    padW,
    dilH,
    dilW,
    groups: s.groups ?? 1,
  };
}

/** Multiply-adds of the forward pass (backward-data and backward-filter cost the same). */
export function conv2dMacs(s: Conv2dShape): number {
  const p = conv2dParams(s);
  return p.n * p.cOut * p.oh * p.ow * (p.cIn / p.groups) * p.kh * p.kw;
}
