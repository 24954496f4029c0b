/**
 * Training in a worker thread: runInWorker(module, args) runs the module's exported function in a
 * worker_thread, so the main thread's event loop stays free (a server keeps answering), and fit()'s
 * progress inside the worker arrives on the main thread as 'batch' and 'epoch' events.
 *
 *   // train-job.js (CommonJS or ESM): export default (or module.exports = / export function run)
 *   module.exports = async function (args, ctx) {
 *     const gn = require('gradnode');
 *     ...; gn.train.fit(model, loader, { epochs: args.epochs, optimizer, verbose: 'silent' });
 *     ctx.report('note', { saved: args.out });          // custom events
 *     return { accuracy };                               // structured-clonable result
 *   };
 *
 *   const job = gn.train.runInWorker('./train-job.js', { epochs: 5 });
 *   job.on('epoch', (logs) => console.log(logs.epoch, logs.loss));
 *   const result = await job.result;
 */
import { EventEmitter } from 'node:events';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import { packageRoot } from '../backend/native';
import type { BatchLogs, EpochLogs } from './fit';

export interface WorkerJobOptions {
  /** Threads the native kernels use inside the worker (default: the library's default). */
  threads?: number;
  /** Extra environment for the worker (default: the parent's). */
  env?: Record<string, string>;
}

export interface WorkerJob extends EventEmitter {
  /** Resolves with the job function's return value; rejects with its error. */
  readonly result: Promise<unknown>;
  readonly worker: Worker;
  /** Stops the worker (the result then rejects). */
  terminate(): Promise<number>;
  on(event: 'batch', listener: (logs: BatchLogs) => void): this;
  on(event: 'epoch', listener: (logs: EpochLogs) => void): this;
  on(event: string, listener: (payload: unknown) => void): this;
}

export type WorkerMessage =
  | { type: 'batch'; payload: BatchLogs }
  | { type: 'epoch'; payload: EpochLogs }
  | { type: 'event'; name: string; payload: unknown }
  | { type: 'done'; payload: unknown }
  | { type: 'error'; payload: { message: string; stack?: string } };

/** Runs `module`'s job function with `args` in a new worker thread. */
export function runInWorker(module: string | URL, args?: unknown, opts: WorkerJobOptions = {}): WorkerJob {
  const modulePath = path.resolve(module instanceof URL ? fileURLToPath(module) : module);
  // The bootstrap is compiled JavaScript (dist/), also when the library itself runs from sources.
  const bootstrap = path.join(packageRoot, 'dist', 'train', 'worker_bootstrap.js');
  const worker = new Worker(bootstrap, {
    workerData: { modulePath, args, threads: opts.threads ?? null },
    env: opts.env ? { ...process.env, ...opts.env } : process.env,
  });
  const job = new EventEmitter() as WorkerJob;
  let settled = false;
  const result = new Promise<unknown>((resolve, reject) => {
    worker.on('message', (m: WorkerMessage) => {
      if (m.type === 'done') {
        settled = true;
        resolve(m.payload);
      } else if (m.type === 'error') {
        settled = true;
        const e = new Error(`runInWorker: the job in ${modulePath} failed: ${m.payload.message}`);
        if (m.payload.stack) e.stack = `${e.message}\n--- in the worker ---\n${m.payload.stack}`;
        reject(e);
      } else if (m.type === 'event') {
        job.emit(m.name, m.payload);
      } else {
        job.emit(m.type, m.payload);
      }
    });
    worker.on('error', (e) => {
      settled = true;
      reject(e);
    });
    worker.on('exit', (code) => {
      if (!settled) reject(new Error(`runInWorker: the worker for ${modulePath} exited with code ${code} before finishing`));
    });
  });
  // A caller that never awaits the result must not crash the process with an unhandled rejection.
  result.catch(() => undefined);
  Object.assign(job, { result, worker, terminate: () => worker.terminate() });
  return job;
}
