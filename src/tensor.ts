/**
 * Tensor: a shape plus contiguous row-major storage (a Float32Array, or a Float64Array for float64
 * tensors), and, for autograd, requiresGrad / grad / gradFn.
 *
 * Views that need no copy (reshape, view, flatten, squeeze, unsqueeze, detach) share storage with
 * their source; every other op returns a new tensor. Storage is an ordinary typed array: nothing
 * needs disposing, and the garbage collector frees a tensor when nothing refers to it.
 *
 * Op methods (x.add(y), x.matmul(w), ...) are attached in tensor_methods.ts, beside the ops.
 */
import type { FloatArray } from './backend/backend';
import type { Node } from './autograd/node';
import { fmtShape, numel } from './shape';

export type DType = 'float32' | 'float64';

/** A number or arbitrarily nested arrays of numbers. */
export type NestedArray = number | NestedArray[];

export class Tensor {
  /** Sizes of the dimensions. */
  readonly shape: readonly number[];
  /** The elements, row-major. Shared with views of this tensor; writing to it bypasses autograd. */
  readonly data: FloatArray;
  /** Whether gradients flow to (or through) this tensor. Set on leaves with requiresGrad_(). */
  requiresGrad: boolean;
  /** The accumulated gradient of a leaf after backward() (or of a tensor that called retainGrad()). */
  grad: Tensor | null = null;
  /** The operation that produced this tensor (null for leaves). */
  gradFn: Node | null = null;

  constructor(data: FloatArray, shape: readonly number[], requiresGrad = false) {
    if (data.length !== numel(shape)) {
      throw new RangeError(`Tensor: ${data.length} elements do not fill shape ${fmtShape(shape)}`);
    }
    this.data = data;
    this.shape = Object.freeze(shape.slice());
    this.requiresGrad = requiresGrad;
  }

  get dtype(): DType {
    return this.data instanceof Float64Array ? 'float64' : 'float32';
  }

  get ndim(): number {
    return this.shape.length;
  }

  /** Number of elements. */
  get numel(): number {
    return this.data.length;
  }

  /** A tensor is a leaf when no recorded operation produced it. */
  get isLeaf(): boolean {
    return this.gradFn === null;
  }

  /** The size of one dimension (negative counts from the end), or the whole shape. */
  size(): number[];
  size(dim: number): number;
  size(dim?: number): number | number[] {
    if (dim === undefined) return this.shape.slice();
    const d = dim < 0 ? dim + this.ndim : dim;
    if (!Number.isInteger(d) || d < 0 || d >= this.ndim) {
      throw new RangeError(`size: dim ${dim} is out of range for a tensor with ${this.ndim} dimensions`);
    }
    return this.shape[d];
  }

  /** The value of a one-element tensor. */
  item(): number {
    if (this.numel !== 1) {
      throw new RangeError(`item: only a tensor with one element can be converted to a number, got shape ${fmtShape(this.shape)}`);
    }
    return this.data[0];
  }

  /** The elements as nested arrays (a number for a 0-d tensor). */
  toArray(): NestedArray {
    const build = (dim: number, offset: number, stride: number): NestedArray => {
      if (dim === this.ndim) return this.data[offset];
      const size = this.shape[dim];
      const inner = stride / size;
      const out: NestedArray[] = new Array(size);
      for (let i = 0; i < size; i++) out[i] = build(dim + 1, offset + i * inner, inner);
      return out;
    };
    return build(0, 0, this.numel);
  }

  /** Marks a leaf as requiring (or not) gradients; returns this tensor. */
  requiresGrad_(requiresGrad = true): this {
    if (!this.isLeaf) {
      throw new Error(
        'requiresGrad_: only leaf tensors can change requiresGrad; this tensor was produced by ' +
          `${this.gradFn?.name}. Use detach() to get a leaf.`,
      );
    }
    this.requiresGrad = requiresGrad;
    return this;
  }

  /** A tensor sharing this storage, cut from the graph (requiresGrad false). */
  detach(): Tensor {
    return new Tensor(this.data, this.shape, false);
  }

  /** Keeps the gradient of this non-leaf tensor in .grad after backward(). */
  retainGrad(): this {
    if (!this.requiresGrad) throw new Error("retainGrad: this tensor doesn't require grad");
    if (this.gradFn) this.gradFn.retained = this;
    return this;
  }

  /** Forgets the accumulated gradient (PyTorch's zero_grad with set_to_none). */
  zeroGrad(): void {
    this.grad = null;
  }
}
