/**
 * Test support: run one op on the WebGPU device the way the engine does (inputs uploaded as
 * views, outputs inferred by the HAL and allocated contiguous) and compare with the CPU reference.
 */
import assert from "node:assert/strict";
import { after } from "node:test";
import { runOp as runCpu, type HostInput, type HostOutput } from "@polychip/device-cpu";
import {
  contiguousStrides,
  dtypeBytes,
  float16BitsToFloat32,
  float32ToFloat16Bits,
  getOp,
  hostArray,
  KernelRegistry,
  sizeOf,
  UnsupportedOpError,
  type Attrs,
  type DType,
  type HostArray,
  type TensorView,
} from "@polychip/hal";
import { WebGpuDevice } from "../device.ts";
import { webgpuKernels } from "../kernels/index.ts";
import type { WebGpuBuffer } from "../runtime/buffer.ts";

export type { HostInput, HostOutput };
export { t } from "@polychip/device-cpu";

let shared: Promise<WebGpuDevice> | undefined;

/**
 * One device per test process: creating a Dawn device per test would dominate the run time. It is
 * destroyed after the file's tests, so Dawn and SwiftShader shut down before the process exits.
 */
export function gpuDevice(): Promise<WebGpuDevice> {
  return (shared ??= WebGpuDevice.create());
}

// Registered when the test file imports this module, so it runs after the file's last test.
after(async () => (await shared)?.dispose());

const registry = new KernelRegistry();
registry.registerAll(webgpuKernels);

export function kernelFor(op: string, dtype: DType) {
  const reg = registry.find("webgpu", op, dtype);
  if (!reg) throw new UnsupportedOpError(`webgpu has no kernel for ${op} (${dtype})`);
  return reg.kernel;
}

export function encode(values: ArrayLike<number>, dtype: DType): Uint8Array {
  if (dtype === "float16") {
    const bits = Uint16Array.from(Array.from(values), (v) => float32ToFloat16Bits(v));
    return new Uint8Array(bits.buffer);
  }
  const typed = hostArray(dtype, values.length);
  typed.set(Array.from(values, (v) => (dtype === "bool" ? (v ? 1 : 0) : v)));
  return new Uint8Array(typed.buffer);
}

export function decode(bytes: Uint8Array, dtype: DType, length: number): HostArray {
  const copy = bytes.slice(0, length * dtypeBytes(dtype));
  if (dtype === "float16") return Float32Array.from(new Uint16Array(copy.buffer, 0, length), float16BitsToFloat32);
  const out = hostArray(dtype, length);
  new Uint8Array(out.buffer).set(copy);
  return out;
}

export function uploadView(device: WebGpuDevice, input: HostInput): TensorView<WebGpuBuffer> {
  const dtype = input.dtype ?? "float32";
  const buffer = device.alloc(input.values.length * dtypeBytes(dtype));
  device.write(buffer, encode(input.values, dtype));
  return { buffer, dtype, shape: input.shape, strides: input.strides ?? contiguousStrides(input.shape), offset: input.offset ?? 0 };
}

export async function download(device: WebGpuDevice, buffer: WebGpuBuffer, dtype: DType, length: number): Promise<HostArray> {
  return decode(await device.read(buffer, 0, length * dtypeBytes(dtype)), dtype, length);
}

/** runOp of the CPU device's testing helpers, on the WebGPU device (`on`, else the shared one). `into` gives copy a strided destination. */
export async function runGpu(op: string, inputs: readonly HostInput[], attrs: Attrs = {}, into?: HostInput, on?: WebGpuDevice): Promise<HostOutput[]> {
  const device = on ?? (await gpuDevice());
  const views = inputs.map((i) => uploadView(device, i));
  const metas = getOp(op).infer(views, attrs);
  const kernel = kernelFor(op, views[0]?.dtype ?? metas[0]!.dtype);
  let outputs: TensorView<WebGpuBuffer>[];
  if (into) outputs = [uploadView(device, into)];
  else {
    outputs = metas.map((m) => ({
      buffer: device.alloc(sizeOf(m.shape) * dtypeBytes(m.dtype)),
      dtype: m.dtype,
      shape: m.shape,
      strides: contiguousStrides(m.shape),
      offset: 0,
    }));
  }
  device.launch(kernel, { op, inputs: views, outputs, attrs });
  const results: HostOutput[] = [];
  for (const o of outputs) {
    const length = into ? into.values.length : sizeOf(o.shape);
    results.push({ shape: [...o.shape], dtype: o.dtype, values: await download(device, o.buffer, o.dtype, length) });
  }
  for (const v of [...views, ...outputs]) device.free(v.buffer);
  return results;
}

export interface Tolerance {
  readonly rtol?: number;
  readonly atol?: number;
}

/** Elementwise closeness; NaN matches NaN and infinities must match exactly. */
export function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: Tolerance = {}, what = ""): void {
  const rtol = tol.rtol ?? 1e-5;
  const atol = tol.atol ?? 1e-6;
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i]!;
    const e = expected[i]!;
    if (Number.isNaN(e)) {
      assert.ok(Number.isNaN(a), `${what}[${i}]: expected NaN, got ${a}`);
    } else if (!Number.isFinite(e)) {
      assert.equal(a, e, `${what}[${i}]`);
    } else {
      assert.ok(Math.abs(a - e) <= atol + rtol * Math.abs(e), `${what}[${i}]: got ${a}, expected ${e} (rtol ${rtol}, atol ${atol})`);
    }
  }
}

/** Runs `op` on both devices and checks the WebGPU result against the CPU reference. */
export async function matchesCpu(op: string, inputs: readonly HostInput[], attrs: Attrs = {}, tol: Tolerance & { into?: HostInput } = {}): Promise<void> {
  const expected = runCpu(op, inputs, attrs, tol.into ? { into: tol.into } : {});
  const actual = await runGpu(op, inputs, attrs, tol.into);
  assert.equal(actual.length, expected.length);
  actual.forEach((a, i) => {
    assert.deepEqual(a.shape, expected[i]!.shape, `${op}: output ${i} shape`);
    assert.equal(a.dtype, expected[i]!.dtype, `${op}: output ${i} dtype`);
    assertClose(a.values, expected[i]!.values, tol, `${op} ${inputs.map((x) => `${x.dtype ?? "float32"}[${x.shape.join(",")}]`).join(" ")}`);
  });
}

/** Deterministic pseudo-random values in [lo, hi) (tests must not depend on Math.random). */
export function values(n: number, lo = -1, hi = 1, seed = 1): number[] {
  let s = seed >>> 0 || 1;
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    out.push(lo + ((s >>> 8) / 16777216) * (hi - lo));
  }
  return out;
}

export function ints(n: number, lo: number, hi: number, seed = 1): number[] {
  return values(n, lo, hi, seed).map(Math.floor);
}
