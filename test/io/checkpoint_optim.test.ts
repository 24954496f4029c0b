// Checkpoints with gn.optim's optimizers and schedulers: SGD (momentum, nesterov) and Adam
// (amsgrad) with two parameter groups and a schedule resume bit for bit; a checkpoint of another
// optimizer, or one the optimizer's own checks refuse, changes nothing.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, test } from 'vitest';
import * as gn from '../../src';
import { CheckpointError, loadCheckpoint, loadSafetensors, saveCheckpoint } from '../../src/io';
import type { Tensor } from '../../src/tensor';
import { expectSameState, sameBits, snapshot, tempDir } from './helpers';

const dir = tempDir();
let counter = 0;
const tmpFile = () => path.join(dir, `ckpt-${counter++}.safetensors`);

type Opt = gn.optim.Optimizer;
type Sched = gn.optim.LRScheduler;

function makeNet(): gn.nn.Sequential {
  return new gn.nn.Sequential(new gn.nn.Linear(3, 6), new gn.nn.Tanh(), new gn.nn.Linear(6, 2));
}

/** Two groups (first layer, the rest) so group-wise options and numbering are exercised. */
function groups(model: gn.nn.Sequential) {
  const ps = model.parameters();
  return [{ params: ps.slice(0, 2) }, { params: ps.slice(2), lr: 0.02 }];
}

const kinds: Record<string, (m: gn.nn.Sequential) => { opt: Opt; sched: Sched }> = {
  'SGD (momentum, nesterov) + StepLR': (m) => {
    const opt = new gn.optim.SGD(groups(m), { lr: 0.05, momentum: 0.9, nesterov: true, weightDecay: 1e-3 });
    return { opt, sched: new gn.optim.StepLR(opt, { stepSize: 2, gamma: 0.5 }) };
  },
  'Adam (amsgrad) + CosineAnnealingLR': (m) => {
    const opt = new gn.optim.Adam(groups(m), { lr: 0.01, amsgrad: true });
    return { opt, sched: new gn.optim.CosineAnnealingLR(opt, { tMax: 10 }) };
  },
};

function step(model: gn.nn.Sequential, opt: Opt, sched: Sched, seed: number): void {
  const g = new gn.Generator(seed);
  const x = gn.randn([5, 3], { generator: g });
  const y = gn.randn([5, 2], { generator: g });
  opt.zeroGrad();
  model.forward(x).sub(y).pow(2).mean().backward();
  opt.step();
  sched.step();
}

function sameOptState(a: ReturnType<Opt['stateDict']>, b: ReturnType<Opt['stateDict']>): void {
  expect(b.paramGroups).toEqual(a.paramGroups);
  expect(Object.keys(b.state)).toEqual(Object.keys(a.state));
  for (const [i, s] of Object.entries(a.state)) {
    for (const [k, v] of Object.entries(s)) {
      const w = b.state[Number(i)][k];
      if (typeof v === 'number') expect(w, `${i}.${k}`).toBe(v);
      else expect(sameBits((w as Tensor).data, v.data), `${i}.${k}`).toBe(true);
    }
  }
}

describe.each(Object.entries(kinds))('%s', (_name, make) => {
  test('resumes bit for bit from a checkpoint', () => {
    gn.manualSeed(1);
    const model = makeNet();
    const { opt, sched } = make(model);
    for (let s = 0; s < 3; s++) step(model, opt, sched, 10 + s);
    const file = tmpFile();
    saveCheckpoint(file, { model, optimizer: opt, scheduler: sched, metadata: { epoch: 3 } });
    expect(Object.keys(loadSafetensors(file).tensors).some((k) => k.startsWith('optimizer.state.'))).toBe(true);

    gn.manualSeed(2);
    const model2 = makeNet();
    const { opt: opt2, sched: sched2 } = make(model2);
    expect(loadCheckpoint(file, { model: model2, optimizer: opt2, scheduler: sched2 })).toEqual({ epoch: 3 });
    expectSameState(model2, snapshot(model));
    sameOptState(opt.stateDict(), opt2.stateDict());
    expect(sched2.stateDict()).toEqual(sched.stateDict());

    for (let s = 0; s < 3; s++) {
      step(model, opt, sched, 20 + s);
      step(model2, opt2, sched2, 20 + s);
    }
    expectSameState(model2, snapshot(model));
    sameOptState(opt.stateDict(), opt2.stateDict());
  });
});

describe('refused, with nothing applied', () => {
  function trained() {
    gn.manualSeed(3);
    const model = makeNet();
    const { opt, sched } = kinds['SGD (momentum, nesterov) + StepLR'](model);
    for (let s = 0; s < 2; s++) step(model, opt, sched, 30 + s);
    const file = tmpFile();
    saveCheckpoint(file, { model, optimizer: opt, scheduler: sched });
    return file;
  }
  function target() {
    gn.manualSeed(4);
    const model = makeNet();
    const { opt, sched } = kinds['Adam (amsgrad) + CosineAnnealingLR'](model);
    step(model, opt, sched, 40);
    return { model, opt, sched, model0: snapshot(model), opt0: opt.stateDict(), sched0: sched.stateDict() };
  }
  function unchanged(t: ReturnType<typeof target>): void {
    expectSameState(t.model, t.model0);
    sameOptState(t.opt0, t.opt.stateDict());
    expect(t.sched.stateDict()).toEqual(t.sched0);
  }

  test('an SGD checkpoint offered to Adam', () => {
    const file = trained();
    const t = target();
    expect(() => loadCheckpoint(file, { model: t.model, optimizer: t.opt })).toThrow(/the checkpoint holds SGD state, the optimizer given is Adam/);
    unchanged(t);
  });

  test("options the optimizer's own loadStateDict refuses (a negative lr): model and scheduler untouched", () => {
    const file = trained();
    // The same optimizer type, but the checkpoint's group options edited to an invalid lr.
    const bytes = fs.readFileSync(file);
    const n = Number(bytes.readBigUInt64LE(0));
    const header = JSON.parse(bytes.subarray(8, 8 + n).toString('utf8'));
    const o = JSON.parse(header.__metadata__.optimizer);
    o.paramGroups[1].lr = -1;
    header.__metadata__.optimizer = JSON.stringify(o);
    let text = Buffer.from(JSON.stringify(header));
    text = Buffer.concat([text, Buffer.alloc((8 - (text.length % 8)) % 8, 0x20)]);
    const len = Buffer.alloc(8);
    len.writeBigUInt64LE(BigInt(text.length));
    const edited = tmpFile();
    fs.writeFileSync(edited, Buffer.concat([len, text, bytes.subarray(8 + n)]));

    gn.manualSeed(5);
    const model = makeNet();
    const { opt, sched } = kinds['SGD (momentum, nesterov) + StepLR'](model);
    step(model, opt, sched, 50);
    const model0 = snapshot(model);
    const opt0 = opt.stateDict();
    const sched0 = sched.stateDict();
    let err: unknown;
    try {
      loadCheckpoint(edited, { model, optimizer: opt, scheduler: sched });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(CheckpointError);
    expect((err as Error).message).toMatch(/applying the checkpoint failed, and what had been applied was restored: SGD\.loadStateDict: .*invalid learning rate -1/s);
    expectSameState(model, model0);
    sameOptState(opt0, opt.stateDict());
    expect(sched.stateDict()).toEqual(sched0);
  });
});
