'use strict';
// Training step and inference time of a ResNet-18 (ImageNet layout: 7x7 stem, max-pool, 2 basic
// blocks per stage, 64 -> 512 channels; 10 classes) on random data, for comparing builds and
// PyTorch (bench/peers/torch_resnet18.py, the same network and step) on the deep, small-plane
// convolutions `npm run bench` covers only layer by layer. Plain Node, no compile step:
//
//   node bench/resnet18_step.js <package root> [batch 8] [size 112]
//   OMP_WAIT_POLICY=PASSIVE /usr/bin/python3 bench/peers/torch_resnet18.py [batch 8] [size 112] [threads 2]
//
// <package root> is a checkout with its dist/ and addon built (npm run build:native && npm run
// build:ts); for an older commit, a git worktree of it. Step: forward, cross-entropy, backward,
// SGD (lr 0.01, momentum 0.9); inference: eval mode under noGrad. Best and median of 10 after 3.
const path = require('node:path');
const { bestOf } = require('./best_of');

const [root, batch = '8', size = '112'] = process.argv.slice(2);
if (!root) {
  console.error('usage: node bench/resnet18_step.js <package root> [batch] [size]');
  process.exit(2);
}
const gn = require(path.resolve(root, 'dist/index.js'));
const { nn, optim } = gn;
const N = Number(batch), H = Number(size);

const conv3 = (ci, co, stride = 1) => new nn.Conv2d(ci, co, 3, { stride, padding: 1, bias: false });
class BasicBlock extends nn.Module {
  constructor(ci, co, stride) {
    super();
    this.conv1 = conv3(ci, co, stride);
    this.bn1 = new nn.BatchNorm2d(co);
    this.conv2 = conv3(co, co);
    this.bn2 = new nn.BatchNorm2d(co);
    this.shortcut = stride !== 1 || ci !== co
      ? new nn.Sequential(new nn.Conv2d(ci, co, 1, { stride, bias: false }), new nn.BatchNorm2d(co))
      : new nn.Identity();
  }
  forward(x) {
    const h = this.bn2.forward(this.conv2.forward(this.bn1.forward(this.conv1.forward(x)).relu()));
    return h.add(this.shortcut.forward(x)).relu();
  }
}

gn.manualSeed(0);
const body = new nn.Sequential(
  new nn.Conv2d(3, 64, 7, { stride: 2, padding: 3, bias: false }), new nn.BatchNorm2d(64), new nn.ReLU(),
  new nn.MaxPool2d(3, { stride: 2, padding: 1 }),
  new BasicBlock(64, 64, 1), new BasicBlock(64, 64, 1), new BasicBlock(64, 128, 2), new BasicBlock(128, 128, 1),
  new BasicBlock(128, 256, 2), new BasicBlock(256, 256, 1), new BasicBlock(256, 512, 2), new BasicBlock(512, 512, 1),
);
const fc = new nn.Linear(512, 10);
const opt = new optim.SGD([...body.parameters(), ...fc.parameters()], { lr: 0.01, momentum: 0.9 });
const x = gn.randn([N, 3, H, H]);
const y = gn.tensor(Array.from({ length: N }, (_, i) => i % 10));
const logits = () => fc.forward(body.forward(x).mean([2, 3]));

const train = bestOf(() => {
  const loss = nn.crossEntropy(logits(), y);
  opt.zeroGrad();
  loss.backward();
  opt.step();
  loss.item();
});
body.eval();
const infer = bestOf(() => gn.noGrad(logits));
console.log(`gradnode ResNet-18 batch ${N} ${H}x${H}, ${gn.getNumThreads()} threads: step ${train}; inference ${infer}`);
