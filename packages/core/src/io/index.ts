/** Checkpoint I/O: safetensors files, atomic writes, checkpoint directories. */
export {
  SafetensorsError,
  parseSafetensors,
  readSafetensors,
  readSafetensorsWithMetadata,
  encodeSafetensors,
  writeSafetensors,
  halfToFloat,
  bf16ToFloat,
  type SafetensorsMetadata,
  type ParsedSafetensors,
} from './safetensors.js';
export { writeFileAtomic, writeJsonAtomic, tempPathFor, type AtomicWriter, type AtomicWriteOptions } from './atomic.js';
export {
  CheckpointError,
  CHECKPOINT_FILES,
  saveCheckpoint,
  loadCheckpoint,
  readCheckpoint,
  type CheckpointContents,
  type CheckpointExtra,
  type LoadedCheckpoint,
} from './checkpoint.js';
