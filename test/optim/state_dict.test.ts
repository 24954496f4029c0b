// Optimizer stateDict / loadStateDict: PyTorch's layout, resuming (10 steps, save, load into a fresh
// optimizer, 10 more = 20 uninterrupted steps, bit for bit), snapshots that do not alias the live
// state, and bad state dicts that are refused with every problem listed and nothing applied.
import { describe, expect, test } from 'vitest';
import * as gn from '../../src/index';
import { Tensor } from '../../src/index';
import { type OptimizerConfig, type Problem, type StepParams, makeOptimizer, makeProblem, optimizersFixture, snapshot, trainStep } from './fixtures';

type SD = gn.optim.OptimizerStateDict;

/** What a checkpoint does with a state dict: tensors to plain arrays and back, options through JSON. */
function throughCheckpoint(sd: SD): SD {
  const json = JSON.stringify(sd, (_k, v: unknown) => (v instanceof Tensor ? { shape: v.shape, data: Array.from(v.data) } : v));
  return JSON.parse(json, (_k, v: unknown) => {
    if (v !== null && typeof v === 'object' && 'shape' in v && 'data' in v) {
      const t = v as { shape: number[]; data: number[] };
      return gn.tensor(Float32Array.from(t.data), { shape: t.shape });
    }
    return v;
  }) as SD;
}

/** A comparable picture of a state dict (tensors as shape + values). */
function plain(sd: SD): unknown {
  return JSON.parse(JSON.stringify(sd, (_k, v: unknown) => (v instanceof Tensor ? { tensor: v.shape, data: Array.from(v.data) } : v)));
}

function run(cfg: OptimizerConfig, steps: number, pr: Problem = makeProblem(), opt = makeOptimizer(cfg, pr)): StepParams[] {
  const out: StepParams[] = [];
  for (let t = 0; t < steps; t++) {
    trainStep(opt, pr);
    out.push(snapshot(pr));
  }
  return out;
}

describe('resuming from a state dict continues the same trajectory', () => {
  for (const cfg of optimizersFixture.configs) {
    test(cfg.name, () => {
      const whole = run(cfg, 20);
      const pr = makeProblem();
      const first = makeOptimizer(cfg, pr);
      run(cfg, 10, pr, first);
      const sd = throughCheckpoint(first.stateDict());
      const resumed = makeProblem(snapshot(pr)); // fresh tensors holding the saved values
      const second = makeOptimizer(cfg, resumed);
      second.loadStateDict(sd);
      expect(plain(second.stateDict())).toEqual(plain(first.stateDict()));
      const rest = run(cfg, 10, resumed, second);
      expect(rest).toEqual(whole.slice(10));
    });
  }
});

describe("PyTorch's layout", () => {
  test('parameters are numbered in group order; state is keyed by number; groups keep their options', () => {
    const cfg = optimizersFixture.configs.find((c) => c.name === 'adam_amsgrad')!;
    const pr = makeProblem();
    const opt = makeOptimizer(cfg, pr);
    run(cfg, 2, pr, opt);
    const sd = opt.stateDict();
    expect(sd.paramGroups.map((g) => g.params)).toEqual([[0, 1], [2]]);
    expect(sd.paramGroups[0]).toEqual({ lr: 0.05, betas: [0.9, 0.99], eps: 1e-8, weightDecay: 0, amsgrad: true, params: [0, 1] });
    expect(sd.paramGroups[1]).toEqual({ lr: 0.05, betas: [0.9, 0.99], eps: 1e-8, weightDecay: 0, amsgrad: false, params: [2] });
    // W (0) and b (2) have state; frozen (1) never had a gradient.
    expect(Object.keys(sd.state).sort()).toEqual(['0', '2']);
    expect(Object.keys(sd.state[0]).sort()).toEqual(['expAvg', 'expAvgSq', 'maxExpAvgSq', 'step']);
    expect(Object.keys(sd.state[2]).sort()).toEqual(['expAvg', 'expAvgSq', 'step']);
    expect(sd.state[0].step).toBe(2);
    expect((sd.state[0].expAvg as Tensor).shape).toEqual([3, 4]);
    expect(JSON.parse(JSON.stringify(sd.paramGroups))).toEqual(sd.paramGroups);
  });

  test('Adagrad has state for every parameter from the start, as in PyTorch', () => {
    const cfg = optimizersFixture.configs.find((c) => c.optimizer === 'Adagrad')!;
    const sd = makeOptimizer(cfg, makeProblem()).stateDict();
    expect(Object.keys(sd.state).sort()).toEqual(['0', '1', '2']);
    expect(sd.state[1].step).toBe(0);
    expect(Array.from((sd.state[1].sum as Tensor).data)).toEqual([0.5, 0.5]);
  });

  test('a state dict is a snapshot: later steps do not change it, and loading copies it', () => {
    const cfg = optimizersFixture.configs.find((c) => c.name === 'sgd_momentum')!;
    const pr = makeProblem();
    const opt = makeOptimizer(cfg, pr);
    run(cfg, 3, pr, opt);
    const sd = opt.stateDict();
    const saved = plain(sd);
    run(cfg, 2, pr, opt);
    expect(plain(sd)).toEqual(saved);
    opt.loadStateDict(sd);
    (sd.state[0].momentumBuffer as Tensor).data.fill(7);
    sd.paramGroups[0].lr = 99;
    expect(plain(opt.stateDict())).toEqual(saved);
  });

  test('loaded group options replace the current ones in the same group objects', () => {
    const cfg = optimizersFixture.configs.find((c) => c.name === 'sgd')!;
    const opt = makeOptimizer(cfg, makeProblem());
    const group = opt.paramGroups[1];
    const sd = opt.stateDict();
    sd.paramGroups[1].lr = 0.01;
    sd.paramGroups[1].initialLr = 0.05;
    opt.loadStateDict(sd);
    expect(opt.paramGroups[1]).toBe(group);
    expect(group.lr).toBe(0.01);
    expect(group.initialLr).toBe(0.05);
  });

  test('a step count stored as a one-element tensor (as PyTorch stores it) loads as a number', () => {
    const cfg = optimizersFixture.configs.find((c) => c.name === 'adam')!;
    const pr = makeProblem();
    const opt = makeOptimizer(cfg, pr);
    run(cfg, 3, pr, opt);
    const sd = opt.stateDict();
    sd.state[0].step = gn.tensor(3);
    const fresh = makeOptimizer(cfg, makeProblem());
    fresh.loadStateDict(sd);
    expect(fresh.stateDict().state[0].step).toBe(3);
  });

  test('state tensors are cast to their parameter dtype', () => {
    const w = new gn.nn.Parameter(gn.tensor([1, 2], { dtype: 'float64' }));
    const opt = new gn.optim.SGD([w], { lr: 0.1, momentum: 0.9 });
    opt.loadStateDict({ state: { 0: { momentumBuffer: gn.tensor([0.5, 0.25]) } }, paramGroups: [{ ...opt.stateDict().paramGroups[0] }] });
    expect((opt.state.get(w)!.momentumBuffer as Tensor).dtype).toBe('float64');
  });
});

describe('bad state dicts are refused and nothing is applied', () => {
  const cfg = optimizersFixture.configs.find((c) => c.name === 'adam_amsgrad')!;

  /** An optimizer two steps in, a valid dict from another run five steps in, and the optimizer's state before. */
  function setup() {
    const pr = makeProblem();
    const opt = makeOptimizer(cfg, pr);
    run(cfg, 2, pr, opt);
    const otherProblem = makeProblem();
    const other = makeOptimizer(cfg, otherProblem);
    run(cfg, 5, otherProblem, other);
    return { opt, sd: other.stateDict(), before: plain(opt.stateDict()), groups: opt.paramGroups.map((g) => ({ ...g })) };
  }

  const cases: [string, (sd: SD) => unknown, string[]][] = [
    ['not a state dict', () => 42, ['expected { state: {...}, paramGroups: [...] }']],
    ['one group fewer', (sd) => ({ ...sd, paramGroups: sd.paramGroups.slice(0, 1) }), ['the state dict has 1 parameter groups, the optimizer 2']],
    [
      'a group with a different number of parameters',
      (sd) => {
        sd.paramGroups[0].params = [0];
        delete sd.state[1];
        return sd;
      },
      ['group 0: 1 parameters in the state dict, 2 in the optimizer'],
    ],
    [
      'a state tensor of the wrong shape',
      (sd) => {
        sd.state[0].expAvg = gn.zeros([4, 3]);
        return sd;
      },
      ["state 0.expAvg: shape [4,3] in the state dict, but the parameter's shape is [3,4]"],
    ],
    [
      'state for a parameter number that does not exist',
      (sd) => {
        sd.state[7] = sd.state[2];
        return sd;
      },
      ['state 7: no parameter has that number'],
    ],
    [
      'a missing state entry',
      (sd) => {
        delete sd.state[0].maxExpAvgSq;
        return sd;
      },
      ['state 0: missing maxExpAvgSq'],
    ],
    [
      'an unknown state entry',
      (sd) => {
        sd.state[2].momentumBuffer = gn.zeros([3]);
        return sd;
      },
      ['state 2: unexpected entry momentumBuffer (Adam keeps step, expAvg, expAvgSq, maxExpAvgSq)'],
    ],
    [
      'a step count that is not an integer, and a number where a tensor belongs',
      (sd) => {
        sd.state[0].step = 2.5;
        sd.state[2].expAvg = 0;
        return sd;
      },
      ['state 0.step: expected a step count (an integer >= 0), got number 2.5', 'state 2.expAvg: expected a Tensor, got number 0'],
    ],
    [
      'an invalid and a missing option',
      (sd) => {
        sd.paramGroups[0].lr = -1;
        delete sd.paramGroups[1].eps;
        return sd;
      },
      ['group 0: invalid learning rate -1 (must be >= 0)', 'group 1: option eps is missing'],
    ],
    [
      'a parameter number used twice',
      (sd) => {
        sd.paramGroups[1].params = [1];
        return sd;
      },
      ['group 1: parameter number 1 appears twice'],
    ],
  ];

  for (const [name, corrupt, problems] of cases) {
    test(name, () => {
      const { opt, sd, before, groups } = setup();
      let message = '';
      try {
        opt.loadStateDict(corrupt(sd) as SD);
      } catch (e) {
        message = (e as Error).message;
      }
      expect(message).toBe(`Adam.loadStateDict: the state dict does not fit this optimizer (nothing was loaded):\n  ${problems.join('\n  ')}`);
      expect(plain(opt.stateDict())).toEqual(before);
      opt.paramGroups.forEach((g, i) => expect({ ...g }).toEqual(groups[i]));
    });
  }

  test('an SGD state dict does not load into Adam', () => {
    const sgdCfg = optimizersFixture.configs.find((c) => c.name === 'sgd_momentum')!;
    const pr = makeProblem();
    const sgd = makeOptimizer(sgdCfg, pr);
    run(sgdCfg, 1, pr, sgd);
    const { opt, before } = setup();
    expect(() => opt.loadStateDict(sgd.stateDict())).toThrow(/option betas is missing[\s\S]*unexpected entry momentumBuffer/);
    expect(plain(opt.stateDict())).toEqual(before);
  });
});
