import assert from "node:assert/strict";
import { after, test } from "node:test";
import { parseFusedProgram } from "@polychip/hal";
import { WebGpuDevice } from "../device.ts";
import { assertClose, download, gpuDevice, kernelFor, runGpu, t, uploadView, values } from "../testing/harness.ts";
import { fusedOnCpu } from "../testing/fused-reference.ts";
import { ADAM, adamInputs, program } from "../testing/fused-programs.ts";
import { fusedShaderSource, outputGroups } from "./fused.ts";
import { splitIntoStages } from "./fused-stages.ts";

// exp(a), a + b, c * b: three inputs, three outputs.
const THREE = program(
  [
    { op: "exp", args: [0] },
    { op: "add", args: [0, 1] },
    { op: "mul", args: [2, 1] },
  ],
  [3, 4, 5],
);

let narrow: Promise<WebGpuDevice> | undefined;
/** A device that binds only 4 storage buffers per shader (WebGPU's minimum is 8; real adapters give 8 to 10 or more). */
const narrowDevice = () => (narrow ??= WebGpuDevice.create({ limits: { maxStorageBuffersPerStage: 4 } }));
after(async () => (await narrow)?.dispose());

test("outputs are grouped so each dispatch's inputs and outputs fit the binding limit", () => {
  const parsed = parseFusedProgram(THREE);
  assert.deepEqual(outputGroups(parsed, 3, 12), [[0, 1, 2]]);
  assert.deepEqual(outputGroups(parsed, 3, 4), [[0, 1], [2]]);
  assert.deepEqual(outputGroups(parsed, 3, 3), [[0], [1], [2]]);
  assert.equal(outputGroups(parsed, 3, 2), undefined, "a + b alone needs 3 bindings");
});

test("past the binding limit the kernel splits by outputs and still matches the CPU", async () => {
  const device = await narrowDevice();
  const inputs = [t(values(10, -1, 1, 1), [10]), t(values(10, -1, 1, 2), [10]), t(values(10, -1, 1, 3), [10])];
  const before = device.stats.dispatches;
  const actual = await runGpu("fused", inputs, THREE, undefined, device);
  assert.equal(device.stats.dispatches - before, 2);
  fusedOnCpu(inputs, THREE).forEach((e, m) => assertClose(actual[m]!.values, e.values, { rtol: 1e-6 }, `output ${m}`));
});

const SUM4 = program(
  [
    { op: "add", args: [0, 1] },
    { op: "add", args: [4, 2] },
    { op: "add", args: [5, 3] },
  ],
  [6, 0],
);

test("stages: steps in order while outside values and handed-on values fit, constants repeated, input outputs copied", () => {
  const stages = splitIntoStages(parseFusedProgram(SUM4), 4, 4);
  assert.deepEqual(
    stages.map((st) => ({ inputs: st.inputs, outputs: st.outputs, steps: st.program.steps.length })),
    [
      { inputs: [0, 1, 2], outputs: [{ value: 5 }], steps: 2 },
      { inputs: [5, 3], outputs: [{ value: 6, output: 0 }], steps: 1 },
      { inputs: [0], outputs: [{ value: 0, output: 1 }], steps: 0 },
    ],
  );
  const scaled = parseFusedProgram(
    program(
      [
        { op: "const", args: [], value: 2 },
        { op: "mul", args: [0, 3] },
        { op: "mul", args: [4, 1] },
        { op: "mul", args: [5, 2] },
        { op: "mul", args: [6, 3] },
      ],
      [7],
    ),
  );
  const split = splitIntoStages(scaled, 3, 3);
  assert.ok(split.length > 1 && split.every((st) => st.inputs.length + st.outputs.length <= 3));
  const [first, second] = split;
  assert.deepEqual([first!.program.steps[0]!.op, first!.program.steps[0]!.value], ["const", 2]);
  assert.ok(
    second!.program.steps.some((st) => st.op === "const"),
    "the constant is repeated, not handed on",
  );
  assert.throws(
    () => splitIntoStages(parseFusedProgram(program([{ op: "where", args: [0, 1, 2] }], [3])), 3, 3),
    /step 0 \(where\) alone needs 4 storage buffers/,
  );
});

test("an output reading more inputs than the binding limit runs in stages and matches the CPU, freeing its temporaries", async () => {
  const device = await narrowDevice();
  const inputs = [1, 2, 3, 4].map((k) => t(values(6, 0, 1, k), [6]));
  const before = device.stats.dispatches;
  const actual = await runGpu("fused", inputs, SUM4, undefined, device);
  assert.equal(device.stats.dispatches - before, 3);
  fusedOnCpu(inputs, SUM4).forEach((e, m) => assertClose(actual[m]!.values, e.values, { rtol: 1e-6 }, `output ${m}`));
  assert.equal(device.bytesInUse, 0);
});

test("an Adam update on a 4-binding device: staged, same values as the CPU", async () => {
  const device = await narrowDevice();
  const inputs = adamInputs(33);
  const actual = await runGpu("fused", inputs, ADAM, undefined, device);
  fusedOnCpu(inputs, ADAM).forEach((e, m) => assertClose(actual[m]!.values, e.values, { rtol: 1e-6, atol: 1e-7 }, `output ${m}`));
});

test("a buffer over the binding size limit is an OutOfMemoryError naming fused", async () => {
  const device = await WebGpuDevice.create({ limits: { maxBindingBytes: 1024 } });
  try {
    await assert.rejects(
      runGpu("fused", [t(values(300, 0, 1, 4), [300])], program([{ op: "exp", args: [0] }], [1]), undefined, device),
      /fused.*maxStorageBufferBindingSize/s,
    );
  } finally {
    device.dispose();
  }
});

test("packed outputs at an offset that splits a word are written element by element, leaving neighbours alone", async () => {
  const device = await gpuDevice();
  const x = uploadView(device, t(values(9, -1, 1, 5), [9]));
  const attrs = program(
    [
      { op: "const", args: [], value: 0 },
      { op: "greater", args: [0, 1] },
      { op: "cast", args: [0], to: "float16" },
    ],
    [2, 3],
  );
  const bools = uploadView(device, t(new Array(12).fill(7), [9], "uint8", { offset: 1 }));
  const halves = uploadView(device, t(new Array(11).fill(7), [9], "float16", { offset: 1 }));
  const outs = [
    { ...bools, dtype: "bool" as const },
    { ...halves, strides: [1] },
  ];
  device.launch(kernelFor("fused", "float32"), { op: "fused", inputs: [x], outputs: outs, attrs });
  const [expectBool, expectHalf] = fusedOnCpu([t(values(9, -1, 1, 5), [9])], attrs);
  const gotBool = Array.from(await download(device, bools.buffer, "uint8", 12));
  assert.deepEqual(gotBool, [7, ...Array.from(expectBool!.values), 7, 7]);
  const gotHalf = Array.from(await download(device, halves.buffer, "float16", 11));
  assert.deepEqual(gotHalf, [7, ...Array.from(expectHalf!.values), 7]);
  for (const v of [x, bools, halves]) device.free(v.buffer);
});

test("fusedShaderSource gives the one shader of a program: every step once, one entry point", () => {
  const wgsl = fusedShaderSource(THREE, [
    { shape: [2, 3], dtype: "float32", strides: [1, 2] },
    { shape: [3], dtype: "float32" },
    { shape: [2, 1], dtype: "float32" },
  ]);
  assert.equal(wgsl.match(/fn main\(/g)?.length, 1);
  assert.match(wgsl, /let v3: f32 = f_exp\(v0\); \/\/ exp/);
  assert.match(wgsl, /let v4: f32 = v0 \+ v1; \/\/ add/);
  assert.match(wgsl, /let v5: f32 = v2 \* v1; \/\/ mul/);
  assert.equal(wgsl.match(/var<storage, read_write>/g)?.length, 3);
  assert.throws(() => fusedShaderSource(program([{ op: "exp", args: [0] }], [1]), [{ shape: [2], dtype: "int32" }]), /fused: step 0 \(exp\)/);
});
