/**
 * A recorded operation in the graph. Like PyTorch's autograd nodes, a Node points to the nodes that
 * produced its inputs (or to the leaf tensors that need gradients), never to non-leaf input tensors:
 * the only tensors a graph keeps alive are the ones an op saved for its backward, and backward drops
 * those as soon as it has used them.
 */
import type { DType, Tensor } from '../tensor';

/** Where the gradient for one input of a node goes. */
export type Edge = { node: Node } | { leaf: Tensor };

/**
 * The context an op's forward receives and its backward reads: the tensors saved for backward
 * (saveForBackward), which inputs need gradients, and any other values the op stores on it.
 */
export class Context {
  /** needsInputGrad[i]: whether the i-th tensor argument of forward needs a gradient. */
  readonly needsInputGrad: readonly boolean[];
  // Ops keep plain values (shapes, options) on the context.
  [key: string]: unknown;
  private saved: Tensor[] | null = [];
  private releaseHooks: (() => void)[] = [];

  constructor(needsInputGrad: readonly boolean[]) {
    this.needsInputGrad = needsInputGrad;
  }

  /** Keeps tensors for backward. They are dropped once backward has run. */
  saveForBackward(...tensors: Tensor[]): void {
    if (this.saved === null) throw new Error('saveForBackward: the context was already released');
    this.saved.push(...tensors);
  }

  /** The tensors saved by forward, in order. */
  get savedTensors(): Tensor[] {
    if (this.saved === null) {
      throw new Error(
        'backward: trying to backward through the graph a second time (or to read saved tensors ' +
          'after they were freed). Saved values are freed when backward() runs; call ' +
          'backward({ retainGraph: true }) the first time to keep them.',
      );
    }
    return this.saved;
  }

  /** Registers a function to run when the saved state is released (e.g. return a pooled buffer). */
  onRelease(fn: () => void): void {
    this.releaseHooks.push(fn);
  }

  get released(): boolean {
    return this.saved === null;
  }

  release(): void {
    if (this.saved === null) return;
    this.saved = null;
    const hooks = this.releaseHooks;
    this.releaseHooks = [];
    for (const h of hooks) h();
  }
}

export type BackwardResult = Tensor | null | undefined | (Tensor | null | undefined)[];
export type BackwardFn = (ctx: Context, grad: Tensor) => BackwardResult;

export class Node {
  /** The tensor whose gradient retainGrad() asked to keep. */
  retained: Tensor | null = null;

  constructor(
    /** The op's name, for messages and printing. */
    readonly name: string,
    readonly ctx: Context,
    readonly backward: BackwardFn,
    /** One entry per tensor input: where its gradient goes (null when it needs none). */
    readonly next: readonly (Edge | null)[],
    /** Shapes and dtypes of the tensor inputs, to check and cast the gradients backward returns. */
    readonly inputShapes: readonly (readonly number[])[],
    readonly inputDtypes: readonly DType[],
    /** A library op (FunctionSpec.libraryOp): the engine may recycle its incoming gradient. */
    readonly libraryOp = false,
  ) {}
}
