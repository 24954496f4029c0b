/**
 * The IDX format of MNIST and Fashion-MNIST (raw or gzip-compressed): a 4-byte magic (two zero
 * bytes, a type code, the number of dims), big-endian u32 sizes, then big-endian data.
 */
import * as fs from 'node:fs';
import * as zlib from 'node:zlib';

export type IdxData = Uint8Array | Int8Array | Int16Array | Int32Array | Float32Array | Float64Array;

export interface IdxArray {
  shape: number[];
  data: IdxData;
}

const types: Record<number, { name: string; size: number; read: (v: DataView, o: number) => number; make: (n: number) => IdxData }> = {
  0x08: { name: 'ubyte', size: 1, read: (v, o) => v.getUint8(o), make: (n) => new Uint8Array(n) },
  0x09: { name: 'byte', size: 1, read: (v, o) => v.getInt8(o), make: (n) => new Int8Array(n) },
  0x0b: { name: 'short', size: 2, read: (v, o) => v.getInt16(o), make: (n) => new Int16Array(n) },
  0x0c: { name: 'int', size: 4, read: (v, o) => v.getInt32(o), make: (n) => new Int32Array(n) },
  0x0d: { name: 'float', size: 4, read: (v, o) => v.getFloat32(o), make: (n) => new Float32Array(n) },
  0x0e: { name: 'double', size: 8, read: (v, o) => v.getFloat64(o), make: (n) => new Float64Array(n) },
};

/** Parses IDX bytes (gzip-compressed or raw). `name` appears in error messages. */
export function parseIdx(bytes: Uint8Array, name = 'IDX data'): IdxArray {
  let buf = bytes;
  if (buf.length >= 2 && buf[0] === 0x1f && buf[1] === 0x8b) {
    try {
      buf = zlib.gunzipSync(buf);
    } catch (e) {
      throw new Error(`readIdx: ${name}: corrupt gzip data (${(e as Error).message})`);
    }
  }
  if (buf.length < 4) throw new Error(`readIdx: ${name}: too short for an IDX header (${buf.length} bytes)`);
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  if (buf[0] !== 0 || buf[1] !== 0) throw new Error(`readIdx: ${name}: not an IDX file (magic starts ${buf[0]}, ${buf[1]} instead of 0, 0)`);
  const type = types[buf[2]];
  if (!type) throw new Error(`readIdx: ${name}: unknown IDX element type 0x${buf[2].toString(16)}`);
  const ndim = buf[3];
  if (ndim === 0 || buf.length < 4 + 4 * ndim) throw new Error(`readIdx: ${name}: header declares ${ndim} dims but is truncated`);
  const shape: number[] = [];
  for (let d = 0; d < ndim; d++) shape.push(view.getUint32(4 + 4 * d));
  const count = shape.reduce((a, b) => a * b, 1);
  const start = 4 + 4 * ndim;
  const need = start + count * type.size;
  if (buf.length !== need) {
    throw new Error(`readIdx: ${name}: shape [${shape.join(', ')}] of ${type.name} needs ${need} bytes, the file has ${buf.length}`);
  }
  let data: IdxData;
  if (type.size === 1) {
    data = type.make(count);
    data.set(type.name === 'ubyte' ? buf.subarray(start, need) : new Int8Array(buf.buffer, buf.byteOffset + start, count));
  } else {
    data = type.make(count);
    for (let i = 0; i < count; i++) data[i] = type.read(view, start + i * type.size);
  }
  return { shape, data };
}

export function readIdx(path: string): IdxArray {
  let bytes: Uint8Array;
  try {
    bytes = fs.readFileSync(path);
  } catch (e) {
    throw new Error(`readIdx: cannot read ${path}: ${(e as Error).message}`);
  }
  return parseIdx(bytes, path);
}
