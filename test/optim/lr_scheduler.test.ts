// Learning-rate schedules against PyTorch's lr_scheduler: the learning rate of both parameter
// groups after construction and after each of 30 epochs, for every configuration of
// fixtures/optim.py; resuming from state dicts; validation.
//
// Tolerance (fixed from the arithmetic before comparing): both sides compute in float64 with the
// same formulas in the same order, so they differ only where a library function rounds
// differently (cos, pow: within 1 ulp). Per epoch that is a handful of ½–1 ulp differences of
// quantities no larger than the base rate, carried forward by the chainable form for ≤ 30 epochs
// (< 500 ulp). In CosineAnnealingLR the ratio (1 + cos a)/(1 + cos b) loses up to 2T²/π² (≈ 180
// for T = 30) of its relative accuracy near the minimum, but there it multiplies lr − etaMin, which
// is then ≤ (π/T)² of the base rate. 2⁻⁴⁰ of the largest base rate (≈ 4000 ulp of it) covers both.
import { describe, expect, test } from 'vitest';
import * as gn from '../../src/index';
import { assertWithin } from '../util/assert_close';
import { type SchedulerConfig, schedulersFixture } from './fixtures';

const fx = schedulersFixture;
const LR_TOL = 2 ** -40 * Math.max(...fx.groupLrs);

type Sched = gn.optim.LRScheduler | gn.optim.ReduceLROnPlateau;

function makeOptimizer(): gn.optim.SGD {
  const [lr0, lr1] = fx.groupLrs;
  return new gn.optim.SGD([{ params: [new gn.nn.Parameter(gn.zeros([2]))] }, { params: [new gn.nn.Parameter(gn.zeros([1]))], lr: lr1 }], { lr: lr0 });
}

function makeScheduler(opt: gn.optim.Optimizer, cls: string, options: Record<string, unknown>): Sched {
  const o = options as never;
  switch (cls) {
    case 'StepLR':
      return new gn.optim.StepLR(opt, o);
    case 'MultiStepLR':
      return new gn.optim.MultiStepLR(opt, o);
    case 'ExponentialLR':
      return new gn.optim.ExponentialLR(opt, o);
    case 'CosineAnnealingLR':
      return new gn.optim.CosineAnnealingLR(opt, o);
    case 'LinearLR':
      return new gn.optim.LinearLR(opt, o);
    case 'ReduceLROnPlateau':
      return new gn.optim.ReduceLROnPlateau(opt, o);
    case 'SequentialLR': {
      const subs = (options.schedulers as [string, Record<string, unknown>][]).map(([c, so]) => makeScheduler(opt, c, so) as gn.optim.LRScheduler);
      return new gn.optim.SequentialLR(opt, { schedulers: subs, milestones: options.milestones as number[] });
    }
    default:
      throw new Error(`unknown scheduler ${cls}`);
  }
}

function epoch(opt: gn.optim.Optimizer, sched: Sched, cfg: SchedulerConfig, e: number): void {
  opt.step(); // no gradients: a no-op, in the order a training loop calls them
  if (sched instanceof gn.optim.ReduceLROnPlateau) sched.step(cfg.metrics![e]);
  else sched.step();
}

const lrsOf = (opt: gn.optim.Optimizer) => opt.paramGroups.map((g) => g.lr);

/** JSON as a checkpoint writes it: non-finite numbers (ReduceLROnPlateau's initial best) survive. */
function throughJson<T>(v: T): T {
  const text = JSON.stringify(v, (_k, x: unknown) => (typeof x === 'number' && !Number.isFinite(x) ? { $float: String(x) } : x));
  return JSON.parse(text, (_k, x: unknown) => (x !== null && typeof x === 'object' && '$float' in x ? Number((x as { $float: string }).$float) : x)) as T;
}

describe('learning rates against PyTorch', () => {
  test('the fixture covers every schedule', () => {
    const kinds = new Set(fx.configs.map((c) => c.scheduler));
    expect([...kinds].sort()).toEqual(['CosineAnnealingLR', 'ExponentialLR', 'LinearLR', 'MultiStepLR', 'ReduceLROnPlateau', 'SequentialLR', 'StepLR']);
    for (const c of fx.configs) expect(c.lrs).toHaveLength(fx.epochs + 1);
  });

  for (const cfg of fx.configs) {
    test(`${cfg.name}: ${cfg.scheduler} ${JSON.stringify(cfg.options)}`, () => {
      const opt = makeOptimizer();
      const sched = makeScheduler(opt, cfg.scheduler, cfg.options);
      for (let e = 0; e <= fx.epochs; e++) {
        if (e > 0) epoch(opt, sched, cfg, e - 1);
        assertWithin(lrsOf(opt), cfg.lrs[e], LR_TOL, { name: `${cfg.name} epoch ${e}` });
        expect(sched.getLastLr()).toEqual(lrsOf(opt));
      }
    });
  }
});

describe('state dicts', () => {
  for (const cfg of fx.configs) {
    test(`${cfg.name}: 12 epochs, save, load into fresh objects, 18 more = 30 uninterrupted`, () => {
      const opt = makeOptimizer();
      const sched = makeScheduler(opt, cfg.scheduler, cfg.options);
      const whole: number[][] = [];
      for (let e = 0; e < fx.epochs; e++) {
        epoch(opt, sched, cfg, e);
        whole.push(lrsOf(opt));
      }
      const opt1 = makeOptimizer();
      const sched1 = makeScheduler(opt1, cfg.scheduler, cfg.options);
      for (let e = 0; e < 12; e++) epoch(opt1, sched1, cfg, e);
      const saved = throughJson({ opt: opt1.stateDict(), sched: sched1.stateDict() });
      const opt2 = makeOptimizer();
      const sched2 = makeScheduler(opt2, cfg.scheduler, cfg.options);
      opt2.loadStateDict(saved.opt);
      sched2.loadStateDict(saved.sched);
      expect(sched2.stateDict()).toEqual(sched1.stateDict());
      for (let e = 12; e < fx.epochs; e++) {
        epoch(opt2, sched2, cfg, e);
        expect(lrsOf(opt2), `epoch ${e + 1}`).toEqual(whole[e]);
      }
    });
  }

  test('a state dict of another kind of schedule, or for another number of groups, is refused and nothing changes', () => {
    const opt = makeOptimizer();
    const exp = new gn.optim.ExponentialLR(opt, { gamma: 0.5 });
    exp.step();
    const before = exp.stateDict();
    const step = new gn.optim.StepLR(makeOptimizer(), { stepSize: 3 }).stateDict();
    expect(() => exp.loadStateDict(step)).toThrow(
      'ExponentialLR.loadStateDict: the state dict does not fit this schedule (nothing was loaded):\n  unexpected stepSize',
    );
    const oneGroup = new gn.optim.ExponentialLR(new gn.optim.SGD([new gn.nn.Parameter(gn.zeros([1]))], { lr: 1 }), { gamma: 0.5 }).stateDict();
    expect(() => exp.loadStateDict(oneGroup)).toThrow(/baseLrs has 1 entries, the optimizer 2 parameter groups\n {2}lastLr has 1 entries/);
    expect(() => exp.loadStateDict({ ...before, gamma: -1 })).toThrow('invalid gamma -1 (must be a finite number >= 0)');
    expect(() => exp.loadStateDict({ ...before, lastEpoch: '3' })).toThrow('lastEpoch: expected number, got string');
    expect(exp.stateDict()).toEqual(before);
  });

  test('SequentialLR checks every inner state before loading any', () => {
    const opt = makeOptimizer();
    const make = () => new gn.optim.SequentialLR(opt, {
      schedulers: [new gn.optim.LinearLR(opt), new gn.optim.ExponentialLR(opt, { gamma: 0.9 })],
      milestones: [5],
    });
    const seq = make();
    const sd = seq.stateDict();
    const inner = sd.schedulers as gn.optim.SchedulerStateDict[];
    inner[0].lastEpoch = 99;
    inner[1].gamma = -2;
    const before = seq.stateDict();
    expect(() => seq.loadStateDict(sd)).toThrow('schedulers[1]: invalid gamma -2 (must be a finite number >= 0)');
    expect(seq.stateDict()).toEqual(before);
  });
});

describe('behaviour', () => {
  test('construction records initialLr and applies the epoch-0 rate (a warm-up starts low)', () => {
    const opt = makeOptimizer();
    new gn.optim.LinearLR(opt, { startFactor: 0.5, totalIters: 2 });
    expect(opt.paramGroups.map((g) => g.initialLr)).toEqual([0.1, 0.02]);
    expect(lrsOf(opt)).toEqual([0.05, 0.01]);
  });

  test('the chainable form carries a rate changed by hand forward, as in PyTorch', () => {
    const opt = makeOptimizer();
    const sched = new gn.optim.ExponentialLR(opt, { gamma: 0.5 });
    sched.step();
    opt.paramGroups[0].lr = 1;
    sched.step();
    expect(lrsOf(opt)).toEqual([0.5, 0.005]);
  });

  test('ReduceLROnPlateau takes a one-element tensor as the metric', () => {
    const opt = makeOptimizer();
    const sched = new gn.optim.ReduceLROnPlateau(opt, { patience: 0 });
    sched.step(gn.tensor([1]));
    sched.step(gn.tensor(2));
    expect(lrsOf(opt)).toEqual([0.1 * 0.1, 0.02 * 0.1]);
    expect(() => sched.step('1' as unknown as number)).toThrow('ReduceLROnPlateau.step: expected the metric as a number or a one-element Tensor, got string');
  });
});

describe('validation', () => {
  const opt = () => makeOptimizer();
  const cases: [string, () => unknown, string][] = [
    ['not an optimizer', () => new gn.optim.StepLR({} as gn.optim.Optimizer, { stepSize: 1 }), 'StepLR: expected an Optimizer, got object'],
    ['StepLR stepSize 0', () => new gn.optim.StepLR(opt(), { stepSize: 0 }), 'StepLR: invalid stepSize 0 (must be an integer > 0)'],
    ['MultiStepLR negative milestone', () => new gn.optim.MultiStepLR(opt(), { milestones: [3, -1] }), 'MultiStepLR: invalid milestones [3,-1] (must be an array of integers >= 0)'],
    ['ExponentialLR without gamma', () => new gn.optim.ExponentialLR(opt(), {} as never), 'ExponentialLR: invalid gamma undefined (must be a finite number >= 0)'],
    ['CosineAnnealingLR tMax 0', () => new gn.optim.CosineAnnealingLR(opt(), { tMax: 0 }), 'CosineAnnealingLR: invalid tMax 0 (must be a finite number > 0)'],
    ['LinearLR startFactor 0', () => new gn.optim.LinearLR(opt(), { startFactor: 0 }), 'LinearLR: invalid startFactor 0 (must be in (0, 1])'],
    ['LinearLR endFactor 2', () => new gn.optim.LinearLR(opt(), { endFactor: 2 }), 'LinearLR: invalid endFactor 2 (must be in [0, 1])'],
    [
      'SequentialLR milestones count',
      () => {
        const o = opt();
        return new gn.optim.SequentialLR(o, { schedulers: [new gn.optim.LinearLR(o), new gn.optim.ExponentialLR(o, { gamma: 0.9 })], milestones: [] });
      },
      'SequentialLR: expected 1 milestones (one fewer than schedules), got []',
    ],
    [
      'SequentialLR over another optimizer',
      () => new gn.optim.SequentialLR(opt(), { schedulers: [new gn.optim.LinearLR(opt())], milestones: [] }),
      'SequentialLR: schedule 0 belongs to a different optimizer than the one passed in',
    ],
    [
      'SequentialLR with ReduceLROnPlateau',
      () => {
        const o = opt();
        return new gn.optim.SequentialLR(o, { schedulers: [new gn.optim.ReduceLROnPlateau(o) as never], milestones: [] });
      },
      'SequentialLR: schedule 0 must be an epoch schedule (StepLR, CosineAnnealingLR, ...; not ReduceLROnPlateau or SequentialLR)',
    ],
    ['ReduceLROnPlateau factor 1', () => new gn.optim.ReduceLROnPlateau(opt(), { factor: 1 }), 'ReduceLROnPlateau: invalid factor 1 (must be in [0, 1))'],
    ['ReduceLROnPlateau mode', () => new gn.optim.ReduceLROnPlateau(opt(), { mode: 'avg' as never }), `ReduceLROnPlateau: invalid mode "avg" (must be 'min' or 'max')`],
    ['ReduceLROnPlateau minLr per group', () => new gn.optim.ReduceLROnPlateau(opt(), { minLr: [0.1] }), 'ReduceLROnPlateau: expected 2 minLr values (one per parameter group), got 1'],
  ];
  for (const [name, make, message] of cases) {
    test(name, () => {
      let got = '';
      try {
        make();
      } catch (e) {
        got = (e as Error).message;
      }
      expect(got).toBe(message);
    });
  }
});
