/**
 * Datasets: anything with a length and get(i). TensorDataset and the MNIST loader also gather a
 * whole batch at once (getBatch), which the DataLoader uses instead of per-sample get + stack.
 */
import { stack } from '../ops/join';
import { type Generator, defaultGenerator } from '../random';
import { fmtShape } from '../shape';
import { Tensor } from '../tensor';

export interface Dataset<T = Tensor[]> {
  readonly length: number;
  get(index: number): T;
  /** Optional fast path: the collated batch of these indices. */
  getBatch?(indices: ArrayLike<number>): T;
}

function checkIndex(what: string, i: number, length: number): void {
  if (!Number.isInteger(i) || i < 0 || i >= length) {
    throw new RangeError(`${what}: index ${i} is out of range for a dataset of ${length} samples`);
  }
}

/** Rows of the given tensors, which share their first dimension: get(i) = [t0[i], t1[i], ...]. */
export class TensorDataset implements Dataset<Tensor[]> {
  readonly tensors: Tensor[];
  readonly length: number;

  constructor(...tensors: Tensor[]) {
    if (tensors.length === 0) throw new TypeError('TensorDataset: expected at least one tensor');
    tensors.forEach((t, i) => {
      if (!(t instanceof Tensor)) throw new TypeError(`TensorDataset: argument ${i} is not a Tensor`);
      if (t.ndim === 0 || t.shape[0] !== tensors[0].shape[0]) {
        throw new RangeError(
          `TensorDataset: all tensors need the same first dimension; tensor ${i} has shape ${fmtShape(t.shape)}, tensor 0 has ${fmtShape(tensors[0].shape)}`,
        );
      }
    });
    this.tensors = tensors;
    this.length = tensors[0].shape[0];
  }

  get(index: number): Tensor[] {
    checkIndex('TensorDataset.get', index, this.length);
    return this.tensors.map((t) => gatherRows(t, [index]).reshape(t.shape.slice(1)));
  }

  getBatch(indices: ArrayLike<number>): Tensor[] {
    for (let i = 0; i < indices.length; i++) checkIndex('TensorDataset.getBatch', indices[i], this.length);
    return this.tensors.map((t) => gatherRows(t, indices));
  }
}

/** Copies rows `indices` of t (along dim 0) into a new tensor. */
export function gatherRows(t: Tensor, indices: ArrayLike<number>): Tensor {
  const row = t.numel / (t.shape[0] || 1);
  const out = new (t.data.constructor as typeof Float32Array)(indices.length * row);
  for (let i = 0; i < indices.length; i++) out.set(t.data.subarray(indices[i] * row, (indices[i] + 1) * row), i * row);
  return new Tensor(out, [indices.length, ...t.shape.slice(1)]);
}

/** A view of some samples of another dataset. */
export class Subset<T> implements Dataset<T> {
  constructor(
    readonly dataset: Dataset<T>,
    readonly indices: Int32Array,
  ) {}

  get length(): number {
    return this.indices.length;
  }

  get(index: number): T {
    checkIndex('Subset.get', index, this.indices.length);
    return this.dataset.get(this.indices[index]);
  }

  getBatch(indices: ArrayLike<number>): T {
    const mapped = Int32Array.from(indices, (i) => {
      checkIndex('Subset.getBatch', i, this.indices.length);
      return this.indices[i];
    });
    if (this.dataset.getBatch) return this.dataset.getBatch(mapped);
    return defaultCollate(Array.from(mapped, (i) => this.dataset.get(i))) as T;
  }
}

/**
 * Splits a dataset into random non-overlapping subsets of the given lengths (sample counts that add
 * up to the dataset's length, or fractions that add up to 1).
 */
export function randomSplit<T>(dataset: Dataset<T>, lengths: readonly number[], generator: Generator = defaultGenerator): Subset<T>[] {
  const n = dataset.length;
  let counts = lengths.slice();
  const isFractions = lengths.every((l) => l >= 0 && l <= 1) && Math.abs(lengths.reduce((a, b) => a + b, 0) - 1) < 1e-9 && n !== 1;
  if (isFractions && lengths.some((l) => !Number.isInteger(l) || l === 1)) {
    counts = lengths.map((f) => Math.floor(f * n));
    // Hand out the remainder one by one, as PyTorch does.
    for (let i = 0; counts.reduce((a, b) => a + b, 0) < n; i = (i + 1) % counts.length) counts[i]++;
  }
  if (counts.some((c) => !Number.isInteger(c) || c < 0) || counts.reduce((a, b) => a + b, 0) !== n) {
    throw new RangeError(`randomSplit: lengths [${lengths.join(', ')}] must be counts that add up to ${n} or fractions that add up to 1`);
  }
  const perm = generator.permutation(n);
  let start = 0;
  return counts.map((c) => {
    const s = new Subset(dataset, perm.slice(start, start + c));
    start += c;
    return s;
  });
}

/** Stacks a list of samples: tensors into a batch, arrays element-wise, numbers into a 1-D tensor. */
export function defaultCollate(samples: unknown[]): unknown {
  const first = samples[0];
  if (first instanceof Tensor) return stack(samples as Tensor[], 0);
  if (typeof first === 'number') return new Tensor(Float32Array.from(samples as number[]), [samples.length]);
  if (Array.isArray(first)) return first.map((_, k) => defaultCollate(samples.map((s) => (s as unknown[])[k])));
  if (first !== null && typeof first === 'object') {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(first)) out[key] = defaultCollate(samples.map((s) => (s as Record<string, unknown>)[key]));
    return out;
  }
  throw new TypeError(`collate: cannot batch samples of type ${typeof first}; pass a collate function`);
}
