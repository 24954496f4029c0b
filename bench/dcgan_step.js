'use strict';
// Training step and generation time of a DCGAN (Radford et al.; PyTorch's DCGAN tutorial: 64x64
// images, 3 channels, a 100-d noise, 64 feature maps at the widest layer, 4x4 kernels of stride 2,
// batch norm, Adam 2e-4 / 0.5) on random data, for comparing builds and PyTorch
// (bench/peers/torch_dcgan.py, the same networks and step). Its layers are what the per-layer
// rows of `npm run bench` do not cover: transposed 4x4 stride-2 convolutions (the generator's
// forward pass runs conv2d's backward-data), 4x4 stride-2 convolutions on small planes, and a head
// whose window is the whole input. Plain Node, no compile step:
//
//   node bench/dcgan_step.js <package root> [batch 16]
//   OMP_WAIT_POLICY=PASSIVE /usr/bin/python3 bench/peers/torch_dcgan.py [batch 16] [threads 2]
//
// <package root> is a checkout with its dist/ and addon built (npm run build:native && npm run
// build:ts); for an older commit, a git worktree of it. Step: the discriminator on a real and a
// generated batch, then the generator through the discriminator (BCE with logits, the
// non-saturating loss); generation: the generator in eval mode under noGrad. Best and median of 10
// after 3.
const path = require('node:path');
const { bestOf } = require('./best_of');

const [root, batch = '16'] = process.argv.slice(2);
if (!root) {
  console.error('usage: node bench/dcgan_step.js <package root> [batch]');
  process.exit(2);
}
const gn = require(path.resolve(root, 'dist/index.js'));
const { nn, optim } = gn;
const N = Number(batch), nz = 100, nf = 64, nc = 3;

const up = (ci, co) => [new nn.ConvTranspose2d(ci, co, 4, { stride: 2, padding: 1, bias: false }), new nn.BatchNorm2d(co), new nn.ReLU()];
const down = (ci, co) => [new nn.Conv2d(ci, co, 4, { stride: 2, padding: 1, bias: false }), new nn.BatchNorm2d(co), new nn.LeakyReLU(0.2)];
gn.manualSeed(0);
const G = new nn.Sequential(
  new nn.ConvTranspose2d(nz, nf * 8, 4, { bias: false }), new nn.BatchNorm2d(nf * 8), new nn.ReLU(),
  ...up(nf * 8, nf * 4), ...up(nf * 4, nf * 2), ...up(nf * 2, nf),
  new nn.ConvTranspose2d(nf, nc, 4, { stride: 2, padding: 1, bias: false }), new nn.Tanh(),
);
const D = new nn.Sequential(
  new nn.Conv2d(nc, nf, 4, { stride: 2, padding: 1, bias: false }), new nn.LeakyReLU(0.2),
  ...down(nf, nf * 2), ...down(nf * 2, nf * 4), ...down(nf * 4, nf * 8),
  new nn.Conv2d(nf * 8, 1, 4, { bias: false }), new nn.Flatten(),
);
const optG = new optim.Adam(G.parameters(), { lr: 2e-4, betas: [0.5, 0.999] });
const optD = new optim.Adam(D.parameters(), { lr: 2e-4, betas: [0.5, 0.999] });
const real = gn.rand([N, nc, 64, 64]).mul(2).sub(1);
const z = gn.randn([N, nz, 1, 1]);
const ones = gn.ones([N, 1]), zeros = gn.zeros([N, 1]);

const train = bestOf(() => {
  const fake = G.forward(z);
  const dLoss = nn.bceWithLogitsLoss(D.forward(real), ones).add(nn.bceWithLogitsLoss(D.forward(fake.detach()), zeros));
  optD.zeroGrad();
  dLoss.backward();
  optD.step();
  const gLoss = nn.bceWithLogitsLoss(D.forward(fake), ones);
  optG.zeroGrad();
  gLoss.backward();
  optG.step();
  gLoss.item();
});
G.eval();
const generate = bestOf(() => gn.noGrad(() => G.forward(z)).sum().item());
console.log(`gradnode DCGAN 64x64 batch ${N}, ${gn.getNumThreads()} threads: step ${train}; generation ${generate}`);
