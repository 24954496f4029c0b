/**
 * backward(): walks the graph from a tensor in reverse topological order and applies each node's
 * backward (the chain rule). Gradients that reach a node from several consumers are added before it
 * runs (fan-out accumulation); gradients reaching a leaf are added into leaf.grad. Unless
 * retainGraph is set, each node drops what it saved as soon as its backward has run.
 *
 * Gradients passed between the library's ops are the engine's own: once a library op's backward
 * has run, nothing reads the gradient it was given, so its buffer goes to the scratch pool
 * (scratch.ts) for the next allocation of that size, unless a buffer is shared: a backward that
 * passes its gradient through (add, reshape, clone) or returns one array twice marks the buffer
 * shared for good, and so does everything a user-defined function receives or returns. A leaf's
 * gradient is the array a library op made for that leaf alone (no copy) or else a copy, retained
 * gradients are copies, and the root's gradient is the caller's: none of them is ever pooled.
 */
import { backendFor } from '../backend';
import type { FloatArray } from '../backend/backend';
import { contiguousStrides, fmtShape, shapesEqual } from '../shape';
import { type DType, Tensor } from '../tensor';
import { noGrad } from './grad_mode';
import type { Node } from './node';
import { isWholeBuffer, recycleArray } from './scratch';

/** Buffers of gradients that something other than one op's backward may still read. */
const shared = new WeakSet<ArrayBufferLike>();

/** Gives g's buffer to the pool if it is a whole, unshared, large float array. */
function recycle(g: Tensor): void {
  if (!shared.has(g.data.buffer)) recycleArray(g.data);
}

export interface BackwardOptions {
  /** Keep saved tensors so that backward can run through this graph again. */
  retainGraph?: boolean;
}

function castData(data: FloatArray, dtype: DType): FloatArray {
  if (dtype === 'float64') return data instanceof Float64Array ? data : Float64Array.from(data);
  return data instanceof Float32Array ? data : Float32Array.from(data);
}

/** a + b as a new tensor (same shapes). */
function addTensors(a: Tensor, b: Tensor): Tensor {
  const out = new Tensor(new (a.data.constructor as typeof Float32Array)(a.numel), a.shape);
  const s = contiguousStrides(a.shape);
  backendFor(a.data, b.data).binary('add', a.data, s, castData(b.data, a.dtype), s, out.data, a.shape.slice());
  return out;
}

/**
 * Adds g into t.grad: in place when t has a gradient; otherwise t.grad becomes a copy of g, or g's
 * own buffer when `owned` (a library op made it for this edge alone: nothing else reads it, and the
 * engine pools only the gradients nodes receive, never those of leaves).
 */
function accumulateGrad(t: Tensor, g: Tensor, owned = false): void {
  const data = castData(g.data, t.dtype);
  if (t.grad === null) {
    t.grad = new Tensor(data === g.data && !owned ? data.slice() : data, t.shape);
    return;
  }
  const s = contiguousStrides(t.shape);
  backendFor(t.grad.data).binary('add', t.grad.data, s, data, s, t.grad.data, t.shape.slice());
}

/** Nodes reachable from root, each after every node that consumes its output. */
function topologicalOrder(root: Node): Node[] {
  const order: Node[] = [];
  const visited = new Set<Node>();
  // Iterative post-order DFS (deep graphs such as long RNN unrolls would overflow the JS stack).
  const stack: [Node, number][] = [[root, 0]];
  visited.add(root);
  while (stack.length > 0) {
    const top = stack[stack.length - 1];
    const [node, i] = top;
    if (i < node.next.length) {
      top[1]++;
      const edge = node.next[i];
      if (edge && 'node' in edge && !visited.has(edge.node)) {
        visited.add(edge.node);
        stack.push([edge.node, 0]);
      }
    } else {
      stack.pop();
      order.push(node);
    }
  }
  return order.reverse();
}

export function backward(root: Tensor, gradient?: Tensor | null, options: BackwardOptions = {}): void {
  if (!root.requiresGrad) {
    throw new Error(
      "backward: this tensor doesn't require grad: nothing recorded how it was computed. Create the " +
        'inputs with requiresGrad: true (or call requiresGrad_() on them), outside noGrad().',
    );
  }
  let grad: Tensor;
  if (gradient === undefined || gradient === null) {
    if (root.numel !== 1) {
      throw new Error(
        `backward: a gradient can be created implicitly only for a tensor with one element; this one has ` +
          `shape ${fmtShape(root.shape)}. Pass the gradient of the same shape: t.backward(grad).`,
      );
    }
    const ones = new (root.data.constructor as typeof Float32Array)(1);
    ones[0] = 1;
    grad = new Tensor(ones, root.shape);
  } else {
    if (!(gradient instanceof Tensor)) throw new TypeError('backward: gradient must be a Tensor');
    if (!shapesEqual(gradient.shape, root.shape)) {
      throw new Error(
        `backward: gradient has shape ${fmtShape(gradient.shape)}, but the tensor has shape ${fmtShape(root.shape)}`,
      );
    }
    grad = new Tensor(castData(gradient.data, root.dtype), root.shape);
  }
  if (root.gradFn === null) {
    accumulateGrad(root, grad);
    return;
  }
  const retain = options.retainGraph === true;
  const order = topologicalOrder(root.gradFn);
  for (const node of order) {
    if (node.ctx.released) void node.ctx.savedTensors; // throws the "second backward" error
  }
  const grads = new Map<Node, Tensor>([[root.gradFn, grad]]);
  noGrad(() => {
    for (const node of order) {
      const g = grads.get(node);
      grads.delete(node);
      if (g === undefined) continue;
      if (node.retained) accumulateGrad(node.retained, g);
      const raw = node.backward(node.ctx, g);
      const inputGrads = Array.isArray(raw) ? raw : [raw];
      // Which buffers leave this backward more than once (or are the incoming one, or pass
      // through user code): those are shared, and neither g nor they are pooled later.
      const seen = new Set<ArrayBufferLike>([g.data.buffer]);
      let passedThrough = !node.libraryOp;
      for (const gi of inputGrads) {
        if (!(gi instanceof Tensor)) continue;
        const b = gi.data.buffer;
        if (!node.libraryOp || seen.has(b)) {
          shared.add(b);
          if (b === g.data.buffer) passedThrough = true;
        }
        seen.add(b);
      }
      if (inputGrads.length < node.next.length && node.next.length > 1) {
        throw new Error(
          `${node.name} backward returned ${inputGrads.length} gradients for ${node.next.length} tensor inputs`,
        );
      }
      node.next.forEach((edge, i) => {
        const gi = inputGrads[i];
        if (!edge || gi === null || gi === undefined) return;
        if (!(gi instanceof Tensor)) throw new TypeError(`${node.name} backward: gradient ${i} is not a Tensor`);
        if (!shapesEqual(gi.shape, node.inputShapes[i])) {
          throw new Error(
            `${node.name} backward: the gradient for input ${i} has shape ${fmtShape(gi.shape)}, ` +
              `expected ${fmtShape(node.inputShapes[i])}`,
          );
        }
        const typed = gi.dtype === node.inputDtypes[i] ? gi : new Tensor(castData(gi.data, node.inputDtypes[i]), gi.shape);
        if ('leaf' in edge) {
          // A buffer passed through (g's own) or returned twice is in `shared` (marked above).
          accumulateGrad(edge.leaf, typed, node.libraryOp && isWholeBuffer(typed.data) && !shared.has(typed.data.buffer));
        } else {
          const prev = grads.get(edge.node);
          grads.set(edge.node, prev ? addTensors(prev, typed) : typed);
        }
      });
      if (!retain) node.ctx.release();
      if (g !== grad && !passedThrough) recycle(g);
    }
  });
}
