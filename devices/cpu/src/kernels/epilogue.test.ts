import assert from "node:assert/strict";
import { after, test } from "node:test";
import { parseEpilogue } from "@polychip/hal";
import { CpuDevice } from "../device.ts";
import { epilogueCases } from "../epilogue-examples.ts";
import { runOp, type HostOutput } from "../testing.ts";

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
