/**
 * nn.Module: the base of every layer and model.
 *
 * Parameters and submodules are found by reflection, as attribute assignment finds them in PyTorch:
 * any own property holding a Parameter is a parameter, any holding a Module is a submodule
 * (containers list theirs explicitly), whatever its name (`_encoder` too). To hold a module or
 * parameter without registering it, use an ES private field (`#teacher`), which reflection cannot
 * see. Buffers (state that is not trained, such as batch norm's running statistics) are registered
 * with registerBuffer. Names are dotted paths (`features.0.weight`), in the order properties were
 * assigned.
 */
import { noGrad } from '../autograd/grad_mode';
import { fmtShape, shapesEqual } from '../shape';
import { Tensor } from '../tensor';

/** A tensor that is a module's trainable parameter (requiresGrad is true by default). */
export class Parameter extends Tensor {
  constructor(t: Tensor, requiresGrad = true) {
    super(t.data, t.shape, requiresGrad);
  }
}

export type StateDict = Record<string, Tensor>;

export interface LoadResult {
  missingKeys: string[];
  unexpectedKeys: string[];
}

export abstract class Module {
  /** True in training mode (dropout active, batch norm using batch statistics). */
  training = true;
  private _buffers = new Map<string, boolean>(); // name -> persistent

  /** The computation. Subclasses define it with their own signature. */
  abstract forward(...args: never[]): unknown;

  /** Registers (or replaces) a buffer: a tensor saved in the state dict (if persistent) but not trained. */
  registerBuffer(name: string, tensor: Tensor | null, persistent = true): Tensor | null {
    if (name.includes('.') || name === '') throw new Error(`registerBuffer: buffer name must be a non-empty string without '.', got "${name}"`);
    if (tensor !== null && !(tensor instanceof Tensor)) throw new TypeError(`registerBuffer: ${name} must be a Tensor or null`);
    this._buffers.set(name, persistent);
    (this as unknown as Record<string, unknown>)[name] = tensor;
    return tensor;
  }

  /** Direct submodules, with their names. */
  namedChildren(): [string, Module][] {
    const out: [string, Module][] = [];
    for (const [k, v] of Object.entries(this)) {
      if (v instanceof Module) out.push([k, v]);
    }
    return out;
  }

  children(): Module[] {
    return this.namedChildren().map(([, m]) => m);
  }

  /** This module and every submodule, depth first, with dotted names ('' for this one). */
  namedModules(prefix = ''): [string, Module][] {
    const out: [string, Module][] = [[prefix, this]];
    for (const [name, child] of this.namedChildren()) {
      out.push(...child.namedModules(prefix ? `${prefix}.${name}` : name));
    }
    return out;
  }

  modules(): Module[] {
    return this.namedModules().map(([, m]) => m);
  }

  /** This module's own parameters (not its submodules'). */
  protected ownParameters(): [string, Parameter][] {
    const out: [string, Parameter][] = [];
    for (const [k, v] of Object.entries(this)) {
      if (v instanceof Parameter) out.push([k, v]);
    }
    return out;
  }

  /** Every parameter with its dotted name; a parameter shared by two modules is listed once. */
  namedParameters(): [string, Parameter][] {
    const seen = new Set<Parameter>();
    const out: [string, Parameter][] = [];
    for (const [prefix, m] of this.namedModules()) {
      for (const [k, p] of m.ownParameters()) {
        if (seen.has(p)) continue;
        seen.add(p);
        out.push([prefix ? `${prefix}.${k}` : k, p]);
      }
    }
    return out;
  }

  parameters(): Parameter[] {
    return this.namedParameters().map(([, p]) => p);
  }

  /** Every buffer with its dotted name (persistent ones only when onlyPersistent). */
  namedBuffers(onlyPersistent = false): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    for (const [prefix, m] of this.namedModules()) {
      for (const [k, persistent] of m._buffers) {
        const t = (m as unknown as Record<string, Tensor | null>)[k];
        if (t === null || (onlyPersistent && !persistent)) continue;
        out.push([prefix ? `${prefix}.${k}` : k, t]);
      }
    }
    return out;
  }

  buffers(): Tensor[] {
    return this.namedBuffers().map(([, b]) => b);
  }

  /** Training mode on (or off) for this module and all submodules. */
  train(mode = true): this {
    for (const m of this.modules()) m.training = mode;
    return this;
  }

  /** Evaluation mode: train(false). */
  eval(): this {
    return this.train(false);
  }

  /** Calls fn on every submodule (children first) and then on this module, like PyTorch's apply. */
  apply(fn: (m: Module) => void): this {
    for (const child of this.children()) child.apply(fn);
    fn(this);
    return this;
  }

  /** Forgets every parameter's gradient. */
  zeroGrad(): void {
    for (const p of this.parameters()) p.grad = null;
  }

  /** Parameters and persistent buffers by dotted name (tensors sharing the module's storage). */
  stateDict(): StateDict {
    const sd: StateDict = {};
    for (const [k, p] of this.namedParameters()) sd[k] = p.detach();
    for (const [k, b] of this.namedBuffers(true)) sd[k] = b.detach();
    return sd;
  }

  /**
   * Copies values from a state dict into the parameters and buffers (the same tensor objects keep
   * their identity, so optimizers stay attached). Every missing, unexpected or mis-shaped entry is
   * reported at once, and nothing is copied unless the whole dict fits (with strict false, missing
   * and unexpected keys are allowed and returned, but shapes must still match).
   */
  loadStateDict(sd: StateDict, opts: { strict?: boolean } = {}): LoadResult {
    const strict = opts.strict ?? true;
    if (sd === null || typeof sd !== 'object') throw new TypeError('loadStateDict: expected an object of tensors');
    const own = new Map<string, Tensor>([...this.namedParameters(), ...this.namedBuffers(true)]);
    const missingKeys = [...own.keys()].filter((k) => !(k in sd));
    const unexpectedKeys = Object.keys(sd).filter((k) => !own.has(k));
    const problems: string[] = [];
    for (const [k, t] of own) {
      if (!(k in sd)) continue;
      const src = sd[k];
      if (!(src instanceof Tensor)) problems.push(`${k}: expected a Tensor, got ${typeof src}`);
      else if (!shapesEqual(src.shape, t.shape)) {
        problems.push(`${k}: shape ${fmtShape(src.shape)} in the state dict, ${fmtShape(t.shape)} in the model`);
      }
    }
    if (strict) {
      if (missingKeys.length) problems.push(`missing keys: ${missingKeys.join(', ')}`);
      if (unexpectedKeys.length) problems.push(`unexpected keys: ${unexpectedKeys.join(', ')}`);
    }
    if (problems.length) {
      throw new Error(`loadStateDict: the state dict does not fit ${this.constructor.name} (nothing was loaded):\n  ${problems.join('\n  ')}`);
    }
    noGrad(() => {
      for (const [k, t] of own) if (k in sd) t.data.set(sd[k].data);
    });
    return { missingKeys, unexpectedKeys };
  }

  /** Number of parameter elements (trainable ones only when onlyTrainable). */
  numParameters(onlyTrainable = false): number {
    return this.parameters()
      .filter((p) => !onlyTrainable || p.requiresGrad)
      .reduce((n, p) => n + p.numel, 0);
  }

  /** The layer's settings, shown in toString (e.g. "784, 10, bias=true"). */
  extraRepr(): string {
    return '';
  }

  /** PyTorch-style nested description of the module. */
  toString(): string {
    const children = this.namedChildren();
    const head = `${this.constructor.name}(${this.extraRepr()}`;
    if (children.length === 0) return `${head})`;
    const lines = children.map(([name, m]) => `  (${name}): ${m.toString().split('\n').join('\n  ')}`);
    return `${head}\n${lines.join('\n')}\n)`;
  }

  /** A table of the layers with their parameter counts, and the totals. */
  summary(): string {
    const rows: [string, string, string][] = [];
    for (const [name, m] of this.namedModules()) {
      if (name === '') continue;
      const own = m.ownParameters().reduce((n, [, p]) => n + p.numel, 0);
      rows.push([name, m.constructor.name, own.toLocaleString('en-US')]);
    }
    const w0 = Math.max(5, ...rows.map((r) => r[0].length));
    const w1 = Math.max(4, ...rows.map((r) => r[1].length));
    const w2 = Math.max(10, ...rows.map((r) => r[2].length));
    const line = (a: string, b: string, c: string) => `${a.padEnd(w0)}  ${b.padEnd(w1)}  ${c.padStart(w2)}`;
    const total = this.numParameters();
    const trainable = this.numParameters(true);
    return [
      line('layer', 'type', 'parameters'),
      '-'.repeat(w0 + w1 + w2 + 4),
      ...rows.map((r) => line(...r)),
      '-'.repeat(w0 + w1 + w2 + 4),
      `total parameters: ${total.toLocaleString('en-US')} (trainable: ${trainable.toLocaleString('en-US')})`,
    ].join('\n');
  }
}
