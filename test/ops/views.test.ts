// Shape ops on both backends: reshape / view / flatten / unflatten / squeeze / unsqueeze / detach are
// views that share storage (a write through one shows in the other, as in PyTorch); permute /
// transpose / t / expand / clone / to make new tensors with the right values.
import { expect, test } from 'vitest';
import * as gn from '../../src/index';
import { describeEachBackend, onBackend } from '../util/backends';
import { expectTensor, values } from '../util/tensors';

describeEachBackend('views and copies', (backend) => {
  const run = (body: () => void) => () => onBackend(backend, body);
  const x = () => gn.arange(24).reshape(2, 3, 4);

  test('reshape, view, flatten, unflatten, squeeze, unsqueeze, detach share storage', run(() => {
    const base = x();
    const views = [
      base.reshape(6, 4),
      base.view([4, -1]),
      base.flatten(),
      base.flatten(1),
      base.unflatten(2, [2, 2]),
      base.unsqueeze(0).squeeze(0),
      base.unsqueeze(-1),
      base.detach(),
    ];
    for (const v of views) {
      expect(v.data, `view of shape [${v.shape}]`).toBe(base.data);
      expect(v.numel).toBe(24);
    }
    views[0].data[5] = -1; // write through a view...
    expect(base.data[5]).toBe(-1); // ...shows in the base
    base.data[7] = -2;
    expect(views[2].data[7]).toBe(-2);
  }));

  test('view shapes: -1 inference, squeeze of one dim or all, flatten ranges', run(() => {
    expect(x().reshape(-1, 8).shape).toEqual([3, 8]);
    expect(x().flatten(0, 1).shape).toEqual([6, 4]);
    expect(gn.zeros([1, 3, 1, 2]).squeeze().shape).toEqual([3, 2]);
    expect(gn.zeros([1, 3, 1, 2]).squeeze(2).shape).toEqual([1, 3, 2]);
    expect(gn.zeros([1, 3]).squeeze(1).shape).toEqual([1, 3]); // not size 1: unchanged
    expect(gn.zeros([3]).unsqueeze(1).shape).toEqual([3, 1]);
    expect(gn.tensor(5).flatten().shape).toEqual([1]);
  }));

  test('permute, transpose and t reorder the values into new storage', run(() => {
    const m = gn.tensor([[1, 2, 3], [4, 5, 6]]);
    const t = m.t();
    expectTensor(t, [3, 2], [1, 4, 2, 5, 3, 6]);
    expect(t.data).not.toBe(m.data);
    expectTensor(x().permute(2, 0, 1).select(0, 1), [2, 3], [1, 5, 9, 13, 17, 21]);
    expectTensor(x().transpose(0, 2).select(2, 1), [4, 3], [12, 16, 20, 13, 17, 21, 14, 18, 22, 15, 19, 23]);
    expectTensor(gn.tensor([1, 2]).t(), [2], [1, 2]);
  }));

  test('expand broadcasts to a new shape (-1 keeps a size) as a copy', run(() => {
    expectTensor(gn.tensor([[1], [2]]).expand(2, 3), [2, 3], [1, 1, 1, 2, 2, 2]);
    expectTensor(gn.tensor([1, 2]).expand(2, -1), [2, 2], [1, 2, 1, 2]);
    const e = gn.tensor([7]).expand(3);
    e.data[0] = 0;
    expect(values(e)).toEqual([0, 7, 7]);
  }));

  test('clone and to give independent storage; to() converts dtype', run(() => {
    const a = gn.tensor([1.5, 2.5]);
    const c = a.clone();
    c.data[0] = 9;
    expect(a.data[0]).toBe(1.5);
    const d = a.to('float64');
    expect(d.dtype).toBe('float64');
    expect(values(d)).toEqual([1.5, 2.5]);
    expect(a.to('float32')).toBe(a);
    expect(gn.tensor([0.1], { dtype: 'float64' }).float().data[0]).toBe(Math.fround(0.1));
  }));
});
