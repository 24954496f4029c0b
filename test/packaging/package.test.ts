// The package as a dependency sees it: importable from ESM and CommonJS (one shared instance), with
// type declarations that type-check under both module systems.
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { packageRoot } from '../../src/backend/native';

let dir = '';

beforeAll(() => {
  // A throwaway project with gradnode in its node_modules (a link to this checkout).
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gradnode-consumer-'));
  fs.mkdirSync(path.join(dir, 'node_modules'));
  fs.symlinkSync(packageRoot, path.join(dir, 'node_modules', 'gradnode'), 'dir');
});

afterAll(() => {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

function node(file: string): string {
  const r = spawnSync(process.execPath, [file], { cwd: dir, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${file} failed:\n${r.stderr}`);
  return r.stdout.trim();
}

describe('package entry points', () => {
  test('require() from CommonJS', () => {
    fs.writeFileSync(path.join(dir, 'a.cjs'), "const gn = require('gradnode'); console.log(String(gn.ones([2]).add(1)));");
    expect(node('a.cjs')).toBe('tensor([2., 2.])');
  });

  test('import from ESM: named and default exports', () => {
    fs.writeFileSync(
      path.join(dir, 'b.mjs'),
      "import gn, { tensor, noGrad } from 'gradnode'; console.log(String(tensor([3]).mul(2)), typeof noGrad, typeof gn.matmul);",
    );
    expect(node('b.mjs')).toBe('tensor([6.]) function function');
  });

  test('ESM and CommonJS share one instance (one generator, one backend choice)', () => {
    fs.writeFileSync(
      path.join(dir, 'c.mjs'),
      "import { createRequire } from 'node:module'; import * as esm from 'gradnode';\n" +
        "const cjs = createRequire(import.meta.url)('gradnode');\n" +
        'console.log(esm.Tensor === cjs.Tensor, esm.defaultGenerator === cjs.defaultGenerator);',
    );
    expect(node('c.mjs')).toBe('true true');
  });

  test('the type declarations check under ESM and CommonJS module resolution', () => {
    fs.writeFileSync(
      path.join(dir, 'd.mts'),
      "import * as gn from 'gradnode';\nconst x: gn.Tensor = gn.randn([2, 3], { requiresGrad: true });\n" +
        'const y: gn.Tensor = x.matmul(gn.ones([3, 1])).relu().sum();\ny.backward();\n' +
        "const g: gn.Tensor | null = x.grad;\nconst info: gn.BackendInfo = gn.backendInfo();\nexport { g, info };\n",
    );
    fs.writeFileSync(
      path.join(dir, 'e.cts'),
      "import gn = require('gradnode');\nconst t: gn.Tensor = gn.tensor([[1, 2]]);\nconst n: number = t.sum().item();\nexport = n;\n",
    );
    // A deliberate type error must be caught, or the check proves nothing.
    fs.writeFileSync(path.join(dir, 'f.mts'), "import * as gn from 'gradnode';\nconst bad: string = gn.ones([1]);\nexport { bad };\n");
    const tsc = path.join(packageRoot, 'node_modules', 'typescript', 'bin', 'tsc');
    const args = ['--noEmit', '--strict', '--module', 'node16', '--moduleResolution', 'node16', '--types', 'node', '--typeRoots', path.join(packageRoot, 'node_modules', '@types')];
    execFileSync(process.execPath, [tsc, ...args, 'd.mts', 'e.cts'], { cwd: dir, stdio: 'pipe' });
    const bad = spawnSync(process.execPath, [tsc, ...args, 'f.mts'], { cwd: dir, encoding: 'utf8' });
    expect(bad.status).not.toBe(0);
    expect(bad.stdout).toMatch(/Type 'Tensor' is not assignable to type 'string'/);
  });
});
