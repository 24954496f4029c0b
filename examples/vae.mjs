// A variational autoencoder on Fashion-MNIST: the encoder outputs the mean and log-variance of a
// 16-dimensional Gaussian, a sample z = mu + sigma * eps (the reparameterisation trick) goes through
// the decoder, and the loss is the reconstruction cross-entropy plus the KL divergence to N(0, I).
// Run: node examples/vae.mjs [--data DIR] [--epochs N]
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as gn from 'gradnode';

const { nn, optim, data } = gn;
const here = path.dirname(fileURLToPath(import.meta.url));
const latent = 16;

class VAE extends nn.Module {
  constructor() {
    super();
    this.enc = new nn.Sequential(new nn.Flatten(), new nn.Linear(784, 256), new nn.ReLU());
    this.mu = new nn.Linear(256, latent);
    this.logVar = new nn.Linear(256, latent);
    this.dec = new nn.Sequential(new nn.Linear(latent, 256), new nn.ReLU(), new nn.Linear(256, 784));
  }

  forward(x) {
    const h = this.enc.forward(x);
    const mu = this.mu.forward(h);
    const logVar = this.logVar.forward(h);
    const z = mu.add(logVar.mul(0.5).exp().mul(gn.randnLike(mu)));
    return { logits: this.dec.forward(z), mu, logVar };
  }
}

/** Per-sample negative ELBO: BCE(decoded, x) summed over pixels + KL(q(z|x) || N(0, I)). */
export function loss(model, x) {
  const { logits, mu, logVar } = model.forward(x);
  const recon = nn.bceWithLogitsLoss(logits, x.flatten(1), { reduction: 'sum' });
  const kl = logVar.add(1).sub(mu.mul(mu)).sub(logVar.exp()).sum().mul(-0.5);
  return recon.add(kl).div(x.shape[0]);
}

export function run({ dataDir = path.join(here, '..', 'data', 'fashion-mnist-sample'), epochs = 5, limit, log = console.log } = {}) {
  gn.manualSeed(0);
  const images = data.loadMnist(dataDir, { limit });
  const model = new VAE();
  const opt = new optim.Adam(model.parameters(), { lr: 1e-3 });
  const losses = [];
  for (let epoch = 1; epoch <= epochs; epoch++) {
    let sum = 0;
    let n = 0;
    for (const [x] of new data.DataLoader(images, { batchSize: 64, shuffle: true })) {
      const l = loss(model, x);
      opt.zeroGrad();
      l.backward();
      opt.step();
      sum += l.item() * x.shape[0];
      n += x.shape[0];
    }
    losses.push(sum / n);
    log(`epoch ${epoch}: negative ELBO ${(sum / n).toFixed(2)} per image`);
  }
  // New images: decode samples from the prior.
  const samples = gn.noGrad(() => model.dec.forward(gn.randn([8, latent])).sigmoid());
  return { losses, model, samples };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const arg = (name) => process.argv[process.argv.indexOf(name) + 1];
  run({ dataDir: process.argv.includes('--data') ? arg('--data') : undefined, epochs: process.argv.includes('--epochs') ? Number(arg('--epochs')) : 5 });
}
