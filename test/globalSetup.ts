// Tests that start fresh processes (backend choice, threads, workers, packaging) load the compiled
// package in dist/. Rebuild it first when any source file is newer than the build.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

const root = path.resolve(__dirname, '..');

function newest(dir: string): number {
  let t = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : fs.statSync(p).mtimeMs);
  }
  return t;
}

export default function setup(): void {
  const built = path.join(root, 'dist', 'index.js');
  const stale = !fs.existsSync(built) || newest(path.join(root, 'src')) > fs.statSync(built).mtimeMs;
  if (stale) execFileSync(process.execPath, [path.join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'], { cwd: root, stdio: 'inherit' });
  if (stale) execFileSync(process.execPath, [path.join(root, 'scripts', 'build-esm.js')], { cwd: root, stdio: 'inherit' });
}
