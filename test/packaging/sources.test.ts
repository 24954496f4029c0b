// binding.gyp and CMakeLists.txt build the same sources from one list (native/sources.gypi); this
// fails if they drift: a file on disk missing from the list, a listed file missing on disk, an ISA
// unit in the wrong list, or a build file not reading the shared list.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, test } from 'vitest';
import { packageRoot } from '../../src/backend/native';

const read = (p: string) => fs.readFileSync(path.join(packageRoot, p), 'utf8');
const lists = JSON.parse(read('native/sources.gypi')).variables as Record<string, string[]>;
const sourceKeys = Object.keys(lists).filter((k) => k.startsWith('gradnode_sources_'));

function walk(dir: string): string[] {
  return fs.readdirSync(path.join(packageRoot, dir), { withFileTypes: true }).flatMap((e) => {
    const p = `${dir}/${e.name}`;
    return e.isDirectory() ? walk(p) : [p];
  });
}

describe('one source list for both build files', () => {
  test('every .cc file of the kernels and the addon is listed exactly once, and every listed file exists', () => {
    const onDisk = [...walk('native/kernels'), ...walk('native/addon')].filter((f) => f.endsWith('.cc')).sort();
    const listed = sourceKeys.flatMap((k) => lists[k]).sort();
    expect(listed).toEqual([...new Set(listed)]);
    expect(listed).toEqual(onDisk);
  });

  test('ISA units are in their ISA list and nowhere else', () => {
    for (const isa of ['avx2', 'avx512', 'neon']) {
      const units = sourceKeys.flatMap((k) => lists[k]).filter((f) => f.endsWith(`_${isa}.cc`));
      expect(units.length).toBeGreaterThan(0);
      expect([...lists[`gradnode_sources_${isa}`]].sort()).toEqual(units.sort());
    }
  });

  test('binding.gyp includes the list and uses every source variable', () => {
    const gyp = read('binding.gyp');
    expect(gyp).toMatch(/"includes": \["native\/sources\.gypi"\]/);
    for (const k of sourceKeys) expect(gyp).toContain(`<@(${k})`);
    expect(gyp).not.toMatch(/"native\/kernels\/[^"]+\.cc"/); // no file listed outside the shared list
  });

  test('CMakeLists.txt reads the same list and every source variable', () => {
    const cmake = read('CMakeLists.txt');
    expect(cmake).toContain('native/sources.gypi');
    for (const k of sourceKeys) expect(cmake).toContain(` ${k} `);
    expect(cmake).not.toMatch(/native\/kernels\/[^\s)]+\.cc/);
  });
});
