// A dense autoencoder on Fashion-MNIST: 784 -> 128 -> 32 -> 128 -> 784, trained to reconstruct its
// input (mean squared error). Run: node examples/autoencoder.mjs [--data DIR] [--epochs N]
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as gn from 'gradnode';

const { nn, optim, data } = gn;
const here = path.dirname(fileURLToPath(import.meta.url));

export function run({ dataDir = path.join(here, '..', 'data', 'fashion-mnist-sample'), epochs = 5, limit, log = console.log } = {}) {
  gn.manualSeed(0);
  const images = data.loadMnist(dataDir, { limit });
  const encoder = new nn.Sequential(new nn.Flatten(), new nn.Linear(784, 128), new nn.ReLU(), new nn.Linear(128, 32));
  const decoder = new nn.Sequential(new nn.Linear(32, 128), new nn.ReLU(), new nn.Linear(128, 784), new nn.Sigmoid());
  const params = [...encoder.parameters(), ...decoder.parameters()];
  const opt = new optim.Adam(params, { lr: 2e-3 });
  const losses = [];
  for (let epoch = 1; epoch <= epochs; epoch++) {
    let sum = 0;
    let n = 0;
    for (const [x] of new data.DataLoader(images, { batchSize: 64, shuffle: true })) {
      const target = x.flatten(1);
      const loss = nn.mseLoss(decoder.forward(encoder.forward(x)), target);
      opt.zeroGrad();
      loss.backward();
      opt.step();
      sum += loss.item() * x.shape[0];
      n += x.shape[0];
    }
    losses.push(sum / n);
    log(`epoch ${epoch}: reconstruction MSE ${(sum / n).toFixed(5)}`);
  }
  return { losses, encoder, decoder };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const arg = (name) => process.argv[process.argv.indexOf(name) + 1];
  run({ dataDir: process.argv.includes('--data') ? arg('--data') : undefined, epochs: process.argv.includes('--epochs') ? Number(arg('--epochs')) : 5 });
}
