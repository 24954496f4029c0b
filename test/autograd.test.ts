// Graph behaviour of the autograd engine: the chain rule across branches, accumulation, detach,
// noGrad, retained graphs and grads, custom functions, and what backward keeps alive.
import { describe, expect, test } from 'vitest';
import * as gn from '../src/index';
import { Context, Function as GnFunction, Tensor } from '../src/index';
import { scratchPoolBytes } from '../src/autograd/scratch';

/** How many entries of got differ from want (a count, so that a failure prints one number). */
const mismatches = (got: ArrayLike<number> | undefined, want: ArrayLike<number>) => {
  if (got === undefined || got.length !== want.length) return Infinity;
  let n = 0;
  for (let i = 0; i < want.length; i++) if (got[i] !== want[i]) n++;
  return n;
};

const arr = (t: Tensor | null) => {
  if (t === null) throw new Error('expected a gradient, got null');
  return Array.from(t.data);
};

describe('chain rule and accumulation', () => {
  test('gradients add where branches meet (fan-out)', () => {
    const x = gn.tensor([1, 2, 3], { requiresGrad: true });
    const y = x.mul(2).add(x.mul(3)).sum(); // dy/dx = 5
    y.backward();
    expect(arr(x.grad)).toEqual([5, 5, 5]);
  });

  test('a tensor used twice in one op gets both contributions', () => {
    const x = gn.tensor([1, -2, 3], { requiresGrad: true });
    x.mul(x).sum().backward(); // d(x^2)/dx = 2x
    expect(arr(x.grad)).toEqual([2, -4, 6]);
  });

  test('a non-leaf used by two consumers is differentiated once, after both', () => {
    const x = gn.tensor([0.5, -1], { requiresGrad: true });
    const a = x.exp();
    const y = a.mul(2).mul(a.mul(3)).sum(); // 6 e^{2x} -> 12 e^{2x}
    y.backward();
    const want = [0.5, -1].map((v) => 12 * Math.exp(2 * v));
    arr(x.grad).forEach((g, i) => expect(g).toBeCloseTo(want[i], 4));
  });

  test('gradients of broadcast operands are summed back to their shape', () => {
    const a = gn.ones([2, 3], { requiresGrad: true });
    const b = gn.tensor([1, 2, 3], { requiresGrad: true });
    const c = gn.tensor(2, { requiresGrad: true });
    a.mul(b).add(c).sum().backward();
    expect(arr(a.grad)).toEqual([1, 2, 3, 1, 2, 3]);
    expect(b.grad?.shape).toEqual([3]);
    expect(arr(b.grad)).toEqual([2, 2, 2]);
    expect(c.grad?.shape).toEqual([]);
    expect(arr(c.grad)).toEqual([6]);
  });

  test('leaf gradients accumulate over backward calls until zeroGrad', () => {
    const x = gn.tensor([1, 2], { requiresGrad: true });
    x.mul(3).sum().backward();
    x.mul(4).sum().backward();
    expect(arr(x.grad)).toEqual([7, 7]);
    x.zeroGrad();
    expect(x.grad).toBeNull();
    x.sum().backward();
    expect(arr(x.grad)).toEqual([1, 1]);
  });

  test('the first accumulated gradient is a copy, not an alias of a gradient flowing elsewhere', () => {
    const x = gn.tensor([1, 2], { requiresGrad: true });
    const g = gn.tensor([1, 1]);
    x.backward(g);
    x.grad?.data.fill(9);
    expect(Array.from(g.data)).toEqual([1, 1]);
  });

  test('backward of a non-scalar takes an explicit gradient (vector-Jacobian product)', () => {
    const x = gn.tensor([1, 2, 3], { requiresGrad: true });
    const y = x.mul(x);
    expect(() => y.backward()).toThrow(/implicitly only for a tensor with one element.*\[3\]/);
    y.backward(gn.tensor([1, 0, 2]));
    expect(arr(x.grad)).toEqual([2, 0, 12]);
  });

  test('backward checks the gradient shape', () => {
    const x = gn.tensor([1, 2, 3], { requiresGrad: true });
    expect(() => x.mul(2).backward(gn.ones([2]))).toThrow(/gradient has shape \[2\], but the tensor has shape \[3\]/);
  });

  test('a long chain does not overflow the stack', () => {
    const x = gn.tensor([1], { requiresGrad: true });
    let y = x;
    for (let i = 0; i < 20000; i++) y = y.add(1);
    y.sum().backward();
    expect(arr(x.grad)).toEqual([1]);
  });
});

describe('detach, noGrad, requiresGrad', () => {
  test('detach cuts the graph and shares storage', () => {
    const x = gn.tensor([2, 3], { requiresGrad: true });
    const d = x.detach();
    expect(d.requiresGrad).toBe(false);
    expect(d.data).toBe(x.data);
    x.mul(d).sum().backward(); // only the attached factor is differentiated
    expect(arr(x.grad)).toEqual([2, 3]);
  });

  test('noGrad records nothing', () => {
    const x = gn.tensor([1, 2], { requiresGrad: true });
    const y = gn.noGrad(() => x.mul(2));
    expect(y.requiresGrad).toBe(false);
    expect(y.gradFn).toBeNull();
    expect(() => y.sum().backward()).toThrow(/doesn't require grad/);
    expect(gn.isGradEnabled()).toBe(true);
  });

  test('noGrad holds across awaits and does not leak into concurrent tasks', async () => {
    const x = gn.tensor([1, 2], { requiresGrad: true });
    const tick = () => new Promise((r) => setTimeout(r, 5));
    const inside = gn.noGrad(async () => {
      await tick();
      const a = x.mul(2);
      await tick();
      return [a, gn.isGradEnabled()] as const;
    });
    const outside = (async () => {
      await tick();
      return x.mul(2);
    })();
    const [[a, enabled], b] = await Promise.all([inside, outside]);
    expect(enabled).toBe(false);
    expect(a.requiresGrad).toBe(false);
    expect(b.requiresGrad).toBe(true);
  });

  test('enableGrad records inside noGrad', () => {
    const x = gn.tensor([1, 2], { requiresGrad: true });
    const y = gn.noGrad(() => gn.enableGrad(() => x.mul(2)));
    expect(y.requiresGrad).toBe(true);
  });

  test('only leaves can change requiresGrad', () => {
    const x = gn.tensor([1], { requiresGrad: true });
    expect(() => x.mul(2).requiresGrad_(false)).toThrow(/only leaf tensors/);
    const z = gn.zeros([2]).requiresGrad_();
    expect(z.requiresGrad).toBe(true);
  });

  test('ops on tensors that need no grad record nothing', () => {
    const y = gn.tensor([1, 2]).mul(3).exp();
    expect(y.gradFn).toBeNull();
    expect(y.requiresGrad).toBe(false);
  });
});

describe('graph lifetime', () => {
  test('a second backward through the same graph is an error unless the graph was retained', () => {
    const x = gn.tensor([1, 2], { requiresGrad: true });
    const y = x.exp().sum();
    y.backward();
    expect(() => y.backward()).toThrow(/backward through the graph a second time.*retainGraph/);
  });

  test('retainGraph keeps saved tensors for another backward', () => {
    const x = gn.tensor([1, 2], { requiresGrad: true });
    const y = x.mul(x).sum();
    y.backward(null, { retainGraph: true });
    y.backward();
    expect(arr(x.grad)).toEqual([4, 8]);
  });

  test('backward releases what ops saved', () => {
    const x = gn.tensor([1, 2], { requiresGrad: true });
    const a = x.exp();
    const y = a.mul(x).sum();
    const nodes = [y.gradFn, a.gradFn];
    y.backward();
    for (const n of nodes) expect(n?.ctx.released).toBe(true);
  });

  test('graph nodes do not keep non-leaf inputs alive (only saved tensors)', () => {
    const x = gn.tensor([1, 2], { requiresGrad: true });
    const a = x.add(1); // add saves nothing
    const y = a.add(2);
    const node = y.gradFn;
    expect(node).not.toBeNull();
    // The node reaches its producer node, never the tensor `a` itself.
    const reachable = JSON.stringify(node?.next.map((e) => (e && 'node' in e ? e.node.name : e && 'leaf' in e ? 'leaf' : null)));
    expect(reachable).toBe('["add",null]'); // the second input is the constant 2
    expect(node?.ctx.savedTensors).toEqual([]);
  });

  test('retainGrad keeps the gradient of a non-leaf', () => {
    const x = gn.tensor([1, 2], { requiresGrad: true });
    const a = x.mul(3).retainGrad();
    const b = x.mul(5);
    a.mul(2).sum().backward();
    expect(arr(a.grad)).toEqual([2, 2]);
    expect(b.grad).toBeNull();
    expect(arr(x.grad)).toEqual([6, 6]);
  });
});

describe('gradient buffers reused between steps', () => {
  // Arrays of 64 KiB and more that the engine passed between library ops go back to the scratch
  // pool after the op that received them ran its backward; the next allocation of that size takes
  // one. These tests use 256 x 256 floats (256 KiB) so that every gradient qualifies.
  const N = 256;
  const weights = gn.rand([N, N]);
  /** 2 w + wᵀ, the gradient of sum(w * (2 x + xᵀ)) with respect to x. */
  const want = (() => {
    const w = weights.data;
    const out = new Float64Array(N * N);
    for (let i = 0; i < N; i++) for (let j = 0; j < N; j++) out[i * N + j] = 2 * w[i * N + j] + w[j * N + i];
    return Array.from(Float32Array.from(out));
  })();

  test('a gradient passed through to two ops is reused by neither (add gives both the same array)', () => {
    // add's backward hands one array to both branches; if the first branch to finish pooled it,
    // the transpose's backward would take it for its output and permute it in place.
    for (const order of ['a+b', 'b+a']) {
      for (let step = 0; step < 3; step++) {
        const x = gn.rand([N, N]).requiresGrad_();
        const a = x.mul(2);
        const b = x.t().mul(1);
        const z = order === 'a+b' ? a.add(b) : b.add(a);
        z.mul(weights).sum().backward();
        expect(mismatches(x.grad?.data, want), `${order} step ${step}`).toBe(0);
      }
    }
  });

  test('what a user-defined function receives or returns is never reused', () => {
    const kept: Tensor[] = [];
    const keep = gn.defineFunction({
      name: 'keep',
      forward(_ctx: Context, x: Tensor) {
        return x.mul(1);
      },
      backward(_ctx: Context, g: Tensor) {
        const out = g.mul(1);
        kept.push(g, out);
        return [out];
      },
    });
    const x = gn.rand([N, N]).requiresGrad_();
    keep(x.mul(3)).mul(weights).sum().backward();
    const snapshot = kept.map((t) => Array.from(t.data));
    for (let step = 0; step < 3; step++) {
      const y = gn.rand([N, N]).requiresGrad_();
      y.mul(2).relu().mul(weights).t().sum().backward();
    }
    kept.forEach((t, i) => expect(mismatches(t.data, snapshot[i]), `kept[${i}]`).toBe(0));
    expect(mismatches(snapshot[0], weights.data)).toBe(0);
  });

  test('a leaf takes the gradient array a library op made for it alone, never a shared one', () => {
    // add's backward gives both leaves the array it received: each leaf gets its own copy.
    const x = gn.rand([N, N]).requiresGrad_();
    const y = gn.rand([N, N]).requiresGrad_();
    x.add(y).mul(weights).sum().backward();
    expect(x.grad?.data).not.toBe(y.grad?.data);
    (x.grad as Tensor).data[0] = 12345;
    expect(y.grad?.data[0]).toBe(weights.data[0]);
    // mul's backward makes a new array for x: x.grad is that array, and the next steps leave it.
    const z = gn.rand([N, N]).requiresGrad_();
    z.mul(weights).sum().backward();
    const kept = Array.from(z.grad?.data ?? []);
    for (let step = 0; step < 3; step++) gn.rand([N, N]).requiresGrad_().mul(weights).mul(2).sum().backward();
    expect(mismatches(z.grad?.data, kept)).toBe(0);
    expect(mismatches(kept, weights.data)).toBe(0);
  });

  test('retained gradients are copies and leaf gradients are never pooled: later steps do not touch them', () => {
    const x = gn.rand([N, N]).requiresGrad_();
    const a = x.mul(2).retainGrad();
    a.mul(weights).sum().backward();
    const leaf = Array.from(x.grad?.data ?? []);
    const retained = Array.from(a.grad?.data ?? []);
    for (let step = 0; step < 3; step++) gn.rand([N, N]).requiresGrad_().mul(5).mul(weights).sum().backward();
    expect(mismatches(x.grad?.data, leaf)).toBe(0);
    expect(mismatches(a.grad?.data, retained)).toBe(0);
  });

  test('the engine does reuse them', () => {
    const x = gn.rand([N, N]).requiresGrad_();
    x.mul(2).relu().mul(weights).sum().backward();
    const before = scratchPoolBytes();
    expect(before).toBeGreaterThanOrEqual(N * N * 4);
    x.mul(2); // one allocation of that size
    expect(scratchPoolBytes()).toBe(before - N * N * 4);
  });
});

describe('custom differentiable functions', () => {
  // Identity forward whose backward clips the gradient: the engine must use the custom backward.
  const clipGrad = gn.defineFunction({
    name: 'clipGrad',
    forward(_ctx: Context, x: Tensor) {
      return x.clone();
    },
    backward(_ctx: Context, g: Tensor) {
      return [g.clamp(-1, 1)];
    },
  });

  test('defineFunction: the custom backward is what runs', () => {
    const x = gn.tensor([1, 2, 3], { requiresGrad: true });
    clipGrad(x).mul(gn.tensor([0.5, 3, -4])).sum().backward();
    expect(arr(x.grad)).toEqual([0.5, 1, -1]);
    expect(clipGrad(x).gradFn?.name).toBe('clipGrad');
  });

  class Cube extends GnFunction {
    static override forward(ctx: Context, x: Tensor): Tensor {
      ctx.saveForBackward(x);
      return x.mul(x).mul(x);
    }
    static override backward(ctx: Context, g: Tensor): Tensor[] {
      const [x] = ctx.savedTensors;
      return [g.mul(x).mul(x).mul(3)];
    }
  }

  test('Function subclass with static forward/backward, composed with library ops, passes gradcheck', () => {
    const x = gn.randn([4, 3], { requiresGrad: true });
    expect(gn.gradcheck((a) => (Cube.apply(a) as Tensor).add(a.sigmoid()).sum(1), [x])).toBe(true);
    const y = Cube.apply(x) as Tensor;
    expect(y.gradFn?.name).toBe('Cube');
  });

  test('needsInputGrad tells backward which gradients to compute', () => {
    const seen: boolean[][] = [];
    const f = gn.defineFunction({
      name: 'probe',
      forward(ctx: Context, a: Tensor, b: Tensor) {
        seen.push([...ctx.needsInputGrad]);
        return a.mul(b);
      },
      backward(ctx: Context, g: Tensor) {
        return [ctx.needsInputGrad[0] ? g : null, ctx.needsInputGrad[1] ? g : null];
      },
    });
    f(gn.ones([2], { requiresGrad: true }), gn.ones([2]));
    expect(seen).toEqual([[true, false]]);
  });

  test('a backward that returns a wrong shape is reported with the op name', () => {
    const bad = gn.defineFunction({
      name: 'bad',
      forward(_ctx: Context, x: Tensor) {
        return x.clone();
      },
      backward() {
        return [gn.ones([5])];
      },
    });
    expect(() => bad(gn.ones([2], { requiresGrad: true })).sum().backward()).toThrow(/bad backward: the gradient for input 0 has shape \[5\], expected \[2\]/);
  });

  test('a forward that does not return a tensor is an error', () => {
    const f = gn.defineFunction({ name: 'nothing', forward: (_ctx: Context, _x: Tensor) => 3 as unknown as Tensor, backward: () => null });
    expect(() => f(gn.ones([1]))).toThrow(/nothing: forward must return a Tensor/);
  });
});

describe('dtypes', () => {
  test('float64 tensors compute on the reference backend, mixed operands promote, grads keep input dtypes', () => {
    const a = gn.tensor([1, 2], { dtype: 'float64', requiresGrad: true });
    const b = gn.tensor([3, 4], { requiresGrad: true });
    const y = a.mul(b);
    expect(y.dtype).toBe('float64');
    y.sum().backward();
    expect(a.grad?.dtype).toBe('float64');
    expect(b.grad?.dtype).toBe('float32');
    expect(arr(b.grad)).toEqual([1, 2]);
  });
});
