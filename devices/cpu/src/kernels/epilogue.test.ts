import assert from "node:assert/strict";
import { after, test } from "node:test";
import { parseEpilogue } from "@polychip/hal";
import { CpuDevice } from "../device.ts";
import { epilogueCases, EPILOGUE_PROGRAMS } from "../epilogue-examples.ts";
import { runOp, t, type HostOutput } from "../testing.ts";

const devices = { wasm: new CpuDevice(), reference: new CpuDevice({ wasm: false }) };
after(() => Object.values(devices).forEach((d) => d.dispose()));

/** The unfused ops on the same device: the GEMM, then the program as one `fused` op over [product, extras...]. */
function unfused(c: ReturnType<typeof epilogueCases>[number], device: CpuDevice): HostOutput[] {
  const e = parseEpilogue(c.op, c.attrs, c.inputs.length);
  const [product] = runOp(e.base, c.inputs.slice(0, e.baseInputs), e.baseAttrs, { device });
  return runOp("fused", [product!, ...c.inputs.slice(e.baseInputs)], e.fusedAttrs, { device });
}

for (const [kind, device] of Object.entries(devices)) {
  for (const c of epilogueCases()) {
    test(`${c.op} (${kind} kernels) equals its GEMM then its program, bit for bit: ${c.name}`, () => {
      const fused = runOp(c.op, c.inputs, c.attrs, { device });
      const expected = unfused(c, device);
      assert.equal(fused.length, expected.length);
      fused.forEach((out, m) => {
        assert.deepEqual(out.shape, expected[m]!.shape);
        assert.deepEqual(Array.from(out.values), Array.from(expected[m]!.values), `output ${m}`);
      });
    });
  }
}

test("an epilogue whose extra input would enlarge the product is refused naming the op", () => {
  const attrs = { program: JSON.stringify([{ op: "add", args: [0, 1] }]), outputs: [2], baseInputs: 2 };
  const a = { values: [1, 2, 3, 4], shape: [2, 2], dtype: "float32" as const };
  assert.throws(() => runOp("matmulEpilogue", [a, a, { values: new Array(12).fill(0), shape: [3, 2, 2], dtype: "float32" }], attrs), {
    name: "ShapeError",
    message: /^matmulEpilogue: extra inputs \[3, 2, 2\] broadcast the matmul result \[2, 2\] to \[3, 2, 2\]/,
  });
});

test("a large GELU epilogue (a program the device runs in stages) equals its GEMM then its program, bit for bit", () => {
  const gelu = EPILOGUE_PROGRAMS.gelu!;
  const c = {
    name: "large gelu",
    op: "matmulEpilogue" as const,
    inputs: [
      t(
        Array.from({ length: 128 * 16 }, (_, i) => Math.sin(i)),
        [128, 16],
      ),
      t(
        Array.from({ length: 16 * 160 }, (_, i) => Math.cos(i * 0.7)),
        [16, 160],
      ),
    ],
    attrs: { program: JSON.stringify(gelu.steps), outputs: gelu.outputs, baseInputs: 2 },
  };
  const [fused] = runOp(c.op, c.inputs, c.attrs, { device: devices.wasm });
  assert.deepEqual(Array.from(fused!.values), Array.from(unfused(c, devices.wasm)[0]!.values));
});

test("a staged epilogue whose early output lands on the product still reads the product unchanged later", () => {
  // a = x * 0.5 is written first (into the buffer holding x), then erf(a) * x must still read the original x.
  const steps = [
    { op: "const", args: [], value: 0.5 },
    { op: "mul", args: [0, 1] },
    { op: "erf", args: [2] },
    { op: "mul", args: [3, 0] },
  ];
  const c = {
    name: "early output",
    op: "matmulEpilogue" as const,
    inputs: [
      t(
        Array.from({ length: 128 * 16 }, (_, i) => Math.sin(i)),
        [128, 16],
      ),
      t(
        Array.from({ length: 16 * 160 }, (_, i) => Math.cos(i * 0.7)),
        [16, 160],
      ),
    ],
    attrs: { program: JSON.stringify(steps), outputs: [2, 4], baseInputs: 2 },
  };
  const fused = runOp(c.op, c.inputs, c.attrs, { device: devices.wasm });
  const expected = unfused(c, devices.wasm);
  fused.forEach((out, m) => assert.deepEqual(Array.from(out.values), Array.from(expected[m]!.values), `output ${m}`));
});

test("one attrs object reused with other inputs is parsed again for them: results stay right and a bad count is refused", () => {
  // The kernel caches the parsed program per attrs object (sessions pass the same one every run).
  const attrs = { program: JSON.stringify([{ op: "add", args: [0, 1] }]), outputs: [2], baseInputs: 2 };
  const a = t([1, 2, 3, 4], [2, 2]);
  const [first] = runOp("matmulEpilogue", [a, a, t([10, 20], [2])], attrs, { device: devices.wasm });
  assert.deepEqual(Array.from(first!.values), [17, 30, 25, 42]);
  const [again] = runOp("matmulEpilogue", [a, t([1, 0, 0, 1], [2, 2]), t([1, 1], [2])], attrs, { device: devices.wasm });
  assert.deepEqual(Array.from(again!.values), [2, 3, 4, 5]);
  assert.throws(() => runOp("matmulEpilogue", [a, a], attrs, { device: devices.wasm }), { message: /^matmulEpilogue: / });
});
