/** The results as text tables (stdout) and as Markdown (docs/benchmarks.md). */
import type { LenetResult } from '../families/lenet';
import type { Row } from './context';
import type { Goal } from './goals';
import type { TorchLenetResult } from './torch';

type Cell = string;

export interface Table {
  title: string;
  headers: Cell[];
  rows: Cell[][];
  /** Columns aligned right in text output. */
  right?: number[];
  notes?: string[];
}

function ms(s: number | undefined | null): string {
  if (s === undefined || s === null) return '-';
  if (s >= 1) return `${s.toFixed(2)} s`;
  if (s >= 1e-3) return `${(s * 1e3).toFixed(s >= 0.1 ? 0 : s >= 0.01 ? 1 : 2)} ms`;
  return `${(s * 1e6).toFixed(s >= 1e-4 ? 0 : 1)} µs`;
}

function ratio(v: number | null | undefined): string {
  if (v === undefined) return '';
  if (v === null || Number.isNaN(v)) return 'n/a';
  return v >= 100 ? `${v.toFixed(0)}x` : v >= 10 ? `${v.toFixed(1)}x` : `${v.toFixed(2)}x`;
}

/** Cores other processes used during a timing above which it is marked (*) as contended. */
export const CONTENDED = 0.5;

/** '*' after a figure whose timing shared the machine with other processes. */
function mark(t: { othersBusy?: number } | null | undefined): string {
  return (t?.othersBusy ?? 0) >= CONTENDED ? '*' : '';
}

/** Whether any timing of the row (gradnode's or a peer's) was contended. */
export function contendedRow(r: Row): boolean {
  return [r.native, r.openblas, r.torch].some((t) => mark(t) !== '');
}

function goalCell(r: Row): string {
  if (!r.goal) return '';
  return `${r.goal.met === true ? 'yes' : r.goal.met === false ? 'NO' : '?'} (${r.goal.text})`;
}

const FAMILY_TITLES: Record<string, string> = {
  gemm: 'GEMM (useful flops 2MNK)',
  conv: 'conv2d (useful flops 2·N·Cout·Cin/g·kh·kw·OH·OW per pass)',
  pool: 'Pooling (compulsory bytes)',
  batchnorm: 'Batch norm, training (compulsory bytes)',
  eltwise: 'Elementwise and activations (compulsory bytes)',
  reduce: 'Reductions (compulsory bytes)',
  softmax: 'Softmax, log-softmax, cross-entropy (compulsory bytes)',
  optim: 'Optimizer steps and dropout (compulsory bytes)',
  copy: 'Strided copies (compulsory bytes)',
  rnn: 'Recurrent layers, forward + backward through time (useful flops: the GEMMs)',
};

export function kernelTables(rows: Row[]): Table[] {
  const families = [...new Set(rows.map((r) => r.family))];
  return families.map((f) => {
    const fr = rows.filter((r) => r.family === f);
    const unit = fr[0].unit;
    return {
      title: FAMILY_TITLES[f] ?? f,
      headers: ['shape', 'pass', 'best', 'median', unit, unit === 'GFLOP/s' ? '% peak' : '% BW (level)', 'x ref', 'x OpenBLAS', 'x PyTorch', 'goal met?'],
      right: [2, 3, 4, 5, 6, 7, 8],
      rows: fr.map((r) => [
        r.name,
        r.pass,
        r.native ? ms(r.native.best) + mark(r.native) : `failed: ${r.nativeError ?? ''}`,
        r.native ? ms(r.native.median) : '',
        r.rate === undefined ? '' : r.rate.toFixed(r.rate >= 100 ? 0 : 1),
        r.fraction === undefined || r.fraction === null ? '' : `${(100 * r.fraction).toFixed(0)} %${r.level && r.unit === 'GB/s' ? ` ${r.level}` : ''}`,
        ratio(r.xReference),
        ratio(r.xOpenblas) + mark(r.openblas),
        r.torchError ? 'err' : ratio(r.xTorch) + mark(r.torch),
        goalCell(r),
      ]),
      notes: [
        ...new Set(fr.map((r) => r.shape && `${r.name}: ${r.shape}${r.note ? ` (${r.pass}: ${r.note})` : ''}`)),
        ...(fr.some(contendedRow) ? [`* other processes kept >= ${CONTENDED} cores busy during the timing`] : []),
      ],
    };
  });
}

export function goalTable(goals: Goal[]): Table {
  return {
    title: 'Goals (issue, 2 threads)',
    headers: ['goal', 'measured', 'met?'],
    rows: goals.map((g) => [g.text, g.measured, g.met === true ? 'yes' : g.met === false ? 'NO' : '?']),
  };
}

export function lenetTables(l: LenetResult, torch: Record<string, TorchLenetResult | { error: string }>, threads: number): Table[] {
  const epochs: Table = {
    title: `LeNet-5 training epoch (${l.images} images, batch ${l.batchSize}, SGD momentum 0.9)`,
    headers: ['who', 'threads', 'best epoch', 'images/s', 'epochs', 'x PyTorch best'],
    right: [1, 2, 3, 5],
    rows: [],
  };
  const torchOk = Object.values(torch).filter((t): t is TorchLenetResult => !('error' in t));
  const torchBest = torchOk.length ? Math.min(...torchOk.map((t) => t.best.seconds)) : null;
  epochs.rows.push([
    'gradnode',
    String(threads),
    ms(l.best.seconds),
    l.best.imagesPerSecond.toFixed(0),
    l.epochs.map((e) => e.seconds.toFixed(2) + mark(e)).join(', '),
    torchBest ? ratio(torchBest / l.best.seconds) : 'n/a',
  ]);
  for (const [t, r] of Object.entries(torch)) {
    if ('error' in r) epochs.rows.push(['PyTorch', t, `skipped: ${r.error}`, '', '', '']);
    else epochs.rows.push([`PyTorch ${r.torch}`, t, ms(r.best.seconds), r.best.imagesPerSecond.toFixed(0), r.epochs.map((e) => e.seconds.toFixed(2) + mark(e)).join(', '), '']);
  }
  const p = l.profile;
  const perStep = (s: number) => ((s / l.steps) * 1e3).toFixed(2);
  const torchT = torch[String(threads)];
  const torchSteps = torchT && !('error' in torchT) ? Math.ceil(torchT.images / 64) : 0;
  const phaseRows = (['data', 'forward', 'backward', 'optimizer', 'other'] as const).map((ph) => [
    ph,
    perStep(l.best.phases[ph]),
    p.phasesMsPerStep[ph].toFixed(2),
    p.kernelMsPerStep[ph].toFixed(2),
    (p.phasesMsPerStep[ph] - p.kernelMsPerStep[ph]).toFixed(2),
    torchT && !('error' in torchT) && ph in torchT.best.phases ? ((torchT.best.phases[ph] / torchSteps) * 1e3).toFixed(2) : '',
  ]);
  phaseRows.push(['step', perStep(l.best.seconds), p.msPerStep.toFixed(2), '', '', torchT && !('error' in torchT) ? ((torchT.best.seconds / torchSteps) * 1e3).toFixed(2) : '']);
  const phases: Table = {
    title: 'LeNet-5 step breakdown (ms per step)',
    headers: ['phase', 'best epoch', `profiled (${p.steps} steps)`, 'in native kernels', 'rest (JS, autograd, alloc)', `PyTorch ${threads} threads`],
    right: [1, 2, 3, 4, 5],
    rows: phaseRows,
    notes: [`GC pauses during the profiled steps: ${p.gcMsPerStep.toFixed(2)} ms per step (part of "rest").`],
  };
  const kernels: Table = {
    title: 'LeNet-5: native kernel calls per step (profiled steps, slowest first)',
    headers: ['phase', 'kernel', 'calls/step', 'ms/step', '% of step'],
    right: [2, 3, 4],
    rows: p.kernels
      .filter((k) => k.msPerStep >= 0.005)
      .slice(0, 25)
      .map((k) => [k.phase, k.kernel, k.callsPerStep.toFixed(k.callsPerStep % 1 ? 2 : 0), k.msPerStep.toFixed(3), `${((100 * k.msPerStep) / p.msPerStep).toFixed(1)} %`]),
  };
  return [epochs, phases, kernels];
}

/** The table without the columns that are empty in every row. */
function dropEmptyColumns(t: Table): Table {
  const keep = t.headers.map((_, i) => i < 2 || t.rows.some((r) => (r[i] ?? '') !== ''));
  const idx = keep.flatMap((k, i) => (k ? [i] : []));
  return {
    ...t,
    headers: idx.map((i) => t.headers[i]),
    rows: t.rows.map((r) => idx.map((i) => r[i])),
    right: t.right?.flatMap((i) => (keep[i] ? [idx.indexOf(i)] : [])),
  };
}

export function renderText(table: Table): string {
  const t = dropEmptyColumns(table);
  const all = [t.headers, ...t.rows];
  const widths = t.headers.map((_, i) => Math.max(...all.map((r) => [...(r[i] ?? '')].length)));
  const line = (r: Cell[]) =>
    r
      .map((c, i) => {
        const pad = ' '.repeat(Math.max(0, widths[i] - [...(c ?? '')].length));
        return t.right?.includes(i) ? pad + c : c + pad;
      })
      .join('  ')
      .trimEnd();
  const out = [`\n== ${t.title}`, line(t.headers), widths.map((w) => '-'.repeat(w)).join('  '), ...t.rows.map(line)];
  return out.join('\n');
}

export function renderMarkdown(table: Table, level = 3): string {
  const t = dropEmptyColumns(table);
  const esc = (c: string) => (c ?? '').replace(/\|/g, '\\|');
  const out = [`${'#'.repeat(level)} ${t.title}`, '', `| ${t.headers.map(esc).join(' | ')} |`, `|${t.headers.map((_, i) => (t.right?.includes(i) ? '---:' : '---')).join('|')}|`];
  for (const r of t.rows) out.push(`| ${r.map(esc).join(' | ')} |`);
  if (t.notes?.length) {
    out.push('');
    for (const n of t.notes) out.push(`- ${n}`);
  }
  return out.join('\n');
}
