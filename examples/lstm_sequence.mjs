// An LSTM trained by backpropagation through time: given a sequence of random digits (one-hot),
// output at every step the running sum of the digits so far modulo 10 — a task that needs memory
// across the whole sequence. Run: node examples/lstm_sequence.mjs [--steps N]
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as gn from 'gradnode';

const { nn, optim } = gn;

function batch(n, length, g) {
  const x = gn.zeros([n, length, 10]);
  const y = gn.zeros([n, length]);
  for (let i = 0; i < n; i++) {
    let sum = 0;
    for (let t = 0; t < length; t++) {
      const d = g.randint(0, 10);
      sum = (sum + d) % 10;
      x.data[(i * length + t) * 10 + d] = 1;
      y.data[i * length + t] = sum;
    }
  }
  return [x, y];
}

export function run({ steps = 600, length = 8, log = console.log } = {}) {
  gn.manualSeed(0);
  const g = new gn.Generator(1);
  const lstm = new nn.LSTM(10, 64, { batchFirst: true });
  const head = new nn.Linear(64, 10);
  const opt = new optim.Adam([...lstm.parameters(), ...head.parameters()], { lr: 5e-3 });
  const accuracies = [];
  for (let step = 1; step <= steps; step++) {
    const [x, y] = batch(32, length, g);
    const [out] = lstm.forward(x);
    const logits = head.forward(out).reshape(-1, 10);
    const loss = nn.crossEntropy(logits, y.reshape(-1));
    opt.zeroGrad();
    loss.backward(); // through every time step
    gn.optim.clipGradNorm([...lstm.parameters(), ...head.parameters()], 1.0);
    opt.step();
    if (step % 100 === 0 || step === steps) {
      const acc = gn.train.accuracy(logits, y.reshape(-1));
      accuracies.push(acc);
      log(`step ${step}: loss ${loss.item().toFixed(4)}, accuracy ${(100 * acc).toFixed(1)} %`);
    }
  }
  return { accuracies };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const i = process.argv.indexOf('--steps');
  run({ steps: i > 0 ? Number(process.argv[i + 1]) : 600 });
}
