// gn.io checkpoints: a model, an optimizer, a scheduler and metadata round-trip through one
// safetensors file, training resumes bit for bit, and every kind of bad or foreign checkpoint is
// refused with the model, optimizer and scheduler left exactly as they were.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, test } from 'vitest';
import * as gn from '../../src';
import { CheckpointError, SafetensorsError, encodeSafetensors, loadCheckpoint, loadSafetensors, saveCheckpoint, saveSafetensors } from '../../src/io';
import { Tensor } from '../../src/tensor';
import { expectSameState, runRef, sameBits, snapshot, tempDir } from './helpers';

type Opt = gn.optim.Optimizer;
type Sched = gn.optim.LRScheduler;
type SdLike = ReturnType<Opt['stateDict']>;

const dir = tempDir();
let counter = 0;
const tmpFile = (name = 'ckpt') => path.join(dir, `${name}-${counter++}.safetensors`);

type Net = gn.nn.Sequential;
function makeNet(hidden = 8, extra = false): Net {
  const layers: gn.nn.Module[] = [new gn.nn.Linear(4, hidden), new gn.nn.BatchNorm1d(hidden), new gn.nn.ReLU(), new gn.nn.Linear(hidden, 2)];
  if (extra) layers.push(new gn.nn.Linear(2, 2));
  return new gn.nn.Sequential(...layers);
}

function data(seed: number): { x: Tensor; y: Tensor } {
  const g = new gn.Generator(seed);
  return { x: gn.randn([6, 4], { generator: g }), y: gn.randn([6, 2], { generator: g }) };
}

function trainStep(model: Net, opt: Opt, sched: Sched | null, seed: number): void {
  const { x, y } = data(seed);
  model.zeroGrad();
  const out = model.forward(x);
  out.sub(y).pow(2).mean().backward();
  opt.step();
  sched?.step();
}

/** A trained model with optimizer and scheduler state, saved; returns everything. */
function trainedCheckpoint(metadata: Record<string, unknown> = { epoch: 3 }) {
  gn.manualSeed(7);
  const model = makeNet();
  const opt = new gn.optim.SGD(model.parameters(), { lr: 0.05, momentum: 0.9 });
  const sched = new gn.optim.StepLR(opt, { stepSize: 2, gamma: 0.5 });
  for (let s = 0; s < 3; s++) trainStep(model, opt, sched, 100 + s);
  const file = tmpFile();
  saveCheckpoint(file, { model, optimizer: opt, scheduler: sched, metadata });
  return { model, opt, sched, file };
}

/** A fresh model, optimizer and scheduler with different values, to load into. */
function fresh(hidden = 8, extra = false) {
  gn.manualSeed(99);
  const model = makeNet(hidden, extra);
  const opt = new gn.optim.SGD(model.parameters(), { lr: 0.3, momentum: 0.5 });
  const sched = new gn.optim.StepLR(opt, { stepSize: 2, gamma: 0.5 });
  return { model, opt, sched };
}

function expectSameOptState(a: SdLike, b: SdLike): void {
  expect(b.paramGroups).toEqual(a.paramGroups);
  expect(Object.keys(b.state)).toEqual(Object.keys(a.state));
  for (const [i, s] of Object.entries(a.state)) {
    const t = b.state[Number(i)];
    expect(Object.keys(t).sort()).toEqual(Object.keys(s).sort());
    for (const [k, v] of Object.entries(s)) {
      if (v instanceof Tensor) {
        expect((t[k] as Tensor).shape).toEqual(v.shape);
        expect(sameBits((t[k] as Tensor).data, v.data), `${i}.${k}`).toBe(true);
      } else expect(t[k]).toBe(v);
    }
  }
}

/** Everything needed to check that a failed load changed nothing. */
function before(f: ReturnType<typeof fresh>) {
  const optSd = f.opt.stateDict();
  return { model: snapshot(f.model), opt: { ...optSd, state: Object.fromEntries(Object.entries(optSd.state).map(([k, v]) => [k, { ...v }])) }, sched: f.sched.stateDict() };
}
function expectUnchanged(f: ReturnType<typeof fresh>, b: ReturnType<typeof before>): void {
  expectSameState(f.model, b.model);
  expectSameOptState(b.opt, f.opt.stateDict());
  expect(f.sched.stateDict()).toEqual(b.sched);
}

function errorOf(fn: () => unknown): Error {
  try {
    fn();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected an error');
}

/** Rewrites a checkpoint's header (tensor entries and metadata) around its unchanged data. */
function rewriteHeader(file: string, edit: (h: Record<string, any>) => void): string {
  const bytes = fs.readFileSync(file);
  const n = Number(bytes.readBigUInt64LE(0));
  const header = JSON.parse(bytes.subarray(8, 8 + n).toString('utf8'));
  edit(header);
  let text = Buffer.from(JSON.stringify(header));
  text = Buffer.concat([text, Buffer.alloc((8 - (text.length % 8)) % 8, 0x20)]);
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(text.length));
  const out = tmpFile('edited');
  fs.writeFileSync(out, Buffer.concat([len, text, bytes.subarray(8 + n)]));
  return out;
}

describe('round trip', () => {
  test('model, optimizer, scheduler and metadata come back exactly, and training resumes bit for bit', () => {
    const metadata = { epoch: 3, bestLoss: Infinity, worst: -Infinity, undefinedMetric: NaN, history: [0.5, 0.25], config: { lr: 0.05, name: 'run ✓' } };
    const { model, opt, sched, file } = trainedCheckpoint(metadata);
    const f = fresh();
    const meta = loadCheckpoint(file, { model: f.model, optimizer: f.opt, scheduler: f.sched });
    expect(meta).toEqual(metadata);
    expect(Number.isNaN(meta.undefinedMetric)).toBe(true);
    expectSameState(f.model, snapshot(model));
    expectSameOptState(opt.stateDict(), f.opt.stateDict());
    expect(f.sched.stateDict()).toEqual(sched.stateDict());
    expect(f.opt.paramGroups[0].lr).toBe(opt.paramGroups[0].lr);
    expect(opt.paramGroups[0].lr).toBe(0.025); // the scheduler has halved it once: its state matters

    for (let s = 0; s < 3; s++) {
      trainStep(model, opt, sched, 200 + s);
      trainStep(f.model, f.opt, f.sched, 200 + s);
    }
    expectSameState(f.model, snapshot(model));
  });

  test('the optimizer keeps its parameter tensors: loading does not replace them', () => {
    const { file } = trainedCheckpoint();
    const f = fresh();
    const params = f.model.parameters();
    loadCheckpoint(file, { model: f.model, optimizer: f.opt });
    expect(f.model.parameters().every((p, i) => p === params[i])).toBe(true);
    expect(f.opt.paramGroups[0].params.every((p, i) => p === params[i])).toBe(true);
  });

  test('a model-only load ignores the optimizer and scheduler state in the file', () => {
    const { model, file } = trainedCheckpoint();
    const f = fresh();
    expect(loadCheckpoint(file, { model: f.model })).toEqual({ epoch: 3 });
    expectSameState(f.model, snapshot(model));
  });

  test('no metadata gives {}; float64 models keep float64', () => {
    const model = new gn.nn.Linear(3, 2);
    for (const p of model.parameters()) p.data.set(p.data.map((v) => v * 3));
    const file = tmpFile();
    saveCheckpoint(file, { model });
    const other = new gn.nn.Linear(3, 2);
    expect(loadCheckpoint(file, { model: other })).toEqual({});
    expectSameState(other, snapshot(model));

    const m64 = new gn.nn.Linear(2, 2);
    (m64 as unknown as { weight: gn.nn.Parameter }).weight = new gn.nn.Parameter(new Tensor(Float64Array.from([Math.PI, 1 / 3, -0, 5e-324]), [2, 2]));
    const f64 = tmpFile();
    saveCheckpoint(f64, { model: m64 });
    expect(loadSafetensors(f64).dtypes['model.weight']).toBe('F64');
    const back = new gn.nn.Linear(2, 2);
    (back as unknown as { weight: gn.nn.Parameter }).weight = new gn.nn.Parameter(new Tensor(new Float64Array(4), [2, 2]));
    loadCheckpoint(f64, { model: back });
    expect(sameBits(back.weight.data, [Math.PI, 1 / 3, -0, 5e-324])).toBe(true);
  });

  test('the file is plain safetensors: model.*, optimizer.state.<i>.<key>, JSON metadata; the Python reader accepts it', () => {
    const { model, file } = trainedCheckpoint();
    const { tensors, metadata } = loadSafetensors(file);
    const names = Object.keys(tensors);
    for (const k of Object.keys(model.stateDict())) expect(names).toContain(`model.${k}`);
    expect(names).toContain('optimizer.state.0.momentumBuffer');
    expect(names.every((k) => k.startsWith('model.') || /^optimizer\.state\.\d+\.momentumBuffer$/.test(k))).toBe(true);
    expect(metadata.format).toBe('gradnode.checkpoint');
    expect(metadata.format_version).toBe('1');
    expect(metadata.data_sha256).toMatch(/^[0-9a-f]{64}$/);
    const optJson = JSON.parse(metadata.optimizer);
    expect(optJson.type).toBe('SGD');
    expect(optJson.paramGroups[0]).toMatchObject({ params: [0, 1, 2, 3, 4, 5], lr: 0.025, momentum: 0.9 });
    expect(JSON.parse(metadata.scheduler)).toMatchObject({ lastEpoch: 3, stepSize: 2, gamma: 0.5 });
    expect(JSON.parse(metadata.metadata)).toEqual({ epoch: 3 });
    const r = runRef(['check', file]);
    expect(JSON.parse(r.stdout).ok).toBe(true);
  });

  test('saving refuses metadata that JSON cannot hold, before touching the disk', () => {
    const model = new gn.nn.Linear(2, 2);
    const file = tmpFile('nojson');
    expect(() => saveCheckpoint(file, { model, metadata: { n: 10n } })).toThrow(/metadata must be JSON-serialisable; it holds a bigint/);
    expect(() => saveCheckpoint(file, { model, metadata: { t: gn.zeros([2]) } })).toThrow(/holds a Tensor/);
    expect(() => saveCheckpoint(file, { model, metadata: 5 as never })).toThrow(/metadata must be an object/);
    expect(fs.existsSync(file)).toBe(false);
    expect(fs.readdirSync(dir).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  });
});

describe('refused, with nothing applied', () => {
  test('a checkpoint of another architecture: every mis-shaped, missing and unexpected key is listed', () => {
    const { file } = trainedCheckpoint();
    const wider = fresh(9);
    const b = before(wider);
    const err = errorOf(() => loadCheckpoint(file, { model: wider.model, optimizer: wider.opt, scheduler: wider.sched }));
    expect(err).toBeInstanceOf(CheckpointError);
    expect(err.message).toContain(file);
    expect(err.message).toMatch(/does not fit Sequential/);
    expect(err.message).toMatch(/model\.0\.weight: shape \[8,4\] in the checkpoint, \[9,4\] in the model/);
    expect(err.message).toMatch(/model\.1\.running_mean: shape \[8\] in the checkpoint, \[9\] in the model/);
    expect(err.message).toMatch(/model\.3\.weight: shape \[2,8\] in the checkpoint, \[2,9\] in the model/);
    expect(err.message).toMatch(/nothing was loaded/);
    expectUnchanged(wider, b);

    const deeper = fresh(8, true);
    const bd = before(deeper);
    expect(() => loadCheckpoint(file, { model: deeper.model, optimizer: deeper.opt })).toThrow(/missing model keys: 4\.weight, 4\.bias/);
    expectUnchanged(deeper, bd);

    const shallow = new gn.nn.Sequential(new gn.nn.Linear(4, 8));
    const bs = snapshot(shallow);
    expect(() => loadCheckpoint(file, { model: shallow })).toThrow(/unexpected model keys: 1\.bias, 1\.num_batches_tracked, 1\.running_mean, 1\.running_var, 1\.weight, 3\.bias, 3\.weight/);
    expectSameState(shallow, bs);
  });

  test('a truncated checkpoint, cut anywhere', () => {
    const { file } = trainedCheckpoint();
    const bytes = fs.readFileSync(file);
    const f = fresh();
    const b = before(f);
    for (const cut of [0, 4, 8, 100, Math.floor(bytes.length / 2), bytes.length - 4, bytes.length - 1]) {
      const cutFile = tmpFile('cut');
      fs.writeFileSync(cutFile, bytes.subarray(0, cut));
      const err = errorOf(() => loadCheckpoint(cutFile, { model: f.model, optimizer: f.opt, scheduler: f.sched }));
      expect(err, `cut at ${cut}`).toBeInstanceOf(SafetensorsError);
      expect(err.message).toContain(cutFile);
      expectUnchanged(f, b);
    }
  });

  test('a corrupted data byte fails the checksum; a corrupted header byte fails the format checks', () => {
    const { file } = trainedCheckpoint();
    const bytes = fs.readFileSync(file);
    const n = Number(bytes.readBigUInt64LE(0));
    const f = fresh();
    const b = before(f);
    for (const at of [8 + n, 8 + n + 101, bytes.length - 1]) {
      const bad = Buffer.from(bytes);
      bad[at] ^= 0x10;
      const badFile = tmpFile('flip');
      fs.writeFileSync(badFile, bad);
      expect(() => loadCheckpoint(badFile, { model: f.model, optimizer: f.opt }), `flip at ${at}`).toThrow(/does not match its SHA-256 checksum: the file is corrupt/);
      expectUnchanged(f, b);
    }
    const header = bytes.subarray(8, 8 + n).toString('latin1');
    const at = 8 + header.indexOf('"data_offsets":[') + 16;
    const bad = Buffer.from(bytes);
    bad[at] = '7'.charCodeAt(0);
    const badFile = tmpFile('hdr');
    fs.writeFileSync(badFile, bad);
    expect(() => loadCheckpoint(badFile, { model: f.model, optimizer: f.opt })).toThrow(SafetensorsError);
    expectUnchanged(f, b);
  });

  test('a header that claims other shapes for the same bytes (checksum intact) does not fit the model', () => {
    const { file } = trainedCheckpoint();
    const edited = rewriteHeader(file, (h) => {
      h['model.0.weight'].shape = [4, 8];
    });
    const f = fresh();
    const b = before(f);
    expect(() => loadCheckpoint(edited, { model: f.model, optimizer: f.opt })).toThrow(/model\.0\.weight: shape \[4,8\] in the checkpoint, \[8,4\] in the model/);
    expectUnchanged(f, b);
  });

  test('not a checkpoint, an unsupported version, a foreign tensor, no checksum', () => {
    const f = fresh();
    const b = before(f);
    const plain = tmpFile('plain');
    saveSafetensors(plain, Object.fromEntries(Object.entries(f.model.stateDict()).map(([k, v]) => [`model.${k}`, v])));
    expect(() => loadCheckpoint(plain, { model: f.model })).toThrow(/not a gradnode checkpoint \(format missing\); use gn\.io\.loadSafetensors/);

    const { file } = trainedCheckpoint();
    const v2 = rewriteHeader(file, (h) => {
      h.__metadata__.format_version = '2';
    });
    expect(() => loadCheckpoint(v2, { model: f.model })).toThrow(/format version "2" is not supported/);
    const noSum = rewriteHeader(file, (h) => {
      delete h.__metadata__.data_sha256;
    });
    expect(() => loadCheckpoint(noSum, { model: f.model })).toThrow(/no data_sha256 checksum/);
    const badJson = rewriteHeader(file, (h) => {
      h.__metadata__.metadata = '{"epoch": 3';
    });
    expect(() => loadCheckpoint(badJson, { model: f.model })).toThrow(/metadata entry of the metadata is not valid JSON/);

    // A checkpoint with a foreign tensor, and a checksum that matches its data.
    const foreign = tmpFile('foreign');
    const sd: Record<string, Tensor> = { 'extra.thing': gn.zeros([3]) };
    for (const [k, v] of Object.entries(f.model.stateDict())) sd[`model.${k}`] = v;
    const unsummed = encodeSafetensors(sd, {});
    const dataStart = 8 + Number(Buffer.from(unsummed).readBigUInt64LE(0));
    const sum = createHash('sha256').update(unsummed.subarray(dataStart)).digest('hex');
    fs.writeFileSync(foreign, encodeSafetensors(sd, { format: 'gradnode.checkpoint', format_version: '1', data_sha256: sum }));
    expect(() => loadCheckpoint(foreign, { model: f.model })).toThrow(/unexpected tensor "extra\.thing" \(neither model\.\* nor optimizer\.state\.\*\)/);
    expectUnchanged(f, b);
  });

  test('optimizer state that does not fit the optimizer', () => {
    const { file } = trainedCheckpoint();
    const f = fresh();
    const b = before(f);
    const load = (p: string, opt: Opt = f.opt) => () => loadCheckpoint(p, { model: f.model, optimizer: opt, scheduler: f.sched });

    // Another optimizer type.
    const adam = new gn.optim.Adam(f.model.parameters());
    expect(load(file, adam)).toThrow(/the checkpoint holds SGD state, the optimizer given is Adam/);

    // Other parameter groups.
    const ps = f.model.parameters();
    const twoGroups = new gn.optim.SGD([{ params: ps.slice(0, 2) }, { params: ps.slice(2) }], { lr: 0.1 });
    expect(load(file, twoGroups)).toThrow(/1 param groups in the checkpoint, 2 in the optimizer/);
    const fewer = new gn.optim.SGD(ps.slice(0, 4), { lr: 0.1 });
    expect(load(file, fewer)).toThrow(/param group 0: parameters \[0,1,2,3,4,5\] in the checkpoint, \[0,1,2,3\] in the optimizer/);

    // State for a parameter the optimizer does not have, and a state tensor of the wrong shape.
    const extraState = rewriteHeader(file, (h) => {
      const o = JSON.parse(h.__metadata__.optimizer);
      o.state['17'] = { step: 1 };
      h.__metadata__.optimizer = JSON.stringify(o);
    });
    expect(load(extraState)).toThrow(/state for parameter 17, which the optimizer does not have/);
    const misShaped = rewriteHeader(file, (h) => {
      h['optimizer.state.0.momentumBuffer'].shape = [4, 8];
    });
    expect(load(misShaped)).toThrow(/optimizer state 0\.momentumBuffer: shape \[4,8\] in the checkpoint, \[8,4\] expected/);
    const renamed = rewriteHeader(file, (h) => {
      h['optimizer.state.x.momentumBuffer'] = h['optimizer.state.0.momentumBuffer'];
      delete h['optimizer.state.0.momentumBuffer'];
    });
    expect(load(renamed)).toThrow(/tensor "optimizer\.state\.x\.momentumBuffer" is not optimizer\.state\.<index>\.<key>/);

    // An optimizer is asked for but the file has none; the same for a scheduler.
    const modelOnly = tmpFile('model-only');
    saveCheckpoint(modelOnly, { model: f.model });
    expect(load(modelOnly)).toThrow(/an optimizer was given but the checkpoint has no optimizer state/);
    const noSched = tmpFile('no-sched');
    saveCheckpoint(noSched, { model: f.model, optimizer: f.opt });
    expect(load(noSched)).toThrow(/a scheduler was given but the checkpoint has no scheduler state/);

    expectUnchanged(f, b);
  });

  test("a scheduler's own checkStateDict refusal is reported before anything is applied", () => {
    const { file } = trainedCheckpoint();
    const f = fresh();
    const cosine = new gn.optim.CosineAnnealingLR(f.opt, { tMax: 10 });
    const b = { ...before(f), sched: cosine.stateDict() };
    const err = errorOf(() => loadCheckpoint(file, { model: f.model, optimizer: f.opt, scheduler: cosine }));
    expect(err).toBeInstanceOf(CheckpointError);
    expect(err.message).toMatch(/the checkpoint's state does not fit:\n {2}scheduler: /);
    expect(err.message).toMatch(/unexpected stepSize/);
    expect(err.message).toMatch(/nothing was loaded/);
    expectSameState(f.model, b.model);
    expectSameOptState(b.opt, f.opt.stateDict());
    expect(cosine.stateDict()).toEqual(b.sched);
  });

  test("when a loadStateDict refuses without a checkStateDict to warn first, what was applied is rolled back", () => {
    const { file } = trainedCheckpoint();
    const f = fresh();
    trainStep(f.model, f.opt, f.sched, 5); // give the fresh optimizer some state to lose
    const b = before(f);
    const refusing = {
      stateDict: () => f.sched.stateDict(),
      loadStateDict: () => {
        throw new Error('scheduler says no');
      },
    };
    const err = errorOf(() => loadCheckpoint(file, { model: f.model, optimizer: f.opt, scheduler: refusing }));
    expect(err).toBeInstanceOf(CheckpointError);
    expect(err.message).toMatch(/applying the checkpoint failed, and what had been applied was restored: scheduler says no/);
    expectUnchanged(f, b);
    expect(Object.keys(b.opt.state).length).toBeGreaterThan(0);
  });
});
