import assert from "node:assert/strict";
import { after, test } from "node:test";
import { contiguousStrides, KernelRegistry, type Attrs, type KernelCall } from "@polychip/hal";
import { CpuDevice } from "./device.ts";
import { fusedChecks, fusedChecksOnOneAndThreeThreads, input, program, transposed } from "./fused-test-helpers.ts";
import { cpuKernels } from "./registrations.ts";
import { download, runOp, uploadView, type HostInput } from "./testing.ts";
import type { CpuBuffer } from "./device.ts";
import type { CpuView } from "./views.ts";
import { LayoutMemo } from "./layout-memo.ts";

const device = new CpuDevice({ threads: 1 });
const reference = new CpuDevice({ wasm: false });
after(() => Promise.all([device.dispose(), reference.dispose()]));
const checks = fusedChecksOnOneAndThreeThreads();
const registry = new KernelRegistry();
registry.registerAll(cpuKernels);

const view = (shape: number[], strides = contiguousStrides(shape), dtype = "float32") => ({ dtype, shape, strides });

test("a layout memo gives back a value only while dtypes, shapes, strides and view counts are unchanged", () => {
  const memo = new LayoutMemo<string>();
  const owner = {};
  memo.set(owner, "kept", [view([2, 3]), view([3])], [view([2, 3])]);
  assert.equal(memo.get(owner, [view([2, 3]), view([3])], [view([2, 3])]), "kept");
  assert.equal(memo.get(owner, [view([2, 4]), view([4])], [view([2, 4])]), undefined, "shape");
  assert.equal(memo.get(owner, [view([2, 3], [1, 2]), view([3])], [view([2, 3])]), undefined, "strides");
  assert.equal(memo.get(owner, [view([2, 3], undefined, "int32"), view([3])], [view([2, 3])]), undefined, "dtype");
  assert.equal(memo.get(owner, [view([2, 3])], [view([2, 3])]), undefined, "input count");
  assert.equal(memo.get(owner, [view([2, 3]), view([3])], []), undefined, "output count");
  assert.equal(memo.get({}, [view([2, 3]), view([3])], [view([2, 3])]), undefined, "another owner");
});

test("one fused attrs object over new shapes and broadcasts equals the unfused ops each time", () => {
  const attrs = program(
    [
      { op: "mul", args: [0, 1] },
      { op: "add", args: [2, 0] },
    ],
    [3],
  );
  const runs: HostInput[][] = [
    [input(1, [4, 6]), input(2, [6])],
    [input(3, [5, 7]), input(4, [5, 1])],
    [input(5, [4, 6]), input(6, [6])],
    [input(7, [3, 2, 9]), input(8, [3, 2, 9])],
  ];
  for (const { assertSameBits } of checks) for (const inputs of runs) assertSameBits(attrs, inputs);
});

test("one fused attrs object on the generated JavaScript kernel, flat then strided then flat, equals the unfused ops", () => {
  const attrs = program(
    [
      { op: "exp", args: [0] },
      { op: "mul", args: [2, 1] },
    ],
    [3],
  );
  const { assertSameBits } = fusedChecks(reference);
  assertSameBits(attrs, [input(1, [3, 5]), input(2, [5])]);
  assertSameBits(attrs, [transposed(3, [4, 6]), input(4, [4, 1])]);
  assertSameBits(attrs, [input(5, [2, 7]), input(6, [2, 7])]);
});

/** Launches `call` after pointing it at fresh uploads of `inputs` and an output of `outShape`; the output's values. */
function relaunch(
  call: { inputs: CpuView[]; outputs: CpuView[] } & Omit<KernelCall<CpuBuffer>, "inputs" | "outputs">,
  inputs: HostInput[],
  outShape: number[],
): number[] {
  call.inputs = inputs.map((i) => uploadView(device, i));
  const size = outShape.reduce((a, b) => a * b, 1);
  const y: CpuView = { buffer: device.alloc(Math.max(4, size * 4)), dtype: "float32", shape: outShape, strides: contiguousStrides(outShape), offset: 0 };
  call.outputs = [y];
  device.launch(registry.find("cpu", call.op, "float32")!.kernel, call);
  const values = Array.from(download(device, y.buffer, "float32", size));
  [...call.inputs, y].forEach((v) => device.free(v.buffer));
  return values;
}

test("one binary call object relaunched with new shapes equals a fresh call each time", () => {
  const call = { op: "add", inputs: [] as CpuView[], outputs: [] as CpuView[], attrs: {} as Attrs };
  const cases: [HostInput[], number[]][] = [
    [
      [input(1, [3, 4]), input(2, [4])],
      [3, 4],
    ],
    [
      [input(3, [2, 5]), input(4, [2, 1])],
      [2, 5],
    ],
    [[input(5, [6]), input(6, [6])], [6]],
    [
      [input(7, [3, 4]), input(8, [4])],
      [3, 4],
    ],
  ];
  for (const [inputs, shape] of cases) assert.deepEqual(relaunch(call, inputs, shape), Array.from(runOp("add", inputs, {}, { device })[0]!.values));
});

test("one reduction call object relaunched with new shapes equals a fresh call each time", () => {
  const attrs: Attrs = { axes: [1], keepDims: false };
  const call = { op: "reduceSum", inputs: [] as CpuView[], outputs: [] as CpuView[], attrs };
  const cases: [HostInput[], number[]][] = [
    [[input(1, [3, 4, 5])], [3, 5]],
    [[input(2, [2, 7, 3])], [2, 3]],
    [[input(3, [3, 4, 5])], [3, 5]],
  ];
  for (const [inputs, shape] of cases) assert.deepEqual(relaunch(call, inputs, shape), Array.from(runOp("reduceSum", inputs, attrs, { device })[0]!.values));
});

test("one gather call object relaunched with new shapes and indices equals a fresh call each time", () => {
  const attrs: Attrs = { axis: 1 };
  const call = { op: "gather", inputs: [] as CpuView[], outputs: [] as CpuView[], attrs };
  const indices = (values: number[]): HostInput => ({ values, shape: [values.length], dtype: "int32" });
  const cases: [HostInput[], number[]][] = [
    [
      [input(1, [2, 5, 3]), indices([4, 0])],
      [2, 2, 3],
    ],
    [
      [input(2, [3, 4]), indices([3, 1, 2])],
      [3, 3],
    ],
    [
      [input(3, [2, 5, 3]), indices([1, 1])],
      [2, 2, 3],
    ],
  ];
  for (const [inputs, shape] of cases) assert.deepEqual(relaunch(call, inputs, shape), Array.from(runOp("gather", inputs, attrs, { device })[0]!.values));
});

test("one softmax call object relaunched with new shapes equals a fresh call each time", () => {
  const attrs: Attrs = { axis: 1 };
  const call = { op: "softmax", inputs: [] as CpuView[], outputs: [] as CpuView[], attrs };
  const cases: [HostInput[], number[]][] = [
    [[input(1, [2, 5, 3], "float32", 1)], [2, 5, 3]],
    [[input(2, [4, 3], "float32", 1)], [4, 3]],
    [[input(3, [2, 5, 3], "float32", 1)], [2, 5, 3]],
  ];
  for (const [inputs, shape] of cases) assert.deepEqual(relaunch(call, inputs, shape), Array.from(runOp("softmax", inputs, attrs, { device })[0]!.values));
});

test("one epilogue attrs object over new shapes equals a fresh attrs object each time", () => {
  const attrs: Attrs = {
    program: JSON.stringify([
      { op: "add", args: [0, 1] },
      { op: "relu", args: [2] },
    ]),
    outputs: [3],
    baseInputs: 2,
  };
  const cases: HostInput[][] = [
    [input(1, [3, 4]), input(2, [4, 5]), input(3, [5])],
    [input(4, [2, 6]), input(5, [6, 3]), input(6, [2, 1])],
    [input(7, [3, 4]), input(8, [4, 5]), input(9, [5])],
  ];
  for (const inputs of cases) {
    const cached = runOp("matmulEpilogue", inputs, attrs, { device })[0]!;
    const fresh = runOp("matmulEpilogue", inputs, { ...attrs }, { device })[0]!;
    assert.deepEqual(cached.shape, fresh.shape);
    assert.deepEqual(Array.from(cached.values), Array.from(fresh.values));
  }
});

test("a layout memo matches the very arrays it last matched, and new arrays of the same values, and nothing else", () => {
  const memo = new LayoutMemo<string>();
  const owner = {};
  const x = view([4, 8]);
  memo.set(owner, "kept", [x], [x]);
  assert.equal(memo.get(owner, [x], [x]), "kept", "the same arrays");
  const y = view([4, 8]);
  assert.equal(memo.get(owner, [y], [y]), "kept", "new arrays, same values");
  assert.equal(memo.get(owner, [y], [view([4, 9])]), undefined, "the output's shape differs");
  assert.equal(memo.get(owner, [x, x], [x]), undefined, "one more input, each of the same arrays");
  assert.equal(memo.get(owner, [{ ...x, dtype: "int32" }], [x]), undefined, "the same arrays under another dtype");
});

test("one matmul attrs object relaunched over dot-product, GEMM and batched shapes equals a fresh call each time", () => {
  const attrs: Attrs = { transposeA: false, transposeB: true };
  const call = { op: "matmul", inputs: [] as CpuView[], outputs: [] as CpuView[], attrs };
  const cases: [HostInput[], number[]][] = [
    [
      [input(1, [1, 40]), input(2, [8, 40])],
      [1, 8],
    ],
    [
      [input(3, [9, 6]), input(4, [5, 6])],
      [9, 5],
    ],
    [
      [input(5, [2, 3, 7]), input(6, [2, 4, 7])],
      [2, 3, 4],
    ],
    [
      [input(7, [1, 40]), input(8, [8, 40])],
      [1, 8],
    ],
  ];
  for (const [inputs, shape] of cases)
    assert.deepEqual(relaunch(call, inputs, shape), Array.from(runOp("matmul", inputs, { ...attrs }, { device })[0]!.values));
});
