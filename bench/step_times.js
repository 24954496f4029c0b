'use strict';
// Median time of a training step, for comparing two builds in alternating processes on a noisy
// host (docs/results.md, docs/benchmarks.md). Plain Node, no compile step:
//
//   node bench/step_times.js <package root> <lenet5|mlp|cnn-bn> [images] [data dir]
//
// <package root> is a checkout with its dist/ and addon built (`npm install`); for an older
// commit: git worktree add /tmp/old <commit>, then npm install there. The first 50 steps (JIT,
// pools) are left out. LeNet-5 trains with SGD (lr 0.01, momentum 0.9) as in `npm run bench`,
// the others with Adam (lr 1e-3); batch 64. Run each build several times, alternating, under
// `flock /tmp/gradnode-bench.lock`.
const path = require('node:path');

const [root, model = 'lenet5', images = '19200', data = path.join(__dirname, '../../shared/datasets/fashion-mnist')] =
  process.argv.slice(2);
if (!root) {
  console.error('usage: node bench/step_times.js <package root> <lenet5|mlp|cnn-bn> [images] [data dir]');
  process.exit(2);
}
const gn = require(path.resolve(root, 'dist/index.js'));
gn.manualSeed(0);
const make = { lenet5: gn.models.lenet5, mlp: gn.models.mlp, 'cnn-bn': gn.models.cnnBn }[model];
if (!make) throw new Error(`unknown model ${model}`);
const net = make();
const opt =
  model === 'lenet5'
    ? new gn.optim.SGD(net.parameters(), { lr: 0.01, momentum: 0.9 })
    : new gn.optim.Adam(net.parameters(), { lr: 1e-3 });
const loader = new gn.data.DataLoader(gn.data.loadMnist(data, { limit: Number(images) }), { batchSize: 64, shuffle: true });
const times = [];
for (const [x, y] of loader) {
  const t0 = process.hrtime.bigint();
  const loss = gn.nn.crossEntropy(net.forward(x), y);
  opt.zeroGrad();
  loss.backward();
  opt.step();
  times.push(Number(process.hrtime.bigint() - t0) / 1e3);
}
const s = times.slice(50).sort((a, b) => a - b);
if (s.length === 0) throw new Error('too few images for more than 50 steps');
const mean = s.reduce((a, b) => a + b, 0) / s.length;
console.log(`${root} ${model}: ${s.length} steps, median ${s[s.length >> 1].toFixed(0)} us, p10 ${s[Math.floor(0.1 * s.length)].toFixed(0)} us, mean ${mean.toFixed(0)} us`);
