/**
 * The golden op cases as one runner shared by every device: forward values, then the gradients of
 * sum(out * w) w.r.t. each input, against torch's float64 results. `ops.test.ts` runs it on cpu,
 * `webgpu.test.ts` on webgpu; a device lists the cases it cannot run, each with its reason.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { add, mul, sum, tidy, type Tensor } from "../index.ts";
import { liveTensorCount } from "../tensor.ts";
import { assertClose, assertExact, loadGolden, OP_FIXTURE_FILES, toTensor, type OpCase, type Tolerance } from "./fixtures.ts";
import { OP_TABLE } from "./op-table.ts";

export const FORWARD: Tolerance = { rtol: 1e-4, atol: 1e-5 };
export const GRADIENT: Tolerance = { rtol: 1e-3, atol: 1e-4 };

export interface OpCaseOptions {
  /** The engine device every input is created on. */
  device: string;
  /** Case name → why it does not run on this device (reported as a skipped test). */
  skip?: Readonly<Record<string, string>>;
  /** Set when the device is absent here: every case is listed as skipped with this reason. */
  skipAll?: string | false;
  /** The fixture files to run (default: every op fixture file). */
  files?: readonly string[];
  /** Fixture op name → looser tolerances, each with the reason it needs them. */
  looser?: Readonly<Record<string, { forward?: Tolerance; gradient?: Tolerance; reason: string }>>;
}

async function runCase(c: OpCase, options: OpCaseOptions): Promise<void> {
  const fn = OP_TABLE[c.op];
  assert.ok(fn, `no engine call registered for fixture op '${c.op}'`);
  const forwardTol = options.looser?.[c.op]?.forward ?? FORWARD;
  const gradientTol = options.looser?.[c.op]?.gradient ?? GRADIENT;
  const liveBefore = liveTensorCount();
  const inputs = c.inputs.map((i) => toTensor(i, i.requiresGrad, options.device));
  const owned = new Set<Tensor>(inputs);
  try {
    const outputs = tidy(() => {
      const result = fn(inputs, c.attrs);
      const outs = Array.isArray(result) ? result : [result];
      let loss: Tensor | undefined;
      c.weights.forEach((w, k) => {
        if (!w) return;
        const weight = toTensor({ shape: c.outputs[k]!.shape, dtype: "float32", values: w }, false, options.device);
        const term = sum(mul(outs[k]!, weight));
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
      assert.equal(out.device, options.device, `${label} device`);
      assert.deepEqual(out.shape, expected.shape, `${label} shape`);
      assert.equal(out.dtype, expected.dtype, `${label} dtype`);
      const values = await out.data();
      if (expected.dtype === "float32") assertClose(values, expected.values, forwardTol, label);
      else assertExact(values, expected.values, label);
    }

    for (const [k, expected] of c.grads.entries()) {
      if (!expected) continue;
      const g = inputs[k]!.grad;
      if (g) owned.add(g);
      const label = `gradient of input ${k}`;
      if (!g) {
        assert.ok(
          expected.every((v) => v === 0),
          `${label}: engine computed no gradient, torch's is non-zero`,
        );
        continue;
      }
      assert.equal(g.device, options.device, `${label} device`);
      assert.deepEqual(g.shape, c.inputs[k]!.shape, `${label} shape`);
      assertClose(await g.data(), expected, gradientTol, label);
    }
  } finally {
    for (const t of owned) t.dispose();
  }
  // At most as many as before: the finalizer may reclaim an earlier test's garbage meanwhile.
  assert.ok(liveTensorCount() <= liveBefore, `the case leaked ${liveTensorCount() - liveBefore} tensors`);
}

/** Registers one suite per fixture file and one test per case (skipped ones still listed, with their reason). */
export function describeOpCases(options: OpCaseOptions): void {
  const known = new Set<string>();
  for (const file of options.files ?? OP_FIXTURE_FILES) {
    const golden = loadGolden<OpCase>(file);
    const prefix = options.device === "cpu" ? "golden" : `golden on ${options.device}:`;
    describe(`${prefix} ${file} (torch ${golden.torch})`, () => {
      for (const c of golden.cases) {
        known.add(c.name);
        const skip = options.skipAll || options.skip?.[c.name];
        if (skip) test(c.name, { skip }, () => {});
        else test(c.name, () => runCase(c, options));
      }
    });
  }
  // A skip entry naming no case would hide a stale list: fail loudly instead.
  const stale = Object.keys(options.skip ?? {}).filter((name) => !known.has(name));
  if (stale.length) test(`skip list names only existing cases (${options.device})`, () => assert.deepEqual(stale, []));
}
