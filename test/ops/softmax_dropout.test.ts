// softmax / logSoftmax and dropout on both backends: known values, rows summing to 1 along any dim
// (inner > 1 included), stability for large logits; dropout's 1 / (1 - p) scaling, the fraction
// dropped, p = 0, p = 1, eval mode (the input itself), and the seeded mask.
import { expect, test } from 'vitest';
import * as gn from '../../src/index';
import { describeEachBackend, onBackend } from '../util/backends';
import { expectTensor, values } from '../util/tensors';

describeEachBackend('softmax and dropout', (backend) => {
  const run = (body: () => void) => () => onBackend(backend, body);
  const tol = { rtol: 1e-6, atol: 1e-7 };

  test('softmax and logSoftmax: known values; the default dim is the last', run(() => {
    const x = gn.tensor([[0, Math.log(3)], [1, 1]]);
    expectTensor(x.softmax(), [2, 2], [0.25, 0.75, 0.5, 0.5], tol);
    expectTensor(x.logSoftmax(), [2, 2], [Math.log(0.25), Math.log(0.75), Math.log(0.5), Math.log(0.5)], tol);
    expectTensor(x.softmax(0), [2, 2], [1 / (1 + Math.E), 3 / (3 + Math.E), Math.E / (1 + Math.E), Math.E / (3 + Math.E)], tol);
  }));

  test('rows sum to 1 along first, middle and last dims', run(() => {
    const x = gn.randn([3, 4, 5], { generator: new gn.Generator(3) }).mul(4);
    for (const dim of [0, 1, 2, -1]) {
      const s = x.softmax(dim).sum(dim);
      expect(values(s).every((v) => Math.abs(v - 1) < 1e-6), `dim ${dim}`).toBe(true);
      const l = x.logSoftmax(dim).exp().sum(dim);
      expect(values(l).every((v) => Math.abs(v - 1) < 1e-5), `log dim ${dim}`).toBe(true);
    }
  }));

  test('large logits do not overflow; -Infinity entries get probability 0', run(() => {
    expectTensor(gn.tensor([1000, 1000 + Math.log(3)]).softmax(), [2], [0.25, 0.75], { rtol: 1e-4 });
    expectTensor(gn.tensor([-1000, 0]).logSoftmax(), [2], [-1000, 0], tol);
    expectTensor(gn.tensor([-Infinity, 0, 0]).softmax(), [3], [0, 0.5, 0.5]);
  }));

  test('dropout scales kept elements by 1 / (1 - p) and drops about a fraction p', run(() => {
    const x = gn.ones([100, 100]);
    const y = gn.dropout(x, 0.2, true, new gn.Generator(4));
    const v = values(y);
    expect(v.every((e) => e === 0 || e === Math.fround(1 / 0.8))).toBe(true);
    const dropped = v.filter((e) => e === 0).length;
    expect(dropped).toBeGreaterThan(2000 - 200); // 2000 expected, sd 40: 5 sd either way
    expect(dropped).toBeLessThan(2000 + 200);
  }));

  test('dropout: p = 0 and eval mode return the input itself; p = 1 gives zeros', run(() => {
    const x = gn.tensor([1, 2, 3]);
    expect(gn.dropout(x, 0)).toBe(x);
    expect(gn.dropout(x, 0.5, false)).toBe(x);
    expect(x.dropout(0.9, false)).toBe(x);
    expectTensor(gn.dropout(x, 1), [3], [0, 0, 0]);
  }));

  test('the mask comes from the generator: the same seed gives the same mask', run(() => {
    const x = gn.arange(1, 51);
    const a = values(gn.dropout(x, 0.5, true, new gn.Generator(8)));
    const b = values(gn.dropout(x, 0.5, true, new gn.Generator(8)));
    expect(b).toEqual(a);
    gn.manualSeed(1);
    const c = values(x.dropout(0.5));
    gn.manualSeed(1);
    expect(values(x.dropout(0.5))).toEqual(c);
  }));
});
