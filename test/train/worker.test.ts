// Training in a worker thread through runInWorker: progress arrives as events on the main thread,
// the result comes back, errors propagate, and the main thread's event loop stays responsive (a
// server keeps answering) while the worker trains.
import * as path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { describe, expect, test } from 'vitest';
import * as gn from '../../src/index';
import { packageRoot } from '../../src/backend/native';
import type { BatchLogs, EpochLogs } from '../../src/train';

const job = path.join(packageRoot, 'test', 'fixtures', 'jobs', 'train_lenet.js');

describe('runInWorker', () => {
  test('progress events arrive on the main thread and the result comes back', async () => {
    const w = gn.train.runInWorker(job, { epochs: 2, limit: 640, seed: 1 });
    const batches: BatchLogs[] = [];
    const epochs: EpochLogs[] = [];
    let started: unknown = null;
    w.on('batch', (l) => batches.push(l));
    w.on('epoch', (l) => epochs.push(l));
    w.on('started', (p) => {
      started = p;
    });
    const result = (await w.result) as { history: EpochLogs[] };
    expect(started).toMatchObject({ samples: 640, backend: 'native' });
    expect(batches).toHaveLength(20); // 640 / 64 per epoch, 2 epochs
    expect(batches[19]).toMatchObject({ epoch: 2, batch: 10, batches: 10 });
    expect(epochs.map((e) => e.epoch)).toEqual([1, 2]);
    expect(result.history.map((h) => h.loss)).toEqual(epochs.map((e) => e.loss));
    expect(result.history[1].loss).toBeLessThan(result.history[0].loss);
  });

  test("a job's error rejects the result with the worker's message", async () => {
    const w = gn.train.runInWorker(job, { epochs: 1, limit: 64, fail: true });
    await expect(w.result).rejects.toThrow(/the job in .*train_lenet\.js failed: job failed on purpose/);
  });

  test('a missing job module is reported', async () => {
    const w = gn.train.runInWorker(path.join(packageRoot, 'test', 'fixtures', 'jobs', 'nope.js'));
    await expect(w.result).rejects.toThrow(/nope\.js/);
  });

  test('the main event loop stays responsive while a worker trains; training on the main thread blocks it', async () => {
    // A "server" tick every 5 ms on the main thread; the delay histogram shows how late ticks ran.
    const measure = async (work: () => Promise<void>) => {
      const h = monitorEventLoopDelay({ resolution: 5 });
      h.enable();
      const timer = setInterval(() => undefined, 5);
      await work();
      // Let the ticks that were held up run (and be recorded) before stopping the measurement.
      await new Promise((r) => setTimeout(r, 30));
      clearInterval(timer);
      h.disable();
      return { p99: h.percentile(99) / 1e6, max: h.max / 1e6 };
    };
    // One kernel thread in the worker leaves the main thread a core of this 2-core machine.
    const inWorker = await measure(async () => {
      await gn.train.runInWorker(job, { epochs: 2, limit: 1280 }, { threads: 1 }).result;
    });
    let blockedMs = 0;
    const onMain = await measure(async () => {
      await new Promise((r) => setTimeout(r, 10));
      gn.manualSeed(0);
      const ds = gn.data.loadMnist(path.join(packageRoot, 'data', 'fashion-mnist-sample'), { limit: 1280 });
      const m = gn.models.lenet5();
      const t0 = performance.now();
      gn.train.fit(m, new gn.data.DataLoader(ds, { batchSize: 64, shuffle: true }), { epochs: 2, optimizer: new gn.optim.Adam(m.parameters()), verbose: 'silent' });
      blockedMs = performance.now() - t0;
    });
    // The same run on the main thread holds every tick back for as long as it trains (however fast
    // the kernels are), so the longest delay is about the training time; in the worker it is not.
    expect(blockedMs).toBeGreaterThan(50); // ten ticks of the 5 ms timer: long enough to measure
    expect(onMain.max).toBeGreaterThan(0.8 * blockedMs);
    expect(inWorker.p99).toBeLessThan(30);
    expect(inWorker.max).toBeLessThan(200);
  });
});
