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

/**
 * PyTorch's _Formatter: the mode and the column width come from the nonzero finite values only
 * (zeros, infinities and NaN neither widen the columns nor pick the mode). Integer-valued tensors
 * switch to scientific notation when their magnitudes span more than 1000x or exceed 1e8; others
 * also when the smallest magnitude is below 1e-4.
 */
function chooseFormat(values: number[]): { mode: Mode; width: number } {
  const nonzero = values.filter((v) => Number.isFinite(v) && v !== 0);
  if (nonzero.length === 0) return { mode: 'int', width: 1 };
  let hi = 0;
  let lo = Infinity;
  for (const v of nonzero) {
    hi = Math.max(hi, Math.abs(v));
    lo = Math.min(lo, Math.abs(v));
  }
  const wide = hi / lo > 1000 || hi > 1e8;
  const mode: Mode = nonzero.every((v) => Number.isInteger(v)) ? (wide ? 'sci' : 'int') : wide || lo < 1e-4 ? 'sci' : 'fixed';
  let width = 1;
  for (const v of nonzero) width = Math.max(width, formatNumber(v, mode).length);
  return { mode, width };
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
  const { mode, width } = chooseFormat(shown);
  const prefix = 'tensor(';
  const render = (dim: number, offset: number, indent: number): string => {
    if (dim === t.ndim) return formatNumber(t.data[offset], mode).padStart(width);
    if (dim === t.ndim - 1) {
      // The innermost dim: " ..." stands for the hidden elements, and lines hold a fixed number of
      // elements, (lineWidth - indent) / (width + 2), as PyTorch's _vector_str.
      const parts = shownIndices(t.shape[dim], summarize).map((i) => (i === null ? ' ...' : render(dim + 1, offset + i * strides[dim], indent)));
      const perLine = Math.max(1, Math.floor((lineWidth - indent) / (width + 2)));
      const lines: string[] = [];
      for (let i = 0; i < parts.length; i += perLine) lines.push(parts.slice(i, i + perLine).join(', '));
      return `[${lines.join(`,\n${' '.repeat(indent + 1)}`)}]`;
    }
    const parts = shownIndices(t.shape[dim], summarize).map((i) =>
      i === null ? '...' : render(dim + 1, offset + i * strides[dim], indent + 1),
    );
    const sep = `,${'\n'.repeat(t.ndim - dim - 1)}${' '.repeat(indent + 1)}`;
    return `[${parts.join(sep)}]`;
  };
  const body = t.ndim === 0 ? formatNumber(t.data[0], mode) : t.numel === 0 ? `[]` : render(0, 0, prefix.length);
  const extras: string[] = [];
  if (t.numel === 0 && t.ndim > 1) extras.push(`size=[${t.shape.join(', ')}]`);
  if (t.dtype === 'float64') extras.push('dtype=float64');
  if (t.gradFn) extras.push(`gradFn=<${t.gradFn.name}>`);
  else if (t.requiresGrad) extras.push('requiresGrad=true');
  // Suffixes go on a new line when they would pass the line width (PyTorch's _add_suffixes).
  let out = `${prefix}${body}`;
  let lastLine = out.length - out.lastIndexOf('\n') + 1;
  for (const e of extras) {
    if (lastLine + e.length + 2 > lineWidth) {
      out += `,\n${' '.repeat(prefix.length)}${e}`;
      lastLine = prefix.length + e.length;
    } else {
      out += `, ${e}`;
      lastLine += e.length + 2;
    }
  }
  return `${out})`;
}
