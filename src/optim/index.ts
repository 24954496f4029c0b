/**
 * gn.optim: optimizers, learning-rate schedules and gradient clipping, following torch.optim.
 *
 *   const opt = new gn.optim.AdamW(model.parameters(), { lr: 1e-3 });
 *   const sched = new gn.optim.CosineAnnealingLR(opt, { tMax: epochs });
 *   for (const [x, y] of loader) {
 *     opt.zeroGrad();
 *     lossFn(model.forward(x), y).backward();
 *     gn.optim.clipGradNorm(model.parameters(), 1.0);
 *     opt.step();
 *   }
 *   sched.step();
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
export {
  CosineAnnealingLR,
  ExponentialLR,
  LRScheduler,
  LinearLR,
  MultiStepLR,
  ReduceLROnPlateau,
  SequentialLR,
  StepLR,
} from './lr_scheduler';
export type {
  CosineAnnealingLROptions,
  ExponentialLROptions,
  LinearLROptions,
  MultiStepLROptions,
  ReduceLROnPlateauOptions,
  SchedulerStateDict,
  SequentialLROptions,
  StepLROptions,
} from './lr_scheduler';
