// The gradnode command: bad arguments print a usage message and exit with code 2; train on the
// shipped sample reaches a sensible accuracy and reports JSON; a saved checkpoint evaluates to the
// same accuracy; a checkpoint of another model is refused.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { packageRoot } from '../src/backend/native';

const bin = path.join(packageRoot, 'bin', 'gradnode.js');
const sample = path.join(packageRoot, 'data', 'fashion-mnist-sample');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'gradnode-cli-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function gradnode(...args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 300_000, env: { ...process.env, GRADNODE_BACKEND: 'native' } });
  const lines = r.stdout.trim().split('\n');
  let json: Record<string, unknown> | null = null;
  try {
    json = JSON.parse(lines[lines.length - 1]);
  } catch {
    json = null;
  }
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, json };
}

describe('bad arguments: usage and exit code 2', () => {
  const cases: [string[], RegExp][] = [
    [[], /Usage: gradnode/],
    [['train'], /required option '--model <name>' not specified/],
    [['train', '--model', 'resnet'], /'resnet' is invalid\. Allowed choices are lenet5, mlp, cnn-bn/],
    [['train', '--model', 'mlp', '--epochs', '0'], /--epochs must be a positive integer/],
    [['train', '--model', 'mlp', '--epochs', 'two'], /--epochs must be a positive integer/],
    [['train', '--model', 'mlp', '--lr=-1'], /--lr must be a positive number/],
    [['train', '--model', 'mlp', '--optimizer', 'lbfgs'], /Allowed choices are sgd, adam, adamw, rmsprop, adagrad, adadelta/],
    [['train', '--model', 'mlp', '--data', '/nonexistent'], /--data \/nonexistent: no such directory/],
    [['train', '--model', 'mlp', '--data', os.tmpdir()], /expected MNIST-format files/],
    [['train', '--model', 'mlp', '--colour', 'red'], /unknown option '--colour'/],
    [['eval', '--model', 'mlp'], /required option '--load <file>' not specified/],
    [['eval', '--model', 'mlp', '--load', '/nonexistent.safetensors'], /--load \/nonexistent\.safetensors: no such file/],
    [['fly'], /unknown command 'fly'/],
  ];
  for (const [args, message] of cases) {
    test(`gradnode ${args.join(' ') || '(nothing)'}`, () => {
      const r = gradnode(...args);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(message);
    });
  }

  test('--help exits 0 and lists the commands', () => {
    const r = gradnode('--help');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/train\b.*\n.*eval\b/s);
  });
});

describe('train and eval on the shipped sample', () => {
  const checkpoint = path.join(tmp, 'lenet5.safetensors');
  let trained: Record<string, unknown> | null = null;

  test('train --json: a short LeNet-5 run reaches a sensible accuracy and reports it as JSON', () => {
    const r = gradnode('train', '--model', 'lenet5', '--data', sample, '--epochs', '5', '--seed', '0', '--save', checkpoint, '--json');
    expect(r.code, r.stderr).toBe(0);
    trained = r.json;
    expect(trained).not.toBeNull();
    expect(trained).toMatchObject({ command: 'train', model: 'lenet5', epochs: 5, backend: 'native', trainSamples: 2000, testSamples: 500 });
    expect(trained?.testAccuracy as number).toBeGreaterThan(0.7); // chance is 0.1; five epochs on 2,000 images reach ~0.75
    expect(trained?.secondsPerEpoch as number).toBeGreaterThan(0);
    const history = trained?.history as { loss: number }[];
    expect(history[4].loss).toBeLessThan(history[0].loss);
    expect(r.stdout).toMatch(/epoch 5\/5 \| loss/);
    expect(fs.existsSync(checkpoint)).toBe(true);
  });

  test('eval --load gives the same test accuracy as the end of training', () => {
    const r = gradnode('eval', '--model', 'lenet5', '--load', checkpoint, '--data', sample, '--json');
    expect(r.code, r.stderr).toBe(0);
    expect(r.json?.testAccuracy).toBe(trained?.testAccuracy);
    expect((r.json?.checkpoint as Record<string, unknown>).model).toBe('lenet5');
  });

  test('eval refuses a checkpoint of another model, naming the mismatch', () => {
    const r = gradnode('eval', '--model', 'mlp', '--load', checkpoint, '--data', sample);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/lenet5\.safetensors/);
    expect(r.stderr).toMatch(/missing|unexpected|shape/);
  });
});
