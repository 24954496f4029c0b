// The Optimizer API: option validation (messages), parameter lists and groups, zeroGrad, skipped
// parameters, closures, bad gradients, and float64 parameters. The arithmetic itself is checked
// against PyTorch in trajectories.test.ts.
import { describe, expect, test } from 'vitest';
import * as gn from '../../src/index';
import { Tensor } from '../../src/index';

const { SGD, Adam, AdamW, RMSprop, Adagrad, Adadelta } = gn.optim;

function param(values: number[]): gn.nn.Parameter {
  return new gn.nn.Parameter(gn.tensor(values));
}

function withGrad(p: Tensor, g: number[]): Tensor {
  p.grad = gn.tensor(g, { dtype: p.dtype });
  return p;
}

describe('option validation', () => {
  const p = () => [param([1, 2])];
  const cases: [string, () => unknown, string][] = [
    ['SGD lr < 0', () => new SGD(p(), { lr: -1 }), 'SGD: invalid learning rate -1 (must be >= 0)'],
    ['SGD lr NaN', () => new SGD(p(), { lr: NaN }), 'SGD: invalid learning rate NaN (must be a finite number >= 0)'],
    ['SGD lr missing', () => new SGD(p()), "SGD: parameter group 0 didn't specify a value of required option lr"],
    ['SGD momentum < 0', () => new SGD(p(), { lr: 0.1, momentum: -0.5 }), 'SGD: invalid momentum -0.5 (must be >= 0)'],
    ['SGD weight decay < 0', () => new SGD(p(), { lr: 0.1, weightDecay: -1 }), 'SGD: invalid weight decay -1 (must be >= 0)'],
    [
      'SGD nesterov without momentum',
      () => new SGD(p(), { lr: 0.1, nesterov: true }),
      'SGD: nesterov momentum requires a momentum > 0 and zero dampening (got momentum 0, dampening 0)',
    ],
    [
      'SGD nesterov with dampening',
      () => new SGD(p(), { lr: 0.1, nesterov: true, momentum: 0.9, dampening: 0.1 }),
      'SGD: nesterov momentum requires a momentum > 0 and zero dampening (got momentum 0.9, dampening 0.1)',
    ],
    ['Adam beta1 = 1', () => new Adam(p(), { betas: [1, 0.999] }), 'Adam: invalid beta parameter at index 0 1 (must be in [0, 1))'],
    ['Adam beta2 < 0', () => new Adam(p(), { betas: [0.9, -0.1] }), 'Adam: invalid beta parameter at index 1 -0.1 (must be in [0, 1))'],
    ['Adam betas not a pair', () => new Adam(p(), { betas: [0.9] as unknown as [number, number] }), 'Adam: invalid betas [0.9] (must be [beta1, beta2])'],
    ['Adam eps < 0', () => new Adam(p(), { eps: -1e-8 }), 'Adam: invalid epsilon -1e-8 (must be >= 0)'],
    ['Adam amsgrad not boolean', () => new Adam(p(), { amsgrad: 1 as unknown as boolean }), 'Adam: invalid amsgrad 1 (must be true or false)'],
    ['AdamW weight decay < 0', () => new AdamW(p(), { weightDecay: -0.01 }), 'AdamW: invalid weight decay -0.01 (must be >= 0)'],
    ['RMSprop alpha < 0', () => new RMSprop(p(), { alpha: -0.9 }), 'RMSprop: invalid alpha -0.9 (must be >= 0)'],
    ['RMSprop momentum Infinity', () => new RMSprop(p(), { momentum: Infinity }), 'RMSprop: invalid momentum Infinity (must be a finite number >= 0)'],
    ['Adagrad lr decay < 0', () => new Adagrad(p(), { lrDecay: -1 }), 'Adagrad: invalid lr decay -1 (must be >= 0)'],
    [
      'Adagrad initial accumulator < 0',
      () => new Adagrad(p(), { initialAccumulatorValue: -0.1 }),
      'Adagrad: invalid initial accumulator value -0.1 (must be >= 0)',
    ],
    ['Adadelta rho > 1', () => new Adadelta(p(), { rho: 1.5 }), 'Adadelta: invalid rho 1.5 (must be in [0, 1])'],
    ['Adadelta lr as a string', () => new Adadelta(p(), { lr: '1' as unknown as number }), 'Adadelta: invalid learning rate "1" (must be a finite number >= 0)'],
    [
      'every problem at once',
      () => new Adam(p(), { lr: -1, eps: -1 }),
      'Adam: invalid learning rate -1 (must be >= 0); invalid epsilon -1 (must be >= 0)',
    ],
    [
      'a group override',
      () => new SGD([{ params: [param([1])] }, { params: [param([2])], lr: -0.1 }], { lr: 0.1 }),
      'SGD: parameter group 1: invalid learning rate -0.1 (must be >= 0)',
    ],
  ];
  for (const [name, make, message] of cases) {
    test(name, () => {
      expect(make).toThrow(message);
      try {
        make();
      } catch (e) {
        expect((e as Error).message).toBe(message);
      }
    });
  }

  test('an option changed to an invalid value after construction is refused at step, with nothing updated', () => {
    const a = withGrad(param([1, 2]), [1, 1]);
    const b = withGrad(param([3]), [1]);
    const opt = new SGD([{ params: [a] }, { params: [b] }], { lr: 0.1 });
    opt.paramGroups[1].lr = -1;
    expect(() => opt.step()).toThrow('SGD.step: parameter group 1: invalid learning rate -1 (must be >= 0) (nothing was updated)');
    expect(Array.from(a.data)).toEqual([1, 2]);
    expect(Array.from(b.data)).toEqual([3]);
  });
});

describe('parameters and groups', () => {
  test('params must be an iterable of tensors or groups', () => {
    const t = param([1]);
    expect(() => new SGD(t as unknown as Tensor[], { lr: 1 })).toThrow('SGD: params should be an iterable of Tensors or parameter groups, but got a Tensor');
    expect(() => new SGD([], { lr: 1 })).toThrow('SGD: got an empty parameter list');
    expect(() => new SGD([t, 3 as unknown as Tensor], { lr: 1 })).toThrow('SGD: can only optimize Tensors, but parameter 1 of parameter group 0 is number 3');
    expect(() => new SGD([{ params: new Set([t]) }], { lr: 1 })).toThrow('params must be ordered (an array), not a Set');
    expect(() => new SGD([{ params: [] }], { lr: 1 })).toThrow('SGD: parameter group 0 has no parameters');
  });

  test('a non-leaf tensor, a duplicate, or a parameter in two groups is refused', () => {
    const a = param([1, 2]);
    const b = param([3]);
    expect(() => new SGD([a.mul(2)], { lr: 1 })).toThrow("SGD: can't optimize a non-leaf Tensor (parameter 0 of parameter group 0 was produced by");
    expect(() => new SGD([a, b, a], { lr: 1 })).toThrow('SGD: parameter 2 of parameter group 0 appears twice in the group');
    expect(() => new SGD([{ params: [a] }, { params: [b, a] }], { lr: 1 })).toThrow('SGD: some parameters appear in more than one parameter group');
  });

  test('a generator of parameters (model.parameters()-like) is accepted', () => {
    const ps = [param([1]), param([2])];
    function* gen() {
      yield* ps;
    }
    const opt = new SGD(gen(), { lr: 0.5 });
    expect(opt.paramGroups).toHaveLength(1);
    expect(opt.paramGroups[0].params).toEqual(ps);
  });

  test('groups take the defaults for what they do not set, and keep their overrides', () => {
    const a = param([1]);
    const b = param([2]);
    const opt = new Adam([{ params: [a] }, { params: [b], lr: 0.5, betas: [0.5, 0.9], name: 'head' }], { lr: 0.01, weightDecay: 0.1 });
    const { params: pa, ...g0 } = opt.paramGroups[0];
    const { params: pb, ...g1 } = opt.paramGroups[1];
    expect(pa).toEqual([a]);
    expect(pb).toEqual([b]);
    expect(g0).toEqual({ lr: 0.01, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0.1, amsgrad: false });
    expect(g1).toEqual({ lr: 0.5, betas: [0.5, 0.9], eps: 1e-8, weightDecay: 0.1, amsgrad: false, name: 'head' });
    // Groups never share an array with the defaults or with each other.
    opt.paramGroups[0].betas[0] = 0.1;
    expect(opt.defaults.betas).toEqual([0.9, 0.999]);
  });

  test('addParamGroup adds parameters that train from then on with their own options', () => {
    const a = withGrad(param([1]), [1]);
    const b = withGrad(param([1]), [1]);
    const opt = new SGD([a], { lr: 0.5 });
    opt.step();
    opt.addParamGroup({ params: [b], lr: 0.25 });
    opt.step();
    expect(Array.from(a.data)).toEqual([0]);
    expect(Array.from(b.data)).toEqual([0.75]);
    expect(() => opt.addParamGroup({ params: [a] })).toThrow('some parameters appear in more than one parameter group');
  });

  test('zeroGrad sets every gradient to null', () => {
    const a = withGrad(param([1, 2]), [3, 4]);
    const b = withGrad(param([5]), [6]);
    const opt = new SGD([{ params: [a] }, { params: [b] }], { lr: 0.1 });
    opt.zeroGrad();
    expect(a.grad).toBeNull();
    expect(b.grad).toBeNull();
  });

  test('toString lists every group', () => {
    const opt = new SGD([{ params: [param([1])] }, { params: [param([2])], momentum: 0.9 }], { lr: 0.1 });
    expect(opt.toString()).toBe(
      [
        'SGD (',
        'Parameter Group 0',
        '    dampening: 0',
        '    lr: 0.1',
        '    momentum: 0',
        '    nesterov: false',
        '    weightDecay: 0',
        'Parameter Group 1',
        '    dampening: 0',
        '    lr: 0.1',
        '    momentum: 0.9',
        '    nesterov: false',
        '    weightDecay: 0',
        ')',
      ].join('\n'),
    );
  });
});

describe('step', () => {
  const all: [string, (ps: Tensor[]) => gn.optim.Optimizer][] = [
    ['SGD', (ps) => new SGD(ps, { lr: 0.1, momentum: 0.9, weightDecay: 0.1 })],
    ['Adam', (ps) => new Adam(ps, { weightDecay: 0.1, amsgrad: true })],
    ['AdamW', (ps) => new AdamW(ps)],
    ['RMSprop', (ps) => new RMSprop(ps, { momentum: 0.5, centered: true, weightDecay: 0.1 })],
    ['Adagrad', (ps) => new Adagrad(ps, { weightDecay: 0.1 })],
    ['Adadelta', (ps) => new Adadelta(ps, { weightDecay: 0.1 })],
  ];
  for (const [name, make] of all) {
    test(`${name} leaves a parameter without a gradient alone, even with weight decay`, () => {
      const used = withGrad(param([1, -2]), [0.5, 0.5]);
      const unused = param([3, 4]);
      const opt = make([used, unused]);
      for (let i = 0; i < 3; i++) opt.step();
      expect(Array.from(unused.data)).toEqual([3, 4]);
      expect(Array.from(used.data)).not.toEqual(Array.from(new Float32Array([1, -2])));
      // Only Adagrad creates state up front (as PyTorch does); the others on a parameter's first step.
      if (name === 'Adagrad') expect(opt.state.get(unused)).toMatchObject({ step: 0 });
      else expect(opt.state.has(unused)).toBe(false);
    });
  }

  test('a gradient of the wrong shape is refused before any parameter changes', () => {
    const a = withGrad(param([1, 2]), [1, 1]);
    const b = param([3, 4]);
    b.grad = gn.tensor([1, 1, 1]);
    const opt = new SGD([a, b], { lr: 0.1 });
    expect(() => opt.step()).toThrow('SGD.step: parameter 1 of group 0 is float32 [2] but its gradient is float32 [3] (nothing was updated)');
    expect(Array.from(a.data)).toEqual([1, 2]);
  });

  test('step(closure) evaluates the loss with gradients enabled and returns it', () => {
    const w = param([2]);
    const opt = new SGD([w], { lr: 0.25 });
    const loss = gn.noGrad(() =>
      opt.step(() => {
        opt.zeroGrad();
        const l = w.mul(w).sum(); // d/dw = 2w = 4
        l.backward();
        return l.item();
      }),
    );
    expect(loss).toBe(4);
    expect(Array.from(w.data)).toEqual([1]);
  });

  test('the update does not record a graph and keeps the parameter a leaf', () => {
    const w = withGrad(param([1, 2]), [1, 1]);
    const data = w.data;
    new Adam([w], { lr: 0.1 }).step();
    expect(w.isLeaf).toBe(true);
    expect(w.gradFn).toBeNull();
    expect(w.data).toBe(data); // in place
  });

  test('float64 parameters are updated in float64, with float64 state', () => {
    const w = new gn.nn.Parameter(gn.tensor([1, 2], { dtype: 'float64' }));
    w.grad = gn.tensor([0.1, 0.3], { dtype: 'float64' });
    const opt = new SGD([w], { lr: 0.1, momentum: 0.9 });
    opt.step();
    opt.step();
    // buf = g, then 0.9 g + g; p = p0 - 0.1 (g + 1.9 g) in double arithmetic.
    expect(Array.from(w.data)).toEqual([1 - 0.1 * 0.1 - 0.1 * (0.9 * 0.1 + 0.1), 2 - 0.1 * 0.3 - 0.1 * (0.9 * 0.3 + 0.3)]);
    expect((opt.state.get(w)!.momentumBuffer as Tensor).dtype).toBe('float64');
  });

  test('Adagrad takes a group\'s own initialAccumulatorValue (PyTorch uses the constructor\'s for every group)', () => {
    const a = withGrad(param([0]), [1]);
    const b = withGrad(param([0]), [1]);
    const opt = new Adagrad([{ params: [a] }, { params: [b], initialAccumulatorValue: 3 }], { lr: 1, eps: 0 });
    opt.step();
    expect(Array.from((opt.state.get(b)!.sum as Tensor).data)).toEqual([4]);
    expect(a.data[0]).toBe(-1); // 1 / sqrt(0 + 1)
    expect(b.data[0]).toBe(-0.5); // 1 / sqrt(3 + 1)
  });
});

describe('update functions', () => {
  test('sgdUpdate: first momentum step copies the gradient, later steps dampen it', () => {
    const p = new Float32Array([1]);
    const buf = new Float32Array(1);
    gn.optim.sgdUpdate(p, new Float32Array([2]), buf, true, 0.5, 0.9, 0.5, 0, false);
    expect([p[0], buf[0]]).toEqual([0, 2]);
    gn.optim.sgdUpdate(p, new Float32Array([2]), buf, false, 0.5, 0.9, 0.5, 0, false);
    expect([p[0], buf[0]]).toEqual([Math.fround(-0.5 * Math.fround(0.9 * 2 + 0.5 * 2)), Math.fround(0.9 * 2 + 0.5 * 2)]);
  });

  test('adamUpdate: the first bias-corrected step moves each element by lr against its gradient sign', () => {
    const p = new Float64Array([0, 0, 0]);
    const m = new Float64Array(3);
    const v = new Float64Array(3);
    gn.optim.adamUpdate(p, new Float64Array([3, -0.5, 1e-3]), m, v, null, 1, 0.01, 0.9, 0.999, 0, 0, 0);
    expect(Array.from(p).map((x) => Math.round(x * 1e12) / 1e12)).toEqual([-0.01, 0.01, -0.01]);
  });
});
