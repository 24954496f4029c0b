/**
 * gn.io: safetensors files (read and written, validated as hostile input) and training
 * checkpoints (model, optimizer, scheduler and metadata in one safetensors file), all saved
 * atomically (temporary file, fsync, rename).
 *
 *   gn.io.saveSafetensors('model.safetensors', model.stateDict(), { epoch: '3' });
 *   const { tensors, metadata } = gn.io.loadSafetensors('model.safetensors');
 *   model.loadStateDict(tensors);
 *
 *   gn.io.saveCheckpoint('ckpt.safetensors', { model, optimizer, scheduler, metadata: { epoch, bestLoss } });
 *   const { epoch } = gn.io.loadCheckpoint('ckpt.safetensors', { model, optimizer, scheduler });
 *
 * Reading refuses a malformed file with a SafetensorsError naming the file and the problem, before
 * any tensor is made; loadCheckpoint refuses a checkpoint that does not fit the model or optimizer
 * (CheckpointError) without changing either.
 */
export {
  MAX_HEADER_BYTES,
  SafetensorsError,
  decodeSafetensors,
  encodeSafetensors,
  loadSafetensors,
  saveSafetensors,
} from './safetensors';
export type { DecodedSafetensors, DecodeOptions, SafetensorsDType } from './safetensors';
export { CHECKPOINT_FORMAT, CHECKPOINT_VERSION, CheckpointError, loadCheckpoint, saveCheckpoint } from './checkpoint';
export type {
  CheckpointOptimizer,
  CheckpointScheduler,
  LoadCheckpointOptions,
  OptimizerStateDict,
  SaveCheckpointOptions,
} from './checkpoint';
