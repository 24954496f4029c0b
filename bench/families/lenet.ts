/**
 * End to end: LeNet-5 (gn.models.lenet5()) trained on Fashion-MNIST's 60,000 training images,
 * batch 64, reshuffled each epoch, SGD lr 0.01 momentum 0.9, cross-entropy: seconds per epoch and
 * images/s, the time per step in data / forward (with the loss) / backward / optimizer, and a
 * profile of a few hundred further steps with every native kernel call timed (by kernel and shape),
 * so the rest of each phase is the TypeScript side (autograd, allocation, the JS SGD loop) and GC.
 * PyTorch trains the same network on the same data with 1 thread and with the benchmark's threads
 * (bench/peers/torch_lenet.py).
 */
import { PerformanceObserver } from 'node:perf_hooks';
import type { Backend } from '../../src/backend/backend';
import type { Tensor } from '../../src/tensor';
import type { Context } from '../lib/context';
import { contentionMeter } from '../lib/timing';

export type Phase = 'data' | 'forward' | 'backward' | 'optimizer' | 'other';

export interface EpochResult {
  seconds: number;
  imagesPerSecond: number;
  loss: number;
  /** Seconds per phase over the epoch. */
  phases: Record<Phase, number>;
  /** Cores other processes kept busy meanwhile. */
  othersBusy?: number;
}

export interface KernelProfile {
  phase: Phase;
  kernel: string;
  callsPerStep: number;
  msPerStep: number;
}

export interface LenetResult {
  images: number;
  batchSize: number;
  steps: number;
  epochs: EpochResult[];
  best: EpochResult;
  profile: {
    steps: number;
    msPerStep: number;
    phasesMsPerStep: Record<Phase, number>;
    kernelMsPerStep: Record<Phase, number>;
    gcMsPerStep: number;
    kernels: KernelProfile[];
  };
}

const phases = (): Record<Phase, number> => ({ data: 0, forward: 0, backward: 0, optimizer: 0, other: 0 });

function kernelKey(method: string, args: unknown[]): string {
  const a = args as Record<string, unknown>[];
  switch (method) {
    case 'gemm': {
      const g = a[3] as unknown as { m: number; n: number; k: number; transA: boolean; transB: boolean; batch: number };
      return `gemm ${g.m}x${g.n}x${g.k}${g.transA ? ' Aᵀ' : ''}${g.transB ? ' Bᵀ' : ''}${g.batch > 1 ? ` batch ${g.batch}` : ''}`;
    }
    case 'conv2dForward':
    case 'conv2dBackwardData':
    case 'conv2dBackwardFilter': {
      // conv2dForward(x, w, bias, y, p), conv2dBackwardData(dy, w, dx, p), conv2dBackwardFilter(x, dy, dw, dbias, p)
      const p = a[method === 'conv2dBackwardData' ? 3 : 4] as unknown as { n: number; cIn: number; cOut: number; h: number; w: number; kh: number };
      return `${method} ${p.cIn}->${p.cOut} ${p.h}x${p.w} k${p.kh}`;
    }
    case 'maxPool2dForward':
    case 'maxPool2dBackward':
    case 'avgPool2dForward':
    case 'avgPool2dBackward': {
      // max: (x, y, argmax, p) and (dy, argmax, dx, p); avg: (x, y, p, countIncludePad) and (dy, dx, p, countIncludePad)
      const p = a[method.startsWith('avg') ? 2 : 3] as unknown as { c: number; h: number; w: number };
      return `${method} ${p.c}x${p.h}x${p.w}`;
    }
    case 'unary':
    case 'unaryBackward':
    case 'binary':
    case 'reduce':
    case 'argReduce':
      return `${method} ${String(args[0])}`;
    case 'softmax':
    case 'softmaxBackward':
      return `${method}${args[method === 'softmax' ? 5 : 6] ? ' (log)' : ''}`;
    default:
      return method;
  }
}

/** Wraps every method of the backend object with a timer; returns the restore function. */
function instrument(be: Backend, current: () => Phase, sink: Map<string, { phase: Phase; kernel: string; calls: number; ns: bigint }>): () => void {
  const target = be as unknown as Record<string, unknown>;
  const saved: [string, unknown][] = [];
  for (const [name, fn] of Object.entries(target)) {
    if (typeof fn !== 'function') continue;
    saved.push([name, fn]);
    target[name] = (...args: unknown[]) => {
      const t0 = process.hrtime.bigint();
      const r = (fn as (...x: unknown[]) => unknown).apply(be, args);
      const dt = process.hrtime.bigint() - t0;
      const phase = current();
      const kernel = kernelKey(name, args);
      const key = `${phase}|${kernel}`;
      const e = sink.get(key);
      if (e) {
        e.calls++;
        e.ns += dt;
      } else sink.set(key, { phase, kernel, calls: 1, ns: dt });
      return r;
    };
  }
  return () => {
    for (const [name, fn] of saved) target[name] = fn;
  };
}

export interface LenetOptions {
  data: string;
  epochs: number;
  limit: number;
  profileSteps: number;
}

export async function runLenet(ctx: Pick<Context, 'pkg' | 'native' | 'log'>, opts: LenetOptions): Promise<LenetResult> {
  const { gn } = ctx.pkg;
  const train = gn.data.loadMnist(opts.data, opts.limit > 0 ? { limit: opts.limit } : {});
  gn.manualSeed(0);
  const loader = new gn.data.DataLoader(train, { batchSize: 64, shuffle: true });
  const model = gn.models.lenet5();
  const opt = new gn.optim.SGD(model.parameters(), { lr: 0.01, momentum: 0.9 });
  model.train();
  let phase: Phase = 'other';

  /** Runs up to maxSteps steps of one pass over the loader. */
  const epoch = (maxSteps = Infinity): EpochResult & { steps: number } => {
    const ph = phases();
    let lossSum = 0;
    let seen = 0;
    let steps = 0;
    const it = loader[Symbol.iterator]();
    const others = contentionMeter();
    const tEpoch = process.hrtime.bigint();
    while (steps < maxSteps) {
      const t0 = process.hrtime.bigint();
      phase = 'data';
      const r = it.next();
      if (r.done) break;
      const [x, y] = r.value as [Tensor, Tensor];
      const t1 = process.hrtime.bigint();
      phase = 'forward';
      const loss = gn.nn.crossEntropy(model.forward(x), y);
      const t2 = process.hrtime.bigint();
      phase = 'backward';
      opt.zeroGrad();
      loss.backward();
      const t3 = process.hrtime.bigint();
      phase = 'optimizer';
      opt.step();
      const t4 = process.hrtime.bigint();
      phase = 'other';
      lossSum += loss.item() * x.shape[0];
      seen += x.shape[0];
      steps++;
      ph.data += Number(t1 - t0) / 1e9;
      ph.forward += Number(t2 - t1) / 1e9;
      ph.backward += Number(t3 - t2) / 1e9;
      ph.optimizer += Number(t4 - t3) / 1e9;
    }
    const seconds = Number(process.hrtime.bigint() - tEpoch) / 1e9;
    ph.other = seconds - ph.data - ph.forward - ph.backward - ph.optimizer;
    return { seconds, imagesPerSecond: seen / seconds, loss: lossSum / Math.max(seen, 1), phases: ph, steps, othersBusy: others() };
  };

  const epochs: EpochResult[] = [];
  let steps = 0;
  for (let e = 0; e < opts.epochs; e++) {
    const r = epoch();
    steps = r.steps;
    const { steps: _, ...rest } = r;
    epochs.push(rest);
    ctx.log(`  lenet epoch ${e + 1}: ${r.seconds.toFixed(2)} s (${r.imagesPerSecond.toFixed(0)} images/s, loss ${r.loss.toFixed(4)}, others busy on ${r.othersBusy?.toFixed(2) ?? '?'} cores)`);
  }
  const best = epochs.reduce((b, e) => (e.seconds < b.seconds ? e : b));

  // Profile: further steps with every kernel call timed, and GC pauses observed.
  const sink = new Map<string, { phase: Phase; kernel: string; calls: number; ns: bigint }>();
  let gcMs = 0;
  const obs = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) gcMs += e.duration;
  });
  obs.observe({ entryTypes: ['gc'] });
  const restore = instrument(ctx.native, () => phase, sink);
  let prof: ReturnType<typeof epoch>;
  try {
    prof = epoch(opts.profileSteps);
  } finally {
    restore();
  }
  // GC entries reach the observer asynchronously, some event-loop turns after the synchronous steps.
  await new Promise((resolve) => setTimeout(resolve, 200));
  obs.disconnect();
  const n = Math.max(prof.steps, 1);
  const kernels = [...sink.values()]
    .map((k) => ({ phase: k.phase, kernel: k.kernel, callsPerStep: k.calls / n, msPerStep: Number(k.ns) / 1e6 / n }))
    .sort((a, b) => b.msPerStep - a.msPerStep);
  const kernelMs = phases();
  for (const k of kernels) kernelMs[k.phase] += k.msPerStep;
  const phaseMs = phases();
  for (const p of Object.keys(phaseMs) as Phase[]) phaseMs[p] = (prof.phases[p] * 1e3) / n;
  return {
    images: train.length,
    batchSize: 64,
    steps,
    epochs,
    best,
    profile: { steps: prof.steps, msPerStep: (prof.seconds * 1e3) / n, phasesMsPerStep: phaseMs, kernelMsPerStep: kernelMs, gcMsPerStep: gcMs / n, kernels },
  };
}
