// Shared by the io tests: temporary directories, hand-built safetensors files, the Python reference
// script, model snapshots.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll } from 'vitest';
import * as gn from '../../src';

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
