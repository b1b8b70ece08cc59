import { contiguousStrides, sizeOf, type Shape } from "@polychip/hal";
import { CpuBuffer, type FastPath } from "../device.ts";
import type { CpuKernel, CpuRegistration } from "../kernels/registration.ts";
import { rawArray, readRaw, scatterStrided, type CpuView } from "../views.ts";
import { decodeHalfInto, encodeHalfInto } from "./half-convert.ts";
import { address, chunking, contiguous, fastKernel } from "./support.ts";

type FastFn = (call: Parameters<CpuKernel>[0], path: FastPath) => boolean;

/**
 * Runs a float16 call on a float32 fast kernel: every float16 operand is decoded (exactly) into a
 * contiguous float32 copy in the WASM memory, `fast` computes in float32, and each float16 output
 * is rounded once, to nearest even, from the float32 result. That is the HAL's float16 rule
 * ("compute in float32 and round once"), and it lets float16 models use the SIMD GEMM instead of
 * the reference kernels' scalar half decode. Returns false, having written nothing, when there is
 * no room for the copies or `fast` declines, so the caller runs the float16 reference kernel.
 */
export function viaFloat32(call: Parameters<CpuKernel>[0], path: FastPath, fast: FastFn): boolean {
  const rt = path.runtime;
  const blocks: { offset: number; bytes: number }[] = [];
  const scratch = (shape: Shape): CpuView | undefined => {
    const bytes = Math.max(64, sizeOf(shape) * 4);
    const offset = rt.arena.alloc(bytes);
    if (offset === undefined) return undefined;
    blocks.push({ offset, bytes });
    return { buffer: new CpuBuffer(bytes, { arena: rt.arena, offset }), dtype: "float32", shape, strides: contiguousStrides(shape), offset: 0 };
  };
  const widen = (v: CpuView | undefined) => (v?.dtype === "float16" ? scratch(v.shape) : v);
  try {
    const inputs = call.inputs.map(widen);
    const outputs = call.outputs.map(widen);
    if (inputs.some((v, k) => !v && call.inputs[k]) || outputs.some((v) => !v)) return false;
    // Decode after every allocation: a growing memory replaces the arrays over it.
    call.inputs.forEach((v, k) => {
      if (v?.dtype === "float16") widenInto(path, v, inputs[k]!.buffer.wasmOffset!);
    });
    if (!fast({ ...call, inputs: inputs as CpuView[], outputs: outputs as CpuView[] }, path)) return false;
    call.outputs.forEach((y, m) => {
      if (y.dtype === "float16") roundInto(path, y, outputs[m]!);
    });
    return true;
  } finally {
    for (const { offset, bytes } of blocks) rt.arena.free(offset, bytes);
  }
}

/**
 * Decodes float16 `v` into contiguous float32 at byte `to` of the WASM memory: a contiguous view in
 * the memory on the worker pool four at a time (cast_float16_float32), anything else and the last
 * few elements through the decode table.
 */
function widenInto(path: FastPath, v: CpuView, to: number): void {
  const rt = path.runtime;
  const n = sizeOf(v.shape);
  const from = address(v);
  let done = 0;
  if (from !== undefined && contiguous(v)) {
    done = n - (n % 4);
    if (done > 0) {
      const perChunk = chunking(path, done, Math.ceil(done / 4096)) * 4096;
      rt.run(path.pool, "cast_float16_float32", [from, to, done, perChunk], Math.ceil(done / perChunk), 0);
    }
  }
  decodeHalfInto(readRaw(v) as Uint16Array, done, n - done, rt.f32, to / 4 + done);
}

/**
 * Rounds the contiguous float32 `wide` into float16 `y`: a contiguous `y` in the WASM memory on the
 * worker pool four at a time (cast_float32_float16), anything else and the last few elements here.
 */
function roundInto(path: FastPath, y: CpuView, wide: CpuView): void {
  const rt = path.runtime;
  const n = sizeOf(y.shape);
  const from = wide.buffer.wasmOffset!;
  const to = address(y);
  if (to !== undefined && contiguous(y)) {
    const done = n - (n % 4);
    if (done > 0) {
      const perChunk = chunking(path, done, Math.ceil(done / 4096)) * 4096;
      rt.run(path.pool, "cast_float32_float16", [from, to, done, perChunk], Math.ceil(done / perChunk), 0);
    }
    encodeHalfInto(new Uint32Array(rt.f32.buffer, from + done * 4, n - done), 0, n - done, rawArray(y.buffer, "float16") as Uint16Array, y.offset + done);
    return;
  }
  const packed = new Uint16Array(n);
  encodeHalfInto(new Uint32Array(rt.f32.buffer, from, n), 0, n, packed, 0);
  scatterStrided(packed, 0, rawArray(y.buffer, "float16"), y.offset, y.shape, y.strides);
}

/**
 * The float32 fast kernel of `op`, and a float16 one that runs the same `fast` through float32
 * copies (viaFloat32); either falls back to `reference` when the fast path declines.
 */
export function fastKernelWithHalf(op: string, reference: CpuKernel, fast: FastFn): CpuRegistration[] {
  return [fastKernel(op, reference, fast), fastKernel(op, reference, (call, path) => viaFloat32(call, path, fast), ["float16"])];
}
