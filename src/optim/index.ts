/**
 * gn.optim: optimizers and gradient clipping, following torch.optim.
 *
 *   const opt = new gn.optim.AdamW(model.parameters(), { lr: 1e-3 });
 *   for (const [x, y] of loader) {
 *     opt.zeroGrad();
 *     lossFn(model.forward(x), y).backward();
 *     gn.optim.clipGradNorm(model.parameters(), 1.0);
 *     opt.step();
 *   }
 *
 * Each optimizer's arithmetic is one function over typed arrays (sgdUpdate, adamUpdate, ...),
 * exported for tests and for a fused kernel to replace.
 */
export { Optimizer } from './optimizer';
export type { OptimizerOptions, OptimizerStateDict, ParamGroup, ParamGroupInit, ParamState, StateKind } from './optimizer';
export { SGD, sgdUpdate } from './sgd';
export type { SGDOptions } from './sgd';
export { Adam, adamUpdate } from './adam';
export type { AdamOptions } from './adam';
export { AdamW } from './adamw';
export { RMSprop, rmspropUpdate } from './rmsprop';
export type { RMSpropOptions } from './rmsprop';
export { Adagrad, adagradUpdate } from './adagrad';
export type { AdagradOptions } from './adagrad';
export { Adadelta, adadeltaUpdate } from './adadelta';
export type { AdadeltaOptions } from './adadelta';
export { clipGradNorm, clipGradValue } from './clip';
