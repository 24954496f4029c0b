/** gn.data: datasets, the DataLoader, the IDX / MNIST readers and image transforms. */
export { Subset, TensorDataset, defaultCollate, gatherRows, randomSplit } from './dataset';
export type { Dataset } from './dataset';
export { DataLoader } from './dataloader';
export type { DataLoaderOptions } from './dataloader';
export { parseIdx, readIdx } from './idx';
export type { IdxArray, IdxData } from './idx';
export { MnistDataset, loadMnist } from './mnist';
export type { MnistOptions } from './mnist';
export * as transforms from './transforms';
export type { Transform } from './transforms';
