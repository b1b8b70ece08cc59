/** Runs in Chromium (page and worker): a few kernels end to end through the public API, results posted back. */
import { contiguousStrides, KernelRegistry } from "@polychip/hal";
import { isWebGpuAvailable, WebGpuDevice, webgpuKernels } from "../../index.ts";

export async function check(): Promise<unknown> {
  const available = await isWebGpuAvailable();
  const device = await WebGpuDevice.create();
  const registry = new KernelRegistry();
  registry.registerAll(webgpuKernels);
  const view = (values: number[], shape: number[]) => {
    const buffer = device.alloc(values.length * 4);
    device.write(buffer, new Uint8Array(new Float32Array(values).buffer));
    return { buffer, dtype: "float32" as const, shape, strides: contiguousStrides(shape), offset: 0 };
  };
  const run = (op: string, inputs: ReturnType<typeof view>[], output: ReturnType<typeof view>, attrs = {}) =>
    device.launch(registry.find("webgpu", op, "float32")!.kernel, { op, inputs, outputs: [output], attrs });
  const a = view([1, 2, 3, 4, 5, 6], [2, 3]);
  const b = view([1, 0, 0, 1, 1, 1], [3, 2]);
  const product = view([0, 0, 0, 0], [2, 2]);
  const probabilities = view([0, 0, 0, 0], [2, 2]);
  run("matmul", [a, b], product);
  run("softmax", [product], probabilities, { axis: -1 });
  const floats = async (v: ReturnType<typeof view>) => Array.from(new Float32Array((await device.read(v.buffer, 0, v.buffer.bytes)).buffer));
  const result = { available, matmul: await floats(product), softmax: await floats(probabilities), architecture: device.info.details?.architecture };
  device.dispose();
  return result;
}
