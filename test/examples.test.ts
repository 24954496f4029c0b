// The examples (examples/*.mjs) run and learn: short versions of each, with a check that training
// did something measurable.
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, test } from 'vitest';
import { packageRoot } from '../src/backend/native';
import * as gn from '../src/index';

type Run = (opts: Record<string, unknown>) => Record<string, unknown>;

async function example(name: string): Promise<Run> {
  const mod = (await import(pathToFileURL(path.join(packageRoot, 'examples', name)).href)) as { run: Run };
  return mod.run;
}

const quiet = { log: () => undefined };

describe('examples', () => {
  test('autoencoder: reconstruction error falls', async () => {
    const r = (await example('autoencoder.mjs'))({ epochs: 3, limit: 1000, ...quiet }) as { losses: number[] };
    expect(r.losses[2]).toBeLessThan(0.6 * r.losses[0]);
  });

  test('VAE: the negative ELBO falls and prior samples decode to images in (0, 1)', async () => {
    const r = (await example('vae.mjs'))({ epochs: 3, limit: 1000, ...quiet }) as {
      losses: number[];
      samples: { shape: number[]; data: Float32Array };
    };
    expect(r.losses[2]).toBeLessThan(0.85 * r.losses[0]);
    expect(r.samples.shape).toEqual([8, 784]);
    expect(Math.min(...r.samples.data)).toBeGreaterThan(0);
    expect(Math.max(...r.samples.data)).toBeLessThan(1);
  });

  test('GAN: generated images move toward the data (distance between mean images) and the losses stay finite', async () => {
    const run = await example('gan.mjs');
    const { data } = gn;
    const real = data.loadMnist(path.join(packageRoot, 'data', 'fashion-mnist-sample'));
    const realMean = new Float64Array(784);
    for (let i = 0; i < real.length; i++) for (let p = 0; p < 784; p++) realMean[p] += (2 * real.images[i * 784 + p] - 1) / real.length;
    // RMS distance between the mean of 256 generated images and the mean real image (in [-1, 1]).
    const distance = (sample: (n: number) => { data: Float32Array }) => {
      const s = sample(256);
      let d = 0;
      for (let p = 0; p < 784; p++) {
        let m = 0;
        for (let i = 0; i < 256; i++) m += s.data[i * 784 + p] / 256;
        d += (m - realMean[p]) ** 2;
      }
      return Math.sqrt(d / 784);
    };
    type Sampler = (n: number) => { data: Float32Array };
    const untrained = run({ epochs: 0, ...quiet }) as { sample: Sampler };
    const r = run({ epochs: 5, ...quiet }) as { history: { dLoss: number; gLoss: number }[]; sample: Sampler };
    expect(distance(r.sample)).toBeLessThan(0.75 * distance(untrained.sample));
    for (const h of r.history) expect(Number.isFinite(h.dLoss) && Number.isFinite(h.gLoss)).toBe(true);
  });

  test('LSTM trained through time learns a running sum modulo 10', async () => {
    const r = (await example('lstm_sequence.mjs'))({ steps: 500, ...quiet }) as { accuracies: number[] };
    expect(r.accuracies[0]).toBeLessThan(0.5); // after 100 steps it has not learned it yet
    expect(r.accuracies[r.accuracies.length - 1]).toBeGreaterThan(0.9);
  });
});
