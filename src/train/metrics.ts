/** Classification metrics over scores [N, C] and integer labels [N]. */
import { fmtShape } from '../shape';
import type { Tensor } from '../tensor';

function check(op: string, scores: Tensor, labels: Tensor): [number, number] {
  if (scores.ndim !== 2 || labels.ndim !== 1 || labels.shape[0] !== scores.shape[0]) {
    throw new RangeError(`${op}: expected scores [N, C] and labels [N], got ${fmtShape(scores.shape)} and ${fmtShape(labels.shape)}`);
  }
  return [scores.shape[0], scores.shape[1]];
}

/** Number of rows whose label is among the k highest scores (ties broken by index). */
export function topKCorrect(scores: Tensor, labels: Tensor, k = 1): number {
  const [n, c] = check('topKAccuracy', scores, labels);
  let correct = 0;
  for (let i = 0; i < n; i++) {
    const y = labels.data[i];
    const s = scores.data[i * c + y];
    // The label is in the top k when fewer than k classes beat it.
    let better = 0;
    for (let j = 0; j < c && better < k; j++) {
      const v = scores.data[i * c + j];
      if (v > s || (v === s && j < y)) better++;
    }
    if (better < k) correct++;
  }
  return correct;
}

/** Fraction of rows whose highest score is the label's. */
export function accuracy(scores: Tensor, labels: Tensor): number {
  return topKCorrect(scores, labels, 1) / (labels.numel || 1);
}

/** Fraction of rows whose label is among the k highest scores. */
export function topKAccuracy(scores: Tensor, labels: Tensor, k: number): number {
  if (!Number.isInteger(k) || k < 1) throw new RangeError(`topKAccuracy: k must be a positive integer, got ${k}`);
  return topKCorrect(scores, labels, k) / (labels.numel || 1);
}

/** counts[true label][predicted label]. */
export function confusionMatrix(scores: Tensor, labels: Tensor, numClasses?: number): number[][] {
  const [n, c] = check('confusionMatrix', scores, labels);
  const k = numClasses ?? c;
  const m = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let j = 1; j < c; j++) if (scores.data[i * c + j] > scores.data[i * c + best]) best = j;
    const y = labels.data[i];
    if (y < 0 || y >= k || !Number.isInteger(y)) throw new RangeError(`confusionMatrix: label ${y} is out of range for ${k} classes`);
    m[y][best]++;
  }
  return m;
}
