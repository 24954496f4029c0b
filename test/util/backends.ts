/**
 * Running one body on each backend (tfjs's one-suite-every-backend, candle's test_device!): the
 * semantic suites in test/ops are written once and run on the reference and the native backend.
 * The native backend must be available: if the addon cannot load, these tests fail with the
 * loader's reason rather than skip.
 */
import { describe } from 'vitest';
import { type Backend, type BackendName, backendInfo, getBackend, referenceBackend, withBackend } from '../../src/backend';

export const BACKENDS: readonly BackendName[] = ['reference', 'native'];

/** Runs body with the named backend active (float32 ops use it), restoring the previous one. */
export function onBackend<T>(name: BackendName, body: () => T): T {
  return withBackend(name, body);
}

/** describe(`${title} [reference]`) and describe(`${title} [native]`), each running body(name). */
export function describeEachBackend(title: string, body: (backend: BackendName) => void): void {
  for (const name of BACKENDS) describe(`${title} [${name}]`, () => body(name));
}

/** The native kernels, called directly (throws with the loader's reason when the addon is missing). */
export function nativeKernels(): Backend {
  const info = backendInfo();
  if (!info.nativeAvailable) throw new Error(`the native addon is not available: ${info.nativeError}`);
  return withBackend('native', () => getBackend());
}

export { referenceBackend };

/** The native GEMM register tile (MR x NR) of the active ISA, e.g. [6, 16]. */
export function gemmTile(): [number, number] {
  const tile = backendInfo().gemmTile;
  const m = tile ? /^(\d+)x(\d+)$/.exec(tile) : null;
  if (!m) throw new Error(`backendInfo().gemmTile is ${tile}, expected "MRxNR"`);
  return [Number(m[1]), Number(m[2])];
}
