/** gn.train: fit / evaluate, metrics, and training in a worker thread. */
export { evaluate, fit } from './fit';
export type {
  Batch,
  BatchLogs,
  Callback,
  CheckpointOptions,
  EarlyStoppingOptions,
  EpochLogs,
  EvaluateOptions,
  EvaluateResult,
  FitOptions,
  LossFn,
  MetricName,
  OptimizerLike,
  SchedulerLike,
} from './fit';
export { accuracy, confusionMatrix, topKAccuracy } from './metrics';
export { runInWorker } from './worker';
export type { WorkerJob, WorkerJobOptions } from './worker';
