/**
 * Printing that reads like PyTorch's: tensor([[ 0.1000, -2.5000], [ 3.0000,  4.0000]]), integer
 * values as "1.", scientific notation when magnitudes span a wide range, "..." summaries for large
 * tensors, and the autograd state at the end.
 */
import type { Tensor } from './tensor';

const edgeItems = 3;
const summarizeAbove = 1000;
const lineWidth = 80;

type Mode = 'int' | 'fixed' | 'sci';

function chooseMode(values: number[]): Mode {
  const finite = values.filter(Number.isFinite);
  if (finite.length === 0 || finite.every((v) => Number.isInteger(v))) {
    const maxAbs = Math.max(0, ...finite.map(Math.abs));
    return maxAbs >= 1e8 ? 'sci' : 'int';
  }
  const nonzero = finite.map(Math.abs).filter((v) => v > 0);
  const hi = Math.max(...nonzero);
  const lo = Math.min(...nonzero);
  return hi / lo > 1000 || hi > 1e8 || lo < 1e-4 ? 'sci' : 'fixed';
}

function formatNumber(v: number, mode: Mode): string {
  if (Number.isNaN(v)) return 'nan';
  if (!Number.isFinite(v)) return v > 0 ? 'inf' : '-inf';
  if (mode === 'int') return `${v.toFixed(0)}.`;
  if (mode === 'fixed') return v.toFixed(4);
  const [m, e] = v.toExponential(4).split('e');
  const exp = Number(e);
  return `${m}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
}

/** Indices shown along a dim of this size ("..." stands for the rest when summarising). */
function shownIndices(size: number, summarize: boolean): (number | null)[] {
  if (!summarize || size <= 2 * edgeItems) return Array.from({ length: size }, (_, i) => i);
  return [...Array.from({ length: edgeItems }, (_, i) => i), null, ...Array.from({ length: edgeItems }, (_, i) => size - edgeItems + i)];
}

export function formatTensor(t: Tensor): string {
  const summarize = t.numel > summarizeAbove;
  const strides: number[] = [];
  let acc = 1;
  for (let d = t.ndim - 1; d >= 0; d--) {
    strides[d] = acc;
    acc *= t.shape[d];
  }
  // Collect the shown values first, to pick one format and one width for all of them.
  const shown: number[] = [];
  const collect = (dim: number, offset: number) => {
    if (dim === t.ndim) {
      shown.push(t.data[offset]);
      return;
    }
    for (const i of shownIndices(t.shape[dim], summarize)) if (i !== null) collect(dim + 1, offset + i * strides[dim]);
  };
  if (t.numel > 0) collect(0, 0);
  const mode = chooseMode(shown);
  const width = Math.max(1, ...shown.map((v) => formatNumber(v, mode).length));
  const prefix = 'tensor(';
  const render = (dim: number, offset: number, indent: number): string => {
    if (dim === t.ndim) return formatNumber(t.data[offset], mode).padStart(width);
    const parts = shownIndices(t.shape[dim], summarize).map((i) =>
      i === null ? '...' : render(dim + 1, offset + i * strides[dim], indent + 1),
    );
    if (dim === t.ndim - 1) {
      // Wrap the innermost dim at the line width.
      const lines: string[] = [];
      let line = '';
      for (const p of parts) {
        const piece = line === '' ? p : `${line}, ${p}`;
        if (line !== '' && indent + piece.length + 2 > lineWidth) {
          lines.push(line);
          line = p;
        } else {
          line = piece;
        }
      }
      lines.push(line);
      return `[${lines.join(`,\n${' '.repeat(indent + 1)}`)}]`;
    }
    const sep = `,${'\n'.repeat(t.ndim - dim - 1)}${' '.repeat(indent + 1)}`;
    return `[${parts.join(sep)}]`;
  };
  const body = t.ndim === 0 ? formatNumber(t.data[0], mode) : t.numel === 0 ? `[]` : render(0, 0, prefix.length);
  const extras: string[] = [];
  if (t.numel === 0 && t.ndim > 1) extras.push(`size=[${t.shape.join(', ')}]`);
  if (t.dtype === 'float64') extras.push('dtype=float64');
  if (t.gradFn) extras.push(`gradFn=<${t.gradFn.name}>`);
  else if (t.requiresGrad) extras.push('requiresGrad=true');
  return `${prefix}${body}${extras.map((e) => `, ${e}`).join('')})`;
}
