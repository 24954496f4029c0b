// gn.io safetensors: round trips, the reference writer's exact bytes, interop with an independent
// Python implementation both ways, and refusal of every kind of bad file before any tensor exists.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, test } from 'vitest';
import * as gn from '../../src';
import { SafetensorsError, decodeSafetensors, encodeSafetensors, loadSafetensors, saveSafetensors } from '../../src/io';
import { Tensor } from '../../src/tensor';
import { buildFile, f32Bytes, fixtureDir, runRef, sameBits, tempDir } from './helpers';

const dir = tempDir();
let counter = 0;
const tmpFile = (name = 'f') => path.join(dir, `${name}-${counter++}.safetensors`);

function t32(values: number[], shape: number[]): Tensor {
  return new Tensor(Float32Array.from(values), shape);
}
function t64(values: number[], shape: number[]): Tensor {
  return new Tensor(Float64Array.from(values), shape);
}
function headerOf(bytes: Uint8Array): { n: number; json: Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }> } {
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  return { n, json: JSON.parse(Buffer.from(bytes.subarray(8, 8 + n)).toString('utf8')) };
}

describe('round trips', () => {
  test('float32 and float64 tensors of odd shapes, 0-d and empty, keep dtype, shape and every bit', () => {
    const tensors: Record<string, Tensor> = {
      'layer.weight': t32([NaN, -0, Infinity, -Infinity, 1.401298464324817e-45, 3.4028234663852886e38, 0.1, -2.5], [2, 1, 4]),
      scalar: t32([42.5], []),
      empty: t32([], [0, 3]),
      'f64.values': t64([Math.PI, -0, 1e-300, 5e-324, NaN, 1 / 3, -1e300], [7]),
      'f64.scalar': t64([Math.E], []),
      big: gn.randn([3, 5, 7]),
      'ünï ✓': t32([1, 2, 3], [3, 1]),
    };
    const { tensors: out, metadata, dtypes } = decodeSafetensors(encodeSafetensors(tensors));
    expect(Object.keys(out).sort()).toEqual(Object.keys(tensors).sort());
    expect(metadata).toEqual({});
    for (const [k, t] of Object.entries(tensors)) {
      expect(out[k].shape, k).toEqual(t.shape);
      expect(out[k].dtype, k).toBe(t.dtype);
      expect(dtypes[k], k).toBe(t.dtype === 'float64' ? 'F64' : 'F32');
      expect(sameBits(out[k].data, t.data), k).toBe(true);
    }
  });

  test('metadata round-trips as strings, in order, including unicode and escapes', () => {
    const metadata = { format: 'pt', 'ключ': 'значение ✓', quotes: 'a "b" \\ c\n\t', empty: '' };
    const back = decodeSafetensors(encodeSafetensors({ x: t32([1], [1]) }, metadata));
    expect(back.metadata).toEqual(metadata);
    expect(Object.keys(back.metadata)).toEqual(Object.keys(metadata));
  });

  test('no tensors at all, with and without metadata', () => {
    expect(decodeSafetensors(encodeSafetensors({})).tensors).toEqual({});
    expect(decodeSafetensors(encodeSafetensors({}, { a: 'b' })).metadata).toEqual({ a: 'b' });
  });

  test("a model's state dict saved to a file loads into a fresh model of the same architecture", () => {
    const make = () => new gn.nn.Sequential(new gn.nn.Linear(5, 7), new gn.nn.BatchNorm1d(7), new gn.nn.ReLU(), new gn.nn.Linear(7, 3));
    const a = make();
    a.train();
    a.forward(gn.randn([4, 5]) as never); // moves the batch-norm running statistics off their initial values
    const file = tmpFile('model');
    saveSafetensors(file, a.stateDict(), { epoch: '3' });
    const b = make();
    const { tensors, metadata } = loadSafetensors(file);
    b.loadStateDict(tensors);
    expect(metadata).toEqual({ epoch: '3' });
    const sa = a.stateDict();
    const sb = b.stateDict();
    expect(Object.keys(sb)).toEqual(Object.keys(sa));
    for (const k of Object.keys(sa)) expect(sameBits(sb[k].data, sa[k].data), k).toBe(true);
    expect(Object.keys(sa)).toContain('1.running_mean');
  });

  test('a tensor named __proto__ is an own entry, not a prototype', () => {
    // Built by hand: JSON.stringify of an object literal would not keep a __proto__ key.
    const text = '{"__proto__":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}';
    const out = decodeSafetensors(buildFile(text, f32Bytes(7))).tensors;
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(Object.keys(out)).toEqual(['__proto__']);
    expect(Object.getOwnPropertyDescriptor(out, '__proto__')!.value.data[0]).toBe(7);
  });

  test('saving refuses what the format cannot hold', () => {
    expect(() => encodeSafetensors({ a: [1, 2] as never })).toThrow(/"a" must be a Tensor/);
    expect(() => encodeSafetensors({ __metadata__: t32([1], [1]) })).toThrow(/reserved/);
    expect(() => encodeSafetensors({ a: t32([1], [1]) }, { epoch: 3 as never })).toThrow(/metadata value for "epoch" must be a string/);
  });
});

describe("the reference writer's bytes", () => {
  // Expected bytes from the Rust reference implementation's own tests (test_serialization,
  // test_empty, test_serialization_forced_alignement).
  test('one F32 tensor [1,2,3]: header exactly 64 bytes, data right after', () => {
    const out = encodeSafetensors({ 'attn.0': t32([0, 1, 2, 3, 4, 5], [1, 2, 3]) });
    expect(Array.from(out)).toEqual([
      64, 0, 0, 0, 0, 0, 0, 0, 123, 34, 97, 116, 116, 110, 46, 48, 34, 58, 123, 34, 100, 116, 121, 112, 101, 34, 58, 34, 70, 51, 50, 34, 44,
      34, 115, 104, 97, 112, 101, 34, 58, 91, 49, 44, 50, 44, 51, 93, 44, 34, 100, 97, 116, 97, 95, 111, 102, 102, 115, 101, 116, 115, 34,
      58, 91, 48, 44, 50, 52, 93, 125, 125, 0, 0, 0, 0, 0, 0, 128, 63, 0, 0, 0, 64, 0, 0, 64, 64, 0, 0, 128, 64, 0, 0, 160, 64,
    ]);
  });

  test('padding with spaces to a multiple of 8', () => {
    const out = encodeSafetensors({ attn0: t32([0, 1, 2, 3, 4, 5], [1, 1, 2, 3]) });
    expect(Array.from(out.subarray(0, 8))).toEqual([72, 0, 0, 0, 0, 0, 0, 0]);
    expect(Buffer.from(out.subarray(8, 80)).toString()).toBe('{"attn0":{"dtype":"F32","shape":[1,1,2,3],"data_offsets":[0,24]}}       ');
    expect(Array.from(out.subarray(80))).toEqual(Array.from(f32Bytes(0, 1, 2, 3, 4, 5)));
  });

  test('empty file, and metadata first', () => {
    expect(Array.from(encodeSafetensors({}))).toEqual([8, 0, 0, 0, 0, 0, 0, 0, 123, 125, 32, 32, 32, 32, 32, 32]);
    expect(Array.from(encodeSafetensors({}, { framework: 'pt' }))).toEqual([
      40, 0, 0, 0, 0, 0, 0, 0, 123, 34, 95, 95, 109, 101, 116, 97, 100, 97, 116, 97, 95, 95, 34, 58, 123, 34, 102, 114, 97, 109, 101, 119,
      111, 114, 107, 34, 58, 34, 112, 116, 34, 125, 125, 32, 32, 32, 32, 32,
    ]);
  });

  test('mixed F64/F32 with odd sizes: F64 first, names in order, every tensor aligned, no gaps', () => {
    const out = encodeSafetensors({
      zeta: t32([1, 2, 3], [3]),
      beta: t64([1], [1]),
      alpha: t32([4], [1]),
      omega: t64([1, 2, 3], [3]),
      mid: t32([5, 6, 7, 8, 9], [5]),
    });
    const { n, json } = headerOf(out);
    expect(n % 8).toBe(0);
    expect(Object.keys(json)).toEqual(['beta', 'omega', 'alpha', 'mid', 'zeta']);
    let pos = 0;
    for (const info of Object.values(json)) {
      expect(info.data_offsets[0]).toBe(pos);
      expect(info.data_offsets[0] % (info.dtype === 'F64' ? 8 : 4)).toBe(0);
      pos = info.data_offsets[1];
    }
    expect(8 + n + pos).toBe(out.length);
  });
});

describe('interop with the independent Python implementation', () => {
  test('reads the Python-written fixture (F32 F64 F16 BF16 I64 I32 I16 I8 U8 BOOL, 0-d, empty, metadata) with exact values', () => {
    const expected = JSON.parse(fs.readFileSync(path.join(fixtureDir, 'reference.expected.json'), 'utf8'));
    const file = path.join(fixtureDir, 'reference.safetensors');
    const { tensors, metadata, dtypes } = loadSafetensors(file);
    expect(metadata).toEqual(expected.metadata);
    expect(Object.keys(tensors).sort()).toEqual(Object.keys(expected.tensors).sort());
    const special: Record<string, number> = { nan: NaN, inf: Infinity, '-inf': -Infinity };
    for (const [name, e] of Object.entries<{ dtype: string; shape: number[]; values: (number | string)[] }>(expected.tensors)) {
      const t = tensors[name];
      expect(dtypes[name], name).toBe(e.dtype);
      expect(t.shape, name).toEqual(e.shape);
      expect(t.dtype, name).toBe(e.dtype === 'F64' ? 'float64' : 'float32');
      const want = e.values.map((v) => (typeof v === 'string' ? special[v] : v));
      expect(sameBits(t.data, want), `${name}: ${Array.from(t.data)} vs ${want}`).toBe(true);
    }
    // The same bytes decode the same from memory.
    expect(Object.keys(decodeSafetensors(fs.readFileSync(file)).tensors).length).toBe(Object.keys(expected.tensors).length);
  });

  test('the committed fixture is what the script writes (the script and the fixture agree)', () => {
    const out = tmpFile('fixture');
    const r = runRef(['write-fixture', out, `${out}.json`]);
    expect(r.status, r.stderr).toBe(0);
    expect(Buffer.compare(fs.readFileSync(out), fs.readFileSync(path.join(fixtureDir, 'reference.safetensors')))).toBe(0);
    expect(fs.readFileSync(`${out}.json`, 'utf8')).toBe(fs.readFileSync(path.join(fixtureDir, 'reference.expected.json'), 'utf8'));
  });

  test('the Python reader verifies a file gradnode wrote: values, shapes, dtypes, metadata, alignment, exact bytes', () => {
    const tensors: Record<string, Tensor> = {
      'conv.weight': gn.randn([4, 3, 3, 3]),
      'conv.bias': t32([NaN, -0, Infinity, -Infinity, 1e-45, 0.1, -3.5], [7]),
      'fc.w64': t64([Math.PI, -0, 5e-324, 1e300, NaN], [5, 1]),
      odd: t64([1, 2, 3], [3]),
      step: t32([12], []),
      empty: t32([], [2, 0]),
      'ünï ✓': t32([1, 2], [1, 2]),
    };
    const metadata = { format: 'gradnode', epoch: '12', note: 'ünïcødé "quoted" ✓' };
    const file = tmpFile('gn');
    saveSafetensors(file, tensors, metadata);
    // JSON has no NaN, infinities or -0: the verifier takes them as strings.
    const enc = (v: number) => (Number.isNaN(v) ? 'nan' : v === Infinity ? 'inf' : v === -Infinity ? '-inf' : Object.is(v, -0) ? '-0' : v);
    const expected = {
      metadata,
      tensors: Object.fromEntries(
        Object.entries(tensors).map(([k, t]) => [k, { dtype: t.dtype === 'float64' ? 'F64' : 'F32', shape: t.shape, values: Array.from(t.data, enc) }]),
      ),
    };
    const expFile = `${file}.expected.json`;
    fs.writeFileSync(expFile, JSON.stringify(expected));
    const ok = runRef(['verify', file, expFile, '--canonical']);
    expect(ok.stderr).toBe('');
    expect(ok.status).toBe(0);

    // The same check fails when one value, one shape or the metadata differ: the verifier can fail.
    const wrong = structuredClone(expected);
    (wrong.tensors['conv.weight'].values as number[])[5] += 1e-3;
    wrong.tensors['odd'].shape = [1, 3];
    wrong.metadata.epoch = '13';
    fs.writeFileSync(expFile, JSON.stringify(wrong));
    const bad = runRef(['verify', file, expFile]);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/conv\.weight: value 5/);
    expect(bad.stderr).toMatch(/odd: shape \[3\] != \[1, 3\]/);
    expect(bad.stderr).toMatch(/metadata/);
  });
});

// A valid base: a = [1, 2] (F32 [2], bytes 0..8), b = [3] (F32 [1], bytes 8..12).
const A = { dtype: 'F32', shape: [2], data_offsets: [0, 8] };
const B = { dtype: 'F32', shape: [1], data_offsets: [8, 12] };
const DATA = f32Bytes(1, 2, 3);

const badFiles: [string, Uint8Array, RegExp][] = [
  ['an empty file', new Uint8Array(0), /0 bytes long, shorter than the 8-byte header length/],
  ['a 5-byte file', new Uint8Array(5), /5 bytes long, shorter than the 8-byte/],
  ['header length 2^64-1', buildFile({ a: A, b: B }, DATA, { n: 2n ** 64n - 1n }), /header length 18446744073709551615 is larger than the limit/],
  ['header length 2^40', buildFile({ a: A, b: B }, DATA, { n: 2n ** 40n }), /header length 1099511627776 is larger than the limit of 100000000/],
  ['header length just over the cap', buildFile({ a: A, b: B }, DATA, { n: 100_000_001n }), /larger than the limit/],
  ['header length past the end of the file', buildFile({ a: A, b: B }, DATA, { n: 1000n }), /header length 1000 runs past the end of the file/],
  ['header length zero', buildFile('', [], { n: 0n }), /not valid JSON/],
  ['a header that is not UTF-8', buildFile('{"a":1}').map((b, i) => (i === 10 ? 0xff : b)), /not valid UTF-8/],
  ['a header that is not JSON', buildFile('{"a": {"dtype": "F32",', DATA), /not valid JSON/],
  ['a JSON array', buildFile('[1, 2, 3]'), /must be a JSON object, got an array/],
  ['JSON null', buildFile('null'), /must be a JSON object, got null/],
  ['a BOM before the JSON', buildFile('\ufeff{}'), /not valid JSON/],
  ['NaN in the header', buildFile('{"a":{"dtype":"F32","shape":[NaN],"data_offsets":[0,0]}}'), /not valid JSON/],
  ['an entry that is a number', buildFile({ a: 5 }), /tensor "a": expected an object \{dtype, shape, data_offsets\}, got the number 5/],
  ['an entry without dtype', buildFile({ a: { shape: [2], data_offsets: [0, 8] }, b: B }, DATA), /tensor "a": the field "dtype" is missing/],
  ['an entry without shape', buildFile({ a: { dtype: 'F32', data_offsets: [0, 8] }, b: B }, DATA), /tensor "a": the field "shape" is missing/],
  ['an entry without data_offsets', buildFile({ a: { dtype: 'F32', shape: [2] }, b: B }, DATA), /the field "data_offsets" is missing/],
  ['an entry with an extra field', buildFile({ a: { ...A, offsets: [0, 8] }, b: B }, DATA), /unknown field "offsets"/],
  ['an unknown dtype', buildFile({ a: { ...A, dtype: 'F17' }, b: B }, DATA), /tensor "a": unknown dtype "F17"/],
  ['a lower-case dtype', buildFile({ a: { ...A, dtype: 'f32' }, b: B }, DATA), /unknown dtype "f32"/],
  ['an fp8 dtype', buildFile({ a: { dtype: 'F8_E4M3', shape: [8], data_offsets: [0, 8] }, b: B }, DATA), /dtype F8_E4M3 is not supported/],
  ['a dtype that is not a string', buildFile({ a: { ...A, dtype: 32 }, b: B }, DATA), /dtype must be a string, got the number 32/],
  ['a negative size', buildFile({ a: { ...A, shape: [-2] }, b: B }, DATA), /shape must contain non-negative integers, got the number -2/],
  ['a fractional size', buildFile({ a: { ...A, shape: [1.5] }, b: B }, DATA), /non-negative integers, got the number 1.5/],
  ['a size given as a string', buildFile({ a: { ...A, shape: ['2'] }, b: B }, DATA), /non-negative integers, got the string "2"/],
  ['a shape that is not an array', buildFile({ a: { ...A, shape: 2 }, b: B }, DATA), /shape must be an array of sizes/],
  ['three data offsets', buildFile({ a: { ...A, data_offsets: [0, 4, 8] }, b: B }, DATA), /data_offsets must be an array \[begin, end\], got an array of 3/],
  ['a negative offset', buildFile({ a: { ...A, data_offsets: [-8, 0] }, b: B }, DATA), /data_offsets must be non-negative integers/],
  ['offsets past the end of the data', buildFile({ a: A, b: { ...B, data_offsets: [8, 16] } }, DATA), /tensor "b": data_offsets \[8, 16\] run past the end of the data section \(12 bytes\)/],
  ['reversed offsets', buildFile({ a: { ...A, data_offsets: [8, 0] }, b: { ...B, data_offsets: [8, 12] } }, DATA), /tensor "a": data_offsets \[8, 0\] are reversed/],
  ['overlapping offsets', buildFile({ a: A, b: { ...B, data_offsets: [4, 8] } }, f32Bytes(1, 2)), /tensor "b": data_offsets \[4, 8\] overlap those of tensor "a" \[0, 8\]/],
  ['two tensors on the same bytes', buildFile({ a: { ...A, shape: [1], data_offsets: [0, 4] }, b: { ...B, data_offsets: [0, 4] } }, f32Bytes(1)), /overlap/],
  ['a hole between tensors', buildFile({ a: A, b: { ...B, data_offsets: [12, 16] } }, f32Bytes(1, 2, 0, 3)), /tensor "b": data_offsets \[12, 16\] leave a gap: bytes \[8, 12\)/],
  ['a hole at the start', buildFile({ a: { ...A, data_offsets: [4, 12] }, b: { ...B, data_offsets: [12, 16] } }, f32Bytes(0, 1, 2, 3)), /leave a gap: bytes \[0, 4\)/],
  ['bytes after the last tensor', buildFile({ a: A, b: B }, f32Bytes(1, 2, 3, 4)), /the tensors cover 12 bytes but the data section has 16/],
  ['a shape bigger than its bytes', buildFile({ a: { ...A, shape: [3] }, b: B }, DATA), /tensor "a": shape \[3\] of F32 needs 12 bytes, but data_offsets \[0, 8\] hold 8/],
  ['a shape smaller than its bytes', buildFile({ a: { ...A, shape: [1] }, b: B }, DATA), /needs 4 bytes, but data_offsets \[0, 8\] hold 8/],
  ['a huge shape', buildFile({ a: { ...A, shape: [2 ** 40, 2 ** 40, 2 ** 40] }, b: B }, DATA), /needs more bytes than the file holds/],
  ['a size beyond 2^53', buildFile('{"a":{"dtype":"F32","shape":[18446744073709551616],"data_offsets":[0,8]}}', f32Bytes(1, 2)), /non-negative integers/],
  ['an I64 whose bytes do not match', buildFile({ a: { dtype: 'I64', shape: [2], data_offsets: [0, 12] } }, DATA), /shape \[2\] of I64 needs 16 bytes/],
  // JSON.parse keeps the last of two equal keys, as the reference's map does; the first entry's bytes are then a gap.
  ['a tensor name given twice', buildFile('{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"a":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}', DATA), /leave a gap: bytes \[0, 8\)/],
  ['a metadata value that is a number', buildFile({ __metadata__: { epoch: 3 }, a: A, b: B }, DATA), /__metadata__ value for "epoch" must be a string, got the number 3/],
  ['metadata that is a string', buildFile({ __metadata__: 'x', a: A, b: B }, DATA), /__metadata__ must be an object of strings/],
];

describe('bad files are refused with a message that names the file and the problem', () => {
  test.each(badFiles)('%s', (_label, bytes, message) => {
    const file = tmpFile('bad');
    fs.writeFileSync(file, bytes);
    let err: unknown;
    try {
      loadSafetensors(file);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(SafetensorsError);
    expect((err as Error).message).toMatch(message);
    expect((err as Error).message.startsWith(`safetensors: ${file}: `)).toBe(true);
    // The same from memory, named by the caller.
    expect(() => decodeSafetensors(bytes, { source: 'upload.safetensors' })).toThrow(message);
    expect(() => decodeSafetensors(bytes, { source: 'upload.safetensors' })).toThrow(/^safetensors: upload\.safetensors: /);
  });

  test('the base of those files is valid (so each refusal is due to its one change)', () => {
    const { tensors } = decodeSafetensors(buildFile({ a: A, b: B }, DATA));
    expect(Array.from(tensors.a.data)).toEqual([1, 2]);
    expect(Array.from(tensors.b.data)).toEqual([3]);
  });

  test('the Python reference reader refuses every one of them too, and accepts the base', () => {
    const files = badFiles.map(([, bytes]) => {
      const f = tmpFile('bad-py');
      fs.writeFileSync(f, bytes);
      return f;
    });
    const good = tmpFile('good-py');
    fs.writeFileSync(good, buildFile({ a: A, b: B }, DATA));
    const r = runRef(['check', good, ...files]);
    expect(r.status, r.stderr).toBe(0);
    const results = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { file: string; ok: boolean; error: string });
    expect(results[0].ok).toBe(true);
    const accepted = results.slice(1).filter((x) => x.ok).map((x) => badFiles[files.indexOf(x.file)][0]);
    expect(accepted).toEqual([]);
  });

  test('a file truncated anywhere is refused', () => {
    const full = encodeSafetensors({ w: gn.randn([5, 3]), b: t64([1, 2, 3], [3]) }, { epoch: '1' });
    const n = headerOf(full).n;
    const cuts = new Set([0, 1, 7, 8, 9, 8 + Math.floor(n / 2), 8 + n - 1, 8 + n, 8 + n + 1, 8 + n + 24, full.length - 4, full.length - 1]);
    for (const cut of cuts) {
      expect(() => decodeSafetensors(full.subarray(0, cut), { source: `cut at ${cut}` }), `cut at ${cut}`).toThrow(SafetensorsError);
    }
    expect(() => decodeSafetensors(full.subarray(0, full.length - 1))).toThrow(/run past the end of the data section|cover/);
    expect(decodeSafetensors(full).tensors.w.shape).toEqual([5, 3]);
  });

  test('random corruption of a valid file either decodes or is refused with a SafetensorsError, never anything else', () => {
    const full = encodeSafetensors({ w: gn.randn([4, 3]), b: t64([1, 2], [2]), s: t32([5], []) }, { note: 'x' });
    const n = headerOf(full).n;
    let seed = 12345;
    const rand = (k: number) => {
      seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
      return seed % k;
    };
    let refused = 0;
    for (let it = 0; it < 3000; it++) {
      const bytes = full.slice();
      const kind = rand(3);
      if (kind === 0) bytes[8 + rand(n)] = rand(256); // a byte of the header
      else if (kind === 1) bytes[rand(8)] = rand(256); // a byte of the header length
      else bytes[8 + rand(n)] = '0123456789[]{},:"-.eE '.charCodeAt(rand(22)); // a plausible JSON character
      try {
        decodeSafetensors(bytes);
      } catch (e) {
        if (!(e instanceof SafetensorsError)) throw new Error(`iteration ${it}: ${(e as Error).stack}`);
        refused++;
      }
    }
    expect(refused).toBeGreaterThan(1000);
  });

  test('loading a missing file is an error naming it', () => {
    const missing = path.join(dir, 'nope.safetensors');
    expect(() => loadSafetensors(missing)).toThrow(missing);
  });
});

test('decodeSafetensors takes a Uint8Array, a Buffer or an ArrayBuffer, and nothing else', () => {
  const bytes = encodeSafetensors({ x: t32([1, 2], [2]) });
  expect(Array.from(decodeSafetensors(bytes.slice().buffer).tensors.x.data)).toEqual([1, 2]);
  expect(Array.from(decodeSafetensors(Buffer.from(bytes)).tensors.x.data)).toEqual([1, 2]);
  expect(() => decodeSafetensors('not bytes' as never)).toThrow(TypeError);
});
