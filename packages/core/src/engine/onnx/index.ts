/** The onnx engine: traced graphs, own autodiff, onnxruntime-node execution. */
export { createOnnxEngine, OnnxEngine, type OnnxEngineOptions } from './onnx-engine.js';
export { OnnxDeviceError, type OnnxDevice } from './session.js';
export { OptimizerConfigError } from './adam.js';
export { TraceError } from './ir.js';
export { benchConvLayer, type ConvLayerBench, type ConvLayerTimes } from './bench-conv.js';
export { exportOnnx, onnxModelBytes, type ExportInput, type ExportedOutputs } from './export.js';
