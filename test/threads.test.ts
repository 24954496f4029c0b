// Threads: setNumThreads and OMP_NUM_THREADS set the count native kernels use, and no thread keeps
// spinning after a kernel call returns (the loader sets OpenMP's passive wait policy with a short
// libgomp spin unless the user chose a policy).
import { afterAll, describe, expect, test } from 'vitest';
import * as gn from '../src/index';
import { GOMP_SPINCOUNT_DEFAULT } from '../src/backend/native';
import { runChild } from './helpers/child';

// Runs big 2-thread GEMMs, then measures the process's CPU time over 600 ms of idleness.
const idleProbe = `
  gn.setNumThreads(2);
  const a = gn.randn([512, 512]);
  for (let i = 0; i < 5; i++) a.matmul(a);
  const t0 = process.cpuUsage();
  const start = Date.now();
  setTimeout(() => {
    const d = process.cpuUsage(t0);
    console.log(JSON.stringify({ idleCpuMs: (d.user + d.system) / 1000, wallMs: Date.now() - start,
      policy: process.env.OMP_WAIT_POLICY ?? null, spincount: process.env.GOMP_SPINCOUNT ?? null,
      threads: gn.getNumThreads() }));
  }, 600);
`;

describe('thread count', () => {
  const initial = gn.getNumThreads();
  afterAll(() => gn.setNumThreads(initial));

  test('setNumThreads changes what backendInfo reports and what kernels use', () => {
    expect(gn.setNumThreads(1)).toBe(1);
    expect(gn.getNumThreads()).toBe(1);
    expect(gn.backendInfo().threads).toBe(1);
    expect(gn.setNumThreads(3)).toBe(3);
    expect(gn.backendInfo().threads).toBe(3);
  });

  test('the default is the number of available cores, and OMP_NUM_THREADS overrides it', () => {
    const cores = require('node:os').availableParallelism();
    const dflt = runChild('console.log(JSON.stringify(gn.backendInfo().threads))', { OMP_NUM_THREADS: undefined });
    expect(dflt.json).toBe(cores);
    const one = runChild('console.log(JSON.stringify(gn.backendInfo().threads))', { OMP_NUM_THREADS: '1' });
    expect(one.json).toBe(1);
  });
});

describe('no spinning after a call returns', () => {
  type Probe = { idleCpuMs: number; wallMs: number; policy: string | null; spincount: string | null; threads: number };
  let passive: Probe;

  test('an idle process that ran 2-thread kernels uses almost no CPU (wait policy set by the loader)', () => {
    const r = runChild(idleProbe, { GRADNODE_BACKEND: 'native', OMP_WAIT_POLICY: undefined, GOMP_SPINCOUNT: undefined });
    expect(r.status, r.stderr).toBe(0);
    passive = r.json as Probe;
    expect(passive.policy).toBe('PASSIVE');
    // libgomp spins briefly after each region (a few milliseconds at most), then sleeps.
    expect(passive.spincount).toBe(GOMP_SPINCOUNT_DEFAULT);
    expect(Number(passive.spincount)).toBeLessThanOrEqual(100000);
    expect(passive.threads).toBe(2);
    // A spinning OpenMP worker would burn about one core for the whole idle period (see below).
    expect(passive.idleCpuMs).toBeLessThan(0.1 * passive.wallMs);
  });

  test('the measurement catches spinning: with an active wait policy the same idle period burns CPU', () => {
    const r = runChild(idleProbe, { GRADNODE_BACKEND: 'native', OMP_WAIT_POLICY: 'active', GOMP_SPINCOUNT: undefined });
    expect(r.status, r.stderr).toBe(0);
    const active = r.json as Probe;
    expect(active.policy).toBe('active'); // the user's choice is kept
    expect(active.spincount).toBeNull(); // and nothing is added to it
    // On an idle machine the spinning worker takes a whole core (~600 ms); on a loaded one it still
    // gets its share, far above the passive process's few milliseconds.
    expect(active.idleCpuMs).toBeGreaterThan(Math.max(100, 10 * passive.idleCpuMs));
  });
});
