/**
 * MNIST-format directories (MNIST, Fashion-MNIST): train-images-idx3-ubyte, train-labels-idx1-ubyte,
 * t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte, each raw or .gz. Images become float32 [1, 28, 28]
 * in [0, 1]; labels are class indices (as floats).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { allocateUninitialized } from '../ops/util';
import { Tensor } from '../tensor';
import type { Dataset } from './dataset';
import { readIdx } from './idx';
import type { Transform } from './transforms';

export interface MnistOptions {
  /** The training split (default) or the test split. */
  train?: boolean;
  /** Applied to each image [1, H, W] when it is fetched (augmentation, normalisation). */
  transform?: Transform;
  /** Use only the first `limit` samples. */
  limit?: number;
}

function findFile(dir: string, base: string): string {
  for (const name of [base, `${base}.gz`]) {
    const p = path.join(dir, name);
    if (fs.existsSync(p)) return p;
  }
  throw new Error(`loadMnist: neither ${base} nor ${base}.gz is in ${dir}`);
}

export class MnistDataset implements Dataset<[Tensor, Tensor]> {
  readonly length: number;

  constructor(
    /** Pixels in [0, 1], sample after sample. */
    readonly images: Float32Array,
    /** Class indices. */
    readonly labels: Float32Array,
    readonly imageShape: [number, number, number],
    readonly transform: Transform | null = null,
  ) {
    this.length = labels.length;
  }

  /** A copy of this dataset's data with another transform. */
  withTransform(transform: Transform | null): MnistDataset {
    return new MnistDataset(this.images, this.labels, this.imageShape, transform);
  }

  private image(i: number): Tensor {
    const size = this.imageShape[0] * this.imageShape[1] * this.imageShape[2];
    const x = new Tensor(this.images.slice(i * size, (i + 1) * size), this.imageShape);
    return this.transform ? this.transform(x) : x;
  }

  get(index: number): [Tensor, Tensor] {
    if (!Number.isInteger(index) || index < 0 || index >= this.length) {
      throw new RangeError(`MnistDataset.get: index ${index} is out of range for ${this.length} samples`);
    }
    return [this.image(index), new Tensor(Float32Array.of(this.labels[index]), [])];
  }

  getBatch(indices: ArrayLike<number>): [Tensor, Tensor] {
    const size = this.imageShape[0] * this.imageShape[1] * this.imageShape[2];
    // Every element is written below: no zero fill (for a batch of 64 the fill and the page faults of
    // a fresh zeroed 200 KB array were most of the data phase of a LeNet step).
    const x = allocateUninitialized(indices.length * size, 'float32') as Float32Array;
    const y = new Float32Array(indices.length);
    for (let k = 0; k < indices.length; k++) {
      const i = indices[k];
      if (!Number.isInteger(i) || i < 0 || i >= this.length) {
        throw new RangeError(`MnistDataset.getBatch: index ${i} is out of range for ${this.length} samples`);
      }
      if (this.transform) {
        const img = this.image(i);
        if (img.numel !== size) throw new RangeError('MnistDataset: a transform changed the image size; use a collate function for variable sizes');
        x.set(img.data, k * size);
      } else {
        x.set(this.images.subarray(i * size, (i + 1) * size), k * size);
      }
      y[k] = this.labels[i];
    }
    return [new Tensor(x, [indices.length, ...this.imageShape]), new Tensor(y, [indices.length])];
  }
}

/** Loads one split of an MNIST-format directory. */
export function loadMnist(dir: string, opts: MnistOptions = {}): MnistDataset {
  const prefix = opts.train === false ? 't10k' : 'train';
  const images = readIdx(findFile(dir, `${prefix}-images-idx3-ubyte`));
  const labels = readIdx(findFile(dir, `${prefix}-labels-idx1-ubyte`));
  if (images.shape.length !== 3 || labels.shape.length !== 1) {
    throw new Error(`loadMnist: ${dir}: expected images [N, H, W] and labels [N], got [${images.shape}] and [${labels.shape}]`);
  }
  if (images.shape[0] !== labels.shape[0]) {
    throw new Error(`loadMnist: ${dir}: ${images.shape[0]} images but ${labels.shape[0]} labels`);
  }
  let n = images.shape[0];
  if (opts.limit !== undefined) {
    if (!Number.isInteger(opts.limit) || opts.limit < 1) throw new RangeError(`loadMnist: limit must be a positive integer, got ${opts.limit}`);
    n = Math.min(n, opts.limit);
  }
  const [, h, w] = images.shape;
  const pixels = new Float32Array(n * h * w);
  for (let i = 0; i < pixels.length; i++) pixels[i] = images.data[i] / 255;
  const lab = Float32Array.from(labels.data.subarray(0, n));
  return new MnistDataset(pixels, lab, [1, h, w], opts.transform ?? null);
}
