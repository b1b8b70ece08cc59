// The arrows of docs/ARCHITECTURE.md as data: which package may import which, and which folders of
// the engine may import which. check.mjs enforces them over every source file; keep the two in step.

/** Layers from the bottom up; a package may import only packages of a lower layer (or listed peers). */
export const PACKAGES = {
  "@polychip/hal": { dir: "hal", layer: 0, may: [] },
  "@polychip/device-cpu": { dir: "devices/cpu", layer: 1, may: ["@polychip/hal"] },
  "@polychip/device-webgpu": { dir: "devices/webgpu", layer: 1, may: ["@polychip/hal"] },
  "@polychip/plugin-sdk": { dir: "packages/plugin-sdk", layer: 2, may: ["@polychip/hal", "@polychip/device-cpu"] },
  // A plugin imports only the HAL and the SDK (what a vendor out of tree has).
  "@polychip/npu-sim": { dir: "plugins/npu-sim", layer: 3, may: ["@polychip/hal", "@polychip/plugin-sdk"] },
  "@polychip/plugin-template": { dir: "plugins/template", layer: 3, may: ["@polychip/hal", "@polychip/plugin-sdk"] },
  // The engine knows the HAL and its default (cpu) device, nothing else: other devices are plugins
  // (the SDK resolves a plugin's package or path from the caller's directory).
  "@polychip/engine": { dir: "engine", layer: 4, may: ["@polychip/hal", "@polychip/device-cpu", "@polychip/plugin-sdk"] },
  "@polychip/datasets": { dir: "packages/datasets", layer: 4, may: ["@polychip/hal"] },
  // The first-party device list: the one place that names webgpu and npu-sim for the tools above it.
  "@polychip/devices": {
    dir: "packages/devices",
    layer: 5,
    may: ["@polychip/hal", "@polychip/engine", "@polychip/device-cpu", "@polychip/device-webgpu", "@polychip/npu-sim", "@polychip/plugin-template"],
  },
  "@polychip/onnx": { dir: "packages/onnx", layer: 5, may: ["@polychip/hal", "@polychip/engine"] },
  "@polychip/cli": { dir: "packages/cli", layer: 6, may: "below" },
  "@polychip/bench": { dir: "packages/bench", layer: 7, may: "below" },
  "@polychip/studio": { dir: "studio", layer: 7, may: "below" },
  "@polychip/e2e": { dir: "e2e", layer: 8, may: "below" },
};

/**
 * The engine's folders. Its lean half (what a deployed model loads: core, the graph IR, sessions,
 * model files) never imports its eager half (tensors, ops, autograd, nn, optim, trace).
 */
export const ENGINE_LEAN = ["core", "graph", "runtime", "io"];
export const ENGINE_EAGER = [
  "tensor.ts",
  "scope.ts",
  "memory.ts",
  "tape",
  "ops",
  "autograd",
  "nn",
  "optim",
  "trace",
  "compile",
  "deploy",
  "data",
  "checkpoint",
];
