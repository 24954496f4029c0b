/**
 * Data augmentation and preprocessing for image samples [C, H, W] with values in [0, 1] (apply
 * normalize last). Every random choice comes from the library's seeded generator (or the one given),
 * so a seeded run augments identically every time.
 */
import { type Generator, defaultGenerator } from '../random';
import { fmtShape, pair } from '../shape';
import { Tensor } from '../tensor';

export type Transform = (x: Tensor) => Tensor;

function chw(op: string, x: Tensor): [number, number, number] {
  if (!(x instanceof Tensor) || x.ndim !== 3) {
    throw new RangeError(`${op}: expected an image tensor [C, H, W], got ${x instanceof Tensor ? `shape ${fmtShape(x.shape)}` : typeof x}`);
  }
  return [x.shape[0], x.shape[1], x.shape[2]];
}

/** Applies transforms in order. */
export function compose(transforms: readonly Transform[]): Transform {
  transforms.forEach((t, i) => {
    if (typeof t !== 'function') throw new TypeError(`compose: transform ${i} is not a function`);
  });
  return (x) => transforms.reduce((acc, t) => t(acc), x);
}

/** (x - mean) / std per channel (one value for all channels, or one per channel). */
export function normalize(mean: number | readonly number[], std: number | readonly number[]): Transform {
  const m = typeof mean === 'number' ? [mean] : [...mean];
  const s = typeof std === 'number' ? [std] : [...std];
  if (s.some((v) => !(v > 0))) throw new RangeError(`normalize: std must be positive, got [${s.join(', ')}]`);
  return (x) => {
    const [c, h, w] = chw('normalize', x);
    if ((m.length !== 1 && m.length !== c) || (s.length !== 1 && s.length !== c)) {
      throw new RangeError(`normalize: ${m.length} means and ${s.length} stds for an image with ${c} channels`);
    }
    const out = new Float32Array(x.numel);
    for (let ch = 0; ch < c; ch++) {
      const mu = m[m.length === 1 ? 0 : ch];
      const inv = 1 / s[s.length === 1 ? 0 : ch];
      for (let i = ch * h * w; i < (ch + 1) * h * w; i++) out[i] = (x.data[i] - mu) * inv;
    }
    return new Tensor(out, x.shape);
  };
}

/** Mirrors the image left-right with probability p. */
export function randomHorizontalFlip(p = 0.5, generator: Generator = defaultGenerator): Transform {
  if (!(p >= 0 && p <= 1)) throw new RangeError(`randomHorizontalFlip: p must be in [0, 1], got ${p}`);
  return (x) => {
    const [c, h, w] = chw('randomHorizontalFlip', x);
    if (generator.random() >= p) return x;
    const out = new Float32Array(x.numel);
    for (let r = 0; r < c * h; r++) for (let j = 0; j < w; j++) out[r * w + j] = x.data[r * w + (w - 1 - j)];
    return new Tensor(out, x.shape);
  };
}

/** Copies x shifted by (dy, dx) pixels into a new image of size outH x outW, filling with `fill`. */
function shifted(x: Tensor, c: number, h: number, w: number, outH: number, outW: number, dy: number, dx: number, fill: number): Tensor {
  const out = new Float32Array(c * outH * outW);
  if (fill !== 0) out.fill(fill);
  for (let ch = 0; ch < c; ch++) {
    for (let i = 0; i < outH; i++) {
      const si = i + dy;
      if (si < 0 || si >= h) continue;
      for (let j = 0; j < outW; j++) {
        const sj = j + dx;
        if (sj >= 0 && sj < w) out[(ch * outH + i) * outW + j] = x.data[(ch * h + si) * w + sj];
      }
    }
  }
  return new Tensor(out, [c, outH, outW]);
}

export interface RandomCropOptions {
  /** Pixels of padding added on every side before cropping. */
  padding?: number;
  fill?: number;
}

/** A random size x size window of the image padded by `padding` (torchvision's RandomCrop). */
export function randomCrop(size: number | [number, number], opts: RandomCropOptions = {}, generator: Generator = defaultGenerator): Transform {
  const [sh, sw] = pair('randomCrop', 'size', size, 1);
  const pad = opts.padding ?? 0;
  if (!Number.isInteger(pad) || pad < 0) throw new RangeError(`randomCrop: padding must be an integer >= 0, got ${pad}`);
  return (x) => {
    const [c, h, w] = chw('randomCrop', x);
    if (sh > h + 2 * pad || sw > w + 2 * pad) {
      throw new RangeError(`randomCrop: a ${sh}x${sw} crop does not fit the ${h}x${w} image padded by ${pad}`);
    }
    const top = generator.randint(0, h + 2 * pad - sh + 1) - pad;
    const left = generator.randint(0, w + 2 * pad - sw + 1) - pad;
    return shifted(x, c, h, w, sh, sw, top, left, opts.fill ?? 0);
  };
}

/** Translates the image by a random whole number of pixels in [-max, max] per axis, filling with zeros. */
export function randomShift(maxShift: number | [number, number], generator: Generator = defaultGenerator): Transform {
  const [my, mx] = pair('randomShift', 'maxShift', maxShift, 0);
  return (x) => {
    const [c, h, w] = chw('randomShift', x);
    const dy = generator.randint(-my, my + 1);
    const dx = generator.randint(-mx, mx + 1);
    return shifted(x, c, h, w, h, w, dy, dx, 0);
  };
}

function factorRange(op: string, range: readonly [number, number] | number): [number, number] {
  const [lo, hi] = typeof range === 'number' ? [Math.max(0, 1 - range), 1 + range] : range;
  if (!(lo >= 0 && hi >= lo)) throw new RangeError(`${op}: expected a factor range 0 <= lo <= hi, got [${lo}, ${hi}]`);
  return [lo, hi];
}

/**
 * Scales contrast by a random factor f in [lo, hi] (a number r means [1 - r, 1 + r]):
 * x' = clamp(f x + (1 - f) mean(x), 0, 1), as torchvision's adjust_contrast for one channel.
 */
export function randomContrast(range: readonly [number, number] | number, generator: Generator = defaultGenerator): Transform {
  const [lo, hi] = factorRange('randomContrast', range);
  return (x) => {
    chw('randomContrast', x);
    const f = lo + (hi - lo) * generator.random();
    let mean = 0;
    for (let i = 0; i < x.numel; i++) mean += x.data[i];
    mean /= x.numel || 1;
    const out = new Float32Array(x.numel);
    for (let i = 0; i < x.numel; i++) out[i] = Math.min(1, Math.max(0, f * x.data[i] + (1 - f) * mean));
    return new Tensor(out, x.shape);
  };
}

/** Scales brightness by a random factor f in [lo, hi]: x' = clamp(f x, 0, 1). */
export function randomBrightness(range: readonly [number, number] | number, generator: Generator = defaultGenerator): Transform {
  const [lo, hi] = factorRange('randomBrightness', range);
  return (x) => {
    chw('randomBrightness', x);
    const f = lo + (hi - lo) * generator.random();
    const out = new Float32Array(x.numel);
    for (let i = 0; i < x.numel; i++) out[i] = Math.min(1, Math.max(0, f * x.data[i]));
    return new Tensor(out, x.shape);
  };
}
