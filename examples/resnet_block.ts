/**
 * A ResNet basic block (He et al. 2016, "Deep Residual Learning", Fig. 2) written as a Module with
 * its own forward(), and a tiny residual network built from it.
 *
 *   out = relu( bn2(conv2( relu(bn1(conv1(x))) )) + shortcut(x) )
 *
 * conv1 and conv2 are 3x3 convolutions without bias (the batch norm after each has one); conv1
 * carries the block's stride. The shortcut is the identity when the shape is kept, and a 1x1
 * convolution with batch norm (the "option B" projection) when the stride or the channels change.
 *
 * Run the demo:  npx vite-node examples/resnet_block.ts --demo
 * (inside a project that depends on gradnode, import from 'gradnode' instead of '../src/index').
 */
import * as gn from '../src/index';
import type { Tensor } from '../src/index';

const { BatchNorm2d, Conv2d, Identity, Linear, Module, Sequential } = gn.nn;
type Module = InstanceType<typeof Module>;

/** 3x3 convolution with padding 1, no bias: [N, cIn, H, W] -> [N, cOut, H / stride, W / stride]. */
function conv3x3(cIn: number, cOut: number, stride = 1) {
  return new Conv2d(cIn, cOut, 3, { stride, padding: 1, bias: false });
}

/** Shape: [N, inChannels, H, W] -> [N, outChannels, ceil(H / stride), ceil(W / stride)]. */
export class BasicBlock extends Module {
  conv1: InstanceType<typeof Conv2d>;
  bn1: InstanceType<typeof BatchNorm2d>;
  conv2: InstanceType<typeof Conv2d>;
  bn2: InstanceType<typeof BatchNorm2d>;
  /** Identity, or Sequential(1x1 conv with the block's stride, batch norm). */
  shortcut: Module & { forward(x: Tensor): Tensor };

  constructor(inChannels: number, outChannels: number, stride = 1) {
    super();
    this.conv1 = conv3x3(inChannels, outChannels, stride);
    this.bn1 = new BatchNorm2d(outChannels);
    this.conv2 = conv3x3(outChannels, outChannels);
    this.bn2 = new BatchNorm2d(outChannels);
    this.shortcut =
      stride !== 1 || inChannels !== outChannels
        ? new Sequential(new Conv2d(inChannels, outChannels, 1, { stride, bias: false }), new BatchNorm2d(outChannels))
        : new Identity();
  }

  forward(x: Tensor): Tensor {
    const h = this.bn1.forward(this.conv1.forward(x)).relu();
    const y = this.bn2.forward(this.conv2.forward(h));
    return y.add(this.shortcut.forward(x)).relu();
  }
}

export interface TinyResNetOptions {
  inChannels?: number;
  /** Channels of the stem and of each stage; every stage after the first halves H and W. */
  widths?: number[];
  /** Basic blocks per stage. */
  blocksPerStage?: number;
  numClasses?: number;
}

/**
 * stem (conv3x3, BN, ReLU) -> stages of basic blocks -> global average pool -> linear.
 * Shape: [N, inChannels, H, W] -> [N, numClasses] scores.
 */
export class TinyResNet extends Module {
  stem: InstanceType<typeof Sequential>;
  stages: InstanceType<typeof Sequential>;
  fc: InstanceType<typeof Linear>;

  constructor(opts: TinyResNetOptions = {}) {
    super();
    const widths = opts.widths ?? [8, 16];
    const blocks = opts.blocksPerStage ?? 1;
    this.stem = new Sequential(conv3x3(opts.inChannels ?? 3, widths[0]), new BatchNorm2d(widths[0]), new gn.nn.ReLU());
    const stages: Module[] = [];
    let c = widths[0];
    widths.forEach((w, i) => {
      const stage: Module[] = [];
      for (let b = 0; b < blocks; b++) {
        stage.push(new BasicBlock(c, w, b === 0 && i > 0 ? 2 : 1));
        c = w;
      }
      stages.push(new Sequential(...stage));
    });
    this.stages = new Sequential(...stages);
    this.fc = new Linear(c, opts.numClasses ?? 10);
  }

  forward(x: Tensor): Tensor {
    const features = this.stages.forward(this.stem.forward(x));
    return this.fc.forward(gn.mean(features, [2, 3])); // global average pooling
  }
}

/** Fits a fixed random batch for a few steps of SGD with momentum and prints the loss. */
export function demo(steps = 20): number[] {
  gn.manualSeed(0);
  const model = new TinyResNet({ inChannels: 3, widths: [8, 16], numClasses: 4 });
  console.log(model.summary());
  const x = gn.randn([16, 3, 12, 12]);
  const y = gn.randint(0, 4, [16]);
  const opt = new gn.optim.SGD(model.parameters(), { lr: 0.05, momentum: 0.9 });
  const losses: number[] = [];
  for (let step = 0; step < steps; step++) {
    opt.zeroGrad();
    const loss = gn.nn.crossEntropy(model.forward(x), y);
    loss.backward();
    opt.step();
    losses.push(loss.item());
    console.log(`step ${String(step + 1).padStart(2)}  loss ${loss.item().toFixed(4)}`);
  }
  return losses;
}

// The demo runs when asked (vite-node does not pass the script's path in argv) or when this file is
// the program; a test that imports the classes runs nothing.
if (process.argv.includes('--demo') || /resnet_block\.[jt]s$/.test(process.argv[1] ?? '')) demo();
