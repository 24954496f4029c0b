/**
 * fit() and evaluate(): the training loop, with validation, metrics, learning-rate schedules,
 * callbacks, early stopping and checkpoints, and a progress display. Runs the same in the main
 * thread and in a worker (runInWorker), where its progress becomes events on the main thread.
 */
import { noGrad } from '../autograd/grad_mode';
import { type CheckpointOptimizer, type CheckpointScheduler, saveCheckpoint } from '../io/checkpoint';
import { crossEntropy } from '../nn/losses';
import type { Module } from '../nn/module';
import type { Tensor } from '../tensor';
import { confusionMatrix, topKCorrect } from './metrics';
import { type Verbosity, createProgress } from './progress';

/** What fit needs of an optimizer (every gn.optim optimizer has it). */
export interface OptimizerLike {
  zeroGrad(): void;
  step(): void;
  paramGroups: { lr: number }[];
}

/**
 * What fit needs of a learning-rate schedule: step() once per epoch. ReduceLROnPlateau's step
 * receives the monitored value (the early-stopping monitor, valLoss by default); others get nothing.
 */
export type SchedulerLike = { step(): void } | { step(metric: number): void };

/** A batch from a loader: [inputs, targets, ...] (a TensorDataset's or MNIST loader's batches). */
export type Batch = readonly Tensor[];
export type LossFn = (output: Tensor, target: Tensor) => Tensor;

/** Per-epoch results: loss and metrics on the training data and, with a validation loader, on it. */
export interface EpochLogs {
  epoch: number;
  loss: number;
  lr: number;
  seconds: number;
  samplesPerSecond: number;
  [metric: string]: number;
}

export interface BatchLogs {
  epoch: number;
  batch: number;
  batches: number;
  loss: number;
  accuracy?: number;
  samplesPerSecond: number;
}

/** Hooks into the loop. onEpochEnd may return 'stop' to end training after this epoch. */
export interface Callback {
  onTrainBegin?(): void;
  onEpochBegin?(epoch: number): void;
  onBatchEnd?(logs: BatchLogs): void;
  onEpochEnd?(logs: EpochLogs): void | 'stop';
  onTrainEnd?(history: EpochLogs[]): void;
}

export interface EarlyStoppingOptions {
  /** The logged value to watch (default 'valLoss', or 'loss' without validation data). */
  monitor?: string;
  /** 'min' for losses, 'max' for accuracies (default: 'max' when the name contains "acc"). */
  mode?: 'min' | 'max';
  /** Epochs without improvement before stopping. */
  patience?: number;
  /** Smallest change that counts as an improvement. */
  minDelta?: number;
  /** Put back the parameters of the best epoch when training stops. */
  restoreBestWeights?: boolean;
}

export type MetricName = 'accuracy' | `top${number}`;

export interface FitOptions {
  epochs: number;
  optimizer: OptimizerLike;
  /** Default: cross-entropy of the model's scores against integer labels. */
  loss?: LossFn;
  valLoader?: Iterable<Batch>;
  /** Classification metrics to log (default ['accuracy'] with the default loss, none otherwise). */
  metrics?: MetricName[];
  scheduler?: SchedulerLike;
  callbacks?: Callback[];
  earlyStopping?: EarlyStoppingOptions;
  /** Save a checkpoint after each epoch (or only when the monitored value improves). */
  checkpoint?: CheckpointOptions;
  /** 'auto' (default): a live bar on a terminal, one line per epoch otherwise. */
  verbose?: Verbosity;
}

export interface CheckpointOptions {
  path: string;
  monitor?: string;
  mode?: 'min' | 'max';
  saveBestOnly?: boolean;
  /** Writes the checkpoint (default: gn.io.saveCheckpoint). */
  save?: (path: string, state: { model: Module; optimizer: OptimizerLike; scheduler?: SchedulerLike; metadata: Record<string, unknown> }) => void;
}

type Forwardable = Module & { forward(x: Tensor): Tensor };

/** Receives fit's progress when it runs inside runInWorker (set by the worker bootstrap). */
let reporter: ((event: 'batch' | 'epoch', logs: BatchLogs | EpochLogs) => void) | null = null;

export function setFitReporter(fn: typeof reporter): void {
  reporter = fn;
}

function topK(name: string): number {
  if (name === 'accuracy') return 1;
  const m = /^top(\d+)$/.exec(name);
  if (!m || Number(m[1]) < 1) throw new RangeError(`fit: unknown metric "${name}" (expected 'accuracy' or 'topK' such as 'top5')`);
  return Number(m[1]);
}

function checkBatch(where: string, b: unknown): [Tensor, Tensor] {
  if (!Array.isArray(b) || b.length < 2) throw new TypeError(`${where}: each batch must be [inputs, targets]`);
  return [b[0] as Tensor, b[1] as Tensor];
}

function improves(mode: 'min' | 'max', value: number, best: number, minDelta: number): boolean {
  return mode === 'min' ? value < best - minDelta : value > best + minDelta;
}

function modeFor(name: string, mode?: 'min' | 'max'): 'min' | 'max' {
  return mode ?? (/acc|top/i.test(name) ? 'max' : 'min');
}

export interface EvaluateOptions {
  loss?: LossFn;
  metrics?: MetricName[];
  /** Also return the confusion matrix (counts[true][predicted]). */
  confusionMatrix?: boolean;
}

export interface EvaluateResult {
  loss: number;
  samples: number;
  confusionMatrix?: number[][];
  [metric: string]: number | number[][] | undefined;
}

/** Loss and metrics of the model over a loader, in eval mode and without recording the graph. */
export function evaluate(model: Forwardable, loader: Iterable<Batch>, opts: EvaluateOptions = {}): EvaluateResult {
  const lossFn = opts.loss ?? ((o: Tensor, t: Tensor) => crossEntropy(o, t));
  const metrics = opts.metrics ?? (opts.loss ? [] : ['accuracy']);
  const ks = metrics.map(topK);
  const wasTraining = model.training;
  model.eval();
  let lossSum = 0;
  let n = 0;
  const correct = ks.map(() => 0);
  let cm: number[][] | undefined;
  try {
    noGrad(() => {
      for (const b of loader) {
        const [x, y] = checkBatch('evaluate', b);
        const out = model.forward(x);
        const bs = x.shape[0];
        lossSum += lossFn(out, y).item() * bs;
        n += bs;
        ks.forEach((k, i) => {
          correct[i] += topKCorrect(out, y, k);
        });
        if (opts.confusionMatrix) {
          const m = confusionMatrix(out, y);
          cm = cm ? cm.map((row, i) => row.map((v, j) => v + m[i][j])) : m;
        }
      }
    });
  } finally {
    model.train(wasTraining);
  }
  const result: EvaluateResult = { loss: n ? lossSum / n : Number.NaN, samples: n };
  metrics.forEach((name, i) => {
    result[name] = n ? correct[i] / n : Number.NaN;
  });
  if (cm) result.confusionMatrix = cm;
  return result;
}

/** Trains the model and returns the per-epoch history. */
export function fit(model: Forwardable, trainLoader: Iterable<Batch>, opts: FitOptions): EpochLogs[] {
  if (!Number.isInteger(opts.epochs) || opts.epochs < 1) throw new RangeError(`fit: epochs must be a positive integer, got ${opts.epochs}`);
  if (!opts.optimizer || typeof opts.optimizer.step !== 'function') throw new TypeError('fit: optimizer is required (e.g. new gn.optim.Adam(model.parameters()))');
  const lossFn = opts.loss ?? ((o: Tensor, t: Tensor) => crossEntropy(o, t));
  const metrics = opts.metrics ?? (opts.loss ? [] : ['accuracy']);
  const ks = metrics.map(topK);
  const callbacks = opts.callbacks ?? [];
  const progress = createProgress(opts.verbose ?? 'auto');
  const batches = (trainLoader as { length?: number }).length ?? Number.NaN;
  const history: EpochLogs[] = [];

  const es = opts.earlyStopping;
  const esMonitor = es?.monitor ?? (opts.valLoader ? 'valLoss' : 'loss');
  const esMode = modeFor(esMonitor, es?.mode);
  let esBest = esMode === 'min' ? Infinity : -Infinity;
  let esWait = 0;
  let bestWeights: Map<Tensor, Float32Array | Float64Array> | null = null;

  const ck = opts.checkpoint;
  const ckMonitor = ck?.monitor ?? (opts.valLoader ? 'valLoss' : 'loss');
  const ckMode = modeFor(ckMonitor, ck?.mode);
  let ckBest = ckMode === 'min' ? Infinity : -Infinity;

  for (const c of callbacks) c.onTrainBegin?.();
  try {
    for (let epoch = 1; epoch <= opts.epochs; epoch++) {
      for (const c of callbacks) c.onEpochBegin?.(epoch);
      model.train();
      progress.epochStart(epoch, opts.epochs, batches);
      const t0 = performance.now();
      let lossSum = 0;
      let seen = 0;
      const correct = ks.map(() => 0);
      let b = 0;
      for (const raw of trainLoader) {
        const [x, y] = checkBatch('fit', raw);
        const out = model.forward(x);
        const loss = lossFn(out, y);
        opts.optimizer.zeroGrad();
        loss.backward();
        opts.optimizer.step();
        const bs = x.shape[0];
        const lv = loss.item();
        if (!Number.isFinite(lv)) {
          throw new Error(`fit: the loss became ${lv} at epoch ${epoch}, batch ${b + 1}; lower the learning rate or check the data`);
        }
        lossSum += lv * bs;
        seen += bs;
        ks.forEach((k, i) => {
          correct[i] += topKCorrect(out, y, k);
        });
        b++;
        const logs: BatchLogs = {
          epoch,
          batch: b,
          batches,
          loss: lossSum / seen,
          accuracy: ks[0] === 1 ? correct[0] / seen : undefined,
          samplesPerSecond: seen / ((performance.now() - t0) / 1000),
        };
        progress.batch(b, logs);
        for (const c of callbacks) c.onBatchEnd?.(logs);
        reporter?.('batch', logs);
      }
      const seconds = (performance.now() - t0) / 1000;
      const logs: EpochLogs = {
        epoch,
        loss: seen ? lossSum / seen : Number.NaN,
        lr: opts.optimizer.paramGroups[0]?.lr ?? Number.NaN,
        seconds,
        samplesPerSecond: seen / seconds,
      };
      metrics.forEach((name, i) => {
        logs[name] = seen ? correct[i] / seen : Number.NaN;
      });
      if (opts.valLoader) {
        const v = evaluate(model, opts.valLoader, { loss: lossFn, metrics });
        logs.valLoss = v.loss;
        for (const name of metrics) logs[`val${name[0].toUpperCase()}${name.slice(1)}`] = v[name] as number;
      }
      if (opts.scheduler) {
        const s = opts.scheduler;
        if (s.constructor.name === 'ReduceLROnPlateau') (s as { step(metric: number): void }).step(logs[esMonitor] ?? logs.loss);
        else (s as { step(): void }).step();
      }

      let stop = false;
      if (es) {
        const value = logs[es.monitor ?? esMonitor];
        if (value === undefined) throw new Error(`fit: earlyStopping monitors "${esMonitor}", which is not logged (have: ${Object.keys(logs).join(', ')})`);
        if (improves(esMode, value, esBest, es.minDelta ?? 0)) {
          esBest = value;
          esWait = 0;
          if (es.restoreBestWeights) bestWeights = new Map(model.parameters().map((p) => [p as Tensor, p.data.slice()]));
        } else if (++esWait >= (es.patience ?? 0)) {
          stop = true;
        }
      }
      if (ck) {
        const value = logs[ckMonitor];
        const better = value !== undefined && improves(ckMode, value, ckBest, 0);
        if (better) ckBest = value;
        if (!ck.saveBestOnly || better) {
          const save = ck.save ?? defaultCheckpointWriter;
          save(ck.path, { model, optimizer: opts.optimizer, scheduler: opts.scheduler, metadata: { ...logs } });
        }
      }
      for (const c of callbacks) if (c.onEpochEnd?.(logs) === 'stop') stop = true;
      if (stop) logs.stoppedEarly = 1;
      history.push(logs);
      progress.epochEnd(formatEpoch(logs, opts.epochs));
      reporter?.('epoch', logs);
      if (stop) break;
    }
  } finally {
    progress.stop();
  }
  if (bestWeights) for (const [p, data] of bestWeights) p.data.set(data);
  for (const c of callbacks) c.onTrainEnd?.(history);
  return history;
}

/** gn.io.saveCheckpoint: model, optimizer, schedule and the epoch's logs in one atomic safetensors file. */
const defaultCheckpointWriter: NonNullable<CheckpointOptions['save']> = (path, s) =>
  saveCheckpoint(path, {
    model: s.model,
    optimizer: s.optimizer as unknown as CheckpointOptimizer,
    scheduler: s.scheduler as unknown as CheckpointScheduler | undefined,
    metadata: s.metadata,
  });

function formatEpoch(l: EpochLogs, epochs: number): string {
  const parts = [`epoch ${l.epoch}/${epochs}`, `loss ${l.loss.toFixed(4)}`];
  for (const [k, v] of Object.entries(l)) {
    if (['epoch', 'loss', 'lr', 'seconds', 'samplesPerSecond', 'stoppedEarly'].includes(k)) continue;
    parts.push(`${k} ${v.toFixed(4)}`);
  }
  parts.push(`lr ${l.lr.toPrecision(3)}`, `${l.seconds.toFixed(1)} s`, `${Math.round(l.samplesPerSecond)} samples/s`);
  if (l.stoppedEarly) parts.push('(stopping early)');
  return parts.join(' | ');
}
