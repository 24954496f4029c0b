/**
 * DataLoader: batches of a dataset, in order or shuffled by the seeded generator (a new permutation
 * each epoch, every sample exactly once), optionally dropping the last incomplete batch.
 */
import { type Generator, defaultGenerator } from '../random';
import { type Dataset, defaultCollate } from './dataset';

export interface DataLoaderOptions<T, B> {
  batchSize?: number;
  shuffle?: boolean;
  dropLast?: boolean;
  /** Turns a list of samples into a batch (default: stack tensors, recursively). */
  collate?: (samples: T[]) => B;
  /** The generator that shuffles (default: the library's). */
  generator?: Generator;
}

export class DataLoader<T = unknown, B = T> implements Iterable<B> {
  readonly dataset: Dataset<T>;
  readonly batchSize: number;
  readonly shuffle: boolean;
  readonly dropLast: boolean;
  private readonly collate: ((samples: T[]) => B) | null;
  private readonly generator: Generator;

  constructor(dataset: Dataset<T>, opts: DataLoaderOptions<T, B> = {}) {
    if (dataset === null || typeof dataset !== 'object' || typeof dataset.get !== 'function' || !Number.isInteger(dataset.length)) {
      throw new TypeError('DataLoader: dataset must have an integer length and a get(index) method');
    }
    this.dataset = dataset;
    this.batchSize = opts.batchSize ?? 1;
    if (!Number.isInteger(this.batchSize) || this.batchSize < 1) {
      throw new RangeError(`DataLoader: batchSize must be a positive integer, got ${String(opts.batchSize)}`);
    }
    this.shuffle = opts.shuffle ?? false;
    this.dropLast = opts.dropLast ?? false;
    this.collate = opts.collate ?? null;
    this.generator = opts.generator ?? defaultGenerator;
  }

  /** Number of batches per epoch. */
  get length(): number {
    const n = this.dataset.length;
    return this.dropLast ? Math.floor(n / this.batchSize) : Math.ceil(n / this.batchSize);
  }

  /** The sample indices of one epoch, batch by batch. */
  batchIndices(): Int32Array[] {
    const n = this.dataset.length;
    const order = this.shuffle ? this.generator.permutation(n) : Int32Array.from({ length: n }, (_, i) => i);
    const batches: Int32Array[] = [];
    for (let s = 0; s < n; s += this.batchSize) {
      const b = order.subarray(s, Math.min(s + this.batchSize, n));
      if (this.dropLast && b.length < this.batchSize) break;
      batches.push(b);
    }
    return batches;
  }

  *[Symbol.iterator](): Iterator<B> {
    for (const idx of this.batchIndices()) {
      if (!this.collate && this.dataset.getBatch) {
        yield this.dataset.getBatch(idx) as unknown as B;
      } else {
        const samples = Array.from(idx, (i) => this.dataset.get(i));
        yield this.collate ? this.collate(samples) : (defaultCollate(samples) as B);
      }
    }
  }
}
