/**
 * The goals of the issue (2 threads), evaluated on one run's rows. A goal is "met" only when every
 * figure it needs was measured; otherwise met is null and the reason says what is missing.
 */
import type { LenetResult } from '../families/lenet';
import type { Row } from './context';
import { contendedRow } from './table';
import type { TorchLenetResult } from './torch';

export interface Goal {
  id: string;
  text: string;
  measured: string;
  met: boolean | null;
}

const SQUARE = ['square512', 'square1024', 'square2048'];
const CNN = ['cnn_m50176_k25_n6', 'cnn_m12544_k150_n16', 'cnn_m16384_k288_n64', 'fc_m64_k784_n512', 'fc_m64_k512_n256'];
const CONV = ['lenet5_conv1_b64', 'lenet5_conv2_b64', 'conv3x3_64to64_32x32_b32'];
/** Bandwidth-bound families the 70 % goal covers. */
const MEMORY_GOAL_FAMILIES = ['pool', 'batchnorm', 'eltwise', 'softmax'];
const MIN_GOAL_FOOTPRINT = 256 * 1024;

const x = (v: number | null | undefined, digits = 2) => (v === null || v === undefined ? 'n/a' : `${v.toFixed(digits)}x`);
const pct = (v: number | null | undefined) => (v === null || v === undefined ? 'n/a' : `${(100 * v).toFixed(0)} %`);

function find(rows: Row[], family: string, name: string, pass: string): Row | undefined {
  return rows.find((r) => r.family === family && r.name === name && r.pass === pass);
}

function check(v: number | null | undefined, ok: (v: number) => boolean): boolean | null {
  return v === null || v === undefined || Number.isNaN(v) ? null : ok(v);
}

/** Sets row.goal on the rows a goal names and returns the goal list. */
/** ' (*: contended)' when a timing behind the figure shared the machine with other processes. */
function flag(rows: (Row | undefined)[]): string {
  return rows.some((r) => r && contendedRow(r)) ? ' (*: contended)' : '';
}

export function evaluateGoals(
  rows: Row[],
  lenet: LenetResult | null,
  torchLenet: Record<string, TorchLenetResult | { error: string }>,
  fullLenet: boolean,
): Goal[] {
  const goals: Goal[] = [];
  const has = (family: string) => rows.some((r) => r.family === family);

  if (has('gemm')) {
    for (const name of SQUARE) {
      const r = find(rows, 'gemm', name, 'gemm');
      if (!r) continue;
      r.goal = { text: '>= 1x OpenBLAS', met: check(r.xOpenblas, (v) => v >= 1) };
      goals.push({ id: `gemm_${name}_vs_openblas`, text: `GEMM ${name} at least as fast as OpenBLAS`, measured: x(r.xOpenblas) + flag([r]), met: r.goal.met });
    }
    const big = find(rows, 'gemm', 'square2048', 'gemm');
    if (big) {
      const met = check(big.fraction, (v) => v >= 0.85);
      big.goal = { text: `>= 1x OpenBLAS, >= 85 % peak`, met: big.goal?.met === false || met === false ? false : big.goal?.met === null || met === null ? null : true };
      goals.push({ id: 'gemm_square2048_peak', text: 'GEMM 2048³ >= 85 % of the measured peak', measured: pct(big.fraction) + flag([big]), met });
    }
    const cnn = CNN.map((n) => find(rows, 'gemm', n, 'gemm')).filter((r): r is Row => r !== undefined);
    if (cnn.length) {
      const ratios = cnn.map((r) => r.xOpenblas);
      const complete = ratios.every((v) => typeof v === 'number') && cnn.length === CNN.length;
      const geo = complete ? Math.exp(ratios.reduce((s: number, v) => s + Math.log(v as number), 0) / ratios.length) : null;
      for (const r of cnn) r.goal = { text: 'geomean >= 1.5x OpenBLAS', met: check(geo, (v) => v >= 1.5) };
      goals.push({
        id: 'gemm_cnn_geomean_vs_openblas',
        text: 'CNN-shaped products >= 1.5x OpenBLAS (geometric mean of 5)',
        measured: `${x(geo)} (${cnn.map((r) => x(r.xOpenblas)).join(', ')})${flag(cnn)}`,
        met: check(geo, (v) => v >= 1.5),
      });
    }
    const r512 = find(rows, 'gemm', 'square512', 'gemm');
    if (r512) {
      goals.push({ id: 'gemm_512_vs_reference', text: 'native >= 200x the reference on 512³', measured: x(r512.xReference, 0) + flag([r512]), met: check(r512.xReference, (v) => v >= 200) });
    }
  }

  if (has('conv')) {
    for (const name of CONV) {
      const r = find(rows, 'conv', name, 'fwd+bwd');
      if (!r) continue;
      // <= 0.7x PyTorch's time  <=>  PyTorch's time / ours >= 1 / 0.7
      const met = check(r.xTorch, (v) => v >= 1 / 0.7);
      r.goal = { text: '<= 0.7x PyTorch time', met };
      const ratio = r.xTorch ? 1 / r.xTorch : null;
      const passes = rows.filter((q) => q.family === 'conv' && q.name === name);
      goals.push({
        id: `conv_${name}_vs_torch`,
        text: `conv2d fwd+bwd ${name} in <= 0.7x PyTorch's time`,
        measured: ratio === null ? 'n/a' : `${ratio.toFixed(2)}x PyTorch's time${flag(passes)}`,
        met,
      });
    }
  }

  // Working sets under 256 KB are bound by the call overhead (~1 µs), not by bandwidth: no goal.
  const mem = rows.filter(
    (r) => r.unit === 'GB/s' && MEMORY_GOAL_FAMILIES.includes(r.family) && r.pass !== 'cross_entropy_op' && (r.footprint ?? 0) >= MIN_GOAL_FOOTPRINT,
  );
  if (mem.length) {
    let met = 0;
    let known = 0;
    for (const r of mem) {
      r.goal = { text: '>= 70 % BW', met: check(r.fraction, (v) => v >= 0.7) };
      if (r.goal.met !== null) known++;
      if (r.goal.met) met++;
    }
    const worst = mem
      .filter((r) => typeof r.fraction === 'number')
      .sort((a, b) => (a.fraction as number) - (b.fraction as number))
      .slice(0, 3)
      .map((r) => `${r.family} ${r.name} ${r.pass} ${pct(r.fraction)}`);
    goals.push({
      id: 'memory_bound_70pct_bw',
      text: 'pooling, batch norm, activations, softmax at >= 70 % of the bandwidth measured for their working set',
      measured: `${met} of ${known} rows; lowest: ${worst.join('; ')}`,
      met: known === 0 ? null : met === known,
    });
  }

  if (lenet) {
    const torchBest = Object.values(torchLenet)
      .filter((t): t is TorchLenetResult => !('error' in t))
      .reduce<number | null>((b, t) => (b === null || t.best.seconds < b ? t.best.seconds : b), null);
    const ratio = torchBest ? lenet.best.seconds / torchBest : null;
    const full = fullLenet ? '' : ' (partial epoch: not the goal\'s measurement)';
    const contended = [lenet.best, ...Object.values(torchLenet).flatMap((t) => ('error' in t ? [] : [t.best]))].some((e) => (e.othersBusy ?? 0) >= 0.5)
      ? ' (*: contended)'
      : '';
    goals.push({
      id: 'lenet_epoch_vs_torch',
      text: "LeNet-5 epoch in <= 0.4x PyTorch's best epoch",
      measured: ratio === null ? 'n/a' : `${ratio.toFixed(2)}x (${lenet.best.seconds.toFixed(2)} s vs ${torchBest!.toFixed(2)} s)${full}${contended}`,
      met: fullLenet ? check(ratio, (v) => v <= 0.4) : null,
    });
    goals.push({
      id: 'lenet_epoch_seconds',
      text: 'LeNet-5 epoch under 3.3 s',
      measured: `${lenet.best.seconds.toFixed(2)} s${full}${contended}`,
      met: fullLenet ? lenet.best.seconds < 3.3 : null,
    });
  }
  return goals;
}
