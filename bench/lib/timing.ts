/**
 * Wall-clock timing of synchronous calls with process.hrtime.bigint(): one warm-up call, then
 * samples of `inner` back-to-back calls (inner sized from a second call so that a sample takes at
 * least ~2 ms), at least `reps` samples and `minTime` seconds, at most `maxSamples`. Best and median
 * are per call. bench/peers/torch_bench.py and `gradnode_bench gemm-openblas` use the same method.
 */
import * as fs from 'node:fs';

export interface Timing {
  /** Seconds per call: the fastest sample and the median sample. */
  best: number;
  median: number;
  /** Samples taken and calls per sample. */
  reps: number;
  inner: number;
  /**
   * Cores other processes kept busy while the samples ran (all CPU time of the machine minus this
   * process's, per second of wall time; Linux only). Above ~0.5 the figure was measured under
   * contention.
   */
  othersBusy?: number;
}

let statFile: number | null | undefined;

/** Jiffies the whole machine spent busy (Linux /proc/stat), or null. */
function machineBusySeconds(): number | null {
  try {
    if (statFile === undefined) statFile = fs.openSync('/proc/stat', 'r');
    if (statFile === null) return null;
    const buf = Buffer.alloc(256);
    const n = fs.readSync(statFile, buf, 0, 256, 0);
    const v = buf.toString('latin1', 0, n).split('\n')[0].trim().split(/\s+/).slice(1, 9).map(Number);
    // user nice system idle iowait irq softirq steal: busy = all but idle and iowait, in 1/100 s
    return (v[0] + v[1] + v[2] + v[5] + v[6] + v[7]) / 100;
  } catch {
    statFile = null;
    return null;
  }
}

function processCpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

/**
 * Starts measuring the CPU time other processes use; the returned function gives the cores they
 * kept busy since (undefined where /proc/stat is missing or the interval is too short for its
 * 10 ms ticks).
 */
export function contentionMeter(): () => number | undefined {
  const busy0 = machineBusySeconds();
  const own0 = processCpuSeconds();
  const wall0 = process.hrtime.bigint();
  return () => {
    const wall = Number(process.hrtime.bigint() - wall0) / 1e9;
    const busy1 = machineBusySeconds();
    if (busy0 === null || busy1 === null || wall < 0.05) return undefined;
    return Math.max(0, (busy1 - busy0 - (processCpuSeconds() - own0)) / wall);
  };
}

export interface TimingOptions {
  reps: number;
  minTime: number;
  maxSamples?: number;
  /** Seconds a sample should at least take (default 0.002). */
  sampleTime?: number;
  /**
   * Times to measure again, after pauses of 2, 5 and 10 s, when other processes kept >= 0.5 cores
   * busy during the samples (default 0); the least contended attempt is kept.
   */
  retries?: number;
}

function seconds(fn: () => void): number {
  const t0 = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

/** Pauses before the retries of a contended timing: bursts of other work (a test file, a build step) last seconds. */
const RETRY_PAUSES_MS = [2000, 5000, 10000];

export function timeIt(fn: () => void, o: TimingOptions): Timing {
  let best = timeOnce(fn, o);
  for (let attempt = 0; attempt < (o.retries ?? 0) && (best.othersBusy ?? 0) >= 0.5; attempt++) {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, RETRY_PAUSES_MS[Math.min(attempt, RETRY_PAUSES_MS.length - 1)]);
    const t = timeOnce(fn, o);
    if ((t.othersBusy ?? 0) < (best.othersBusy ?? 0)) best = t;
  }
  return best;
}

function timeOnce(fn: () => void, o: TimingOptions): Timing {
  fn(); // warm-up (JIT, first-touch of outputs, scratch buffers)
  const first = seconds(fn);
  const inner = Math.max(1, Math.floor((o.sampleTime ?? 0.002) / Math.max(first, 1e-9)));
  const maxSamples = o.maxSamples ?? 200;
  const times: number[] = [];
  let total = 0;
  const others = contentionMeter();
  while ((times.length < o.reps || total < o.minTime) && times.length < maxSamples) {
    const t = seconds(() => {
      for (let i = 0; i < inner; i++) fn();
    });
    total += t;
    times.push(t / inner);
  }
  const othersBusy = others();
  times.sort((a, b) => a - b);
  const r: Timing = { best: times[0], median: times[Math.floor(times.length / 2)], reps: times.length, inner };
  if (othersBusy !== undefined) r.othersBusy = othersBusy;
  return r;
}

/** Timing of a sequence of timed passes, as if run back to back (sums of best and of median). */
export function sumTimings(ts: Timing[]): Timing {
  return {
    best: ts.reduce((s, t) => s + t.best, 0),
    median: ts.reduce((s, t) => s + t.median, 0),
    reps: Math.min(...ts.map((t) => t.reps)),
    inner: 1,
  };
}

/** Uniform values in [-1, 1) from a small LCG (fast, reproducible, no Math.random state). */
export function uniform(n: number, seed = 1): Float32Array {
  const a = new Float32Array(n);
  let s = (seed * 2654435761) >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    a[i] = s / 2147483648 - 1;
  }
  return a;
}
