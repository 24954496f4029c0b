/**
 * Entry point of a runInWorker thread: wires fit()'s progress to the parent, loads the job module
 * (CommonJS or ESM) and runs its exported function. Requires this package's own build, so the job's
 * `require('gradnode')` / `import 'gradnode'` gets the same library instance.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { pathToFileURL } from 'node:url';
import { setNumThreads } from '../backend';
import { setFitReporter } from './fit';
import type { WorkerMessage } from './worker';

const port = parentPort;
if (!port) throw new Error('worker_bootstrap: not running in a worker thread');
const post = (m: WorkerMessage) => port.postMessage(m);

type JobFn = (args: unknown, ctx: { report(name: string, payload?: unknown): void }) => unknown;

async function main(): Promise<void> {
  const { modulePath, args, threads } = workerData as { modulePath: string; args: unknown; threads: number | null };
  if (threads !== null) setNumThreads(threads);
  setFitReporter((event, logs) => post({ type: event, payload: logs } as WorkerMessage));
  const mod = (await import(pathToFileURL(modulePath).href)) as Record<string, unknown>;
  const candidates = [mod.default, (mod.default as Record<string, unknown> | undefined)?.default, mod.run];
  const fn = candidates.find((c) => typeof c === 'function') as JobFn | undefined;
  if (!fn) throw new Error(`${modulePath} exports no job function (export default, module.exports = or export function run)`);
  const result = await fn(args, { report: (name, payload) => post({ type: 'event', name, payload }) });
  post({ type: 'done', payload: result });
}

main().catch((e: unknown) => {
  const err = e instanceof Error ? e : new Error(String(e));
  post({ type: 'error', payload: { message: err.message, stack: err.stack } });
});
