/** Containers: Sequential, ModuleList and ModuleDict. */
import { recycleArray } from '../autograd/scratch';
import { linearRelu } from '../ops/matmul';
import { reluMaxPool2d } from '../ops/pool';
import type { Tensor } from '../tensor';
import { ReLU } from './layers/activation';
import { Conv2d } from './layers/conv';
import { Linear } from './layers/linear';
import { MaxPool2d } from './layers/pooling';
import { Module } from './module';

/** A ReLU, MaxPool2d or Conv2d whose forward is the class's own (not overridden by a subclass or instance). */
const plainRelu = (m: Module): m is ReLU => m instanceof ReLU && m.forward === ReLU.prototype.forward;
const plainMaxPool = (m: Module): m is MaxPool2d => m instanceof MaxPool2d && m.forward === MaxPool2d.prototype.forward;
const plainConv = (m: Module): m is Conv2d => m instanceof Conv2d && m.forward === Conv2d.prototype.forward;
const plainLinear = (m: Module): m is Linear => m instanceof Linear && m.forward === Linear.prototype.forward;

function checkModule(where: string, m: unknown): asserts m is Module {
  if (!(m instanceof Module)) throw new TypeError(`${where}: expected a Module, got ${m === null ? 'null' : typeof m}`);
}

/** Applies its modules in order; children are named "0", "1", ... (or by the keys given). */
export class Sequential extends Module {
  private _layers: [string, Module][];

  constructor(...modules: Module[] | [Record<string, Module>]) {
    super();
    const first = modules[0];
    if (modules.length === 1 && !(first instanceof Module) && typeof first === 'object' && first !== null) {
      this._layers = Object.entries(first as Record<string, Module>);
    } else {
      this._layers = (modules as Module[]).map((m, i) => [String(i), m]);
    }
    this._layers.forEach(([name, m]) => checkModule(`Sequential: layer ${name}`, m));
  }

  override namedChildren(): [string, Module][] {
    return this._layers.slice();
  }

  get length(): number {
    return this._layers.length;
  }

  /** The i-th layer (negative counts from the end). */
  at(i: number): Module {
    const m = this._layers.at(i);
    if (!m) throw new RangeError(`Sequential.at: index ${i} is out of range for ${this._layers.length} layers`);
    return m[1];
  }

  append(m: Module): this {
    checkModule('Sequential.append', m);
    this._layers.push([String(this._layers.length), m]);
    return this;
  }

  /**
   * A ReLU followed by a MaxPool2d runs as one op, maxPool2d(relu(x)) computed as relu(maxPool2d(x))
   * (ops/pool.ts: the same values and gradients, with the ReLU on the pooled output); when a Conv2d
   * comes before them, its output's array goes back to the scratch pool once that op has read it.
   * A Linear followed by a ReLU runs as linearRelu (ops/matmul.ts: the ReLU in the GEMM's epilogue;
   * the same values and gradients).
   */
  forward(x: Tensor): Tensor {
    let h = x;
    const layers = this._layers;
    for (let i = 0; i < layers.length; i++) {
      const m = layers[i][1];
      const next = i + 1 < layers.length ? layers[i + 1][1] : null;
      if (next !== null && plainLinear(m) && plainRelu(next)) {
        h = linearRelu(h, m.weight, m.bias);
        i++;
        continue;
      }
      if (next !== null && plainRelu(m) && plainMaxPool(next)) {
        const input = h;
        h = reluMaxPool2d(input, next.kernelSize, next.options);
        // A plain Conv2d's output, made in this call: nothing but `input` refers to its array
        // (conv2d saves its own input, the fused op its output), so it goes back to the pool.
        if (i > 0 && plainConv(layers[i - 1][1])) recycleArray(input.data);
        i++;
        continue;
      }
      h = (m as unknown as { forward(t: Tensor): Tensor }).forward(h);
    }
    return h;
  }
}

/** A list of modules whose parameters are registered (children "0", "1", ...). */
export class ModuleList extends Module implements Iterable<Module> {
  private _items: Module[];

  constructor(modules: Iterable<Module> = []) {
    super();
    this._items = [...modules];
    this._items.forEach((m, i) => checkModule(`ModuleList: item ${i}`, m));
  }

  override namedChildren(): [string, Module][] {
    return this._items.map((m, i) => [String(i), m]);
  }

  get length(): number {
    return this._items.length;
  }

  at(i: number): Module {
    const m = this._items.at(i);
    if (!m) throw new RangeError(`ModuleList.at: index ${i} is out of range for ${this._items.length} modules`);
    return m;
  }

  push(...ms: Module[]): this {
    ms.forEach((m) => checkModule('ModuleList.push', m));
    this._items.push(...ms);
    return this;
  }

  [Symbol.iterator](): Iterator<Module> {
    return this._items[Symbol.iterator]();
  }

  forward(): never {
    throw new Error('ModuleList has no forward(): iterate over its modules in your own forward()');
  }
}

/** A string-keyed dictionary of modules whose parameters are registered. */
export class ModuleDict extends Module {
  private _items: Map<string, Module>;

  constructor(modules: Record<string, Module> = {}) {
    super();
    this._items = new Map();
    for (const [k, m] of Object.entries(modules)) this.set(k, m);
  }

  override namedChildren(): [string, Module][] {
    return [...this._items];
  }

  get(key: string): Module {
    const m = this._items.get(key);
    if (!m) throw new RangeError(`ModuleDict.get: no module named "${key}" (have: ${[...this._items.keys()].join(', ')})`);
    return m;
  }

  set(key: string, m: Module): this {
    if (key.includes('.') || key === '') throw new Error(`ModuleDict: key must be a non-empty string without '.', got "${key}"`);
    checkModule(`ModuleDict: ${key}`, m);
    this._items.set(key, m);
    return this;
  }

  has(key: string): boolean {
    return this._items.has(key);
  }

  keys(): string[] {
    return [...this._items.keys()];
  }

  get size(): number {
    return this._items.size;
  }

  forward(): never {
    throw new Error('ModuleDict has no forward(): use its modules in your own forward()');
  }
}
