/**
 * gn.io: safetensors files (read and written, validated as hostile input) and training
 * checkpoints (model, optimizer, scheduler and metadata in one safetensors file), all saved
 * atomically.
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
