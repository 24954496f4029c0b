// Users never dispose anything: over a thousand training steps of a small network (conv, pooling,
// dropout, linear, softmax cross-entropy, SGD), memory stays flat. After backward the graph has
// dropped what it saved; the engine's scratch buffers (pooling indices, dropout masks,
// cross-entropy's log-probabilities, native packing buffers) are reused from pools; the garbage
// collector frees the rest.
import * as v8 from 'node:v8';
import * as vm from 'node:vm';
import { describe, expect, test } from 'vitest';
import * as gn from '../src/index';
import { nativeAddon } from '../src/backend';
import { reuseFloat, scratchPoolBytes } from '../src/autograd/scratch';
import { lstmLayer } from '../src/ops/recurrent';
import type { Tensor } from '../src/index';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

function measure(): number {
  gc();
  gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

/** A small CNN on 8 x 1 x 12 x 12 inputs, trained with plain SGD; `keep` collects what a leaky loop would hold. */
function trainer(keep?: Tensor[]) {
  gn.manualSeed(7);
  const w1 = gn.randn([4, 1, 3, 3]).mul(0.3).requiresGrad_();
  const b1 = gn.zeros([4], { requiresGrad: true });
  const w2 = gn.randn([10, 4 * 6 * 6]).mul(0.05).requiresGrad_();
  const b2 = gn.zeros([10], { requiresGrad: true });
  const params = [w1, b1, w2, b2];
  const x = gn.randn([8, 1, 12, 12]);
  const labels = gn.randint(0, 10, [8]);
  const onehot = gn.zeros([8, 10]);
  for (let i = 0; i < 8; i++) onehot.data[i * 10 + labels.data[i]] = 1;
  return () => {
    const h = gn.conv2d(x, w1, b1, { padding: 1 }).relu().maxPool2d(2).dropout(0.25);
    const logits = h.flatten(1).linear(w2, b2);
    const loss = logits.logSoftmax(1).mul(onehot).sum().neg().div(8);
    keep?.push(h);
    for (const p of params) p.zeroGrad();
    loss.backward();
    gn.noGrad(() => {
      for (const p of params) {
        const g = p.grad as Tensor;
        for (let i = 0; i < p.numel; i++) p.data[i] -= 0.05 * g.data[i];
      }
    });
    return loss.item();
  };
}

describe('memory over a long training run', () => {
  test('stays flat over 1000 steps without any dispose()', () => {
    const step = trainer();
    let first = 0;
    for (let i = 0; i < 100; i++) first = step(); // warm up the pools and the JIT
    const before = measure();
    const scratchBefore = scratchPoolBytes();
    const nativeBefore = nativeAddon()?.scratchBytes() ?? 0;
    let last = 0;
    for (let i = 0; i < 1000; i++) last = step();
    const after = measure();
    expect(last).toBeLessThan(first); // it really trained
    // One step allocates about 60 KB of activations and gradients; a leak of even one 4.6 KB
    // activation per step would add 4.6 MB here.
    expect(after - before).toBeLessThan(1.5 * 1024 * 1024);
    expect(scratchPoolBytes()).toBeLessThanOrEqual(Math.max(scratchBefore, 64 * 1024));
    expect(nativeAddon()?.scratchBytes() ?? 0).toBeLessThanOrEqual(Math.max(nativeBefore, 4 * 1024 * 1024));
  });

  test("cross-entropy's log-probabilities go back to the scratch pool once backward has run", () => {
    const n = 37 * 1013; // a length nothing else here uses
    while (reuseFloat(n, 'float32')) {} // no such buffer pooled yet
    const logits = gn.randn([37, 1013]).requiresGrad_();
    const labels = gn.randint(0, 1013, [37]);
    const loss = gn.nn.crossEntropy(logits, labels);
    expect(reuseFloat(n, 'float32')).toBeNull(); // saved for backward: still in use
    loss.backward();
    // The gradient is logits.grad (the user's); the log-probabilities are the pool's again.
    const pooled = reuseFloat(n, 'float32');
    expect(pooled).not.toBeNull();
    expect(pooled).not.toBe(logits.grad?.data);
    // Arrays too small to be reused are left to the garbage collector, not piled up in the pool.
    const small = gn.nn.crossEntropy(gn.randn([4, 10]).requiresGrad_(), gn.randint(0, 10, [4]));
    const held = scratchPoolBytes();
    small.backward();
    expect(scratchPoolBytes()).toBe(held);
  });

  test("the LSTM layer op's saved gates go back to the scratch pool after backward, not before", () => {
    // The op alone, its input needing no gradient and the output's gradient the caller's: then no
    // gradient of the gates' size reaches the pool, only the gates saved by forward.
    const [T, N, H] = [6, 7, 101]; // gates: 6 * 7 * 404 floats (66 KB, pooled), a size nothing else here allocates
    const n = T * N * 4 * H;
    while (reuseFloat(n, 'float32')) {} // no such buffer pooled yet
    const whh = gn.randn([4 * H, H]).requiresGrad_();
    const y = lstmLayer(gn.randn([T, N, 4 * H]), whh, gn.zeros([N, H]), gn.zeros([N, H]));
    expect(reuseFloat(n, 'float32')).toBeNull(); // saved for backward: still in use
    y.backward(gn.ones(y.shape));
    expect(reuseFloat(n, 'float32')).not.toBeNull();
  });

  test('the measurement catches a leak of one activation per step', () => {
    const kept: Tensor[] = [];
    const step = trainer(kept);
    for (let i = 0; i < 100; i++) step();
    kept.length = 0;
    const before = measure();
    for (let i = 0; i < 1000; i++) step();
    const after = measure();
    // 1000 kept activations of 8 x 4 x 6 x 6 floats = 4.6 MB.
    expect(after - before).toBeGreaterThan(4 * 1024 * 1024);
  });
});
