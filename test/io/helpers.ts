// Shared by the io tests: temporary directories, hand-built safetensors files, the Python reference
// script, and small stand-ins for an optimizer and a scheduler with PyTorch's state-dict layout.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll } from 'vitest';
import * as gn from '../../src';
import { Tensor } from '../../src/tensor';

export const repoRoot = path.resolve(__dirname, '..', '..');
export const refScript = path.join(repoRoot, 'fixtures', 'safetensors_ref.py');
export const fixtureDir = path.join(repoRoot, 'test', 'fixtures', 'safetensors');
export const PYTHON = '/usr/bin/python3';

/** A fresh temporary directory, removed after the file's tests. */
export function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gradnode-io-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Runs the reference script; returns status and output. */
export function runRef(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(PYTHON, [refScript, ...args], { encoding: 'utf8', timeout: 60_000 });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A safetensors file from a header (object or raw text) and data bytes; N is the header's byte length unless given. */
export function buildFile(header: unknown, data: Uint8Array | number[] = [], opts: { n?: bigint; pad?: boolean } = {}): Uint8Array {
  let text = typeof header === 'string' ? header : JSON.stringify(header);
  const bytes = Buffer.from(text, 'utf8');
  let head: Uint8Array = bytes;
  if (opts.pad !== false) {
    const padded = Math.ceil(bytes.length / 8) * 8;
    head = Buffer.concat([bytes, Buffer.alloc(padded - bytes.length, 0x20)]);
  }
  text = '';
  const out = new Uint8Array(8 + head.length + data.length);
  new DataView(out.buffer).setBigUint64(0, opts.n ?? BigInt(head.length), true);
  out.set(head, 8);
  out.set(data instanceof Uint8Array ? data : Uint8Array.from(data), 8 + head.length);
  return out;
}

/** The bytes of float32 values. */
export function f32Bytes(...values: number[]): Uint8Array {
  return new Uint8Array(Float32Array.from(values).buffer);
}

/** Bitwise equality of two float arrays (NaN equal to NaN, -0 different from 0). */
export function sameBits(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return false;
  return true;
}

/** A deep copy of every parameter and buffer of a model, to compare after a failed load. */
export function snapshot(model: gn.nn.Module): Record<string, Float32Array | Float64Array> {
  const out: Record<string, Float32Array | Float64Array> = {};
  for (const [k, t] of Object.entries(model.stateDict())) out[k] = t.data.slice();
  return out;
}

export function expectSameState(model: gn.nn.Module, snap: Record<string, Float32Array | Float64Array>): void {
  const sd = model.stateDict();
  const keys = Object.keys(sd);
  if (keys.join() !== Object.keys(snap).join()) throw new Error(`keys changed: ${keys.join()} vs ${Object.keys(snap).join()}`);
  for (const k of keys) if (!sameBits(sd[k].data, snap[k])) throw new Error(`${k} changed`);
}

// ------------------------------------------------------------------------------------------------
// Stand-ins with PyTorch's optimizer / scheduler state-dict layout (until gn.optim lands).
// ------------------------------------------------------------------------------------------------

type StateValue = Tensor | number;
export interface SdLike {
  state: Record<number, Record<string, StateValue>>;
  paramGroups: (Record<string, unknown> & { params: number[] })[];
}

/** SGD with momentum: state per parameter {momentum_buffer: Tensor, step: number}. */
export class StandInSGD {
  paramGroups: { params: Tensor[]; lr: number; momentum: number }[];
  state = new Map<Tensor, Record<string, StateValue>>();
  constructor(groups: { params: Tensor[]; lr?: number; momentum?: number }[] | Tensor[], opts: { lr?: number; momentum?: number } = {}) {
    const gs = groups[0] instanceof Tensor ? [{ params: groups as Tensor[] }] : (groups as { params: Tensor[]; lr?: number; momentum?: number }[]);
    this.paramGroups = gs.map((g) => ({ params: g.params, lr: g.lr ?? opts.lr ?? 0.1, momentum: g.momentum ?? opts.momentum ?? 0.9 }));
  }
  step(): void {
    for (const g of this.paramGroups) {
      for (const p of g.params) {
        if (!p.grad) continue;
        let s = this.state.get(p);
        if (!s) {
          s = { momentum_buffer: new Tensor(p.grad.data.slice(), p.shape), step: 0 };
          this.state.set(p, s);
        } else {
          const b = (s.momentum_buffer as Tensor).data;
          for (let i = 0; i < b.length; i++) b[i] = g.momentum * b[i] + p.grad.data[i];
        }
        s.step = (s.step as number) + 1;
        const b = (s.momentum_buffer as Tensor).data;
        for (let i = 0; i < b.length; i++) p.data[i] -= g.lr * b[i];
      }
    }
  }
  stateDict(): SdLike {
    const index = new Map<Tensor, number>();
    let i = 0;
    const paramGroups = this.paramGroups.map((g) => {
      const { params, ...opts } = g;
      return { ...opts, params: params.map((p) => (index.has(p) ? index.get(p)! : (index.set(p, i), i++))) };
    });
    const state: SdLike['state'] = {};
    for (const [p, s] of this.state) state[index.get(p)!] = { ...s };
    return { state, paramGroups };
  }
  loadStateDict(sd: SdLike): void {
    if (sd.paramGroups.length !== this.paramGroups.length) throw new Error('StandInSGD.loadStateDict: param group count differs');
    const params = this.paramGroups.flatMap((g) => g.params);
    const state = new Map<Tensor, Record<string, StateValue>>();
    for (const [idx, s] of Object.entries(sd.state)) {
      const copy: Record<string, StateValue> = {};
      for (const [k, v] of Object.entries(s)) copy[k] = v instanceof Tensor ? new Tensor(v.data.slice(), v.shape) : v;
      state.set(params[Number(idx)], copy);
    }
    this.state = state;
    sd.paramGroups.forEach((g, i) => {
      const { params: _, ...opts } = g;
      Object.assign(this.paramGroups[i], opts);
    });
  }
}

/** StepLR-like: lr of every group multiplied by gamma every stepSize epochs. */
export class StandInStepLR {
  lastEpoch = 0;
  constructor(readonly optimizer: StandInSGD, readonly stepSize: number, readonly gamma: number) {}
  step(): void {
    this.lastEpoch++;
    if (this.lastEpoch % this.stepSize === 0) for (const g of this.optimizer.paramGroups) g.lr *= this.gamma;
  }
  stateDict(): { lastEpoch: number; stepSize: number; gamma: number } {
    return { lastEpoch: this.lastEpoch, stepSize: this.stepSize, gamma: this.gamma };
  }
  loadStateDict(sd: { lastEpoch: number }): void {
    this.lastEpoch = sd.lastEpoch;
  }
}
