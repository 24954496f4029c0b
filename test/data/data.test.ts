// Datasets, the DataLoader, the IDX / MNIST readers and the transforms.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { describe, expect, test } from 'vitest';
import * as gn from '../../src/index';
import { packageRoot } from '../../src/backend/native';

const { DataLoader, TensorDataset, randomSplit, loadMnist, parseIdx, transforms } = gn.data;
const sampleDir = path.join(packageRoot, 'data', 'fashion-mnist-sample');

/** A dataset whose sample i is the number i (to see exactly which samples each batch holds). */
function numbered(n: number) {
  return new TensorDataset(gn.arange(n).reshape(n, 1), gn.arange(n));
}

function epochIndices(loader: Iterable<gn.Tensor[]>): number[][] {
  return [...loader].map((b) => Array.from(b[1].data));
}

describe('DataLoader', () => {
  test('every sample exactly once per epoch, in batches of the requested size', () => {
    const loader = new DataLoader(numbered(103), { batchSize: 10, shuffle: true, generator: new gn.Generator(1) });
    expect(loader.length).toBe(11);
    for (let epoch = 0; epoch < 3; epoch++) {
      const batches = epochIndices(loader);
      expect(batches.map((b) => b.length)).toEqual([...new Array(10).fill(10), 3]);
      expect(batches.flat().sort((a, b) => a - b)).toEqual([...Array(103).keys()]);
    }
  });

  test('the same seed gives the same order; epochs and seeds differ', () => {
    const order = (seed: number) => {
      const loader = new DataLoader(numbered(50), { batchSize: 7, shuffle: true, generator: new gn.Generator(seed) });
      return [epochIndices(loader).flat(), epochIndices(loader).flat()];
    };
    const [a1, a2] = order(42);
    const [b1, b2] = order(42);
    expect(a1).toEqual(b1);
    expect(a2).toEqual(b2);
    expect(a1).not.toEqual(a2);
    expect(order(43)[0]).not.toEqual(a1);
  });

  test('shuffling draws from the library generator, so manualSeed makes it reproducible', () => {
    const run = () => {
      gn.manualSeed(5);
      return epochIndices(new DataLoader(numbered(20), { batchSize: 4, shuffle: true })).flat();
    };
    expect(run()).toEqual(run());
  });

  test('without shuffle the order is the dataset order; dropLast drops the incomplete batch', () => {
    const loader = new DataLoader(numbered(10), { batchSize: 4, dropLast: true });
    expect(loader.length).toBe(2);
    expect(epochIndices(loader)).toEqual([
      [0, 1, 2, 3],
      [4, 5, 6, 7],
    ]);
  });

  test('batches stack the samples; a custom collate gets the samples', () => {
    const ds = new TensorDataset(gn.arange(12).reshape(6, 2), gn.arange(6));
    const [x, y] = [...new DataLoader(ds, { batchSize: 3 })][1];
    expect(x.shape).toEqual([3, 2]);
    expect(Array.from(x.data)).toEqual([6, 7, 8, 9, 10, 11]);
    expect(Array.from(y.data)).toEqual([3, 4, 5]);
    const sums = [...new DataLoader(ds, { batchSize: 2, collate: (s: gn.Tensor[][]) => s.map((r) => r[0].sum().item()) })];
    expect(sums).toEqual([
      [1, 5],
      [9, 13],
      [17, 21],
    ]);
  });

  test('bad options are rejected', () => {
    expect(() => new DataLoader(numbered(3), { batchSize: 0 })).toThrow(/batchSize must be a positive integer/);
    expect(() => new DataLoader({} as gn.data.Dataset)).toThrow(/dataset must have an integer length and a get/);
    expect(() => new TensorDataset(gn.zeros([3, 2]), gn.zeros([4]))).toThrow(/same first dimension/);
    expect(() => numbered(3).get(3)).toThrow(/index 3 is out of range for a dataset of 3 samples/);
  });
});

describe('randomSplit', () => {
  test('splits into disjoint subsets covering the dataset, by counts or fractions, reproducibly', () => {
    const ds = numbered(10);
    const [a, b] = randomSplit(ds, [7, 3], new gn.Generator(3));
    const ia = Array.from({ length: a.length }, (_, i) => a.get(i)[1].item());
    const ib = Array.from({ length: b.length }, (_, i) => b.get(i)[1].item());
    expect([...ia, ...ib].sort((x, y) => x - y)).toEqual([...Array(10).keys()]);
    const [c] = randomSplit(ds, [7, 3], new gn.Generator(3));
    expect(Array.from({ length: c.length }, (_, i) => c.get(i)[1].item())).toEqual(ia);
    const parts = randomSplit(numbered(11), [0.5, 0.3, 0.2], new gn.Generator(1));
    expect(parts.map((p) => p.length)).toEqual([6, 3, 2]);
    expect(() => randomSplit(ds, [5, 4])).toThrow(/must be counts that add up to 10 or fractions that add up to 1/);
  });
});

describe('IDX and MNIST files', () => {
  const idx = (type: number, shape: number[], body: number[]) => {
    const head = Buffer.alloc(4 + 4 * shape.length);
    head[2] = type;
    head[3] = shape.length;
    shape.forEach((s, d) => head.writeUInt32BE(s, 4 + 4 * d));
    return Buffer.concat([head, Buffer.from(body)]);
  };

  test('reads raw and gzip IDX, and big-endian multi-byte types', () => {
    const raw = idx(0x08, [2, 3], [1, 2, 3, 4, 5, 255]);
    for (const bytes of [raw, zlib.gzipSync(raw)]) {
      const r = parseIdx(bytes);
      expect(r.shape).toEqual([2, 3]);
      expect(Array.from(r.data)).toEqual([1, 2, 3, 4, 5, 255]);
    }
    const ints = idx(0x0c, [2], [0, 0, 1, 2, 0xff, 0xff, 0xff, 0xfe]);
    expect(Array.from(parseIdx(ints).data)).toEqual([258, -2]);
  });

  test('rejects broken files with the reason', () => {
    expect(() => parseIdx(Buffer.from([0, 0, 8]))).toThrow(/too short for an IDX header/);
    expect(() => parseIdx(Buffer.from([1, 2, 8, 1, 0, 0, 0, 1, 5]))).toThrow(/not an IDX file/);
    expect(() => parseIdx(Buffer.from([0, 0, 0x07, 1, 0, 0, 0, 1, 5]))).toThrow(/unknown IDX element type 0x7/);
    expect(() => parseIdx(idx(0x08, [2, 3], [1, 2, 3]))).toThrow(/shape \[2, 3\] of ubyte needs 18 bytes, the file has 15/);
    expect(() => parseIdx(Buffer.from([0x1f, 0x8b, 1, 2, 3]))).toThrow(/corrupt gzip data/);
    expect(() => loadMnist(os.tmpdir())).toThrow(/neither train-images-idx3-ubyte nor train-images-idx3-ubyte.gz is in/);
  });

  test('loads the shipped Fashion-MNIST sample', () => {
    const train = loadMnist(sampleDir);
    const test = loadMnist(sampleDir, { train: false });
    expect(train.length).toBe(2000);
    expect(test.length).toBe(500);
    const [x, y] = train.get(0);
    expect(x.shape).toEqual([1, 28, 28]);
    expect(Math.min(...x.data)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...x.data)).toBeLessThanOrEqual(1);
    expect(y.item()).toBe(9); // the first Fashion-MNIST training image is an ankle boot
    const counts = new Array(10).fill(0);
    for (const l of train.labels) counts[l]++;
    for (const c of counts) expect(c).toBeGreaterThan(150); // every class is there
    const [bx, by] = train.getBatch([0, 5, 1999]);
    expect(bx.shape).toEqual([3, 1, 28, 28]);
    expect(Array.from(bx.data.subarray(0, 784))).toEqual(Array.from(x.data));
    expect(by.data[0]).toBe(9);
  });

  test('the full Fashion-MNIST set loads, and the shipped sample is exactly its head', () => {
    // Debian's dataset-fashion-mnist (scripts/install-system-deps.sh installs it) or the shared copy.
    const dirs = ['/usr/share/datasets/fashion-mnist', path.join(packageRoot, '..', 'shared', 'datasets', 'fashion-mnist')];
    const dir = dirs.find((d) => fs.existsSync(path.join(d, 't10k-labels-idx1-ubyte.gz')));
    if (!dir) throw new Error(`full Fashion-MNIST not found in ${dirs.join(' or ')}; run scripts/install-system-deps.sh`);
    const test = loadMnist(dir, { train: false });
    expect(test.length).toBe(10000);
    const sample = loadMnist(sampleDir, { train: false });
    const bytes = (a: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
    expect(bytes(test.labels.subarray(0, 500)).equals(bytes(sample.labels))).toBe(true);
    expect(bytes(test.images.subarray(0, 784 * 500)).equals(bytes(sample.images))).toBe(true);
  });
});

describe('transforms', () => {
  const img = () => gn.tensor(Float32Array.from({ length: 2 * 3 * 4 }, (_, i) => i / 24), { shape: [2, 3, 4] });

  test('normalize per channel', () => {
    const y = transforms.normalize([0.1, 0.2], [0.5, 0.25])(img());
    expect(y.data[0]).toBeCloseTo((0 - 0.1) / 0.5, 6);
    expect(y.data[12]).toBeCloseTo((12 / 24 - 0.2) / 0.25, 6);
    expect(() => transforms.normalize([0, 0, 0], [1, 1, 1])(img())).toThrow(/3 means and 3 stds for an image with 2 channels/);
  });

  test('horizontal flip mirrors every row, with probability p', () => {
    const x = img();
    const flipped = transforms.randomHorizontalFlip(1)(x);
    expect(Array.from(flipped.data.subarray(0, 4))).toEqual(Array.from(x.data.subarray(0, 4)).reverse());
    expect(transforms.randomHorizontalFlip(0)(x)).toBe(x);
    const g = new gn.Generator(1);
    const flip = transforms.randomHorizontalFlip(0.5, g);
    let n = 0;
    for (let i = 0; i < 2000; i++) if (flip(x) !== x) n++;
    expect(n).toBeGreaterThan(900);
    expect(n).toBeLessThan(1100);
  });

  test('random crop with padding keeps the size and shifts the content within the padding', () => {
    const x = gn.ones([1, 6, 6]);
    const crop = transforms.randomCrop(6, { padding: 2 }, new gn.Generator(2));
    const seen = new Set<number>();
    for (let i = 0; i < 200; i++) {
      const y = crop(x);
      expect(y.shape).toEqual([1, 6, 6]);
      const s = y.sum().item();
      expect(s).toBeGreaterThanOrEqual(16); // at worst a 4x4 block of the image remains
      seen.add(s);
    }
    expect(seen.size).toBeGreaterThan(3);
    expect(() => transforms.randomCrop(11, { padding: 2 })(x)).toThrow(/does not fit/);
  });

  test('random shift moves content by whole pixels and fills with zeros', () => {
    const x = gn.zeros([1, 5, 5]);
    x.data[12] = 1; // the centre
    const shift = transforms.randomShift(2, new gn.Generator(4));
    const positions = new Set<number>();
    for (let i = 0; i < 300; i++) {
      const y = shift(x);
      expect(y.sum().item()).toBe(1);
      positions.add(y.data.indexOf(1));
    }
    expect(positions.size).toBe(25); // every shift in [-2, 2]^2 happens
  });

  test('contrast and brightness stay in [0, 1] and keep the mean (contrast) / scale (brightness)', () => {
    const x = img();
    const y = transforms.randomContrast([0.5, 0.5])(x);
    const mean = (t: gn.Tensor) => t.mean().item();
    expect(mean(y)).toBeCloseTo(mean(x), 5);
    expect(Math.max(...y.data)).toBeLessThan(Math.max(...x.data));
    const b = transforms.randomBrightness([2, 2])(x);
    expect(Math.max(...b.data)).toBe(1);
    expect(b.data[1]).toBeCloseTo(2 / 24, 6);
    expect(() => transforms.randomContrast([2, 1])).toThrow(/factor range/);
  });

  test('compose applies in order; the same seed gives the same augmentation', () => {
    const run = () => {
      gn.manualSeed(9);
      const t = transforms.compose([transforms.randomCrop(4, { padding: 1 }), transforms.randomHorizontalFlip()]);
      return Array.from(t(img()).data);
    };
    expect(run()).toEqual(run());
  });
});
