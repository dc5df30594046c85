/** The onnx engine: traced graphs, own autodiff, onnxruntime-node execution. */
export { createOnnxEngine, deviceProbeModel, OnnxEngine, type OnnxEngineOptions } from './onnx-engine.js';
export { ONNX_DEVICES, OnnxDeviceError, providersOf, type OnnxDevice, type WebGpuLayout } from './session.js';
export { ensureXdgRuntimeDir, WEBGPU_HINT } from './webgpu.js';
export { OptimizerConfigError } from './adam.js';
export { TraceError } from './ir.js';
export { benchConvLayer, type ConvLayerBench, type ConvLayerTimes } from './bench-conv.js';
export { exportOnnx, onnxModelBytes, type ExportInput, type ExportedOutputs } from './export.js';
export {
  describeWebGpu, modelOutputNames, parsePlacement, parseVulkanDevices, webGpuPlacement,
  type NodePlacement, type VulkanDevice, type WebGpuReport,
} from './webgpu-report.js';
