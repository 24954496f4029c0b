/**
 * GEMM on the shared shapes of test/shapes/gemm.ts that are training layers or benchmark shapes:
 * square 512 / 1024 / 2048, the CNN-shaped products of the goals, the FC layers. Useful flops 2MNK.
 */
import { type GemmShape, gemmArgs, gemmShapes, gemmSizes } from '../../test/shapes/gemm';
import type { Context, Row } from '../lib/context';
import { timeIt, uniform } from '../lib/timing';

export function benchGemmShapes(quick: boolean): GemmShape[] {
  return gemmShapes.filter((s) => (s.training || s.benchOnly) && !(quick && s.m * s.n * s.k > 1024 ** 3));
}

function describe(s: GemmShape): string {
  const t = `${s.transA ? 'Aᵀ' : 'A'}·${s.transB ? 'Bᵀ' : 'B'}`;
  return `${s.m}x${s.n}x${s.k} ${t}${(s.batch ?? 1) > 1 ? ` batch ${s.batch}` : ''}`;
}

export function runGemm(ctx: Context): Row[] {
  const rows: Row[] = [];
  for (const s of benchGemmShapes(ctx.quick)) {
    const args = gemmArgs(s);
    const size = gemmSizes(s);
    const a = uniform(size.a, 1);
    const b = uniform(size.b, 2);
    const c = new Float32Array(size.c);
    const macs = (s.batch ?? 1) * s.m * s.n * s.k;
    const row: Row = {
      family: 'gemm',
      name: s.name,
      pass: 'gemm',
      shape: `M N K = ${describe(s)}`,
      unit: 'GFLOP/s',
      work: 2 * macs,
      native: timeIt(() => ctx.native.gemm(a, b, c, args), ctx.timing),
    };
    if (!ctx.noReference && (macs <= ctx.refMaxMacs || s.name === 'square512')) {
      ctx.log(`  reference gemm ${s.name}`);
      row.reference = timeIt(() => ctx.reference.gemm(a, b, c, args), ctx.refTiming);
    }
    if ((s.batch ?? 1) === 1 && args.alpha === 1 && args.beta === 0) {
      row.openblasShape = { name: s.name, m: s.m, n: s.n, k: s.k, transA: args.transA, transB: args.transB };
      row.retime = () => timeIt(() => ctx.native.gemm(a, b, c, args), ctx.timing);
      row.torchItem = { id: `gemm/${s.name}`, kind: 'gemm', pass: 'gemm', m: s.m, n: s.n, k: s.k, transA: args.transA, transB: args.transB };
    }
    rows.push(row);
    ctx.log(`  gemm ${s.name}: ${(row.native!.best * 1e3).toFixed(3)} ms`);
  }
  return rows;
}
