// fit() and evaluate(): training really learns, metrics are right, callbacks and early stopping
// stop when they should, schedules and checkpoints are driven per epoch.
import { describe, expect, test } from 'vitest';
import * as gn from '../../src/index';
import type { FitOptions } from '../../src/train';

const { nn, optim, train, data } = gn;

/** Three well-separated Gaussian blobs in 2-D. */
function blobs(n: number, seed: number) {
  const g = new gn.Generator(seed);
  const centres = [
    [2, 2],
    [-2, 2],
    [0, -2.5],
  ];
  const x = new Float32Array(n * 2);
  const y = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const c = i % 3;
    y[i] = c;
    x[2 * i] = centres[c][0] + 0.5 * g.normal();
    x[2 * i + 1] = centres[c][1] + 0.5 * g.normal();
  }
  return new data.TensorDataset(gn.tensor(x, { shape: [n, 2] }), gn.tensor(y));
}

function model(seed: number) {
  gn.manualSeed(seed);
  return new nn.Sequential(new nn.Linear(2, 16), new nn.ReLU(), new nn.Linear(16, 3));
}

describe('metrics', () => {
  const scores = gn.tensor([
    [0.1, 0.7, 0.2],
    [0.5, 0.4, 0.1],
    [0.3, 0.3, 0.4],
    [0.2, 0.2, 0.6],
  ]);
  const labels = gn.tensor([1, 1, 0, 2]);

  test('accuracy, top-k and the confusion matrix', () => {
    expect(train.accuracy(scores, labels)).toBe(0.5);
    expect(train.topKAccuracy(scores, labels, 2)).toBe(1);
    expect(train.topKAccuracy(scores, labels, 3)).toBe(1);
    expect(train.confusionMatrix(scores, labels)).toEqual([
      [0, 0, 1],
      [1, 1, 0],
      [0, 0, 1],
    ]);
    expect(() => train.accuracy(scores, gn.tensor([1, 2]))).toThrow(/expected scores \[N, C\] and labels \[N\]/);
  });
});

describe('fit', () => {
  test('learns a separable problem and returns the per-epoch history', () => {
    const m = model(1);
    const loader = new data.DataLoader(blobs(300, 1), { batchSize: 32, shuffle: true });
    const val = new data.DataLoader(blobs(150, 2), { batchSize: 50 });
    const history = train.fit(m, loader, { epochs: 8, optimizer: new optim.SGD(m.parameters(), { lr: 0.1, momentum: 0.9 }), valLoader: val, verbose: 'silent' });
    expect(history).toHaveLength(8);
    expect(history[0].epoch).toBe(1);
    expect(history[7].loss).toBeLessThan(history[0].loss);
    expect(history[7].accuracy).toBeGreaterThan(0.95);
    expect(history[7].valAccuracy).toBeGreaterThan(0.95);
    for (const h of history) {
      expect(h.seconds).toBeGreaterThan(0);
      expect(h.samplesPerSecond).toBeGreaterThan(0);
      expect(h.lr).toBe(0.1);
    }
    const ev = train.evaluate(m, val, { confusionMatrix: true, metrics: ['accuracy', 'top2'] });
    expect(ev.samples).toBe(150);
    expect(ev.accuracy).toBe(history[7].valAccuracy);
    expect(ev.top2 as number).toBeGreaterThanOrEqual(ev.accuracy as number);
    const cm = ev.confusionMatrix as number[][];
    expect(cm.flat().reduce((a, b) => a + b, 0)).toBe(150);
    expect(cm[0][0] + cm[1][1] + cm[2][2]).toBe(Math.round((ev.accuracy as number) * 150));
  });

  test('evaluate runs in eval mode without recording and restores the mode', () => {
    const m = new nn.Sequential(new nn.Linear(2, 3), new nn.Dropout(0.9));
    const loader = new data.DataLoader(blobs(30, 3), { batchSize: 30 });
    const a = train.evaluate(m, loader);
    const b = train.evaluate(m, loader);
    expect(a.loss).toBe(b.loss); // no dropout in eval mode
    expect(m.training).toBe(true);
  });

  test('the same seed gives the same training run', () => {
    const run = () => {
      const m = model(7);
      const loader = new data.DataLoader(blobs(120, 4), { batchSize: 16, shuffle: true });
      return train.fit(m, loader, { epochs: 3, optimizer: new optim.Adam(m.parameters(), { lr: 0.01 }), verbose: 'silent' }).map((h) => h.loss);
    };
    expect(run()).toEqual(run());
  });

  test('a schedule steps once per epoch; ReduceLROnPlateau gets the monitored value', () => {
    const m = model(2);
    const opt = new optim.SGD(m.parameters(), { lr: 0.1 });
    const loader = new data.DataLoader(blobs(60, 5), { batchSize: 30 });
    const h = train.fit(m, loader, { epochs: 4, optimizer: opt, scheduler: new optim.StepLR(opt, { stepSize: 2, gamma: 0.5 }), verbose: 'silent' });
    expect(h.map((e) => e.lr)).toEqual([0.1, 0.1, 0.05, 0.05]);
    const opt2 = new optim.SGD(m.parameters(), { lr: 0.1 });
    const seen: number[] = [];
    const plateau = new optim.ReduceLROnPlateau(opt2, { patience: 0, factor: 0.5 });
    const original = plateau.step.bind(plateau);
    plateau.step = (v: number | gn.Tensor) => {
      seen.push(v as number);
      original(v);
    };
    const h2 = train.fit(m, loader, { epochs: 2, optimizer: opt2, scheduler: plateau, verbose: 'silent' });
    expect(seen).toEqual(h2.map((e) => e.loss));
  });

  test('callbacks see every batch and epoch and can stop training', () => {
    const m = model(3);
    const loader = new data.DataLoader(blobs(90, 6), { batchSize: 30 });
    const events: string[] = [];
    const h = train.fit(m, loader, {
      epochs: 10,
      optimizer: new optim.SGD(m.parameters(), { lr: 0.05 }),
      verbose: 'silent',
      callbacks: [
        {
          onTrainBegin: () => events.push('begin'),
          onBatchEnd: (l) => events.push(`b${l.epoch}.${l.batch}/${l.batches}`),
          onEpochEnd: (l) => {
            events.push(`e${l.epoch}`);
            return l.epoch === 2 ? 'stop' : undefined;
          },
          onTrainEnd: (hist) => events.push(`end${hist.length}`),
        },
      ],
    });
    expect(h).toHaveLength(2);
    expect(h[1].stoppedEarly).toBe(1);
    expect(events).toEqual(['begin', 'b1.1/3', 'b1.2/3', 'b1.3/3', 'e1', 'b2.1/3', 'b2.2/3', 'b2.3/3', 'e2', 'end2']);
  });

  test('early stopping waits `patience` epochs without improvement and restores the best weights', () => {
    const m = model(4);
    const loader = new data.DataLoader(blobs(60, 7), { batchSize: 60 });
    // A learning rate so large that the loss blows up after the first epochs.
    const losses: number[] = [];
    const snapshots: Float32Array[] = [];
    const h = train.fit(m, loader, {
      epochs: 30,
      optimizer: new optim.SGD(m.parameters(), { lr: 0.5 }),
      verbose: 'silent',
      earlyStopping: { monitor: 'loss', patience: 2, restoreBestWeights: true },
      callbacks: [
        {
          onEpochEnd: (l) => {
            losses.push(l.loss);
            snapshots.push((m.parameters()[0].data as Float32Array).slice());
          },
        },
      ],
    });
    const best = losses.indexOf(Math.min(...losses));
    expect(h.length).toBe(Math.min(30, best + 1 + 2));
    if (h.length < 30) expect(h[h.length - 1].stoppedEarly).toBe(1);
    expect(Array.from(m.parameters()[0].data)).toEqual(Array.from(snapshots[best]));
  });

  test('a non-finite loss stops training with a clear message', () => {
    const m = model(5);
    const loader = new data.DataLoader(blobs(30, 8), { batchSize: 30 });
    const bad = () => gn.tensor(Number.NaN);
    expect(() => train.fit(m, loader, { epochs: 1, optimizer: new optim.SGD(m.parameters(), { lr: 0.1 }), loss: () => bad().requiresGrad_(), verbose: 'silent' })).toThrow(/the loss became NaN at epoch 1, batch 1/);
  });

  test('checkpoints: every epoch, or only when the monitored value improves', () => {
    const m = model(6);
    const loader = new data.DataLoader(blobs(60, 9), { batchSize: 30 });
    const saved: number[] = [];
    const save = (_p: string, s: { metadata: Record<string, unknown> }) => {
      saved.push(s.metadata.epoch as number);
    };
    train.fit(m, loader, { epochs: 3, optimizer: new optim.SGD(m.parameters(), { lr: 0.05 }), verbose: 'silent', checkpoint: { path: 'x', save } });
    expect(saved).toEqual([1, 2, 3]);
    saved.length = 0;
    const losses: number[] = [];
    train.fit(m, loader, {
      epochs: 6,
      optimizer: new optim.SGD(m.parameters(), { lr: 0.05 }),
      verbose: 'silent',
      checkpoint: { path: 'x', save, saveBestOnly: true, monitor: 'loss' },
      callbacks: [
        {
          onEpochEnd: (l) => {
            losses.push(l.loss);
          },
        },
      ],
    });
    const improving = losses.map((l, i) => (losses.slice(0, i).every((p) => l < p) ? i + 1 : 0)).filter(Boolean);
    expect(saved).toEqual(improving);
  });

  test('bad options are rejected', () => {
    const m = model(8);
    const loader = new data.DataLoader(blobs(30, 1), { batchSize: 30 });
    expect(() => train.fit(m, loader, { epochs: 0, optimizer: new optim.SGD(m.parameters(), { lr: 0.1 }) })).toThrow(/epochs must be a positive integer/);
    expect(() => train.fit(m, loader, { epochs: 1 } as FitOptions)).toThrow(/optimizer is required/);
    expect(() => train.fit(m, loader, { epochs: 1, optimizer: new optim.SGD(m.parameters(), { lr: 0.1 }), metrics: ['f1' as 'accuracy'], verbose: 'silent' })).toThrow(/unknown metric "f1"/);
  });
});

