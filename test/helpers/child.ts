// Runs a snippet of JavaScript in a fresh Node process against the compiled package (dist/), with a
// given environment: for what is decided once per process (backend, ISA, OpenMP settings).
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { packageRoot } from '../../src/backend/native';

export interface ChildResult {
  status: number | null;
  stdout: string;
  stderr: string;
  /** The last stdout line parsed as JSON, when it is JSON. */
  json: unknown;
}

export const distEntry = path.join(packageRoot, 'dist', 'index.js');

/** `code` runs with `gn` bound to the package; it may print a JSON line as its result. */
export function runChild(code: string, env: Record<string, string | undefined> = {}): ChildResult {
  const script = `const gn = require(${JSON.stringify(distEntry)});\n${code}`;
  const childEnv: Record<string, string> = {};
  for (const [k, v] of Object.entries({ ...process.env, ...env })) if (v !== undefined) childEnv[k] = v;
  const r = spawnSync(process.execPath, ['-e', script], { cwd: packageRoot, env: childEnv, encoding: 'utf8', timeout: 120_000 });
  const lines = (r.stdout ?? '').trim().split('\n');
  let json: unknown = null;
  try {
    json = JSON.parse(lines[lines.length - 1]);
  } catch {
    json = null;
  }
  return { status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '', json };
}
