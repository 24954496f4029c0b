// Atomic saving: a process killed in the middle of overwriting a checkpoint leaves the previous one
// intact and loadable; a save that fails in-process (the disk refusing a write, the target being a
// directory) throws, leaves the previous file untouched and no temporary file behind.
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, test } from 'vitest';
import * as gn from '../../src';
import { loadCheckpoint, loadSafetensors, saveCheckpoint, saveSafetensors } from '../../src/io';
import { distEntry } from '../helpers/child';
import { tempDir } from './helpers';

const dir = tempDir();

// The children only build layers and save: the reference backend, chosen explicitly (no warning
// on stderr when the native addon is not built).
const childEnv = { ...process.env, GRADNODE_BACKEND: 'reference' };

/** Temporary files of a save of `target` (see src/io/atomic.ts: `.<name>.<pid>.<random>.tmp`). */
function tempsOf(target: string): string[] {
  const base = path.basename(target);
  return fs.readdirSync(path.dirname(target)).filter((n) => n.startsWith(`.${base}.`) && n.endsWith('.tmp'));
}

// The child: a 4096x4096 Linear (64 MiB of weights). It saves checkpoint A (weights 1, epoch 1),
// says so, then overwrites it with B (weights 2, epoch 2), during which the parent kills it.
const childScript = (target: string) => `
const gn = require(${JSON.stringify(distEntry)});
const model = new gn.nn.Linear(4096, 4096);
const fill = (v) => { for (const p of model.parameters()) p.data.fill(v); };
fill(1);
gn.io.saveCheckpoint(${JSON.stringify(target)}, { model, metadata: { epoch: 1 } });
process.stdout.write('saved A\\n');
fill(2);
gn.io.saveCheckpoint(${JSON.stringify(target)}, { model, metadata: { epoch: 2 } });
process.stdout.write('saved B\\n');
`;

interface KillResult {
  signal: NodeJS.Signals | null;
  stdout: string;
  /** Size of the temporary file when the kill was sent. */
  tempSize: number;
  temps: string[];
}

/** Runs the child and SIGKILLs it as soon as B's temporary file exists and is non-empty. */
async function killMidSave(target: string): Promise<KillResult> {
  const child = spawn(process.execPath, ['-e', childScript(target)], { stdio: ['ignore', 'pipe', 'pipe'], env: childEnv });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
  let done = false;
  void exited.then(() => (done = true));
  let tempSize = -1;
  const deadline = Date.now() + 60_000;
  while (!done && Date.now() < deadline) {
    if (stdout.includes('saved A')) {
      for (const name of tempsOf(target)) {
        let size = 0;
        try {
          size = fs.statSync(path.join(dir, name)).size;
        } catch {
          continue; // renamed away between readdir and stat
        }
        if (size > 0) {
          child.kill('SIGKILL');
          tempSize = size;
          break;
        }
      }
      if (tempSize >= 0) break;
    }
    await new Promise((r) => setImmediate(r));
  }
  if (tempSize < 0) child.kill('SIGKILL');
  const signal = await exited;
  if (stderr.trim()) throw new Error(`child failed: ${stderr}`);
  return { signal, stdout, tempSize, temps: tempsOf(target) };
}

describe('a save killed part-way', () => {
  test('SIGKILL while overwriting a large checkpoint leaves the previous checkpoint intact and loadable', async () => {
    const target = path.join(dir, 'big.safetensors');
    const fullSize = 8 + 4096 * 4096 * 4 + 4096 * 4; // at least the data section of B
    let r: KillResult | null = null;
    // The kill lands while B is being written unless the machine is so slow to poll that B
    // finishes first; then try again (each attempt is checked to have really been mid-write).
    for (let attempt = 0; attempt < 3; attempt++) {
      for (const t of tempsOf(target)) fs.rmSync(path.join(dir, t));
      r = await killMidSave(target);
      if (!r.stdout.includes('saved B') && r.tempSize > 0) break;
    }
    expect(r!.signal).toBe('SIGKILL');
    expect(r!.stdout).toBe('saved A\n');
    // Killed mid-write: B's temporary file is there, partial; the target was never replaced.
    expect(r!.tempSize).toBeGreaterThan(0);
    expect(r!.tempSize).toBeLessThan(fullSize);
    expect(r!.temps.length).toBe(1);

    const model = new gn.nn.Linear(4096, 4096);
    expect(loadCheckpoint(target, { model })).toEqual({ epoch: 1 });
    expect(model.weight.data.every((v) => v === 1)).toBe(true);
    expect(model.bias!.data.every((v) => v === 1)).toBe(true);
    expect(Object.keys(loadSafetensors(target).tensors).sort()).toEqual(['model.bias', 'model.weight']);
    // The partial temporary file is not a valid checkpoint (so it can never be mistaken for one).
    expect(() => loadCheckpoint(path.join(dir, r!.temps[0]), { model })).toThrow();
  });
});

describe('a save that fails in-process', () => {
  test('the disk refusing a write part-way (file size limit: EFBIG) throws, keeps the old file, leaves no temp file', () => {
    const target = path.join(dir, 'limited.safetensors');
    // bash's ulimit -f counts 1024-byte blocks: 1 MiB. A (a 64x64 Linear) fits; B (512x512, 1 MiB of weights) does not.
    const script = `
const gn = require(${JSON.stringify(distEntry)});
const fs = require('node:fs');
const target = ${JSON.stringify(target)};
const small = new gn.nn.Linear(64, 64);
for (const p of small.parameters()) p.data.fill(1);
gn.io.saveCheckpoint(target, { model: small, metadata: { which: 'A' } });
const big = new gn.nn.Linear(512, 512);
let error = null;
try { gn.io.saveCheckpoint(target, { model: big, metadata: { which: 'B' } }); } catch (e) { error = { message: e.message, code: e.code }; }
const temps = fs.readdirSync(${JSON.stringify(dir)}).filter((n) => n.startsWith('.limited.safetensors.') && n.endsWith('.tmp'));
const back = new gn.nn.Linear(64, 64);
const meta = gn.io.loadCheckpoint(target, { model: back });
console.log(JSON.stringify({ error, temps, meta, ones: back.weight.data.every((v) => v === 1) }));
`;
    const r = spawnSync('bash', ['-c', 'ulimit -f 1024 && exec "$0" -e "$1"', process.execPath, script], { encoding: 'utf8', timeout: 60_000, env: childEnv });
    expect(r.stderr).toBe('');
    const out = JSON.parse(r.stdout.trim().split('\n').pop()!);
    expect(out.error.code).toBe('EFBIG');
    expect(out.error.message).toContain(`could not write ${target} (the previous file, if any, is unchanged)`);
    expect(out.temps).toEqual([]);
    expect(out.meta).toEqual({ which: 'A' });
    expect(out.ones).toBe(true);
  });

  test('renaming over a directory fails after the write: the temp file is removed, the directory untouched', () => {
    const target = path.join(dir, 'is-a-dir.safetensors');
    fs.mkdirSync(target);
    fs.writeFileSync(path.join(target, 'keep'), 'x');
    expect(() => saveSafetensors(target, { w: gn.ones([1000]) })).toThrow(/saveSafetensors: could not write .*is-a-dir\.safetensors/);
    expect(() => saveCheckpoint(target, { model: new gn.nn.Linear(3, 3) })).toThrow(/saveCheckpoint: could not write/);
    expect(tempsOf(target)).toEqual([]);
    expect(fs.readdirSync(target)).toEqual(['keep']);
  });

  test('a directory that does not exist: an error naming the file, nothing created', () => {
    const target = path.join(dir, 'no', 'such', 'dir.safetensors');
    expect(() => saveSafetensors(target, { w: gn.ones([3]) })).toThrow(/could not write .*no\/such\/dir\.safetensors.*ENOENT/);
    expect(fs.existsSync(path.join(dir, 'no'))).toBe(false);
  });

  test('a successful overwrite replaces the file whole and leaves no temp file', () => {
    const target = path.join(dir, 'over.safetensors');
    saveSafetensors(target, { w: gn.ones([5]) }, { v: '1' });
    saveSafetensors(target, { w: gn.zeros([7]), u: gn.ones([2]) }, { v: '2' });
    const { tensors, metadata } = loadSafetensors(target);
    expect(metadata).toEqual({ v: '2' });
    expect(tensors.w.shape).toEqual([7]);
    expect(tempsOf(target)).toEqual([]);
  });
});
