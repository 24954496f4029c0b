/**
 * Progress display for fit(): a live bar (cli-progress) with batch, loss, accuracy, samples/s and
 * ETA on a terminal; one plain line per epoch when the output is not a TTY (logs, CI, pipes).
 */
import { SingleBar } from 'cli-progress';

export type Verbosity = 'auto' | 'bar' | 'lines' | 'silent';

export interface ProgressSink {
  epochStart(epoch: number, epochs: number, batches: number): void;
  batch(done: number, values: { loss: number; accuracy?: number; samplesPerSecond: number }): void;
  epochEnd(line: string): void;
  stop(): void;
}

const fmt = (v: number | undefined, digits = 4) => (v === undefined || !Number.isFinite(v) ? '-' : v.toFixed(digits));

export function createProgress(verbose: Verbosity, stream: NodeJS.WriteStream = process.stdout): ProgressSink {
  const mode = verbose === 'auto' ? (stream.isTTY ? 'bar' : 'lines') : verbose;
  if (mode === 'silent') return { epochStart() {}, batch() {}, epochEnd() {}, stop() {} };
  if (mode === 'lines') {
    return {
      epochStart() {},
      batch() {},
      epochEnd(line) {
        stream.write(`${line}\n`);
      },
      stop() {},
    };
  }
  let bar: SingleBar | null = null;
  return {
    epochStart(epoch, epochs, batches) {
      bar = new SingleBar(
        {
          format: `epoch ${epoch}/${epochs} [{bar}] {value}/{total} | loss {loss} | acc {acc} | {speed} samples/s | ETA {eta_formatted}`,
          hideCursor: true,
          clearOnComplete: true,
          stream,
          etaBuffer: 50,
        },
      );
      bar.start(batches, 0, { loss: '-', acc: '-', speed: '-' });
    },
    batch(done, v) {
      bar?.update(done, { loss: fmt(v.loss), acc: fmt(v.accuracy), speed: v.samplesPerSecond.toFixed(0) });
    },
    epochEnd(line) {
      bar?.stop();
      bar = null;
      stream.write(`${line}\n`);
    },
    stop() {
      bar?.stop();
      bar = null;
    },
  };
}
