/**
 * pow by a const 2 in the WASM fused loop (an STFT's magnitude, √(re² + im²), in Silero VAD): it
 * runs as x·x and equals the unfused eager ops bit for bit, NaN, ±Inf and -0 included; any other
 * exponent keeps the program in JavaScript.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { contiguousStrides, type Attrs, type DType } from "@polychip/hal";
import { fusedChecksOnOneAndThreeThreads, input, program } from "../fused-test-helpers.ts";
import type { HostInput } from "../testing.ts";
import { fusedKernelSource } from "../kernels/fused.ts";
import { fusedRunsInWasm } from "./fused.ts";

const checks = fusedChecksOnOneAndThreeThreads();

const metas = (inputs: readonly HostInput[]) =>
  inputs.map((i) => ({ shape: i.shape, dtype: i.dtype ?? ("float32" as DType), strides: i.strides ?? contiguousStrides(i.shape) }));

function assertSameBits(attrs: Attrs, inputs: HostInput[], wasm: boolean): void {
  assert.equal(fusedRunsInWasm(attrs, inputs.length === 0 ? [] : metas(inputs)), wasm);
  for (const c of checks) c.assertSameBits(attrs, inputs);
}

/** √(a^c + b^c) with the exponent a const step, as the ONNX importer's fusion writes it. */
const magnitude = (exponent: number) =>
  program(
    [
      { op: "const", args: [], to: "float32", value: exponent }, // 2
      { op: "pow", args: [0, 2] }, // 3
      { op: "pow", args: [1, 2] }, // 4
      { op: "add", args: [3, 4] }, // 5
      { op: "sqrt", args: [5] }, // 6
    ],
    [6],
  );

test("pow by a const 2 runs in WASM and matches the unfused ops bit for bit (specials included)", () => {
  assertSameBits(magnitude(2), [input(1, [1, 129, 3]), input(2, [1, 129, 3])], true);
  assertSameBits(magnitude(2), [input(3, [2, 129, 70], "float32", 1e19), input(4, [2, 129, 70], "float32", 1e-21)], true);
  // ±1, ±0, the largest squares below and above float32's range.
  const edges = [1, -1, 0, -0, 1.8e19, -1.9e19, 1e-23, NaN, Infinity, -Infinity, 3.5, -2.25];
  assertSameBits(
    magnitude(2),
    [
      { values: edges, shape: [12] },
      { values: [...edges].reverse(), shape: [12] },
    ],
    true,
  );
});

test("pow by another exponent, or by an input, stays in JavaScript and matches", () => {
  assertSameBits(magnitude(3), [input(5, [1, 129, 3]), input(6, [1, 129, 3])], false);
  const byInput = program([{ op: "pow", args: [0, 1] }], [2]);
  assertSameBits(byInput, [input(7, [4, 9]), { values: [2], shape: [] }], false);
});

test("pow by a const 2 in a program the JavaScript loop runs (a log after it) is a multiply there too, bit for bit", () => {
  const logMagnitude = program(
    [
      { op: "const", args: [], to: "float32", value: 2 }, // 2
      { op: "pow", args: [0, 2] }, // 3
      { op: "pow", args: [1, 2] }, // 4
      { op: "add", args: [3, 4] }, // 5
      { op: "log", args: [5] }, // 6
    ],
    [6, 3],
  );
  const edges = [1, -1, 0, -0, 1.8e19, -1.9e19, 1e-23, NaN, Infinity, -Infinity, 3.5, -2.25];
  assertSameBits(logMagnitude, [input(8, [1, 129, 8]), input(9, [1, 129, 8], "float32", 1e19)], false);
  assertSameBits(
    logMagnitude,
    [
      { values: edges, shape: [12] },
      { values: [...edges].reverse(), shape: [12] },
    ],
    false,
  );
  assert.match(fusedKernelSource(logMagnitude, metas([input(8, [4]), input(9, [4])])), /Math\.fround\(v0 \* v0\)/);
});
