// Backend choice at load time: native when the addon loads; otherwise the reference backend with
// one warning that says why and how to build; GRADNODE_BACKEND forces one (native is an error when
// it cannot load); GRADNODE_ISA caps the instruction set (and an invalid value is reported).
import { describe, expect, test } from 'vitest';
import { runChild } from '../helpers/child';

const report = `
  const warnings = [];
  process.on('warning', (w) => warnings.push(w.message));
  const x = gn.tensor([[1, 2], [3, 4]]);
  const y = x.matmul(x).sum().item();
  setImmediate(() => console.log(JSON.stringify({ info: gn.backendInfo(), y, warnings })));
`;

type Report = { info: { backend: string; isa: string | null; nativeAvailable: boolean; nativeError: string | null }; y: number; warnings: string[] };

describe('backend selection', () => {
  test('native by default when the addon loads, without warnings', () => {
    const r = runChild(report, { GRADNODE_BACKEND: undefined, GRADNODE_ISA: undefined });
    const out = r.json as Report;
    expect(r.status, r.stderr).toBe(0);
    expect(out.info.backend).toBe('native');
    expect(out.y).toBe(54);
    expect(out.warnings).toEqual([]);
  });

  test('GRADNODE_BACKEND=reference forces the reference backend, silently', () => {
    const r = runChild(report, { GRADNODE_BACKEND: 'reference' });
    const out = r.json as Report;
    expect(out.info.backend).toBe('reference');
    expect(out.info.nativeAvailable).toBe(true);
    expect(out.y).toBe(54);
    expect(out.warnings).toEqual([]);
  });

  test('when the addon cannot load, the reference backend runs after one warning with the reason and the fix', () => {
    // An invalid GRADNODE_ISA makes the addon refuse to load: a real load failure.
    const r = runChild(report, { GRADNODE_BACKEND: undefined, GRADNODE_ISA: 'sse9' });
    const out = r.json as Report;
    expect(r.status, r.stderr).toBe(0);
    expect(out.info.backend).toBe('reference');
    expect(out.info.nativeAvailable).toBe(false);
    expect(out.y).toBe(54);
    expect(out.warnings).toHaveLength(1);
    expect(out.warnings[0]).toMatch(/native addon could not be loaded \(GRADNODE_ISA must be one of generic, avx2, avx512, neon\)/);
    expect(out.warnings[0]).toMatch(/npm rebuild gradnode/);
  });

  test('GRADNODE_BACKEND=native is an error with the reason when the addon cannot load', () => {
    const r = runChild(report, { GRADNODE_BACKEND: 'native', GRADNODE_ISA: 'sse9' });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/GRADNODE_BACKEND=native, but the native addon could not be loaded: GRADNODE_ISA must be one of/);
  });

  test('an unknown GRADNODE_BACKEND is an error', () => {
    const r = runChild(report, { GRADNODE_BACKEND: 'gpu' });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/GRADNODE_BACKEND must be "native" or "reference", got "gpu"/);
  });

  test('GRADNODE_ISA=generic caps the kernels at the baseline ISA', () => {
    const r = runChild(report, { GRADNODE_BACKEND: 'native', GRADNODE_ISA: 'generic' });
    const out = r.json as Report;
    expect(out.info.backend).toBe('native');
    expect(out.info.isa).toBe('generic');
    expect(out.y).toBe(54);
  });
});
