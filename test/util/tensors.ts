/** Small helpers for semantic tests: compare a tensor's shape and values in one call. */
import { expect } from 'vitest';
import type { Tensor } from '../../src/tensor';
import { assertClose } from './assert_close';

export function values(t: Tensor): number[] {
  return Array.from(t.data);
}

/** Shape first (tinygrad's order), then values: exactly, or within rtol / atol when given. */
export function expectTensor(t: Tensor, shape: readonly number[], want: readonly number[], tol?: { rtol?: number; atol?: number }): void {
  expect(t.shape, 'shape').toEqual(shape);
  if (tol) assertClose(t.data, want, { ...tol, shape });
  else expect(values(t)).toEqual(want);
}
