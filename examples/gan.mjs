// A generative adversarial network on Fashion-MNIST: an MLP generator maps noise to images, an MLP
// discriminator tells real from generated, and they train in alternation with the non-saturating
// loss (BCE with logits). Run: node examples/gan.mjs [--data DIR] [--epochs N]
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as gn from 'gradnode';

const { nn, optim, data } = gn;
const here = path.dirname(fileURLToPath(import.meta.url));
const noise = 32;

export function run({ dataDir = path.join(here, '..', 'data', 'fashion-mnist-sample'), epochs = 5, limit, log = console.log } = {}) {
  gn.manualSeed(0);
  const images = data.loadMnist(dataDir, { limit });
  const G = new nn.Sequential(new nn.Linear(noise, 128), new nn.LeakyReLU(0.2), new nn.Linear(128, 784), new nn.Tanh());
  const D = new nn.Sequential(new nn.Flatten(), new nn.Linear(784, 128), new nn.LeakyReLU(0.2), new nn.Dropout(0.3), new nn.Linear(128, 1));
  const optG = new optim.Adam(G.parameters(), { lr: 2e-4, betas: [0.5, 0.999] });
  const optD = new optim.Adam(D.parameters(), { lr: 2e-4, betas: [0.5, 0.999] });
  const history = [];
  for (let epoch = 1; epoch <= epochs; epoch++) {
    let dSum = 0;
    let gSum = 0;
    let dRealAcc = 0;
    let batches = 0;
    for (const [x] of new data.DataLoader(images, { batchSize: 64, shuffle: true, dropLast: true })) {
      const n = x.shape[0];
      const real = x.flatten(1).mul(2).sub(1); // [-1, 1], like the generator's tanh
      const ones = gn.ones([n, 1]);
      const zeros = gn.zeros([n, 1]);
      // Discriminator: real -> 1, generated -> 0 (the generated batch is detached).
      const fake = G.forward(gn.randn([n, noise]));
      const dReal = D.forward(real);
      const dLoss = nn.bceWithLogitsLoss(dReal, ones).add(nn.bceWithLogitsLoss(D.forward(fake.detach()), zeros));
      optD.zeroGrad();
      dLoss.backward();
      optD.step();
      // Generator: make the discriminator say 1 for generated images.
      const gLoss = nn.bceWithLogitsLoss(D.forward(fake), ones);
      optG.zeroGrad();
      gLoss.backward();
      optG.step();
      dSum += dLoss.item();
      gSum += gLoss.item();
      dRealAcc += gn.gt(dReal, 0).mean().item();
      batches++;
    }
    const logs = { epoch, dLoss: dSum / batches, gLoss: gSum / batches, dAccuracyOnReal: dRealAcc / batches };
    history.push(logs);
    log(`epoch ${epoch}: D loss ${logs.dLoss.toFixed(3)}, G loss ${logs.gLoss.toFixed(3)}, D says real for ${(100 * logs.dAccuracyOnReal).toFixed(1)} % of real images`);
  }
  const sample = (n) => gn.noGrad(() => G.forward(gn.randn([n, noise])));
  return { history, G, D, samples: sample(8), sample };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const arg = (name) => process.argv[process.argv.indexOf(name) + 1];
  run({ dataDir: process.argv.includes('--data') ? arg('--data') : undefined, epochs: process.argv.includes('--epochs') ? Number(arg('--epochs')) : 5 });
}
