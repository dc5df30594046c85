/** Checkpoint I/O: safetensors files, PyTorch (torch.save) checkpoints, atomic writes, checkpoint directories. */
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
export {
  TorchCheckpointError,
  TorchTensorRef,
  DEFAULT_OPAQUE_GLOBALS,
  readTorchCheckpoint,
  type TorchCheckpoint,
  type TorchLoadOptions,
} from './torch.js';
export { PickleError, PickleGlobalError, PyDict, PyTuple, PyOpaque, unpickle, type PyGlobal, type UnpickleOptions } from './pickle.js';
export { ZipError, ZipReader, type ZipEntry } from './zip.js';
