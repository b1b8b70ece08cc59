/** Shared by the fused kernel tests: random inputs and the check against the unfused eager ops. */
import assert from "node:assert/strict";
import { after } from "node:test";
import {
  broadcastStrides,
  contiguousStrides,
  fusedOutputShape,
  parseFusedProgram,
  roundToFloat16,
  sizeOf,
  stridedOffsets,
  type Attrs,
  type DType,
} from "@polychip/hal";
import { CpuDevice } from "./device.ts";
import { runOp, type HostInput, type HostOutput } from "./testing.ts";
import { randomValues } from "./test-utils.ts";

export const program = (steps: unknown[], outputs: number[]): Attrs => ({ program: JSON.stringify(steps), outputs });

/** Random values of `dtype` with NaN, ±Inf and -0 among the floats. */
export function data(seed: number, n: number, dtype: DType = "float32", scale = 3): number[] {
  return randomValues(n, seed).map((v, i) => {
    if (dtype === "bool") return v > 0 ? 1 : 0;
    if (dtype === "int32") return Math.round(v * scale * 1000);
    if (dtype === "int8") return Math.round(v * 127);
    if (dtype === "uint8") return Math.round((v + 1) * 127);
    const special = [NaN, Infinity, -Infinity, -0][i % 97];
    const x = i % 97 < 4 && n > 50 ? special! : v * scale;
    return dtype === "float16" ? roundToFloat16(x) : Math.fround(x);
  });
}

export const input = (seed: number, shape: number[], dtype: DType = "float32", scale?: number): HostInput => ({
  values: data(seed, sizeOf(shape), dtype, scale),
  shape,
  dtype,
});

/** The view of `shape` stored with its dims reversed (a transposed, non-contiguous input). */
export function transposed(seed: number, shape: number[], dtype: DType = "float32"): HostInput {
  const reversed = [...shape].reverse();
  const strides = contiguousStrides(reversed).reverse();
  return { values: data(seed, sizeOf(shape), dtype), shape, dtype, strides };
}

/** The fused kernel against the unfused eager kernels, both on `device`. */
export function fusedChecks(device: CpuDevice) {
  /** The unfused ops, one eager cpu kernel per step; outputs broadcast to the program's shape. */
  function unfused(attrs: Attrs, inputs: HostInput[]): HostOutput[] {
    const { steps, outputs } = parseFusedProgram(attrs, inputs.length);
    const values: HostInput[] = [...inputs];
    for (const step of steps) {
      if (step.op === "const") {
        values.push({ values: [step.value!], shape: [], dtype: step.to });
        continue;
      }
      const [out] = runOp(
        step.op,
        step.args.map((a) => values[a]!),
        step.op === "cast" ? { to: step.to! } : {},
        { device },
      );
      values.push({ values: out!.values, shape: out!.shape, dtype: out!.dtype });
    }
    const shape = fusedOutputShape(inputs.map((i) => ({ shape: i.shape, dtype: i.dtype ?? "float32" })));
    return outputs.map((o) => {
      const v = values[o]!;
      const dtype = v.dtype ?? "float32";
      const own = v.strides ?? contiguousStrides(v.shape);
      const offsets = stridedOffsets(shape, broadcastStrides(v.shape, own, shape), v.offset ?? 0);
      const read = Array.from(offsets, (p) => v.values[p]!);
      return { shape, dtype, values: (dtype === "float16" ? Float32Array.from(read.map(roundToFloat16)) : read) as never };
    });
  }

  function assertSameBits(attrs: Attrs, inputs: HostInput[]): HostOutput[] {
    const fused = runOp("fused", inputs, attrs, { device });
    const expected = unfused(attrs, inputs);
    assert.equal(fused.length, expected.length);
    fused.forEach((out, m) => {
      assert.deepEqual(out.shape, expected[m]!.shape, `output ${m} shape`);
      assert.equal(out.dtype, expected[m]!.dtype, `output ${m} dtype`);
      for (let i = 0; i < out.values.length; i++) {
        const [a, e] = [out.values[i]!, expected[m]!.values[i]!];
        if (!Object.is(a, e)) assert.fail(`output ${m} element ${i}: fused ${a}, unfused ${e} (${String(attrs.program)})`);
      }
    });
    return fused;
  }

  return { unfused, assertSameBits };
}

/** fusedChecks on a one-thread and a three-thread device, disposed after the calling file's tests. */
export function fusedChecksOnOneAndThreeThreads(): ReturnType<typeof fusedChecks>[] {
  const devices = [new CpuDevice({ threads: 1 }), new CpuDevice({ threads: 3 })];
  after(() => Promise.all(devices.map((d) => d.dispose())));
  return devices.map(fusedChecks);
}

/**
 * A check that a program runs in the WASM loop (`runsInWasm`, fast/fused.ts's fusedRunsInWasm) and
 * equals bit for bit both the unfused eager ops (one thread and three) and the generated
 * JavaScript loop (a device without WASM). Its devices are disposed after the calling file's tests.
 */
export function wasmEqualsJavaScript(runsInWasm: (attrs: Attrs, inputs: readonly { shape: readonly number[]; dtype: DType }[]) => boolean) {
  const checks = fusedChecksOnOneAndThreeThreads();
  const javascript = new CpuDevice({ wasm: false });
  after(() => javascript.dispose());
  return (attrs: Attrs, inputs: HostInput[]): void => {
    const metas = inputs.map((i) => ({ shape: i.shape, dtype: i.dtype ?? ("float32" as DType) }));
    assert.ok(runsInWasm(attrs, metas), `runs in WASM: ${String(attrs.program)}`);
    const js = runOp("fused", inputs, attrs, { device: javascript });
    for (const { assertSameBits } of checks) {
      assertSameBits(attrs, inputs).forEach((out, m) => {
        for (let i = 0; i < out.values.length; i++) {
          const [a, e] = [out.values[i]!, js[m]!.values[i]!];
          if (!Object.is(a, e)) assert.fail(`output ${m} element ${i}: WASM ${a}, JavaScript ${e} (${String(attrs.program)})`);
        }
      });
    }
  };
}
