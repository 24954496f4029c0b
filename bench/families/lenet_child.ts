/**
 * The process `npm run bench` trains LeNet-5 in (runLenetInChild): a fresh one, as PyTorch's
 * Python process is. Trained at the end of the benchmark's own process, after the kernel families,
 * the same build's epoch took 4.7 s instead of 3.1 s (its kernels ran 1.5-3x slower); a process
 * holding 512 MB of arrays does not reproduce that, so the cause is still open. Both contenders
 * now start from a fresh process.
 *
 * Argument: JSON { root, threads, ...LenetOptions }. Logs go to stderr; the last line of stdout is
 * the LenetResult as JSON.
 */
import { spawnSync } from 'node:child_process';
import { loadPackage } from '../lib/context';
import { type LenetOptions, type LenetResult, runLenet } from './lenet';

interface ChildArgs extends LenetOptions {
  root: string;
  threads: number;
}

export function runLenetInChild(args: ChildArgs): LenetResult {
  const r = spawnSync(process.execPath, [__filename, JSON.stringify(args)], {
    stdio: ['ignore', 'pipe', 'inherit'],
    encoding: 'utf8',
    maxBuffer: 64 * 2 ** 20,
  });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`the LeNet-5 process failed (exit ${r.status ?? r.signal})`);
  const last = r.stdout.trim().split('\n').pop() ?? '';
  return JSON.parse(last) as LenetResult;
}

async function main(): Promise<void> {
  const args = JSON.parse(process.argv[2]) as ChildArgs;
  const pkg = loadPackage(args.root);
  pkg.backends.setBackend('native');
  pkg.backends.setNumThreads(args.threads);
  const log = (s: string) => process.stderr.write(`${s}\n`);
  const result = await runLenet({ pkg, native: pkg.backends.getBackend(), log }, args);
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

if (require.main === module) {
  main().catch((e: unknown) => {
    process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(1);
  });
}
