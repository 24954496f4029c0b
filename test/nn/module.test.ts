// The Module API: parameters found by reflection with dotted names through containers and custom
// modules, shared parameters, train/eval reaching every submodule, state dicts with persistent and
// non-persistent buffers, loadStateDict's all-at-once error report (nothing applied on error),
// apply, zeroGrad, toString and summary.
import { beforeEach, describe, expect, test } from 'vitest';
import * as gn from '../../src/index';
import { Module, Parameter } from '../../src/nn';
import { scratchPoolBytes } from '../../src/autograd/scratch';
import type { Tensor } from '../../src/tensor';

const { BatchNorm1d, BatchNorm2d, Conv2d, Dropout, Flatten, Linear, MaxPool2d, ModuleDict, ModuleList, ReLU, Sequential } = gn.nn;

beforeEach(() => {
  gn.manualSeed(20);
});

/** A custom module: own parameter, a Sequential, a ModuleDict and a ModuleList, nested. */
class Net extends Module {
  scale = new Parameter(gn.ones([1]));
  features = new Sequential(new Conv2d(1, 2, 3), new ReLU(), new Conv2d(2, 2, 1, { bias: false }));
  heads = new ModuleDict({ cls: new Linear(2, 3), box: new Sequential({ fc: new Linear(2, 4), act: new ReLU() }) });
  blocks = new ModuleList([new Linear(2, 2), new Sequential(new Linear(2, 2, { bias: false }))]);

  forward(x: Tensor): Tensor {
    let h = this.features.forward(x).mean([2, 3]).mul(this.scale);
    for (const b of this.blocks) h = (b as unknown as { forward(t: Tensor): Tensor }).forward(h);
    const cls = (this.heads.get('cls') as InstanceType<typeof Linear>).forward(h);
    const box = (this.heads.get('box') as InstanceType<typeof Sequential>).forward(h);
    return cls.sum().add(box.sum());
  }
}

/** LeNet-5 for 28x28 inputs (conv1 padded to 32x32 as in the original). */
function leNet5() {
  return new Sequential(
    new Conv2d(1, 6, 5, { padding: 2 }), new ReLU(), new MaxPool2d(2),
    new Conv2d(6, 16, 5), new ReLU(), new MaxPool2d(2),
    new Flatten(),
    new Linear(16 * 5 * 5, 120), new ReLU(),
    new Linear(120, 84), new ReLU(),
    new Linear(84, 10),
  );
}

const dataOf = (t: Tensor) => Array.from(t.data);

describe('namedParameters', () => {
  test('dotted names through custom modules, Sequential, ModuleDict and ModuleList, own parameters first', () => {
    expect(new Net().namedParameters().map(([k]) => k)).toEqual([
      'scale',
      'features.0.weight',
      'features.0.bias',
      'features.2.weight',
      'heads.cls.weight',
      'heads.cls.bias',
      'heads.box.fc.weight',
      'heads.box.fc.bias',
      'blocks.0.weight',
      'blocks.0.bias',
      'blocks.1.0.weight',
    ]);
  });

  test('the names are the tensors: parameters() and the attributes are the same objects', () => {
    const net = new Net();
    const named = new Map(net.namedParameters());
    expect(named.get('features.0.weight')).toBe((net.features.at(0) as InstanceType<typeof Conv2d>).weight);
    expect(named.get('heads.box.fc.bias')).toBe(((net.heads.get('box') as InstanceType<typeof Sequential>).at(0) as InstanceType<typeof Linear>).bias);
    expect(net.parameters()).toEqual([...named.values()]);
    expect(net.numParameters()).toBe(1 + (18 + 2) + 4 + (6 + 3) + (8 + 4) + (4 + 2) + 4);
  });

  test('namedModules lists every module depth first with its dotted name', () => {
    expect(new Net().namedModules().map(([k, m]) => `${k}:${m.constructor.name}`)).toEqual([
      ':Net',
      'features:Sequential', 'features.0:Conv2d', 'features.1:ReLU', 'features.2:Conv2d',
      'heads:ModuleDict', 'heads.cls:Linear', 'heads.box:Sequential', 'heads.box.fc:Linear', 'heads.box.act:ReLU',
      'blocks:ModuleList', 'blocks.0:Linear', 'blocks.1:Sequential', 'blocks.1.0:Linear',
    ]);
  });

  test('a parameter shared by two modules is listed once, and collects both gradients', () => {
    const a = new Linear(3, 3);
    const b = new Linear(3, 3);
    b.weight = a.weight;
    const net = new Sequential(a, b);
    expect(net.namedParameters().map(([k]) => k)).toEqual(['0.weight', '0.bias', '1.bias']);
    expect(net.numParameters()).toBe(9 + 3 + 3);
    expect(Object.keys(net.stateDict())).toEqual(['0.weight', '0.bias', '1.bias']);

    const x = gn.randn([2, 3]);
    net.forward(x).sum().backward();
    // d/dW of sum(b(a(x))) with W shared: the two uses' gradients added.
    const W = a.weight.detach().requiresGrad_();
    const h = gn.linear(x, W, (a.bias as Tensor).detach());
    const W2 = a.weight.detach().requiresGrad_();
    gn.linear(h, W2, (b.bias as Tensor).detach()).sum().backward();
    const want = gn.add(W.grad as Tensor, W2.grad as Tensor);
    dataOf(a.weight.grad as Tensor).forEach((v, i) => expect(v).toBeCloseTo(want.data[i], 5));
  });

  test('a module used twice contributes its parameters once', () => {
    const l = new Linear(2, 2);
    const net = new Sequential(l, new ReLU(), l);
    expect(net.namedParameters().map(([k]) => k)).toEqual(['0.weight', '0.bias']);
    expect(net.numParameters()).toBe(6);
  });

  test('underscore names are registered like any other; ES private fields are not', () => {
    // Regression: names starting with '_' were skipped, so `_fc = new Linear(...)` (a common
    // TypeScript style) silently left the layer out of parameters(), the optimizer and the state dict.
    class M extends Module {
      _fc = new Linear(2, 2);
      _gain = new Parameter(gn.ones([1]));
      #teacher = new Linear(2, 2);
      forward(x: Tensor): Tensor {
        return this._fc.forward(x).mul(this._gain).add(this.#teacher.forward(x).detach());
      }
    }
    const m = new M();
    expect(m.namedParameters().map(([k]) => k)).toEqual(['_gain', '_fc.weight', '_fc.bias']);
    expect(Object.keys(m.stateDict())).toEqual(['_gain', '_fc.weight', '_fc.bias']);
    expect(m.namedModules().map(([k]) => k)).toEqual(['', '_fc']);
    m.eval();
    expect(m._fc.training).toBe(false);
  });

  test('Sequential with named layers uses the names', () => {
    const net = new Sequential({ embed: new Linear(2, 3), out: new Linear(3, 1) });
    expect(net.namedParameters().map(([k]) => k)).toEqual(['embed.weight', 'embed.bias', 'out.weight', 'out.bias']);
    expect(net.forward(gn.randn([4, 2])).shape).toEqual([4, 1]);
  });

  test('containers refuse non-modules and dotted keys', () => {
    expect(() => new Sequential(new Linear(1, 1), {} as Module)).toThrow(/Sequential: layer 1: expected a Module/);
    expect(() => new ModuleList([null as unknown as Module])).toThrow(/ModuleList: item 0: expected a Module, got null/);
    expect(() => new ModuleDict({ 'a.b': new ReLU() })).toThrow(/key must be a non-empty string without '\.'/);
  });
});

describe('train() and eval()', () => {
  /** Dropout and batch norm hidden in a ModuleDict inside a ModuleList inside a custom module. */
  class Deep extends Module {
    stack = new ModuleList([new ModuleDict({ body: new Sequential(new Linear(4, 4), new BatchNorm1d(4), new Dropout(0.5)) })]);
    forward(x: Tensor): Tensor {
      return ((this.stack.at(0) as InstanceType<typeof ModuleDict>).get('body') as InstanceType<typeof Sequential>).forward(x);
    }
  }
  const bnOf = (m: Deep) => ((m.stack.at(0) as InstanceType<typeof ModuleDict>).get('body') as InstanceType<typeof Sequential>).at(1) as InstanceType<typeof BatchNorm1d>;

  test('reach every submodule', () => {
    const m = new Deep();
    expect(m.modules().every((s) => s.training)).toBe(true);
    expect(m.eval()).toBe(m);
    expect(m.modules().map((s) => s.training)).toEqual(m.modules().map(() => false));
    m.train();
    expect(m.modules().every((s) => s.training)).toBe(true);
    m.train(false);
    expect(m.modules().some((s) => s.training)).toBe(false);
  });

  test('eval mode: dropout is the identity and batch norm uses (and keeps) the running statistics', () => {
    const m = new Deep();
    const x = gn.randn([16, 4]);
    m.forward(x); // one training step moves the running statistics
    const bn = bnOf(m);
    const rm = dataOf(bn.running_mean as Tensor);
    const rv = dataOf(bn.running_var as Tensor);
    expect(rm.some((v) => v !== 0)).toBe(true);
    m.eval();
    const y1 = m.forward(x);
    const y2 = m.forward(x);
    expect(dataOf(y1)).toEqual(dataOf(y2)); // deterministic: no dropout, no batch statistics
    expect(dataOf(bn.running_mean as Tensor)).toEqual(rm);
    expect(dataOf(bn.running_var as Tensor)).toEqual(rv);
    // The value: linear, then (h - running_mean) / sqrt(running_var + eps) * weight + bias.
    const body = (m.stack.at(0) as InstanceType<typeof ModuleDict>).get('body') as InstanceType<typeof Sequential>;
    const h = (body.at(0) as InstanceType<typeof Linear>).forward(x);
    for (let i = 0; i < 16; i++) {
      for (let c = 0; c < 4; c++) {
        const want = ((h.data[i * 4 + c] - rm[c]) / Math.sqrt(rv[c] + 1e-5)) * (bn.weight as Tensor).data[c] + (bn.bias as Tensor).data[c];
        expect(y1.data[i * 4 + c]).toBeCloseTo(want, 5);
      }
    }
  });

  test('training mode: dropout zeroes elements and batch norm updates its statistics', () => {
    const m = new Deep();
    const x = gn.randn([64, 4]);
    const y = m.forward(x);
    const zeros = dataOf(y).filter((v) => v === 0).length;
    expect(zeros).toBeGreaterThan(64 * 4 * 0.3); // p = 0.5 of 256: far from both 0 and all
    expect(zeros).toBeLessThan(64 * 4 * 0.7);
    expect(dataOf(bnOf(m).num_batches_tracked as Tensor)).toEqual([1]);
  });
});

describe('state dicts', () => {
  class WithBuffers extends Module {
    w = new Parameter(gn.tensor([1, 2]));
    inner: Module;
    constructor() {
      super();
      this.registerBuffer('total', gn.tensor([5, 6]));
      this.registerBuffer('cache', gn.zeros([3]), false);
      this.inner = new BatchNorm2d(2);
    }
    forward(x: Tensor): Tensor {
      return x;
    }
  }

  test('hold parameters and persistent buffers; non-persistent buffers are buffers but not state', () => {
    const m = new WithBuffers();
    expect(Object.keys(m.stateDict())).toEqual([
      'w', 'inner.weight', 'inner.bias', 'total', 'inner.running_mean', 'inner.running_var', 'inner.num_batches_tracked',
    ]);
    expect(m.namedBuffers().map(([k]) => k)).toEqual(['total', 'cache', 'inner.running_mean', 'inner.running_var', 'inner.num_batches_tracked']);
    expect(m.namedBuffers(true).map(([k]) => k)).not.toContain('cache');
    expect(m.namedParameters().map(([k]) => k)).toEqual(['w', 'inner.weight', 'inner.bias']);
  });

  test('entries share the module storage, cut from the graph', () => {
    const m = new WithBuffers();
    const sd = m.stateDict();
    expect(sd.w.data).toBe(m.w.data);
    expect(sd.w.requiresGrad).toBe(false);
    expect(sd.w).not.toBe(m.w);
    sd.total.data[0] = 50;
    expect(dataOf((m as unknown as { total: Tensor }).total)).toEqual([50, 6]);
  });

  test('a buffer name with a dot is refused', () => {
    expect(() => new WithBuffers().registerBuffer('a.b', gn.zeros([1]))).toThrow(/buffer name must be a non-empty string without '\.'/);
  });

  test('a state dict loads into another model of the same shape, which then computes the same', () => {
    const a = leNet5();
    gn.manualSeed(99);
    const b = leNet5();
    const x = gn.randn([2, 1, 28, 28]);
    expect(dataOf(b.forward(x))).not.toEqual(dataOf(a.forward(x)));
    const params = b.parameters();
    const res = b.loadStateDict(a.stateDict());
    expect(res).toEqual({ missingKeys: [], unexpectedKeys: [] });
    expect(dataOf(b.forward(x))).toEqual(dataOf(a.forward(x)));
    b.parameters().forEach((p, i) => expect(p).toBe(params[i])); // same objects: optimizers stay attached
  });
});

describe('loadStateDict errors', () => {
  const model = () => new Sequential(new Linear(3, 2), new BatchNorm1d(2));
  const snapshot = (m: Module) => Object.entries(m.stateDict()).map(([k, t]) => [k, dataOf(t)]);

  function badDict(m: Module): Record<string, Tensor> {
    // Copies (state dict entries share the module's storage) of 7s: they would change everything if applied.
    const out: Record<string, Tensor> = {};
    for (const [k, t] of Object.entries(m.stateDict())) out[k] = gn.full(t.shape, 7);
    delete out['0.bias']; // missing
    delete out['1.running_var']; // missing
    out['0.weight'] = gn.zeros([2, 4]); // mis-shaped
    out['1.bias'] = gn.zeros([3]); // mis-shaped
    out['2.weight'] = gn.zeros([1]); // unexpected
    out.extra = gn.zeros([1]); // unexpected
    return out;
  }

  test('strict: every missing, unexpected and mis-shaped key in one error, and nothing applied', () => {
    const m = model();
    const before = snapshot(m);
    let message = '';
    try {
      m.loadStateDict(badDict(m));
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toMatch(/nothing was loaded/);
    expect(message).toContain('0.weight: shape [2,4] in the state dict, [2,3] in the model');
    expect(message).toContain('1.bias: shape [3] in the state dict, [2] in the model');
    expect(message).toContain('missing keys: 0.bias, 1.running_var');
    expect(message).toContain('unexpected keys: 2.weight, extra');
    expect(snapshot(m)).toEqual(before);
  });

  test('not strict: missing and unexpected keys are returned, but a shape mismatch still refuses everything', () => {
    const m = model();
    const before = snapshot(m);
    let message = '';
    try {
      m.loadStateDict(badDict(m), { strict: false });
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toContain('0.weight: shape [2,4]');
    expect(message).toContain('1.bias: shape [3]');
    expect(message).not.toContain('missing keys');
    expect(snapshot(m)).toEqual(before);

    const sd = badDict(m);
    sd['0.weight'] = gn.full([2, 3], 7);
    sd['1.bias'] = gn.full([2], 7);
    const res = m.loadStateDict(sd, { strict: false });
    expect(res).toEqual({ missingKeys: ['0.bias', '1.running_var'], unexpectedKeys: ['2.weight', 'extra'] });
    const after = new Map(snapshot(m) as [string, number[]][]);
    expect(after.get('0.weight')).toEqual([7, 7, 7, 7, 7, 7]);
    expect(after.get('1.running_mean')).toEqual([7, 7]);
    expect(after.get('0.bias')).toEqual(new Map(before as [string, number[]][]).get('0.bias')); // missing: untouched
  });

  test('a value that is not a tensor is reported with the rest', () => {
    const m = model();
    const sd: Record<string, unknown> = { ...m.stateDict(), '0.bias': [1, 2] };
    delete sd['1.weight'];
    expect(() => m.loadStateDict(sd as Record<string, Tensor>)).toThrow(/0\.bias: expected a Tensor, got object[\s\S]*missing keys: 1\.weight/);
  });
});

describe('apply and zeroGrad', () => {
  test('apply visits children before their parent, depth first', () => {
    const net = new Sequential(new Linear(2, 2), new Sequential(new ReLU(), new Linear(2, 2)));
    const seen: string[] = [];
    expect(net.apply((m) => seen.push(m.constructor.name))).toBe(net);
    expect(seen).toEqual(['Linear', 'ReLU', 'Linear', 'Sequential', 'Sequential']);
  });

  test('apply can re-initialise every Linear weight with xavierUniform_', () => {
    const net = new Sequential(new Linear(30, 20), new ReLU(), new Sequential(new Linear(20, 10)), new Conv2d(1, 1, 3));
    const before = new Map(net.namedParameters().map(([k, p]) => [k, dataOf(p)]));
    net.apply((m) => {
      if (m instanceof Linear) gn.nn.init.xavierUniform_(m.weight);
    });
    for (const [k, p] of net.namedParameters()) {
      const changed = dataOf(p).some((v, i) => v !== before.get(k)?.[i]);
      expect(changed, k).toBe(k === '0.weight' || k === '2.0.weight');
      expect(p.isLeaf).toBe(true);
    }
    const bound = (i: number, o: number) => Math.sqrt(6 / (i + o));
    expect(Math.max(...dataOf((net.at(0) as InstanceType<typeof Linear>).weight).map(Math.abs))).toBeLessThanOrEqual(bound(30, 20));
    // Default init is U(±1/sqrt(30)) = ±0.183, Xavier's bound is 0.346: the new weights use it.
    expect(Math.max(...dataOf((net.at(0) as InstanceType<typeof Linear>).weight).map(Math.abs))).toBeGreaterThan(1 / Math.sqrt(30));
  });

  test('zeroGrad forgets every gradient', () => {
    const net = new Net();
    net.forward(gn.randn([2, 1, 5, 5])).backward();
    expect(net.parameters().every((p) => p.grad !== null)).toBe(true);
    net.zeroGrad();
    expect(net.parameters().every((p) => p.grad === null)).toBe(true);
  });
});

describe('toString and summary', () => {
  test('toString nests like PyTorch', () => {
    const net = new Sequential(new Linear(4, 3), new ReLU(), new Sequential({ conv: new Conv2d(1, 2, 3, { padding: 1 }), drop: new Dropout(0.2) }));
    expect(net.toString()).toBe(
      [
        'Sequential(',
        '  (0): Linear(inFeatures=4, outFeatures=3, bias=true)',
        '  (1): ReLU()',
        '  (2): Sequential(',
        '    (conv): Conv2d(1, 2, kernelSize=[3,3], stride=1, padding=1, bias=true)',
        '    (drop): Dropout(p=0.2)',
        '  )',
        ')',
      ].join('\n'),
    );
  });

  test('convolutions show dilation and groups when they are not 1', () => {
    expect(new Conv2d(4, 6, 3, { groups: 2, dilation: 2 }).toString()).toBe('Conv2d(4, 6, kernelSize=[3,3], stride=1, padding=0, dilation=2, groups=2, bias=true)');
    expect(new gn.nn.ConvTranspose2d(4, 6, 3, { stride: 2, groups: 2, dilation: [2, 1], bias: false }).toString()).toBe(
      'ConvTranspose2d(4, 6, kernelSize=[3,3], stride=2, padding=0, outputPadding=0, dilation=[2,1], groups=2, bias=false)',
    );
    expect(new gn.nn.ConvTranspose2d(2, 2, 1).toString()).toBe('ConvTranspose2d(2, 2, kernelSize=[1,1], stride=1, padding=0, outputPadding=0, bias=true)');
  });

  test('LeNet-5 has 61,706 parameters, counted per layer in summary()', () => {
    const net = leNet5();
    expect(net.numParameters()).toBe(61706);
    expect(net.forward(gn.randn([2, 1, 28, 28])).shape).toEqual([2, 10]);
    const s = net.summary();
    const rows = s.split('\n');
    const count = (name: string) => {
      const row = rows.find((r) => r.startsWith(`${name} `));
      return row ? row.trim().split(/\s+/).at(-1) : undefined;
    };
    expect([count('0'), count('3'), count('7'), count('9'), count('11'), count('1')]).toEqual(['156', '2,416', '48,120', '10,164', '850', '0']);
    expect(rows.at(-1)).toBe('total parameters: 61,706 (trainable: 61,706)');
  });

  test('summary separates trainable parameters', () => {
    const net = leNet5();
    (net.at(0) as InstanceType<typeof Conv2d>).weight.requiresGrad_(false);
    expect(net.numParameters(true)).toBe(61706 - 150);
    expect(net.summary().split('\n').at(-1)).toBe('total parameters: 61,706 (trainable: 61,556)');
  });
});

describe('Sequential runs a Linear followed by a ReLU as one op', () => {
  const same = (a: ArrayLike<number>, b: ArrayLike<number>) => {
    let bad = 0;
    for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) bad++;
    return bad;
  };
  const cases: [string, number[], boolean][] = [
    ['[64, 40] -> 24 with bias', [64, 40], true],
    ['3-D input, no bias', [3, 5, 40], false],
  ];
  for (const dtype of ['float32', 'float64'] as const) {
    for (const [name, shape, bias] of cases) {
      test(`${name}, ${dtype}: the values and gradients of relu(linear(x)), bit for bit`, () => {
        gn.manualSeed(3);
        const lin = new Linear(40, 24, { bias });
        const data = gn.randn(shape, { dtype });
        data.data[5] = Number.NaN; // a NaN row: NaN out, zero gradient, both ways
        const x1 = data.clone().requiresGrad_();
        const x2 = data.clone().requiresGrad_();
        const fused = new Sequential(lin, new ReLU()).forward(x1);
        expect(fused.gradFn?.name).toBe('linearRelu');
        const fusedGrads = () => [x1.grad, lin.weight.grad, lin.bias?.grad].map((g) => Array.from(g?.data ?? []));
        const w = gn.randn(fused.shape, { dtype });
        fused.mul(w).sum().backward();
        const g1 = fusedGrads();
        lin.zeroGrad();
        const plain = gn.relu(lin.forward(x2));
        expect(plain.gradFn?.name).toBe('relu');
        expect(same(fused.data, plain.data)).toBe(0);
        expect(fused.data.some((v) => v === 0) && fused.data.some((v) => v > 0) && fused.data.some(Number.isNaN)).toBe(true);
        plain.mul(w).sum().backward();
        const g2 = [x2.grad, lin.weight.grad, lin.bias?.grad].map((g) => Array.from(g?.data ?? []));
        for (let i = 0; i < 3; i++) expect(same(g1[i], g2[i])).toBe(0);
      });
    }
  }
});

describe('Sequential runs a ReLU followed by a MaxPool2d as one op', () => {
  // Values with ties, zeros of both signs, negatives only windows and NaN, so that the fused
  // relu(maxPool2d(x)) must match maxPool2d(relu(x)) where it could most easily differ.
  const specials = [-2, -1, -0, 0, 0, 1, 1, 2, Number.NaN];
  function input(shape: number[], dtype: 'float32' | 'float64', seed: number): Tensor {
    let s = seed;
    const n = shape.reduce((a, b) => a * b, 1);
    const data = Array.from({ length: n }, () => {
      s = (s * 1103515245 + 12345) % 2147483648;
      return specials[s % specials.length];
    });
    return gn.tensor(data, { dtype }).reshape(shape);
  }
  /** The ops along the first input edge of t's graph, output first. */
  const ops = (t: Tensor) => {
    const out: string[] = [];
    for (let n = t.gradFn; n; ) {
      out.push(n.name);
      const e = n.next.find((edge) => edge !== null && 'node' in edge);
      n = e && 'node' in e ? e.node : null;
    }
    return out;
  };
  const same = (a: ArrayLike<number>, b: ArrayLike<number>) => {
    let bad = 0;
    for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) bad++;
    return bad;
  };

  const cases: [string, number[], number, gn.Pool2dOptions | undefined][] = [
    ['2x2 windows, odd width', [2, 3, 6, 7], 2, undefined],
    ['3x3 windows, stride 2, padding 1', [2, 2, 7, 8], 3, { stride: 2, padding: 1 }],
    ['3-D input', [3, 6, 6], 2, undefined],
  ];
  for (const dtype of ['float32', 'float64'] as const) {
    for (const [name, shape, k, opts] of cases) {
      test(`${name}, ${dtype}: the values and gradients of maxPool2d(relu(x)), bit for bit`, () => {
        const data = input(shape, dtype, 7 + shape.length);
        const x1 = data.clone().requiresGrad_();
        const x2 = data.clone().requiresGrad_();
        const fused = new Sequential(new ReLU(), new MaxPool2d(k, opts)).forward(x1);
        expect(ops(fused)).toContain('reluMaxPool2d');
        expect(ops(fused)).not.toContain('relu');
        const plain = gn.maxPool2d(gn.relu(x2), k, opts);
        expect(fused.shape).toEqual(plain.shape);
        expect(same(fused.data, plain.data)).toBe(0);
        const w = gn.tensor(Array.from({ length: fused.numel }, (_, i) => ((i * 7) % 5) - 1.5), { dtype }).reshape(fused.shape);
        fused.mul(w).sum().backward();
        plain.mul(w).sum().backward();
        expect(same(x1.grad?.data ?? [], x2.grad?.data ?? [])).toBe(0);
      });
    }
  }

  test("a Conv2d's output is recycled once the fused op has read it, and two graphs stay intact", () => {
    // 4 x 8 x 24 x 24 floats = 72 KiB: large enough for the pool.
    const conv = new Conv2d(3, 8, 3, { padding: 1 });
    const seq = new Sequential(conv, new ReLU(), new MaxPool2d(2));
    const x1 = gn.randn([4, 3, 24, 24]);
    const x2 = gn.randn([4, 3, 24, 24]);
    const pooled = scratchPoolBytes();
    const y1 = seq.forward(x1);
    expect(scratchPoolBytes()).toBe(pooled + 4 * 8 * 24 * 24 * 4);
    const y2 = seq.forward(x2); // its conv output may take y1's
    const w = gn.randn(y1.shape);
    y1.mul(w).sum().backward();
    const g1 = Array.from(conv.weight.grad?.data ?? []);
    conv.zeroGrad();
    y2.mul(w).sum().backward();
    const g2 = Array.from(conv.weight.grad?.data ?? []);
    // The same products through the functional ops, nothing recycled.
    for (const [x, y, g] of [[x1, y1, g1], [x2, y2, g2]] as const) {
      conv.zeroGrad();
      const want = gn.maxPool2d(gn.relu(gn.conv2d(x, conv.weight, conv.bias, { padding: 1 })), 2);
      expect(same(y.data, want.data)).toBe(0);
      want.mul(w).sum().backward();
      expect(same(g, conv.weight.grad?.data ?? [])).toBe(0);
    }
  });

  test('a ReLU whose forward is overridden, or a pooling layer in between, is not fused', () => {
    class Shifted extends ReLU {
      override forward(x: Tensor): Tensor {
        return super.forward(x).add(1);
      }
    }
    const x = gn.randn([1, 1, 4, 4]);
    expect(new Sequential(new Shifted(), new MaxPool2d(2)).forward(x).gradFn).toBeNull();
    const y = new Sequential(new Shifted(), new MaxPool2d(2)).forward(x.clone().requiresGrad_());
    expect(ops(y)).toEqual(['maxPool2d', 'add', 'relu']);
    expect(y.data.every((v) => v >= 1)).toBe(true);
    const z = new Sequential(new ReLU(), new Dropout(0), new MaxPool2d(2)).forward(x.clone().requiresGrad_());
    expect(ops(z)[0]).toBe('maxPool2d');
    expect(ops(z)).toContain('relu');
  });
});
