'use strict';
// Fails if an instruction that needs AVX (any VEX- or EVEX-encoded instruction: their mnemonics
// start with "v") appears in a function outside the ISA units' namespaces (gn::avx2::, gn::avx512::).
// Such a leak (an inline function compiled in an AVX unit and merged by the linker, or a global
// -mavx2) would crash the one binary with SIGILL on CPUs without AVX (KERNELS.md §6.5).
// Usage: node scripts/check-isa-symbols.js [path/to/gradnode.node]
const path = require('node:path');
const { execFileSync } = require('node:child_process');

if (process.arch !== 'x64') {
  console.log(`check-isa-symbols: nothing to check on ${process.arch} (the guard is about x86-64 AVX units)`);
  process.exit(0);
}
const root = path.resolve(__dirname, '..');
const file = process.argv[2] ?? require('node-gyp-build').resolve(root);
const asm = execFileSync('objdump', ['-d', '--no-show-raw-insn', '--demangle', file], { maxBuffer: 1 << 30 }).toString();

// VMX instructions also start with "v" but never appear in user code; everything else with a "v"
// prefix is AVX (VEX) or AVX-512 (EVEX).
const notAvx = /^(verr|verw|vmcall|vmlaunch|vmresume|vmxoff|vmxon|vmread|vmwrite|vmptrld|vmptrst|vmclear|vmfunc)$/;
const allowed = /\bgn::(avx2|avx512)::/;
const offenders = new Map();
let fn = null;
let functions = 0;
let isaFunctions = 0;
for (const line of asm.split('\n')) {
  const header = /^[0-9a-f]+ <(.+)>:$/.exec(line);
  if (header) {
    fn = header[1];
    functions++;
    if (allowed.test(fn)) isaFunctions++;
    continue;
  }
  const insn = /^\s+[0-9a-f]+:\s+([a-z][a-z0-9.]*)/.exec(line);
  if (!insn || fn === null) continue;
  const m = insn[1];
  if (m.startsWith('v') && !notAvx.test(m) && !allowed.test(fn)) {
    if (!offenders.has(fn)) offenders.set(fn, m);
  }
}
if (isaFunctions === 0) {
  console.error(`check-isa-symbols: no function of gn::avx2 / gn::avx512 found in ${file}; is it stripped?`);
  process.exit(1);
}
if (offenders.size > 0) {
  console.error(`check-isa-symbols: AVX instructions outside the ISA units in ${file}:`);
  for (const [f, m] of offenders) console.error(`  ${f}: ${m}`);
  process.exit(1);
}
console.log(`check-isa-symbols: ${functions} functions checked; AVX code only in the ${isaFunctions} functions of gn::avx2 / gn::avx512`);
