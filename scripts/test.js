'use strict';
// `npm test`: every test of the project, in order, with a summary at the end.
//  1. type-check src, test and bench
//  2. the TypeScript suite (vitest) on the native backend
//  3. the native-vs-reference suite again under every other ISA this CPU can run (GRADNODE_ISA)
//  4. the C++ kernel tests (CMake + ctest; the binary loops over every runnable ISA)
//  5. the ISA guard: no AVX instruction outside the AVX units of the addon
//  6. the cmake-js build of the addon (the development build file must build a working addon too)
//  7. the NEON kernels, cross-compiled for aarch64 and run under qemu (needs g++-aarch64-linux-gnu and
//     qemu-user; scripts/install-system-deps.sh installs them; GRADNODE_REQUIRE_NEON=1 makes their
//     absence an error, as .ci/run does)
//  8. the prebuild: `npm run prebuild`, then the addon loaded from prebuilds/ only
// Extra arguments go to vitest in step 2 (e.g. `npm test -- test/autograd.test.ts` runs that file
// and skips nothing else).
const path = require('node:path');
const { spawnSync } = require('node:child_process');

const root = path.resolve(__dirname, '..');
const bin = (name) => path.join(root, 'node_modules', '.bin', name);
const results = [];

function run(title, cmd, args, env = {}) {
  console.log(`\n=== ${title}\n$ ${[cmd, ...args].join(' ')}`);
  const t0 = Date.now();
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', env: { ...process.env, ...env } });
  const ok = r.status === 0;
  results.push({ title, ok, seconds: (Date.now() - t0) / 1000 });
  if (!ok) console.log(`=== FAILED: ${title}`);
  return ok;
}

function has(cmd) {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

function runnableIsas() {
  const r = spawnSync(process.execPath, ['-e', "console.log(JSON.stringify(require(require('node-gyp-build').resolve('.')).backendInfo()))"], { cwd: root });
  if (r.status !== 0) return null;
  return JSON.parse(r.stdout.toString());
}

const extra = process.argv.slice(2);
run('type-check', bin('tsc'), ['-p', 'tsconfig.test.json', '--noEmit']);
run('TypeScript tests (vitest, native backend)', bin('vitest'), ['run', ...extra], { GRADNODE_BACKEND: 'native' });

const info = runnableIsas();
if (info === null) {
  results.push({ title: 'native addon loads (needed by the per-ISA runs)', ok: false, seconds: 0 });
} else {
  for (const isa of info.runnableIsas.filter((i) => i !== info.isa)) {
    run(`native vs reference under GRADNODE_ISA=${isa}`, bin('vitest'), ['run', 'test/native'], {
      GRADNODE_BACKEND: 'native',
      GRADNODE_ISA: isa,
    });
  }
}

const cmakeDir = path.join(root, 'build-cmake');
if (run('C++ kernel tests: configure', 'cmake', ['-S', '.', '-B', cmakeDir, '-DCMAKE_BUILD_TYPE=Release'])) {
  if (run('C++ kernel tests: build', 'cmake', ['--build', cmakeDir, '-j', String(Math.max(2, require('node:os').availableParallelism()))])) {
    run('C++ kernel tests: ctest', 'ctest', ['--test-dir', cmakeDir, '--output-on-failure']);
  }
}

run('ISA guard: no AVX code outside the AVX units', process.execPath, [path.join(__dirname, 'check-isa-symbols.js')]);

if (run('cmake-js build of the addon', bin('cmake-js'), ['compile', '-O', 'build-cmakejs', '--log-level', 'warn'])) {
  run('cmake-js addon loads and computes', process.execPath, [path.join(__dirname, 'smoke-addon.js'), path.join(root, 'build-cmakejs', 'Release', 'gradnode.node')]);
}

if (process.arch === 'x64' || process.arch === 'arm64') {
  const cross = process.arch === 'x64' ? has('aarch64-linux-gnu-g++') && has('qemu-aarch64') : true;
  if (cross) {
    run('NEON kernels (aarch64, qemu)', 'bash', [path.join(__dirname, 'test-neon.sh')]);
  } else if (process.env.GRADNODE_REQUIRE_NEON === '1') {
    results.push({ title: 'NEON kernels: g++-aarch64-linux-gnu and qemu-user are required (scripts/install-system-deps.sh)', ok: false, seconds: 0 });
  } else {
    console.log('\n=== NEON kernels: not run here: install g++-aarch64-linux-gnu and qemu-user (scripts/install-system-deps.sh)');
    results.push({ title: 'NEON kernels (not run: cross toolchain or qemu missing)', ok: true, seconds: 0 });
  }
}

if (run('prebuild: npm run prebuild', 'npm', ['run', 'prebuild'])) {
  run('prebuild: the addon loads from prebuilds/ only', bin('vitest'), ['run', 'test/load/prebuild.test.ts'], {
    PREBUILDS_ONLY: '1',
    GRADNODE_BACKEND: 'native',
  });
}

console.log('\n=== summary');
for (const r of results) console.log(`${r.ok ? 'ok  ' : 'FAIL'}  ${r.title} (${r.seconds.toFixed(0)} s)`);
const failed = results.filter((r) => !r.ok).length;
console.log(failed === 0 ? '\nall passed' : `\n${failed} step(s) failed`);
process.exit(failed === 0 ? 0 : 1);

