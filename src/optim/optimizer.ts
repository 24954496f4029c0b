/**
 * Optimizer: the base of every gn.optim optimizer, following torch/optim/optimizer.py.
 *
 * The constructor validates the options, fills `defaults` into each parameter group (a group may
 * override any option) and keeps per-parameter `state` (momentum buffers, running averages, step
 * counts). step() visits every parameter that has a gradient and hands its data, gradient and state
 * arrays to the optimizer's update function: one plain function over typed arrays per optimizer
 * (sgdUpdate, adamUpdate, ...), so that a fused native kernel can replace it without touching the
 * API. Updates run in place under noGrad and allocate nothing but the state on its first use.
 *
 * stateDict() / loadStateDict() use PyTorch's layout: parameters are numbered in group order, state
 * is keyed by those numbers, and the groups keep their options (JSON-serialisable) plus the numbers
 * of their parameters.
 */
import { enableGrad, noGrad } from '../autograd/grad_mode';
import type { FloatArray } from '../backend/backend';
import { fmtShape, shapesEqual } from '../shape';
import { Tensor } from '../tensor';

/** Options every optimizer has. */
export interface OptimizerOptions {
  lr: number;
}

/** A parameter group as passed to a constructor or addParamGroup: tensors plus option overrides. */
export type ParamGroupInit<O extends OptimizerOptions = OptimizerOptions> = { params: Iterable<Tensor> } & Partial<O> &
  Record<string, unknown>;

/**
 * A parameter group as the optimizer holds it: its tensors and every option (the defaults, with the
 * group's overrides). Schedulers change `lr` here and record the starting value as `initialLr`.
 */
export type ParamGroup<O extends OptimizerOptions = OptimizerOptions> = { params: Tensor[]; initialLr?: number } & O &
  Record<string, unknown>;

/** A parameter's optimizer state: running averages as tensors of the parameter's shape, counters as numbers. */
export type ParamState = Record<string, Tensor | number>;

/** PyTorch's optimizer state dict: parameters are numbered across the groups, in group order. */
export interface OptimizerStateDict {
  state: Record<number, Record<string, Tensor | number>>;
  paramGroups: (Record<string, unknown> & { params: number[] })[];
}

/** How a state entry is stored: a tensor shaped like its parameter, or a step count. */
export type StateKind = 'tensor' | 'count';

function describe(v: unknown): string {
  if (v instanceof Tensor) return `a Tensor of shape ${fmtShape(v.shape)}`;
  if (Array.isArray(v)) return 'an array';
  if (v === null) return 'null';
  return typeof v === 'object' ? 'an object' : `${typeof v} ${String(v)}`;
}

function fmtValue(v: unknown): string {
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (typeof v === 'string') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(fmtValue).join(', ')}]`;
  return describe(v);
}

// Option checks shared by the optimizers. Each returns a problem or nothing; messages follow
// PyTorch's ("Invalid learning rate: -1") with the allowed range spelled out.

// An undefined value passes (a group that does not set an option takes the default).

/** A finite number >= 0. */
export function checkNonNegative(value: unknown, what: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'number' && Number.isFinite(value) && value >= 0) return undefined;
  const need = typeof value === 'number' && !Number.isNaN(value) && value < 0 ? '>= 0' : 'a finite number >= 0';
  return `invalid ${what} ${fmtValue(value)} (must be ${need})`;
}

/** A number in [lo, hi) (or [lo, hi] when closed). */
export function checkRange(value: unknown, what: string, lo: number, hi: number, closed = false): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'number' && value >= lo && (closed ? value <= hi : value < hi)) return undefined;
  return `invalid ${what} ${fmtValue(value)} (must be in [${lo}, ${hi}${closed ? ']' : ')'})`;
}

export function checkBoolean(value: unknown, what: string): string | undefined {
  return value === undefined || typeof value === 'boolean' ? undefined : `invalid ${what} ${fmtValue(value)} (must be true or false)`;
}

/** A new zero-filled array of the parameter's dtype. */
function zerosLikeData(p: Tensor): FloatArray {
  return p.data instanceof Float64Array ? new Float64Array(p.numel) : new Float32Array(p.numel);
}

/** A copy of `t` with `like`'s dtype (state loaded from a dict is cast to its parameter's dtype, as PyTorch does). */
function copyAs(t: Tensor, like: Tensor): Tensor {
  const out = zerosLikeData(like);
  out.set(t.data);
  return new Tensor(out, like.shape);
}

/** A copy of an options object whose arrays (betas) are copied too, so that groups never share them. */
function copyOptions<T extends Record<string, unknown>>(options: T): T {
  const copy = (v: unknown): unknown => (Array.isArray(v) ? v.map(copy) : v);
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(options)) if (k !== 'params') out[k] = copy(v);
  return out as T;
}

/** The non-empty problems, for checkOptions implementations. */
export function problemsOf(...checks: (string | undefined)[]): string[] {
  return checks.filter((c): c is string => c !== undefined);
}

export abstract class Optimizer<O extends OptimizerOptions = OptimizerOptions> {
  /** The options used where a group does not set its own. */
  readonly defaults: Readonly<Partial<O>>;
  readonly paramGroups: ParamGroup<O>[] = [];
  /** Per-parameter state, created on a parameter's first step. */
  readonly state = new Map<Tensor, ParamState>();

  /**
   * @param params the tensors to optimize (e.g. model.parameters()), or parameter groups
   *   ({ params, ...option overrides }).
   * @param defaults the options of every group that does not override them; `undefined` values
   *   mean "required in every group" (SGD's lr).
   */
  constructor(params: Iterable<Tensor> | Iterable<ParamGroupInit<O>>, defaults: Partial<O>) {
    const name = this.constructor.name;
    if (params instanceof Tensor) {
      throw new TypeError(`${name}: params should be an iterable of Tensors or parameter groups, but got a Tensor (wrap it in an array)`);
    }
    if (params === null || typeof params !== 'object' || typeof (params as Iterable<unknown>)[Symbol.iterator] !== 'function') {
      throw new TypeError(`${name}: params should be an iterable of Tensors or parameter groups, got ${describe(params)}`);
    }
    this.defaults = Object.freeze(copyOptions(defaults as Record<string, unknown>) as Partial<O>);
    const problems = this.checkOptions(defaults);
    if (problems.length) throw new RangeError(`${name}: ${problems.join('; ')}`);
    const list = [...(params as Iterable<Tensor | ParamGroupInit<O>>)];
    if (list.length === 0) throw new RangeError(`${name}: got an empty parameter list`);
    const groups = list[0] instanceof Tensor ? [{ params: list as Tensor[] } as unknown as ParamGroupInit<O>] : (list as ParamGroupInit<O>[]);
    for (const g of groups) this.addParamGroup(g);
  }

  /**
   * Problems with the options, e.g. ['invalid learning rate -1 (must be >= 0)']; options that are
   * undefined are not checked. Called with the defaults at construction, with each group's options
   * when it is added or loaded, and before every step (schedulers and users change options).
   */
  protected abstract checkOptions(options: Partial<O>): string[];

  /**
   * The state entries a parameter of this group holds once it has taken a step (loadStateDict
   * checks a loaded state against it). Entries may be added by later configurations, e.g. a
   * momentum buffer, so `allowed` lists every key the optimizer ever uses.
   */
  protected abstract stateSpec(group: ParamGroup<O>): { required: string[]; allowed: Record<string, StateKind> };

  /** Updates the parameters of one group that have gradients (called under noGrad). */
  protected abstract updateGroup(group: ParamGroup<O>): void;

  /** Adds a parameter group (e.g. layers unfrozen during fine-tuning); missing options come from the defaults. */
  addParamGroup(init: ParamGroupInit<O>): void {
    const name = this.constructor.name;
    const where = `parameter group ${this.paramGroups.length}`;
    if (init === null || typeof init !== 'object' || init instanceof Tensor) {
      throw new TypeError(`${name}: a parameter group must be an object { params, ...options }, got ${describe(init)}`);
    }
    const raw = init.params as unknown;
    if (raw instanceof Set) throw new TypeError(`${name}: ${where}: params must be ordered (an array), not a Set`);
    const params = raw instanceof Tensor ? [raw] : raw != null && typeof (raw as Iterable<unknown>)[Symbol.iterator] === 'function' ? [...(raw as Iterable<unknown>)] : null;
    if (params === null) throw new TypeError(`${name}: ${where}: params must be an iterable of Tensors, got ${describe(raw)}`);
    if (params.length === 0) throw new RangeError(`${name}: ${where} has no parameters`);
    const seen = new Set<Tensor>();
    params.forEach((p, i) => {
      if (!(p instanceof Tensor)) throw new TypeError(`${name}: can only optimize Tensors, but parameter ${i} of ${where} is ${describe(p)}`);
      if (!p.isLeaf) throw new RangeError(`${name}: can't optimize a non-leaf Tensor (parameter ${i} of ${where} was produced by ${p.gradFn?.name})`);
      if (seen.has(p)) throw new RangeError(`${name}: parameter ${i} of ${where} appears twice in the group`);
      seen.add(p);
    });
    for (const g of this.paramGroups) {
      for (const p of g.params) if (seen.has(p)) throw new RangeError(`${name}: some parameters appear in more than one parameter group`);
    }
    const group = { ...copyOptions(init), params: params as Tensor[] } as ParamGroup<O>;
    const defaults = copyOptions(this.defaults as Record<string, unknown>);
    for (const [k, v] of Object.entries(defaults)) {
      if (group[k] !== undefined) continue;
      if (v === undefined) throw new RangeError(`${name}: ${where} didn't specify a value of required option ${k}`);
      (group as Record<string, unknown>)[k] = v;
    }
    const problems = this.checkOptions(group);
    if (problems.length) throw new RangeError(`${name}: ${where}: ${problems.join('; ')}`);
    this.paramGroups.push(group);
  }

  /** Forgets every parameter's gradient (sets it to null, PyTorch's set_to_none). */
  zeroGrad(): void {
    for (const g of this.paramGroups) for (const p of g.params) p.grad = null;
  }

  /**
   * One optimization step over every parameter that has a gradient (the others are skipped).
   * With a closure, it is called first (with gradients enabled) to recompute the loss, whose value
   * step returns.
   */
  step<T = undefined>(closure?: () => T): T | undefined {
    const loss = closure ? enableGrad(closure) : undefined;
    const name = this.constructor.name;
    this.paramGroups.forEach((g, gi) => {
      g.params.forEach((p, i) => {
        const grad = p.grad;
        if (grad === null) return;
        if (!shapesEqual(grad.shape, p.shape) || grad.dtype !== p.dtype) {
          throw new RangeError(
            `${name}.step: parameter ${i} of group ${gi} is ${p.dtype} ${fmtShape(p.shape)} but its gradient is ${grad.dtype} ${fmtShape(grad.shape)} (nothing was updated)`,
          );
        }
      });
      const problems = this.checkOptions(g);
      if (problems.length) throw new RangeError(`${name}.step: parameter group ${gi}: ${problems.join('; ')} (nothing was updated)`);
    });
    noGrad(() => {
      for (const g of this.paramGroups) this.updateGroup(g);
    });
    return loss;
  }

  /** The state of p (created empty on first use). */
  protected stateOf(p: Tensor): ParamState {
    let s = this.state.get(p);
    if (!s) {
      s = {};
      this.state.set(p, s);
    }
    return s;
  }

  /** The data of state tensor `key` of p, created (filled with `fill`) if missing. */
  protected stateTensor(state: ParamState, key: string, p: Tensor, fill = 0): FloatArray {
    let t = state[key];
    if (!(t instanceof Tensor)) {
      const data = zerosLikeData(p);
      if (fill !== 0) data.fill(fill);
      t = new Tensor(data, p.shape);
      state[key] = t;
    }
    return t.data;
  }

  /**
   * The optimizer's state in PyTorch's layout. Parameters are numbered across the groups in order;
   * state tensors are copies (the dict does not change as training goes on) and the group options
   * are plain JSON values.
   */
  stateDict(): OptimizerStateDict {
    const index = new Map<Tensor, number>();
    const paramGroups = this.paramGroups.map((g) => {
      const ids = g.params.map((p) => {
        index.set(p, index.size);
        return index.size - 1;
      });
      return { ...copyOptions(g as Record<string, unknown>), params: ids };
    });
    const state: OptimizerStateDict['state'] = {};
    for (const [p, s] of this.state) {
      const i = index.get(p);
      if (i === undefined || Object.keys(s).length === 0) continue;
      const out: Record<string, Tensor | number> = {};
      for (const [k, v] of Object.entries(s)) out[k] = v instanceof Tensor ? copyAs(v, v) : v;
      state[i] = out;
    }
    return { state, paramGroups };
  }

  /**
   * Restores a state dict from stateDict() (or from PyTorch's layout with gradnode's option and state
   * names). Everything is checked first: the number of groups and of parameters in each, the
   * options, every state entry's name, kind and shape. If anything is wrong, nothing is changed and
   * the error lists every problem. Tensors are copied (and cast to their parameter's dtype).
   */
  loadStateDict(sd: OptimizerStateDict): void {
    const name = this.constructor.name;
    const fail = (problems: string[]): never => {
      throw new Error(`${name}.loadStateDict: the state dict does not fit this optimizer (nothing was loaded):\n  ${problems.join('\n  ')}`);
    };
    if (sd === null || typeof sd !== 'object' || !Array.isArray(sd.paramGroups) || sd.state === null || typeof sd.state !== 'object') {
      fail(['expected { state: {...}, paramGroups: [...] }']);
    }
    const problems: string[] = []; // structural: parameters cannot be matched up
    const optionProblems: string[] = [];
    if (sd.paramGroups.length !== this.paramGroups.length) {
      fail([`the state dict has ${sd.paramGroups.length} parameter groups, the optimizer ${this.paramGroups.length}`]);
    }
    // Saved parameter numbers map, in order, onto the optimizer's parameters.
    const byIndex = new Map<string, { p: Tensor; group: ParamGroup<O> }>();
    const newGroups: ParamGroup<O>[] = [];
    sd.paramGroups.forEach((saved, gi) => {
      const own = this.paramGroups[gi];
      if (saved === null || typeof saved !== 'object' || !Array.isArray(saved.params)) {
        problems.push(`group ${gi}: expected { params: number[], ...options }`);
        return;
      }
      if (saved.params.length !== own.params.length) {
        problems.push(`group ${gi}: ${saved.params.length} parameters in the state dict, ${own.params.length} in the optimizer`);
      }
      const ids: unknown[] = saved.params;
      const group = { ...copyOptions(saved), params: own.params } as unknown as ParamGroup<O>;
      for (const k of Object.keys(this.defaults)) if (group[k] === undefined) optionProblems.push(`group ${gi}: option ${k} is missing`);
      for (const problem of this.checkOptions(group)) optionProblems.push(`group ${gi}: ${problem}`);
      newGroups.push(group);
      ids.forEach((raw, i) => {
        const id = raw as number;
        if (!Number.isInteger(id) || id < 0) problems.push(`group ${gi}: parameter number ${fmtValue(id)} is not an integer >= 0`);
        else if (byIndex.has(String(id))) problems.push(`group ${gi}: parameter number ${id} appears twice`);
        else if (i < own.params.length) byIndex.set(String(id), { p: own.params[i], group });
      });
    });
    if (problems.length) fail([...problems, ...optionProblems]);
    problems.push(...optionProblems);

    const newState = new Map<Tensor, ParamState>();
    for (const [key, entry] of Object.entries(sd.state)) {
      const target = byIndex.get(key);
      if (!target) {
        problems.push(`state ${key}: no parameter has that number`);
        continue;
      }
      if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) {
        problems.push(`state ${key}: expected an object, got ${describe(entry)}`);
        continue;
      }
      const { p, group } = target;
      const spec = this.stateSpec(group);
      const out: ParamState = {};
      for (const [k, v] of Object.entries(entry)) {
        const kind = spec.allowed[k];
        if (kind === undefined) problems.push(`state ${key}: unexpected entry ${k} (${name} keeps ${Object.keys(spec.allowed).join(', ')})`);
        else if (kind === 'count') {
          // PyTorch keeps some step counts as one-element tensors; gradnode as numbers.
          const n = v instanceof Tensor && v.numel === 1 ? v.data[0] : v;
          if (typeof n === 'number' && Number.isInteger(n) && n >= 0) out[k] = n;
          else problems.push(`state ${key}.${k}: expected a step count (an integer >= 0), got ${describe(v)}`);
        } else if (!(v instanceof Tensor)) problems.push(`state ${key}.${k}: expected a Tensor, got ${describe(v)}`);
        else if (!shapesEqual(v.shape, p.shape)) {
          problems.push(`state ${key}.${k}: shape ${fmtShape(v.shape)} in the state dict, but the parameter's shape is ${fmtShape(p.shape)}`);
        } else out[k] = copyAs(v, p);
      }
      const keys = Object.keys(entry);
      if (keys.length > 0) {
        const missing = spec.required.filter((k) => !keys.includes(k));
        if (missing.length) problems.push(`state ${key}: missing ${missing.join(', ')}`);
      }
      if (keys.length > 0) newState.set(p, out);
    }
    if (problems.length) fail(problems);

    // Everything fits: replace the state, and the groups' options in place (so references held
    // elsewhere, by schedulers or user code, see the loaded values).
    this.state.clear();
    for (const [p, s] of newState) this.state.set(p, s);
    this.paramGroups.forEach((g, gi) => {
      for (const k of Object.keys(g)) if (k !== 'params') delete (g as Record<string, unknown>)[k];
      Object.assign(g, newGroups[gi]);
    });
  }

  toString(): string {
    const lines = [`${this.constructor.name} (`];
    this.paramGroups.forEach((g, i) => {
      lines.push(`Parameter Group ${i}`);
      for (const k of Object.keys(g).sort()) if (k !== 'params') lines.push(`    ${k}: ${fmtValue(g[k])}`);
    });
    lines.push(')');
    return lines.join('\n');
  }
}
