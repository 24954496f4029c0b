/**
 * bench/native/gradnode_bench, built with CMake on first use (build-bench/, -DGRADNODE_BENCH=ON):
 * the FMA peak and memory bandwidth of this machine measured in this run (KERNELS.md §1.4, §9), and
 * OpenBLAS sgemm timings when OpenBLAS is installed.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Timing } from './timing';

export type Loop = '1R' | '1R+1W' | '2R+1W';
export type Level = 'L2' | 'L3' | 'DRAM';

export interface Calibration {
  isa: string;
  cpu: string;
  l2: number;
  l3: number;
  fma: { threads: number; gflops: number; iters: number }[];
  bandwidth: { loop: Loop; level: Level; threads: number; bytes: number; gbs: number; medianGbs: number }[];
  vectorLoops: string;
}

export interface HelperInfo {
  cpu: string;
  l1d: number;
  l2: number;
  l3: number;
  runnable: string[];
  best: string;
  openblas: boolean;
}

export class NativeHelper {
  readonly exe: string;

  private constructor(exe: string) {
    this.exe = exe;
  }

  /** Configures and builds the helper if needed; null (with the reason logged) when that fails. */
  static ensure(repo: string, log: (s: string) => void): NativeHelper | null {
    const dir = path.join(repo, 'build-bench');
    const exe = path.join(dir, 'gradnode_bench');
    const src = path.join(repo, 'bench', 'native', 'bench_main.cc');
    const stale = !fs.existsSync(exe) || fs.statSync(exe).mtimeMs < fs.statSync(src).mtimeMs;
    if (stale) {
      log('building bench/native/gradnode_bench (cmake -DGRADNODE_BENCH=ON, build-bench/)');
      const cfg = spawnSync('cmake', ['-S', repo, '-B', dir, '-DCMAKE_BUILD_TYPE=Release', '-DGRADNODE_BENCH=ON', '-DGRADNODE_TESTS=OFF'], {
        encoding: 'utf8',
      });
      if (cfg.status !== 0) {
        log(`cmake configure failed: ${(cfg.stderr || cfg.stdout || String(cfg.error)).trim().split('\n').slice(-3).join(' | ')}`);
        return null;
      }
      const b = spawnSync('cmake', ['--build', dir, '--target', 'gradnode_bench', '-j', '2'], { encoding: 'utf8' });
      if (b.status !== 0 || !fs.existsSync(exe)) {
        log(`building gradnode_bench failed: ${(b.stderr || b.stdout || String(b.error)).trim().split('\n').slice(-3).join(' | ')}`);
        return null;
      }
    }
    return new NativeHelper(exe);
  }

  private run<T>(args: string[]): T {
    const r = spawnSync(this.exe, args, { encoding: 'utf8', maxBuffer: 64 << 20, env: { ...process.env, OMP_WAIT_POLICY: 'PASSIVE' } });
    if (r.status !== 0) throw new Error(`gradnode_bench ${args[0]} failed (${r.status}): ${r.stderr.trim()}`);
    return JSON.parse(r.stdout) as T;
  }

  info(): HelperInfo {
    return this.run<HelperInfo>(['info']);
  }

  calibrate(isa: string, threads: number[], fmaSeconds: number): Calibration {
    return this.run<Calibration>(['calibrate', '--isa', isa, '--threads', threads.join(','), '--fma-seconds', String(fmaSeconds)]);
  }

  /** cblas_sgemm timings; shapes as name,m,n,k,transA,transB. */
  openblasGemm(
    shapes: { name: string; m: number; n: number; k: number; transA: boolean; transB: boolean }[],
    threads: number,
    reps: number,
    minTime: number,
  ): { config: string; results: Map<string, Timing> } {
    const args = ['gemm-openblas', '--threads', String(threads), '--reps', String(reps), '--min-time', String(minTime)];
    for (const s of shapes) args.push([s.name, s.m, s.n, s.k, s.transA ? 1 : 0, s.transB ? 1 : 0].join(','));
    const out = this.run<{ config: string; results: (Timing & { name: string })[] }>(args);
    return { config: out.config, results: new Map(out.results.map((r) => [r.name, r])) };
  }
}

/** The peak (GFLOP/s) measured for a thread count. */
export function peakFor(cal: Calibration | null, threads: number): number | null {
  return cal?.fma.find((f) => f.threads === threads)?.gflops ?? null;
}

/**
 * The cache level that holds a working set of `bytes` when `threads` threads share it: L2 while it
 * fits in half of the threads' L2s, L3 while it fits in three quarters of the L3, DRAM beyond.
 */
export function levelFor(cal: Calibration | null, bytes: number, threads: number): Level {
  const l2 = cal?.l2 ?? 512 * 1024;
  const l3 = cal?.l3 ?? 32 * 2 ** 20;
  if (bytes <= (l2 / 2) * threads) return 'L2';
  if (bytes <= (l3 * 3) / 4) return 'L3';
  return 'DRAM';
}

/**
 * The better of two calibrations of the same machine (each figure the maximum): on a shared machine
 * a calibration loop that ran while another process competed reads low, and a low peak would
 * inflate every fraction of it.
 */
export function mergeCalibrations(a: Calibration, b: Calibration | null): Calibration {
  if (!b) return a;
  return {
    ...a,
    fma: a.fma.map((f) => {
      const g = b.fma.find((x) => x.threads === f.threads);
      return g && g.gflops > f.gflops ? g : f;
    }),
    bandwidth: a.bandwidth.map((x) => {
      const y = b.bandwidth.find((q) => q.loop === x.loop && q.level === x.level && q.threads === x.threads);
      return y && y.gbs > x.gbs ? y : x;
    }),
  };
}

/** The bandwidth (GB/s) measured for a loop shape, level and thread count. */
export function bandwidthFor(cal: Calibration | null, loop: Loop, level: Level, threads: number): number | null {
  return cal?.bandwidth.find((b) => b.loop === loop && b.level === level && b.threads === threads)?.gbs ?? null;
}
