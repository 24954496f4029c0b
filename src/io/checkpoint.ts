/**
 * Training checkpoints: a model's state dict, an optimizer's and a learning-rate scheduler's state
 * and the user's metadata (epoch, metrics, ...) in one safetensors file, written atomically.
 *
 * Layout of the file (a plain safetensors file, readable by any safetensors reader):
 *   tensors   model.<name>                      the model's parameters and persistent buffers
 *             optimizer.state.<index>.<key>     optimizer state tensors (PyTorch's layout: state
 *                                               per parameter index, e.g. exp_avg)
 *   __metadata__ (strings)
 *             format          "gradnode.checkpoint"
 *             format_version  "1"
 *             data_sha256     SHA-256 of the data section, so a corrupted file is refused
 *             optimizer       JSON {type, paramGroups, state}: the param groups and the state
 *                             values that are not tensors (numbers such as step)
 *             scheduler       JSON of scheduler.stateDict()
 *             metadata        JSON of the user's metadata
 * Non-finite numbers (an Infinity best loss, say) survive the JSON as {"$float": "Infinity"}.
 *
 * loadCheckpoint checks the whole file first: the safetensors structure, the format and version,
 * the checksum, every model key and shape against the model, the optimizer's type, param groups
 * and state against the optimizer given, and (through their checkStateDict, where they have one)
 * the optimizer's and scheduler's own rules. Only when everything fits is anything applied; a file
 * for another architecture, a truncated or a corrupted one leaves the model and optimizer
 * untouched. Should an optimizer's or scheduler's loadStateDict still refuse, what was already
 * applied is restored.
 */
import { createHash } from 'node:crypto';
import { fmtShape, shapesEqual } from '../shape';
import { Tensor } from '../tensor';
import type { Module } from '../nn/module';
import { writeFileAtomic } from './atomic';
import { encodeHeader, layoutTensors, readSafetensorsFile, tensorsFromData } from './safetensors';
import type { SafetensorsEntry } from './safetensors';

export const CHECKPOINT_FORMAT = 'gradnode.checkpoint';
export const CHECKPOINT_VERSION = 1;

const MODEL_PREFIX = 'model.';
const OPT_PREFIX = 'optimizer.state.';

/** An optimizer's state dict, in PyTorch's layout. */
export interface OptimizerStateDict {
  /** Per parameter index (its position across the param groups), the state values by name. */
  state: Record<number, Record<string, Tensor | number | unknown>>;
  /** The groups' options, each with the indices of its parameters. */
  paramGroups: (Record<string, unknown> & { params: number[] })[];
}

/** What a checkpoint needs of an optimizer. */
export interface CheckpointOptimizer {
  stateDict(): OptimizerStateDict;
  loadStateDict(sd: OptimizerStateDict): void;
  /** When present, the parameter tensors (used to check the shapes of state tensors). */
  paramGroups?: readonly { params: readonly Tensor[] }[];
  /** When present, the problems that would stop loadStateDict(sd) (checked before anything is applied). */
  checkStateDict?(sd: OptimizerStateDict): string[];
}

/** What a checkpoint needs of a learning-rate scheduler: JSON-serialisable state. */
export interface CheckpointScheduler {
  stateDict(): unknown;
  loadStateDict(sd: never): void;
  /** When present, the problems that would stop loadStateDict(sd) (checked before anything is applied). */
  checkStateDict?(sd: unknown): string[];
}

export interface SaveCheckpointOptions {
  model: Module;
  optimizer?: CheckpointOptimizer;
  scheduler?: CheckpointScheduler;
  /** JSON-serialisable values (epoch, metrics, configuration); returned by loadCheckpoint. */
  metadata?: Record<string, unknown>;
}

export interface LoadCheckpointOptions {
  model: Module;
  optimizer?: CheckpointOptimizer;
  scheduler?: CheckpointScheduler;
}

/** A checkpoint that cannot be saved or loaded; nothing was changed. */
export class CheckpointError extends Error {
  readonly file: string;
  constructor(file: string, message: string, options?: { cause?: unknown }) {
    super(`${file}: ${message}`, options);
    this.name = 'CheckpointError';
    this.file = file;
  }
}

// ------------------------------------------------------------------------------------------------
// JSON with non-finite numbers
// ------------------------------------------------------------------------------------------------

const FLOAT_TAG = '$float';

function toJson(value: unknown, what: string, file: string): string {
  try {
    return JSON.stringify(value, function (_key, v: unknown) {
      if (typeof v === 'number' && !Number.isFinite(v)) return { [FLOAT_TAG]: String(v) };
      if (v instanceof Tensor) throw new TypeError('a Tensor (tensors belong in the model or optimizer state, not in JSON values)');
      if (typeof v === 'bigint' || typeof v === 'function' || typeof v === 'symbol') throw new TypeError(`a ${typeof v}`);
      return v;
    });
  } catch (err) {
    throw new CheckpointError(file, `saveCheckpoint: ${what} must be JSON-serialisable; it holds ${(err as Error).message}`);
  }
}

function fromJson(text: string, what: string, file: string): unknown {
  try {
    return JSON.parse(text, (_key, v: unknown) => {
      if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
        const keys = Object.keys(v);
        if (keys.length === 1 && keys[0] === FLOAT_TAG) {
          const s = (v as Record<string, unknown>)[FLOAT_TAG];
          if (s === 'NaN') return NaN;
          if (s === 'Infinity') return Infinity;
          if (s === '-Infinity') return -Infinity;
        }
      }
      return v;
    });
  } catch (err) {
    throw new CheckpointError(file, `the ${what} entry of the metadata is not valid JSON (${(err as Error).message}): the file is corrupt`);
  }
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

// ------------------------------------------------------------------------------------------------
// Saving
// ------------------------------------------------------------------------------------------------

/**
 * Saves a model (and optionally an optimizer, a scheduler and metadata) to one safetensors file,
 * atomically: the previous file stays intact until the new one is complete and flushed.
 */
export function saveCheckpoint(file: string, opts: SaveCheckpointOptions): void {
  if (opts === null || typeof opts !== 'object' || !opts.model || typeof opts.model.stateDict !== 'function') {
    throw new TypeError('saveCheckpoint: expected { model, optimizer?, scheduler?, metadata? } with a Module as model');
  }
  const tensors: Record<string, Tensor> = {};
  for (const [k, t] of Object.entries(opts.model.stateDict())) tensors[MODEL_PREFIX + k] = t;
  const meta: Record<string, string> = { format: CHECKPOINT_FORMAT, format_version: String(CHECKPOINT_VERSION) };

  if (opts.optimizer) {
    const sd = opts.optimizer.stateDict();
    if (!isPlainObject(sd) || !Array.isArray(sd.paramGroups) || !isPlainObject(sd.state)) {
      throw new CheckpointError(file, 'saveCheckpoint: optimizer.stateDict() must return { state, paramGroups }');
    }
    const jsonState: Record<string, Record<string, unknown>> = {};
    for (const [idx, entry] of Object.entries(sd.state)) {
      if (!/^(0|[1-9][0-9]*)$/.test(idx)) throw new CheckpointError(file, `saveCheckpoint: optimizer state key "${idx}" is not a parameter index`);
      if (!isPlainObject(entry)) throw new CheckpointError(file, `saveCheckpoint: optimizer state for parameter ${idx} must be an object`);
      for (const [key, v] of Object.entries(entry)) {
        if (v instanceof Tensor) tensors[`${OPT_PREFIX}${idx}.${key}`] = v;
        else (jsonState[idx] ??= {})[key] = v;
      }
    }
    const type = (opts.optimizer as object).constructor?.name ?? 'Optimizer';
    meta.optimizer = toJson({ type, paramGroups: sd.paramGroups, state: jsonState }, 'the optimizer state', file);
  }
  if (opts.scheduler) meta.scheduler = toJson(opts.scheduler.stateDict(), 'the scheduler state', file);
  if (opts.metadata !== undefined) {
    if (!isPlainObject(opts.metadata)) throw new CheckpointError(file, 'saveCheckpoint: metadata must be an object');
    meta.metadata = toJson(opts.metadata, 'metadata', file);
  }

  const layout = layoutTensors(tensors, 'saveCheckpoint');
  const hash = createHash('sha256');
  for (const p of layout.pieces) hash.update(p);
  meta.data_sha256 = hash.digest('hex');
  writeFileAtomic(file, [encodeHeader(layout, meta), ...layout.pieces], 'saveCheckpoint');
}

// ------------------------------------------------------------------------------------------------
// Loading
// ------------------------------------------------------------------------------------------------

interface SavedOptimizer {
  type: string;
  paramGroups: OptimizerStateDict['paramGroups'];
  state: Record<string, Record<string, unknown>>;
}

function parseSavedOptimizer(text: string, file: string): SavedOptimizer {
  const v = fromJson(text, 'optimizer', file);
  if (!isPlainObject(v) || typeof v.type !== 'string' || !Array.isArray(v.paramGroups) || !isPlainObject(v.state)) {
    throw new CheckpointError(file, 'the optimizer entry of the metadata is not {type, paramGroups, state}: the file is corrupt');
  }
  for (const [i, g] of v.paramGroups.entries()) {
    if (!isPlainObject(g) || !Array.isArray(g.params) || !g.params.every((p) => Number.isSafeInteger(p) && p >= 0)) {
      throw new CheckpointError(file, `optimizer param group ${i} in the file has no list of parameter indices: the file is corrupt`);
    }
  }
  for (const [idx, s] of Object.entries(v.state)) {
    if (!isPlainObject(s)) throw new CheckpointError(file, `optimizer state for parameter ${idx} in the file is not an object: the file is corrupt`);
  }
  return v as unknown as SavedOptimizer;
}

function cloneState(sd: OptimizerStateDict): OptimizerStateDict {
  const state: OptimizerStateDict['state'] = {};
  for (const [idx, entry] of Object.entries(sd.state)) {
    const copy: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(entry as Record<string, unknown>)) {
      copy[k] = v instanceof Tensor ? new Tensor(v.data.slice(), v.shape) : structuredClone(v);
    }
    state[Number(idx)] = copy;
  }
  return { state, paramGroups: structuredClone(sd.paramGroups) };
}

/**
 * Loads a checkpoint written by saveCheckpoint into a model (and optionally an optimizer and a
 * scheduler) and returns the user metadata. Everything is validated before anything is applied:
 * on any error the model, optimizer and scheduler are left exactly as they were.
 */
export function loadCheckpoint(file: string, opts: LoadCheckpointOptions): Record<string, unknown> {
  if (opts === null || typeof opts !== 'object' || !opts.model || typeof opts.model.stateDict !== 'function') {
    throw new TypeError('loadCheckpoint: expected { model, optimizer?, scheduler? } with a Module as model');
  }
  const { header, data } = readSafetensorsFile(file);
  const meta = header.metadata ?? {};
  const fail = (msg: string): never => {
    throw new CheckpointError(file, `loadCheckpoint: ${msg} (nothing was loaded)`);
  };

  // The format, then the data's integrity, before believing anything else in the file.
  if (meta.format !== CHECKPOINT_FORMAT) {
    fail(`not a gradnode checkpoint (format ${meta.format === undefined ? 'missing' : JSON.stringify(meta.format)}); use gn.io.loadSafetensors for plain safetensors files`);
  }
  if (meta.format_version !== String(CHECKPOINT_VERSION)) {
    fail(`checkpoint format version ${JSON.stringify(meta.format_version)} is not supported (this gradnode reads version ${CHECKPOINT_VERSION})`);
  }
  if (typeof meta.data_sha256 !== 'string') fail('the checkpoint has no data_sha256 checksum');
  const digest = createHash('sha256').update(data).digest('hex');
  if (digest !== meta.data_sha256) fail('the data section does not match its SHA-256 checksum: the file is corrupt');

  const problems: string[] = [];
  const modelEntries = new Map<string, SafetensorsEntry>();
  const optEntries: { idx: number; key: string; entry: SafetensorsEntry }[] = [];
  for (const e of header.entries) {
    if (e.name.startsWith(MODEL_PREFIX)) modelEntries.set(e.name.slice(MODEL_PREFIX.length), e);
    else if (e.name.startsWith(OPT_PREFIX)) {
      const m = /^(0|[1-9][0-9]*)\.(.+)$/s.exec(e.name.slice(OPT_PREFIX.length));
      if (!m) problems.push(`tensor "${e.name}" is not optimizer.state.<index>.<key>`);
      else optEntries.push({ idx: Number(m[1]), key: m[2], entry: e });
    } else problems.push(`unexpected tensor "${e.name}" (neither model.* nor optimizer.state.*)`);
  }

  // The model: every key present, nothing extra, every shape equal.
  const own = opts.model.stateDict();
  const missing = Object.keys(own).filter((k) => !modelEntries.has(k));
  const unexpected = [...modelEntries.keys()].filter((k) => !Object.prototype.hasOwnProperty.call(own, k));
  for (const [k, t] of Object.entries(own)) {
    const e = modelEntries.get(k);
    if (e && !shapesEqual(e.shape, t.shape)) problems.push(`model.${k}: shape ${fmtShape(e.shape)} in the checkpoint, ${fmtShape(t.shape)} in the model`);
  }
  if (missing.length) problems.push(`missing model keys: ${missing.join(', ')}`);
  if (unexpected.length) problems.push(`unexpected model keys: ${unexpected.join(', ')}`);
  if (problems.length) {
    fail(`the checkpoint does not fit ${opts.model.constructor.name}:\n  ${problems.join('\n  ')}`);
  }

  // The optimizer: same type, same groups of parameter indices, state only for those parameters,
  // state tensors shaped like their parameter (or scalars).
  let saved: SavedOptimizer | null = null;
  if (meta.optimizer !== undefined) saved = parseSavedOptimizer(meta.optimizer, file);
  else if (optEntries.length) fail('the checkpoint has optimizer state tensors but no optimizer entry in its metadata');
  let current: OptimizerStateDict | null = null;
  if (opts.optimizer) {
    if (!saved) fail('an optimizer was given but the checkpoint has no optimizer state');
    const s = saved!;
    current = opts.optimizer.stateDict();
    const type = (opts.optimizer as object).constructor?.name ?? 'Optimizer';
    const oprobs: string[] = [];
    if (s.type !== type) oprobs.push(`the checkpoint holds ${s.type} state, the optimizer given is ${type}`);
    if (s.paramGroups.length !== current.paramGroups.length) {
      oprobs.push(`${s.paramGroups.length} param groups in the checkpoint, ${current.paramGroups.length} in the optimizer`);
    } else {
      s.paramGroups.forEach((g, i) => {
        const mine = current!.paramGroups[i].params;
        if (g.params.length !== mine.length || g.params.some((p, j) => p !== mine[j])) {
          oprobs.push(`param group ${i}: parameters [${g.params.join(',')}] in the checkpoint, [${mine.join(',')}] in the optimizer`);
        }
      });
    }
    const indices = new Set(current.paramGroups.flatMap((g) => g.params));
    const params = opts.optimizer.paramGroups?.flatMap((g) => [...g.params]);
    const stateIdx = new Set([...Object.keys(s.state).map(Number), ...optEntries.map((o) => o.idx)]);
    for (const idx of stateIdx) if (!indices.has(idx)) oprobs.push(`state for parameter ${idx}, which the optimizer does not have`);
    for (const { idx, key, entry } of optEntries) {
      const p = params?.[idx];
      const cur = (current.state as Record<number, Record<string, unknown>>)[idx]?.[key];
      const want = cur instanceof Tensor ? cur.shape : p?.shape;
      if (want && !shapesEqual(entry.shape, want) && !(entry.shape.length === 0 && !(cur instanceof Tensor))) {
        oprobs.push(`optimizer state ${idx}.${key}: shape ${fmtShape(entry.shape)} in the checkpoint, ${fmtShape(want)} expected`);
      }
      if (s.state[idx] && Object.prototype.hasOwnProperty.call(s.state[idx], key)) oprobs.push(`optimizer state ${idx}.${key} is both a tensor and a value`);
    }
    if (oprobs.length) fail(`the optimizer state does not fit the optimizer:\n  ${oprobs.join('\n  ')}`);
  }

  let schedulerState: unknown;
  if (opts.scheduler) {
    if (meta.scheduler === undefined) fail('a scheduler was given but the checkpoint has no scheduler state');
    schedulerState = fromJson(meta.scheduler, 'scheduler', file);
  }
  const userMeta = meta.metadata === undefined ? {} : fromJson(meta.metadata, 'metadata', file);
  if (!isPlainObject(userMeta)) fail('the metadata entry is not a JSON object: the file is corrupt');

  // Everything fits: make the tensors, let the optimizer and scheduler check their parts where they
  // can, then apply: the optimizer and scheduler first (their own loadStateDict may still refuse),
  // then the model (already checked key by key and shape by shape).
  const { tensors } = tensorsFromData(header, data);
  const modelSd: Record<string, Tensor> = {};
  for (const k of modelEntries.keys()) modelSd[k] = tensors[MODEL_PREFIX + k];
  let optimizerSd: OptimizerStateDict | null = null;
  if (opts.optimizer && saved) {
    const state: OptimizerStateDict['state'] = {};
    for (const [idx, values] of Object.entries(saved.state)) state[Number(idx)] = { ...values };
    for (const { idx, key } of optEntries) (state[idx] ??= {})[key] = tensors[`${OPT_PREFIX}${idx}.${key}`];
    optimizerSd = { state, paramGroups: saved.paramGroups };
  }
  const hookProblems: string[] = [];
  if (optimizerSd && typeof opts.optimizer?.checkStateDict === 'function') {
    for (const p of opts.optimizer.checkStateDict(optimizerSd)) hookProblems.push(`optimizer: ${p}`);
  }
  if (opts.scheduler && typeof opts.scheduler.checkStateDict === 'function') {
    for (const p of opts.scheduler.checkStateDict(schedulerState)) hookProblems.push(`scheduler: ${p}`);
  }
  if (hookProblems.length) fail(`the checkpoint's state does not fit:\n  ${hookProblems.join('\n  ')}`);

  const undo: (() => void)[] = [];
  try {
    if (opts.optimizer && optimizerSd && current) {
      const before = cloneState(current);
      const optimizer = opts.optimizer;
      optimizer.loadStateDict(optimizerSd);
      undo.push(() => optimizer.loadStateDict(before));
    }
    if (opts.scheduler) {
      const scheduler = opts.scheduler;
      const before = structuredClone(scheduler.stateDict());
      scheduler.loadStateDict(schedulerState as never);
      undo.push(() => scheduler.loadStateDict(before as never));
    }
    opts.model.loadStateDict(modelSd);
  } catch (err) {
    const unrestored: string[] = [];
    for (const u of undo.reverse()) {
      try {
        u();
      } catch (e) {
        unrestored.push((e as Error).message);
      }
    }
    const outcome = unrestored.length
      ? `and restoring what had been applied failed too (${unrestored.join('; ')})`
      : 'and what had been applied was restored';
    throw new CheckpointError(file, `loadCheckpoint: applying the checkpoint failed, ${outcome}: ${(err as Error).message}`, { cause: err });
  }
  return userMeta as Record<string, unknown>;
}
