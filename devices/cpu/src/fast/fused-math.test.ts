/**
 * exp, sigmoid, tanh and erf in the WASM fused loop (wasm/fused-math.ts): programs with them run in
 * WASM and equal the unfused eager ops (Math.exp / Math.tanh / the HAL's erf in float64, rounded to
 * float32) bit for bit, over a dense sweep of [-20, 20], the overflow and underflow points and the specials.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { contiguousStrides, type Attrs, type DType } from "@polychip/hal";
import { EPILOGUE_PROGRAMS } from "../epilogue-examples.ts";
import { fusedChecksOnOneAndThreeThreads, input, program } from "../fused-test-helpers.ts";
import type { HostInput } from "../testing.ts";
import { fusedRunsInWasm, fusedWasmModule } from "./fused.ts";

const checks = fusedChecksOnOneAndThreeThreads();

const metas = (inputs: readonly HostInput[]) =>
  inputs.map((i) => ({ shape: i.shape, dtype: i.dtype ?? ("float32" as DType), strides: i.strides ?? contiguousStrides(i.shape) }));

function assertWasmAndSameBits(attrs: Attrs, inputs: HostInput[]): void {
  assert.equal(fusedRunsInWasm(attrs, metas(inputs)), true, `${String(attrs.program)} runs in WASM`);
  for (const c of checks) c.assertSameBits(attrs, inputs);
}

/** Float32 arguments where exp/sigmoid/tanh change branch, overflow or underflow, with their float32 neighbours. */
function edgeValues(): number[] {
  const centres = [
    0,
    1,
    2,
    0.5,
    0.25,
    3,
    22,
    88.72284,
    89,
    103.97208,
    104,
    87.33655,
    88,
    0.34657359,
    1.03972077,
    2 ** -28,
    2 ** -54,
    1e-45,
    1.1754944e-38,
    3.4028235e38,
  ];
  const f = new Float32Array(1);
  const u = new Uint32Array(f.buffer);
  const out = [NaN, Infinity, -Infinity, -0, 0];
  for (const c of centres) {
    for (const v of [c, -c]) {
      f[0] = v;
      const bits = u[0]!;
      for (let d = -4; d <= 4; d++) {
        u[0] = bits + d;
        out.push(f[0]!);
      }
    }
  }
  return out;
}

/** 40 001 float32s evenly over [-20, 20], then the edge values. */
function sweep(): HostInput {
  const values = Array.from({ length: 40001 }, (_, i) => Math.fround(-20 + i / 1000));
  values.push(...edgeValues());
  return { values, shape: [values.length], dtype: "float32" };
}

for (const op of ["exp", "sigmoid", "tanh", "erf"]) {
  test(`${op} alone runs in WASM and equals the eager op over [-20, 20] and the edge values`, () => {
    assertWasmAndSameBits(program([{ op, args: [0] }], [1]), [sweep()]);
  });
}

test("swish (x · sigmoid(x)) with a broadcast bias runs in WASM and equals the unfused ops", () => {
  const swish = program(
    [
      { op: "add", args: [0, 1] }, // 2
      { op: "sigmoid", args: [2] }, // 3
      { op: "mul", args: [2, 3] }, // 4
    ],
    [4],
  );
  assertWasmAndSameBits(swish, [input(1, [3, 17, 131], "float32", 8), input(2, [17, 1])]);
});

test("GELU (x · 0.5 · (1 + erf(x / √2))) runs in WASM and equals the unfused ops", () => {
  const gelu = program(EPILOGUE_PROGRAMS.gelu!.steps, EPILOGUE_PROGRAMS.gelu!.outputs);
  assertWasmAndSameBits(gelu, [sweep()]);
  assertWasmAndSameBits(gelu, [input(9, [5, 3, 67], "float32", 7)]);
});

test("a recurrent gate (tanh(a) · sigmoid(b) + c, with an intermediate output) equals the unfused ops", () => {
  const gate = program(
    [
      { op: "tanh", args: [0] }, // 3
      { op: "sigmoid", args: [1] }, // 4
      { op: "mul", args: [3, 4] }, // 5
      { op: "add", args: [5, 2] }, // 6
      { op: "exp", args: [6] }, // 7
    ],
    [6, 4, 7],
  );
  assertWasmAndSameBits(gate, [input(3, [7, 257], "float32", 6), input(4, [7, 257], "float32", 6), input(5, [1], "float32", 6)]);
});

test("a module with these ops is valid WebAssembly, and one without them carries no math functions", () => {
  const f = [{ shape: [4], dtype: "float32" as DType }];
  const withMath = fusedWasmModule(program([{ op: "sigmoid", args: [0] }], [1]), f)!;
  const without = fusedWasmModule(program([{ op: "neg", args: [0] }], [1]), f)!;
  assert.ok(WebAssembly.validate(withMath));
  assert.ok(without.byteLength < withMath.byteLength / 2, `${without.byteLength} bytes without, ${withMath.byteLength} with`);
});
