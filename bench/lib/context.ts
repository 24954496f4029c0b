/**
 * What every benchmark family gets (the loaded package, both backends, timing options) and what it
 * returns: rows, one per kernel pass and shape, which the driver completes with the peers' timings,
 * the fractions of the measured peak and bandwidth, the ratios and the goals.
 */
import * as path from 'node:path';
import type * as BackendIndex from '../../src/backend/index';
import type { Backend } from '../../src/backend/backend';
import type * as GN from '../../src/index';
import type { Loop } from './native_helper';
import type { Timing, TimingOptions } from './timing';
import type { TorchItem } from './torch';

/** The library under test, loaded from its built dist/ (what `require('gradnode')` gives). */
export interface Package {
  root: string;
  gn: typeof GN;
  backends: typeof BackendIndex;
}

export function loadPackage(root: string): Package {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const gn = require(path.join(root, 'dist', 'index.js')) as typeof GN;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const backends = require(path.join(root, 'dist', 'backend', 'index.js')) as typeof BackendIndex;
  return { root, gn, backends };
}

export interface Context {
  pkg: Package;
  native: Backend;
  reference: Backend;
  threads: number;
  quick: boolean;
  /** Timing of native kernels, and of the (slow) reference ones. */
  timing: TimingOptions;
  refTiming: TimingOptions;
  /** Run the reference on GEMM / conv passes up to this many multiply-adds, memory-bound ones up to this many bytes. */
  refMaxMacs: number;
  refMaxBytes: number;
  noReference: boolean;
  log: (s: string) => void;
}

export interface Row {
  family: string;
  /** Shape name (from test/shapes where the family has a shared list). */
  name: string;
  pass: string;
  /** Human-readable shape. */
  shape: string;
  unit: 'GFLOP/s' | 'GB/s';
  /** Useful flops (compute-bound rows) or compulsory bytes (bandwidth-bound rows) per call. */
  work: number;
  /** Bandwidth-bound rows: the loop they compare with and the bytes of distinct data they touch. */
  loop?: Loop;
  footprint?: number;
  native: Timing | null;
  nativeError?: string;
  reference?: Timing | null;
  /** The peers' timings of the same work (absent: not asked for; null: asked for, unavailable). */
  openblas?: Timing | null;
  torch?: Timing | null;
  torchError?: string;
  /** Filled in by the driver. */
  torchItem?: TorchItem;
  openblasShape?: { name: string; m: number; n: number; k: number; transA: boolean; transB: boolean };
  /** Times the native call again (the GEMM rounds against OpenBLAS, run.ts); not in the JSON. */
  retime?: () => Timing;
  rate?: number;
  level?: string;
  /** Achieved fraction of the measured peak / bandwidth. */
  fraction?: number | null;
  /** Speed-ups: the other's time / ours (> 1: gradnode is faster). */
  xReference?: number | null;
  xOpenblas?: number | null;
  xTorch?: number | null;
  goal?: { text: string; met: boolean | null };
  note?: string;
}

export function fmtBytes(b: number): string {
  if (b >= 2 ** 20) return `${(b / 2 ** 20).toFixed(b >= 10 * 2 ** 20 ? 0 : 1)} MB`;
  if (b >= 1024) return `${(b / 1024).toFixed(0)} KB`;
  return `${b} B`;
}
