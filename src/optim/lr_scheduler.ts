/**
 * Learning-rate schedules, following torch.optim.lr_scheduler (1.13) step for step.
 *
 * A schedule sets the learning rate of every parameter group of its optimizer. Constructing it
 * applies the epoch-0 rate (so a warm-up starts low before the first step), and step() is called
 * once per epoch, after that epoch's optimizer steps:
 *
 *   const sched = new gn.optim.CosineAnnealingLR(opt, { tMax: 100 });
 *   for (let epoch = 0; epoch < 100; epoch++) { train(opt); sched.step(); }
 *
 * The rates are computed as PyTorch computes them, in the same (chainable) form: each step derives
 * the new rate from the group's current one, so schedules can be combined (SequentialLR) and an lr
 * changed by hand carries on. Each group's starting rate is recorded in the group as `initialLr`.
 *
 * stateDict() is a plain JSON-serialisable object (counters, base rates and the schedule's own
 * settings); loadStateDict() checks it against this schedule before applying anything.
 */
import { Tensor } from '../tensor';
import { Optimizer } from './optimizer';

/** A schedule's state: numbers, strings, arrays of numbers and, for SequentialLR, nested states. */
export type SchedulerStateDict = { [key: string]: number | string | boolean | number[] | SchedulerStateDict[] };

function kindOf(v: unknown): string {
  if (Array.isArray(v)) return v.every((x) => typeof x === 'number') ? 'number[]' : 'object[]';
  return v === null ? 'null' : typeof v;
}

function pyMod(a: number, m: number): number {
  return ((a % m) + m) % m;
}

function isNonNegativeInt(v: unknown): boolean {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0;
}

// Checks of schedule settings; each returns a problem or nothing.
function checkPositiveInt(v: unknown, what: string): string | undefined {
  return typeof v === 'number' && Number.isInteger(v) && v > 0 ? undefined : `invalid ${what} ${String(v)} (must be an integer > 0)`;
}
function checkNonNegativeInt(v: unknown, what: string): string | undefined {
  return isNonNegativeInt(v) ? undefined : `invalid ${what} ${String(v)} (must be an integer >= 0)`;
}
function checkFiniteNonNegative(v: unknown, what: string): string | undefined {
  return typeof v === 'number' && Number.isFinite(v) && v >= 0 ? undefined : `invalid ${what} ${String(v)} (must be a finite number >= 0)`;
}

/** What ReduceLROnPlateau and the epoch schedules have in common: an optimizer, last rates and a state dict. */
abstract class SchedulerBase {
  readonly optimizer: Optimizer;
  protected lastLr: number[];

  constructor(optimizer: Optimizer) {
    if (!(optimizer instanceof Optimizer)) {
      throw new TypeError(`${this.constructor.name}: expected an Optimizer, got ${optimizer === null ? 'null' : typeof optimizer}`);
    }
    this.optimizer = optimizer;
    this.lastLr = optimizer.paramGroups.map((g) => g.lr);
  }

  /** The learning rate of each parameter group, as last set by this schedule. */
  getLastLr(): number[] {
    return this.lastLr.slice();
  }

  /** The schedule's own settings (stepSize, gamma, ...), saved and restored by the state dict. */
  protected abstract settings(): SchedulerStateDict;

  /** Problems with settings (used by the constructor and by loadStateDict). */
  protected abstract checkSettings(s: Record<string, unknown>): string[];

  /** Counters and the like, beside the settings. */
  protected abstract counters(): SchedulerStateDict;

  /** The schedule's state: a JSON-serialisable object. */
  stateDict(): SchedulerStateDict {
    return structuredClone({ ...this.counters(), ...this.settings() });
  }

  /** Problems that would stop sd from loading (empty when it fits). */
  checkStateDict(sd: unknown): string[] {
    if (sd === null || typeof sd !== 'object' || Array.isArray(sd)) return ['expected an object'];
    const own = this.stateDict();
    const given = sd as Record<string, unknown>;
    const problems: string[] = [];
    for (const k of Object.keys(own)) {
      if (!(k in given)) problems.push(`missing ${k}`);
      else if (kindOf(given[k]) !== kindOf(own[k])) problems.push(`${k}: expected ${kindOf(own[k])}, got ${kindOf(given[k])}`);
    }
    for (const k of Object.keys(given)) if (!(k in own)) problems.push(`unexpected ${k}`);
    if (problems.length) return problems;
    const groups = this.optimizer.paramGroups.length;
    for (const k of ['baseLrs', 'lastLr', 'minLrs']) {
      const v = given[k];
      if (Array.isArray(v) && v.length !== groups) problems.push(`${k} has ${v.length} entries, the optimizer ${groups} parameter groups`);
    }
    problems.push(...this.checkSettings(given));
    return problems;
  }

  /**
   * Restores a state dict from stateDict(). It must come from the same kind of schedule over an
   * optimizer with as many parameter groups; otherwise nothing changes and the error lists the
   * problems. (Learning rates themselves live in the optimizer: load its state dict too.)
   */
  loadStateDict(sd: SchedulerStateDict): void {
    const problems = this.checkStateDict(sd);
    if (problems.length) {
      throw new Error(`${this.constructor.name}.loadStateDict: the state dict does not fit this schedule (nothing was loaded):\n  ${problems.join('\n  ')}`);
    }
    this.applyStateDict(sd);
  }

  /** Assigns a checked state dict (keys are the names of this schedule's fields). */
  protected applyStateDict(sd: SchedulerStateDict): void {
    const copy = structuredClone(sd);
    for (const [k, v] of Object.entries(copy)) (this as unknown as Record<string, unknown>)[k] = v;
  }
}

/** The base of the epoch-driven schedules (PyTorch's _LRScheduler). */
export abstract class LRScheduler extends SchedulerBase {
  /** Each group's starting learning rate (its initialLr). */
  protected baseLrs: number[];
  /** Epochs stepped: 0 after construction, then one more per step(). */
  lastEpoch = -1;
  /** Calls of step() since construction (PyTorch's _step_count; CosineAnnealingLR depends on it). */
  protected stepCount = 0;

  constructor(optimizer: Optimizer) {
    super(optimizer);
    for (const g of optimizer.paramGroups) if (g.initialLr === undefined) g.initialLr = g.lr;
    this.baseLrs = optimizer.paramGroups.map((g) => g.initialLr as number);
  }

  /** The new rate of each group for lastEpoch, from the groups' current rates (the chainable form). */
  protected abstract getLr(): number[];

  /** The rate of each group at lastEpoch from the base rates, where the schedule has a closed form. */
  protected closedFormLr(): number[] | null {
    return null;
  }

  /** Advances one epoch and sets the groups' learning rates. */
  step(): void {
    this.stepCount++;
    this.lastEpoch++;
    this.setLrs(this.getLr());
  }

  /** Internal (subclass constructors, SequentialLR): the epoch-0 step. */
  _initialStep(): void {
    this.stepCount = 0;
    this.step();
  }

  /** Internal (SequentialLR): jumps to an epoch, using the closed form where there is one (PyTorch's step(epoch)). */
  _stepTo(epoch: number): void {
    this.stepCount++;
    this.lastEpoch = epoch;
    this.setLrs(this.closedFormLr() ?? this.getLr());
  }

  /** Internal (SequentialLR): undoes the epoch count of the construction step. */
  _rewind(): void {
    this.lastEpoch -= 1;
  }

  protected setLrs(values: number[]): void {
    this.optimizer.paramGroups.forEach((g, i) => {
      g.lr = values[i];
    });
    this.lastLr = this.optimizer.paramGroups.map((g) => g.lr);
  }

  protected groupLrs(): number[] {
    return this.optimizer.paramGroups.map((g) => g.lr);
  }

  protected counters(): SchedulerStateDict {
    return { lastEpoch: this.lastEpoch, stepCount: this.stepCount, baseLrs: this.baseLrs, lastLr: this.lastLr };
  }

  /** Throws the constructor's problems, if any. */
  protected validate(settings: Record<string, unknown>): void {
    const problems = this.checkSettings(settings);
    if (problems.length) throw new RangeError(`${this.constructor.name}: ${problems.join('; ')}`);
  }
}

export interface StepLROptions {
  /** Epochs between decays. */
  stepSize: number;
  /** Multiplier applied every stepSize epochs (default 0.1). */
  gamma?: number;
}

/** Multiplies the learning rate by gamma every stepSize epochs. */
export class StepLR extends LRScheduler {
  stepSize: number;
  gamma: number;

  constructor(optimizer: Optimizer, options: StepLROptions) {
    super(optimizer);
    const { stepSize, gamma = 0.1 } = options ?? ({} as StepLROptions);
    this.validate({ stepSize, gamma });
    this.stepSize = stepSize;
    this.gamma = gamma;
    this._initialStep();
  }

  protected getLr(): number[] {
    if (this.lastEpoch === 0 || this.lastEpoch % this.stepSize !== 0) return this.groupLrs();
    return this.groupLrs().map((lr) => lr * this.gamma);
  }

  protected override closedFormLr(): number[] {
    return this.baseLrs.map((base) => base * this.gamma ** Math.floor(this.lastEpoch / this.stepSize));
  }

  protected settings(): SchedulerStateDict {
    return { stepSize: this.stepSize, gamma: this.gamma };
  }

  protected checkSettings(s: Record<string, unknown>): string[] {
    return [checkPositiveInt(s.stepSize, 'stepSize'), checkFiniteNonNegative(s.gamma, 'gamma')].filter((p) => p !== undefined);
  }
}

export interface MultiStepLROptions {
  /** Epochs at which to decay; an epoch listed twice decays twice. */
  milestones: number[];
  /** Multiplier applied at each milestone (default 0.1). */
  gamma?: number;
}

/** Multiplies the learning rate by gamma at each milestone epoch. */
export class MultiStepLR extends LRScheduler {
  /** Sorted, with repeats. */
  milestones: number[];
  gamma: number;

  constructor(optimizer: Optimizer, options: MultiStepLROptions) {
    super(optimizer);
    const { milestones, gamma = 0.1 } = options ?? ({} as MultiStepLROptions);
    this.validate({ milestones, gamma });
    this.milestones = milestones.slice().sort((a, b) => a - b);
    this.gamma = gamma;
    this._initialStep();
  }

  protected getLr(): number[] {
    const hits = this.milestones.filter((m) => m === this.lastEpoch).length;
    if (hits === 0) return this.groupLrs();
    return this.groupLrs().map((lr) => lr * this.gamma ** hits);
  }

  protected override closedFormLr(): number[] {
    const passed = this.milestones.filter((m) => m <= this.lastEpoch).length;
    return this.baseLrs.map((base) => base * this.gamma ** passed);
  }

  protected settings(): SchedulerStateDict {
    return { milestones: this.milestones, gamma: this.gamma };
  }

  protected checkSettings(s: Record<string, unknown>): string[] {
    const m = s.milestones;
    const ok = Array.isArray(m) && m.every(isNonNegativeInt);
    return [
      ok ? undefined : `invalid milestones ${JSON.stringify(m)} (must be an array of integers >= 0)`,
      checkFiniteNonNegative(s.gamma, 'gamma'),
    ].filter((p) => p !== undefined);
  }
}

export interface ExponentialLROptions {
  /** Multiplier applied every epoch. */
  gamma: number;
}

/** Multiplies the learning rate by gamma every epoch. */
export class ExponentialLR extends LRScheduler {
  gamma: number;

  constructor(optimizer: Optimizer, options: ExponentialLROptions) {
    super(optimizer);
    const { gamma } = options ?? ({} as ExponentialLROptions);
    this.validate({ gamma });
    this.gamma = gamma;
    this._initialStep();
  }

  protected getLr(): number[] {
    if (this.lastEpoch === 0) return this.groupLrs();
    return this.groupLrs().map((lr) => lr * this.gamma);
  }

  protected override closedFormLr(): number[] {
    return this.baseLrs.map((base) => base * this.gamma ** this.lastEpoch);
  }

  protected settings(): SchedulerStateDict {
    return { gamma: this.gamma };
  }

  protected checkSettings(s: Record<string, unknown>): string[] {
    return [checkFiniteNonNegative(s.gamma, 'gamma')].filter((p) => p !== undefined);
  }
}

export interface CosineAnnealingLROptions {
  /** Epochs from the base rate down to etaMin (the schedule then rises again, as in PyTorch). */
  tMax: number;
  /** The lowest rate (default 0). */
  etaMin?: number;
}

/**
 * Cosine annealing (SGDR without restarts): lr = etaMin + (base − etaMin)·(1 + cos(π·epoch/tMax))/2,
 * computed recursively from the current rate as PyTorch does.
 */
export class CosineAnnealingLR extends LRScheduler {
  tMax: number;
  etaMin: number;

  constructor(optimizer: Optimizer, options: CosineAnnealingLROptions) {
    super(optimizer);
    const { tMax, etaMin = 0 } = options ?? ({} as CosineAnnealingLROptions);
    this.validate({ tMax, etaMin });
    this.tMax = tMax;
    this.etaMin = etaMin;
    this._initialStep();
  }

  protected getLr(): number[] {
    const { lastEpoch: e, tMax: T, etaMin: eta } = this;
    if (e === 0) return this.groupLrs();
    if (this.stepCount === 1 && e > 0) {
      return this.baseLrs.map((base) => eta + ((base - eta) * (1 + Math.cos((e * Math.PI) / T))) / 2);
    }
    if (pyMod(e - 1 - T, 2 * T) === 0) {
      return this.groupLrs().map((lr, i) => lr + ((this.baseLrs[i] - eta) * (1 - Math.cos(Math.PI / T))) / 2);
    }
    return this.groupLrs().map((lr) => ((1 + Math.cos((Math.PI * e) / T)) / (1 + Math.cos((Math.PI * (e - 1)) / T))) * (lr - eta) + eta);
  }

  protected override closedFormLr(): number[] {
    return this.baseLrs.map((base) => this.etaMin + ((base - this.etaMin) * (1 + Math.cos((Math.PI * this.lastEpoch) / this.tMax))) / 2);
  }

  protected settings(): SchedulerStateDict {
    return { tMax: this.tMax, etaMin: this.etaMin };
  }

  protected checkSettings(s: Record<string, unknown>): string[] {
    return [
      typeof s.tMax === 'number' && Number.isFinite(s.tMax) && s.tMax > 0 ? undefined : `invalid tMax ${String(s.tMax)} (must be a finite number > 0)`,
      checkFiniteNonNegative(s.etaMin, 'etaMin'),
    ].filter((p) => p !== undefined);
  }
}

export interface LinearLROptions {
  /** Multiplier of the base rate at epoch 0 (default 1/3); in (0, 1]. */
  startFactor?: number;
  /** Multiplier reached at totalIters (default 1); in [0, 1]. */
  endFactor?: number;
  /** Epochs of the linear ramp (default 5). */
  totalIters?: number;
}

/** Scales the rate linearly from startFactor to endFactor over totalIters epochs (a linear warm-up by default). */
export class LinearLR extends LRScheduler {
  startFactor: number;
  endFactor: number;
  totalIters: number;

  constructor(optimizer: Optimizer, options: LinearLROptions = {}) {
    super(optimizer);
    const { startFactor = 1 / 3, endFactor = 1, totalIters = 5 } = options ?? {};
    this.validate({ startFactor, endFactor, totalIters });
    this.startFactor = startFactor;
    this.endFactor = endFactor;
    this.totalIters = totalIters;
    this._initialStep();
  }

  protected getLr(): number[] {
    const { lastEpoch: e, startFactor: s, endFactor: f, totalIters: n } = this;
    if (e === 0) return this.groupLrs().map((lr) => lr * s);
    if (e > n) return this.groupLrs();
    return this.groupLrs().map((lr) => lr * (1 + (f - s) / (n * s + (e - 1) * (f - s))));
  }

  protected override closedFormLr(): number[] {
    const { startFactor: s, endFactor: f, totalIters: n } = this;
    return this.baseLrs.map((base) => base * (s + ((f - s) * Math.min(n, this.lastEpoch)) / n));
  }

  protected settings(): SchedulerStateDict {
    return { startFactor: this.startFactor, endFactor: this.endFactor, totalIters: this.totalIters };
  }

  protected checkSettings(s: Record<string, unknown>): string[] {
    const sf = s.startFactor;
    const ef = s.endFactor;
    return [
      typeof sf === 'number' && sf > 0 && sf <= 1 ? undefined : `invalid startFactor ${String(sf)} (must be in (0, 1])`,
      typeof ef === 'number' && ef >= 0 && ef <= 1 ? undefined : `invalid endFactor ${String(ef)} (must be in [0, 1])`,
      checkPositiveInt(s.totalIters, 'totalIters'),
    ].filter((p) => p !== undefined);
  }
}

export interface SequentialLROptions {
  /** The schedules, in order; all over the same optimizer. */
  schedulers: LRScheduler[];
  /** The epochs at which each next schedule takes over (one fewer than schedulers, increasing). */
  milestones: number[];
}

/**
 * Runs schedules one after another, e.g. a linear warm-up then cosine annealing:
 *
 *   const warmup = new LinearLR(opt, { startFactor: 0.1, totalIters: 5 });
 *   const cosine = new CosineAnnealingLR(opt, { tMax: 95 });
 *   const sched = new SequentialLR(opt, { schedulers: [warmup, cosine], milestones: [5] });
 *
 * At a milestone the next schedule restarts from epoch 0 of its closed form (as PyTorch's does).
 */
export class SequentialLR extends LRScheduler {
  private readonly schedulers: LRScheduler[];
  milestones: number[];

  constructor(optimizer: Optimizer, options: SequentialLROptions) {
    super(optimizer);
    const { schedulers, milestones } = options ?? ({} as SequentialLROptions);
    const name = this.constructor.name;
    if (!Array.isArray(schedulers) || schedulers.length === 0) throw new RangeError(`${name}: schedulers must be a non-empty array`);
    schedulers.forEach((s, i) => {
      if (!(s instanceof LRScheduler) || s instanceof SequentialLR) {
        throw new TypeError(`${name}: schedule ${i} must be an epoch schedule (StepLR, CosineAnnealingLR, ...; not ReduceLROnPlateau or SequentialLR)`);
      }
      if (s.optimizer !== optimizer) throw new RangeError(`${name}: schedule ${i} belongs to a different optimizer than the one passed in`);
    });
    if (!Array.isArray(milestones) || milestones.length !== schedulers.length - 1) {
      throw new RangeError(`${name}: expected ${schedulers.length - 1} milestones (one fewer than schedules), got ${JSON.stringify(milestones)}`);
    }
    this.validate({ milestones });
    this.schedulers = schedulers.slice();
    this.milestones = milestones.slice();
    this.lastEpoch = 0;
    // Back to the starting rates, undo the schedules' construction steps, and let the first one start.
    for (const g of optimizer.paramGroups) g.lr = g.initialLr as number;
    for (const s of this.schedulers) s._rewind();
    this.schedulers[0]._initialStep();
    this.lastLr = this.schedulers[0].getLastLr();
  }

  protected getLr(): number[] {
    return this.groupLrs();
  }

  override step(): void {
    this.lastEpoch++;
    let idx = 0;
    while (idx < this.milestones.length && this.milestones[idx] <= this.lastEpoch) idx++; // bisect_right
    const s = this.schedulers[idx];
    if (idx > 0 && this.milestones[idx - 1] === this.lastEpoch) s._stepTo(0);
    else s.step();
    this.lastLr = s.getLastLr();
  }

  protected override counters(): SchedulerStateDict {
    return { lastEpoch: this.lastEpoch, lastLr: this.lastLr, schedulers: this.schedulers.map((s) => s.stateDict()) };
  }

  protected settings(): SchedulerStateDict {
    return { milestones: this.milestones };
  }

  protected checkSettings(s: Record<string, unknown>): string[] {
    const m = s.milestones;
    const ok = Array.isArray(m) && m.every((x, i) => isNonNegativeInt(x) && (i === 0 || x > m[i - 1]));
    return ok ? [] : [`invalid milestones ${JSON.stringify(m)} (must be increasing integers >= 0)`];
  }

  override checkStateDict(sd: unknown): string[] {
    const problems = super.checkStateDict(sd);
    if (problems.length) return problems;
    const subs = (sd as SchedulerStateDict).schedulers as SchedulerStateDict[];
    if (subs.length !== this.schedulers.length) return [`schedulers has ${subs.length} entries, this SequentialLR ${this.schedulers.length}`];
    subs.forEach((sub, i) => problems.push(...this.schedulers[i].checkStateDict(sub).map((p) => `schedulers[${i}]: ${p}`)));
    return problems;
  }

  protected override applyStateDict(sd: SchedulerStateDict): void {
    const { schedulers: subs, ...own } = sd;
    super.applyStateDict(own);
    (subs as SchedulerStateDict[]).forEach((sub, i) => this.schedulers[i].loadStateDict(sub));
  }
}

export interface ReduceLROnPlateauOptions {
  /** 'min': the metric should fall (a loss); 'max': it should rise (an accuracy). Default 'min'. */
  mode?: 'min' | 'max';
  /** Multiplier of the rate on a plateau (default 0.1); in [0, 1). */
  factor?: number;
  /** Epochs without improvement tolerated before reducing (default 10). */
  patience?: number;
  /** The least change that counts as an improvement (default 1e-4). */
  threshold?: number;
  /** 'rel': relative to the best value so far; 'abs': absolute. Default 'rel'. */
  thresholdMode?: 'rel' | 'abs';
  /** Epochs to wait after a reduction before counting bad epochs again (default 0). */
  cooldown?: number;
  /** The lowest rate, for all groups or per group (default 0). */
  minLr?: number | number[];
  /** Reductions smaller than this are skipped (default 1e-8). */
  eps?: number;
}

/**
 * Reduces the learning rate when a metric has stopped improving: after more than `patience`
 * epochs without an improvement, every group's rate is multiplied by `factor` (not below its
 * minLr). step(metric) is called once per epoch with the monitored value.
 */
export class ReduceLROnPlateau extends SchedulerBase {
  mode: 'min' | 'max';
  factor: number;
  patience: number;
  threshold: number;
  thresholdMode: 'rel' | 'abs';
  cooldown: number;
  minLrs: number[];
  eps: number;
  /** The best metric so far (Infinity, or -Infinity in 'max' mode, before the first). */
  best: number;
  numBadEpochs = 0;
  cooldownCounter = 0;
  lastEpoch = 0;

  constructor(optimizer: Optimizer, options: ReduceLROnPlateauOptions = {}) {
    super(optimizer);
    const o = options ?? {};
    const groups = optimizer.paramGroups.length;
    const minLr = o.minLr ?? 0;
    if (Array.isArray(minLr) && minLr.length !== groups) {
      throw new RangeError(`ReduceLROnPlateau: expected ${groups} minLr values (one per parameter group), got ${minLr.length}`);
    }
    const settings = {
      mode: o.mode ?? 'min',
      factor: o.factor ?? 0.1,
      patience: o.patience ?? 10,
      threshold: o.threshold ?? 1e-4,
      thresholdMode: o.thresholdMode ?? 'rel',
      cooldown: o.cooldown ?? 0,
      minLrs: Array.isArray(minLr) ? minLr.slice() : new Array<number>(groups).fill(minLr),
      eps: o.eps ?? 1e-8,
    };
    const problems = this.checkSettings(settings);
    if (problems.length) throw new RangeError(`ReduceLROnPlateau: ${problems.join('; ')}`);
    this.mode = settings.mode;
    this.factor = settings.factor;
    this.patience = settings.patience;
    this.threshold = settings.threshold;
    this.thresholdMode = settings.thresholdMode;
    this.cooldown = settings.cooldown;
    this.minLrs = settings.minLrs;
    this.eps = settings.eps;
    this.best = this.mode === 'min' ? Infinity : -Infinity;
  }

  /** Records one epoch's metric (a number or a one-element tensor) and reduces the rates on a plateau. */
  step(metric: number | Tensor): void {
    const current = metric instanceof Tensor ? metric.item() : metric;
    if (typeof current !== 'number') throw new TypeError(`ReduceLROnPlateau.step: expected the metric as a number or a one-element Tensor, got ${typeof metric}`);
    this.lastEpoch += 1;
    if (this.isBetter(current, this.best)) {
      this.best = current;
      this.numBadEpochs = 0;
    } else {
      this.numBadEpochs += 1;
    }
    if (this.cooldownCounter > 0) {
      this.cooldownCounter -= 1;
      this.numBadEpochs = 0; // bad epochs in cooldown do not count
    }
    if (this.numBadEpochs > this.patience) {
      this.reduceLr();
      this.cooldownCounter = this.cooldown;
      this.numBadEpochs = 0;
    }
    this.lastLr = this.optimizer.paramGroups.map((g) => g.lr);
  }

  private reduceLr(): void {
    this.optimizer.paramGroups.forEach((g, i) => {
      const old = g.lr;
      const next = Math.max(old * this.factor, this.minLrs[i]);
      if (old - next > this.eps) g.lr = next;
    });
  }

  private isBetter(a: number, best: number): boolean {
    if (this.mode === 'min') return this.thresholdMode === 'rel' ? a < best * (1 - this.threshold) : a < best - this.threshold;
    return this.thresholdMode === 'rel' ? a > best * (this.threshold + 1) : a > best + this.threshold;
  }

  protected counters(): SchedulerStateDict {
    return {
      lastEpoch: this.lastEpoch,
      best: this.best,
      numBadEpochs: this.numBadEpochs,
      cooldownCounter: this.cooldownCounter,
      lastLr: this.lastLr,
    };
  }

  protected settings(): SchedulerStateDict {
    return {
      mode: this.mode,
      factor: this.factor,
      patience: this.patience,
      threshold: this.threshold,
      thresholdMode: this.thresholdMode,
      cooldown: this.cooldown,
      minLrs: this.minLrs,
      eps: this.eps,
    };
  }

  protected checkSettings(s: Record<string, unknown>): string[] {
    const minLrs = s.minLrs;
    return [
      s.mode === 'min' || s.mode === 'max' ? undefined : `invalid mode ${JSON.stringify(s.mode)} (must be 'min' or 'max')`,
      typeof s.factor === 'number' && s.factor >= 0 && s.factor < 1 ? undefined : `invalid factor ${String(s.factor)} (must be in [0, 1))`,
      checkNonNegativeInt(s.patience, 'patience'),
      checkFiniteNonNegative(s.threshold, 'threshold'),
      s.thresholdMode === 'rel' || s.thresholdMode === 'abs' ? undefined : `invalid thresholdMode ${JSON.stringify(s.thresholdMode)} (must be 'rel' or 'abs')`,
      checkNonNegativeInt(s.cooldown, 'cooldown'),
      Array.isArray(minLrs) && minLrs.every((v) => typeof v === 'number' && Number.isFinite(v) && v >= 0)
        ? undefined
        : `invalid minLr ${JSON.stringify(minLrs)} (must be finite numbers >= 0)`,
      checkFiniteNonNegative(s.eps, 'eps'),
    ].filter((p) => p !== undefined);
  }
}
