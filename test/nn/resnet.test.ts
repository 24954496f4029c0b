// The ResNet basic block example (examples/resnet_block.ts): shapes with and without
// downsampling, the forward wiring against the same computation written out with the functional
// ops, gradients reaching every parameter and the input through both paths, and a tiny residual
// network whose loss falls under a few steps of SGD.
import { beforeEach, describe, expect, test } from 'vitest';
import * as gn from '../../src/index';
import type { Tensor } from '../../src/tensor';
import { BasicBlock, TinyResNet } from '../../examples/resnet_block';

beforeEach(() => {
  gn.manualSeed(31);
});

const names = (m: InstanceType<typeof gn.nn.Module>) => m.namedParameters().map(([k]) => k);
const BLOCK = ['conv1.weight', 'bn1.weight', 'bn1.bias', 'conv2.weight', 'bn2.weight', 'bn2.bias'];
const PROJECTION = ['shortcut.0.weight', 'shortcut.1.weight', 'shortcut.1.bias'];

describe('BasicBlock shapes and shortcut', () => {
  test('same channels, stride 1: shape kept, identity shortcut without parameters', () => {
    const b = new BasicBlock(8, 8);
    expect(b.forward(gn.randn([2, 8, 6, 5])).shape).toEqual([2, 8, 6, 5]);
    expect(b.shortcut).toBeInstanceOf(gn.nn.Identity);
    expect(names(b)).toEqual(BLOCK);
    expect(b.numParameters()).toBe(2 * 8 * 8 * 9 + 4 * 8);
  });

  test('stride 2 and more channels: downsampled, 1x1 conv + batch norm shortcut', () => {
    const b = new BasicBlock(8, 16, 2);
    expect(b.forward(gn.randn([2, 8, 7, 7])).shape).toEqual([2, 16, 4, 4]);
    expect(b.forward(gn.randn([2, 8, 6, 6])).shape).toEqual([2, 16, 3, 3]);
    expect(names(b)).toEqual([...BLOCK, ...PROJECTION]);
    expect((b.shortcut as InstanceType<typeof gn.nn.Sequential>).at(0).toString()).toBe('Conv2d(8, 16, kernelSize=[1,1], stride=2, padding=0, bias=false)');
  });

  test('a projection also when only the channels, or only the stride, change', () => {
    expect(new BasicBlock(4, 6).forward(gn.randn([1, 4, 5, 5])).shape).toEqual([1, 6, 5, 5]);
    expect(names(new BasicBlock(4, 6))).toEqual([...BLOCK, ...PROJECTION]);
    expect(new BasicBlock(4, 4, 2).forward(gn.randn([1, 4, 5, 5])).shape).toEqual([1, 4, 3, 3]);
    expect(names(new BasicBlock(4, 4, 2))).toEqual([...BLOCK, ...PROJECTION]);
  });
});

describe('BasicBlock forward and backward', () => {
  /** Non-trivial eval-mode batch norms: random running statistics and affine parameters. */
  function randomiseNorms(b: BasicBlock): void {
    for (const m of b.modules()) {
      if (m instanceof gn.nn.BatchNorm2d) {
        gn.nn.init.normal_(m.running_mean as Tensor, 0, 0.3);
        gn.nn.init.uniform_(m.running_var as Tensor, 0.5, 2);
        gn.nn.init.normal_(m.weight as Tensor, 1, 0.3);
        gn.nn.init.normal_(m.bias as Tensor, 0, 0.3);
      }
    }
  }

  function bn(x: Tensor, m: InstanceType<typeof gn.nn.BatchNorm2d>): Tensor {
    return gn.nn.functional.batchNorm(x, m.running_mean, m.running_var, m.weight, m.bias, { training: false });
  }

  for (const [cIn, cOut, stride] of [[4, 4, 1], [4, 6, 2]] as const) {
    test(`equals relu(bn2(conv2(relu(bn1(conv1 x)))) + shortcut(x)) written out (${cIn} -> ${cOut}, stride ${stride})`, () => {
      const b = new BasicBlock(cIn, cOut, stride);
      randomiseNorms(b);
      b.eval();
      const x = gn.randn([2, cIn, 6, 6]);
      const h = bn(gn.conv2d(x, b.conv1.weight, null, { stride, padding: 1 }), b.bn1).relu();
      const y = bn(gn.conv2d(h, b.conv2.weight, null, { padding: 1 }), b.bn2);
      let s = x;
      if (stride !== 1 || cIn !== cOut) {
        const proj = b.shortcut as InstanceType<typeof gn.nn.Sequential>;
        s = bn(gn.conv2d(x, (proj.at(0) as InstanceType<typeof gn.nn.Conv2d>).weight, null, { stride }), proj.at(1) as InstanceType<typeof gn.nn.BatchNorm2d>);
      }
      const want = y.add(s).relu();
      const got = b.forward(x);
      expect(got.shape).toEqual(want.shape);
      expect(Array.from(got.data)).toEqual(Array.from(want.data));
      expect(Math.min(...got.data)).toBe(0); // the final relu
    });
  }

  for (const [cIn, cOut, stride] of [[4, 4, 1], [4, 6, 2]] as const) {
    test(`gradients reach every parameter and the input (${cIn} -> ${cOut}, stride ${stride}, training mode)`, () => {
      const b = new BasicBlock(cIn, cOut, stride);
      const x = gn.randn([3, cIn, 6, 6], { requiresGrad: true });
      const out = b.forward(x);
      out.mul(gn.randnLike(out)).sum().backward();
      for (const [k, p] of b.namedParameters()) {
        expect(p.grad, k).not.toBeNull();
        expect(Array.from((p.grad as Tensor).data).some((v) => v !== 0), `${k} has a non-zero gradient`).toBe(true);
        expect(Array.from((p.grad as Tensor).data).every(Number.isFinite), `${k} finite`).toBe(true);
      }
      expect(Array.from((x.grad as Tensor).data).some((v) => v !== 0)).toBe(true);
    });
  }

  test('with the residual branch silenced the block is relu(x): the identity path carries the gradient', () => {
    const b = new BasicBlock(3, 3);
    gn.nn.init.zeros_(b.bn2.weight as Tensor);
    gn.nn.init.zeros_(b.bn2.bias as Tensor);
    const x = gn.randn([2, 3, 4, 4], { requiresGrad: true });
    const g = gn.randn([2, 3, 4, 4]);
    const out = b.forward(x);
    expect(Array.from(out.data)).toEqual(Array.from(x.data).map((v) => Math.max(v, 0)));
    out.backward(g);
    expect(Array.from((x.grad as Tensor).data)).toEqual(Array.from(g.data).map((v, i) => (x.data[i] > 0 ? v : 0)));
  });
});

describe('TinyResNet', () => {
  test('scores of shape [N, classes], and the parameter count from the layer formulas', () => {
    const net = new TinyResNet({ inChannels: 3, widths: [8, 16], numClasses: 4 });
    expect(net.forward(gn.randn([2, 3, 8, 8])).shape).toEqual([2, 4]);
    const stem = 3 * 8 * 9 + 2 * 8;
    const stage1 = 2 * 8 * 8 * 9 + 4 * 8;
    const stage2 = 8 * 16 * 9 + 16 * 16 * 9 + 4 * 16 + 8 * 16 + 2 * 16;
    const fc = 16 * 4 + 4;
    expect(net.numParameters()).toBe(stem + stage1 + stage2 + fc);
    expect(names(net).filter((k) => k.includes('shortcut'))).toEqual(PROJECTION.map((k) => `stages.1.0.${k}`));
  });

  test('a few SGD steps on a fixed batch reduce the cross-entropy, with gradients at every parameter', () => {
    const net = new TinyResNet({ inChannels: 3, widths: [4, 8], blocksPerStage: 2, numClasses: 3 });
    const x = gn.randn([8, 3, 8, 8]);
    const y = gn.randint(0, 3, [8]);
    const opt = new gn.optim.SGD(net.parameters(), { lr: 0.05, momentum: 0.9 });
    const losses: number[] = [];
    for (let step = 0; step < 6; step++) {
      opt.zeroGrad();
      const loss = gn.nn.crossEntropy(net.forward(x), y);
      loss.backward();
      if (step === 0) {
        for (const [k, p] of net.namedParameters()) expect(p.grad, k).not.toBeNull();
      }
      opt.step();
      losses.push(loss.item());
    }
    expect(losses.every(Number.isFinite)).toBe(true);
    expect(losses[losses.length - 1]).toBeLessThan(0.9 * losses[0]);
  });
});
