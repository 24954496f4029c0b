// Finite-difference gradient checks (gn.gradcheck: float64, central differences, eps 1e-6,
// atol 1e-5, rtol 1e-3) of every layer and loss, with respect to every float input and every
// parameter, on the data of the PyTorch fixtures. Those data keep away from kinks (relu at 0,
// max-pool and maxout ties, |x - y| = 0 in L1, the hinge of the margin loss; see fixtures/layers.py).
//
// The layer runs as built, with gradcheck's float64 leaves put in place of its parameters, so the
// check covers the layer's own code (option handling, state-dict layout) as well as the functional
// form it calls. Batch norm is checked in each step's mode: training (batch statistics) and eval
// (running statistics, as left by the previous steps).
import { describe, expect, test } from 'vitest';
import * as gn from '../../src/index';
import { Generator } from '../../src/random';
import { Tensor } from '../../src/tensor';
import { FAMILIES, callLayer, loadFamily, loadedModule, toTensor } from './layer_fixtures';

interface PadRow {
  row: number;
  value: Tensor;
}

/** The padding row of an Embedding case (index and values), or null. */
function padRow(config: Record<string, unknown>, m: unknown): PadRow | null {
  if (!(m instanceof gn.nn.Embedding) || m.paddingIdx === null) return null;
  expect(config.paddingIdx).toBeDefined();
  return { row: m.paddingIdx, value: m.weight.narrow(0, m.paddingIdx, 1).detach() };
}

function withoutRow(w: Tensor, pad: PadRow): Tensor {
  const rows = [...Array(w.shape[0]).keys()].filter((r) => r !== pad.row).map((r) => w.narrow(0, r, 1));
  return new Tensor(Float64Array.from(gn.cat(rows, 0).data), [w.shape[0] - 1, w.shape[1]], true);
}

/** The full table from the other rows and the constant padding row. */
function withRow(others: Tensor, row: number, value: Tensor): Tensor {
  return gn.cat([others.narrow(0, 0, row), value, others.narrow(0, row, others.shape[0] - row)], 0);
}

for (const family of FAMILIES) {
  describe(`gradcheck: ${family}`, () => {
    for (const c of loadFamily(family)) {
      test(c.name, () => {
        c.steps.forEach((step, i) => {
          const m = loadedModule(c, 'float64');
          if (m && i > 0) {
            // Buffers as PyTorch left them after the previous step.
            const prev = c.steps[i - 1].float64.buffers;
            const sd = { ...m.stateDict() };
            for (const [k, t] of Object.entries(prev)) sd[k] = new Tensor(Float64Array.from(t.data), t.shape);
            m.loadStateDict(sd);
          }
          m?.train(step.train);
          const ints: Record<string, Tensor> = {};
          const floatNames: string[] = [];
          const leaves: Tensor[] = [];
          for (const [k, t] of Object.entries(step.inputs)) {
            if (t.int) ints[k] = toTensor(t, 'float64');
            else {
              floatNames.push(k);
              leaves.push(toTensor(t, 'float64', true));
            }
          }
          const paramNames = m ? m.namedParameters().map(([k]) => k) : [];
          for (const k of paramNames) {
            expect(k, 'fixture layers have flat parameter names').not.toContain('.');
            const p = (m as unknown as Record<string, Tensor>)[k];
            leaves.push(new Tensor(Float64Array.from(p.data), p.shape, true));
          }
          expect(leaves.length, `${c.name}: something to check`).toBeGreaterThan(0);
          // The padding row of an embedding gets no gradient by definition (PyTorch's padding_idx),
          // which is not the derivative: it stays a constant here, and the other rows are checked.
          const pad = padRow(c.config, m);
          if (pad !== null) leaves[leaves.length - 1] = withoutRow(leaves[leaves.length - 1], pad);
          const fn = (...ts: Tensor[]) => {
            const inputs: Record<string, Tensor> = { ...ints };
            floatNames.forEach((k, j) => {
              inputs[k] = ts[j];
            });
            paramNames.forEach((k, j) => {
              const t = ts[floatNames.length + j];
              (m as unknown as Record<string, Tensor>)[k] = pad !== null ? withRow(t, pad.row, pad.value) : t;
            });
            return Object.values(callLayer(c, m, inputs));
          };
          expect(gn.gradcheck(fn, leaves), `${c.name} step ${i}`).toBe(true);
        });
      });
    }
  });
}

describe('gradcheck: dropout in training mode', () => {
  test('with the mask fixed by a fresh generator per call', () => {
    const x = gn.randn([3, 5], { dtype: 'float64', requiresGrad: true });
    const fn = (t: Tensor) => gn.dropout(t, 0.4, true, new Generator(7));
    expect(gn.gradcheck(fn, [x])).toBe(true);
    // Not vacuous: the mask zeroes some elements and scales the others.
    const y = fn(x);
    const zeros = Array.from(y.data).filter((v) => v === 0).length;
    expect(zeros).toBeGreaterThan(0);
    expect(zeros).toBeLessThan(x.numel);
  });
});

describe('gradcheck itself', () => {
  test('outputs that share storage with an input (identity, reshape view) are differenced correctly', () => {
    // Regression: gradcheck used to read both finite-difference outputs after restoring the input,
    // so an output aliasing the input gave a numeric derivative of 0.
    const x = gn.randn([2, 3], { dtype: 'float64', requiresGrad: true });
    expect(gn.gradcheck((t: Tensor) => t, [x])).toBe(true);
    expect(gn.gradcheck((t: Tensor) => t.reshape(3, 2), [x])).toBe(true);
    expect(gn.gradcheck((t: Tensor) => new gn.nn.Flatten(0).forward(t), [x])).toBe(true);
  });


  test('a layer whose backward is off by a factor is caught', () => {
    // The checker itself must be able to fail: a custom op with a deliberately wrong backward.
    const Wrong = gn.defineFunction({
      name: 'wrongSquare',
      forward(ctx, x: Tensor) {
        ctx.saveForBackward(x);
        return x.detach().mul(x.detach());
      },
      backward(ctx, g) {
        const [x] = ctx.savedTensors;
        return [g.mul(x).mul(2.01)];
      },
    });
    const x = gn.randn([4], { dtype: 'float64', requiresGrad: true });
    expect(() => gn.gradcheck((t: Tensor) => Wrong(t), [x])).toThrow(/disagrees with finite differences/);
  });
});
