/**
 * Every op case of the PyTorch golden fixtures: forward values, then the gradients of
 * sum(out * w) w.r.t. each input, against torch's float64 results.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { add, mul, sum, tidy, type Tensor } from "../index.ts";
import { liveTensorCount } from "../tensor.ts";
import { assertClose, assertExact, loadGolden, OP_FIXTURE_FILES, toTensor, type OpCase } from "./fixtures.ts";
import { OP_TABLE } from "./op-table.ts";

const FORWARD = { rtol: 1e-4, atol: 1e-5 };
const GRADIENT = { rtol: 1e-3, atol: 1e-4 };

async function runCase(c: OpCase): Promise<void> {
  const fn = OP_TABLE[c.op];
  assert.ok(fn, `no engine call registered for fixture op '${c.op}'`);
  const liveBefore = liveTensorCount();
  const inputs = c.inputs.map((i) => toTensor(i, i.requiresGrad));
  const owned = new Set<Tensor>(inputs);
  try {
    const outputs = tidy(() => {
      const result = fn(inputs, c.attrs);
      const outs = Array.isArray(result) ? result : [result];
      let loss: Tensor | undefined;
      c.weights.forEach((w, k) => {
        if (!w) return;
        const term = sum(mul(outs[k]!, toTensor({ shape: c.outputs[k]!.shape, dtype: "float32", values: w })));
        loss = loss ? add(loss, term) : term;
      });
      loss?.backward();
      return outs;
    });
    outputs.forEach((o) => owned.add(o));

    assert.equal(outputs.length, c.outputs.length, "number of outputs");
    for (const [k, expected] of c.outputs.entries()) {
      const out = outputs[k]!;
      const label = `output ${k}`;
      assert.deepEqual(out.shape, expected.shape, `${label} shape`);
      assert.equal(out.dtype, expected.dtype, `${label} dtype`);
      const values = await out.data();
      if (expected.dtype === "float32") assertClose(values, expected.values, FORWARD, label);
      else assertExact(values, expected.values, label);
    }

    for (const [k, expected] of c.grads.entries()) {
      if (!expected) continue;
      const g = inputs[k]!.grad;
      if (g) owned.add(g);
      const label = `gradient of input ${k}`;
      if (!g) {
        assert.ok(expected.every((v) => v === 0), `${label}: engine computed no gradient, torch's is non-zero`);
        continue;
      }
      assert.deepEqual(g.shape, c.inputs[k]!.shape, `${label} shape`);
      assertClose(await g.data(), expected, GRADIENT, label);
    }
  } finally {
    for (const t of owned) t.dispose();
  }
  // At most as many as before: the finalizer may reclaim an earlier test's garbage meanwhile.
  assert.ok(liveTensorCount() <= liveBefore, `the case leaked ${liveTensorCount() - liveBefore} tensors`);
}

for (const file of OP_FIXTURE_FILES) {
  const golden = loadGolden<OpCase>(file);
  describe(`golden ${file} (torch ${golden.torch})`, () => {
    for (const c of golden.cases) test(c.name, () => runCase(c));
  });
}
