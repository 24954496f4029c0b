/**
 * The networks `gradnode train` knows, for 1 x 28 x 28 images and 10 classes (MNIST, Fashion-MNIST).
 */
import { BatchNorm2d } from '../nn/layers/normalization';
import { Conv2d } from '../nn/layers/conv';
import { Dropout, ReLU } from '../nn/layers/activation';
import { Flatten } from '../nn/layers/shape';
import { Linear } from '../nn/layers/linear';
import { MaxPool2d } from '../nn/layers/pooling';
import { Sequential } from '../nn/containers';

/** LeNet-5 with ReLU and max pooling: conv 6@5x5 pad 2, pool, conv 16@5x5, pool, 120, 84, 10. */
export function lenet5(numClasses = 10): Sequential {
  return new Sequential(
    new Conv2d(1, 6, 5, { padding: 2 }),
    new ReLU(),
    new MaxPool2d(2),
    new Conv2d(6, 16, 5),
    new ReLU(),
    new MaxPool2d(2),
    new Flatten(),
    new Linear(16 * 5 * 5, 120),
    new ReLU(),
    new Linear(120, 84),
    new ReLU(),
    new Linear(84, numClasses),
  );
}

/** A multilayer perceptron 784-256-128-10 with ReLU. */
export function mlp(numClasses = 10): Sequential {
  return new Sequential(new Flatten(), new Linear(784, 256), new ReLU(), new Linear(256, 128), new ReLU(), new Linear(128, numClasses));
}

/**
 * Two convolutions with batch norm and dropout: [conv 32@3x3, BN, ReLU, pool] x [conv 64@3x3, BN,
 * ReLU, pool], dropout 0.25, 3136 -> 256, ReLU, dropout 0.5, 256 -> 10.
 */
export function cnnBn(numClasses = 10): Sequential {
  return new Sequential(
    new Conv2d(1, 32, 3, { padding: 1, bias: false }),
    new BatchNorm2d(32),
    new ReLU(),
    new MaxPool2d(2),
    new Conv2d(32, 64, 3, { padding: 1, bias: false }),
    new BatchNorm2d(64),
    new ReLU(),
    new MaxPool2d(2),
    new Flatten(),
    new Dropout(0.25),
    new Linear(64 * 7 * 7, 256),
    new ReLU(),
    new Dropout(0.5),
    new Linear(256, numClasses),
  );
}

export const models = { lenet5, mlp, 'cnn-bn': cnnBn } as const;
export type ModelName = keyof typeof models;
