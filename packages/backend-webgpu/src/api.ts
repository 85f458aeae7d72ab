// The names both builds of @ganomaly/backend-webgpu export (index.ts for Node, index.browser.ts
// for bundlers' browser condition), beside each build's own ensureNavigatorGpu and findAdapter.
export {
  DAWN_PACKAGE,
  WEBGPU_PACKAGE,
  WEBGPU_PRIORITY,
  describeAdapter,
  hasGpuDeviceNode,
  isSoftwareAdapter,
  registerWebgpuTrainingKernels,
  type Adapter,
  type AdapterInfo,
  type GpuLike,
} from './candidate.js';
