/** Table column order: Polychip first, then the JavaScript/WASM peers, the native ceiling, PyTorch; WebGPU runners likewise. */
export const RUNNER_ORDER = [
  "polychip",
  "polychip-compiled",
  "polychip-replay",
  "tfjs-cpu",
  "tfjs-wasm",
  "ort-web",
  "ort-node",
  "pytorch",
  "polychip-webgpu",
  "polychip-webgpu-compiled",
  "tfjs-webgpu",
  "ort-webgpu",
];

export function byRunnerOrder(a: string, b: string): number {
  const rank = (id: string) => (RUNNER_ORDER.includes(id) ? RUNNER_ORDER.indexOf(id) : RUNNER_ORDER.length);
  return rank(a) - rank(b);
}
