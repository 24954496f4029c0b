/**
 * The PyTorch peer: bench/peers/torch_bench.py (kernels) and torch_lenet.py (the LeNet epoch), run
 * with an interpreter that has torch (Debian's /usr/bin/python3 by default), at the benchmark's
 * thread count, with OMP_WAIT_POLICY=PASSIVE (without it, idle OpenMP threads spin and PyTorch is
 * slower than it can be on a 2-core machine).
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Timing } from './timing';

export interface TorchItem {
  id: string;
  kind: string;
  pass: string;
  [key: string]: unknown;
}

export interface TorchPeer {
  python: string;
  version: string;
}

/**
 * The environment the benchmark was started with, taken when this module loads: before the package
 * under test, whose loader sets OMP_WAIT_POLICY and GOMP_SPINCOUNT in process.env (so that PyTorch
 * got gradnode's spin count in every configuration; with 100000 spins its 2-thread LeNet epochs
 * were 1.4x slower than with 10000).
 */
const startEnv: NodeJS.ProcessEnv = { ...process.env };

function env(threads: number): NodeJS.ProcessEnv {
  const t = String(threads);
  return { ...startEnv, OMP_WAIT_POLICY: 'PASSIVE', OMP_NUM_THREADS: t, MKL_NUM_THREADS: t, OPENBLAS_NUM_THREADS: t };
}

/** The torch version behind `python`, or the reason it cannot be used. */
export function detectTorch(python: string): TorchPeer | { error: string } {
  const r = spawnSync(python, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8', env: env(1) });
  if (r.error) return { error: `${python}: ${r.error.message}` };
  if (r.status !== 0) return { error: `${python} cannot import torch (${r.stderr.trim().split('\n').pop()})` };
  return { python, version: r.stdout.trim() };
}

export function runTorchKernels(
  peer: TorchPeer,
  benchDir: string,
  items: TorchItem[],
  threads: number,
  reps: number,
  minTime: number,
): { results: Map<string, Timing | { error: string }>; meta: Record<string, unknown> } {
  const spec = path.join(os.tmpdir(), `gradnode-torch-spec-${process.pid}.json`);
  fs.writeFileSync(spec, JSON.stringify({ threads, reps, minTime, items }));
  try {
    const r = spawnSync(peer.python, [path.join(benchDir, 'peers', 'torch_bench.py'), spec], {
      encoding: 'utf8',
      env: env(threads),
      maxBuffer: 64 << 20,
    });
    if (r.status !== 0) throw new Error(`torch_bench.py failed (${r.status}): ${r.stderr.trim().split('\n').slice(-3).join(' | ')}`);
    const out = JSON.parse(r.stdout) as { results: ({ id: string; error?: string } & Timing)[] } & Record<string, unknown>;
    const results = new Map<string, Timing | { error: string }>();
    for (const x of out.results) results.set(x.id, x.error ? { error: x.error } : x);
    const { results: _, ...meta } = out;
    return { results, meta };
  } finally {
    fs.rmSync(spec, { force: true });
  }
}

export interface TorchLenetResult {
  torch: string;
  threads: number;
  images: number;
  epochs: { seconds: number; imagesPerSecond: number; loss: number; phases: Record<string, number>; othersBusy?: number }[];
  best: { seconds: number; imagesPerSecond: number; loss: number; phases: Record<string, number>; othersBusy?: number };
}

/** `extraEnv` adds to the environment of env(threads), e.g. the libgomp spin count gradnode uses. */
export function runTorchLenet(peer: TorchPeer, benchDir: string, threads: number, epochs: number, limit: number, data: string, extraEnv: NodeJS.ProcessEnv = {}): TorchLenetResult {
  const args = [path.join(benchDir, 'peers', 'torch_lenet.py'), '--threads', String(threads), '--epochs', String(epochs), '--data', data];
  if (limit > 0) args.push('--limit', String(limit));
  const r = spawnSync(peer.python, args, { encoding: 'utf8', env: { ...env(threads), ...extraEnv }, maxBuffer: 16 << 20 });
  if (r.status !== 0) throw new Error(`torch_lenet.py failed (${r.status}): ${r.stderr.trim().split('\n').slice(-3).join(' | ')}`);
  return JSON.parse(r.stdout) as TorchLenetResult;
}
