/**
 * safetensors: the tensor file format of Hugging Face (https://github.com/huggingface/safetensors).
 *
 *   8 bytes     N, the header length, an unsigned 64-bit little-endian integer
 *   N bytes     the header: UTF-8 JSON, an object mapping each tensor name to
 *               {"dtype": "F32", "shape": [2, 3], "data_offsets": [begin, end]}
 *               plus an optional "__metadata__" object of string -> string
 *   the rest    the data section: each tensor's elements, row-major, little-endian, at
 *               [begin, end) relative to the start of the data section
 *
 * Writing follows the reference writer byte for byte: the header is compact JSON with
 * "__metadata__" first, padded with spaces to a multiple of 8 bytes (so the data section starts
 * 8-byte aligned), and tensors are laid out by decreasing dtype alignment (F64 before F32), by name
 * within a dtype, so that each starts at a multiple of its element size with no gaps.
 *
 * Reading treats the file as hostile. The whole header is checked before any tensor is made, with
 * the rules of the reference reader: header length within the file and under 100 MB; valid UTF-8
 * JSON object; every entry exactly {dtype, shape, data_offsets} with a known dtype, non-negative
 * integer sizes and integer offsets; each entry's byte length equal to its element count times the
 * dtype size; and the entries, ordered by offset, covering the data section exactly: contiguous,
 * without overlap or gap, ending at the end of the file. Every number is checked before it is used
 * for arithmetic or allocation, so no header can make the reader allocate more than the file holds
 * (times four, when one-byte integers widen to float32).
 *
 * F32 reads as a float32 tensor and F64 as a float64 tensor; F16, BF16, I64, I32, I16, I8, U64,
 * U32, U16, U8 and BOOL are converted to float32 tensors (integers beyond 2^24 round to the
 * nearest float32, as in torch's `.float()`).
 */
import * as fs from 'node:fs';
import { endianness } from 'node:os';
import { Tensor } from '../tensor';
import { writeFileAtomic } from './atomic';

/** Element types a safetensors file may declare that gradnode reads. */
export type SafetensorsDType = 'F64' | 'F32' | 'F16' | 'BF16' | 'I64' | 'I32' | 'I16' | 'I8' | 'U64' | 'U32' | 'U16' | 'U8' | 'BOOL';

const DTYPE_SIZE: Record<SafetensorsDType, number> = {
  F64: 8,
  F32: 4,
  F16: 2,
  BF16: 2,
  I64: 8,
  I32: 4,
  I16: 2,
  I8: 1,
  U64: 8,
  U32: 4,
  U16: 2,
  U8: 1,
  BOOL: 1,
};

/** dtypes of the format that have no float equivalent here (sub-byte floats, fp8, complex). */
const UNSUPPORTED_DTYPES = new Set(['F8_E5M2', 'F8_E4M3', 'F8_E8M0', 'F4', 'F6_E2M3', 'F6_E3M2', 'C64']);

/** The largest header accepted (the reference implementation's limit). */
export const MAX_HEADER_BYTES = 100_000_000;

const METADATA_KEY = '__metadata__';
const LITTLE_ENDIAN_HOST = endianness() === 'LE';

/** A problem with a safetensors file (or buffer), naming the file and what is wrong. */
export class SafetensorsError extends Error {
  /** The file (or a description of the buffer) that was being read or written. */
  readonly file: string;
  /** What is wrong, without the file name. */
  readonly problem: string;
  constructor(file: string, problem: string) {
    super(`safetensors: ${file}: ${problem}`);
    this.name = 'SafetensorsError';
    this.file = file;
    this.problem = problem;
  }
}

/** One tensor's entry in a validated header; offsets are relative to the data section. */
export interface SafetensorsEntry {
  name: string;
  dtype: SafetensorsDType;
  shape: number[];
  begin: number;
  end: number;
}

/** A validated header. */
export interface SafetensorsHeader {
  /** N: the header's length in bytes (the data section starts at 8 + N). */
  headerLength: number;
  /** The entries in the order of their data (increasing offsets). */
  entries: SafetensorsEntry[];
  /** The `__metadata__` object, or null when the file has none. */
  metadata: Record<string, string> | null;
  /** The length of the data section in bytes. */
  dataLength: number;
}

export interface DecodedSafetensors {
  /** The tensors by name, in the order of their data in the file. */
  tensors: Record<string, Tensor>;
  /** The `__metadata__` strings ({} when the file has none). */
  metadata: Record<string, string>;
  /** The dtype each tensor had in the file (tensors themselves are float32 or float64). */
  dtypes: Record<string, SafetensorsDType>;
}

export interface DecodeOptions {
  /** How to name the buffer in error messages (a file path, say). */
  source?: string;
}

/** Sets a property without ever invoking a setter (a tensor may be named "__proto__"). */
function define<T>(obj: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}...` : v)}`;
  if (typeof v === 'number') return `the number ${v}`;
  return typeof v === 'object' ? 'an object' : `a ${typeof v}`;
}

function quote(name: string): string {
  return JSON.stringify(name.length > 200 ? `${name.slice(0, 200)}...` : name);
}

// ------------------------------------------------------------------------------------------------
// Reading
// ------------------------------------------------------------------------------------------------

/**
 * Reads N from the first 8 bytes and checks it against the cap and the file length. Returns N.
 */
export function readHeaderLength(prefix: Uint8Array, fileLength: number, source: string): number {
  if (fileLength < 8 || prefix.byteLength < 8) {
    throw new SafetensorsError(source, `the file is ${fileLength} bytes long, shorter than the 8-byte header length`);
  }
  const dv = new DataView(prefix.buffer, prefix.byteOffset, 8);
  const lo = dv.getUint32(0, true);
  const hi = dv.getUint32(4, true);
  const n = hi * 2 ** 32 + lo; // exact below 2^53, and anything with hi >= 2^21 is rejected anyway
  if (hi !== 0 || n > MAX_HEADER_BYTES) {
    const shown = hi === 0 ? String(n) : (BigInt(hi) * 2n ** 32n + BigInt(lo)).toString();
    throw new SafetensorsError(source, `header length ${shown} is larger than the limit of ${MAX_HEADER_BYTES} bytes (the file is corrupt or not a safetensors file)`);
  }
  if (8 + n > fileLength) {
    throw new SafetensorsError(source, `header length ${n} runs past the end of the file (${fileLength} bytes): the file is truncated or corrupt`);
  }
  return n;
}

function checkEntry(source: string, name: string, raw: unknown): Omit<SafetensorsEntry, 'begin' | 'end'> & { offsets: [number, number] } {
  const where = `tensor ${quote(name)}`;
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new SafetensorsError(source, `${where}: expected an object {dtype, shape, data_offsets}, got ${describe(raw)}`);
  }
  const obj = raw as Record<string, unknown>;
  for (const field of ['dtype', 'shape', 'data_offsets']) {
    if (!Object.prototype.hasOwnProperty.call(obj, field)) throw new SafetensorsError(source, `${where}: the field "${field}" is missing`);
  }
  const extra = Object.keys(obj).filter((k) => k !== 'dtype' && k !== 'shape' && k !== 'data_offsets');
  if (extra.length) throw new SafetensorsError(source, `${where}: unknown field ${quote(extra[0])} (an entry has exactly dtype, shape and data_offsets)`);

  const dtype = obj.dtype;
  if (typeof dtype !== 'string') throw new SafetensorsError(source, `${where}: dtype must be a string, got ${describe(dtype)}`);
  if (!Object.prototype.hasOwnProperty.call(DTYPE_SIZE, dtype)) {
    if (UNSUPPORTED_DTYPES.has(dtype)) throw new SafetensorsError(source, `${where}: dtype ${dtype} is not supported by gradnode`);
    throw new SafetensorsError(source, `${where}: unknown dtype ${quote(dtype)} (expected one of ${Object.keys(DTYPE_SIZE).join(', ')})`);
  }

  const shape = obj.shape;
  if (!Array.isArray(shape)) throw new SafetensorsError(source, `${where}: shape must be an array of sizes, got ${describe(shape)}`);
  if (shape.length > 64) throw new SafetensorsError(source, `${where}: shape has ${shape.length} dimensions (at most 64 are accepted)`);
  for (const s of shape) {
    if (typeof s !== 'number' || !Number.isSafeInteger(s) || s < 0) {
      throw new SafetensorsError(source, `${where}: shape must contain non-negative integers, got ${describe(s)} in ${JSON.stringify(shape).slice(0, 200)}`);
    }
  }

  const offs = obj.data_offsets;
  if (!Array.isArray(offs) || offs.length !== 2) {
    throw new SafetensorsError(source, `${where}: data_offsets must be an array [begin, end], got ${Array.isArray(offs) ? `an array of ${offs.length}` : describe(offs)}`);
  }
  for (const o of offs) {
    if (typeof o !== 'number' || !Number.isSafeInteger(o) || o < 0) {
      throw new SafetensorsError(source, `${where}: data_offsets must be non-negative integers, got ${describe(o)}`);
    }
  }
  return { name, dtype: dtype as SafetensorsDType, shape: shape as number[], offsets: [offs[0] as number, offs[1] as number] };
}

/** Element count of a validated shape, or Infinity when it exceeds `limit` (no overflow). */
function boundedNumel(shape: readonly number[], limit: number): number {
  if (shape.some((s) => s === 0)) return 0;
  let n = 1;
  for (const s of shape) {
    n *= s;
    if (n > limit) return Infinity;
  }
  return n;
}

/**
 * Parses and validates the header in `headerBytes` (exactly N bytes) of a file of `fileLength`
 * bytes. Throws a SafetensorsError naming `source` and the first problem found.
 */
export function parseHeader(headerBytes: Uint8Array, fileLength: number, source: string): SafetensorsHeader {
  const n = headerBytes.byteLength;
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(headerBytes);
  } catch {
    throw new SafetensorsError(source, 'the header is not valid UTF-8 (the file is corrupt or not a safetensors file)');
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new SafetensorsError(source, `the header is not valid JSON (${(err as Error).message}); the file is corrupt or not a safetensors file`);
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    throw new SafetensorsError(source, `the header must be a JSON object, got ${describe(json)}`);
  }
  const header = json as Record<string, unknown>;

  let metadata: Record<string, string> | null = null;
  if (Object.prototype.hasOwnProperty.call(header, METADATA_KEY)) {
    const m = header[METADATA_KEY];
    if (m !== null) {
      if (typeof m !== 'object' || Array.isArray(m)) throw new SafetensorsError(source, `__metadata__ must be an object of strings, got ${describe(m)}`);
      metadata = {};
      for (const [k, v] of Object.entries(m as Record<string, unknown>)) {
        if (typeof v !== 'string') throw new SafetensorsError(source, `__metadata__ value for ${quote(k)} must be a string, got ${describe(v)}`);
        define(metadata, k, v);
      }
    }
  }

  const dataLength = fileLength - 8 - n;
  const entries: (SafetensorsEntry & { index: number })[] = [];
  let index = 0;
  for (const name of Object.keys(header)) {
    if (name === METADATA_KEY) continue;
    const e = checkEntry(source, name, header[name]);
    const [begin, end] = e.offsets;
    const where = `tensor ${quote(name)}`;
    if (end < begin) throw new SafetensorsError(source, `${where}: data_offsets [${begin}, ${end}] are reversed (end before begin)`);
    if (end > dataLength) {
      throw new SafetensorsError(source, `${where}: data_offsets [${begin}, ${end}] run past the end of the data section (${dataLength} bytes): the file is truncated or corrupt`);
    }
    const size = DTYPE_SIZE[e.dtype];
    const count = boundedNumel(e.shape, dataLength);
    const expected = count * size;
    if (expected !== end - begin) {
      const shown = Number.isFinite(count) ? `${expected} bytes` : `more bytes than the file holds`;
      throw new SafetensorsError(source, `${where}: shape ${JSON.stringify(e.shape)} of ${e.dtype} needs ${shown}, but data_offsets [${begin}, ${end}] hold ${end - begin}`);
    }
    entries.push({ name, dtype: e.dtype, shape: e.shape.slice(), begin, end, index: index++ });
  }

  // Ordered by offset, the entries must tile the data section exactly (as the reference requires).
  entries.sort((a, b) => a.begin - b.begin || a.end - b.end || a.index - b.index);
  let pos = 0;
  let prev: SafetensorsEntry | null = null;
  for (const e of entries) {
    if (e.begin < pos) {
      throw new SafetensorsError(source, `tensor ${quote(e.name)}: data_offsets [${e.begin}, ${e.end}] overlap those of tensor ${quote(prev!.name)} [${prev!.begin}, ${prev!.end}]`);
    }
    if (e.begin > pos) {
      throw new SafetensorsError(source, `tensor ${quote(e.name)}: data_offsets [${e.begin}, ${e.end}] leave a gap: bytes [${pos}, ${e.begin}) of the data section belong to no tensor`);
    }
    pos = e.end;
    prev = e;
  }
  if (pos !== dataLength) {
    throw new SafetensorsError(source, `the tensors cover ${pos} bytes but the data section has ${dataLength}: bytes [${pos}, ${dataLength}) belong to no tensor (trailing garbage or a corrupt header)`);
  }
  return { headerLength: n, entries: entries.map(({ index: _, ...e }) => e), metadata, dataLength };
}

let halfTable: Float32Array | null = null;

/** float16 bit patterns to float32, all 65536 of them (built on first use). */
function halfToFloatTable(): Float32Array {
  if (halfTable) return halfTable;
  const t = new Float32Array(65536);
  for (let h = 0; h < 65536; h++) {
    const sign = h & 0x8000 ? -1 : 1;
    const exp = (h >> 10) & 0x1f;
    const frac = h & 0x3ff;
    if (exp === 0) t[h] = sign * frac * 2 ** -24;
    else if (exp === 31) t[h] = frac ? NaN : sign * Infinity;
    else t[h] = sign * (1 + frac / 1024) * 2 ** (exp - 15);
  }
  halfTable = t;
  return t;
}

/** Converts one tensor's bytes (little-endian) to a new float array. */
function convert(dtype: SafetensorsDType, bytes: Uint8Array, count: number): Float32Array | Float64Array {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (dtype === 'F64') {
    const out = new Float64Array(count);
    if (LITTLE_ENDIAN_HOST) new Uint8Array(out.buffer).set(bytes);
    else for (let i = 0; i < count; i++) out[i] = dv.getFloat64(i * 8, true);
    return out;
  }
  const out = new Float32Array(count);
  switch (dtype) {
    case 'F32':
      if (LITTLE_ENDIAN_HOST) new Uint8Array(out.buffer).set(bytes);
      else for (let i = 0; i < count; i++) out[i] = dv.getFloat32(i * 4, true);
      break;
    case 'F16': {
      const table = halfToFloatTable();
      for (let i = 0; i < count; i++) out[i] = table[dv.getUint16(i * 2, true)];
      break;
    }
    case 'BF16': {
      const bits = new Uint32Array(out.buffer);
      for (let i = 0; i < count; i++) bits[i] = dv.getUint16(i * 2, true) << 16;
      break;
    }
    case 'I64':
      for (let i = 0; i < count; i++) out[i] = Number(dv.getBigInt64(i * 8, true));
      break;
    case 'U64':
      for (let i = 0; i < count; i++) out[i] = Number(dv.getBigUint64(i * 8, true));
      break;
    case 'I32':
      for (let i = 0; i < count; i++) out[i] = dv.getInt32(i * 4, true);
      break;
    case 'U32':
      for (let i = 0; i < count; i++) out[i] = dv.getUint32(i * 4, true);
      break;
    case 'I16':
      for (let i = 0; i < count; i++) out[i] = dv.getInt16(i * 2, true);
      break;
    case 'U16':
      for (let i = 0; i < count; i++) out[i] = dv.getUint16(i * 2, true);
      break;
    case 'I8':
      for (let i = 0; i < count; i++) out[i] = dv.getInt8(i);
      break;
    case 'U8':
      out.set(bytes);
      break;
    case 'BOOL':
      for (let i = 0; i < count; i++) out[i] = bytes[i] !== 0 ? 1 : 0;
      break;
  }
  return out;
}

/** Makes the tensors of a validated header from its data section. */
export function tensorsFromData(header: SafetensorsHeader, data: Uint8Array): DecodedSafetensors {
  const tensors: Record<string, Tensor> = {};
  const dtypes: Record<string, SafetensorsDType> = {};
  for (const e of header.entries) {
    const count = (e.end - e.begin) / DTYPE_SIZE[e.dtype];
    define(tensors, e.name, new Tensor(convert(e.dtype, data.subarray(e.begin, e.end), count), e.shape));
    define(dtypes, e.name, e.dtype);
  }
  const metadata: Record<string, string> = {};
  if (header.metadata) for (const [k, v] of Object.entries(header.metadata)) define(metadata, k, v);
  return { tensors, metadata, dtypes };
}

/** Validates the header of a whole file held in memory; returns it with the data section. */
export function parseSafetensors(input: Uint8Array | ArrayBuffer, source = '<buffer>'): { header: SafetensorsHeader; data: Uint8Array } {
  const bytes = input instanceof ArrayBuffer ? new Uint8Array(input) : input;
  if (!(bytes instanceof Uint8Array)) throw new TypeError('decodeSafetensors: expected a Uint8Array, Buffer or ArrayBuffer holding a safetensors file');
  const n = readHeaderLength(bytes, bytes.byteLength, source);
  const header = parseHeader(bytes.subarray(8, 8 + n), bytes.byteLength, source);
  return { header, data: bytes.subarray(8 + n) };
}

/** Decodes a whole safetensors file held in memory (see the module comment for what is checked). */
export function decodeSafetensors(bytes: Uint8Array | ArrayBuffer, opts: DecodeOptions = {}): DecodedSafetensors {
  const { header, data } = parseSafetensors(bytes, opts.source ?? '<buffer>');
  return tensorsFromData(header, data);
}

function readExactly(fd: number, length: number, position: number, file: string): Buffer {
  const buf = Buffer.allocUnsafe(length);
  let off = 0;
  while (off < length) {
    const got = fs.readSync(fd, buf, off, length - off, position + off);
    if (got === 0) throw new SafetensorsError(file, `the file ended after ${position + off} bytes while reading (was it changed while being read?)`);
    off += got;
  }
  return buf;
}

/**
 * Reads and validates a file's header, then (only if it is valid) its data section. The file is
 * read in two steps so that a bad header is refused before anything the size of the data section
 * is allocated.
 */
export function readSafetensorsFile(file: string): { header: SafetensorsHeader; data: Uint8Array } {
  const fd = fs.openSync(file, 'r');
  try {
    const size = fs.fstatSync(fd).size;
    const prefix = readExactly(fd, Math.min(8, size), 0, file);
    const n = readHeaderLength(prefix, size, file);
    const header = parseHeader(readExactly(fd, n, 8, file), size, file);
    const data = readExactly(fd, header.dataLength, 8 + n, file);
    return { header, data };
  } finally {
    fs.closeSync(fd);
  }
}

/** Reads a safetensors file (see the module comment for what is checked). */
export function loadSafetensors(file: string): DecodedSafetensors {
  const { header, data } = readSafetensorsFile(file);
  return tensorsFromData(header, data);
}

// ------------------------------------------------------------------------------------------------
// Writing
// ------------------------------------------------------------------------------------------------

/** Where each tensor goes in the data section, and its bytes. */
export interface SafetensorsLayout {
  entries: SafetensorsEntry[];
  /** Each entry's bytes, in order. */
  pieces: Uint8Array[];
  dataLength: number;
}

/** Compares strings by their UTF-8 bytes (the reference writer's name order). */
function utf8Compare(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

function tensorBytes(t: Tensor): Uint8Array {
  const d = t.data;
  if (LITTLE_ENDIAN_HOST) return new Uint8Array(d.buffer, d.byteOffset, d.byteLength);
  const out = new Uint8Array(d.byteLength);
  const dv = new DataView(out.buffer);
  if (d instanceof Float64Array) for (let i = 0; i < d.length; i++) dv.setFloat64(i * 8, d[i], true);
  else for (let i = 0; i < d.length; i++) dv.setFloat32(i * 4, d[i], true);
  return out;
}

/** Places the tensors in the data section: F64 first, then F32, by name within each. */
export function layoutTensors(tensors: Record<string, Tensor>, what = 'encodeSafetensors'): SafetensorsLayout {
  if (tensors === null || typeof tensors !== 'object' || Array.isArray(tensors)) {
    throw new TypeError(`${what}: expected an object mapping names to tensors, got ${describe(tensors)}`);
  }
  const items: [string, Tensor][] = [];
  for (const name of Object.keys(tensors)) {
    const t = tensors[name];
    if (name === METADATA_KEY) throw new Error(`${what}: "${METADATA_KEY}" is reserved for metadata and cannot name a tensor`);
    if (!(t instanceof Tensor)) throw new TypeError(`${what}: ${quote(name)} must be a Tensor, got ${describe(t)}`);
    items.push([name, t]);
  }
  const rank = (t: Tensor) => (t.dtype === 'float64' ? 0 : 1);
  items.sort(([an, a], [bn, b]) => rank(a) - rank(b) || utf8Compare(an, bn));
  const entries: SafetensorsEntry[] = [];
  const pieces: Uint8Array[] = [];
  let pos = 0;
  for (const [name, t] of items) {
    const bytes = tensorBytes(t);
    entries.push({ name, dtype: t.dtype === 'float64' ? 'F64' : 'F32', shape: t.shape.slice(), begin: pos, end: pos + bytes.byteLength });
    pieces.push(bytes);
    pos += bytes.byteLength;
  }
  return { entries, pieces, dataLength: pos };
}

function checkMetadata(metadata: unknown, what: string): Record<string, string> | undefined {
  if (metadata === undefined) return undefined;
  if (metadata === null || typeof metadata !== 'object' || Array.isArray(metadata)) {
    throw new TypeError(`${what}: metadata must be an object of strings, got ${describe(metadata)}`);
  }
  for (const [k, v] of Object.entries(metadata as Record<string, unknown>)) {
    if (typeof v !== 'string') throw new TypeError(`${what}: metadata value for ${quote(k)} must be a string, got ${describe(v)} (JSON.stringify other values)`);
  }
  return metadata as Record<string, string>;
}

/** The 8-byte length followed by the header, padded with spaces to a multiple of 8 bytes. */
export function encodeHeader(layout: SafetensorsLayout, metadata: Record<string, string> | undefined): Uint8Array {
  const parts: string[] = [];
  if (metadata !== undefined) {
    const m = Object.entries(metadata).map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`);
    parts.push(`"${METADATA_KEY}":{${m.join(',')}}`);
  }
  for (const e of layout.entries) {
    parts.push(`${JSON.stringify(e.name)}:{"dtype":"${e.dtype}","shape":[${e.shape.join(',')}],"data_offsets":[${e.begin},${e.end}]}`);
  }
  const json = Buffer.from(`{${parts.join(',')}}`, 'utf8');
  const n = Math.ceil(json.byteLength / 8) * 8;
  if (n > MAX_HEADER_BYTES) throw new Error(`safetensors: the header would be ${n} bytes, more than readers accept (${MAX_HEADER_BYTES})`);
  const out = new Uint8Array(8 + n).fill(0x20);
  new DataView(out.buffer).setBigUint64(0, BigInt(n), true);
  out.set(json, 8);
  return out;
}

/** Encodes tensors (float32 as F32, float64 as F64) and optional string metadata as a safetensors file. */
export function encodeSafetensors(tensors: Record<string, Tensor>, metadata?: Record<string, string>): Uint8Array {
  const meta = checkMetadata(metadata, 'encodeSafetensors');
  const layout = layoutTensors(tensors, 'encodeSafetensors');
  const head = encodeHeader(layout, meta);
  const out = new Uint8Array(head.byteLength + layout.dataLength);
  out.set(head, 0);
  let pos = head.byteLength;
  for (const p of layout.pieces) {
    out.set(p, pos);
    pos += p.byteLength;
  }
  return out;
}

/**
 * Writes tensors and optional string metadata to a safetensors file, atomically: a temporary file
 * in the same directory is written, flushed and renamed over `file`, so a crash leaves either the
 * old file or the new one.
 */
export function saveSafetensors(file: string, tensors: Record<string, Tensor>, metadata?: Record<string, string>): void {
  const meta = checkMetadata(metadata, 'saveSafetensors');
  const layout = layoutTensors(tensors, 'saveSafetensors');
  writeFileAtomic(file, [encodeHeader(layout, meta), ...layout.pieces], 'saveSafetensors');
}
